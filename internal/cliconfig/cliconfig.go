// Package cliconfig is dmsctl's config file: named profiles of settings (endpoint, access key pair,
// project, region). dmsctl reads and writes it (dmsctl configure); dmsd writes a profile into it on
// first start, so dmsctl finds the administrator's credentials from any directory. One package keeps
// the two on one path and one format.
package cliconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// EnvPath names the config file instead of the default path.
const EnvPath = "DMSCTL_CONFIG"

// Path is the config file: $DMSCTL_CONFIG, else $XDG_CONFIG_HOME/opendms/config.yaml, else
// ~/.config/opendms/config.yaml, on every system (where dmsctl always kept it).
func Path() (string, error) {
	if v := os.Getenv(EnvPath); v != "" {
		return v, nil
	}
	if v := os.Getenv("XDG_CONFIG_HOME"); v != "" {
		return filepath.Join(v, "opendms", "config.yaml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot locate the config file (set $%s): %w", EnvPath, err)
	}
	return filepath.Join(home, ".config", "opendms", "config.yaml"), nil
}

// File is the config file.
type File struct {
	Profiles map[string]Profile `json:"profiles"`
}

// Profile is one named set of settings. The secret key is stored as dmsctl needs it to sign: the
// file is the user's alone (0600 in a 0700 directory).
type Profile struct {
	Endpoint  string `json:"endpoint,omitempty"`
	AccessKey string `json:"access_key,omitempty"`
	SecretKey string `json:"secret_key,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
	Region    string `json:"region,omitempty"`
	Insecure  bool   `json:"insecure,omitempty"`
}

// Load reads the config file; a missing file is an empty one.
func Load(path string) (File, error) {
	var f File
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return File{Profiles: map[string]Profile{}}, nil
	}
	if err != nil {
		return f, err
	}
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	if f.Profiles == nil {
		f.Profiles = map[string]Profile{}
	}
	return f, nil
}

// Save writes the config file with mode 0600, atomically (a temp file renamed over it); its
// directory is made 0700.
func Save(path string, f File) error {
	b, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// AddIfAbsent adds profile name to the file at path unless the file already has a profile of that
// name, which is kept as it is (the user's own settings win). It reports whether it added it.
func AddIfAbsent(path, name string, p Profile) (bool, error) {
	f, err := Load(path)
	if err != nil {
		return false, err
	}
	if _, ok := f.Profiles[name]; ok {
		return false, nil
	}
	f.Profiles[name] = p
	return true, Save(path, f)
}
