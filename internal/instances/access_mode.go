package instances

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opendms/opendms/internal/dms"
)

// Switching an access mode on or off (5.2.9): the brokers' client listeners change by a rolling
// restart, run as a task. The first time SASL is enabled, the request names the administrator
// (user_name, pass_word) and the mechanisms; they are recorded at once (inert until a SASL
// listener exists) so that the task's parameters never hold the password. Disabling SASL keeps the
// user; enabling it again reuses it.

// AccessModeSwitch is a 5.2.9 request.
type AccessModeSwitch struct {
	Protocol   string   // a port_protocol flag name, e.g. "private_sasl_ssl_enable"
	Enable     *bool    // required
	UserName   string   // the administrator, the first time SASL is enabled
	Password   string   // its password, the same time only
	Mechanisms []string // PLAIN and/or SCRAM-SHA-512, the same time only (default PLAIN)
}

// accessModeParams are the task's parameters.
type accessModeParams struct {
	Protocol string `json:"protocol"`
	Enable   bool   `json:"enable"`
	// Finish: the modes are in place already and only the administrator's credential is left to set
	// up (a switch whose last step failed, finished by the same request again).
	Finish bool `json:"finish,omitempty"`
}

// setMode sets the access mode named protocol in pp; false for an unknown name.
func setMode(pp *dms.PortProtocol, protocol string, on bool) bool {
	flags := map[string]*bool{
		"private_plain_enable":          &pp.PrivatePlainEnable,
		"private_sasl_ssl_enable":       &pp.PrivateSASLSSLEnable,
		"private_sasl_plaintext_enable": &pp.PrivateSASLPlaintextEnable,
		"public_plain_enable":           &pp.PublicPlainEnable,
		"public_sasl_ssl_enable":        &pp.PublicSASLSSLEnable,
		"public_sasl_plaintext_enable":  &pp.PublicSASLPlaintextEnable,
	}
	f, ok := flags[protocol]
	if ok {
		*f = on
	}
	return ok
}

func saslModes(pp dms.PortProtocol) bool {
	return pp.PrivateSASLSSLEnable || pp.PrivateSASLPlaintextEnable || pp.PublicSASLSSLEnable || pp.PublicSASLPlaintextEnable
}

// applyModes records pp as the instance's access modes, with the legacy fields kept consistent.
func applyModes(in *dms.Instance, pp dms.PortProtocol) {
	in.PortProtocol = &pp
	in.SSLEnable = saslModes(pp)
	switch {
	case pp.PrivateSASLSSLEnable || pp.PublicSASLSSLEnable:
		in.KafkaSecurityProtocol = "SASL_SSL"
	case in.SSLEnable:
		in.KafkaSecurityProtocol = "SASL_PLAINTEXT"
	default:
		in.KafkaSecurityProtocol = "PLAINTEXT"
	}
}

// checkModes refuses access modes pp for instance in: the rules of 5.2.9 and what the engine can do.
func (s *Service) checkModes(in dms.Instance, pp dms.PortProtocol) error {
	switch {
	case pp.PrivateSASLSSLEnable && pp.PrivateSASLPlaintextEnable:
		return invalid("private_sasl_ssl_enable and private_sasl_plaintext_enable cannot both be on: disable one first")
	case pp.PublicSASLSSLEnable && pp.PublicSASLPlaintextEnable:
		return invalid("public_sasl_ssl_enable and public_sasl_plaintext_enable cannot both be on: disable one first")
	case !pp.PrivatePlainEnable && !pp.PrivateSASLSSLEnable && !pp.PrivateSASLPlaintextEnable:
		return invalid("at least one private access mode must stay on")
	case (pp.PublicPlainEnable || pp.PublicSASLSSLEnable || pp.PublicSASLPlaintextEnable) && !in.EnablePublicIP:
		return dms.Errorf(dms.CodePublicAccessInvalid, "Invalid public access parameters: public access modes need public access (enable_publicip).")
	}
	if saslModes(pp) {
		if err := s.checkEngineSecurity("SASL"); err != nil {
			return err
		}
		// Without TLS on the internal listeners anyone reaching a broker's IP is a super user there:
		// such an instance (created before they had TLS) cannot be made SASL-only in truth.
		if !in.InternalTLS {
			return invalid("the instance was created before OpenDMS secured its brokers' internal listeners, so SASL cannot be enabled on it; create a new instance with SASL")
		}
	}
	return nil
}

