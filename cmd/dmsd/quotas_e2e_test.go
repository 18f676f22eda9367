package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// throttleHook counts the throttling the brokers ask a client for.
type throttleHook struct{ total atomic.Int64 } // ns

func (h *throttleHook) OnBrokerThrottle(_ kgo.BrokerMetadata, d time.Duration, _ bool) {
	h.total.Add(int64(d))
}

// producerRun is what produceRate measured.
type producerRun struct {
	overall  float64       // bytes/s acknowledged over the whole run
	steady   float64       // bytes/s acknowledged after the warm-up
	throttle time.Duration // the throttling the brokers asked for, in total
}

// produceRate produces 16 KiB records (batches of up to 64 KiB) to topic with client id clientID
// as fast as the client can for warmup+measure, and returns the rates the cluster acknowledged:
// over the whole run, and over measure after warmup. The two differ under a quota: Kafka measures
// a client's rate over a window of quota.window.num (11) samples of 1 s and counts at least 10 s
// for a new client, so a client may send about 10 s worth of its quota at once before it is
// throttled at all, and is then held back until that burst has left the window.
func produceRate(t *testing.T, seeds []string, topic, clientID string, warmup, measure time.Duration) producerRun {
	t.Helper()
	hook := &throttleHook{}
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ClientID(clientID), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.MaxBufferedBytes(32<<20), kgo.WithHooks(hook),
		// Batches of 64 KiB rather than kgo's 1 MB: under 256 KiB/s a 1 MB request alone is
		// throttled 4 s, too coarse a step for these measurements.
		kgo.ProducerBatchMaxBytes(64<<10))
	must(t, err)
	defer cl.Close() // fails what is still buffered
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	value := make([]byte, 16<<10)
	for i := range value {
		value[i] = byte(i * 31) // uncompressed anyway; not all zeros
	}
	var all, steady atomic.Int64
	start := time.Now()
	from, end := start.Add(warmup), start.Add(warmup+measure)
	for time.Now().Before(end) {
		// Produce blocks while the client's buffer is full: the loop runs as fast as acks come.
		cl.Produce(ctx, &kgo.Record{Value: value}, func(r *kgo.Record, err error) {
			if now := time.Now(); err == nil && now.Before(end) {
				all.Add(int64(len(r.Value)))
				if !now.Before(from) {
					steady.Add(int64(len(r.Value)))
				}
			}
		})
	}
	return producerRun{overall: float64(all.Load()) / (warmup + measure).Seconds(), steady: float64(steady.Load()) / measure.Seconds(),
		throttle: time.Duration(hook.total.Load())}
}

// TestLocalQuota: a client-id quota set through the API (5.2.15) throttles a real producer of
// Apache Kafka, and another client id is not throttled. Both rates are logged (the measurement).
func TestLocalQuota(t *testing.T) {
	e := newE2E(t, "local", "127.66", "kafka-quota-e2e", 4*time.Minute)
	defer func() { e.p.stop(t) }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// One partition: Kafka applies a quota per broker, so a single leader makes the measured rate
	// the quota's own.
	kcl, err := kgo.NewClient(kgo.SeedBrokers(e.seeds...))
	must(t, err)
	defer kcl.Close()
	if _, err := kadm.NewClient(kcl).CreateTopic(ctx, 1, 3, nil, "quota-topic"); err != nil {
		t.Fatal(err)
	}

	const quota = 256 << 10 // bytes/s
	var job struct {
		JobID string `json:"job_id"`
	}
	path := "/v2/kafka/{project_id}/instances/" + e.id + "/kafka-user-client-quota"
	must(t, call(ctx, e.c, "POST", path, map[string]any{"client": "throttled", "producer-byte-rate": quota}, &job))
	waitTask(t, e.c, e.id, job.JobID, time.Minute)
	var list struct {
		Quotas []struct {
			Client   string `json:"client"`
			Producer int64  `json:"producer-byte-rate"`
		} `json:"quotas"`
		Count int `json:"count"`
	}
	must(t, call(ctx, e.c, "GET", path, nil, &list))
	if list.Count != 1 || list.Quotas[0].Client != "throttled" || list.Quotas[0].Producer != quota {
		t.Fatalf("quotas: %+v", list)
	}

	// The same load from two client ids: without a quota first (a short run: it writes fast), then
	// with the quota for 12 s, longer than Kafka's quota window (see produceRate): the rate over
	// the whole run includes the initial allowance, the rate over the last 6 s its compensation.
	free := produceRate(t, e.seeds, "quota-topic", "unthrottled", time.Second, 3*time.Second)
	limited := produceRate(t, e.seeds, "quota-topic", "throttled", 6*time.Second, 6*time.Second)
	t.Logf("producer-byte-rate quota %d B/s (%.0f KiB/s). Client id under the quota: %.0f KiB/s over 12 s "+
		"(%.0f KiB/s over the last 6 s), throttled %s in total by the brokers. Another client id, no quota: %.0f KiB/s (throttled %s).",
		quota, float64(quota)/1024, limited.overall/1024, limited.steady/1024, limited.throttle.Round(time.Millisecond), free.steady/1024, free.throttle)
	for what, rate := range map[string]float64{"over 12 s": limited.overall, "over the last 6 s": limited.steady} {
		if rate > 2*quota {
			t.Errorf("the client id under a quota of %d B/s produced %.0f B/s %s", quota, rate, what)
		}
	}
	if limited.throttle == 0 {
		t.Errorf("the brokers never asked the client id under a quota to slow down")
	}
	// Without a quota: never throttled, and faster than the bound the quota keeps the other under
	// (not a fixed multiple of it: a 1-second rate on a loaded 2-core machine varies).
	if free.throttle != 0 || free.steady <= 2*quota {
		t.Errorf("the client id without a quota produced %.0f B/s, throttled %s", free.steady, free.throttle)
	}

	// Deleting the quota removes it from the cluster.
	must(t, call(ctx, e.c, "DELETE", path, map[string]any{"client": "throttled"}, &job))
	waitTask(t, e.c, e.id, job.JobID, time.Minute)
	must(t, call(ctx, e.c, "GET", path, nil, &list))
	if list.Count != 0 {
		t.Fatalf("quotas after the delete: %+v", list)
	}
}
