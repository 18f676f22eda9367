package dmsd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/engine/local"
	"github.com/opendms/opendms/internal/store/sqlite"
)

// instancesDir is where the engines keep the instances' data (<data dir>/instances/<id>).
func (c Config) instancesDir() string { return filepath.Join(c.DataDir, "instances") }

// StoppedInstance is what StopBrokers did to one instance of the local engine.
type StoppedInstance struct {
	ID, Name string
	Brokers  int // broker JVMs that were running and are now stopped
	Err      error
}

// StopBrokers stops, gracefully, every broker JVM the local engine runs for the instances of
// cfg.DataDir: dmsd leaves them running when it exits (the next start adopts them), and this is how
// to stop them. It refuses while a dmsd holds the data dir (that dmsd supervises the brokers and
// would restart them), and holds the data dir's lock itself meanwhile, so no dmsd starts in between.
// The instances come from the store and their brokers from the engine's state under each instance's
// directory (pid files checked against the broker's command line), never from process names. The
// data stays: the next dmsd start starts the brokers again.
func StopBrokers(ctx context.Context, cfg Config, log *slog.Logger) ([]StoppedInstance, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		if errors.Is(err, errDataDirInUse) {
			return nil, fmt.Errorf("%w: stop that dmsd first (Ctrl-C or SIGTERM; it leaves the brokers running), then run dmsd stop-brokers", err)
		}
		return nil, err
	}
	defer unlockDataDir(lock)
	st, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	all, err := st.ListInstances(ctx, "")
	if err != nil {
		return nil, err
	}
	le, err := local.New(local.Options{CacheDir: cfg.KafkaCacheDir, Logger: log})
	if err != nil {
		return nil, err
	}
	defer le.Close()
	var out []StoppedInstance
	for _, in := range all {
		if in.Runtime != le.Name() {
			continue // the embedded engine's clusters live in dmsd's process and ended with it
		}
		n, err := le.StopInstanceBrokers(ctx, engine.Spec{InstanceID: in.ID, DataDir: filepath.Join(cfg.instancesDir(), in.ID)})
		out = append(out, StoppedInstance{ID: in.ID, Name: in.Name, Brokers: n, Err: err})
	}
	return out, nil
}

// runningBrokers counts the broker JVMs the engines leave running when dmsd exits.
func (s *Server) runningBrokers() (n int, any bool) {
	for _, e := range s.engines {
		if r, ok := e.(interface{ RunningBrokers() int }); ok {
			n, any = n+r.RunningBrokers(), true
		}
	}
	return n, any
}
