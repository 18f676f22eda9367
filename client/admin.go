package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The OpenDMS admin API (/opendms/v1): IAM objects of the caller's account. Only account
// administrators may call it, except WhoAmI which any signed caller may use.

// AdminPrefix is the path prefix of the admin API.
const AdminPrefix = "/opendms/v1"

// Account is an account (Huawei Cloud's "domain"): the owner of projects and IAM users.
type Account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Project scopes DMS resources; its ID is the {project_id} of the DMS paths.
type Project struct {
	ID          string    `json:"id"`
	DomainID    string    `json:"domain_id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// User is an IAM user of an account.
type User struct {
	ID        string    `json:"id"`
	DomainID  string    `json:"domain_id"`
	Name      string    `json:"name"`
	Admin     bool      `json:"admin"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	// Roles is filled by GetUser only.
	Roles []RoleBinding `json:"roles,omitempty"`
}

// AccessKey is an access key as listed: never its secret.
type AccessKey struct {
	AccessKey   string    `json:"access_key"`
	UserID      string    `json:"user_id"`
	Description string    `json:"description,omitempty"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewAccessKey is a created access key with its secret, which the server shows this once.
type NewAccessKey struct {
	AccessKey string    `json:"access_key"`
	SecretKey string    `json:"secret_key"`
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
}

// Policy is a system role ("DMS FullAccess", ...) or a custom policy of the account.
type Policy struct {
	ID          string `json:"id"`
	DomainID    string `json:"domain_id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Document is the IAM policy document as JSON text: {"Version":"1.1","Statement":[...]}.
	Document  string    `json:"policy"`
	System    bool      `json:"system"`
	CreatedAt time.Time `json:"created_at"`
}

// RoleBinding grants a role (a policy, by name) to a user (by name) in a project (by id).
type RoleBinding struct {
	User      string `json:"user"`
	ProjectID string `json:"project_id"`
	Role      string `json:"role"`
}

// Identity is the caller as the server sees it.
type Identity struct {
	User       User      `json:"user"`
	Account    Account   `json:"account"`
	AuthMethod string    `json:"auth_method"` // "aksk" or "token"
	AccessKey  string    `json:"access_key,omitempty"`
	Projects   []Project `json:"projects"`
	Region     string    `json:"region"`
}

// AccountRequest describes a new account (tenant).
type AccountRequest struct {
	Name string `json:"name"`
	// AdminName is the administrator IAM user ("admin" when empty).
	AdminName     string `json:"admin_name,omitempty"`
	AdminPassword string `json:"admin_password"`
	// CreateAccessKey asks for an access key of the administrator, returned once in NewAccount.
	CreateAccessKey bool `json:"create_access_key,omitempty"`
}

// NewAccount is a created account: its administrator, its project (named after the region) and, if
// asked for, the administrator's access key with its secret, which the server shows this once.
type NewAccount struct {
	Account   Account       `json:"account"`
	Admin     User          `json:"admin"`
	Project   Project       `json:"project"`
	AccessKey *NewAccessKey `json:"access_key,omitempty"`
}

func adminPath(elems ...string) string {
	p := AdminPrefix
	for _, e := range elems {
		p += "/" + url.PathEscape(e)
	}
	return p
}

