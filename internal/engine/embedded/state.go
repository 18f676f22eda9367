package embedded

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	// kfakeDir is kfake's data dir below the spec's DataDir.
	kfakeDir = "kfake"
	// stateFile is the engine's own record below the spec's DataDir.
	stateFile = "embedded.json"
)

// state is what the engine remembers about an instance between opens: kfake keeps static and
// dynamic broker configs in one persisted map, so a key the spec stops setting must be dropped
// from it explicitly.
type state struct {
	// StaticBrokerConfigs are the keys the engine passed as broker configs at the last open.
	StaticBrokerConfigs []string `json:"static_broker_configs"`
}

func readState(dataDir string) (state, error) {
	var st state
	b, err := os.ReadFile(filepath.Join(dataDir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", stateFile, err)
	}
	return st, nil
}

func writeState(dataDir string, st state) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dataDir, stateFile), b)
}

// dropPersistedBrokerConfigs removes keys from kfake's broker_configs.json
// ({"version":1,"configs":{...}}, kfake's persistBrokerConfigs), so that a static config removed
// from the spec falls back to its default instead of surviving in kfake's persisted map.
func dropPersistedBrokerConfigs(kdir string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	path := filepath.Join(kdir, "broker_configs.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("kfake broker_configs.json: %w", err)
	}
	var cfgs map[string]string
	if raw, ok := doc["configs"]; ok {
		if err := json.Unmarshal(raw, &cfgs); err != nil {
			return fmt.Errorf("kfake broker_configs.json: %w", err)
		}
	}
	changed := false
	for _, k := range keys {
		if _, ok := cfgs[k]; ok {
			delete(cfgs, k)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	raw, err := json.Marshal(cfgs)
	if err != nil {
		return err
	}
	doc["configs"] = raw
	if b, err = json.Marshal(doc); err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// persistedClusterID is the cluster id in kfake's meta.json, which wins over the ClusterID option.
func persistedClusterID(kdir string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(kdir, "meta.json"))
	if err != nil {
		return "", false
	}
	var meta struct {
		ClusterID string `json:"cluster_id"`
	}
	if json.Unmarshal(b, &meta) != nil {
		return "", false
	}
	return meta.ClusterID, true
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
