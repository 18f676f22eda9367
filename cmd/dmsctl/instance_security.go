package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// The security of an instance: the CA certificate SASL_SSL clients trust, and the password of the
// instance's administrator (5.2.1).

func newInstanceCertCmd(a *app) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "cert INSTANCE [-o FILE]",
		Short: "Download the CA certificate SASL_SSL clients trust (PEM)",
		Long: `cert writes the PEM of the CA that signs a SASL_SSL instance's broker certificates (OpenDMS's
GET /opendms/v1/{project_id}/instances/{instance_id}/ca-certificate) to stdout, or to FILE with -o
(mode 0644; here -o is the file, not the output format), and its SHA-256 fingerprint to stderr so
that it can be compared. An instance without SASL_SSL has no CA certificate.`,
		Example: `  dmsctl instance cert kafka-demo -o ca.pem
  dmsctl instance cert kafka-demo > ca.pem`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			data, err := c.InstanceCACertificate(cmd.Context(), id)
			if err != nil {
				return err
			}
			fps, err := pemFingerprints(data)
			if err != nil {
				return fmt.Errorf("the server's CA certificate of %s: %w", args[0], err)
			}
			if file == "" || file == "-" {
				if _, err := cmd.OutOrStdout().Write(data); err != nil {
					return err
				}
			} else {
				if err := os.WriteFile(file, data, 0o644); err != nil {
					return err
				}
				// WriteFile keeps the mode of an existing file and applies the umask: the
				// certificate is public, make it readable.
				if err := os.Chmod(file, 0o644); err != nil {
					return err
				}
			}
			for _, fp := range fps {
				fmt.Fprintf(cmd.ErrOrStderr(), "SHA-256 fingerprint: %s\n", fp)
			}
			if file != "" && file != "-" {
				fmt.Fprintf(cmd.ErrOrStderr(), "Wrote the CA certificate of instance %s to %s.\n", args[0], file)
			}
			return nil
		},
	}
	// -o is the file here: the PEM has no other format. The local flag hides the global one.
	cmd.Flags().StringVarP(&file, "output", "o", "", "write the certificate to this file instead of stdout")
	return cmd
}

// pemFingerprints returns the SHA-256 fingerprint ("AA:BB:...") of each certificate of a PEM text,
// which must have at least one.
func pemFingerprints(data []byte) ([]string, error) {
	var out []string
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, fingerprint(cert.Raw))
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate in the PEM")
	}
	return out, nil
}

// fingerprint is the SHA-256 of der as upper-case hex bytes joined by colons.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(hexes, ":")
}

func newInstanceResetPasswordCmd(a *app) *cobra.Command {
	var stdin bool
	cmd := &cobra.Command{
		Use:   "reset-password INSTANCE --password-stdin",
		Short: "Set the password of the instance's administrator (read from stdin)",
		Long: `reset-password sets the password of the SASL user given when the instance was created, its
administrator (POST /v2/{project_id}/instances/{instance_id}/password), to the first line of stdin.
Clients logged in as the administrator must use the new password from then on.`,
		Example: `  printf '%s\n' "$NEW_PASSWORD" | dmsctl instance reset-password kafka-demo --password-stdin`,
		Args:    exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := newPassword(cmd, stdin, "new password")
			if err != nil {
				return err
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.ResetInstancePassword(cmd.Context(), id, password); err != nil {
				return err
			}
			a.printer(cmd).note("Reset the administrator's password of instance %s.", args[0])
			return nil
		},
	}
	bindPasswordStdin(cmd, &stdin, "new password")
	return cmd
}
