package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/instances"
)

// Instance lifecycle: 5.1.1-5.1.9 and the show form of 7.2.1.1.

func (s *Server) implementInstances() {
	s.router.implement("POST", "/v2/{engine}/{project_id}/instances", http.HandlerFunc(s.createInstance))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances", http.HandlerFunc(s.createInstance)) // SDK CreatePostPaidKafkaInstance
	s.router.implement("GET", "/v2/{project_id}/instances", http.HandlerFunc(s.listInstances))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}", http.HandlerFunc(s.showInstance))
	s.router.implement("GET", "/v2/{engine}/{project_id}/instances/{instance_id}", http.HandlerFunc(s.showInstance)) // 7.2.1.1
	s.router.implement("DELETE", "/v2/{project_id}/instances/{instance_id}", http.HandlerFunc(s.deleteInstance))
	s.router.implement("PUT", "/v2/{project_id}/instances/{instance_id}", http.HandlerFunc(s.updateInstance))
	s.router.implement("POST", "/v2/{project_id}/instances/action", http.HandlerFunc(s.batchInstances))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/configs", http.HandlerFunc(s.showConfigs))
	s.router.implement("PUT", "/v2/{project_id}/instances/{instance_id}/configs", http.HandlerFunc(s.modifyConfigs))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances/{instance_id}/upgrade", http.HandlerFunc(s.upgradeInstance))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/management/cluster", http.HandlerFunc(s.showCluster))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/management/coordinators", http.HandlerFunc(s.showCoordinators))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/manage/cluster", http.HandlerFunc(s.showKafkaCluster)) // SDK ShowKafkaCluster
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/ces-hierarchy", http.HandlerFunc(s.showCesHierarchy))
	s.implementInstancesV1()
	s.implementExtend()
}

func (s *Server) createInstance(w http.ResponseWriter, r *http.Request) {
	var req instances.CreateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	in, err := s.instances.Create(r.Context(), r.PathValue("project_id"), instances.ActorOf(principal(r)), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"instance_id": in.ID})
}

// pageParams reads offset/limit query strings: offset >= 0, limit 1..maxLimit (default def).
// sortParams reads sort_key (one of keys, or none) and sort_dir (asc or desc): the OpenDMS
// extension with which the console sorts the lists of 5.1.2, 5.5.3 and 5.6.2 on the server, before
// paging. The reference has no sorting; without them each list keeps its order.
func sortParams(r *http.Request, keys []string) (key string, desc bool, err error) {
	q := r.URL.Query()
	if key = q.Get("sort_key"); key != "" && !slices.Contains(keys, key) {
		return "", false, invalidParam("sort_key must be one of %s", strings.Join(keys, ", "))
	}
	switch q.Get("sort_dir") {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return "", false, invalidParam("sort_dir must be asc or desc")
	}
	return key, desc, nil
}

func pageParams(r *http.Request, def, maxLimit int) (offset, limit int, err error) {
	q := r.URL.Query()
	offset, limit = 0, def
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, invalidParam("offset must be an integer >= 0")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxLimit {
			return 0, 0, invalidParam("limit must be an integer from 1 to %d", maxLimit)
		}
	}
	return offset, limit, nil
}

func page[T any](items []T, offset, limit int) []T {
	if offset >= len(items) {
		return []T{}
	}
	return items[offset:min(offset+limit, len(items))]
}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("engine"); e != "" && e != "kafka" {
		writeError(w, r, dms.Errorf(dms.CodeUnsupportedType, "Unsupported engine %q: this service serves kafka.", e))
		return
	}
	offset, limit, err := pageParams(r, 10, 50)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := instances.Filter{Name: q.Get("name"), ExactName: q.Get("exact_match_name") == "true", InstanceID: q.Get("instance_id"),
		Status: q.Get("status"), IncludeFailure: q.Get("include_failure") == "true"}
	// sort_key and sort_dir are an OpenDMS extension (the console sorts its list on the server);
	// the reference has no sorting, and without them the order is the reference's (oldest first).
	if f.SortKey, f.SortDesc, err = sortParams(r, instances.SortKeys); err != nil {
		writeError(w, r, err)
		return
	}
	matched, _, err := s.instances.List(r.Context(), r.PathValue("project_id"), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	matched = scopedInstances(r, matched)
	views := make([]instanceView, 0, limit)
	for _, in := range page(matched, offset, limit) {
		v := s.instanceView(in)
		v.ManagementConnectAddress = s.managementAddress(r, in)
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"instances": views, "instance_num": len(matched)})
}

