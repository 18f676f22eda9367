package dmsd

import (
	"fmt"

	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/engine/embedded"
	"github.com/opendms/opendms/internal/engine/local"
)

// openEngines makes the engines this dmsd can run clusters with and picks the one new instances get:
// --engine local or embedded as asked; auto picks local when Java 17+ and Kafka can be had, else
// embedded, and logs which and why. Both are always available to instances created earlier with
// either.
func (s *Server) openEngines() (map[string]engine.Engine, string, error) {
	// The engines name themselves in their log lines (With("engine", ...)): they get the plain logger,
	// or every line would carry engine= twice.
	engines := map[string]engine.Engine{
		embedded.Name: embedded.New(embedded.Options{Logger: s.log}),
	}
	local, localErr := s.openLocalEngine()
	if local != nil {
		engines[local.Name()] = local
	}
	switch s.cfg.Engine {
	case "embedded":
		s.log.Info("engine for new instances", "engine", embedded.Name, "why", "--engine embedded")
		return engines, embedded.Name, nil
	case "local":
		if localErr != nil {
			return nil, "", fmt.Errorf("--engine local: %w", localErr)
		}
		s.log.Info("engine for new instances", "engine", "local", "why", "--engine local")
		return engines, "local", nil
	default: // auto
		if localErr != nil {
			s.log.Info("engine for new instances", "engine", embedded.Name, "why", "the local engine is unavailable: "+localErr.Error())
			return engines, embedded.Name, nil
		}
		s.log.Info("engine for new instances", "engine", "local", "why", "Java 17+ and Kafka are available")
		return engines, "local", nil
	}
}

// openLocalEngine makes the local (Apache Kafka JVM) engine; it is nil with the reason when this
// machine cannot run it (no Java 17+, or no Kafka jars and no Maven to resolve them). Resolving the
// jars happens in the background on first use, never here.
func (s *Server) openLocalEngine() (engine.Engine, error) {
	opts := local.Options{CacheDir: s.cfg.KafkaCacheDir, DefaultHeapMB: s.cfg.BrokerHeapMB, Logger: s.log} // the engine adds engine=local itself
	if err := local.Available(opts); err != nil {
		return nil, err
	}
	return local.New(opts)
}