// WhoAmI returns the caller, its account and the projects it may use.
func (c *Client) WhoAmI(ctx context.Context) (*Identity, error) {
	var out Identity
	if err := c.call(ctx, http.MethodGet, adminPath("whoami"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAccounts lists every account (administrators of the bootstrap account) or the caller's own.
func (c *Client) ListAccounts(ctx context.Context) ([]Account, error) {
	return list[Account](ctx, c, adminPath("accounts"), "accounts")
}

// CreateAccount creates a usable tenant: an account with its administrator IAM user, a project named
// after the server's region and, on request, an access key. Only administrators of the bootstrap
// account may.
func (c *Client) CreateAccount(ctx context.Context, in AccountRequest) (*NewAccount, error) {
	var out NewAccount
	if err := c.call(ctx, http.MethodPost, adminPath("accounts"), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListProjects lists the projects of the caller's account.
func (c *Client) ListProjects(ctx context.Context) ([]Project, error) {
	return list[Project](ctx, c, adminPath("projects"), "projects")
}

// CreateProject creates a project in the caller's account.
func (c *Client) CreateProject(ctx context.Context, name, description string) (*Project, error) {
	in := map[string]string{"name": name, "description": description}
	var out struct {
		Project Project `json:"project"`
	}
	if err := c.call(ctx, http.MethodPost, adminPath("projects"), in, &out); err != nil {
		return nil, err
	}
	return &out.Project, nil
}

// ListUsers lists the IAM users of the caller's account.
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	return list[User](ctx, c, adminPath("users"), "users")
}

// GetUser shows an IAM user with its role bindings.
func (c *Client) GetUser(ctx context.Context, name string) (*User, error) {
	var out struct {
		User User `json:"user"`
	}
	if err := c.call(ctx, http.MethodGet, adminPath("users", name), nil, &out); err != nil {
		return nil, err
	}
	return &out.User, nil
}

// CreateUser creates an IAM user. An empty password makes a user that can only use access keys;
// admin makes an account administrator.
func (c *Client) CreateUser(ctx context.Context, name, password string, admin bool) (*User, error) {
	in := struct {
		Name     string `json:"name"`
		Password string `json:"password,omitempty"`
		Admin    bool   `json:"admin"`
	}{name, password, admin}
	var out struct {
		User User `json:"user"`
	}
	if err := c.call(ctx, http.MethodPost, adminPath("users"), in, &out); err != nil {
		return nil, err
	}
	return &out.User, nil
}

// DeleteUser deletes an IAM user (not the caller).
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, adminPath("users", name), nil, nil)
}

// SetUserEnabled enables or disables an IAM user (not the caller). Disabling revokes its tokens and
// stops its access keys.
func (c *Client) SetUserEnabled(ctx context.Context, name string, enabled bool) (*User, error) {
	in := map[string]bool{"enabled": enabled}
	var out struct {
		User User `json:"user"`
	}
	if err := c.call(ctx, http.MethodPatch, adminPath("users", name), in, &out); err != nil {
		return nil, err
	}
	return &out.User, nil
}

// SetUserPassword sets an IAM user's password; the user's tokens are revoked.
func (c *Client) SetUserPassword(ctx context.Context, name, password string) error {
	in := map[string]string{"password": password}
	return c.call(ctx, http.MethodPut, adminPath("users", name, "password"), in, nil)
}

// ListAccessKeys lists a user's access keys (never their secrets).
func (c *Client) ListAccessKeys(ctx context.Context, user string) ([]AccessKey, error) {
	return list[AccessKey](ctx, c, adminPath("users", user, "access-keys"), "access_keys")
}

// CreateAccessKey creates an access key for user. The result holds the secret key, which the server
// never shows again.
func (c *Client) CreateAccessKey(ctx context.Context, user, description string) (*NewAccessKey, error) {
	var in any
	if description != "" {
		in = map[string]string{"description": description}
	}
	var out NewAccessKey
	if err := c.call(ctx, http.MethodPost, adminPath("users", user, "access-keys"), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAccessKey deletes one of user's access keys (not the one the request is signed with).
func (c *Client) DeleteAccessKey(ctx context.Context, user, accessKey string) error {
	return c.call(ctx, http.MethodDelete, adminPath("users", user, "access-keys", accessKey), nil, nil)
}

// ListPolicies lists the system roles and the account's custom policies.
func (c *Client) ListPolicies(ctx context.Context) ([]Policy, error) {
	return list[Policy](ctx, c, adminPath("policies"), "policies")
}

// CreatePolicy creates a custom policy; document is the IAM policy document
// ({"Version":"1.1","Statement":[...]}).
func (c *Client) CreatePolicy(ctx context.Context, name, description string, document json.RawMessage) (*Policy, error) {
	in := struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Policy      json.RawMessage `json:"policy"`
	}{name, description, document}
	var out struct {
		Policy Policy `json:"policy"`
	}
	if err := c.call(ctx, http.MethodPost, adminPath("policies"), in, &out); err != nil {
		return nil, err
	}
	return &out.Policy, nil
}

// DeletePolicy deletes a custom policy by name.
func (c *Client) DeletePolicy(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, adminPath("policies", name), nil, nil)
}

// ListRoleBindings lists the role bindings of the account.
func (c *Client) ListRoleBindings(ctx context.Context) ([]RoleBinding, error) {
	return list[RoleBinding](ctx, c, adminPath("role-bindings"), "role_bindings")
}

// Bind grants a role to a user in a project.
func (c *Client) Bind(ctx context.Context, b RoleBinding) error {
	return c.call(ctx, http.MethodPost, adminPath("role-bindings"), b, nil)
}

// Unbind revokes a role binding.
func (c *Client) Unbind(ctx context.Context, b RoleBinding) error {
	return c.call(ctx, http.MethodDelete, adminPath("role-bindings"), b, nil)
}

// list GETs path and returns the array under key.
func list[T any](ctx context.Context, c *Client, path, key string) ([]T, error) {
	var out map[string]json.RawMessage
	if err := c.call(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	var items []T
	if raw, ok := out[key]; ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("client: decoding %q of %s: %w", key, path, err)
		}
	}
	return items, nil
}
