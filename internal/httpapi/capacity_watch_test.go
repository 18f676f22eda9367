package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
)

// The capacity watcher against the instance's state: which brokers share the storage, which
// statuses and tasks it acts under, what it decides on, and its gate and shutdown.

// fillTo produces 1000-byte records to partition 0 of topic until the fullest broker holds at
// least target bytes.
func (ce *capEnv) fillTo(topic string, target int64) {
	ce.t.Helper()
	for i := 0; ; i++ {
		var most int64
		for _, u := range ce.brokerUsage() {
			most = max(most, u)
		}
		if most >= target {
			return
		}
		if i > 1000 {
			ce.t.Fatalf("%s: %d bytes after %d records, want %d", topic, most, i, target)
		}
		if err := ce.produce(topic, i, 1, 1000); err != nil {
			ce.t.Fatal(err)
		}
	}
}

// emptyTopic deletes every record of partition 0 of topic with a Kafka client (5.2.x refuses while
// the instance is not RUNNING; kfake frees them at once).
func (ce *capEnv) emptyTopic(topic string) {
	ce.t.Helper()
	end, err := ce.adm.ListEndOffsets(ce.ctx(), topic)
	if err != nil {
		ce.t.Fatal(err)
	}
	o, _ := end.Lookup(topic, 0)
	res, err := ce.adm.DeleteRecords(ce.ctx(), kadm.Offsets{topic: {0: kadm.Offset{At: o.Offset, LeaderEpoch: -1}}})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		ce.t.Fatal(err)
	}
}

// refused reports whether the watcher refuses produce requests now: recorded on the instance, and
// a produce request answered TOPIC_AUTHORIZATION_FAILED.
func (ce *capEnv) refused(topic string) bool {
	ce.t.Helper()
	in := ce.instance()
	err := ce.produce(topic, 0, 1, 10)
	if (in.Capacity != nil && in.Capacity.ProduceRejected) != errors.Is(err, kerr.TopicAuthorizationFailed) {
		ce.t.Fatalf("capacity state %+v but produce answered %v", in.Capacity, err)
	}
	if err != nil && !errors.Is(err, kerr.TopicAuthorizationFailed) {
		ce.t.Fatal(err)
	}
	return err != nil
}

// autoExpandTasks counts the instance's autoExpandVolume tasks in 5.9 (from the store once the
// instance is being deleted: 5.9 does not answer then).
func (ce *capEnv) autoExpandTasks() (n int, last dms.Task) {
	ce.t.Helper()
	ts, err := ce.Store.ListTasks(context.Background(), ce.id)
	if err != nil {
		ce.t.Fatal(err)
	}
	for _, tk := range ts {
		if tk.Name == "autoExpandVolume" {
			n++
			if n == 1 {
				last = tk // newest first
			}
		}
	}
	return n, last
}

// setAutoExpand enables (or disables) the automatic volume expansion with the SDK.
func (ce *capEnv) setAutoExpand(enable bool, threshold, increment, maxGB int32) {
	ce.t.Helper()
	b := model.AlterAutoVolumeExpandConfig{AutoVolumeExpandEnable: enable, ExpandThreshold: &threshold, ExpandIncrement: &increment, MaxVolumeSize: &maxGB}
	if _, err := ce.sdk.UpdateVolumeExpansionConfig(&model.UpdateVolumeExpansionConfigRequest{InstanceId: ce.id, Body: &b}); err != nil {
		ce.t.Fatal(err)
	}
}

