// Package engine runs the Kafka cluster behind each instance. An Engine provisions, starts, stops,
// restarts and deletes clusters; it knows nothing of the DMS API. Everything spoken to a running
// cluster over the Kafka protocol (topics, configs, readiness) lives in internal/kafkaops and is the
// same for every engine.
//
// Implementations: embedded/ (franz-go kfake clusters inside dmsd) and local/ (Apache Kafka JVM
// processes supervised by dmsd); kubernetes/ (Strimzi) later.
package engine

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"
)

// Ports every broker listens on, on its own IP (the DMS port layout). The internal and controller
// listeners carry inter-broker and KRaft traffic and are never advertised to clients.
const (
	PortPlaintext     = 9092 // private PLAINTEXT
	PortSASLPrivate   = 9093 // private SASL_PLAINTEXT or SASL_SSL
	PortPublicPlain   = 9094 // public PLAINTEXT
	PortPublicSASL    = 9095 // public SASL_*
	PortInternal      = 9090 // inter-broker
	PortController    = 9091 // KRaft controller
	DefaultClientPort = PortPlaintext
)

// Spec is everything an engine needs to run one instance's cluster. The control plane builds it from
// the instance's record; it is given again on every call so engines keep no state that could
// disagree with the metadata store.
type Spec struct {
	// InstanceID names the cluster; engines use it for directories and process identification.
	InstanceID string
	// DataDir is the directory that belongs to this cluster (created by the engine if missing, removed
	// by Delete). Everything an engine writes for the instance goes below it.
	DataDir string
	// ClusterID is the Kafka cluster id (22-character base64url UUID), fixed at creation.
	ClusterID string
	// Brokers lists the nodes, each with its own host IP. Node ids are 0..n-1 in order.
	Brokers []Broker
	// KafkaVersion is the Kafka build to run ("4.3.1"): the local engine picks the jars by it; the
	// embedded engine ignores it.
	KafkaVersion string
	// BrokerConfigs are static broker configs (server.properties entries) on top of the engine's own;
	// changing them takes a restart of each broker.
	BrokerConfigs map[string]string
	// AutoCreateTopics is auto.create.topics.enable.
	AutoCreateTopics bool
	// Resources bound the processes (local engine).
	Resources Resources
	// Listeners are the client listeners of every broker; none means PLAINTEXT on PortPlaintext
	// (instances created before listeners were configurable).
	Listeners []Listener
	// Security is how the SASL listeners authenticate and what authenticated users may do. Its
	// zero value is no SASL listener and no authorizer.
	Security Security
	// InternalTLS makes the INTERNAL (inter-broker, and dmsd's own client: ControlAddrs) and
	// CONTROLLER listeners mutual TLS with Security.TLS's CA: only the brokers (certificates named
	// BrokerCertName) and dmsd (ControlCertName) get in. Without it they are PLAINTEXT, open to any
	// process that reaches the brokers' IPs, with every right.
	InternalTLS bool
}

// The names (subject CN) of the certificates on the internal listeners: the brokers' own, and
// dmsd's client's. Kafka names a TLS client by its certificate's whole subject (RFC 2253), which
// internal/pki makes CN=<name>,O=OpenDMS: those principals are the cluster's super users. No SASL
// user can take them (SASL names hold no '=' or ',').
const (
	BrokerCertName  = "opendms-broker"
	ControlCertName = "opendms-control"
)

// CertPrincipal is the Kafka principal of a certificate named name.
func CertPrincipal(name string) string { return "User:CN=" + name + ",O=OpenDMS" }

// The security protocols of client listeners.
const (
	ProtocolPlaintext     = "PLAINTEXT"
	ProtocolSASLPlaintext = "SASL_PLAINTEXT"
	ProtocolSASLSSL       = "SASL_SSL"
)

// The SASL mechanisms an instance may enable.
const (
	MechanismPLAIN       = "PLAIN"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
)

// Listener is one client listener of every broker: Name is the Kafka listener name (unique per
// spec, e.g. "PLAINTEXT", "SASL_SSL", "PUBLIC_SASL_SSL"), on Port of each broker's own IP.
type Listener struct {
	Name     string
	Port     int
	Protocol string // ProtocolPlaintext, ProtocolSASLPlaintext or ProtocolSASLSSL
}

