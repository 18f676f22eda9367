// Package httpapi serves the DMS for Kafka REST API and OpenDMS's own APIs over HTTP: the router, the
// middleware every request passes (request id, access log, authentication, authorization), and thin
// handlers, one file per API group, that decode, call one service method and encode.
package httpapi

import (
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/opendms/opendms/internal/capacity"
	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/connect"
	"github.com/opendms/opendms/internal/diagnosis"
	"github.com/opendms/opendms/internal/groups"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkausers"
	"github.com/opendms/opendms/internal/messages"
	"github.com/opendms/opendms/internal/quotas"
	"github.com/opendms/opendms/internal/reassign"
	"github.com/opendms/opendms/internal/topics"
)

// Config is what the HTTP layer needs besides its services.
type Config struct {
	// Region is the name this server answers as (the project name SDKs resolve, the catalog's region_id).
	Region string
	// MaxBodyBytes bounds request bodies (default 16 MiB: a 10 MiB message, the largest a DMS topic
	// takes, fits in a produce request).
	MaxBodyBytes int64
	// Limits on request bodies and responses (see bodies.go); zero fields keep the defaults.
	// UnauthBodyBytes bounds bodies of routes without authentication (token issuance): 64 KiB.
	UnauthBodyBytes int64
	// UnverifiedBodyBytes and UnverifiedBodies bound the bodies being read before their signature
	// is verified, together: 64 MiB and 64 at once. Routes without authentication have their own
	// UnverifiedBodies reads of UnauthBodyBytes.
	UnverifiedBodyBytes int64
	UnverifiedBodies    int
	// A body may take BodyTimeout plus one second per BodyMinRate bytes that arrived: 30 s, 128 KiB/s.
	BodyTimeout time.Duration
	BodyMinRate int64
	// WriteTimeout bounds a response from the end of its request's body: 2 minutes (message
	// queries take up to their 10 s scan bound).
	WriteTimeout time.Duration
	// PublicURL is the endpoint clients reach this server at (dmsd's announced endpoint), the base
	// of management_connect_address; empty: the scheme and host of each request.
	PublicURL string
}

// Server is the HTTP API.
type Server struct {
	cfg        Config
	iam        *iam.Service
	instances  *instances.Service // nil in `dmsd routes` (no store)
	topics     *topics.Service
	groups     *groups.Service
	messages   *messages.Service
	diagnosis  *diagnosis.Service
	quotas     *quotas.Service
	kafkaUsers *kafkausers.Service
	capacity   *capacity.Service
	catalog    *catalog.Catalog
	reassign   *reassign.Service
	connect    *connect.Service
	log        *slog.Logger
	router     *Router
	bodies     *bodyBudget // signed bodies being read before verification
	anonBodies *bodyBudget // bodies of routes without authentication being read

	catalogJSON catalogJSON // the catalog's constant answers, encoded once (catalog.go)
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// New builds the server with every route of the table registered; routes without a handler answer 501.
// Services are what the handlers call. Instances, Topics and Messages may be nil where only the
// route table is needed (`dmsd routes`).
type Services struct {
	IAM        *iam.Service
	Instances  *instances.Service
	Topics     *topics.Service
	Groups     *groups.Service
	Messages   *messages.Service
	Diagnosis  *diagnosis.Service
	Quotas     *quotas.Service
	KafkaUsers *kafkausers.Service
	Capacity   *capacity.Service
	Catalog    *catalog.Catalog
	Reassign   *reassign.Service
	Connect    *connect.Service
}

func New(cfg Config, svc Services, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 16 << 20
	}
	setDefault(&cfg.UnauthBodyBytes, defaultUnauthBodyBytes)
	setDefault(&cfg.UnverifiedBodyBytes, defaultUnverifiedBodyBytes)
	setDefault(&cfg.UnverifiedBodies, defaultUnverifiedBodies)
	setDefault(&cfg.BodyTimeout, defaultBodyTimeout)
	setDefault(&cfg.BodyMinRate, defaultBodyMinRate)
	setDefault(&cfg.WriteTimeout, defaultWriteTimeout)
	s := &Server{cfg: cfg, bodies: &bodyBudget{maxBytes: cfg.UnverifiedBodyBytes, maxCount: int64(cfg.UnverifiedBodies)},
		anonBodies: &bodyBudget{maxBytes: cfg.UnauthBodyBytes * int64(cfg.UnverifiedBodies), maxCount: int64(cfg.UnverifiedBodies)}, iam: svc.IAM, instances: svc.Instances, topics: svc.Topics, groups: svc.Groups, messages: svc.Messages, diagnosis: svc.Diagnosis, quotas: svc.Quotas, kafkaUsers: svc.KafkaUsers, capacity: svc.Capacity, catalog: svc.Catalog, log: log, router: newRouter()}
	s.reassign = svc.Reassign
	s.connect = svc.Connect
	for _, spec := range routeTable {
		s.router.add(spec, authSigned, nil)
	}
	s.registerOwnRoutes()
	s.registerConsoleRoutes()
	s.registerRecordRoutes()
	s.implementCatalog()
	s.implementInstances()
	s.implementTasksAndTags()
	s.implementTopics()
	s.implementMessages()
	s.implementGroups()
	s.implementDiagnosis()
	s.implementQuotas()
	s.implementUsers()
	s.implementInstanceSecurity()
	s.implementReassign()
	s.implementScheduled()
	s.implementCapacity()
	s.implementConnect()
	s.implementKafkaManager()
	if svc.IAM != nil && svc.Instances != nil {
		// Scoped Kafka Manager sign-ins read the instances' manager state (iam cannot import
		// instances); here is where both are at hand, for dmsd and for tests alike.
		svc.IAM.SetManagerSessions(svc.Instances)
	}
	return s
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// RouteStatus is one line of `dmsd routes`.
type RouteStatus struct {
	RouteSpec
	Implemented bool
}

// DMSRoutes lists every route of the reference and the SDK variants with whether it is implemented,
// in table order.
func (s *Server) DMSRoutes() []RouteStatus {
	out := make([]RouteStatus, 0, len(routeTable))
	for _, spec := range routeTable {
		r := s.router.byKey[routeKey(spec.Method, spec.Pattern)]
		out = append(out, RouteStatus{RouteSpec: spec, Implemented: r.handler != nil})
	}
	return out
}

// OwnRoutes lists OpenDMS's routes outside the reference (IAM, admin, health), sorted by path.
func (s *Server) OwnRoutes() []RouteStatus {
	var out []RouteStatus
	for _, r := range s.router.routes {
		if r.spec.Variant == variantOwn {
			out = append(out, RouteStatus{RouteSpec: r.spec, Implemented: r.handler != nil})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern < out[j].Pattern })
	return out
}

// variantOwn marks routes of OpenDMS's own namespaces.
const variantOwn = "opendms"

// own registers a route outside the reference.
func (s *Server) own(method, pattern, title, action string, auth authMode, h http.HandlerFunc) {
	s.router.add(RouteSpec{Section: "opendms", Title: title, Method: method, Pattern: pattern, Action: action, Variant: variantOwn}, auth, h)
}