// TestCapacityAfterFailedExtension: a horizontal extension 3 -> 5 that fails leaves 5 brokers
// recorded and broker_num 3. The storage is shared by the 3 serving brokers (100,000 bytes each,
// not 60,000), in EXTENDEDFAILED as after a restart clears it, by the watcher, 5.2.10 and the
// automatic expansion (rounded to broker_num).
func TestCapacityAfterFailedExtension(t *testing.T) {
	ce := newCapEnv(t, "embedded", 1000) // 300 GB on 3 brokers: 100,000 bytes each
	ce.createTopic("fill", 3, nil)
	ce.setPolicy(dms.RetentionProduceReject)
	injected := errors.New("injected start failure")
	ce.Gate.fail.Store(&injected)
	job, err := ce.sdk.ResizeEngineInstance(resizeReq(ce.id, model.ResizeEngineInstanceReq{OperType: "horizontal", NewBrokerNum: ptr32(5)}))
	if err != nil {
		t.Fatal(err)
	}
	if tk := waitTask(t, ce.sdk, ce.id, deref(job.JobId)); deref(tk.Status) != "FAILED" {
		t.Fatalf("extension task %+v", tk)
	}
	waitInstance(t, ce.sdk, ce.id, "EXTENDEDFAILED")
	ce.Gate.fail.Store(nil)
	if in := ce.instance(); in.BrokerNum != 3 || len(in.Brokers) != 5 || in.StorageSpace != 300 {
		t.Fatalf("after the failure: broker_num %d, %d brokers recorded, %d GB", in.BrokerNum, len(in.Brokers), in.StorageSpace)
	}

	diskUsage := func(t *testing.T) map[string]float64 {
		t.Helper()
		resp, err := ce.sdk.ShowKafkaTopicPartitionDiskusage(&model.ShowKafkaTopicPartitionDiskusageRequest{InstanceId: ce.id})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, b := range deref(resp.BrokerList) {
			p, err := strconv.ParseFloat(deref(b.DataDiskUsePercentage), 64)
			if err != nil {
				t.Fatal(err)
			}
			out[deref(b.BrokerName)] = p
		}
		return out
	}

	// 70 %: under 95 % of 100,000 bytes, over 95 % of a fifth of the storage.
	ce.fillTo("fill", 70_000)
	for _, step := range []struct {
		name   string
		status string
		clear  bool // restart first: RUNNING, the 5 brokers still recorded
	}{
		{"EXTENDEDFAILED", "EXTENDEDFAILED", false},
		{"RUNNING after a restart", "RUNNING", true},
	} {
		t.Run(step.name, func(t *testing.T) {
			ce.t = t
			if step.clear {
				if _, err := ce.Instances.Restart(context.Background(), ce.ProjectID, ce.id, instances.Actor{UserName: "test"}); err != nil {
					t.Fatal(err)
				}
				waitInstance(t, ce.sdk, ce.id, step.status)
			}
			if in := ce.instance(); in.Status != step.status || len(in.Brokers) != 5 || in.BrokerNum != 3 {
				t.Fatalf("status %s, %d brokers recorded, broker_num %d", in.Status, len(in.Brokers), in.BrokerNum)
			}
			ce.check()
			if ce.refused("fill") {
				t.Fatalf("refused at 70 %%: %+v", ce.instance().Capacity)
			}
			if step.status == "RUNNING" { // 5.2.10 answers RUNNING instances only
				du := diskUsage(t)
				if len(du) != 3 {
					t.Errorf("5.2.10 lists %v, want the 3 serving brokers", du)
				}
				for id, used := range ce.brokerUsage() {
					p, ok := du["broker-"+strconv.Itoa(int(id))]
					if want := float64(used) / 1000; id < 3 && (!ok || p < want-1 || p > want+1) {
						t.Errorf("5.2.10 broker %d at %.1f %%, want %.1f (%d of 100,000 bytes)", id, p, want, used)
					}
				}
			}
			// 97 %: refused, in this status too; accepted again once emptied.
			ce.fillTo("fill", 97_000)
			ce.check()
			if !ce.refused("fill") {
				t.Fatalf("not refused at 97 %%: %+v (usage %v)", ce.instance().Capacity, ce.brokerUsage())
			}
			ce.emptyTopic("fill")
			ce.check()
			if ce.refused("fill") {
				t.Fatalf("still refused when empty: %+v", ce.instance().Capacity)
			}
			ce.fillTo("fill", 70_000)
		})
	}
	ce.t = t
	if t.Failed() {
		return
	}
	// The automatic expansion grows by 12 % to a multiple of broker_num: 336 GB (340 would be a
	// multiple of the 5 recorded brokers).
	ce.setAutoExpand(true, 50, 12, 600)
	ce.check()
	if in := ce.instance(); in.StorageSpace != 336 {
		t.Errorf("automatically grown to %d GB, want 336", in.StorageSpace)
	}
}

