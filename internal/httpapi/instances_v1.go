package httpapi

import (
	"net/http"
	"strconv"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
)

// The deprecated V1 instance APIs: 7.1.1.1-7.1.1.6 (/v1.0/{project_id}/instances...). No SDK has
// operations for them; their JSON names and types are those of the reference's tables.

func (s *Server) implementInstancesV1() {
	s.router.implement("POST", "/v1.0/{project_id}/instances", http.HandlerFunc(s.createInstanceV1))
	s.router.implement("GET", "/v1.0/{project_id}/instances/{instance_id}", http.HandlerFunc(s.showInstanceV1))
	s.router.implement("PUT", "/v1.0/{project_id}/instances/{instance_id}", http.HandlerFunc(s.updateInstanceV1))
	s.router.implement("DELETE", "/v1.0/{project_id}/instances/{instance_id}", http.HandlerFunc(s.deleteInstance)) // 7.1.1.4 = 5.1.4
	s.router.implement("POST", "/v1.0/{project_id}/instances/action", http.HandlerFunc(s.batchInstances))
	s.router.implement("GET", "/v1.0/{project_id}/instances", http.HandlerFunc(s.listInstancesV1))
}

func (s *Server) createInstanceV1(w http.ResponseWriter, r *http.Request) {
	var req instances.V1CreateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	in, err := s.instances.CreateV1(r.Context(), r.PathValue("project_id"), instances.ActorOf(principal(r)), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"instance_id": in.ID})
}

func (s *Server) showInstanceV1(w http.ResponseWriter, r *http.Request) {
	in, err := s.instances.Get(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	v := s.instanceViewV1(in, true)
	v.ManagementConnectAddress = s.managementAddress(r, in)
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) updateInstanceV1(w http.ResponseWriter, r *http.Request) {
	var req instances.UpdateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.instances.UpdateV1(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listInstancesV1 is 7.1.1.6. Its filters are engine, name (fuzzy unless exactMatchName=true), id,
// status, includeFailure (true: instances whose creation failed are listed too) and
// enterprise_project_id. The table has no paging, but the reference's example sends start=1&limit=10:
// start is the 1-based position of the first instance returned (default 1) and limit the most
// returned (1-1000; default all). instance_num counts every match.
func (s *Server) listInstancesV1(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("engine"); e != "" && e != "kafka" {
		writeError(w, r, dms.Errorf(dms.CodeUnsupportedType, "Unsupported engine %q: this service serves kafka.", e))
		return
	}
	start, limit := 1, -1
	if v := q.Get("start"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, r, invalidParam("start must be an integer >= 1"))
			return
		}
		start = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, r, invalidParam("limit must be an integer from 1 to 1000"))
			return
		}
		limit = n
	}
	f := instances.V1Filter{
		Filter: instances.Filter{Name: q.Get("name"), ExactName: q.Get("exactMatchName") == "true", InstanceID: q.Get("id"),
			Status: q.Get("status"), IncludeFailure: q.Get("includeFailure") == "true"},
		EnterpriseProjectID: q.Get("enterprise_project_id"),
	}
	matched, err := s.instances.ListV1(r.Context(), r.PathValue("project_id"), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	matched = scopedInstances(r, matched)
	if limit < 0 {
		limit = len(matched)
	}
	views := []instanceViewV1{}
	for _, in := range page(matched, start-1, limit) {
		v := s.instanceViewV1(in, false)
		v.ManagementConnectAddress = s.managementAddress(r, in)
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"instances": views, "instance_num": len(matched)})
}

