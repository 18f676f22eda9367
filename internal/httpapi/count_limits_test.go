package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/aksk"
	"github.com/opendms/opendms/internal/diagnosis"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/kafkausers"
)

// The limits of an instance (partitions, Kafka users, running diagnoses) are checked and used in one
// atomic step: a burst of concurrent requests gets exactly what the limit leaves, the rest a clear
// 4xx. Each test sends burstSize requests at once, limitRounds() times.

const burstSize = 40

// limitRounds is how many bursts each limit test sends: 1, or OPENDMS_LIMIT_ROUNDS to measure
// (go test -v -run Limit with OPENDMS_LIMIT_ROUNDS=20 logs accepted-vs-limit per round).
func limitRounds(t *testing.T) int {
	if n, err := strconv.Atoi(os.Getenv("OPENDMS_LIMIT_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// answer is one response of a burst: its status and, for an error, its DMS code.
type answer struct {
	status int
	code   string
	err    error // the request failed to get an answer
}

// burst sends n signed requests at once (built first, then released together) and returns their
// answers by index. It never calls t.Fatal from the senders' goroutines.
func (e *testEnv) burst(t *testing.T, n int, build func(i int) (method, path string, body any)) []answer {
	t.Helper()
	reqs := make([]*http.Request, n)
	for i := range reqs {
		method, path, body := build(i)
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r, err := http.NewRequest(method, e.URL+path, bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		if err := aksk.Sign(r, raw, e.AK, e.SK, time.Now()); err != nil {
			t.Fatal(err)
		}
		reqs[i] = r
	}
	out := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			<-start
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				out[i].err = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			out[i] = answer{status: resp.StatusCode, err: err}
			if resp.StatusCode >= 300 {
				var eb errorBody
				_ = json.Unmarshal(b, &eb)
				out[i].code = eb.ErrorCode
			}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// accepted counts the 2xx answers; every other answer must be refusedStatus with refusedCode.
func accepted(t *testing.T, as []answer, refusedStatus int, refusedCode string) int {
	t.Helper()
	n := 0
	for i, a := range as {
		switch {
		case a.err != nil:
			t.Errorf("request %d: %v", i, a.err)
		case a.status/100 == 2:
			n++
		case a.status != refusedStatus || a.code != refusedCode:
			t.Errorf("request %d: %d %s, want 2xx or %d %s", i, a.status, a.code, refusedStatus, refusedCode)
		}
	}
	return n
}

// withServer returns a copy of e whose URL is a second server over e's services, changed by edit
// (a service configured with a small limit, say). The server is closed when the test ends.
func (e *testEnv) withServer(t *testing.T, edit func(*Services)) *testEnv {
	t.Helper()
	svc := e.Server.services()
	edit(&svc)
	hs := httptest.NewServer(New(Config{Region: e.Region}, svc, e.Server.log).Handler())
	t.Cleanup(hs.Close)
	cp := *e
	cp.URL = hs.URL
	return &cp
}

// services are the services the server was made with.
func (s *Server) services() Services {
	return Services{IAM: s.iam, Instances: s.instances, Topics: s.topics, Groups: s.groups, Messages: s.messages,
		Diagnosis: s.diagnosis, Quotas: s.quotas, KafkaUsers: s.kafkaUsers, Catalog: s.catalog}
}

// partitionRoom returns the instance's partition limit and the partitions left under it.
func partitionRoom(t *testing.T, ce *clusterEnv) (limit, remain int) {
	t.Helper()
	resp, b := ce.do(t, http.MethodGet, "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/topics", nil)
	var l struct {
		Max    int `json:"max_partitions"`
		Remain int `json:"remain_partitions"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &l) != nil || l.Max == 0 {
		t.Fatalf("topic list: %d %s", resp.StatusCode, b)
	}
	return l.Max, l.Remain
}

// TestTopicPartitionLimitConcurrent: topic creations and partition additions sent at once never take
// the instance beyond its partition_num (the flavor's partitions per broker times the brokers).
func TestTopicPartitionLimitConcurrent(t *testing.T) {
	ce := newClusterEnv(t, "limits-topics")
	base := "/v2/" + ce.ProjectID + "/instances/" + ce.id
	cases := []struct {
		name  string
		room  int // partitions left under the limit when the burst starts
		each  int // partitions each request adds
		grows bool
		req   func(round, i int) (string, string, any)
	}{
		{name: "5.5.2 create topics", room: 7, each: 2, req: func(round, i int) (string, string, any) {
			return http.MethodPost, base + "/topics", map[string]any{"id": fmt.Sprintf("burst-%d-%d", round, i), "partition": 2}
		}},
		{name: "7.1.1.7 create topics (V1)", room: 5, each: 1, req: func(round, i int) (string, string, any) {
			return http.MethodPost, "/v1.0/" + ce.ProjectID + "/instances/" + ce.id + "/topics",
				map[string]any{"id": fmt.Sprintf("burst-v1-%d-%d", round, i), "partition": 1}
		}},
		{name: "5.5.4 new_partition_numbers", room: 5, each: 1, grows: true, req: func(round, i int) (string, string, any) {
			return http.MethodPut, base + "/topics", map[string]any{"topics": []map[string]any{
				{"id": fmt.Sprintf("grow-%d-%d", round, i), "new_partition_numbers": 2}}}
		}},
		{name: "7.2.2.1 add partitions", room: 6, each: 3, grows: true, req: func(round, i int) (string, string, any) {
			return http.MethodPost, base + "/management/topics/" + fmt.Sprintf("grow-%d-%d", round, i) + "/partitions-reassignment",
				map[string]any{"partition": 4}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for round := range limitRounds(t) {
				ctx := tctx(t)
				// Start empty, then one filler topic leaves exactly tc.room partitions (topics to
				// grow, of 1 partition each, count in it).
				deleteAllTopics(t, ce)
				limit, remain := partitionRoom(t, ce)
				if remain != limit {
					t.Fatalf("round %d: %d partitions left of %d after deleting every topic", round, remain, limit)
				}
				grow := 0
				if tc.grows {
					grow = burstSize
					for i := range burstSize {
						if _, err := ce.adm.CreateTopic(ctx, 1, 1, nil, fmt.Sprintf("grow-%d-%d", round, i)); err != nil {
							t.Fatal(err)
						}
					}
				}
				if _, err := ce.adm.CreateTopic(ctx, int32(limit-grow-tc.room), 1, nil, fmt.Sprintf("filler-%d", round)); err != nil {
					t.Fatal(err)
				}
				if _, remain := partitionRoom(t, ce); remain != tc.room {
					t.Fatalf("round %d: %d partitions left, want %d", round, remain, tc.room)
				}
				as := ce.burst(t, burstSize, func(i int) (string, string, any) { return tc.req(round, i) })
				got, want := accepted(t, as, http.StatusBadRequest, dms.CodePartitionQuota), tc.room/tc.each
				used := 0
				for _, n := range userTopics(t, ce) {
					used += n
				}
				t.Logf("round %d: %d of %d requests accepted, the limit leaves room for %d; %d partitions used of %d",
					round, got, burstSize, want, used, limit)
				if got != want || used != limit-tc.room+want*tc.each {
					t.Errorf("round %d: %d accepted, %d partitions used; want %d accepted, %d used", round, got, used, want, limit-tc.room+want*tc.each)
				}
			}
		})
	}
}

// TestDiagnosisLimitConcurrent: diagnoses started at once on one instance never run more than
// diagnosis.max_running; the others are refused with a 400.
func TestDiagnosisLimitConcurrent(t *testing.T) {
	ce := newClusterEnv(t, "limits-diagnosis")
	const maxRunning = 3
	ce.create(t, &model.CreateInstanceTopicReq{Id: "orders", Partition: tpI32(1)})
	// One group per request: a diagnosis of a group and topic already running is answered with the
	// running one rather than started again.
	for i := range burstSize {
		commitAdmin(t, ce, fmt.Sprintf("g-%d", i), "orders", map[int32]int64{0: 0})
	}
	path := "/v2/" + ce.ProjectID + "/kafka/instances/" + ce.id + "/message-diagnosis-tasks"
	for round := range limitRounds(t) {
		// A window longer than the test: every accepted report is still diagnosing when the burst ends.
		diag := diagnosis.New(ce.Instances, ce.Groups, ce.Store, diagnosis.Config{Window: time.Hour, Samples: 2, MaxRunning: maxRunning}, nil)
		small := ce.withServer(t, func(s *Services) { s.Diagnosis = diag })
		as := small.burst(t, burstSize, func(i int) (string, string, any) {
			return http.MethodPost, path, map[string]string{"group_name": fmt.Sprintf("g-%d", i), "topic_name": "orders"}
		})
		got := accepted(t, as, http.StatusBadRequest, dms.CodeInvalidParameter)
		rs, err := ce.Store.ListDiagnoses(tctx(t), ce.id)
		if err != nil {
			t.Fatal(err)
		}
		var running []string
		for _, r := range rs {
			if r.Status == dms.DiagnosisDiagnosing {
				running = append(running, r.ID)
			}
		}
		t.Logf("round %d: %d of %d diagnoses accepted, %d running, max_running %d", round, got, burstSize, len(running), maxRunning)
		if got != maxRunning || len(running) != maxRunning {
			t.Errorf("round %d: %d accepted, %d running; want %d", round, got, len(running), maxRunning)
		}
		// The next round starts with none running.
		if _, err := diag.Delete(tctx(t), ce.ProjectID, ce.id, running); err != nil {
			t.Fatal(err)
		}
		diag.Close()
	}
}

// usersLimitBurst sends a burst of user creations to a server whose Kafka user service allows
// room more users than the instance has, and checks that exactly room are created; it deletes them
// afterwards. It runs inside TestKafkaUsersAPI, on its SASL instance of the local engine (the
// embedded engine has no SASL).
func usersLimitBurst(t *testing.T, e *testEnv, id string, round, have, room int) {
	t.Helper()
	users := kafkausers.New(e.Instances, e.Store, testSealer(t), kafkausers.Config{MaxUsers: have + room}, nil)
	small := e.withServer(t, func(s *Services) { s.KafkaUsers = users })
	path := "/v2/" + e.ProjectID + "/instances/" + id + "/users"
	as := small.burst(t, burstSize, func(i int) (string, string, any) {
		return http.MethodPost, path, map[string]string{"user_name": fmt.Sprintf("burst-%d-%d", round, i), "user_passwd": "Passw0rd-burst"}
	})
	got := accepted(t, as, http.StatusBadRequest, dms.CodeQuotaReached)
	list, err := users.List(tctx(t), e.ProjectID, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("round %d: %d of %d users accepted, the limit leaves room for %d; the instance has %d users, max %d",
		round, got, burstSize, room, len(list), have+room)
	if got != room || len(list) != have+room {
		t.Errorf("round %d: %d accepted, %d users; want %d accepted, %d users", round, got, len(list), room, have+room)
	}
	var created []string
	for _, u := range list {
		if len(u.Name) > 6 && u.Name[:6] == "burst-" {
			created = append(created, u.Name)
		}
	}
	if err := users.Delete(tctx(t), e.ProjectID, id, created); err != nil {
		t.Fatal(err)
	}
}

// testSealer is a sealer with the key of the test servers.
func testSealer(t *testing.T) *iam.Sealer {
	t.Helper()
	s, err := iam.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// userTopics returns the partitions of every user topic, by name, from a Metadata request of its
// own: kadm's listing may be kgo's cached metadata, seconds old.
func userTopics(t *testing.T, ce *clusterEnv) map[string]int {
	t.Helper()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(tctx(t), ce.kcl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, tp := range resp.Topics {
		if tp.Topic != nil && !tp.IsInternal {
			out[*tp.Topic] = len(tp.Partitions)
		}
	}
	return out
}

// deleteAllTopics deletes every user topic of the instance through the API (5.5.5), which frees
// their partitions at once (a deletion by a Kafka client right after a creation through the API
// is counted for a few seconds more).
func deleteAllTopics(t *testing.T, ce *clusterEnv) {
	t.Helper()
	names := slices.Collect(maps.Keys(userTopics(t, ce)))
	if len(names) == 0 {
		return
	}
	resp, b := ce.do(t, http.MethodPost, "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/topics/delete", map[string]any{"topics": names})
	if resp.StatusCode != http.StatusOK || strings.Contains(string(b), `"success":false`) {
		t.Fatalf("deleting %v: %d %s", names, resp.StatusCode, b)
	}
}