// Security is the authentication and authorization of a cluster with SASL listeners.
type Security struct {
	// Mechanisms are the SASL mechanisms of every SASL listener (MechanismPLAIN, MechanismSCRAMSHA512).
	Mechanisms []string
	// SuperUsers are user names with every right (the instance's administrator). With a SASL
	// listener the brokers enforce ACLs: other users can do only what they were granted.
	SuperUsers []string
	// TLS is what SASL_SSL listeners serve: the CA certificate (PEM) and each broker's keystore (an
	// unencrypted PKCS#8 key followed by its certificate chain, PEM), by broker id.
	TLS *TLS
}

// TLS is the certificates of a cluster's SSL listeners (SASL_SSL ones, and the internal ones with
// Spec.InternalTLS).
type TLS struct {
	CACertPEM []byte
	Keystores map[int32][]byte
}

// SASL reports whether spec has a SASL listener.
func (s Spec) SASL() bool {
	for _, l := range s.Listeners {
		if l.Protocol != ProtocolPlaintext {
			return true
		}
	}
	return false
}

// ClientListeners are spec's listeners, PLAINTEXT on PortPlaintext when it names none.
func (s Spec) ClientListeners() []Listener {
	if len(s.Listeners) == 0 {
		return []Listener{{Name: ProtocolPlaintext, Port: PortPlaintext, Protocol: ProtocolPlaintext}}
	}
	return s.Listeners
}

// Broker is one node of a cluster.
type Broker struct {
	ID   int32
	Host string // the broker's own IP: clients connect to Host:9092
	// BrokerOnly makes the node a KRaft broker only (process.roles=broker); the others are the
	// combined broker+controller nodes that form the static quorum (controller.quorum.voters). A
	// node's role is fixed when its storage is formatted: adding broker-only nodes never changes the
	// voters, so the controllers' configuration stays as it was.
	BrokerOnly bool
}

// Controllers are spec's controller nodes (the quorum's voters).
func (s Spec) Controllers() []Broker {
	var out []Broker
	for _, b := range s.Brokers {
		if !b.BrokerOnly {
			out = append(out, b)
		}
	}
	return out
}

// Resources bound a broker process.
type Resources struct {
	HeapMB int // JVM heap (-Xms/-Xmx); 0 means the engine's default
}

// BrokerState is what an engine knows about one broker's process.
type BrokerState struct {
	ID       int32
	Running  bool
	PID      int       // 0 for in-process brokers
	Restarts int       // crashes recovered from since dmsd started supervising
	Since    time.Time // when the current process started
	LastExit string    // how the previous process ended, if it did
}

// Capabilities say honestly what an engine's clusters can do, so the API can refuse or flag what
// an engine cannot deliver instead of pretending.
type Capabilities struct {
	Replication     bool `json:"replication"`      // real replicas and ISR (kfake keeps one copy)
	Reassignment    bool `json:"reassignment"`     // AlterPartitionReassignments moves data
	Quotas          bool `json:"quotas"`           // client quotas are enforced
	ListenerMix     bool `json:"listener_mix"`     // PLAINTEXT and SASL listeners on one cluster
	RuntimePLAIN    bool `json:"runtime_plain"`    // PLAIN users added without a restart
	ProcessRestarts bool `json:"process_restarts"` // brokers are separate processes that can be killed and restarted one by one
	// ProducerStates: DescribeProducers lists every idempotent producer (kfake lists only producers
	// inside an open transaction, so 5.5.7 shows little there).
	ProducerStates bool `json:"producer_states"`
	// SASL: SASL_PLAINTEXT and SASL_SSL listeners with enforced ACLs.
	SASL bool `json:"sasl"`
	// InternalTLS: mutual TLS on the internal listeners (Spec.InternalTLS).
	InternalTLS bool `json:"internal_tls"`
	// AddBrokers: Ensure with more brokers adds them to the running cluster (horizontal extension)
	// without restarting the others.
	AddBrokers bool `json:"add_brokers"`
	// ProduceReject: the brokers can refuse every client's produce requests on demand (the capacity
	// policy produce_reject; ProduceGate).
	ProduceReject bool `json:"produce_reject"`
	// LogSegments: a partition's segments (base offsets and sizes) can be listed (SegmentLister), so
	// time_base retention deletes whole segments exactly; without it the trim is estimated from
	// offsets and sizes.
	LogSegments bool `json:"log_segments"`
	// Connect: the engine runs Kafka Connect workers for an instance (ConnectRunner): Smart Connect.
	Connect bool `json:"connect"`
}

