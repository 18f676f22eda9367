package instances

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
)

// CreateRequest is the body of 5.1.1 (POST /v2/{engine}/{project_id}/instances), with the SDK's
// field names and types (CreateInstanceByEngineReq).
type CreateRequest struct {
	Name                  string            `json:"name"`
	Description           string            `json:"description"`
	Engine                string            `json:"engine"`
	EngineVersion         string            `json:"engine_version"`
	BrokerNum             int               `json:"broker_num"`
	StorageSpace          int               `json:"storage_space"`
	AccessUser            string            `json:"access_user"`
	Password              string            `json:"password"`
	VpcID                 string            `json:"vpc_id"`
	SecurityGroupID       string            `json:"security_group_id"`
	SubnetID              string            `json:"subnet_id"`
	AvailableZones        []string          `json:"available_zones"`
	ProductID             string            `json:"product_id"`
	MaintainBegin         string            `json:"maintain_begin"`
	MaintainEnd           string            `json:"maintain_end"`
	EnablePublicIP        bool              `json:"enable_publicip"`
	TenantIPs             []string          `json:"tenant_ips"`
	PublicIPID            string            `json:"publicip_id"`
	SSLEnable             bool              `json:"ssl_enable"`
	KafkaSecurityProtocol string            `json:"kafka_security_protocol"`
	SASLEnabledMechanisms []string          `json:"sasl_enabled_mechanisms"`
	PortProtocol          *dms.PortProtocol `json:"port_protocol"`
	RetentionPolicy       string            `json:"retention_policy"`
	IPv6Enable            bool              `json:"ipv6_enable"`
	DiskEncryptedEnable   bool              `json:"disk_encrypted_enable"`
	DiskEncryptedKey      string            `json:"disk_encrypted_key"`
	ConnectorEnable       bool              `json:"connector_enable"`
	EnableAutoTopic       bool              `json:"enable_auto_topic"`
	StorageSpecCode       string            `json:"storage_spec_code"`
	EnterpriseProjectID   string            `json:"enterprise_project_id"`
	Tags                  []dms.Tag         `json:"tags"`
	ArchType              string            `json:"arch_type"`
	VpcClientPlain        bool              `json:"vpc_client_plain"`
	BssParam              *BssParam         `json:"bss_param"`
}

// BssParam is 5.1.1's billing block. OpenDMS bills nothing; it records the mode.
type BssParam struct {
	IsAutoRenew  bool   `json:"is_auto_renew"`
	ChargingMode string `json:"charging_mode"`
	IsAutoPay    bool   `json:"is_auto_pay"`
	PeriodType   string `json:"period_type"`
	PeriodNum    int    `json:"period_num"`
}

var (
	instanceNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{4,64}$`)
	accessUserPattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{3,63}$`)
	tagKeyPattern       = regexp.MustCompile(`^[\p{L}\p{N} ._:=+\-@~]{1,128}$`)
	tagValuePattern     = regexp.MustCompile(`^[\p{L}\p{N} ._:=+\-@~]{0,255}$`)
)

// validName checks an instance name (5.1.1: 4-64 letters, digits, '_', '-').
func validName(name string) error {
	if !instanceNamePattern.MatchString(name) {
		return dms.E(dms.CodeInstanceNameInvalid)
	}
	return nil
}

func validDescription(d string) error {
	if utf8.RuneCountInString(d) > 1024 {
		return dms.E(dms.CodeDescriptionTooLong)
	}
	return nil
}

// ValidUserName applies the rule of SASL user names (access_user, 5.7.2): a letter, then 3 to 63
// letters, digits, '-' and '_'. ANONYMOUS is refused: it is Kafka's name of unauthenticated
// clients, a super user wherever plaintext access is on, so a SASL user of that name would be one.
func ValidUserName(name string) bool {
	return accessUserPattern.MatchString(name) && name != "ANONYMOUS"
}

// ValidPassword applies 5.1.1's rule: 8-32 characters, at least three kinds of lower-case,
// upper-case, digit and special characters, not starting with '-'.
func ValidPassword(p string) error {
	bad := dms.Errorf(dms.CodePasswordWeak, "The password does not meet the complexity requirements: 8 to 32 characters, at least three of lower-case letters, upper-case letters, digits and special characters, and not starting with '-'.")
	if len(p) < 8 || len(p) > 32 || strings.HasPrefix(p, "-") {
		return bad
	}
	var lower, upper, digit, special bool
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune("`~!@#$%^&*()-_=+\\|[{}];:'\",<.>/? ", r):
			special = true
		default:
			return bad
		}
	}
	kinds := 0
	for _, k := range []bool{lower, upper, digit, special} {
		if k {
			kinds++
		}
	}
	if kinds < 3 {
		return bad
	}
	return nil
}

