package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
	"github.com/opendms/opendms/internal/cliconfig"
	"github.com/opendms/opendms/internal/iam"
)

// Where settings come from, besides flags.
const (
	envEndpoint        = "DMS_ENDPOINT"
	envAccessKey       = "CLOUD_SDK_AK" // the names of the Huawei Cloud SDK samples
	envSecretKey       = "CLOUD_SDK_SK"
	envProjectID       = "CLOUD_SDK_PROJECT_ID"
	envRegion          = "CLOUD_SDK_REGION"
	envInsecure        = "DMS_INSECURE"
	envProfile         = "DMSCTL_PROFILE"
	envConfig          = cliconfig.EnvPath
	envCredentialsFile = "DMS_CREDENTIALS_FILE"

	defaultEndpoint        = "http://127.0.0.1:9780"
	defaultProfile         = "default"
	defaultCredentialsFile = "data/admin-credentials.json" // relative to the working directory, as dmsd's default data dir
)

// app holds the global flags; commands reach settings, the client and the printer through it.
type app struct {
	output          string
	timeout         time.Duration
	profile         string
	credentialsFile string
}

// The global flags (persistent on the root command).
const (
	flagEndpoint        = "endpoint"
	flagAK              = "ak"
	flagSK              = "sk"
	flagProjectID       = "project-id"
	flagRegion          = "region"
	flagInsecure        = "insecure"
	flagProfile         = "profile"
	flagCredentialsFile = "credentials-file"
)

func (a *app) bindFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.String(flagEndpoint, "", "server URL (default "+defaultEndpoint+") [$"+envEndpoint+"]")
	f.String(flagAK, "", "access key [$"+envAccessKey+"]")
	f.String(flagSK, "", "secret key; prefer $"+envSecretKey+" or a profile, a flag shows in the process list [$"+envSecretKey+"]")
	f.String(flagProjectID, "", "project id: X-Project-Id and {project_id} in paths [$"+envProjectID+"]")
	f.String(flagRegion, "", "region, the default project name of tokens [$"+envRegion+"]")
	f.Bool(flagInsecure, false, "skip TLS certificate verification (self-signed https) [$"+envInsecure+"]")
	f.StringVar(&a.profile, flagProfile, "", "profile of the config file (default \"default\") [$"+envProfile+"]")
	f.StringVar(&a.credentialsFile, flagCredentialsFile, "", "admin credentials file written by dmsd (default ./"+defaultCredentialsFile+" if it exists) [$"+envCredentialsFile+"]")
	f.StringVarP(&a.output, "output", "o", "", "output format: table|json|yaml (default table; json for 'api')")
	f.DurationVar(&a.timeout, "timeout", client.DefaultTimeout, "timeout of each API call")
}

// settings is the resolved configuration of a command.
type settings struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	ProjectID string
	Region    string
	Insecure  bool
	// CredentialsFrom names the source of the AK/SK pair ("" if there is none).
	CredentialsFrom string
	// From the admin credentials file only: the defaults of 'dmsctl token'.
	DomainName  string
	UserName    string
	ProjectName string
}

// layer is one source of settings; empty strings and nil mean "not set here".
type layer struct {
	name                                        string
	endpoint, ak, sk, projectID, region, domain string
	user, projectName                           string
	insecure                                    *bool
}

// resolveSettings merges the sources in order of precedence: flags, environment, profile, admin
// credentials file, defaults. Each setting comes from the first source that has it, except the AK/SK
// pair, which comes whole from the first source that has either half.
func resolveSettings(cmd *cobra.Command, a *app) (settings, error) {
	layers, err := settingLayers(cmd, a)
	if err != nil {
		return settings{}, err
	}
	s := settings{Endpoint: defaultEndpoint}
	pick := func(dst *string, get func(l layer) string) {
		for _, l := range layers {
			if v := get(l); v != "" {
				*dst = v
				return
			}
		}
	}
	pick(&s.Endpoint, func(l layer) string { return l.endpoint })
	pick(&s.ProjectID, func(l layer) string { return l.projectID })
	pick(&s.Region, func(l layer) string { return l.region })
	pick(&s.DomainName, func(l layer) string { return l.domain })
	pick(&s.UserName, func(l layer) string { return l.user })
	pick(&s.ProjectName, func(l layer) string { return l.projectName })
	for _, l := range layers {
		if l.insecure != nil {
			s.Insecure = *l.insecure
			break
		}
	}
	for _, l := range layers {
		if l.ak == "" && l.sk == "" {
			continue
		}
		if l.ak == "" || l.sk == "" {
			return s, usageErrorf("%s sets only half of the access key pair: give both the access key and the secret key", l.name)
		}
		s.AccessKey, s.SecretKey, s.CredentialsFrom = l.ak, l.sk, l.name
		break
	}
	return s, nil
}