// Engine runs clusters.
type Engine interface {
	// Name is "local" or "embedded".
	Name() string
	// Capabilities of this engine's clusters.
	Capabilities() Capabilities
	// Ensure makes the cluster of spec exist and run: on first call it creates its storage and starts
	// every broker; later calls (after a dmsd restart, or to apply a changed spec) re-attach to or
	// start whatever is not running. It returns once the processes are started; readiness (every
	// broker registered) is checked by the caller over the Kafka protocol. Idempotent.
	Ensure(ctx context.Context, spec Spec) error
	// RestartBroker stops one broker gracefully and starts it again with spec (new configs or a new
	// Kafka build take effect this way). Engines whose brokers cannot restart one by one restart the
	// whole cluster.
	RestartBroker(ctx context.Context, spec Spec, brokerID int32) error
	// Stop stops every broker of the instance and keeps its data.
	Stop(ctx context.Context, instanceID string) error
	// Delete stops every broker and removes the cluster's data dir. Deleting an unknown instance is
	// not an error.
	Delete(ctx context.Context, spec Spec) error
	// ControlAddrs are the addresses dmsd's own Kafka client uses for spec's cluster ("ip:port" per
	// broker): a listener that needs no credentials, which clients are not given.
	ControlAddrs(spec Spec) []string
	// Status reports the brokers' processes; ErrUnknownInstance if the engine runs nothing for it.
	Status(ctx context.Context, instanceID string) ([]BrokerState, error)
	// Close stops supervising. In-process clusters are closed (their data stays); the local engine
	// leaves broker processes running so clients are not disturbed, and re-attaches on the next Ensure.
	Close() error
}

// ErrUnknownInstance is returned for an instance the engine runs nothing for.
var ErrUnknownInstance = errors.New("engine: unknown instance")

// ErrUnavailable is wrapped by errors that mean the engine cannot run clusters on this machine
// (no Java, no Kafka jars and no Maven); the message says what to install.
var ErrUnavailable = errors.New("engine unavailable")

// Addrs returns "ip:port" of every broker of spec.
func Addrs(spec Spec, port int) []string {
	out := make([]string, len(spec.Brokers))
	for i, b := range spec.Brokers {
		out[i] = net.JoinHostPort(b.Host, strconv.Itoa(port))
	}
	return out
}

// PlainUsers is implemented by engines whose clusters take PLAIN users at runtime, from a file of
// SCRAM-SHA-512 stored keys (see internal/scram): SetPlainUsers replaces the file's content on every
// broker of spec, atomically; new logins see it at once.
type PlainUsers interface {
	SetPlainUsers(ctx context.Context, spec Spec, content []byte) error
}

// AllBrokerPorts are every port a broker may listen on, on its own IP: the internal and controller
// ports, and the client ports of every access mode (a PLAINTEXT-only instance gets the SASL and
// public listeners on the same address when they are switched on later).
var AllBrokerPorts = []int{PortInternal, PortController, PortPlaintext, PortSASLPrivate, PortPublicPlain, PortPublicSASL}

// ListenFree listens on each of ports of host and closes it at once: the first failure (a
// *net.OpError naming the address; syscall.EADDRINUSE when another process holds it) says the port
// cannot be a broker's.
func ListenFree(host string, ports []int) error {
	for _, port := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		ln.Close()
	}
	return nil
}

// ProduceGate is implemented by engines whose brokers can refuse produce requests until told
// otherwise (the capacity policy produce_reject). SetProduceReject is idempotent; with reject the
// brokers answer every client's produce request with an error (which one is the engine's: see its
// doc) until it is called again without. reason is for the engine's log only.
type ProduceGate interface {
	SetProduceReject(ctx context.Context, spec Spec, reject bool, reason string) error
}

// ErrRestartNeeded is wrapped by errors of optional operations that the running brokers of an
// instance cannot do until they are restarted with the current engine's configuration.
var ErrRestartNeeded = errors.New("the brokers must be restarted first")

// Segment is one log segment of a partition replica: its base offset (the offset of its first
// record) and its size in bytes.
type Segment struct {
	Base  int64
	Bytes int64
}

// SegmentLister is implemented by engines that can list the log segments of a partition replica on
// one broker, oldest first (the last one is the active segment). The Kafka protocol does not carry
// segment boundaries; DeleteRecords frees disk only for whole segments below the new log start.
type SegmentLister interface {
	Segments(ctx context.Context, spec Spec, broker int32, topic string, partition int32) ([]Segment, error)
}

// ---- Smart Connect: Kafka Connect workers beside an instance ----

// ConnectCertName is the name (subject CN) of the Connect workers' TLS client certificate on the
// INTERNAL listener; their principal CertPrincipal(ConnectCertName) is a super user of brokers with
// Spec.InternalTLS (so SASL users and ACLs on client listeners are unaffected).
const ConnectCertName = "opendms-connect"

