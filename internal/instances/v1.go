package instances

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
)

// The deprecated V1 instance APIs (reference 7.1.1.1-7.1.1.6, /v1.0/{project_id}/instances...).
//
// A V1 instance is an ordinary instance: it is validated by V1's rules (bandwidth specifications,
// legacy product ids, Kafka Manager credentials, HH:mm:ss windows, V1 tag rules), then stored and run
// exactly like a 5.1.1 instance (allocateAndStore + the createInstance task), on a V2 flavor chosen by
// v2ProductFor. What only V1 knows is kept in LegacySpecification, LegacyPartitionNum and
// KafkaManagerUser; the V1 views map the rest back (legacy product id, resource_spec_code, V1 storage
// spec code) through LegacyInfo. Show, modify, delete and batch are the V2 operations with V1's checks
// in front.

// DMS codes the V1 APIs use that have no named constant in package dms (both are rows of
// error-codes.tsv, chapter 8.2).

// legacyEngineVersions maps V1 engine versions that are not V2 versions to the V2 version that runs
// them. The V1 reference's example creates "2.3.0"; V2 offers 1.1.0, 2.7 and 3.x, and 2.7 is the
// closest version at or above 2.3.0 (a broker speaks to older clients, never the reverse guaranteed).
// The V2 versions themselves (7.1.2.2 lists them for V1 too) are taken as they are.
var legacyEngineVersions = map[string]string{
	"2.3.0": "2.7",
	"2.3":   "2.7",
}

// V1CreateRequest is the body of 7.1.1.1 (POST /v1.0/{project_id}/instances).
type V1CreateRequest struct {
	Name                 string         `json:"name"`
	Description          string         `json:"description"`
	Engine               string         `json:"engine"`
	EngineVersion        string         `json:"engine_version"`
	Specification        string         `json:"specification"`
	StorageSpace         int            `json:"storage_space"`
	PartitionNum         int            `json:"partition_num"`
	AccessUser           string         `json:"access_user"`
	Password             string         `json:"password"`
	VpcID                string         `json:"vpc_id"`
	SecurityGroupID      string         `json:"security_group_id"`
	SubnetID             string         `json:"subnet_id"`
	AvailableZones       []string       `json:"available_zones"`
	ProductID            string         `json:"product_id"`
	KafkaManagerUser     string         `json:"kafka_manager_user"`
	KafkaManagerPassword string         `json:"kafka_manager_password"`
	MaintainBegin        string         `json:"maintain_begin"`
	MaintainEnd          string         `json:"maintain_end"`
	EnablePublicIP       bool           `json:"enable_publicip"`
	PublicBandwidth      StringOrNumber `json:"public_bandwidth"`
	PublicIPID           string         `json:"publicip_id"`
	SSLEnable            bool           `json:"ssl_enable"`
	RetentionPolicy      string         `json:"retention_policy"`
	EnableAutoTopic      bool           `json:"enable_auto_topic"`
	StorageSpecCode      string         `json:"storage_spec_code"`
	EnterpriseProjectID  string         `json:"enterprise_project_id"`
	Tags                 []dms.Tag      `json:"tags"`
}

// StringOrNumber is a JSON string that also accepts a bare number: 7.1.1.1 types public_bandwidth as a
// String, but it is a number of Mbit/s and clients send it either way.
type StringOrNumber string

// UnmarshalJSON accepts a string, a number or null.
func (s *StringOrNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = StringOrNumber(v)
		return nil
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeFor[string]()}
		}
		*s = StringOrNumber(n.String())
		return nil
	}
}

var (
	// 7.1.1.1: starts with a letter, 4-64 letters, digits, '_' and '-'.
	v1CreateNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{3,63}$`)
	// 7.1.1.3: starts with a letter, 4-64 letters, digits and '-' (no '_', unlike 7.1.1.1 and V2).
	v1ModifyNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{3,63}$`)
	// 7.1.1.1 access_user: 4-64 letters, digits and '-'.
	v1AccessUserPattern = regexp.MustCompile(`^[A-Za-z0-9-]{4,64}$`)
	// 7.1.1.1 kafka_manager_user: 4-64 letters, digits, '-' and '_'.
	v1ManagerUserPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{4,64}$`)
	// 7.1.1.1/7.1.1.3 maintain_begin/maintain_end: HH:mm:ss.
	v1ClockPattern = regexp.MustCompile(`^[0-9]{2}:[0-9]{2}:[0-9]{2}$`)
)

// Special characters of the V1 passwords as 7.1.1.1 prints them (spaces allowed). The instance
// password's set also takes '\' and ':' from the wording of its error code (DMS.00400012); the Kafka
// Manager password's set has no '$', '^' or ':'.
const (
	v1PasswordSpecials        = "`~!@#$%^&*()-_=+\\[{}]:;',<.>/? "
	v1ManagerPasswordSpecials = "`~!@#%&*()-_=+\\[{}];',<.>/? "
)

