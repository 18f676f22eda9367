package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
)

// The catalog APIs (5.12.1–5.12.3, 5.12.5, 7.1.2.1–7.1.2.3): what the region offers, with no project in
// the path; any authenticated caller may read them. 5.12.4 (ces-hierarchy) is per instance and is wired
// with the instances (catalog.CesHierarchy builds its body).

func (s *Server) implementCatalog() {
	s.router.implement("GET", "/v2/instances/maintain-windows", http.HandlerFunc(s.showMaintainWindows))
	s.router.implement("GET", "/v2/available-zones", http.HandlerFunc(s.listAvailableZones))
	s.router.implement("GET", "/v2/{engine}/products", http.HandlerFunc(s.listEngineProducts))
	s.router.implement("GET", "/v2/kafka/products/cores", http.HandlerFunc(s.showKafkaProductCores))
	s.router.implement("GET", "/v1.0/availableZones", http.HandlerFunc(s.v1ListAvailableZones))
	s.router.implement("GET", "/v1.0/products", http.HandlerFunc(s.v1ListProducts))
	s.router.implement("GET", "/v1.0/instances/maintain-windows", http.HandlerFunc(s.v1ShowMaintainWindows))
}

// 5.12.1 GET /v2/instances/maintain-windows
func (s *Server) showMaintainWindows(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.catalog.ListMaintainWindows())
}

// 5.12.2 GET /v2/available-zones
func (s *Server) listAvailableZones(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.catalog.ListAvailableZones())
}

// 5.12.3 GET /v2/{engine}/products[?product_id=] (the router has already rejected engines but kafka)
func (s *Server) listEngineProducts(w http.ResponseWriter, r *http.Request) {
	resp, err := s.catalog.ListProducts(strings.TrimSpace(r.URL.Query().Get("product_id")))
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
		if err == nil && s.iam.Authorize(r.Context(), principal(r), in.ProjectID, "dms:instance:get") != nil {
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
	writeJSON(w, http.StatusOK, s.catalog.V1AvailableZones())
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
	writeJSON(w, http.StatusOK, s.catalog.V1Products())
}

// 7.1.2.3 GET /v1.0/instances/maintain-windows
func (s *Server) v1ShowMaintainWindows(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.catalog.V1MaintainWindows())
}