// TestCapacityDuringServingTask: a task that keeps the instance RUNNING (here a held one; a
// partition reassignment runs for hours) does not stop the watcher: the automatic expansion grows
// the storage at once (recorded as a finished task, not queued behind the running one), the policy
// is enforced; and an instance deleted after the pass listed it is left alone.
func TestCapacityDuringServingTask(t *testing.T) {
	ce := newCapEnv(t, "embedded", 1000) // 100,000 bytes a broker
	ce.createTopic("fill", 3, nil)
	ce.holdInstance(t, ce.id)
	if !ce.Instances.Busy(ce.id) {
		t.Fatal("not busy")
	}

	ce.setAutoExpand(true, 50, 10, 600)
	ce.fillTo("fill", 60_000)
	ce.check()
	if in := ce.instance(); in.StorageSpace != 330 || in.Status != dms.StatusRunning {
		t.Fatalf("storage %d GB, status %s while a task runs: want 330 GB, RUNNING", in.StorageSpace, in.Status)
	}
	if n, tk := ce.autoExpandTasks(); n != 1 || tk.Status != dms.TaskSuccess || !strings.Contains(tk.Params, `"new_storage_space":330`) {
		t.Fatalf("%d autoExpandVolume tasks, the last %+v", n, tk)
	}
	// 5.9 lists it.
	ts, err := ce.sdk.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: ce.id})
	if err != nil || !strings.Contains(fmt.Sprint(deref(ts.Tasks)), "autoExpandVolume") {
		t.Fatalf("5.9: %v %v", ts, err)
	}

	ce.setAutoExpand(false, 50, 10, 600)
	ce.setPolicy(dms.RetentionProduceReject)
	ce.fillTo("fill", 106_000) // 96 % of 110,000
	ce.check()
	if !ce.refused("fill") {
		t.Fatalf("not refused while a task runs: %+v (usage %v)", ce.instance().Capacity, ce.brokerUsage())
	}

	// Listed by a pass, then deleted (the deletion queued behind the running task): no growth,
	// no task.
	ce.setAutoExpand(true, 50, 10, 600)
	listed := ce.instance()
	if _, err := ce.sdk.DeleteInstance(&model.DeleteInstanceRequest{InstanceId: ce.id}); err != nil {
		t.Fatal(err)
	}
	if err := ce.Capacity.Check(context.Background(), listed); err != nil {
		t.Fatal(err)
	}
	if n, _ := ce.autoExpandTasks(); n != 1 {
		t.Errorf("%d autoExpandVolume tasks after the deletion, want the first one only", n)
	}
	if in, err := ce.Store.GetInstance(context.Background(), ce.id); err != nil || in.StorageSpace != 330 {
		t.Errorf("stored after the deletion: %d GB, %v", in.StorageSpace, err)
	}
}

