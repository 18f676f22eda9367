package instances

import (
	"context"
	"slices"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/kafkaops"
)

// The data path (producing over HTTP, message queries) of an instance whose clients need no
// credentials goes through a client of its own on the brokers' PLAINTEXT client listener rather
// than through the control client on the internal listener:
//
//   - The internal listener is mutual TLS (it grants the control plane every right), and TLS costs
//     the brokers most of their work on small requests: producing through it ran at a third of the
//     rate of the same producer on the client listener, and fetching at half (issue 11).
//   - The client listener of an instance with neither SASL nor SSL already serves anyone who can
//     reach it, with no authorizer, so dmsd's records and reads through it are what any client's
//     are, authorized by the API's own checks before.
//   - Data and control traffic no longer share connections.
//
// Instances with SASL (on any listener: the authorizer then applies to the plaintext listener's
// ANONYMOUS too) or without TLS on the internal listener keep the control client.

// dataClient is an instance's data client, and the addresses it was made for.
type dataClient struct {
	c     *kafkaops.Client
	addrs []string
}

// dataAddrs are the addresses of the listener the data path of in uses, nil for the control
// client's (see above).
func (s *Service) dataAddrs(in dms.Instance) []string {
	if !in.InternalTLS {
		return nil
	}
	pp := in.AccessModes()
	if !pp.PrivatePlainEnable || pp.PrivateSASLSSLEnable || pp.PrivateSASLPlaintextEnable || pp.PublicSASLSSLEnable || pp.PublicSASLPlaintextEnable {
		return nil
	}
	return engine.Addrs(s.spec(in), engine.PortPlaintext)
}

// retire closes a data client replaced by another once the calls still using it are over: each is
// bounded by the client's request timeout.
func retire(c *kafkaops.Client) {
	time.AfterFunc(kafkaops.DefaultRequestTimeout+time.Second, c.Close)
}

// DataClient is ClusterRef for the data path: the instance (a shared record, not to be modified)
// and the client its records are produced and read through.
func (s *Service) DataClient(ctx context.Context, projectID, id string) (*dms.Instance, *kafkaops.Client, error) {
	in, c, err := s.ClusterRef(ctx, projectID, id)
	if err != nil {
		return nil, nil, err
	}
	addrs := s.dataAddrs(*in)
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if addrs == nil {
		if dc, ok := s.dataClients[id]; ok { // made before SASL was switched on
			retire(dc.c)
			delete(s.dataClients, id)
		}
		return in, c, nil
	}
	if dc, ok := s.dataClients[id]; ok {
		if slices.Equal(dc.addrs, addrs) {
			return in, dc.c, nil
		}
		retire(dc.c) // made for other addresses (the instance's IPs changed)
		delete(s.dataClients, id)
	}
	if s.gone[id] {
		return nil, nil, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	}
	dc, err := kafkaops.Dial(addrs, kafkaops.WithLogger(s.log), kafkaops.WithClientID(kafkaops.DefaultClientID+"-data"))
	if err != nil {
		return nil, nil, dms.Internal(err)
	}
	s.dataClients[id] = dataClient{c: dc, addrs: addrs}
	return in, dc, nil
}
