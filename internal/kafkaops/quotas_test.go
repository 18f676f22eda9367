package kafkaops

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

func i64(v int64) *int64 { return &v }

func TestClientQuotas(t *testing.T) {
	_, cl := newCluster(t, 1, nil)
	ctx := testCtx(t)
	if qs, err := cl.ClientQuotas(ctx); err != nil || len(qs) != 0 || qs == nil {
		t.Fatalf("empty cluster: %v %v", qs, err)
	}
	// Every shape Kafka allows, given out of order.
	shapes := []QuotaEntity{
		{User: "bob", ClientID: "app"},
		{ClientDefault: true},
		{UserDefault: true, ClientDefault: true},
		{User: "alice"},
		{ClientID: "app"},
		{User: "alice", ClientDefault: true},
		{UserDefault: true},
		{UserDefault: true, ClientID: "app"},
	}
	var alts []QuotaAlteration
	for i, e := range shapes {
		alts = append(alts, QuotaAlteration{Entity: e, ProducerByteRate: i64(int64(1000 + i)), ConsumerByteRate: i64(int64(2000 + i))})
	}
	res, err := cl.AlterClientQuotas(ctx, alts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || r.Entity != shapes[i] {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
	qs, err := cl.ClientQuotas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []QuotaEntity{ // by user (none, default, names), then client id (none, default, names)
		{ClientDefault: true},
		{ClientID: "app"},
		{UserDefault: true},
		{UserDefault: true, ClientDefault: true},
		{UserDefault: true, ClientID: "app"},
		{User: "alice"},
		{User: "alice", ClientDefault: true},
		{User: "bob", ClientID: "app"},
	}
	if len(qs) != len(want) {
		t.Fatalf("listed %d quotas, want %d: %+v", len(qs), len(want), qs)
	}
	for i, q := range qs {
		if q.Entity != want[i] {
			t.Errorf("quota %d is of %s, want %s", i, q.Entity, want[i])
		}
		j := indexOf(shapes, q.Entity)
		if q.ProducerByteRate != int64(1000+j) || q.ConsumerByteRate != int64(2000+j) {
			t.Errorf("%s: rates %d/%d, want %d/%d", q.Entity, q.ProducerByteRate, q.ConsumerByteRate, 1000+j, 2000+j)
		}
	}

	// Setting one rate keeps the other; the largest rate reads back exactly.
	alice := QuotaEntity{User: "alice"}
	if res, err := cl.AlterClientQuotas(ctx, []QuotaAlteration{{Entity: alice, ConsumerByteRate: i64(MaxByteRate)}}); err != nil || res[0].Err != nil {
		t.Fatalf("modify: %v %+v", err, res)
	}
	if q := findQuota(t, cl, alice); q == nil || q.ProducerByteRate != 1003 || q.ConsumerByteRate != MaxByteRate {
		t.Fatalf("after modify: %+v", q)
	}

	// Removing takes the byte rates only: another key of the entity stays, and the entity is no
	// longer listed. Removing again is harmless.
	_, err = cl.adm.AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{{Entity: alice.kadm(),
		Ops: []kadm.AlterClientQuotaOp{{Key: "request_percentage", Value: 50}}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if res, err := cl.AlterClientQuotas(ctx, []QuotaAlteration{{Entity: alice, Remove: true}}); err != nil || res[0].Err != nil {
			t.Fatalf("remove: %v %+v", err, res)
		}
	}
	if q := findQuota(t, cl, alice); q != nil {
		t.Fatalf("removed quota still listed: %+v", q)
	}
	name := "alice"
	d, err := cl.adm.DescribeClientQuotas(ctx, true, []kadm.DescribeClientQuotaComponent{{Type: "user", MatchName: &name}})
	if err != nil || len(d) != 1 || !reflect.DeepEqual(d[0].Values, kadm.ClientQuotaValues{{Key: "request_percentage", Value: 50}}) {
		t.Fatalf("alice's other quota key: %+v %v", d, err)
	}
}

func TestAlterClientQuotasInvalid(t *testing.T) {
	_, cl := newCluster(t, 1, nil)
	ctx := testCtx(t)
	ok := QuotaEntity{ClientID: "fine"}
	alts := []QuotaAlteration{
		{Entity: QuotaEntity{}, ProducerByteRate: i64(1)},
		{Entity: QuotaEntity{User: "u", UserDefault: true}, ProducerByteRate: i64(1)},
		{Entity: QuotaEntity{ClientID: "c", ClientDefault: true}, ProducerByteRate: i64(1)},
		{Entity: QuotaEntity{User: "u"}},
		{Entity: QuotaEntity{User: "u"}, ProducerByteRate: i64(0)},
		{Entity: QuotaEntity{User: "u"}, ConsumerByteRate: i64(MaxByteRate + 1)},
		{Entity: QuotaEntity{User: "u"}, Remove: true, ConsumerByteRate: i64(5)},
		{Entity: QuotaEntity{User: "<default>"}, ProducerByteRate: i64(1)},
		{Entity: QuotaEntity{ClientID: "<default>"}, ProducerByteRate: i64(1)},
		{Entity: ok, ProducerByteRate: i64(10)},
		{Entity: ok, ProducerByteRate: i64(20)}, // the same entity twice
	}
	res, err := cl.AlterClientQuotas(ctx, alts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		wantErr := i != 9
		if gotErr := r.Err != nil; gotErr != wantErr || (gotErr && !errors.Is(r.Err, ErrQuotaEntity)) {
			t.Errorf("alteration %d (%+v): err %v", i, alts[i], r.Err)
		}
		if r.Err != nil && QuotaRetriable(r.Err) {
			t.Errorf("alteration %d: %v is retriable", i, r.Err)
		}
	}
	qs, err := cl.ClientQuotas(ctx)
	if err != nil || len(qs) != 1 || qs[0] != (ClientQuota{Entity: ok, ProducerByteRate: 10}) {
		t.Fatalf("quotas = %+v %v", qs, err)
	}
}

func TestQuotaByteRate(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want int64
	}{{0, 0}, {-5, 0}, {math.NaN(), 0}, {0.2, 1}, {1.5, 2}, {1048576, 1048576}, {math.MaxInt64, math.MaxInt64}, {1e30, math.MaxInt64}} {
		if got := byteRate(tt.in); got != tt.want {
			t.Errorf("byteRate(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestQuotaEntityString(t *testing.T) {
	for _, tt := range []struct {
		e    QuotaEntity
		want string
	}{
		{QuotaEntity{User: "a"}, "user=a"},
		{QuotaEntity{UserDefault: true, ClientID: "c"}, "user=<default>, client-id=c"},
		{QuotaEntity{ClientDefault: true}, "client-id=<default>"},
	} {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}

func indexOf(es []QuotaEntity, e QuotaEntity) int {
	for i, x := range es {
		if x == e {
			return i
		}
	}
	return -1
}

func findQuota(t *testing.T, cl *Client, e QuotaEntity) *ClientQuota {
	t.Helper()
	qs, err := cl.ClientQuotas(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Entity == e {
			return &q
		}
	}
	return nil
}

func TestWaitQuotaApplied(t *testing.T) {
	_, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	e := QuotaEntity{UserDefault: true, ClientID: "app"}
	set := QuotaAlteration{Entity: e, ProducerByteRate: i64(1000)}
	if res, err := cl.AlterClientQuotas(ctx, []QuotaAlteration{set}); err != nil || res[0].Err != nil {
		t.Fatalf("alter: %v %+v", err, res)
	}
	if err := cl.WaitQuotaApplied(ctx, set); err != nil {
		t.Fatal(err)
	}
	// A rate the cluster does not have is waited for until the context ends.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	other := QuotaAlteration{Entity: e, ProducerByteRate: i64(1000), ConsumerByteRate: i64(5)}
	if err := cl.WaitQuotaApplied(short, other); err == nil || !strings.Contains(err.Error(), "do not show the quota of user=<default>, client-id=app") {
		t.Fatalf("waiting for what was not set: %v", err)
	}
	remove := QuotaAlteration{Entity: e, Remove: true}
	if res, err := cl.AlterClientQuotas(ctx, []QuotaAlteration{remove}); err != nil || res[0].Err != nil {
		t.Fatalf("remove: %v %+v", err, res)
	}
	if err := cl.WaitQuotaApplied(ctx, remove); err != nil {
		t.Fatal(err)
	}
	if err := cl.WaitQuotaApplied(ctx, QuotaAlteration{}); !errors.Is(err, ErrQuotaEntity) {
		t.Fatalf("no entity: %v", err)
	}
}
