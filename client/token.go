package client

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// TokenHeader carries a token: in the answer of POST /v3/auth/tokens, and as X-Auth-Token in requests.
const TokenHeader = "X-Subject-Token"

// Ref names an IAM object.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Token is a project-scoped IAM token (send it as X-Auth-Token).
type Token struct {
	Value     string    `json:"token"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	User      Ref       `json:"user"`
	Domain    Ref       `json:"domain"`
	Project   Ref       `json:"project"`
}

// IssueToken obtains a token with a password (POST /v3/auth/tokens, as IAM does), scoped to the
// project named projectName of the account named domain. The request is not signed: it needs no
// access key.
func (c *Client) IssueToken(ctx context.Context, domain, user, password, projectName string) (*Token, error) {
	var in struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Name     string `json:"name"`
						Password string `json:"password"`
						Domain   struct {
							Name string `json:"name"`
						} `json:"domain"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project struct {
					Name string `json:"name"`
				} `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	in.Auth.Identity.Methods = []string{"password"}
	u := &in.Auth.Identity.Password.User
	u.Name, u.Password, u.Domain.Name = user, password, domain
	in.Auth.Scope.Project.Name = projectName

	unsigned := *c
	unsigned.cfg.AccessKey, unsigned.cfg.SecretKey = "", ""
	resp, err := unsigned.Do(ctx, http.MethodPost, "/v3/auth/tokens", nil, in)
	if err != nil {
		return nil, err
	}
	var out struct {
		Token struct {
			IssuedAt  string `json:"issued_at"`
			ExpiresAt string `json:"expires_at"`
			User      struct {
				Ref
				Domain Ref `json:"domain"`
			} `json:"user"`
			Project struct {
				Ref
				Domain Ref `json:"domain"`
			} `json:"project"`
		} `json:"token"`
	}
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	t := &Token{Value: resp.Header.Get(TokenHeader), User: out.Token.User.Ref, Domain: out.Token.Project.Domain, Project: out.Token.Project.Ref}
	if t.Value == "" {
		return nil, errors.New("client: the token answer has no " + TokenHeader + " header")
	}
	// Keystone's format "2006-01-02T15:04:05.000000Z" is RFC 3339 with fractional seconds.
	t.IssuedAt, _ = time.Parse(time.RFC3339Nano, out.Token.IssuedAt)
	t.ExpiresAt, _ = time.Parse(time.RFC3339Nano, out.Token.ExpiresAt)
	return t, nil
}