// validTags checks tags as 5.1.1 and 5.10.1 state them (the union of their character sets).
func validTags(tags []dms.Tag) error {
	seen := map[string]bool{}
	if len(tags) > 20 {
		return dms.Errorf(dms.CodeTagTooMany, "An instance can have at most 20 tags.")
	}
	for _, t := range tags {
		if !tagKeyPattern.MatchString(t.Key) || strings.TrimSpace(t.Key) != t.Key || strings.HasPrefix(strings.ToLower(t.Key), "sys") {
			return dms.Errorf(dms.CodeTagKeyInvalid, "Invalid tag key %q: 1-128 letters, digits, spaces and ._:=+-@~, not starting with sys, no leading or trailing space.", t.Key)
		}
		if !tagValuePattern.MatchString(t.Value) {
			return dms.Errorf(dms.CodeTagValueInvalid, "Invalid tag value %q: 0-255 letters, digits, spaces and ._:=+-@~.", t.Value)
		}
		if seen[t.Key] {
			return dms.Errorf(dms.CodeTagKeyUsed, "The tag key %q is used twice.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// validated is a create request after validation, with the catalog entries it refers to.
type validated struct {
	req      CreateRequest
	product  catalog.Product
	azs      []catalog.AZ
	window   catalog.MaintainWindow
	protocol string
	mechs    []string
	ips      []netip.Addr
}

// validateCreate checks every field of 5.1.1 as the reference states it, each failure a 400 with
// the reference's code. Every bad field is reported at once (see fieldErrors), so that a client
// fixing a request does not learn of its mistakes one try at a time. A check that depends on a
// field already found bad (the storage range on the product and broker count) is left out rather
// than reported against a value the caller is going to change anyway.
func validateCreate(cat *catalog.Catalog, req CreateRequest) (validated, error) {
	v := validated{req: req}
	var errs fieldErrors
	errs.add(validName(req.Name))
	errs.add(validDescription(req.Description))
	if req.Engine != "" && req.Engine != "kafka" {
		errs.add(dms.Errorf(dms.CodeUnsupportedType, "Unsupported engine %q: only kafka.", req.Engine))
	}
	if !cat.HasVersion(req.EngineVersion) {
		errs.add(dms.Errorf(dms.CodeUnsupportedVersion, "Unsupported engine_version %q: one of %s.", req.EngineVersion, strings.Join(cat.Versions(), ", ")))
	}
	p, productOK := cat.Product(req.ProductID)
	brokersOK := false
	if !productOK {
		errs.add(dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: see GET /v2/kafka/products.", req.ProductID))
	} else {
		v.product = p
		brokersOK = req.BrokerNum >= p.MinBroker && req.BrokerNum <= p.MaxBroker
		if !brokersOK {
			errs.add(invalid("broker_num %d is outside %d-%d for %s", req.BrokerNum, p.MinBroker, p.MaxBroker, p.ID))
		} else if minGB, maxGB := p.StorageRange(req.BrokerNum); req.StorageSpace < minGB || req.StorageSpace > maxGB || req.StorageSpace%catalog.StorageStepGB != 0 {
			errs.add(dms.Errorf(dms.CodeDiskSpaceInvalid, "Invalid disk space: storage_space %d GB must be a multiple of %d within %d-%d GB for %d brokers of %s.",
				req.StorageSpace, catalog.StorageStepGB, minGB, maxGB, req.BrokerNum, p.ID))
		}
		if !p.HasStorageSpec(req.StorageSpecCode) {
			errs.add(dms.Errorf(dms.CodeSpecCodeInvalid, "Invalid SPEC_CODE: storage_spec_code %q; %s offers %s.", req.StorageSpecCode, p.ID, strings.Join(p.StorageSpecCodes, ", ")))
		}
	}
	for _, err := range networkErrors(req.VpcID, req.SecurityGroupID, req.SubnetID) {
		errs.add(err)
	}
	// Without a product, the AZs are checked for existence only (whether one has the product's
	// resources is asked again once product_id is right).
	available, what := func(string) bool { return true }, req.ProductID
	if productOK {
		available, what = p.AvailableIn, p.ID
	}
	azs, err := resolveAZs(cat, req.AvailableZones, available, what, "/v2/available-zones")
	if errs.add(err) {
		v.azs = azs
		if brokersOK && len(v.azs) > req.BrokerNum {
			errs.add(invalid("%d AZs for %d brokers: every AZ needs a broker", len(v.azs), req.BrokerNum))
		}
	}
	if w, ok := cat.FindMaintainWindow(req.MaintainBegin, req.MaintainEnd); ok {
		v.window = w
	} else {
		errs.add(dms.Errorf(dms.CodeMaintainWindowInvalid, "Invalid maintenance time window %q-%q: see GET /v2/instances/maintain-windows.", req.MaintainBegin, req.MaintainEnd))
	}
	if req.RetentionPolicy != "" && req.RetentionPolicy != "produce_reject" && req.RetentionPolicy != "time_base" {
		errs.add(invalid("retention_policy must be produce_reject or time_base"))
	}
	if req.ArchType != "" && req.ArchType != "X86" {
		errs.add(invalid("arch_type must be X86"))
	}
	if req.EnablePublicIP && strings.TrimSpace(req.PublicIPID) == "" {
		errs.add(dms.Errorf(dms.CodePublicAccessInvalid, "Invalid public access parameters: publicip_id is required when enable_publicip is true."))
	}
	if req.DiskEncryptedEnable && req.DiskEncryptedKey == "" {
		errs.add(dms.E(dms.CodeDiskKeyEmpty))
	}
	errs.add(validTags(req.Tags))
	validateSecurity(&v, &errs)
	if brokersOK && len(req.TenantIPs) > req.BrokerNum {
		errs.add(invalid("tenant_ips has %d addresses for %d brokers", len(req.TenantIPs), req.BrokerNum))
	}
	for _, s := range req.TenantIPs {
		ip, err := netip.ParseAddr(s)
		if err != nil || !ip.Is4() {
			errs.add(invalid("tenant_ips: %q is not an IPv4 address", s))
			break
		}
		if slices.Contains(v.ips, ip) {
			errs.add(invalid("tenant_ips lists %s twice", s))
			break
		}
		v.ips = append(v.ips, ip)
	}
	if b := req.BssParam; b != nil && b.ChargingMode == "prePaid" {
		switch {
		case b.PeriodType == "month" && b.PeriodNum >= 1 && b.PeriodNum <= 9:
		case b.PeriodType == "year" && b.PeriodNum >= 1 && b.PeriodNum <= 3:
		default:
			errs.add(dms.Errorf(dms.CodePeriodInvalid, "Invalid period time: prePaid needs period_type month (1-9) or year (1-3)."))
		}
	}
	return v, errs.err()
}

// fieldErrors collects the errors of a request's fields, in the order the fields are checked.
type fieldErrors struct{ errs []*dms.Error }

// add records err (nil: nothing) and says whether the field was good.
func (f *fieldErrors) add(err error) bool {
	if err == nil {
		return true
	}
	f.errs = append(f.errs, dms.AsError(err))
	return false
}

// err is nil, the one error, or one error for all: the DMS error format has one error_code, so it
// is the first field's (its status too: every create check is a 400), and the message lists every
// error with its code.
func (f *fieldErrors) err() error {
	switch len(f.errs) {
	case 0:
		return nil
	case 1:
		return f.errs[0]
	}
	first := *f.errs[0]
	parts := make([]string, len(f.errs))
	for i, e := range f.errs {
		parts[i] = fmt.Sprintf("(%d) %s: %s", i+1, e.Code, e.Message)
	}
	first.Message = fmt.Sprintf("%d invalid fields: %s", len(f.errs), strings.Join(parts, " "))
	return &first
}

// validNetwork checks the VPC, security group and subnet ids: OpenDMS has no VPCs, but the reference
// requires the ids and the instance shows them. It returns the first missing one.
func validNetwork(vpcID, securityGroupID, subnetID string) error {
	if errs := networkErrors(vpcID, securityGroupID, subnetID); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// networkErrors is the error of each network id missing.
func networkErrors(vpcID, securityGroupID, subnetID string) []error {
	var errs []error
	if strings.TrimSpace(vpcID) == "" {
		errs = append(errs, dms.E(dms.CodeVpcIDEmpty))
	}
	if strings.TrimSpace(securityGroupID) == "" {
		errs = append(errs, dms.E(dms.CodeSecurityGroupEmpty))
	}
	if strings.TrimSpace(subnetID) == "" {
		errs = append(errs, dms.E(dms.CodeSubnetIDEmpty))
	}
	return errs
}

// resolveAZs checks available_zones (exactly 1 or at least 3 distinct AZs of the catalog, each with
// resources for the product named what) and returns them; listPath is the API that lists them.
func resolveAZs(cat *catalog.Catalog, ids []string, available func(azCode string) bool, what, listPath string) ([]catalog.AZ, error) {
	if n := len(ids); n == 0 || n == 2 {
		return nil, invalid("available_zones must name exactly 1 AZ or at least 3 AZs, got %d", n)
	}
	var azs []catalog.AZ
	seen := map[string]bool{}
	for _, id := range ids {
		az, ok := cat.AZ(id)
		if !ok {
			return nil, dms.Errorf(dms.CodeAZNotExist, "The AZ %q does not exist: see GET %s.", id, listPath)
		}
		if seen[az.ID] {
			return nil, invalid("available_zones lists %q twice", id)
		}
		seen[az.ID] = true
		if az.SoldOut || !available(az.Code) {
			return nil, dms.Errorf(dms.CodeSoldOut, "Resource sold out: %s has no %s resources.", az.Code, what)
		}
		azs = append(azs, az)
	}
	return azs, nil
}

// validateSecurity checks the SASL fields into errs: ssl_enable needs access_user and password;
// protocol and mechanisms enums; port_protocol's exclusive pairs and its need for public access.
// It sets v.protocol and v.mechs.
func validateSecurity(v *validated, errs *fieldErrors) {
	req := v.req
	pp := req.PortProtocol
	sasl := req.SSLEnable
	if pp != nil {
		if pp.PrivateSASLSSLEnable && pp.PrivateSASLPlaintextEnable {
			errs.add(invalid("port_protocol: private_sasl_ssl_enable and private_sasl_plaintext_enable cannot both be true"))
		}
		if pp.PublicSASLSSLEnable && pp.PublicSASLPlaintextEnable {
			errs.add(invalid("port_protocol: public_sasl_ssl_enable and public_sasl_plaintext_enable cannot both be true"))
		}
		if (pp.PublicPlainEnable || pp.PublicSASLSSLEnable || pp.PublicSASLPlaintextEnable) && !req.EnablePublicIP {
			errs.add(dms.Errorf(dms.CodePublicAccessInvalid, "Invalid public access parameters: public access modes need enable_publicip."))
		}
		if !pp.PrivatePlainEnable && !pp.PrivateSASLSSLEnable && !pp.PrivateSASLPlaintextEnable {
			errs.add(invalid("port_protocol must enable at least one private access mode"))
		}
		sasl = pp.PrivateSASLSSLEnable || pp.PrivateSASLPlaintextEnable || pp.PublicSASLSSLEnable || pp.PublicSASLPlaintextEnable
	}
	if !sasl {
		v.protocol = "PLAINTEXT"
		return
	}
	if !ValidUserName(req.AccessUser) {
		errs.add(dms.Errorf(dms.CodeAccessUserInvalid, "Invalid access_user %q: 4 to 64 characters, starting with a letter; letters, digits, '-' and '_'.", req.AccessUser))
	}
	errs.add(ValidPassword(req.Password))
	switch {
	case pp != nil && (pp.PrivateSASLPlaintextEnable || pp.PublicSASLPlaintextEnable):
		v.protocol = "SASL_PLAINTEXT"
	case pp != nil:
		v.protocol = "SASL_SSL"
	case req.KafkaSecurityProtocol == "" || req.KafkaSecurityProtocol == "SASL_SSL":
		v.protocol = "SASL_SSL"
	case req.KafkaSecurityProtocol == "SASL_PLAINTEXT":
		v.protocol = "SASL_PLAINTEXT"
	default:
		errs.add(invalid("kafka_security_protocol must be SASL_SSL or SASL_PLAINTEXT"))
	}
	v.mechs = req.SASLEnabledMechanisms
	if len(v.mechs) == 0 {
		v.mechs = []string{"PLAIN"} // the reference: blank means PLAIN
	}
	for _, m := range v.mechs {
		if m != "PLAIN" && m != "SCRAM-SHA-512" {
			errs.add(invalid("sasl_enabled_mechanisms: %q is not PLAIN or SCRAM-SHA-512", m))
			break
		}
	}
}

func invalid(format string, args ...any) error {
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: "+format+".", args...)
}
