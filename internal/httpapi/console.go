package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/console"
)

// registerConsoleRoutes serves the web console's static files without authentication: they hold no
// data and no secret; the console's API calls carry the token like any SDK's. "/" sends a browser to
// the console.
func (s *Server) registerConsoleRoutes() {
	files := console.Handler().ServeHTTP
	for _, method := range []string{"GET", "HEAD"} {
		s.own(method, "/", "Web console: redirects to /console/", "", authNone, redirectToConsole)
		s.own(method, "/console", "Web console: index.html (/console redirects to /console/)", "", authNone, files)
		s.own(method, "/console/{file...}", "Web console: its static files (embedded)", "", authNone, files)
	}
}

func redirectToConsole(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, console.Prefix, http.StatusFound)
}