// instanceViewV1 is the instance of 7.1.1.2 (Table 7-7) and of 7.1.1.6's list (Table 7-22, the same
// without subnet_name and subnet_cidr), with the tables' JSON types: partition_num and created_at
// (ms) are strings. The table names the addresses connect_addresses, its example connect_address:
// both are sent. description (settable by 7.1.1.3) and the example-only connect_dn, connector_enable,
// connector_id and agent_enable are sent too.
type instanceViewV1 struct {
	Name                       string    `json:"name"`
	Description                string    `json:"description"`
	Engine                     string    `json:"engine"`
	EngineVersion              string    `json:"engine_version"`
	Specification              string    `json:"specification"`
	StorageSpace               int32     `json:"storage_space"`
	PartitionNum               string    `json:"partition_num"`
	UsedStorageSpace           int32     `json:"used_storage_space"`
	ConnectAddress             string    `json:"connect_address"`
	ConnectAddresses           string    `json:"connect_addresses"`
	ConnectDN                  string    `json:"connect_dn"`
	Port                       int32     `json:"port"`
	Status                     string    `json:"status"`
	InstanceID                 string    `json:"instance_id"`
	ResourceSpecCode           string    `json:"resource_spec_code"`
	Type                       string    `json:"type"`
	ChargingMode               int32     `json:"charging_mode"`
	VpcID                      string    `json:"vpc_id"`
	VpcName                    string    `json:"vpc_name"`
	CreatedAt                  string    `json:"created_at"`
	ProductID                  string    `json:"product_id"`
	SecurityGroupID            string    `json:"security_group_id"`
	SecurityGroupName          string    `json:"security_group_name"`
	SubnetID                   string    `json:"subnet_id"`
	SubnetName                 *string   `json:"subnet_name,omitempty"` // 7.1.1.2 only
	SubnetCidr                 *string   `json:"subnet_cidr,omitempty"` // 7.1.1.2 only
	AvailableZones             []string  `json:"available_zones"`
	UserID                     string    `json:"user_id"`
	UserName                   string    `json:"user_name"`
	AccessUser                 string    `json:"access_user"`
	OrderID                    string    `json:"order_id"`
	MaintainBegin              string    `json:"maintain_begin"`
	MaintainEnd                string    `json:"maintain_end"`
	EnablePublicIP             bool      `json:"enable_publicip"`
	ManagementConnectAddress   string    `json:"management_connect_address"`
	SSLEnable                  bool      `json:"ssl_enable"`
	EnterpriseProjectID        string    `json:"enterprise_project_id"`
	IsLogicalVolume            bool      `json:"is_logical_volume"`
	ExtendTimes                int32     `json:"extend_times"`
	EnableAutoTopic            bool      `json:"enable_auto_topic"`
	TotalStorageSpace          int32     `json:"total_storage_space"`
	StorageResourceID          string    `json:"storage_resource_id"`
	StorageSpecCode            string    `json:"storage_spec_code"`
	ServiceType                string    `json:"service_type"`
	StorageType                string    `json:"storage_type"`
	RetentionPolicy            string    `json:"retention_policy"`
	KafkaPublicStatus          string    `json:"kafka_public_status"`
	PublicBandwidth            int32     `json:"public_bandwidth"`
	PublicConnectAddress       string    `json:"public_connect_address"`
	KafkaManagerUser           string    `json:"kafka_manager_user"`
	EnableLogCollection        bool      `json:"enable_log_collection"`
	CrossVpcInfo               string    `json:"cross_vpc_info"`
	IPv6Enable                 bool      `json:"ipv6_enable"`
	IPv6ConnectAddresses       []string  `json:"ipv6_connect_addresses"`
	ConnectorEnable            bool      `json:"connector_enable"`
	ConnectorID                string    `json:"connector_id"`
	RestEnable                 bool      `json:"rest_enable"`
	RestConnectAddress         string    `json:"rest_connect_address"`
	MessageQueryInstEnable     bool      `json:"message_query_inst_enable"`
	VpcClientPlain             bool      `json:"vpc_client_plain"`
	SupportFeatures            string    `json:"support_features"`
	TraceEnable                bool      `json:"trace_enable"`
	AgentEnable                bool      `json:"agent_enable"`
	PodConnectAddress          string    `json:"pod_connect_address"`
	DiskEncrypted              bool      `json:"disk_encrypted"`
	KafkaPrivateConnectAddress string    `json:"kafka_private_connect_address"`
	CesVersion                 string    `json:"ces_version"`
	Tags                       []dms.Tag `json:"tags"`
}