// TestCapacityActsOnStoredInstance: Check gets the instance as a pass listed it; a 5.1.5 policy
// switch or a storage growth since is what it acts on (read again before deleting records or
// closing the gate).
func TestCapacityActsOnStoredInstance(t *testing.T) {
	ce := newCapEnv(t, "embedded", 1000) // 100,000 bytes a broker
	for i, c := range []struct {
		name           string
		listed, stored string // retention_policy when listed and now
		growTo         int    // storage_space grown to after the listing (0: not)
		wantTrimmed    bool
		wantRefused    bool
	}{
		{"switched to produce_reject: nothing deleted", dms.RetentionTimeBase, dms.RetentionProduceReject, 0, false, true},
		{"switched to time_base: not refused, trimmed", dms.RetentionProduceReject, dms.RetentionTimeBase, 0, true, false},
		{"storage grown: nothing deleted", dms.RetentionTimeBase, dms.RetentionTimeBase, 600, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ce.t = t
			topic := "fill-" + strconv.Itoa(i)
			ce.createTopic(topic, 3, nil)
			defer func() {
				ce.emptyTopic(topic)
				ce.check() // under the threshold: the gate opens
			}()
			ce.setPolicy(c.listed)
			ce.fillTo(topic, 97_000)
			listed := ce.instance()
			ce.setPolicy(c.stored)
			if c.growTo > 0 {
				if _, err := ce.Instances.GrowStorage(context.Background(), ce.id, c.growTo, "test"); err != nil {
					t.Fatal(err)
				}
			}
			if err := ce.Capacity.Check(context.Background(), listed); err != nil {
				t.Fatal(err)
			}
			starts, err := ce.adm.ListStartOffsets(ce.ctx(), topic)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := starts.Lookup(topic, 0)
			if trimmed := s.Offset > 0; trimmed != c.wantTrimmed {
				t.Errorf("trimmed %v (log start %d), want %v; stored policy %s", trimmed, s.Offset, c.wantTrimmed, ce.instance().RetentionPolicy)
			}
			if refused := ce.refused(topic); refused != c.wantRefused {
				t.Errorf("refused %v, want %v", refused, c.wantRefused)
			}
		})
	}
}

// TestCapacityGateNeverLeftClosed: a gate closed without the state recorded (the record failed, or
// the pass was cancelled) is opened by the next pass; and the state is recorded before the gate
// closes, so a pass cancelled while closing it still leaves the instance saying so.
func TestCapacityGateNeverLeftClosed(t *testing.T) {
	ce := newCapEnv(t, "embedded", 1000)
	ce.createTopic("fill", 3, nil)
	ce.setPolicy(dms.RetentionProduceReject)

	t.Run("closed without a state: opened", func(t *testing.T) {
		ce.t = t
		if err := ce.Instances.SetProduceReject(context.Background(), ce.instance(), true, "full"); err != nil {
			t.Fatal(err)
		}
		ce.check()
		if ce.refused("fill") {
			t.Fatalf("produce still refused on an empty instance: capacity state %+v", ce.instance().Capacity)
		}
	})

	t.Run("pass cancelled while closing: the state is recorded", func(t *testing.T) {
		ce.t = t
		ce.fillTo("fill", 97_000)
		entered := make(chan struct{}, 1)
		hook := func(ctx context.Context, reject bool) error {
			if !reject {
				return nil
			}
			entered <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}
		ce.Gate.produceHook.Store(&hook)
		defer ce.Gate.produceHook.Store(nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- ce.Capacity.Check(ctx, ce.instance()) }()
		<-entered
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Check: %v, want cancelled", err)
		}
		if in := ce.instance(); in.Capacity == nil || !in.Capacity.ProduceRejected {
			t.Fatalf("capacity state %+v after a cancelled pass, want produce refused", in.Capacity)
		}
		ce.Gate.produceHook.Store(nil)
		ce.check()
		if !ce.refused("fill") {
			t.Fatal("not refused after the next pass")
		}
	})
}

// TestCapacityCloseCancelsPass: Close ends the watcher's pass in progress (its context is
// cancelled), not waiting for the pass's own deadline.
func TestCapacityCloseCancelsPass(t *testing.T) {
	ce := newCapEnvOpts(t, "embedded", testEnvOptions{BytesPerStorageGB: 1000, CapacityInterval: 50 * time.Millisecond})
	ce.createTopic("fill", 3, nil)
	ce.setPolicy(dms.RetentionProduceReject)
	entered, ended := make(chan struct{}, 1), make(chan error, 1)
	var held atomic.Bool
	hook := func(ctx context.Context, reject bool) error {
		if !held.CompareAndSwap(false, true) {
			return errors.New("held already") // only the first call is held
		}
		entered <- struct{}{}
		<-ctx.Done()
		ended <- ctx.Err()
		return ctx.Err()
	}
	ce.Gate.produceHook.Store(&hook)
	ce.fillTo("fill", 97_000) // a pass closes the gate (or opens it, before this)
	<-entered
	ce.Capacity.Close()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("the pass in progress ended with %v, want cancelled by Close", err)
	}
}