// v1PasswordOK applies 7.1.1.1's password rule: 8-32 characters of lower-case letters, upper-case
// letters, digits and the given special characters, at least three of the four kinds, not starting
// with '-'.
func v1PasswordOK(p, specials string) bool {
	if len(p) < 8 || len(p) > 32 || strings.HasPrefix(p, "-") {
		return false
	}
	var kinds [4]bool
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z':
			kinds[0] = true
		case r >= 'A' && r <= 'Z':
			kinds[1] = true
		case r >= '0' && r <= '9':
			kinds[2] = true
		case strings.ContainsRune(specials, r):
			kinds[3] = true
		default:
			return false
		}
	}
	n := 0
	for _, k := range kinds {
		if k {
			n++
		}
	}
	return n >= 3
}

// v1Window checks a V1 maintenance window: both times or neither, each HH:mm:ss, together one of the
// supported windows (7.1.2.3). Neither gives the default window (02:00:00-06:00:00).
func v1Window(cat *catalog.Catalog, begin, end string) (catalog.MaintainWindow, error) {
	if (begin == "") != (end == "") {
		return catalog.MaintainWindow{}, dms.Errorf(dms.CodeMaintainWindowInvalid, "Invalid maintenance time window: set maintain_begin and maintain_end together.")
	}
	if begin != "" && (!v1ClockPattern.MatchString(begin) || !v1ClockPattern.MatchString(end)) {
		return catalog.MaintainWindow{}, dms.Errorf(dms.CodeMaintainWindowInvalid, "Invalid maintenance time window %q-%q: the V1 APIs take HH:mm:ss.", begin, end)
	}
	w, ok := cat.FindMaintainWindow(begin, end)
	if !ok {
		return catalog.MaintainWindow{}, dms.Errorf(dms.CodeMaintainWindowInvalid, "Invalid maintenance time window %q-%q: see GET /v1.0/instances/maintain-windows.", begin, end)
	}
	return w, nil
}

// v1TagForbidden are the characters 7.1.1.1 forbids in tag keys and values (besides ASCII 0-31).
const v1TagForbidden = "=*<>\\,|/"

