package engine

import "context"

// TEMPORARY (lead): the Connect runtime's engine API as specified to the runtime helper; replaced
// by its version in engine.go at merge.

const ConnectCertName = "opendms-connect"

const PortConnectREST = 8083

type ConnectWorker struct {
	ID   int32
	Host string
}

type ConnectSpec struct {
	InstanceID, DataDir, KafkaVersion string
	Workers                           []ConnectWorker
	Bootstrap                         []string
	TLS                               *ConnectTLS
	HeapMB                            int
}

type ConnectTLS struct{ CACertPEM, KeystorePEM []byte }

type ConnectRunner interface {
	EnsureConnect(ctx context.Context, spec ConnectSpec) error
	StopConnect(ctx context.Context, instanceID string) error
	DeleteConnect(ctx context.Context, spec ConnectSpec) error
	ConnectStatus(ctx context.Context, instanceID string) ([]BrokerState, error)
	ConnectRESTURLs(spec ConnectSpec) []string
	ConnectClientProps(spec ConnectSpec) map[string]string
	WriteConnectFile(spec ConnectSpec, name string, data []byte) (path string, err error)
	RemoveConnectFile(spec ConnectSpec, name string) error
}
