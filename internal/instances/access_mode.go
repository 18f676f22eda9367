package instances

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
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

// SwitchAccessMode validates a 5.2.9 request and starts the task that applies it.
func (s *Service) SwitchAccessMode(ctx context.Context, projectID, id string, who Actor, req AccessModeSwitch) (dms.Task, error) {
	in, err := s.Get(ctx, projectID, id)
	if err != nil {
		return dms.Task{}, err
	}
	if req.Enable == nil {
		return dms.Task{}, invalid("enable is required")
	}
	pp := in.AccessModes()
	if !setMode(&pp, req.Protocol, *req.Enable) {
		return dms.Task{}, invalid("protocol %q is not an access mode (private_plain_enable, private_sasl_ssl_enable, private_sasl_plaintext_enable, public_plain_enable, public_sasl_ssl_enable, public_sasl_plaintext_enable)", req.Protocol)
	}
	if pp == in.AccessModes() {
		return dms.Task{}, invalid("%s is already %v", req.Protocol, *req.Enable)
	}
	switch {
	case pp.PrivateSASLSSLEnable && pp.PrivateSASLPlaintextEnable:
		return dms.Task{}, invalid("private_sasl_ssl_enable and private_sasl_plaintext_enable cannot both be on: disable one first")
	case pp.PublicSASLSSLEnable && pp.PublicSASLPlaintextEnable:
		return dms.Task{}, invalid("public_sasl_ssl_enable and public_sasl_plaintext_enable cannot both be on: disable one first")
	case !pp.PrivatePlainEnable && !pp.PrivateSASLSSLEnable && !pp.PrivateSASLPlaintextEnable:
		return dms.Task{}, invalid("at least one private access mode must stay on")
	case (pp.PublicPlainEnable || pp.PublicSASLSSLEnable || pp.PublicSASLPlaintextEnable) && !in.EnablePublicIP:
		return dms.Task{}, dms.Errorf(dms.CodePublicAccessInvalid, "Invalid public access parameters: public access modes need public access (enable_publicip).")
	}
	first := saslModes(pp) && in.AccessUser == ""
	if first {
		if !ValidUserName(req.UserName) {
			return dms.Task{}, dms.Errorf(dms.CodeAccessUserInvalid, "Invalid user_name %q: the first time SASL is enabled it names the administrator: 4 to 64 characters, starting with a letter; letters, digits, '-' and '_'.", req.UserName)
		}
		if err := ValidPassword(req.Password); err != nil {
			return dms.Task{}, err
		}
		if len(req.Mechanisms) == 0 {
			req.Mechanisms = []string{"PLAIN"}
		}
		for _, m := range req.Mechanisms {
			if m != "PLAIN" && m != "SCRAM-SHA-512" {
				return dms.Task{}, invalid("sasl_enabled_mechanisms: %q is not PLAIN or SCRAM-SHA-512", m)
			}
		}
	}
	if saslModes(pp) {
		if err := s.checkEngineSecurity("SASL"); err != nil {
			return dms.Task{}, err
		}
		// Without TLS on the internal listeners anyone reaching a broker's IP is a super user there:
		// such an instance (created before they had TLS) cannot be made SASL-only in truth.
		if !in.InternalTLS {
			return dms.Task{}, invalid("the instance was created before OpenDMS secured its brokers' internal listeners, so SASL cannot be enabled on it; create a new instance with SASL")
		}
	}
	if s.runner.Busy(in.ID) {
		return dms.Task{}, dms.Errorf(dms.CodeInstanceBusy, "This DMS instance job task is still running.")
	}
	if in.Status != dms.StatusRunning || in.CreateFailed {
		return dms.Task{}, dms.Errorf(dms.CodeInstanceStatusForbids, "This operation is not allowed due to the instance status %s.", in.Status)
	}
	// What the switch needs that must not travel in the task's parameters, recorded now.
	in, err = s.update(ctx, in.ID, func(in *dms.Instance) error {
		if first {
			in.AccessUser, in.SealedPassword, in.SASLMechanisms = req.UserName, s.sealer.Seal([]byte(req.Password)), req.Mechanisms
		}
		if (pp.PrivateSASLSSLEnable || pp.PublicSASLSSLEnable) && len(in.CACertPEM) == 0 {
			return s.newCA(in)
		}
		return nil
	})
	if err != nil {
		return dms.Task{}, asAPIError(err)
	}
	if err := s.setStatus(ctx, id, dms.StatusRestarting, ""); err != nil {
		return dms.Task{}, dms.Internal(err)
	}
	t, err := s.submit(ctx, in, who, taskAccessMode, accessModeParams{Protocol: req.Protocol, Enable: *req.Enable})
	return t, asAPIError(err)
}

// runAccessMode applies a switch by a rolling restart, then gives a newly secured instance's
// administrator its credential.
func (s *Service) runAccessMode(ctx context.Context, t dms.Task) error {
	var p accessModeParams
	if err := json.Unmarshal([]byte(t.Params), &p); err != nil {
		return err
	}
	err := s.rolling(ctx, t.InstanceID, dms.StatusRestarting, func(in *dms.Instance) error {
		pp := in.AccessModes()
		setMode(&pp, p.Protocol, p.Enable)
		applyModes(in, pp)
		return nil
	})
	if err != nil {
		return err
	}
	in, err := s.store.GetInstance(ctx, t.InstanceID)
	if err != nil || !in.SSLEnable {
		return err
	}
	c, err := s.client(in)
	if err != nil {
		return err
	}
	if _, err := s.store.GetKafkaUser(ctx, in.ID, in.AccessUser); !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return err
		}
		if err := c.ProtectCluster(ctx, in.AccessUser); err != nil {
			return err
		}
		return s.SyncPlainUsers(ctx, in) // users kept from before are valid for PLAIN again
	}
	return s.setupAdmin(ctx, in, c)
}