// instanceViewV1 builds the V1 view from the V2 one (the fields they share mean the same), then puts
// back what V1 shows differently for an instance created through 7.1.1.1: its legacy product id,
// resource_spec_code and V1 storage spec code (the V2 view shows the flavor running it). withSubnet
// adds subnet_name and subnet_cidr (7.1.1.2; 7.1.1.6's items have neither).
func (s *Server) instanceViewV1(in dms.Instance, withSubnet bool) instanceViewV1 {
	v := s.instanceView(in)
	out := instanceViewV1{
		Name: v.Name, Description: v.Description, Engine: v.Engine, EngineVersion: v.EngineVersion, Specification: v.Specification,
		StorageSpace: v.StorageSpace, PartitionNum: v.PartitionNum, UsedStorageSpace: v.UsedStorageSpace,
		ConnectAddress: v.ConnectAddress, ConnectAddresses: v.ConnectAddress, Port: v.Port, Status: v.Status,
		InstanceID: v.InstanceID, ResourceSpecCode: v.ResourceSpecCode, Type: v.Type, ChargingMode: v.ChargingMode,
		VpcID: v.VpcID, VpcName: v.VpcName, CreatedAt: v.CreatedAt, ProductID: v.ProductID,
		SecurityGroupID: v.SecurityGroupID, SecurityGroupName: v.SecurityGroupName, SubnetID: v.SubnetID,
		AvailableZones: v.AvailableZones, UserID: v.UserID, UserName: v.UserName, AccessUser: v.AccessUser,
		OrderID: v.OrderID, MaintainBegin: v.MaintainBegin, MaintainEnd: v.MaintainEnd, EnablePublicIP: v.EnablePublicIP,
		ManagementConnectAddress: v.ManagementConnectAddress, SSLEnable: v.SSLEnable, EnterpriseProjectID: v.EnterpriseProjectID,
		IsLogicalVolume: v.IsLogicalVolume, ExtendTimes: v.ExtendTimes, EnableAutoTopic: v.EnableAutoTopic,
		TotalStorageSpace: v.TotalStorageSpace, StorageResourceID: v.StorageResourceID, StorageSpecCode: v.StorageSpecCode,
		ServiceType: v.ServiceType, StorageType: v.StorageType, RetentionPolicy: v.RetentionPolicy,
		KafkaPublicStatus: v.KafkaPublicStatus, PublicBandwidth: v.PublicBandwidth, PublicConnectAddress: v.PublicConnectAddress,
		KafkaManagerUser: in.KafkaManagerUser, EnableLogCollection: v.EnableLogCollection, CrossVpcInfo: v.CrossVpcInfo,
		IPv6Enable: v.IPv6Enable, IPv6ConnectAddresses: v.IPv6ConnectAddresses, ConnectorEnable: v.ConnectorEnable,
		ConnectorID: v.ConnectorID, RestEnable: v.RestEnable, RestConnectAddress: v.RestConnectAddress,
		MessageQueryInstEnable: v.MessageQueryInstEnable, VpcClientPlain: v.VpcClientPlain, SupportFeatures: v.SupportFeatures,
		TraceEnable: v.TraceEnable, AgentEnable: v.AgentEnable, PodConnectAddress: v.PodConnectAddress,
		DiskEncrypted: v.DiskEncrypted, KafkaPrivateConnectAddress: v.KafkaPrivateConnectAddress, CesVersion: v.CesVersion,
		Tags: v.Tags,
	}
	if out.PublicBandwidth == 0 && in.EnablePublicIP {
		out.PublicBandwidth = int32(in.PublicBandwidth)
	}
	if info, ok := s.instances.LegacyInfo(in); ok {
		out.ProductID, out.ResourceSpecCode, out.StorageSpecCode = info.ProductID, info.ResourceSpecCode, info.StorageSpecCode
	}
	if withSubnet {
		out.SubnetName, out.SubnetCidr = &v.SubnetName, &v.SubnetCidr
	}
	return out
}