func settingLayers(cmd *cobra.Command, a *app) ([]layer, error) {
	env, err := envLayer()
	if err != nil {
		return nil, err
	}
	layers := []layer{flagLayer(cmd), env}

	name, explicit := profileName(a)
	path, err := configPath()
	if err != nil {
		return nil, err
	}
	pf, err := loadProfiles(path)
	if err != nil {
		return nil, err
	}
	if p, ok := pf.Profiles[name]; ok {
		l := layer{name: fmt.Sprintf("profile %q of %s", name, path), endpoint: p.Endpoint, ak: p.AccessKey, sk: p.SecretKey,
			projectID: p.ProjectID, region: p.Region}
		if p.Insecure {
			l.insecure = &p.Insecure
		}
		layers = append(layers, l)
	} else if explicit {
		return nil, usageErrorf("no profile %q in %s (create it with 'dmsctl configure --profile %s')", name, path, name)
	}

	credsPath, explicit := credentialsPath(a)
	creds, err := iam.ReadCredentials(credsPath)
	switch {
	case err == nil:
		layers = append(layers, credentialsLayer(credsPath, creds))
	case explicit:
		return nil, usageErrorf("credentials file: %v", err)
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission):
		// The implicit default path is optional, but a broken file there is worth knowing about.
		return nil, usageErrorf("credentials file %s: %v", credsPath, err)
	}
	return layers, nil
}

// flagLayer is what the global flags set.
func flagLayer(cmd *cobra.Command) layer {
	l := layer{name: "flags"}
	fl := cmd.Flags()
	for name, dst := range map[string]*string{
		flagEndpoint: &l.endpoint, flagAK: &l.ak, flagSK: &l.sk, flagProjectID: &l.projectID, flagRegion: &l.region,
	} {
		*dst, _ = fl.GetString(name)
	}
	if fl.Changed(flagInsecure) {
		v, _ := fl.GetBool(flagInsecure)
		l.insecure = &v
	}
	return l
}

// envLayer is what the environment sets.
func envLayer() (layer, error) {
	l := layer{name: "the environment", endpoint: os.Getenv(envEndpoint), ak: os.Getenv(envAccessKey), sk: os.Getenv(envSecretKey),
		projectID: os.Getenv(envProjectID), region: os.Getenv(envRegion)}
	if v := os.Getenv(envInsecure); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return l, usageErrorf("$%s=%q is not a boolean", envInsecure, v)
		}
		l.insecure = &b
	}
	return l, nil
}

// credentialsLayer is what an admin credentials file of dmsd sets.
func credentialsLayer(path string, c iam.AdminCredentials) layer {
	return layer{name: "credentials file " + path, endpoint: c.Endpoint, ak: c.AccessKey, sk: c.SecretKey,
		projectID: c.ProjectID, region: c.Region, domain: c.DomainName, user: c.UserName, projectName: c.ProjectName}
}

// profileName returns the profile to use and whether it was asked for explicitly.
func profileName(a *app) (string, bool) {
	if a.profile != "" {
		return a.profile, true
	}
	if v := os.Getenv(envProfile); v != "" {
		return v, true
	}
	return defaultProfile, false
}

// credentialsPath returns the admin credentials file to read and whether it was asked for explicitly.
func credentialsPath(a *app) (string, bool) {
	if a.credentialsFile != "" {
		return a.credentialsFile, true
	}
	if v := os.Getenv(envCredentialsFile); v != "" {
		return v, true
	}
	return defaultCredentialsFile, false
}

// configPath is the profile file: $DMSCTL_CONFIG or ($XDG_CONFIG_HOME or ~/.config)/opendms/config.yaml,
// where dmsd writes its administrator's profile too (internal/cliconfig).
func configPath() (string, error) {
	p, err := cliconfig.Path()
	if err != nil {
		return "", &usageError{err}
	}
	return p, nil
}

// profileFile is the config file of 'dmsctl configure'.
type profileFile = cliconfig.File

type profile = cliconfig.Profile

// loadProfiles reads the config file; a missing file is an empty one.
func loadProfiles(path string) (profileFile, error) {
	pf, err := cliconfig.Load(path)
	if err != nil {
		return pf, usageErrorf("config file: %v", err)
	}
	return pf, nil
}

// saveProfiles writes the config file with mode 0600 (atomically; its directory is made 0700).
func saveProfiles(path string, pf profileFile) error { return cliconfig.Save(path, pf) }

// newClient resolves the settings and returns a client. needKey makes a missing AK/SK a usage error.
func (a *app) newClient(cmd *cobra.Command, needKey bool) (*client.Client, settings, error) {
	s, err := resolveSettings(cmd, a)
	if err != nil {
		return nil, s, err
	}
	if needKey && s.AccessKey == "" {
		return nil, s, usageErrorf("no credentials: use --ak/--sk, $%s/$%s, 'dmsctl configure', or an admin credentials file (--credentials-file)", envAccessKey, envSecretKey)
	}
	c, err := client.New(client.Config{
		Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey, ProjectID: s.ProjectID, Region: s.Region,
		Insecure: s.Insecure, Timeout: a.timeout,
	})
	if err != nil {
		return nil, s, &usageError{err}
	}
	return c, s, nil
}
