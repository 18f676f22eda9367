package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Kafka instances (API reference 5.1.1-5.1.8) and their background tasks (5.9.1-5.9.2).
//
// Only the fields a command-line client shows are decoded; the server sends more (see
// ShowInstanceResp of 5.1.3), which Do returns whole.

// Instance statuses (shared/seed/instance-statuses.tsv).
const (
	InstanceCreating   = "CREATING"
	InstanceRunning    = "RUNNING"
	InstanceError      = "ERROR"
	InstanceRestarting = "RESTARTING"
	InstanceUpgrading  = "UPGRADING"
	InstanceExtending  = "EXTENDING"
)

// Background task statuses (5.9).
const (
	TaskCreated   = "CREATED"
	TaskExecuting = "EXECUTING"
	TaskSuccess   = "SUCCESS"
	TaskFailed    = "FAILED"
)

// PollInterval is how often the Wait helpers ask the server again. Tests may shorten it.
var PollInterval = 2 * time.Second

// Instance is a Kafka instance as 5.1.2/5.1.3 show it (the fields a CLI shows).
type Instance struct {
	InstanceID            string        `json:"instance_id"`
	Name                  string        `json:"name"`
	Description           string        `json:"description,omitempty"`
	Status                string        `json:"status"`
	Engine                string        `json:"engine,omitempty"`
	EngineVersion         string        `json:"engine_version"`
	Specification         string        `json:"specification,omitempty"`
	ProductID             string        `json:"product_id"`
	BrokerNum             int           `json:"broker_num"`
	StorageSpace          int           `json:"storage_space"`
	UsedStorageSpace      int           `json:"used_storage_space"`
	StorageSpecCode       string        `json:"storage_spec_code,omitempty"`
	ConnectAddress        string        `json:"connect_address"`
	Port                  int           `json:"port"`
	PartitionNum          string        `json:"partition_num"`
	CreatedAt             string        `json:"created_at"` // Unix epoch milliseconds, as a string
	MaintainBegin         string        `json:"maintain_begin"`
	MaintainEnd           string        `json:"maintain_end"`
	SSLEnable             bool          `json:"ssl_enable"`
	KafkaSecurityProtocol string        `json:"kafka_security_protocol"`
	EnableAutoTopic       bool          `json:"enable_auto_topic"`
	RetentionPolicy       string        `json:"retention_policy,omitempty"`
	VpcID                 string        `json:"vpc_id,omitempty"`
	SubnetID              string        `json:"subnet_id,omitempty"`
	SecurityGroupID       string        `json:"security_group_id,omitempty"`
	AvailableZones        []string      `json:"available_zones"`
	Tags                  []InstanceTag `json:"tags"`
	AccessUser            string        `json:"access_user,omitempty"`
	SASLEnabledMechanisms []string      `json:"sasl_enabled_mechanisms,omitempty"`
	// PortProtocols are the access modes with their addresses (nil from servers that send none).
	PortProtocols *PortProtocols `json:"port_protocols,omitempty"`
	// OpenDMS is OpenDMS's extension of the view; empty from other servers.
	OpenDMS InstanceRuntime `json:"opendms"`

	// Raw is the instance's JSON object as the server sent it, the fields not decoded above
	// included. MarshalJSON writes it as it is, so printing a decoded instance shows the server's
	// whole object rather than a reduced one.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the fields of Instance and keeps the whole object in Raw.
func (in *Instance) UnmarshalJSON(b []byte) error {
	type fields Instance // without the methods, so that this does not recurse
	var f fields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*in = Instance(f)
	in.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes Raw when the instance was decoded from the server, else the fields.
func (in Instance) MarshalJSON() ([]byte, error) {
	if len(in.Raw) > 0 {
		return in.Raw, nil
	}
	type fields Instance
	return json.Marshal(fields(in))
}

// PortProtocols is ShowInstanceResp.port_protocols: which access modes an instance has, and the
// brokers' addresses ("ip:port,...") of each one.
type PortProtocols struct {
	PrivatePlainEnable          bool   `json:"private_plain_enable"`
	PrivatePlainAddress         string `json:"private_plain_address"`
	PrivateSASLSSLEnable        bool   `json:"private_sasl_ssl_enable"`
	PrivateSASLSSLAddress       string `json:"private_sasl_ssl_address"`
	PrivateSASLPlaintextEnable  bool   `json:"private_sasl_plaintext_enable"`
	PrivateSASLPlaintextAddress string `json:"private_sasl_plaintext_address"`
	PublicPlainEnable           bool   `json:"public_plain_enable"`
	PublicPlainAddress          string `json:"public_plain_address"`
	PublicSASLSSLEnable         bool   `json:"public_sasl_ssl_enable"`
	PublicSASLSSLAddress        string `json:"public_sasl_ssl_address"`
	PublicSASLPlaintextEnable   bool   `json:"public_sasl_plaintext_enable"`
	PublicSASLPlaintextAddress  string `json:"public_sasl_plaintext_address"`
}

// Kafka security protocols of a listener (security.protocol of Kafka clients).
const (
	ProtocolPlaintext     = "PLAINTEXT"
	ProtocolSASLPlaintext = "SASL_PLAINTEXT"
	ProtocolSASLSSL       = "SASL_SSL"
)

// Listener names, as dmsctl's --listener takes them.
const (
	ListenerSASLSSL             = "sasl-ssl"
	ListenerSASLPlaintext       = "sasl-plaintext"
	ListenerPlaintext           = "plaintext"
	ListenerPublicSASLSSL       = "public-sasl-ssl"
	ListenerPublicSASLPlaintext = "public-sasl-plaintext"
	ListenerPublicPlaintext     = "public-plaintext"
)

// ListenerNames are every listener name, in the order Listeners returns them: the private ones
// first, the most secure first.
var ListenerNames = []string{ListenerSASLSSL, ListenerSASLPlaintext, ListenerPlaintext,
	ListenerPublicSASLSSL, ListenerPublicSASLPlaintext, ListenerPublicPlaintext}

// DMS's ports of each access mode (the addresses of port_protocols, when a server leaves one out).
const (
	portPlaintext   = 9092
	portSASLPrivate = 9093
	portPublicPlain = 9094
	portPublicSASL  = 9095
)

// Listener is one access mode of an instance: where its brokers listen and with which protocol.
type Listener struct {
	Name      string   `json:"name"`     // sasl-ssl, plaintext, public-sasl-ssl, ...
	Protocol  string   `json:"protocol"` // PLAINTEXT, SASL_PLAINTEXT or SASL_SSL
	Public    bool     `json:"public"`
	Addresses []string `json:"addresses"` // "host:port" of every broker; empty when the server published none
}

// Listeners returns the instance's enabled access modes with their addresses, in the order of
// ListenerNames. They come from port_protocols; a server that sends none (or none enabled) is read
// from the legacy fields: ssl_enable with kafka_security_protocol, the brokers at connect_address.
func (in Instance) Listeners() []Listener {
	type mode struct {
		name, protocol string
		public, on     bool
		addrs          string
		port           int
	}
	var modes []mode
	if pp := in.PortProtocols; pp != nil {
		modes = []mode{
			{ListenerSASLSSL, ProtocolSASLSSL, false, pp.PrivateSASLSSLEnable, pp.PrivateSASLSSLAddress, portSASLPrivate},
			{ListenerSASLPlaintext, ProtocolSASLPlaintext, false, pp.PrivateSASLPlaintextEnable, pp.PrivateSASLPlaintextAddress, portSASLPrivate},
			{ListenerPlaintext, ProtocolPlaintext, false, pp.PrivatePlainEnable, pp.PrivatePlainAddress, portPlaintext},
			{ListenerPublicSASLSSL, ProtocolSASLSSL, true, pp.PublicSASLSSLEnable, pp.PublicSASLSSLAddress, portPublicSASL},
			{ListenerPublicSASLPlaintext, ProtocolSASLPlaintext, true, pp.PublicSASLPlaintextEnable, pp.PublicSASLPlaintextAddress, portPublicSASL},
			{ListenerPublicPlaintext, ProtocolPlaintext, true, pp.PublicPlainEnable, pp.PublicPlainAddress, portPublicPlain},
		}
	}
	var out []Listener
	for _, m := range modes {
		if !m.on {
			continue
		}
		addrs := splitList(m.addrs)
		if len(addrs) == 0 && !m.public {
			// An enabled private mode without its addresses: DMS's port at the brokers' IPs.
			addrs = in.hostPorts(m.port)
		}
		out = append(out, Listener{Name: m.name, Protocol: m.protocol, Public: m.public, Addresses: addrs})
	}
	if len(out) > 0 {
		return out
	}
	switch {
	case in.ConnectAddress == "":
		return nil
	case !in.SSLEnable:
		port := in.Port
		if port <= 0 {
			port = portPlaintext
		}
		return []Listener{{Name: ListenerPlaintext, Protocol: ProtocolPlaintext, Addresses: in.hostPorts(port)}}
	case in.KafkaSecurityProtocol == ProtocolSASLPlaintext:
		return []Listener{{Name: ListenerSASLPlaintext, Protocol: ProtocolSASLPlaintext, Addresses: in.hostPorts(portSASLPrivate)}}
	}
	return []Listener{{Name: ListenerSASLSSL, Protocol: ProtocolSASLSSL, Addresses: in.hostPorts(portSASLPrivate)}}
}

// Listener returns the enabled listener called name; "" is the default one: the first enabled of
// sasl-ssl, sasl-plaintext and plaintext (the first public one when there is no private one).
func (in Instance) Listener(name string) (Listener, error) {
	ls := in.Listeners()
	if len(ls) == 0 {
		return Listener{}, fmt.Errorf("instance %s shows no listener (status %s)", in.Name, in.Status)
	}
	if name == "" {
		return ls[0], nil
	}
	var names []string
	for _, l := range ls {
		if l.Name == name {
			return l, nil
		}
		names = append(names, l.Name)
	}
	return Listener{}, fmt.Errorf("instance %s has no %s listener; it has %s", in.Name, name, strings.Join(names, ", "))
}

// hostPorts returns host:port of every broker of connect_address.
func (in Instance) hostPorts(port int) []string {
	var out []string
	for _, h := range splitList(in.ConnectAddress) {
		out = append(out, net.JoinHostPort(h, strconv.Itoa(port)))
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// InstanceRuntime is the "opendms" object of an instance: what runs it and why it is in ERROR.
type InstanceRuntime struct {
	Engine       string `json:"engine"`        // local or embedded
	KafkaVersion string `json:"kafka_version"` // the Kafka release engine_version maps to
	StatusReason string `json:"status_reason,omitempty"`
	// Capacity is what the capacity policy does now (absent: nothing).
	Capacity *InstanceCapacity `json:"capacity,omitempty"`
}

// InstanceCapacity is the "capacity" object of "opendms": produce requests refused by the
// retention_policy produce_reject, or what time_base cannot do, and why.
type InstanceCapacity struct {
	ProduceRejected bool   `json:"produce_rejected"`
	Reason          string `json:"reason,omitempty"`
	Since           string `json:"since,omitempty"`
}

// InstanceTag is a key/value tag of an instance (TagEntity).
type InstanceTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Created returns created_at as a time (the zero time if the server sent none or garbage).
func (in Instance) Created() time.Time {
	ms, err := strconv.ParseInt(in.CreatedAt, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Addresses returns the brokers' host:port list of connect_address and port. That port is the first
// client listener's (9093 for a SASL-only instance; older servers always sent 9092): clients that
// pick a protocol want Listeners.
func (in Instance) Addresses() []string {
	var out []string
	for _, h := range strings.Split(in.ConnectAddress, ",") {
		if h = strings.TrimSpace(h); h == "" {
			continue
		}
		if in.Port > 0 {
			h += ":" + strconv.Itoa(in.Port)
		}
		out = append(out, h)
	}
	return out
}

// CreateInstanceRequest is the body of 5.1.1. Engine defaults to "kafka".
type CreateInstanceRequest struct {
	Name                  string        `json:"name"`
	Description           string        `json:"description,omitempty"`
	Engine                string        `json:"engine"`
	EngineVersion         string        `json:"engine_version"`
	BrokerNum             int           `json:"broker_num"`
	StorageSpace          int           `json:"storage_space"`
	AccessUser            string        `json:"access_user,omitempty"`
	Password              string        `json:"password,omitempty"`
	VpcID                 string        `json:"vpc_id"`
	SecurityGroupID       string        `json:"security_group_id"`
	SubnetID              string        `json:"subnet_id"`
	AvailableZones        []string      `json:"available_zones"`
	ProductID             string        `json:"product_id"`
	MaintainBegin         string        `json:"maintain_begin,omitempty"`
	MaintainEnd           string        `json:"maintain_end,omitempty"`
	EnablePublicIP        bool          `json:"enable_publicip,omitempty"`
	PublicIPID            string        `json:"publicip_id,omitempty"`
	TenantIPs             []string      `json:"tenant_ips,omitempty"`
	SSLEnable             bool          `json:"ssl_enable,omitempty"`
	KafkaSecurityProtocol string        `json:"kafka_security_protocol,omitempty"`
	SASLEnabledMechanisms []string      `json:"sasl_enabled_mechanisms,omitempty"`
	PortProtocol          *AccessModes  `json:"port_protocol,omitempty"`
	RetentionPolicy       string        `json:"retention_policy,omitempty"`
	EnableAutoTopic       bool          `json:"enable_auto_topic,omitempty"`
	StorageSpecCode       string        `json:"storage_spec_code"`
	EnterpriseProjectID   string        `json:"enterprise_project_id,omitempty"`
	Tags                  []InstanceTag `json:"tags,omitempty"`
}

// AccessModes is 5.1.1's port_protocol: the access modes of a new instance. At most one SASL mode
// each of private and public; public modes need EnablePublicIP.
type AccessModes struct {
	PrivatePlainEnable         bool `json:"private_plain_enable"`
	PrivateSASLSSLEnable       bool `json:"private_sasl_ssl_enable"`
	PrivateSASLPlaintextEnable bool `json:"private_sasl_plaintext_enable"`
	PublicPlainEnable          bool `json:"public_plain_enable"`
	PublicSASLSSLEnable        bool `json:"public_sasl_ssl_enable"`
	PublicSASLPlaintextEnable  bool `json:"public_sasl_plaintext_enable"`
}

// CreateInstance creates an instance (5.1.1) and returns its id; the instance is CREATING until its
// cluster runs (see WaitInstance).
func (c *Client) CreateInstance(ctx context.Context, req CreateInstanceRequest) (string, error) {
	if req.Engine == "" {
		req.Engine = "kafka"
	}
	var out struct {
		InstanceID string `json:"instance_id"`
	}
	if err := c.call(ctx, http.MethodPost, "/v2/kafka/{project_id}/instances", req, &out); err != nil {
		return "", err
	}
	if out.InstanceID == "" {
		return "", errors.New("client: the server created an instance but sent no instance_id")
	}
	return out.InstanceID, nil
}

// InstanceFilter selects instances of 5.1.2. A zero Limit lists every match (paging through them).
type InstanceFilter struct {
	Name           string // substring of the name, or the whole name with ExactName
	ExactName      bool
	InstanceID     string
	Status         string
	IncludeFailure bool // include the instances whose creation failed
	Offset, Limit  int
}

// maxPage is the largest limit 5.1.2 accepts.
const maxPage = 50

// ListInstances lists the project's instances matching f.
func (c *Client) ListInstances(ctx context.Context, f InstanceFilter) ([]Instance, error) {
	q := url.Values{"engine": {"kafka"}}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("name", f.Name)
	set("instance_id", f.InstanceID)
	set("status", f.Status)
	if f.ExactName {
		q.Set("exact_match_name", "true")
	}
	if f.IncludeFailure {
		q.Set("include_failure", "true")
	}
	all := f.Limit <= 0
	offset, limit := f.Offset, f.Limit
	if all {
		limit = maxPage
	}
	out := []Instance{}
	for {
		q.Set("offset", strconv.Itoa(offset))
		q.Set("limit", strconv.Itoa(limit))
		resp, err := c.Do(ctx, http.MethodGet, "/v2/{project_id}/instances", q, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Instances   []Instance `json:"instances"`
			InstanceNum int        `json:"instance_num"`
		}
		if err := resp.Decode(&page); err != nil {
			return nil, err
		}
		out = append(out, page.Instances...)
		offset += len(page.Instances)
		if !all || len(page.Instances) == 0 || offset >= page.InstanceNum {
			return out, nil
		}
	}
}

func instancePath(id string, elems ...string) string {
	p := "/v2/{project_id}/instances/" + url.PathEscape(id)
	for _, e := range elems {
		p += "/" + url.PathEscape(e)
	}
	return p
}

// GetInstance shows an instance (5.1.3).
func (c *Client) GetInstance(ctx context.Context, id string) (*Instance, error) {
	var out Instance
	if err := c.call(ctx, http.MethodGet, instancePath(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateInstanceRequest is the body of 5.1.5: only the fields set (non-nil) change. The maintenance
// window is HH:mm:ss (or HH:mm), begin and end together.
type UpdateInstanceRequest struct {
	Name                *string `json:"name,omitempty"`
	Description         *string `json:"description,omitempty"`
	MaintainBegin       *string `json:"maintain_begin,omitempty"`
	MaintainEnd         *string `json:"maintain_end,omitempty"`
	SecurityGroupID     *string `json:"security_group_id,omitempty"`
	RetentionPolicy     *string `json:"retention_policy,omitempty"`
	EnterpriseProjectID *string `json:"enterprise_project_id,omitempty"`
}

// UpdateInstance changes an instance's information (5.1.5).
func (c *Client) UpdateInstance(ctx context.Context, id string, req UpdateInstanceRequest) error {
	return c.call(ctx, http.MethodPut, instancePath(id), req, nil)
}

// DeleteInstance deletes an instance (5.1.4). The instance disappears from the API at once while its
// resources are released in the background (see WaitInstanceDeleted).
func (c *Client) DeleteInstance(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, instancePath(id), nil, nil)
}

// InstanceActionResult is one instance's result of a batch action (5.1.6).
type InstanceActionResult struct {
	Instance string `json:"instance"`
	Result   string `json:"result"` // success | failed
}

// OK reports whether the action was accepted for the instance.
func (r InstanceActionResult) OK() bool { return r.Result == "success" }

// RestartInstances restarts instances (5.1.6 restart) and returns each one's result.
func (c *Client) RestartInstances(ctx context.Context, ids []string) ([]InstanceActionResult, error) {
	return c.batchInstances(ctx, "restart", ids)
}

// DeleteInstances deletes instances (5.1.6 delete) and returns each one's result.
func (c *Client) DeleteInstances(ctx context.Context, ids []string) ([]InstanceActionResult, error) {
	return c.batchInstances(ctx, "delete", ids)
}

// DeleteFailedInstances deletes every instance whose creation failed (5.1.6 all_failure=kafka).
func (c *Client) DeleteFailedInstances(ctx context.Context) error {
	in := map[string]string{"action": "delete", "all_failure": "kafka"}
	return c.call(ctx, http.MethodPost, "/v2/{project_id}/instances/action", in, nil)
}

func (c *Client) batchInstances(ctx context.Context, action string, ids []string) ([]InstanceActionResult, error) {
	in := struct {
		Action    string   `json:"action"`
		Instances []string `json:"instances"`
	}{action, ids}
	var out struct {
		Results []InstanceActionResult `json:"results"`
	}
	if err := c.call(ctx, http.MethodPost, "/v2/{project_id}/instances/action", in, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// InstanceConfig is a Kafka configuration of an instance (5.1.7); every value is a string.
type InstanceConfig struct {
	Name         string `json:"name"`
	Value        string `json:"value"`
	DefaultValue string `json:"default_value"`
	ConfigType   string `json:"config_type"` // static | dynamic
	ValueType    string `json:"value_type"`
	ValidValues  string `json:"valid_values"`
}

// InstanceConfigs returns an instance's Kafka configurations (5.1.7).
func (c *Client) InstanceConfigs(ctx context.Context, id string) ([]InstanceConfig, error) {
	return list[InstanceConfig](ctx, c, instancePath(id, "configs"), "kafka_configs")
}

// ConfigChange is one configuration to change (5.1.8).
type ConfigChange struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ConfigJob is the answer of 5.1.8: the task applying the changes and how many of each kind there are.
type ConfigJob struct {
	JobID         string `json:"job_id"`
	DynamicConfig int    `json:"dynamic_config"`
	StaticConfig  int    `json:"static_config"`
}

// ModifyInstanceConfigs changes an instance's Kafka configurations (5.1.8). The changes are applied
// by the background task JobID (dynamic ones live, static ones through a rolling restart).
func (c *Client) ModifyInstanceConfigs(ctx context.Context, id string, changes []ConfigChange) (*ConfigJob, error) {
	in := struct {
		KafkaConfigs []ConfigChange `json:"kafka_configs"`
	}{changes}
	var out ConfigJob
	if err := c.call(ctx, http.MethodPut, instancePath(id, "configs"), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Task is a background task of an instance (5.9): every asynchronous operation is one.
type Task struct {
	ID        string `json:"id"`
	Name      string `json:"name"` // createInstance, restartInstance, modifyInstanceConfigs, ...
	UserName  string `json:"user_name"`
	UserID    string `json:"user_id"`
	Params    string `json:"params"` // JSON text
	Status    string `json:"status"` // CREATED, EXECUTING, SUCCESS, FAILED
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	// Error is why a FAILED task failed (an OpenDMS addition).
	Error string `json:"error,omitempty"`
}

// Finished reports whether the task has ended.
func (t Task) Finished() bool { return t.Status == TaskSuccess || t.Status == TaskFailed }

// TaskFilter selects tasks of 5.9.1 (zero values select everything).
type TaskFilter struct {
	Start string    // the task id to start from
	Limit int       // at most this many tasks
	Begin time.Time // created at or after
	End   time.Time // created at or before
}

// taskQuery is the query of the task lists (background and scheduled): start, limit, and
// begin_time/end_time as YYYYMMDDHHmmss in UTC.
func taskQuery(start string, limit int, begin, end time.Time) url.Values {
	q := url.Values{}
	if start != "" {
		q.Set("start", start)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if !begin.IsZero() {
		q.Set("begin_time", begin.UTC().Format("20060102150405"))
	}
	if !end.IsZero() {
		q.Set("end_time", end.UTC().Format("20060102150405"))
	}
	return q
}

// ListTasks lists an instance's background tasks, newest first (5.9.1).
func (c *Client) ListTasks(ctx context.Context, instanceID string, f TaskFilter) ([]Task, error) {
	resp, err := c.Do(ctx, http.MethodGet, instancePath(instanceID, "tasks"), taskQuery(f.Start, f.Limit, f.Begin, f.End), nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Tasks []Task `json:"tasks"`
	}
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	if out.Tasks == nil {
		out.Tasks = []Task{}
	}
	return out.Tasks, nil
}

// GetTask shows one background task of an instance (5.9.2).
func (c *Client) GetTask(ctx context.Context, instanceID, taskID string) (*Task, error) {
	var out struct {
		Tasks []Task `json:"tasks"`
	}
	if err := c.call(ctx, http.MethodGet, instancePath(instanceID, "tasks", taskID), nil, &out); err != nil {
		return nil, err
	}
	if len(out.Tasks) == 0 {
		return nil, fmt.Errorf("client: the server answered no task for %s", taskID)
	}
	return &out.Tasks[0], nil
}

// WaitInstance polls an instance every PollInterval until until(instance) is true and returns it;
// progress, when not nil, sees every state polled (the first one included). It ends early on ctx's
// end or on an error of the API (a deleted instance answers 404).
func (c *Client) WaitInstance(ctx context.Context, id string, until func(Instance) bool, progress func(Instance)) (*Instance, error) {
	return poll(ctx, func() (*Instance, bool, error) {
		in, err := c.GetInstance(ctx, id)
		if err != nil {
			return nil, false, err
		}
		if progress != nil {
			progress(*in)
		}
		return in, until(*in), nil
	})
}

// WaitTask polls a background task every PollInterval until it has ended (SUCCESS or FAILED) and
// returns it; progress, when not nil, sees every state polled.
func (c *Client) WaitTask(ctx context.Context, instanceID, taskID string, progress func(Task)) (*Task, error) {
	return poll(ctx, func() (*Task, bool, error) {
		t, err := c.GetTask(ctx, instanceID, taskID)
		if err != nil {
			return nil, false, err
		}
		if progress != nil {
			progress(*t)
		}
		return t, t.Finished(), nil
	})
}

// WaitInstanceDeleted polls an instance every PollInterval until the server answers 404 for it;
// progress, when not nil, sees every state polled while it still exists.
func (c *Client) WaitInstanceDeleted(ctx context.Context, id string, progress func(Instance)) error {
	_, err := poll(ctx, func() (*Instance, bool, error) {
		in, err := c.GetInstance(ctx, id)
		if IsNotFound(err) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if progress != nil {
			progress(*in)
		}
		return in, false, nil
	})
	return err
}

// IsNotFound reports whether err is an API answer 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// poll calls check until it reports done, an error, or ctx ends, sleeping PollInterval in between.
func poll[T any](ctx context.Context, check func() (T, bool, error)) (T, error) {
	var zero T
	for {
		v, done, err := check()
		if err != nil {
			return zero, err
		}
		if done {
			return v, nil
		}
		t := time.NewTimer(PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, ctx.Err()
		case <-t.C:
		}
	}
}
