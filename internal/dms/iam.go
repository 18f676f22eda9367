package dms

import "time"

// Domain is an account: the owner of projects and IAM users (Huawei Cloud's "domain").
type Domain struct {
	ID        string    `json:"id"` // 32 lower-case hex
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Project scopes every DMS resource; its id is the {project_id} of the paths.
type Project struct {
	ID          string    `json:"id"` // 32 lower-case hex
	DomainID    string    `json:"domain_id"`
	Name        string    `json:"name"` // a region-style name ("cn-north-4"), what SDKs resolve with GET /v3/projects?name=
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// User is an IAM user of a domain.
type User struct {
	ID       string `json:"id"`
	DomainID string `json:"domain_id"`
	Name     string `json:"name"`
	// Admin users are the account's administrators: every action in every project of the domain and the
	// IAM admin API (as members of Huawei's "admin" group are).
	Admin bool `json:"admin"`
	// PasswordHash is a PHC-style string of a slow KDF; never the password.
	PasswordHash string    `json:"-"`
	Enabled      bool      `json:"enabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// AccessKey is an AK/SK pair of a user. The SK must be recoverable to verify HMAC signatures, so it is
// stored encrypted (SealedSecret), never in plain text and never returned after creation.
type AccessKey struct {
	AccessKey    string    `json:"access_key"`
	UserID       string    `json:"user_id"`
	SealedSecret []byte    `json:"-"`
	Description  string    `json:"description,omitempty"`
	Enabled      bool      `json:"enabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// Policy is a role: a name and an IAM JSON policy document. System roles ("DMS FullAccess", ...) are
// built in; custom ones belong to a domain.
type Policy struct {
	ID          string    `json:"id"`
	DomainID    string    `json:"domain_id,omitempty"` // empty for system roles
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Document    string    `json:"policy"` // {"Version":"1.1","Statement":[...]}
	System      bool      `json:"system"`
	CreatedAt   time.Time `json:"created_at"`
}

// RoleBinding grants a policy to a user in one project.
type RoleBinding struct {
	UserID    string    `json:"user_id"`
	ProjectID string    `json:"project_id"`
	PolicyID  string    `json:"policy_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Token is an issued X-Auth-Token, stored by the SHA-256 of its value.
type Token struct {
	Hash      string    `json:"-"`
	UserID    string    `json:"user_id"`
	ProjectID string    `json:"project_id"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ManagerToken is an X-Auth-Token of a Kafka Manager sign-in (issue 14): scoped to one instance,
// issued for the instance's manager user rather than an IAM user, stored by the SHA-256 of its
// value. Epoch is the instance's KafkaManagerEpoch when it was issued.
type ManagerToken struct {
	Hash       string    `json:"-"`
	InstanceID string    `json:"instance_id"`
	ProjectID  string    `json:"project_id"`
	UserName   string    `json:"user_name"`
	Epoch      int64     `json:"epoch"`
	IssuedAt   time.Time `json:"issued_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}
