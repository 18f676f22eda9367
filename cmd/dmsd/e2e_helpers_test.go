package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opendms/opendms/client"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/testlock"
)

// e2eEnv is a dmsd process on one engine with one 3-broker instance RUNNING.
type e2eEnv struct {
	dir    string   // dmsd's data dir
	args   []string // dmsd's arguments, to restart it the same way
	env    []string
	p      *proc
	c      *client.Client
	creds  iam.AdminCredentials
	id     string   // the instance
	seeds  []string // its brokers, "ip:9092"
	create time.Duration
}

// newE2E starts dmsd with engine on its own /24 of subnet (e.g. "127.63") and creates an instance
// named name, waiting up to readyTimeout for RUNNING. Broker processes of the local engine are
// killed when the test ends, whatever happens.
func newE2E(t *testing.T, engine, subnet, name string, readyTimeout time.Duration) *e2eEnv {
	t.Helper()
	return newE2EWith(t, engine, subnet, name, readyTimeout, nil)
}

// newE2EWith is newE2E with extra fields in the creation request (security settings, ...).
func newE2EWith(t *testing.T, engine, subnet, name string, readyTimeout time.Duration, extra map[string]any) *e2eEnv {
	t.Helper()
	if engine == "local" {
		testlock.JVM(t) // one package at a time runs brokers on this machine
	}
	e := &e2eEnv{dir: t.TempDir(), args: []string{"--engine", engine}}
	// A /24 of its own, so parallel test packages never compete for a broker IP:9092.
	// A short diagnosis window: the e2e diagnoses observe 6 s.
	e.env = []string{"DMS_CONFIG=" + writeConfig(t, fmt.Sprintf("ip_pool: %s.%d.0/24\ndiagnosis:\n  window: 6s\n  samples: 3\n", subnet, rand.IntN(250)))}
	t.Cleanup(func() {
		for _, pid := range processesUnder(e.dir) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	e.start(t)
	var zones struct {
		AvailableZones []struct {
			ID string `json:"id"`
		} `json:"available_zones"`
	}
	ctx := context.Background()
	must(t, call(ctx, e.c, "GET", "/v2/available-zones", nil, &zones))
	var created struct {
		InstanceID string `json:"instance_id"`
	}
	start := time.Now()
	body := map[string]any{
		"name": name, "engine": "kafka", "engine_version": "3.x", "broker_num": 3, "storage_space": 300,
		"product_id": "c6.2u4g.cluster", "vpc_id": "v", "security_group_id": "s", "subnet_id": "n",
		"available_zones": []string{zones.AvailableZones[0].ID}, "storage_spec_code": "dms.physical.storage.ultra.v2",
	}
	maps.Copy(body, extra)
	must(t, call(ctx, e.c, "POST", "/v2/kafka/{project_id}/instances", body, &created))
	e.id = created.InstanceID
	in := waitRunning(t, e.c, e.id, readyTimeout)
	e.create = time.Since(start)
	for _, h := range strings.Split(in.ConnectAddress, ",") {
		e.seeds = append(e.seeds, net.JoinHostPort(h, "9092"))
	}
	return e
}

// start starts (or restarts) dmsd on the env's data dir and makes a client of the administrator.
func (e *e2eEnv) start(t *testing.T) {
	t.Helper()
	e.p = startDmsdWith(t, e.dir, e.args, false, e.env...)
	creds, err := iam.ReadCredentials(filepath.Join(e.dir, "admin-credentials.json"))
	must(t, err)
	e.creds = creds
	e.c, err = client.New(client.Config{Endpoint: e.p.url(), AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, ProjectID: creds.ProjectID})
	must(t, err)
}

// base is the path prefix of the instance's APIs.
func (e *e2eEnv) base() string { return "/v2/{project_id}/instances/" + e.id }
