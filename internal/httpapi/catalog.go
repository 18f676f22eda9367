package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
)

// The catalog APIs (5.12.1–5.12.3, 5.12.5, 7.1.2.1–7.1.2.3): what the region offers, with no project in
// the path; any authenticated caller may read them. 5.12.4 (ces-hierarchy) is per instance and is wired
// with the instances (catalog.CesHierarchy builds its body).

func (s *Server) implementCatalog() {
	// The catalog is fixed when the server starts (catalog.New validates it from the configuration
	// and nothing changes it after), so its constant answers are encoded once, on first use, rather
	// than on every request.
	s.catalogJSON.zones = onceJSON(func() any { return s.catalog.ListAvailableZones() })
	s.catalogJSON.windows = onceJSON(func() any { return s.catalog.ListMaintainWindows() })
	s.catalogJSON.products = onceJSON(func() any { r, _ := s.catalog.ListProducts(""); return r })
	s.catalogJSON.v1Zones = onceJSON(func() any { return s.catalog.V1AvailableZones() })
	s.catalogJSON.v1Products = onceJSON(func() any { return s.catalog.V1Products() })
	s.catalogJSON.v1Windows = onceJSON(func() any { return s.catalog.V1MaintainWindows() })
	s.router.implement("GET", "/v2/instances/maintain-windows", http.HandlerFunc(s.showMaintainWindows))
	s.router.implement("GET", "/v2/available-zones", http.HandlerFunc(s.listAvailableZones))
	s.router.implement("GET", "/v2/{engine}/products", http.HandlerFunc(s.listEngineProducts))
	s.router.implement("GET", "/v2/kafka/products/cores", http.HandlerFunc(s.showKafkaProductCores))
	s.router.implement("GET", "/v1.0/availableZones", http.HandlerFunc(s.v1ListAvailableZones))
	s.router.implement("GET", "/v1.0/products", http.HandlerFunc(s.v1ListProducts))
	s.router.implement("GET", "/v1.0/instances/maintain-windows", http.HandlerFunc(s.v1ShowMaintainWindows))
}

// catalogJSON holds the catalog's constant answers, encoded.
type catalogJSON struct {
	zones, windows, products, v1Zones, v1Products, v1Windows func() []byte
}

// onceJSON encodes v() once, as writeJSON would, and returns those bytes from then on.
func onceJSON(v func() any) func() []byte {
	return sync.OnceValue(func() []byte {
		b, err := marshalCompact(v())
		if err != nil {
			panic(err) // catalog types always encode
		}
		return append([]byte(b), '\n') // writeJSON's encoder ends each answer with a newline
	})
}

// 5.12.1 GET /v2/instances/maintain-windows
func (s *Server) showMaintainWindows(w http.ResponseWriter, r *http.Request) {
	writeJSONBytes(w, http.StatusOK, s.catalogJSON.windows())
}

// 5.12.2 GET /v2/available-zones
func (s *Server) listAvailableZones(w http.ResponseWriter, r *http.Request) {
	writeJSONBytes(w, http.StatusOK, s.catalogJSON.zones())
}

// 5.12.3 GET /v2/{engine}/products[?product_id=] (the router has already rejected engines but kafka)
func (s *Server) listEngineProducts(w http.ResponseWriter, r *http.Request) {
	productID := strings.TrimSpace(r.URL.Query().Get("product_id"))
	if productID == "" {
		writeJSONBytes(w, http.StatusOK, s.catalogJSON.products())
		return
	}
	resp, err := s.catalog.ListProducts(productID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// 5.12.5 GET /v2/kafka/products/cores?product_id=&broker_num=[&instance_id=]
func (s *Server) showKafkaProductCores(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := catalog.CoresQuery{ProductID: strings.TrimSpace(q.Get("product_id"))}
	// The SDK always sends broker_num (a string field without omitempty), possibly empty.
	if v := strings.TrimSpace(q.Get("broker_num")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, r, invalidParam("broker_num must be a positive integer, got %q", v))
			return
		}
		query.BrokerNum = n
	}
	if id := strings.TrimSpace(q.Get("instance_id")); id != "" {
		// The path has no project: the instance is looked up by id and shown only to a caller who may
		// read it in its project (anyone else gets the same 404 as for an unknown id).
		in, err := s.instances.Lookup(r.Context(), id)
		if err == nil && !s.mayGetInstance(r, in) {
			err = dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		query.Instance = &catalog.InstanceSize{ProductID: in.ProductID, BrokerNum: in.BrokerNum, StorageSpace: in.StorageSpace}
		if query.ProductID == "" {
			query.ProductID = in.ProductID
		}
	}
	resp, err := s.catalog.Cores(query)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// 7.1.2.1 GET /v1.0/availableZones
func (s *Server) v1ListAvailableZones(w http.ResponseWriter, r *http.Request) {
	writeJSONBytes(w, http.StatusOK, s.catalogJSON.v1Zones())
}

// 7.1.2.2 GET /v1.0/products?engine=kafka
func (s *Server) v1ListProducts(w http.ResponseWriter, r *http.Request) {
	engine := strings.TrimSpace(r.URL.Query().Get("engine"))
	switch engine {
	case "kafka":
	case "":
		writeError(w, r, invalidParam("the engine query parameter is required (engine=kafka)"))
		return
	default:
		writeError(w, r, dms.Errorf(dms.CodeUnsupportedType, "Unsupported engine %q: this service serves kafka.", engine))
		return
	}
	writeJSONBytes(w, http.StatusOK, s.catalogJSON.v1Products())
}

// 7.1.2.3 GET /v1.0/instances/maintain-windows
func (s *Server) v1ShowMaintainWindows(w http.ResponseWriter, r *http.Request) {
	writeJSONBytes(w, http.StatusOK, s.catalogJSON.v1Windows())
}
