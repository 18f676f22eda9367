package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
	"github.com/opendms/opendms/internal/iam"
)

func TestSettingsPrecedence(t *testing.T) {
	creds := iam.AdminCredentials{
		Endpoint: "http://creds:1", Region: "creds-region", DomainName: "admin", UserName: "admin",
		ProjectID: "cccccccccccccccccccccccccccccccc", ProjectName: "creds-project", AccessKey: "CREDSAK", SecretKey: "CREDSSK",
	}
	const profiles = `profiles:
  default:
    endpoint: http://profile:2
    access_key: PROFILEAK
    secret_key: PROFILESK
    region: profile-region
  alice:
    endpoint: https://alice:3
    access_key: ALICEAK
    secret_key: ALICESK
    project_id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    insecure: true
  keyless:
    region: keyless-region
`
	fullEnv := map[string]string{
		envEndpoint: "http://env:4", envAccessKey: "ENVAK", envSecretKey: "ENVSK",
		envProjectID: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", envRegion: "env-region",
	}
	tests := []struct {
		name         string
		flags        []string
		env          map[string]string
		profiles     string // config file content, "" for none
		defaultCreds bool   // write ./data/admin-credentials.json
		credsAt      string // write the credentials file at this path (relative to the test directory)
		want         settings
		wantFrom     string // prefix of CredentialsFrom
		wantErr      string // substring of the error; then want is ignored
	}{
		{name: "defaults only",
			want: settings{Endpoint: defaultEndpoint}},
		{name: "default credentials file",
			defaultCreds: true,
			want: settings{Endpoint: "http://creds:1", AccessKey: "CREDSAK", SecretKey: "CREDSSK", ProjectID: creds.ProjectID,
				Region: "creds-region", DomainName: "admin", UserName: "admin", ProjectName: "creds-project"},
			wantFrom: "credentials file"},
		{name: "profile over credentials file, field by field",
			profiles: profiles, defaultCreds: true,
			want: settings{Endpoint: "http://profile:2", AccessKey: "PROFILEAK", SecretKey: "PROFILESK", ProjectID: creds.ProjectID,
				Region: "profile-region", DomainName: "admin", UserName: "admin", ProjectName: "creds-project"},
			wantFrom: `profile "default"`},
		{name: "environment over profile",
			env: fullEnv, profiles: profiles, defaultCreds: true,
			want: settings{Endpoint: "http://env:4", AccessKey: "ENVAK", SecretKey: "ENVSK", ProjectID: fullEnv[envProjectID],
				Region: "env-region", DomainName: "admin", UserName: "admin", ProjectName: "creds-project"},
			wantFrom: "the environment"},
		{name: "flags over environment",
			flags: []string{"--endpoint", "http://flag:5", "--ak", "FLAGAK", "--sk", "FLAGSK", "--project-id", "ffffffffffffffffffffffffffffffff", "--region", "flag-region"},
			env:   fullEnv, profiles: profiles, defaultCreds: true,
			want: settings{Endpoint: "http://flag:5", AccessKey: "FLAGAK", SecretKey: "FLAGSK", ProjectID: "ffffffffffffffffffffffffffffffff",
				Region: "flag-region", DomainName: "admin", UserName: "admin", ProjectName: "creds-project"},
			wantFrom: "flags"},
		{name: "flag endpoint only keeps the environment's keys",
			flags: []string{"--endpoint", "http://flag:5"}, env: fullEnv,
			want:     settings{Endpoint: "http://flag:5", AccessKey: "ENVAK", SecretKey: "ENVSK", ProjectID: fullEnv[envProjectID], Region: "env-region"},
			wantFrom: "the environment"},
		{name: "keys are never mixed across sources",
			flags: []string{"--ak", "FLAGAK"}, env: fullEnv,
			wantErr: "flags sets only half of the access key pair"},
		{name: "half a pair in the environment",
			env:     map[string]string{envSecretKey: "ENVSK"},
			wantErr: "the environment sets only half"},
		{name: "named profile by flag",
			flags: []string{"--profile", "alice"}, profiles: profiles,
			want:     settings{Endpoint: "https://alice:3", AccessKey: "ALICEAK", SecretKey: "ALICESK", ProjectID: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Insecure: true},
			wantFrom: `profile "alice"`},
		{name: "named profile by environment",
			env: map[string]string{envProfile: "alice"}, profiles: profiles,
			want:     settings{Endpoint: "https://alice:3", AccessKey: "ALICEAK", SecretKey: "ALICESK", ProjectID: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Insecure: true},
			wantFrom: `profile "alice"`},
		{name: "profile flag over profile environment",
			flags: []string{"--profile", "keyless"}, env: map[string]string{envProfile: "alice"}, profiles: profiles, defaultCreds: true,
			want: settings{Endpoint: "http://creds:1", AccessKey: "CREDSAK", SecretKey: "CREDSSK", ProjectID: creds.ProjectID,
				Region: "keyless-region", DomainName: "admin", UserName: "admin", ProjectName: "creds-project"},
			wantFrom: "credentials file"},
		{name: "missing explicit profile",
			flags: []string{"--profile", "nobody"}, profiles: profiles,
			wantErr: `no profile "nobody"`},
		{name: "missing default profile is fine",
			profiles: "profiles:\n  other:\n    region: x\n",
			want:     settings{Endpoint: defaultEndpoint}},
		{name: "insecure flag false over environment true",
			flags: []string{"--insecure=false", "--profile", "alice"}, env: map[string]string{envInsecure: "true"}, profiles: profiles,
			want:     settings{Endpoint: "https://alice:3", AccessKey: "ALICEAK", SecretKey: "ALICESK", ProjectID: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
			wantFrom: `profile "alice"`},
		{name: "insecure environment",
			env:  map[string]string{envInsecure: "1"},
			want: settings{Endpoint: defaultEndpoint, Insecure: true}},
		{name: "bad insecure environment",
			env:     map[string]string{envInsecure: "maybe"},
			wantErr: "is not a boolean"},
		{name: "credentials file by flag",
			flags: []string{"--credentials-file", "elsewhere/creds.json"}, credsAt: "elsewhere/creds.json",
			want: settings{Endpoint: "http://creds:1", AccessKey: "CREDSAK", SecretKey: "CREDSSK", ProjectID: creds.ProjectID,
				Region: "creds-region", DomainName: "admin", UserName: "admin", ProjectName: "creds-project"},
			wantFrom: "credentials file elsewhere/creds.json"},
		{name: "credentials file by environment",
			env: map[string]string{envCredentialsFile: "elsewhere/creds.json"}, credsAt: "elsewhere/creds.json",
			want: settings{Endpoint: "http://creds:1", AccessKey: "CREDSAK", SecretKey: "CREDSSK", ProjectID: creds.ProjectID,
				Region: "creds-region", DomainName: "admin", UserName: "admin", ProjectName: "creds-project"},
			wantFrom: "credentials file elsewhere/creds.json"},
		{name: "missing explicit credentials file",
			flags:   []string{"--credentials-file", "nope.json"},
			wantErr: "credentials file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.profiles != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(tt.profiles), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tt.defaultCreds {
				writeCredentials(t, defaultCredentialsFile, creds)
			}
			if tt.credsAt != "" {
				writeCredentials(t, tt.credsAt, creds)
			}
			root, a := newRoot()
			if err := root.ParseFlags(tt.flags); err != nil {
				t.Fatal(err)
			}
			got, err := resolveSettings(root, a)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if code := exitCode(root, err, new(strings.Builder)); code != exitUsage {
					t.Errorf("exit code %d, want %d", code, exitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.CredentialsFrom, tt.wantFrom) || (tt.wantFrom == "") != (got.CredentialsFrom == "") {
				t.Errorf("CredentialsFrom = %q, want prefix %q", got.CredentialsFrom, tt.wantFrom)
			}
			got.CredentialsFrom = ""
			if got != tt.want {
				t.Errorf("settings:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestConfigureWritesProfile(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "sub", "config.yaml")
	t.Setenv(envConfig, path)

	// From the environment, with a flag on top.
	t.Setenv(envAccessKey, testAK)
	t.Setenv(envSecretKey, testSK)
	t.Setenv(envEndpoint, "http://env:1")
	r := run(t, "", "configure", "--region", "cn-north-4").wantCode(t, exitOK)
	if strings.Contains(r.stdout+r.stderr, testSK) {
		t.Fatalf("configure printed the secret key:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, mask(testSK)) || !strings.Contains(r.stdout, testAK) {
		t.Errorf("configure output lacks the AK or the masked SK:\n%s", r.stdout)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, want 0600", fi.Mode().Perm())
	}
	pf, err := loadProfiles(path)
	if err != nil {
		t.Fatal(err)
	}
	want := profile{Endpoint: "http://env:1", AccessKey: testAK, SecretKey: testSK, Region: "cn-north-4"}
	if pf.Profiles["default"] != want {
		t.Errorf("default profile = %+v, want %+v", pf.Profiles["default"], want)
	}

	// A second profile from a credentials file; the environment is not consulted then, flags are.
	writeCredentials(t, filepath.Join(dir, "creds.json"), iam.AdminCredentials{
		Endpoint: "https://dms:9780", Region: "r1", ProjectID: testPID, AccessKey: "CREDSAK", SecretKey: "CREDSSKCREDSSK0000", Password: "pw",
	})
	r = run(t, "", "configure", "--profile", "ops", "--from-credentials", filepath.Join(dir, "creds.json"), "--insecure", "-o", "json").wantCode(t, exitOK)
	if strings.Contains(r.stdout, "CREDSSKCREDSSK0000") {
		t.Fatalf("configure printed the secret key: %s", r.stdout)
	}
	clienttest.JSONEqual(t, []byte(r.stdout), `{"profile":"ops","file":"`+path+`","endpoint":"https://dms:9780","access_key":"CREDSAK","secret_key":"****0000","project_id":"`+testPID+`","region":"r1","insecure":true}`)
	pf, _ = loadProfiles(path)
	if got := pf.Profiles["ops"]; got != (profile{Endpoint: "https://dms:9780", AccessKey: "CREDSAK", SecretKey: "CREDSSKCREDSSK0000", ProjectID: testPID, Region: "r1", Insecure: true}) {
		t.Errorf("ops profile = %+v", got)
	}
	if pf.Profiles["default"] != want {
		t.Errorf("configuring ops changed default: %+v", pf.Profiles["default"])
	}

	// The profile is then used.
	t.Setenv(envAccessKey, "")
	t.Setenv(envSecretKey, "")
	t.Setenv(envEndpoint, "")
	root, a := newRoot()
	if err := root.ParseFlags([]string{"--profile", "ops"}); err != nil {
		t.Fatal(err)
	}
	s, err := resolveSettings(root, a)
	if err != nil {
		t.Fatal(err)
	}
	if s.Endpoint != "https://dms:9780" || s.AccessKey != "CREDSAK" || !s.Insecure {
		t.Errorf("settings from profile ops = %+v", s)
	}

	// Updating one setting keeps the others.
	run(t, "", "configure", "--profile", "ops", "--region", "r2").wantCode(t, exitOK)
	pf, _ = loadProfiles(path)
	if got := pf.Profiles["ops"]; got.Region != "r2" || got.SecretKey != "CREDSSKCREDSSK0000" {
		t.Errorf("updated ops profile = %+v", got)
	}
}

func TestConfigureUsageErrors(t *testing.T) {
	isolate(t)
	run(t, "", "configure").wantCode(t, exitUsage)
	run(t, "", "configure", "--ak", "X").wantCode(t, exitUsage)
	run(t, "", "configure", "--endpoint", "localhost:9780").wantCode(t, exitUsage)
	run(t, "", "configure", "--from-credentials", "missing.json").wantCode(t, exitUsage)
	if _, err := os.Stat(os.Getenv(envConfig)); err == nil {
		t.Error("a failed configure wrote the config file")
	}
}
