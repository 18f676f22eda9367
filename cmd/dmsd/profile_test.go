package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opendms/opendms/internal/cliconfig"
	"github.com/opendms/opendms/internal/iam"
)

var dmsctlBuild struct {
	sync.Once
	path string
	err  error
}

// dmsctlBinary builds dmsctl once for the package.
func dmsctlBinary(t *testing.T) string {
	t.Helper()
	dmsctlBuild.Do(func() {
		dir, err := os.MkdirTemp("", "dmsctl-bin")
		if err != nil {
			dmsctlBuild.err = err
			return
		}
		dmsctlBuild.path = filepath.Join(dir, "dmsctl")
		out, err := exec.Command("go", "build", "-o", dmsctlBuild.path, "../dmsctl").CombinedOutput()
		if err != nil {
			dmsctlBuild.err = err
			dmsctlBuild.path = string(out)
		}
	})
	if dmsctlBuild.err != nil {
		t.Fatalf("go build dmsctl: %v\n%s", dmsctlBuild.err, dmsctlBuild.path)
	}
	return dmsctlBuild.path
}

// The first start writes the administrator's dmsctl profile into the user's config dir (0600), so
// dmsctl works from any directory; an existing profile of that name is kept; --dmsctl-profile none
// writes none.
func TestFirstStartWritesDmsctlProfile(t *testing.T) {
	for _, c := range []struct {
		name     string
		existing string   // config file content before the start ("" = none)
		args     []string // extra dmsd flags
		want     string   // "admin": the profile is this dmsd's admin; "kept": the existing one; "none": no file
	}{
		{"no config file", "", nil, "admin"},
		{"another profile exists", "profiles:\n  alice:\n    endpoint: https://elsewhere:9780\n", nil, "admin"},
		{"default profile exists", "profiles:\n  default:\n    endpoint: https://elsewhere:9780\n    access_key: OLDAK\n    secret_key: OLDSK\n", nil, "kept"},
		{"turned off", "", []string{"--dmsctl-profile", "none"}, "none"},
		{"named profile", "", []string{"--dmsctl-profile", "local"}, "admin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			xdg := t.TempDir()
			cfgPath := filepath.Join(xdg, "opendms", "config.yaml")
			if c.existing != "" {
				must(t, os.MkdirAll(filepath.Dir(cfgPath), 0o700))
				must(t, os.WriteFile(cfgPath, []byte(c.existing), 0o600))
			}
			dataDir := t.TempDir()
			p := startDmsdWith(t, dataDir, c.args, false, "XDG_CONFIG_HOME="+xdg)
			creds, err := iam.ReadCredentials(filepath.Join(dataDir, "admin-credentials.json"))
			must(t, err)
			defer func() {
				p.stop(t)
				if strings.Contains(p.log.String(), creds.SecretKey) {
					t.Error("the secret key reached the log")
				}
			}()
			if c.want == "none" {
				if _, err := os.Stat(cfgPath); !os.IsNotExist(err) {
					t.Fatalf("config file written with --dmsctl-profile none: %v", err)
				}
				return
			}
			st, err := os.Stat(cfgPath)
			must(t, err)
			if st.Mode().Perm() != 0o600 {
				t.Errorf("config file mode %v, want 0600", st.Mode().Perm())
			}
			f, err := cliconfig.Load(cfgPath)
			must(t, err)
			name := "default"
			if len(c.args) == 2 {
				name = c.args[1]
			}
			got := f.Profiles[name]
			switch c.want {
			case "kept":
				if got.AccessKey != "OLDAK" || got.SecretKey != "OLDSK" || got.Endpoint != "https://elsewhere:9780" {
					t.Fatalf("existing profile overwritten: %+v", got)
				}
				if !strings.Contains(p.log.String(), "kept it") || !strings.Contains(p.log.String(), "dmsctl configure --profile default --from-credentials") {
					t.Errorf("the log does not say the profile was kept and how to switch:\n%s", p.log.String())
				}
				return
			case "admin":
				want := cliconfig.Profile{Endpoint: p.url(), AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, ProjectID: creds.ProjectID, Region: creds.Region}
				if got != want {
					t.Fatalf("profile %q = %+v, want %+v", name, got, want)
				}
				if c.existing != "" && len(f.Profiles) != 2 {
					t.Errorf("other profiles lost: %v", f.Profiles)
				}
			}
			// dmsctl, from another directory with nothing in its environment, uses the profile.
			cmd := exec.Command(dmsctlBinary(t), "--profile", name, "api", "GET", "/v2/available-zones")
			cmd.Dir = t.TempDir()
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + xdg}
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "available_zones") {
				t.Fatalf("dmsctl with the written profile: %v\n%s", err, out)
			}
		})
	}
}