// validV1Tags checks tags as 7.1.1.1 states them: key 1-36 and value 1-43 Unicode characters, without
// ASCII control characters or any of =*<>\,|/; the 20-tag limit and unique keys are V2's.
func validV1Tags(tags []dms.Tag) error {
	if len(tags) > 20 {
		return dms.Errorf(dms.CodeTagTooMany, "An instance can have at most 20 tags.")
	}
	bad := func(s string) bool {
		return strings.ContainsAny(s, v1TagForbidden) || strings.ContainsFunc(s, func(r rune) bool { return r < 32 || r == 127 })
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || utf8.RuneCountInString(t.Key) > 36 {
			return dms.Errorf(dms.CodeTagKeyInvalid, "The tag key is empty or too long: %q (1 to 36 characters).", t.Key)
		}
		if bad(t.Key) || !utf8.ValidString(t.Key) {
			return dms.Errorf(dms.CodeTagKeyChars, "The tag key contains invalid characters: %q (no control characters or any of %s).", t.Key, v1TagForbidden)
		}
		if t.Value == "" || utf8.RuneCountInString(t.Value) > 43 {
			return dms.Errorf(dms.CodeTagValueTooLong, "The tag value is empty or too long: %q (1 to 43 characters).", t.Value)
		}
		if bad(t.Value) || !utf8.ValidString(t.Value) {
			return dms.Errorf(dms.CodeTagValueInvalid, "The tag value contains invalid characters: %q (no control characters or any of %s).", t.Value, v1TagForbidden)
		}
		if seen[t.Key] {
			return dms.Errorf(dms.CodeTagKeyUsed, "The tag key %q is used twice.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// v1Plan is a validated V1 create request with what it resolves to.
type v1Plan struct {
	legacy          catalog.LegacyProduct
	product         catalog.Product // the V2 flavor that runs it
	engineVersion   string          // the V2 engine_version
	storageSpecCode string          // the V2 storage spec code stored on the instance
	window          catalog.MaintainWindow
	publicBandwidth int
	v               validated // what allocateAndStore needs (AZs)
}

// validateV1Create checks every field of 7.1.1.1 as the reference states it, each failure a 400 with
// its DMS code, and resolves the request to a legacy product and the V2 flavor that runs it.
func validateV1Create(cat *catalog.Catalog, req V1CreateRequest) (v1Plan, error) {
	var plan v1Plan
	if !v1CreateNamePattern.MatchString(req.Name) {
		return plan, dms.Errorf(dms.CodeInstanceNameInvalid, "Invalid instance name %q: 4 to 64 characters starting with a letter; letters, digits, underscores (_) and hyphens (-).", req.Name)
	}
	if err := validDescription(req.Description); err != nil {
		return plan, err
	}
	switch req.Engine {
	case "kafka":
	case "":
		return plan, invalid("engine is required (kafka)")
	default:
		return plan, dms.Errorf(dms.CodeUnsupportedType, "Unsupported engine %q: only kafka.", req.Engine)
	}
	plan.engineVersion = req.EngineVersion
	if v, ok := legacyEngineVersions[req.EngineVersion]; ok {
		plan.engineVersion = v
	}
	if !cat.HasVersion(plan.engineVersion) {
		return plan, dms.Errorf(dms.CodeUnsupportedVersion, "Unsupported engine_version %q: one of %s.", req.EngineVersion,
			strings.Join(append(cat.Versions(), "2.3.0"), ", "))
	}
	lp, hourly, ok := cat.LegacyProduct(req.ProductID)
	if !ok {
		return plan, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: see GET /v1.0/products?engine=kafka.", req.ProductID)
	}
	if !hourly {
		return plan, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: it is a yearly/monthly product; the API creates pay-per-use instances (the Hourly product_id %s).", req.ProductID, lp.HourlyProductID)
	}
	plan.legacy = lp
	spec := strings.ReplaceAll(req.Specification, " ", "") // the table writes "100 MB"
	if !slices.ContainsFunc(cat.LegacyProducts(), func(p catalog.LegacyProduct) bool { return p.Bandwidth == spec }) {
		return plan, invalid("specification %q must be one of %s", req.Specification, strings.Join(legacyBandwidths(cat), ", "))
	}
	if spec != lp.Bandwidth {
		return plan, dms.Errorf(dms.CodeAdvancedProductNotFound, "Query advanced product failed, can not find product for request: product_id %s is the %s specification, not %s.", lp.HourlyProductID, lp.Bandwidth, req.Specification)
	}
	if req.StorageSpace < lp.MinStorage || req.StorageSpace > lp.MaxStorage {
		return plan, dms.Errorf(dms.CodeDiskSpaceInvalid, "Invalid disk space: storage_space %d GB must be within %d-%d GB for the %s specification.", req.StorageSpace, lp.MinStorage, lp.MaxStorage, lp.Bandwidth)
	}
	if req.PartitionNum != lp.PartitionNum {
		return plan, invalid("partition_num must be %d for the %s specification, got %d", lp.PartitionNum, lp.Bandwidth, req.PartitionNum)
	}
	if !lp.HasStorageSpec(req.StorageSpecCode) {
		return plan, dms.Errorf(dms.CodeSpecCodeInvalid, "Invalid SPEC_CODE: storage_spec_code %q; the %s specification offers %s.", req.StorageSpecCode, lp.Bandwidth, strings.Join(lp.StorageSpecCodes, ", "))
	}
	if err := validNetwork(req.VpcID, req.SecurityGroupID, req.SubnetID); err != nil {
		return plan, err
	}
	available := func(code string) bool { return !slices.Contains(lp.UnavailableZones, code) }
	azs, err := resolveAZs(cat, req.AvailableZones, available, lp.Bandwidth, "/v1.0/availableZones")
	if err != nil {
		return plan, err
	}
	plan.v.azs = azs
	if len(plan.v.azs) > lp.BrokerNum {
		return plan, invalid("%d AZs for the %d brokers of the %s specification: every AZ needs a broker", len(plan.v.azs), lp.BrokerNum, lp.Bandwidth)
	}
	if !v1ManagerUserPattern.MatchString(req.KafkaManagerUser) {
		return plan, dms.Errorf(dms.CodeAccessUserInvalid, "Invalid kafka_manager_user %q: 4 to 64 letters, digits, hyphens (-) and underscores (_).", req.KafkaManagerUser)
	}
	if !v1PasswordOK(req.KafkaManagerPassword, v1ManagerPasswordSpecials) {
		return plan, dms.Errorf(dms.CodePasswordComplexity, "The kafka_manager_password does not meet the complexity requirements: 8 to 32 characters, at least three of lower-case letters, upper-case letters, digits and the special characters %s, not starting with '-'.", v1ManagerPasswordSpecials)
	}
	w, err := v1Window(cat, req.MaintainBegin, req.MaintainEnd)
	if err != nil {
		return plan, err
	}
	plan.window = w
	if req.SSLEnable {
		if !v1AccessUserPattern.MatchString(req.AccessUser) {
			return plan, dms.Errorf(dms.CodeAccessUserInvalid, "Invalid access_user %q: 4 to 64 letters, digits and hyphens (-); required with ssl_enable.", req.AccessUser)
		}
		if !v1PasswordOK(req.Password, v1PasswordSpecials) {
			return plan, dms.Errorf(dms.CodePasswordWeak, "The password does not meet the complexity requirements: 8 to 32 characters, at least three of lower-case letters, upper-case letters, digits and the special characters %s, not starting with '-'; required with ssl_enable.", v1PasswordSpecials)
		}
	}
	if req.EnablePublicIP {
		if strings.TrimSpace(req.PublicIPID) == "" {
			return plan, dms.Errorf(dms.CodePublicAccessInvalid, "Invalid public access parameters: publicip_id is required when enable_publicip is true.")
		}
		// 7.1.1.1: a multiple of the broker count within 3-900 (100MB, 300MB), 4-1200 (600MB) or 8-2400
		// (1200MB), i.e. from one to 300 Mbit/s per broker.
		if bw := strings.TrimSpace(string(req.PublicBandwidth)); bw != "" {
			n, err := strconv.Atoi(bw)
			if err != nil || n < lp.BrokerNum || n > 300*lp.BrokerNum || n%lp.BrokerNum != 0 {
				return plan, dms.Errorf(dms.CodePublicAccessInvalid, "Invalid public access parameters: public_bandwidth %q must be a multiple of %d within %d-%d Mbit/s for the %s specification.",
					bw, lp.BrokerNum, lp.BrokerNum, 300*lp.BrokerNum, lp.Bandwidth)
			}
			plan.publicBandwidth = n
		}
	}
	if req.RetentionPolicy != "" && req.RetentionPolicy != "produce_reject" && req.RetentionPolicy != "time_base" {
		return plan, invalid("retention_policy must be produce_reject or time_base")
	}
	if err := validV1Tags(req.Tags); err != nil {
		return plan, err
	}
	p, err := v2ProductFor(cat, lp, req.StorageSpace, plan.v.azs)
	if err != nil {
		return plan, err
	}
	plan.product = p
	plan.storageSpecCode = v2StorageSpecCode(p, req.StorageSpecCode)
	return plan, nil
}

func legacyBandwidths(cat *catalog.Catalog) []string {
	var out []string
	for _, p := range cat.LegacyProducts() {
		if !slices.Contains(out, p.Bandwidth) {
			out = append(out, p.Bandwidth)
		}
	}
	return out
}

// v2ProductFor picks the V2 flavor that runs a V1 instance. A V1 specification is sized by its ECS
// flavor (7.1.2.2), and the V2 flavor of the same ECS size runs it, with the specification's broker
// count:
//
//	100MB  c3.large.2     x3 -> c6.2u4g.cluster  (c6.large.2)
//	300MB  c3.xlarge.2    x3 -> c6.4u8g.cluster  (c6.xlarge.2)
//	600MB  c3.2xlarge.2   x4 -> c6.8u16g.cluster (c6.2xlarge.2)
//	1200MB c3ne.2xlarge.2 x8 -> c6.8u16g.cluster (c6.2xlarge.2)
//
// The storage is split evenly over the brokers (storage_space / broker count, rounded up, per broker).
// When that exceeds the flavor's max_storage_per_node (V1 allows 90,000 GB on 3 brokers, 30,000 GB
// each, while c6.2u4g takes 10,000), the next larger flavor that holds it runs the instance. A flavor
// qualifies when the broker count and the per-broker storage are within its limits and it is not sold
// out in the requested AZs; with a configured catalog whose flavors match no ECS size, the smallest
// qualifying flavor is taken.
func v2ProductFor(cat *catalog.Catalog, lp catalog.LegacyProduct, storageGB int, azs []catalog.AZ) (catalog.Product, error) {
	perBroker := (storageGB + lp.BrokerNum - 1) / lp.BrokerNum
	fits := func(p catalog.Product) bool {
		if lp.BrokerNum < p.MinBroker || lp.BrokerNum > p.MaxBroker || perBroker < p.MinStoragePerNode || perBroker > p.MaxStoragePerNode {
			return false
		}
		for _, az := range azs {
			if !p.AvailableIn(az.Code) {
				return false
			}
		}
		return true
	}
	products := cat.Products()
	slices.SortStableFunc(products, func(a, b catalog.Product) int {
		return cmp.Or(cmp.Compare(a.VCPUs, b.VCPUs), cmp.Compare(a.MemoryGB, b.MemoryGB))
	})
	size := ecsSize(lp.ECSFlavorID)
	start := 0
	if i := slices.IndexFunc(products, func(p catalog.Product) bool { return size != "" && ecsSize(p.ECSFlavorID) == size }); i >= 0 {
		start = i
	}
	for _, p := range products[start:] {
		if fits(p) {
			return p, nil
		}
	}
	return catalog.Product{}, dms.Errorf(dms.CodeAdvancedProductNotFound, "Query advanced product failed, can not find product for request: no flavor of this region runs %d brokers with %d GB each for the %s specification.", lp.BrokerNum, perBroker, lp.Bandwidth)
}

// ecsSize is the size part of an ECS flavor id ("c3.large.2" -> "large.2", "c3ne.2xlarge.2" ->
// "2xlarge.2").
func ecsSize(flavor string) string {
	_, size, ok := strings.Cut(flavor, ".")
	if !ok {
		return ""
	}
	return size
}

// v2StorageSpecCode maps a V1 storage spec code to the V2 code of the same I/O class the flavor offers
// (dms.physical.storage.high -> dms.physical.storage.high.v2, ultra -> ultra.v2), so V2 operations on
// the instance see a code of its flavor. A flavor without it keeps the V1 code.
func v2StorageSpecCode(p catalog.Product, v1Code string) string {
	if v2 := v1Code + ".v2"; p.HasStorageSpec(v2) {
		return v2
	}
	return v1Code
}

// CreateV1 validates a 7.1.1.1 request and creates the instance like Create does: recorded CREATING
// with its broker IPs, then run by a createInstance task.
func (s *Service) CreateV1(ctx context.Context, projectID string, who Actor, req V1CreateRequest) (dms.Instance, error) {
	plan, err := validateV1Create(s.cat, req)
	if err != nil {
		return dms.Instance{}, err
	}
	now := s.now().UTC()
	in := dms.Instance{
		ID: uuid.NewString(), ProjectID: projectID, Name: req.Name, Description: req.Description, Engine: "kafka",
		EngineVer: plan.engineVersion, KafkaVersion: s.cfg.KafkaBuilds[plan.engineVersion], ProductID: plan.product.ID,
		BrokerNum: plan.legacy.BrokerNum, StorageSpace: req.StorageSpace, StorageSpecCode: plan.storageSpecCode,
		Status: dms.StatusCreating, Runtime: s.engine, ClusterID: newClusterID(), KafkaSecurityProtocol: "PLAINTEXT",
		MaintainBegin: plan.window.Begin, MaintainEnd: plan.window.End, EnablePublicIP: req.EnablePublicIP,
		RetentionPolicy: req.RetentionPolicy, EnableAutoTopic: req.EnableAutoTopic, VpcID: req.VpcID, SubnetID: req.SubnetID,
		SecurityGroupID: req.SecurityGroupID, EnterpriseProjectID: req.EnterpriseProjectID, ArchType: "X86",
		ChargingMode: 1, // 7.1.1.1 creates pay-per-use instances only
		Tags:         slices.Clone(req.Tags), LegacySpecification: plan.legacy.Bandwidth, LegacyPartitionNum: plan.legacy.PartitionNum,
		KafkaManagerUser: req.KafkaManagerUser, CreatedBy: who.UserID, CreatedByName: who.UserName, CreatedAt: now, UpdatedAt: now,
	}
	if in.RetentionPolicy == "" {
		in.RetentionPolicy = "time_base"
	}
	if in.Tags == nil {
		in.Tags = []dms.Tag{}
	}
	if req.EnablePublicIP { // 7.1.1.1: the public fields count only with public access
		in.PublicIPID, in.PublicBandwidth = req.PublicIPID, plan.publicBandwidth
	}
	if req.SSLEnable { // V1's SSL is SASL_SSL with PLAIN, as 5.1.1's ssl_enable without port_protocol
		in.SSLEnable, in.KafkaSecurityProtocol, in.SASLMechanisms = true, "SASL_SSL", []string{"PLAIN"}
		in.AccessUser = req.AccessUser
		in.SealedPassword = s.sealer.Seal([]byte(req.Password))
		if err := s.checkEngineSecurity(in.KafkaSecurityProtocol); err != nil {
			return dms.Instance{}, err
		}
	}
	s.secureInternals(&in)
	if needsCA(in) {
		if err := s.newCA(&in); err != nil {
			return dms.Instance{}, dms.Internal(err)
		}
	}
	// Kept as a salted slow hash only: the console's sign-in checks it (kafkamanager.go).
	if in.KafkaManagerPasswordHash, err = iam.HashPassword(req.KafkaManagerPassword); err != nil {
		return dms.Instance{}, dms.Internal(err)
	}
	for _, az := range plan.v.azs {
		in.AvailableZones = append(in.AvailableZones, az.ID)
	}
	if err := s.storeAndSubmit(ctx, &in, plan.v, who, map[string]any{"specification": in.LegacySpecification}); err != nil {
		return dms.Instance{}, err
	}
	return in, nil
}

// LegacyInfo is what the V1 views show differently from V2 for an instance created through 7.1.1.1.
type LegacyInfo struct {
	ProductID        string // the legacy (hourly) product id, e.g. 00300-30308-0--0
	ResourceSpecCode string // e.g. dms.instance.kafka.cluster.c3.mini
	StorageSpecCode  string // the V1 code, e.g. dms.physical.storage.high
}

// LegacyInfo maps an instance back to its V1 product. ok is false for an instance created through
// V2 (or whose specification the catalog no longer has); its V2 values then stand.
func (s *Service) LegacyInfo(in dms.Instance) (info LegacyInfo, ok bool) {
	if in.LegacySpecification == "" {
		return info, false
	}
	all := s.cat.LegacyProducts()
	i := slices.IndexFunc(all, func(p catalog.LegacyProduct) bool { return p.Bandwidth == in.LegacySpecification })
	if i < 0 {
		return info, false
	}
	lp := all[i]
	info = LegacyInfo{ProductID: lp.HourlyProductID, ResourceSpecCode: lp.SpecCode, StorageSpecCode: in.StorageSpecCode}
	if v1 := strings.TrimSuffix(in.StorageSpecCode, ".v2"); lp.HasStorageSpec(v1) {
		info.StorageSpecCode = v1
	}
	return info, true
}

// V1Filter selects instances of 7.1.1.6.
type V1Filter struct {
	Filter
	EnterpriseProjectID string
}

// ListV1 returns a project's instances matching f (oldest first).
func (s *Service) ListV1(ctx context.Context, projectID string, f V1Filter) ([]dms.Instance, error) {
	matched, _, err := s.List(ctx, projectID, f.Filter)
	if err != nil || f.EnterpriseProjectID == "" {
		return matched, err
	}
	out := matched[:0]
	for _, in := range matched {
		if in.EnterpriseProjectID == f.EnterpriseProjectID {
			out = append(out, in)
		}
	}
	return out, nil
}

// UpdateV1 changes an instance's information (7.1.1.3): V1's name rule (no '_') and HH:mm:ss windows
// in front of Update.
func (s *Service) UpdateV1(ctx context.Context, projectID, id string, req UpdateRequest) error {
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return err
	}
	if req.Name != nil && !v1ModifyNamePattern.MatchString(*req.Name) {
		return dms.Errorf(dms.CodeInstanceNameInvalid, "Invalid instance name %q: 4 to 64 characters starting with a letter; letters, digits and hyphens (-).", *req.Name)
	}
	if req.MaintainBegin != nil || req.MaintainEnd != nil {
		if req.MaintainBegin == nil || req.MaintainEnd == nil {
			return dms.Errorf(dms.CodeMaintainWindowInvalid, "Invalid maintenance time window: set maintain_begin and maintain_end together.")
		}
		if _, err := v1Window(s.cat, *req.MaintainBegin, *req.MaintainEnd); err != nil {
			return err
		}
	}
	return s.Update(ctx, projectID, id, req)
}