// PortConnectREST is each worker's REST listener, on its own pool IP. Workers must run on loopback
// IPs (127.x): the REST API serves connector configs and is never exposed beyond dmsd.
const PortConnectREST = 8083

// ConnectWorker is one Kafka Connect worker process of an instance: its id (>= 0, unique) and IP.
type ConnectWorker struct {
	ID   int32
	Host string
}

// ConnectSpec is everything an engine needs to run an instance's Kafka Connect workers (distributed
// mode, one group per instance). Like Spec it is given again on every call.
type ConnectSpec struct {
	InstanceID string
	// DataDir is the instance's Spec.DataDir; the workers live under DataDir/connect/.
	DataDir string
	// KafkaVersion picks the Connect jars (default: the engine's default version).
	KafkaVersion string
	Workers      []ConnectWorker
	// Bootstrap are the instance's INTERNAL listener addresses (Addrs(spec, PortInternal)).
	Bootstrap []string
	// TLS is the workers' client certificate for the INTERNAL listener; nil when that listener is
	// PLAINTEXT (no Spec.InternalTLS).
	TLS *ConnectTLS
	// HeapMB is each worker's maximum heap; 0 means the engine's default (512).
	HeapMB int
}

// ConnectTLS is the workers' client TLS material: the instance's CA certificate and a keystore (an
// unencrypted PKCS#8 key followed by the certificate chain, PEM, as Security.TLS's keystores) of a
// certificate named ConnectCertName.
type ConnectTLS struct {
	CACertPEM   []byte
	KeystorePEM []byte
}

// ConnectRunner is implemented by engines that run Kafka Connect workers (Capabilities.Connect).
type ConnectRunner interface {
	// EnsureConnect starts every worker of spec, or re-attaches to it after a dmsd restart; workers
	// no longer in spec are stopped. Idempotent; returns once the processes are started (readiness
	// is the REST API's: connectrest.Client.Ready). A running worker keeps its configuration until
	// it restarts.
	EnsureConnect(ctx context.Context, spec ConnectSpec) error
	// StopConnect stops the instance's workers and keeps their directories.
	StopConnect(ctx context.Context, instanceID string) error
	// DeleteConnect stops the workers (also ones not started by this engine) and removes
	// DataDir/connect. The Connect topics (ConnectTopics) stay in the cluster: the caller deletes them.
	DeleteConnect(ctx context.Context, spec ConnectSpec) error
	// ConnectStatus reports the workers' processes (BrokerState.ID is the worker id);
	// ErrUnknownInstance when the engine runs no worker for the instance.
	ConnectStatus(ctx context.Context, instanceID string) ([]BrokerState, error)
	// ConnectRESTURLs are the workers' REST base URLs ("http://host:8083"), in spec order.
	ConnectRESTURLs(spec ConnectSpec) []string
	// ConnectClientProps are the client settings (bootstrap.servers, security.protocol, ssl.* with
	// file paths) with which a connector reaches the local instance the way the workers do, e.g.
	// prefixed with "target.cluster." or "source.cluster." in MirrorMaker 2 connector configs.
	ConnectClientProps(spec ConnectSpec) map[string]string
	// WriteConnectFile writes DataDir/connect/files/<name> (mode 0600, atomically) and returns its
	// absolute path: the workers' FileConfigProvider reads secrets there, referenced from connector
	// configs as ${file:<path>:<key>} (the file in java.util.Properties format). name is
	// [A-Za-z0-9._-]+.
	WriteConnectFile(spec ConnectSpec, name string, data []byte) (path string, err error)
	// WriteConnectProps is WriteConnectFile of a java.util.Properties file of props (escaped as
	// Properties.load reads them), for secrets referenced as ${file:<path>:<key>}.
	WriteConnectProps(spec ConnectSpec, name string, props map[string]string) (path string, err error)
	// RemoveConnectFile removes DataDir/connect/files/<name>; a missing file is not an error.
	RemoveConnectFile(spec ConnectSpec, name string) error
}

// The Connect workers' group and internal topics (one Connect cluster per instance). Names under
// "__" are hidden from DMS topic listings like Kafka's own.
const (
	ConnectGroupID      = "__dms_connect"
	ConnectConfigsTopic = "__dms_connect_configs"
	ConnectOffsetsTopic = "__dms_connect_offsets"
	ConnectStatusTopic  = "__dms_connect_status"
)

// ConnectTopics are the workers' internal topics (to delete with the Connect cluster).
var ConnectTopics = []string{ConnectConfigsTopic, ConnectOffsetsTopic, ConnectStatusTopic}
