package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/engine"
)

func TestEscapeProp(t *testing.T) {
	for _, c := range []struct {
		in   string
		key  bool
		want string
	}{
		{"plain.value", false, "plain.value"},
		{"a=b:c", false, "a=b:c"},
		{"a=b:c", true, `a\=b\:c`},
		{" lead", false, `\ lead`},
		{"in side", false, "in side"},
		{"in side", true, `in\ side`},
		{`C:\dir`, false, `C:\\dir`},
		{"line1\nline2", false, `line1\nline2`},
		{"#hash", true, `\#hash`},
		{"é€😀", false, `\u00e9\u20ac\ud83d\ude00`},
	} {
		if got := escapeProp(c.in, c.key); got != c.want {
			t.Errorf("escapeProp(%q, %v) = %q, want %q", c.in, c.key, got, c.want)
		}
	}
}

func testSpec(n int) engine.Spec {
	s := engine.Spec{InstanceID: "i1", DataDir: "/tmp/x", ClusterID: "MkU3OEVBNTcwNTJENDM2Qk"}
	for i := range n {
		s.Brokers = append(s.Brokers, engine.Broker{ID: int32(i), Host: "127.0.0." + strconv.Itoa(i+1)})
	}
	return s
}

func TestServerProperties(t *testing.T) {
	for _, c := range []struct{ n, rf, isr int }{{1, 1, 1}, {2, 2, 1}, {3, 3, 2}, {5, 3, 2}} {
		spec := testSpec(c.n)
		spec.AutoCreateTopics = true
		spec.BrokerConfigs = map[string]string{"num.io.threads": "8", "log.retention.hours": "72", "zz.custom": "x y"}
		data, err := serverProperties(spec, spec.Brokers[0], "/d/broker-0", 256)
		if err != nil {
			t.Fatal(err)
		}
		got := string(data)
		for _, want := range []string{
			"process.roles=broker,controller\n", "node.id=0\n",
			"listeners=PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9090,CONTROLLER://127.0.0.1:9091\n",
			"advertised.listeners=PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9090\n",
			"inter.broker.listener.name=INTERNAL\n", "log.dirs=/d/broker-0/data\n",
			"auto.create.topics.enable=true\n", "group.initial.rebalance.delay.ms=0\n",
			"default.replication.factor=" + strconv.Itoa(c.rf) + "\n", "offsets.topic.replication.factor=" + strconv.Itoa(c.rf) + "\n",
			"min.insync.replicas=" + strconv.Itoa(c.isr) + "\n", "transaction.state.log.min.isr=" + strconv.Itoa(c.isr) + "\n",
			"num.io.threads=8\n", "log.retention.hours=72\n", "zz.custom=x y\n",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("%d brokers: missing %q in\n%s", c.n, want, got)
			}
		}
		if strings.Count(got, "num.io.threads=") != 1 {
			t.Errorf("num.io.threads not overridden in place:\n%s", got)
		}
		voters := "controller.quorum.voters=0@127.0.0.1:9091"
		if c.n == 3 {
			voters = "controller.quorum.voters=0@127.0.0.1:9091,1@127.0.0.2:9091,2@127.0.0.3:9091\n"
		}
		if !strings.Contains(got, voters) {
			t.Errorf("%d brokers: no %q", c.n, voters)
		}
	}
	spec := testSpec(1)
	spec.BrokerConfigs = map[string]string{"node.id": "7"}
	if _, err := serverProperties(spec, spec.Brokers[0], "/d", 256); err == nil {
		t.Fatal("a reserved config was accepted")
	}
}