func (s *Server) showInstance(w http.ResponseWriter, r *http.Request) {
	in, err := s.instances.Get(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	v := s.instanceView(in)
	v.ManagementConnectAddress = s.managementAddress(r, in)
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request) {
	if err := s.instances.Delete(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r))); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) updateInstance(w http.ResponseWriter, r *http.Request) {
	var req instances.UpdateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.instances.Update(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// batchInstances serves 5.1.6 and 7.1.1.5 (which spells all_failure allFailure; both are accepted).
func (s *Server) batchInstances(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Instances    []string `json:"instances"`
		Action       string   `json:"action"`
		AllFailure   string   `json:"all_failure"`
		AllFailureV1 string   `json:"allFailure"`
		ForceDelete  bool     `json:"force_delete"` // the SDK may send it; deletion is always complete here
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.AllFailure == "" {
		req.AllFailure = req.AllFailureV1
	}
	// permissions.tsv: restart needs dms:instance:modifyStatus (checked by the route), delete needs
	// dms:instance:delete.
	if req.Action == "delete" {
		if err := s.iam.Authorize(r.Context(), principal(r), r.PathValue("project_id"), "dms:instance:delete"); err != nil {
			writeError(w, r, err)
			return
		}
	}
	results, all, err := s.instances.BatchAction(r.Context(), r.PathValue("project_id"), instances.ActorOf(principal(r)), req.Action, req.Instances, req.AllFailure)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if all {
		w.WriteHeader(http.StatusNoContent) // every failed creation deleted (all_failure=kafka)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": nonNil(results)})
}

func (s *Server) showConfigs(w http.ResponseWriter, r *http.Request) {
	vs, err := s.instances.Configs(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	type config struct {
		Name         string `json:"name"`
		ValidValues  string `json:"valid_values"`
		DefaultValue string `json:"default_value"`
		ConfigType   string `json:"config_type"`
		Value        string `json:"value"`
		ValueType    string `json:"value_type"`
	}
	out := make([]config, 0, len(vs))
	for _, v := range vs {
		kind := "static"
		if v.Dynamic {
			kind = "dynamic"
		}
		out = append(out, config{Name: v.Name, ValidValues: v.ValidValues, DefaultValue: v.Default, ConfigType: kind, Value: v.Value, ValueType: v.ValueType})
	}
	writeJSON(w, http.StatusOK, map[string]any{"kafka_configs": out})
}

func (s *Server) modifyConfigs(w http.ResponseWriter, r *http.Request) {
	var req struct {
		KafkaConfigs []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"kafka_configs"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	changes := map[string]string{}
	for _, c := range req.KafkaConfigs {
		if _, dup := changes[c.Name]; dup {
			writeError(w, r, dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter %s: named twice.", c.Name))
			return
		}
		changes[c.Name] = c.Value
	}
	res, err := s.instances.ModifyConfigs(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), changes)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_id": res.Task.ID, "dynamic_config": res.Dynamic, "static_config": res.Static})
}

func (s *Server) upgradeInstance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IsSchedule bool  `json:"is_schedule"`
		ExecuteAt  int64 `json:"execute_at"`
	}
	if len(readBody(r)) > 0 {
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
	}
	var id string
	switch {
	case req.IsSchedule:
		// At execute_at, or without it at the start of the next maintenance window; the answer is
		// the scheduled task's id.
		var at time.Time
		if req.ExecuteAt != 0 {
			at = time.UnixMilli(req.ExecuteAt)
		}
		st, err := s.instances.ScheduleUpgrade(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), at)
		if err != nil {
			writeError(w, r, err)
			return
		}
		id = st.ID
	case req.ExecuteAt != 0:
		writeError(w, r, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: execute_at is taken only with is_schedule true."))
		return
	default:
		t, err := s.instances.Upgrade(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)))
		if err != nil {
			writeError(w, r, err)
			return
		}
		id = t.ID
	}
	// The reference answers with the bare task id, not JSON (the SDK takes the whole body as a string).
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, id)
}