// SwitchAccessMode validates a 5.2.9 request against the instance as stored and starts the task
// that applies it (one step under the lock: two switches sent together never both pass). The same
// request again finishes a switch whose last step, the administrator's credential, failed.
func (s *Service) SwitchAccessMode(ctx context.Context, projectID, id string, who Actor, req AccessModeSwitch) (dms.Task, error) {
	if req.Enable == nil {
		if _, err := s.Get(ctx, projectID, id); err != nil {
			return dms.Task{}, err
		}
		return dms.Task{}, invalid("enable is required")
	}
	params := accessModeParams{Protocol: req.Protocol, Enable: *req.Enable}
	return s.startTask(ctx, projectID, id, who, taskAccessMode, &params, func(in *dms.Instance) error {
		pp := in.AccessModes()
		if !setMode(&pp, req.Protocol, *req.Enable) {
			return invalid("protocol %q is not an access mode (private_plain_enable, private_sasl_ssl_enable, private_sasl_plaintext_enable, public_plain_enable, public_sasl_ssl_enable, public_sasl_plaintext_enable)", req.Protocol)
		}
		if pp == in.AccessModes() {
			if !(in.AdminPending && *req.Enable && saslModes(pp)) {
				return invalid("%s is already %v", req.Protocol, *req.Enable)
			}
			if err := statusForbids(*in, dms.StatusRunning, dms.StatusError); err != nil {
				return err
			}
			params.Finish = true
			in.Status, in.StatusReason = dms.StatusRestarting, ""
			return nil
		}
		if err := s.checkModes(*in, pp); err != nil {
			return err
		}
		first := saslModes(pp) && in.AccessUser == ""
		if first {
			if !ValidUserName(req.UserName) {
				return dms.Errorf(dms.CodeAccessUserInvalid, "Invalid user_name %q: the first time SASL is enabled it names the administrator: 4 to 64 characters, starting with a letter; letters, digits, '-' and '_'.", req.UserName)
			}
			if err := ValidPassword(req.Password); err != nil {
				return err
			}
			if len(req.Mechanisms) == 0 {
				req.Mechanisms = []string{"PLAIN"}
			}
			for _, m := range req.Mechanisms {
				if m != "PLAIN" && m != "SCRAM-SHA-512" {
					return invalid("sasl_enabled_mechanisms: %q is not PLAIN or SCRAM-SHA-512", m)
				}
			}
		}
		if err := statusForbids(*in, dms.StatusRunning); err != nil {
			return err
		}
		// What the switch needs that must not travel in the task's parameters, recorded now.
		if first {
			in.AccessUser, in.SealedPassword, in.SASLMechanisms = req.UserName, s.sealer.Seal([]byte(req.Password)), req.Mechanisms
		}
		if (pp.PrivateSASLSSLEnable || pp.PublicSASLSSLEnable) && len(in.CACertPEM) == 0 {
			if err := s.newCA(in); err != nil {
				return err
			}
		}
		in.AdminPending = saslModes(pp)
		in.Status, in.StatusReason = dms.StatusRestarting, ""
		return nil
	})
}

// runAccessMode applies a switch by a rolling restart (the modes re-validated against the stored
// state first), then gives a secured instance's administrator its credential, retried; if that
// still fails the instance is ERROR and the same request finishes it.
func (s *Service) runAccessMode(ctx context.Context, t dms.Task) error {
	var p accessModeParams
	if err := json.Unmarshal([]byte(t.Params), &p); err != nil {
		return err
	}
	if !p.Finish {
		err := s.rolling(ctx, t, dms.StatusRestarting, func(in *dms.Instance) error {
			pp := in.AccessModes()
			if !setMode(&pp, p.Protocol, p.Enable) {
				return invalid("protocol %q is not an access mode", p.Protocol)
			}
			if err := s.checkModes(*in, pp); err != nil {
				return err
			}
			applyModes(in, pp)
			return nil
		})
		if err != nil {
			return err
		}
	}
	in, err := s.store.GetInstance(ctx, t.InstanceID)
	if err != nil {
		return err
	}
	if in.SSLEnable {
		if err := s.retry(ctx, func() error { return s.adminStep(ctx, in) }); err != nil {
			return fmt.Errorf("the access modes are applied but the SASL administrator %s could not be set up (send the same request again to finish): %w", in.AccessUser, err)
		}
	}
	_, err = s.update(ctx, in.ID, func(in *dms.Instance) error {
		in.AdminPending = false
		return nil
	})
	return err // RUNNING again: settled
}
