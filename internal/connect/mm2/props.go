package mm2

import (
	"fmt"
	"strings"
)

// Security is how a client reaches a cluster, in DMS terms.
type Security struct {
	Protocol  string // PLAINTEXT | SASL_PLAINTEXT | SASL_SSL
	Mechanism string // PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512 (SASL_* only)
	// JAASConfig is the sasl.jaas.config value, copied verbatim: normally a Connect config-provider
	// reference such as ${file:/path/peer.properties:sasl.jaas.config} to a file holding JAASConfig(...)'s
	// output, so the password never appears in the connector config the Connect REST API shows.
	JAASConfig string
	// TruststorePEM is the path of a PEM file with the CA certificate(s) to trust (SASL_SSL); "" = the JVM's
	// default trust store.
	TruststorePEM string
	// SkipHostnameCheck sets ssl.endpoint.identification.algorithm to "" (certificates without the address).
	SkipHostnameCheck bool
}

// ClientProps returns Cluster.Props for s: the Kafka client settings MM2 and the Connect producer need.
func ClientProps(s Security) (map[string]string, error) {
	switch s.Protocol {
	case "PLAINTEXT":
		return map[string]string{"security.protocol": "PLAINTEXT"}, nil
	case "SASL_PLAINTEXT", "SASL_SSL":
	default:
		return nil, invalid("security_protocol", "%q is not one of PLAINTEXT, SASL_PLAINTEXT, SASL_SSL", s.Protocol)
	}
	if _, err := loginModule(s.Mechanism); err != nil {
		return nil, err
	}
	if s.JAASConfig == "" {
		return nil, invalid("password", "SASL needs a JAAS configuration (user name and password)")
	}
	m := map[string]string{
		"security.protocol": s.Protocol,
		"sasl.mechanism":    s.Mechanism,
		"sasl.jaas.config":  s.JAASConfig,
	}
	if s.Protocol == "SASL_SSL" {
		if s.TruststorePEM != "" {
			m["ssl.truststore.type"] = "PEM"
			m["ssl.truststore.location"] = s.TruststorePEM
		}
		if s.SkipHostnameCheck {
			m["ssl.endpoint.identification.algorithm"] = ""
		}
	}
	return m, nil
}

func loginModule(mechanism string) (string, error) {
	switch mechanism {
	case "PLAIN":
		return "org.apache.kafka.common.security.plain.PlainLoginModule", nil
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		return "org.apache.kafka.common.security.scram.ScramLoginModule", nil
	}
	return "", invalid("sasl_mechanism", "%q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", mechanism)
}

// JAASConfig returns the sasl.jaas.config line for a SASL user. Kafka parses it with a StreamTokenizer
// whose quoted strings honour backslash escapes, so '\' and '"' in the user or password are escaped.
// The result holds the password: write it to a file only the worker reads and reference it.
func JAASConfig(mechanism, user, password string) (string, error) {
	mod, err := loginModule(mechanism)
	if err != nil {
		return "", err
	}
	if user == "" || password == "" {
		return "", invalid("user_name", "SASL needs a user name and a password")
	}
	if strings.ContainsAny(user+password, "\r\n\x00") {
		return "", invalid("password", "the user name and password must not contain line breaks or NUL")
	}
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return fmt.Sprintf("%s required username=%s password=%s;", mod, q(user), q(password)), nil
}