// showCluster is 5.2.6. It reads what ShowKafkaCluster (manage/cluster) reads, so both agree:
// version is the engine_version (the reference's example shows "1.1.0" there), kafka_version the
// Kafka build that serves it.
func (s *Server) showCluster(w http.ResponseWriter, r *http.Request) {
	kc, err := s.instances.KafkaCluster(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	type broker struct {
		Host         string `json:"host"`
		Port         int32  `json:"port"`
		BrokerID     string `json:"broker_id"`
		IsController bool   `json:"is_controller"`
		Version      string `json:"version"`
		KafkaVersion string `json:"kafka_version"`
		RegisterTime int64  `json:"register_time"`
		IsHealth     bool   `json:"is_health"`
	}
	brokers := make([]broker, 0, len(kc.Brokers))
	for _, b := range kc.Brokers {
		brokers = append(brokers, broker{Host: b.Host, Port: b.Port, BrokerID: strconv.Itoa(int(b.ID)), IsController: b.IsController,
			Version: kc.EngineVersion, KafkaVersion: kc.KafkaVersion, RegisterTime: b.RegisterTime, IsHealth: b.Healthy})
	}
	writeJSON(w, http.StatusOK, map[string]any{"cluster": map[string]any{
		"controller": strconv.Itoa(int(kc.ControllerID)), "brokers": brokers, "topics_count": kc.Topics,
		"partitions_count": kc.Partitions, "online_partitions_count": kc.OnlinePartitions, "replicas_count": kc.Replicas,
		"isr_replicas_count": kc.ISRReplicas, "consumers_count": kc.ConsumerGroups,
	}})
}

func (s *Server) showCoordinators(w http.ResponseWriter, r *http.Request) {
	cs, err := s.instances.Coordinators(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	type coordinator struct {
		GroupID string `json:"group_id"`
		ID      int32  `json:"id"`
		Host    string `json:"host"`
		Port    int32  `json:"port"`
	}
	out := make([]coordinator, 0, len(cs))
	for _, c := range cs {
		out = append(out, coordinator{GroupID: c.GroupID, ID: c.ID, Host: c.Host, Port: c.Port})
	}
	writeJSON(w, http.StatusOK, map[string]any{"coordinators": out})
}

func (s *Server) showCesHierarchy(w http.ResponseWriter, r *http.Request) {
	h, err := s.instances.CesHierarchy(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// portProtocols is ShowInstanceResp.port_protocols (an object; the reference's example sends a
// JSON-encoded string there, which the SDK cannot decode).
type portProtocols struct {
	PrivatePlainEnable             bool   `json:"private_plain_enable"`
	PrivatePlainAddress            string `json:"private_plain_address"`
	PrivatePlainDomainName         string `json:"private_plain_domain_name"`
	PrivateSASLSSLEnable           bool   `json:"private_sasl_ssl_enable"`
	PrivateSASLSSLAddress          string `json:"private_sasl_ssl_address"`
	PrivateSASLSSLDomainName       string `json:"private_sasl_ssl_domain_name"`
	PrivateSASLPlaintextEnable     bool   `json:"private_sasl_plaintext_enable"`
	PrivateSASLPlaintextAddress    string `json:"private_sasl_plaintext_address"`
	PrivateSASLPlaintextDomainName string `json:"private_sasl_plaintext_domain_name"`
	PublicPlainEnable              bool   `json:"public_plain_enable"`
	PublicPlainAddress             string `json:"public_plain_address"`
	PublicPlainDomainName          string `json:"public_plain_domain_name"`
	PublicSASLSSLEnable            bool   `json:"public_sasl_ssl_enable"`
	PublicSASLSSLAddress           string `json:"public_sasl_ssl_address"`
	PublicSASLSSLDomainName        string `json:"public_sasl_ssl_domain_name"`
	PublicSASLPlaintextEnable      bool   `json:"public_sasl_plaintext_enable"`
	PublicSASLPlaintextAddress     string `json:"public_sasl_plaintext_address"`
	PublicSASLPlaintextDomainName  string `json:"public_sasl_plaintext_domain_name"`
}

// instanceView is ShowInstanceResp with the Go SDK's field names and JSON types (sdk-compat.md 4.3):
// created_at, partition_num, engine_version, cross_vpc_info and public_access_enabled are strings;
// port_protocols is an object.
type instanceView struct {
	Name                          string        `json:"name"`
	Engine                        string        `json:"engine"`
	EngineVersion                 string        `json:"engine_version"`
	Description                   string        `json:"description"`
	Specification                 string        `json:"specification"`
	StorageSpace                  int32         `json:"storage_space"`
	PartitionNum                  string        `json:"partition_num"`
	UsedStorageSpace              int32         `json:"used_storage_space"`
	DNSEnable                     bool          `json:"dns_enable"`
	ConnectAddress                string        `json:"connect_address"`
	Port                          int32         `json:"port"`
	Status                        string        `json:"status"`
	InstanceID                    string        `json:"instance_id"`
	ResourceSpecCode              string        `json:"resource_spec_code"`
	ChargingMode                  int32         `json:"charging_mode"`
	VpcID                         string        `json:"vpc_id"`
	VpcName                       string        `json:"vpc_name"`
	CreatedAt                     string        `json:"created_at"`
	SubnetName                    string        `json:"subnet_name"`
	SubnetCidr                    string        `json:"subnet_cidr"`
	UserID                        string        `json:"user_id"`
	UserName                      string        `json:"user_name"`
	AccessUser                    string        `json:"access_user"`
	OrderID                       string        `json:"order_id"`
	MaintainBegin                 string        `json:"maintain_begin"`
	MaintainEnd                   string        `json:"maintain_end"`
	EnablePublicIP                bool          `json:"enable_publicip"`
	ManagementConnectAddress      string        `json:"management_connect_address"`
	SSLEnable                     bool          `json:"ssl_enable"`
	BrokerSSLEnable               bool          `json:"broker_ssl_enable"`
	KafkaSecurityProtocol         string        `json:"kafka_security_protocol"`
	SASLEnabledMechanisms         []string      `json:"sasl_enabled_mechanisms"`
	SSLTwoWayEnable               bool          `json:"ssl_two_way_enable"`
	CertReplaced                  bool          `json:"cert_replaced"`
	PublicManagementConnectAddr   string        `json:"public_management_connect_address"`
	EnterpriseProjectID           string        `json:"enterprise_project_id"`
	IsLogicalVolume               bool          `json:"is_logical_volume"`
	ExtendTimes                   int32         `json:"extend_times"`
	EnableAutoTopic               bool          `json:"enable_auto_topic"`
	Type                          string        `json:"type"`
	ProductID                     string        `json:"product_id"`
	SecurityGroupID               string        `json:"security_group_id"`
	SecurityGroupName             string        `json:"security_group_name"`
	SubnetID                      string        `json:"subnet_id"`
	AvailableZones                []string      `json:"available_zones"`
	AvailableZoneNames            []string      `json:"available_zone_names"`
	TotalStorageSpace             int32         `json:"total_storage_space"`
	PublicConnectAddress          string        `json:"public_connect_address"`
	PublicConnectDomainName       string        `json:"public_connect_domain_name"`
	StorageResourceID             string        `json:"storage_resource_id"`
	StorageSpecCode               string        `json:"storage_spec_code"`
	ServiceType                   string        `json:"service_type"`
	StorageType                   string        `json:"storage_type"`
	RetentionPolicy               string        `json:"retention_policy"`
	KafkaPublicStatus             string        `json:"kafka_public_status"`
	PublicBandwidth               int32         `json:"public_bandwidth"`
	EnableLogCollection           bool          `json:"enable_log_collection"`
	NewAuthCert                   bool          `json:"new_auth_cert"`
	CrossVpcInfo                  string        `json:"cross_vpc_info"`
	PublicCrossVpcInfo            string        `json:"public_cross_vpc_info"`
	IPv6Enable                    bool          `json:"ipv6_enable"`
	IPv6ConnectAddresses          []string      `json:"ipv6_connect_addresses"`
	ConnectorEnable               bool          `json:"connector_enable"`
	ConnectorNodeNum              int32         `json:"connector_node_num"`
	ConnectorID                   string        `json:"connector_id"`
	RestEnable                    bool          `json:"rest_enable"`
	RestConnectAddress            string        `json:"rest_connect_address"`
	PublicBoundwidth              int32         `json:"public_boundwidth"`
	MessageQueryInstEnable        bool          `json:"message_query_inst_enable"`
	VpcClientPlain                bool          `json:"vpc_client_plain"`
	SupportFeatures               string        `json:"support_features"`
	TraceEnable                   bool          `json:"trace_enable"`
	AgentEnable                   bool          `json:"agent_enable"`
	PodConnectAddress             string        `json:"pod_connect_address"`
	DiskEncrypted                 bool          `json:"disk_encrypted"`
	DiskEncryptedKey              string        `json:"disk_encrypted_key"`
	KafkaPrivateConnectAddress    string        `json:"kafka_private_connect_address"`
	KafkaPrivateConnectDomainName string        `json:"kafka_private_connect_domain_name"`
	CesVersion                    string        `json:"ces_version"`
	PublicAccessEnabled           string        `json:"public_access_enabled"`
	NodeNum                       int32         `json:"node_num"`
	PortProtocols                 portProtocols `json:"port_protocols"`
	EnableACL                     bool          `json:"enable_acl"`
	NewSpecBillingEnable          bool          `json:"new_spec_billing_enable"`
	BrokerNum                     int32         `json:"broker_num"`
	Tags                          []dms.Tag     `json:"tags"`
	DrEnable                      bool          `json:"dr_enable"`
	// OpenDMS says what runs the instance and why it is in ERROR; SDKs ignore unknown fields.
	OpenDMS openDMSInfo `json:"opendms"`
}

type openDMSInfo struct {
	Engine       string              `json:"engine"`
	KafkaVersion string              `json:"kafka_version"`
	StatusReason string              `json:"status_reason,omitempty"`
	Capabilities engine.Capabilities `json:"capabilities"`
	// Capacity says what the capacity policy does now (produce refused, and why); absent when
	// nothing is in effect.
	Capacity *dms.CapacityState `json:"capacity,omitempty"`
}

// crossVpcEntry is one broker in cross_vpc_info (a JSON document carried as a string), keyed by its
// listener IP. port is a number: the reference's examples disagree (9011 and "9011"), and the
// huaweicloud Terraform provider stores it in an integer attribute, which fails on a string.
type crossVpcEntry struct {
	AdvertisedIP string `json:"advertised_ip"`
	BrokerID     int    `json:"broker_id"`
	Port         int    `json:"port"`
	PortID       string `json:"port_id"`
}

func (s *Server) instanceView(in dms.Instance) instanceView {
	cat := s.instances.Catalog()
	spec, partitions := in.ProductID, 0
	if p, ok := cat.Product(in.ProductID); ok {
		spec = fmt.Sprintf("%dvCPUs %dGB * %d", p.VCPUs, p.MemoryGB, in.BrokerNum)
		partitions = p.MaxPartitionPerBroker * in.BrokerNum
	}
	if in.LegacySpecification != "" {
		spec, partitions = in.LegacySpecification, in.LegacyPartitionNum
	}
	var hosts, plainAddrs, saslAddrs, publicPlainAddrs, publicSASLAddrs []string
	crossVpc := map[string]crossVpcEntry{}
	for _, b := range instances.ServingBrokers(in) {
		hosts = append(hosts, b.Host)
		plainAddrs = append(plainAddrs, fmt.Sprintf("%s:%d", b.Host, engine.PortPlaintext))
		saslAddrs = append(saslAddrs, fmt.Sprintf("%s:%d", b.Host, engine.PortSASLPrivate))
		// There is no public address pool: the public listeners bind the broker's own IP on the
		// public ports (instances.listeners), so that is where public clients connect.
		publicPlainAddrs = append(publicPlainAddrs, fmt.Sprintf("%s:%d", b.Host, engine.PortPublicPlain))
		publicSASLAddrs = append(publicSASLAddrs, fmt.Sprintf("%s:%d", b.Host, engine.PortPublicSASL))
		// The port clients reach this broker at: a SASL-only instance has nothing on 9092.
		crossVpc[b.Host] = crossVpcEntry{AdvertisedIP: b.Host, BrokerID: int(b.ID), Port: int(instances.ClientPort(in))}
	}
	crossVpcJSON, _ := json.Marshal(crossVpc)
	var azNames []string
	for _, id := range in.AvailableZones {
		if az, ok := cat.AZ(id); ok {
			azNames = append(azNames, az.Name)
		}
	}
	pp := in.AccessModes()
	ports := portProtocols{
		PrivatePlainEnable: pp.PrivatePlainEnable, PrivateSASLSSLEnable: pp.PrivateSASLSSLEnable,
		PrivateSASLPlaintextEnable: pp.PrivateSASLPlaintextEnable, PublicPlainEnable: pp.PublicPlainEnable,
		PublicSASLSSLEnable: pp.PublicSASLSSLEnable, PublicSASLPlaintextEnable: pp.PublicSASLPlaintextEnable,
	}
	if pp.PrivatePlainEnable {
		ports.PrivatePlainAddress = strings.Join(plainAddrs, ",")
	}
	if pp.PrivateSASLSSLEnable {
		ports.PrivateSASLSSLAddress = strings.Join(saslAddrs, ",")
	}
	if pp.PrivateSASLPlaintextEnable {
		ports.PrivateSASLPlaintextAddress = strings.Join(saslAddrs, ",")
	}
	if pp.PublicPlainEnable {
		ports.PublicPlainAddress = strings.Join(publicPlainAddrs, ",")
	}
	if pp.PublicSASLSSLEnable {
		ports.PublicSASLSSLAddress = strings.Join(publicSASLAddrs, ",")
	}
	if pp.PublicSASLPlaintextEnable {
		ports.PublicSASLPlaintextAddress = strings.Join(publicSASLAddrs, ",")
	}
	usedGB := int32(s.instances.UsedStorageGB(in.ID))
	mechs := in.SASLMechanisms
	if mechs == nil {
		mechs = []string{}
	}
	return instanceView{
		Name: in.Name, Engine: "kafka", EngineVersion: in.EngineVer, Description: in.Description, Specification: spec,
		StorageSpace: int32(in.StorageSpace), PartitionNum: strconv.Itoa(partitions), UsedStorageSpace: usedGB,
		ConnectAddress: strings.Join(hosts, ","), Port: instances.ClientPort(in), Status: in.Status, InstanceID: in.ID,
		ChargingMode: int32(in.ChargingMode), VpcID: in.VpcID, VpcName: in.VpcID, CreatedAt: strconv.FormatInt(in.CreatedAt.UnixMilli(), 10),
		SubnetName: in.SubnetID, UserID: in.CreatedBy, UserName: in.CreatedByName, AccessUser: in.AccessUser,
		MaintainBegin: in.MaintainBegin, MaintainEnd: in.MaintainEnd, EnablePublicIP: in.EnablePublicIP, SSLEnable: in.SSLEnable,
		KafkaSecurityProtocol: in.KafkaSecurityProtocol, SASLEnabledMechanisms: mechs, EnterpriseProjectID: in.EnterpriseProjectID,
		IsLogicalVolume: true, EnableAutoTopic: in.EnableAutoTopic, Type: "cluster", ProductID: in.ProductID,
		SecurityGroupID: in.SecurityGroupID, SecurityGroupName: in.SecurityGroupID, SubnetID: in.SubnetID,
		AvailableZones: nonNil(in.AvailableZones), AvailableZoneNames: nonNil(azNames), TotalStorageSpace: int32(in.StorageSpace),
		StorageResourceID: in.ID, StorageSpecCode: in.StorageSpecCode, ServiceType: "advanced", StorageType: "hec",
		RetentionPolicy: in.RetentionPolicy, KafkaPublicStatus: "closed", CrossVpcInfo: string(crossVpcJSON),
		IPv6Enable: in.IPv6Enable, IPv6ConnectAddresses: []string{}, ConnectorEnable: in.ConnectorEnable,
		MessageQueryInstEnable: true, VpcClientPlain: in.VpcClientPlain, DiskEncrypted: in.DiskEncrypted,
		DiskEncryptedKey: in.DiskEncryptedKey, KafkaPrivateConnectAddress: strings.Join(plainAddrs, ","), CesVersion: "linux",
		PublicAccessEnabled: "false", NodeNum: int32(in.BrokerNum), PortProtocols: ports, NewSpecBillingEnable: true,
		BrokerNum: int32(in.BrokerNum), Tags: nonNil(in.Tags), ConnectorNodeNum: connectorNodes(in), ConnectorID: connectorID(in),
		OpenDMS: openDMSInfo{Engine: in.Runtime, KafkaVersion: in.KafkaVersion, StatusReason: in.StatusReason, Capabilities: s.instances.Capabilities(in), Capacity: in.Capacity},
	}
}

// connectorNodes and connectorID are the instance's Smart Connect as 5.1.3 shows it.
func connectorNodes(in dms.Instance) int32 {
	if in.Connector == nil {
		return 0
	}
	return int32(in.Connector.NodeCount)
}

func connectorID(in dms.Instance) string {
	if in.Connector == nil {
		return ""
	}
	return in.Connector.ID
}
