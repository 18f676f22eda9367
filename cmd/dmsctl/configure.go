package main

import (
	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
	"github.com/opendms/opendms/internal/iam"
)

func newConfigureCmd(a *app) *cobra.Command {
	var fromCredentials string
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Write a profile of the config file (never shows the secret key back)",
		Long: `configure writes a named profile (--profile, "default" by default) of the config file
(~/.config/opendms/config.yaml or $DMSCTL_CONFIG, mode 0600).

Values come from --from-credentials (an admin-credentials.json of dmsd) or else from the environment
($DMS_ENDPOINT, $CLOUD_SDK_AK, ...), and flags (--endpoint, --ak, --sk, --project-id, --region,
--insecure) override both. Settings not given keep their value in an existing profile.`,
		Example: `  dmsctl configure --from-credentials ./data/admin-credentials.json
  CLOUD_SDK_AK=... CLOUD_SDK_SK=... dmsctl configure --profile alice --endpoint https://dms.local:9780 --insecure`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.configure(cmd, fromCredentials) },
	}
	cmd.Flags().StringVar(&fromCredentials, "from-credentials", "", "admin credentials file of dmsd to copy into the profile")
	return cmd
}

// profileView is a written profile as shown: the secret key masked.
type profileView struct {
	Profile   string `json:"profile"`
	File      string `json:"file"`
	Endpoint  string `json:"endpoint,omitempty"`
	AccessKey string `json:"access_key,omitempty"`
	SecretKey string `json:"secret_key,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
	Region    string `json:"region,omitempty"`
	Insecure  bool   `json:"insecure"`
}

func (a *app) configure(cmd *cobra.Command, fromCredentials string) error {
	path, err := configPath()
	if err != nil {
		return err
	}
	pf, err := loadProfiles(path)
	if err != nil {
		return err
	}
	name, _ := profileName(a)

	// Lowest precedence first.
	var layers []layer
	if fromCredentials != "" {
		creds, err := iam.ReadCredentials(fromCredentials)
		if err != nil {
			return usageErrorf("--from-credentials: %v", err)
		}
		layers = append(layers, credentialsLayer(fromCredentials, creds))
	} else {
		env, err := envLayer()
		if err != nil {
			return err
		}
		layers = append(layers, env)
	}
	layers = append(layers, flagLayer(cmd))

	p, existed := pf.Profiles[name]
	changed := false
	for _, l := range layers {
		for dst, v := range map[*string]string{&p.Endpoint: l.endpoint, &p.ProjectID: l.projectID, &p.Region: l.region} {
			if v != "" {
				*dst, changed = v, true
			}
		}
		if l.insecure != nil {
			p.Insecure, changed = *l.insecure, true
		}
		if l.ak != "" || l.sk != "" {
			if l.ak == "" || l.sk == "" {
				return usageErrorf("%s sets only half of the access key pair: give both the access key and the secret key", l.name)
			}
			p.AccessKey, p.SecretKey, changed = l.ak, l.sk, true
		}
	}
	if !changed {
		return usageErrorf("nothing to configure: give --from-credentials, or settings as flags (--endpoint, --ak/--sk, ...) or in the environment")
	}
	if p.Endpoint != "" {
		if _, err := client.New(client.Config{Endpoint: p.Endpoint}); err != nil {
			return &usageError{err}
		}
	}
	pf.Profiles[name] = p
	if err := saveProfiles(path, pf); err != nil {
		return err
	}

	out := a.printer(cmd)
	verb := "Created"
	if existed {
		verb = "Updated"
	}
	out.note("%s profile %q in %s.", verb, name, path)
	v := profileView{Profile: name, File: path, Endpoint: p.Endpoint, AccessKey: p.AccessKey, SecretKey: mask(p.SecretKey),
		ProjectID: p.ProjectID, Region: p.Region, Insecure: p.Insecure}
	return out.print(v, func(t *table) {
		t.keyValues("endpoint", v.Endpoint, "access_key", v.AccessKey, "secret_key", v.SecretKey,
			"project_id", v.ProjectID, "region", v.Region, "insecure", fmtBool(v.Insecure))
	})
}