func TestNormalize(t *testing.T) {
	good := testSpec(3)
	s, err := normalize(good)
	if err != nil || s.KafkaVersion != DefaultKafkaVersion {
		t.Fatalf("normalize: %+v %v", s, err)
	}
	bad := []func(*engine.Spec){
		func(s *engine.Spec) { s.InstanceID = "" },
		func(s *engine.Spec) { s.DataDir = "" },
		func(s *engine.Spec) { s.DataDir = "/" },
		func(s *engine.Spec) { s.ClusterID = "short" },
		func(s *engine.Spec) { s.ClusterID = "-kU3OEVBNTcwNTJENDM2Qk" },
		func(s *engine.Spec) { s.Brokers = nil },
		func(s *engine.Spec) { s.Brokers = []engine.Broker{{ID: 1, Host: "127.0.0.1"}} },
		func(s *engine.Spec) { s.Brokers = []engine.Broker{{ID: 0, Host: "not-an-ip"}} },
		func(s *engine.Spec) { s.KafkaVersion = "../../etc" },
	}
	for i, f := range bad {
		s := testSpec(1)
		f(&s)
		if _, err := normalize(s); err == nil {
			t.Errorf("bad spec %d accepted", i)
		}
	}
}

func TestUnavailable(t *testing.T) {
	t.Setenv("KAFKA_HOME", "")
	err := Available(Options{JavaHome: filepath.Join(t.TempDir(), "nojava")})
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "JAVA_HOME") {
		t.Fatalf("Available without java: %v", err)
	}
	_, err = Fetch(context.Background(), FetchOptions{CacheDir: t.TempDir(), Maven: "/nonexistent/mvn"})
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "KAFKA_HOME") || !strings.Contains(err.Error(), "Maven") {
		t.Fatalf("Fetch without mvn: %v", err)
	}
	if _, err := Fetch(context.Background(), FetchOptions{Version: "4.3.1; rm -rf /"}); err == nil {
		t.Fatal("bad version accepted")
	}
}

func TestFetchKafkaHome(t *testing.T) {
	// The fetched jars make a KAFKA_HOME install (dir/libs/kafka_2.13-<version>.jar).
	requireKafka(t)
	home := filepath.Dir(fetchLibs)
	cache := t.TempDir()
	libs, err := Fetch(context.Background(), FetchOptions{KafkaHome: home, CacheDir: cache, Maven: "/nonexistent/mvn"})
	if err != nil || libs != filepath.Join(home, "libs") {
		t.Fatalf("Fetch with KAFKA_HOME: %q %v", libs, err)
	}
	// The install is not written to: its PLAIN handler jar is built in the cache, and joins the
	// brokers' classpath from there.
	jar := kafkaHomePlainAuthJar(FetchOptions{CacheDir: cache}.withDefaults())
	if !plainAuthCurrent(jar) || !strings.HasPrefix(jar, cache) {
		t.Fatalf("no current handler jar at %s", jar)
	}
	rt := runtime{libs: libs, plainAuthJar: jar}
	if got, want := rt.classpath(), filepath.Join(libs, "*")+":"+jar; got != want {
		t.Errorf("classpath %q, want %q", got, want)
	}
	// Another version is not taken from that install.
	fake := t.TempDir()
	os.MkdirAll(filepath.Join(fake, "libs"), 0o755)
	os.WriteFile(filepath.Join(fake, "libs", "kafka_2.13-4.3.1.jar"), nil, 0o644)
	if _, err := Fetch(context.Background(), FetchOptions{Version: "4.2.0", KafkaHome: fake, CacheDir: t.TempDir(), Maven: "/nonexistent/mvn"}); !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("Fetch of another version: %v", err)
	}
}

func TestUnknownInstance(t *testing.T) {
	e := newEngine(t)
	defer e.Close()
	if _, err := e.Status(context.Background(), "nope"); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Fatalf("Status: %v", err)
	}
	if err := e.Stop(context.Background(), "nope"); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Fatalf("Stop: %v", err)
	}
	if err := e.Delete(context.Background(), engine.Spec{InstanceID: "nope", DataDir: filepath.Join(t.TempDir(), "gone")}); err != nil {
		t.Fatalf("Delete of an unknown instance: %v", err)
	}
}
