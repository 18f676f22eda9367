package rebalance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// cluster makes nparts partitions in topics of 1 to 60 partitions, their replicas on brokers
// 0..from-1 (broker 0 taking about twice its share of leaders and replicas when skew is set),
// replication factors drawn from rfs, sizes from 0 to ~2 GiB spread over orders of magnitude.
func cluster(seed uint64, nparts, from int, rfs []int, skew bool) []Partition {
	r := rand.New(rand.NewPCG(seed, 0))
	var parts []Partition
	for ti := 0; len(parts) < nparts; ti++ {
		n := min(1+r.IntN(60), nparts-len(parts))
		rf := rfs[r.IntN(len(rfs))]
		for p := range n {
			reps := make([]int32, 0, rf)
			for len(reps) < rf {
				b := int32(r.IntN(from))
				if skew && r.IntN(3) == 0 {
					b = 0
				}
				if !slices.Contains(reps, b) {
					reps = append(reps, b)
				}
			}
			size := int64(0)
			if r.IntN(10) > 0 {
				size = int64(1) << (10 + r.IntN(21)) * int64(1+r.IntN(3))
			}
			parts = append(parts, Partition{Topic: fmt.Sprintf("t%03d", ti), Partition: int32(p), Replicas: reps, Size: size})
		}
	}
	return parts
}

func ids(from, to int) []int32 {
	var b []int32
	for i := from; i < to; i++ {
		b = append(b, int32(i))
	}
	return b
}

// apply returns parts after moves, failing if a move does not start from the partition's
// replicas as they are.
func apply(t *testing.T, parts []Partition, moves []Move) []Partition {
	t.Helper()
	out := slices.Clone(parts)
	at := map[string]int{}
	for i, p := range out {
		at[fmt.Sprintf("%s-%d", p.Topic, p.Partition)] = i
	}
	seen := map[string]bool{}
	for _, m := range moves {
		k := fmt.Sprintf("%s-%d", m.Topic, m.Partition)
		i, ok := at[k]
		if !ok || seen[k] {
			t.Fatalf("move of %s: unknown or twice", k)
		}
		seen[k] = true
		if !slices.Equal(out[i].Replicas, m.From) || out[i].Size != m.Size {
			t.Fatalf("move %+v does not start from %+v", m, out[i])
		}
		if slices.Equal(m.From, m.To) {
			t.Fatalf("move %+v changes nothing", m)
		}
		out[i].Replicas = m.To
	}
	return out
}

type spreads struct {
	replicas, leaders, topic int // max-min over the brokers counted; topic: the worst topic
	bytesRatio               float64
	replicaMoves             int
}

func measure(parts []Partition, brokers []int32, moves []Move) spreads {
	g, l := map[int32]int{}, map[int32]int{}
	by := map[int32]int64{}
	tc := map[string]map[int32]int{}
	for _, p := range parts {
		l[p.Replicas[0]]++
		if tc[p.Topic] == nil {
			tc[p.Topic] = map[int32]int{}
		}
		for _, b := range p.Replicas {
			g[b]++
			by[b] += p.Size
			tc[p.Topic][b]++
		}
	}
	spread := func(m map[int32]int) int {
		lo, hi := m[brokers[0]], m[brokers[0]]
		for _, b := range brokers {
			lo, hi = min(lo, m[b]), max(hi, m[b])
		}
		return hi - lo
	}
	s := spreads{replicas: spread(g), leaders: spread(l)}
	for _, c := range tc {
		s.topic = max(s.topic, spread(c))
	}
	var total, most int64
	for _, b := range brokers {
		total += by[b]
		most = max(most, by[b])
	}
	if total > 0 {
		s.bytesRatio = float64(most) / (float64(total) / float64(len(brokers)))
	}
	for _, m := range moves {
		s.replicaMoves += len(m.Added())
	}
	return s
}

// minMoves is a lower bound on the replica moves that even replica counts need: every replica
// over the ceiling of the average moves, and every broker outside brokers empties.
func minMoves(parts []Partition, brokers []int32) int {
	g := map[int32]int{}
	total := 0
	for _, p := range parts {
		for _, b := range p.Replicas {
			g[b]++
			total++
		}
	}
	ceil := (total + len(brokers) - 1) / len(brokers)
	n := 0
	for b, c := range g {
		if !slices.Contains(brokers, b) {
			n += c
		} else if c > ceil {
			n += c - ceil
		}
	}
	return n
}

// checkPlan checks every invariant of a Balance plan and returns the cluster after it.
func checkPlan(t *testing.T, parts []Partition, opts Options, plan Plan, want spreads) []Partition {
	t.Helper()
	after := apply(t, parts, plan.Moves)
	add := opts.Mode == ModeAddBrokers
	before := map[string][]int32{}
	for _, p := range parts {
		before[fmt.Sprintf("%s-%d", p.Topic, p.Partition)] = p.Replicas
	}
	for _, p := range after {
		from := before[fmt.Sprintf("%s-%d", p.Topic, p.Partition)]
		if len(p.Replicas) != len(from) {
			t.Fatalf("%s-%d: replication factor %d -> %d", p.Topic, p.Partition, len(from), len(p.Replicas))
		}
		for i, b := range p.Replicas {
			if !slices.Contains(opts.Brokers, b) {
				t.Fatalf("%s-%d: replica on broker %d, not allowed", p.Topic, p.Partition, b)
			}
			if slices.Contains(p.Replicas[:i], b) {
				t.Fatalf("%s-%d: broker %d twice in %v", p.Topic, p.Partition, b, p.Replicas)
			}
		}
	}
	if add {
		// Nothing moves between old brokers: added replicas and new leaders are new brokers,
		// unless the replica or leader had to leave a broker outside opts.Brokers.
		for _, m := range plan.Moves {
			forced := slices.ContainsFunc(m.From, func(b int32) bool { return !slices.Contains(opts.Brokers, b) })
			for _, b := range m.Added() {
				if !slices.Contains(opts.NewBrokers, b) && !forced {
					t.Fatalf("add-brokers: %+v adds old broker %d", m, b)
				}
			}
			if m.To[0] != m.From[0] && !slices.Contains(opts.NewBrokers, m.To[0]) && slices.Contains(m.To, m.From[0]) {
				t.Fatalf("add-brokers: %+v moves leadership between old brokers", m)
			}
		}
	}
	got := measure(after, opts.Brokers, plan.Moves)
	t.Logf("moves %d (replica moves %d, lower bound %d), bytes %d, batches %d; spread: replicas %d, leaders %d, topic %d; bytes max/avg %.2f",
		len(plan.Moves), got.replicaMoves, minMoves(parts, opts.Brokers), plan.BytesToMove, len(plan.Batches), got.replicas, got.leaders, got.topic, got.bytesRatio)
	if add {
		// Spreads count against the new brokers only: the old ones cannot even out among
		// themselves. No broker may hold 2 or more replicas over a new one (a move onto that new
		// broker was possible); want.leaders bounds the same for leaders.
		g, l := map[int32]int{}, map[int32]int{}
		for _, p := range after {
			l[p.Replicas[0]]++
			for _, b := range p.Replicas {
				g[b]++
			}
		}
		got.replicas, got.leaders = 0, 0
		for _, n := range opts.NewBrokers {
			for _, b := range opts.Brokers {
				got.replicas = max(got.replicas, g[b]-g[n])
				got.leaders = max(got.leaders, l[b]-l[n])
			}
		}
	}
	if got.replicas > want.replicas || got.leaders > want.leaders || got.topic > want.topic || want.bytesRatio > 0 && got.bytesRatio > want.bytesRatio {
		t.Errorf("spreads %+v, want at most %+v", got, want)
	}
	if slack := minMoves(parts, opts.Brokers) * 13 / 10; want.replicaMoves >= 0 && got.replicaMoves > max(slack, want.replicaMoves) {
		t.Errorf("%d replica moves, more than 1.3 x the lower bound %d", got.replicaMoves, minMoves(parts, opts.Brokers))
	}
	checkBatches(t, plan, opts)
	return after
}

func checkBatches(t *testing.T, plan Plan, opts Options) {
	t.Helper()
	maxBytes, maxN := opts.BatchBytes, opts.MaxBatchPartitions
	if maxBytes == 0 {
		maxBytes = DefaultBatchBytes
	}
	if maxN == 0 {
		maxN = DefaultMaxBatchPartitions
	}
	var flat []Move
	var total int64
	for i, b := range plan.Batches {
		var n int64
		for _, m := range b {
			n += m.Bytes()
		}
		total += n
		if len(b) == 0 || len(b) > maxN || n > maxBytes && len(b) > 1 {
			t.Fatalf("batch %d: %d moves, %d bytes; limits %d, %d", i, len(b), n, maxN, maxBytes)
		}
		if i > 0 { // batches are full: the next batch's first move did not fit
			prev := plan.Batches[i-1]
			var pn int64
			for _, m := range prev {
				pn += m.Bytes()
			}
			if len(prev) < maxN && pn+b[0].Bytes() <= maxBytes {
				t.Fatalf("batch %d cut early", i-1)
			}
		}
		flat = append(flat, b...)
	}
	if !reflect.DeepEqual(flat, plan.Moves) && len(flat)+len(plan.Moves) > 0 {
		t.Fatalf("batches are not the moves in order")
	}
	if total != plan.BytesToMove {
		t.Fatalf("BytesToMove %d, moves copy %d", plan.BytesToMove, total)
	}
	for i := 1; i < len(flat); i++ {
		a, b := flat[i-1], flat[i]
		if a.Bytes() == 0 && b.Bytes() > 0 || (a.Bytes() > 0) == (b.Bytes() > 0) && a.Size < b.Size {
			t.Fatalf("moves out of order at %d: %+v before %+v", i, a, b)
		}
	}
}

func TestBalance(t *testing.T) {
	mixed := []int{1, 2, 2, 3, 3, 3}
	offline := cluster(7, 300, 4, []int{2, 3}, false) // broker 3 is gone
	for _, c := range []struct {
		name  string
		parts []Partition
		opts  Options
		want  spreads // bytesRatio: 0 skips it; replicaMoves: -1 skips the movement bound; add-brokers: see checkPlan
	}{
		{"3to6 rf3", cluster(1, 1000, 3, []int{3}, false), Options{Brokers: ids(0, 6)}, spreads{1, 1, 1, 1.10, 0}},
		{"3to6 rf3 skewed", cluster(2, 1000, 3, []int{3}, true), Options{Brokers: ids(0, 6)}, spreads{1, 1, 1, 1.10, 0}},
		{"3to6 rf1-3", cluster(3, 1000, 3, mixed, true), Options{Brokers: ids(0, 6)}, spreads{1, 1, 1, 1.10, 0}},
		{"3to6 rf1-2", cluster(4, 1000, 3, []int{1, 2}, true), Options{Brokers: ids(0, 6), BatchBytes: 10 << 30, MaxBatchPartitions: 20}, spreads{1, 1, 1, 1.10, 0}},
		{"5to6 skewed rf3", cluster(5, 1000, 5, []int{3}, true), Options{Brokers: ids(0, 6), BatchBytes: 1 << 20}, spreads{1, 1, 1, 1.10, 0}},
		{"6 skewed rf1-3", cluster(6, 1000, 6, mixed, true), Options{Brokers: ids(0, 6)}, spreads{1, 1, 1, 1.10, -1}},
		{"offline broker", offline, Options{Brokers: ids(0, 3)}, spreads{1, 1, 1, 1.10, 0}},
		{"add 3to6 rf3", cluster(1, 1000, 3, []int{3}, false), Options{Brokers: ids(0, 6), Mode: ModeAddBrokers, NewBrokers: ids(3, 6)}, spreads{1, 1, 1, 0, 0}},
		{"add 3to6 rf1-3 skewed", cluster(3, 1000, 3, mixed, true), Options{Brokers: ids(0, 6), Mode: ModeAddBrokers, NewBrokers: ids(3, 6)}, spreads{1, 1, 1000, 0, 0}},
		{"add 4to5 odd ids", renumber(cluster(8, 1000, 4, []int{2, 3}, false), 10), Options{Brokers: []int32{10, 11, 12, 13, 99}, Mode: ModeAddBrokers, NewBrokers: []int32{99}}, spreads{1, 1, 1000, 0, 0}},
		// Leaders 2,1,0,1 and no single handover helps: only a chain 0->1->2 or 0->3->2 evens them.
		{"leaders by a chain", []Partition{{"a", 0, []int32{0, 1}, 1}, {"b", 0, []int32{0, 3}, 1}, {"c", 0, []int32{1, 2}, 1}, {"d", 0, []int32{3, 2}, 1}}, Options{Brokers: ids(0, 4)}, spreads{0, 1, 1, 0, 0}},
		// Only bytes are uneven (70 against 30): one swap of 40 and 20 evens them.
		{"bytes only", []Partition{{"a", 0, []int32{0}, 40}, {"a", 1, []int32{0}, 30}, {"a", 2, []int32{1}, 20}, {"a", 3, []int32{1}, 10}}, Options{Brokers: ids(0, 2)}, spreads{0, 0, 0, 1.0, 2}},
		{"single partition", []Partition{{"a", 0, []int32{0, 1, 2}, 5}}, Options{Brokers: ids(0, 3)}, spreads{0, 1, 0, 0, 0}},
		{"rf1 on one broker", []Partition{{"a", 0, []int32{0}, 5}, {"a", 1, []int32{0}, 5}, {"b", 0, []int32{0}, 5}}, Options{Brokers: ids(0, 3)}, spreads{0, 0, 1, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan, err := Balance(c.parts, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			after := checkPlan(t, c.parts, c.opts, plan, c.want)
			if len(plan.Moves) == 0 && minMoves(c.parts, c.opts.Brokers) > 0 {
				t.Fatal("empty plan for an unbalanced cluster")
			}
			// Deterministic, whatever the input order.
			shuffled := slices.Clone(c.parts)
			rand.New(rand.NewPCG(9, 9)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			again, err := Balance(shuffled, c.opts)
			if err != nil || !reflect.DeepEqual(plan, again) {
				t.Fatalf("a second plan differs (err %v)", err)
			}
			// The cluster after the plan is balanced: planning again moves nothing.
			if c.opts.Mode == "" {
				if next, err := Balance(after, c.opts); err != nil || len(next.Moves) > 0 {
					t.Fatalf("balanced cluster: %d moves, err %v; first %+v", len(next.Moves), err, next.Moves[:min(3, len(next.Moves))])
				}
			}
		})
	}
}

// TestBalanceRandom plans many small random clusters, in both modes, some with a broker gone,
// and checks the invariants of each plan.
func TestBalanceRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42))
	for i := range 300 {
		from := 1 + r.IntN(6)
		to := from + r.IntN(5)
		rfs := []int{1 + r.IntN(min(from, 3))}
		parts := cluster(uint64(i), 1+r.IntN(80), from, rfs, r.IntN(2) == 0)
		opts := Options{Brokers: ids(0, to), BatchBytes: int64(r.IntN(4)) << 30, MaxBatchPartitions: r.IntN(20)}
		want := spreads{1, 1000, 1, 0, -1}
		switch {
		case to > from && r.IntN(2) == 0:
			opts.Mode, opts.NewBrokers = ModeAddBrokers, ids(from, to)
			want = spreads{1, 1000, 1000, 0, -1} // leaders need replicas on new brokers, which may not be
		case from > 1 && r.IntN(4) == 0 && rfs[0] < from:
			opts.Brokers = ids(1, to) // broker 0 is gone
		}
		t.Run(fmt.Sprintf("%d: %d parts rf %d, %d to %d brokers %s", i, len(parts), rfs[0], from, len(opts.Brokers), opts.Mode), func(t *testing.T) {
			plan, err := Balance(parts, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, parts, opts, plan, want)
		})
	}
}

func renumber(parts []Partition, by int32) []Partition {
	for i := range parts {
		r := slices.Clone(parts[i].Replicas)
		for j := range r {
			r[j] += by
		}
		parts[i].Replicas = r
	}
	return parts
}

func TestBalanceBalanced(t *testing.T) {
	// Hand-made balanced clusters: each gives an empty plan.
	for _, c := range []struct {
		name  string
		parts []Partition
		n     int
	}{
		{"empty", nil, 3},
		{"ring rf3", []Partition{
			{"a", 0, []int32{0, 1, 2}, 100}, {"a", 1, []int32{1, 2, 0}, 100}, {"a", 2, []int32{2, 0, 1}, 100},
		}, 3},
		{"rf2 on 4", []Partition{
			{"a", 0, []int32{0, 1}, 10}, {"a", 1, []int32{2, 3}, 10}, {"b", 0, []int32{1, 2}, 7}, {"b", 1, []int32{3, 0}, 7},
		}, 4},
		{"spread 1 is balanced", []Partition{
			{"a", 0, []int32{0}, 1}, {"a", 1, []int32{1}, 1}, {"b", 0, []int32{2}, 1},
		}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan, err := Balance(c.parts, Options{Brokers: ids(0, c.n)})
			if err != nil || len(plan.Moves)+len(plan.Batches) > 0 || plan.BytesToMove != 0 {
				t.Fatalf("plan %+v, err %v; want empty", plan, err)
			}
		})
	}
}

func TestBalanceErrors(t *testing.T) {
	ok := []Partition{{"a", 0, []int32{0, 1}, 1}}
	for _, c := range []struct {
		name  string
		parts []Partition
		opts  Options
		kind  ErrKind // "" for a plain error (a caller's mistake, not the request's)
	}{
		{"no brokers", ok, Options{}, ""},
		{"unknown mode", ok, Options{Brokers: ids(0, 3), Mode: "remove-brokers"}, ""},
		{"add without new", ok, Options{Brokers: ids(0, 3), Mode: ModeAddBrokers}, ""},
		{"new not in brokers", ok, Options{Brokers: ids(0, 3), Mode: ModeAddBrokers, NewBrokers: []int32{7}}, ErrUnknownBroker},
		{"broker twice", ok, Options{Brokers: []int32{0, 1, 1}}, ErrDuplicateBroker},
		{"partition twice", append(slices.Clone(ok), ok[0]), Options{Brokers: ids(0, 3)}, ""},
		{"no replicas", []Partition{{"a", 0, nil, 1}}, Options{Brokers: ids(0, 3)}, ErrNoReplicas},
		{"replica twice", []Partition{{"a", 0, []int32{1, 1}, 1}}, Options{Brokers: ids(0, 3)}, ErrDuplicateBroker},
		{"rf over brokers", []Partition{{"a", 0, []int32{0, 1, 2}, 1}}, Options{Brokers: ids(0, 2)}, ErrTooManyReplicas},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Balance(c.parts, c.opts)
			var pe *PlanError
			switch {
			case err == nil:
				t.Fatal("no error")
			case c.kind != "" && (!errors.As(err, &pe) || pe.Kind != c.kind):
				t.Fatalf("error %v, want kind %q", err, c.kind)
			}
		})
	}
}

func TestBatches(t *testing.T) {
	m := func(p int32, size int64, added int) Move {
		from := []int32{0, 1}
		to := []int32{1, 0} // leadership only
		if added > 0 {
			to = []int32{0, 2}
		}
		if added > 1 {
			to = []int32{3, 2}
		}
		return Move{Topic: "t", Partition: p, From: from, To: to, Size: size}
	}
	for _, c := range []struct {
		name     string
		moves    []Move
		bytes    int64
		n        int
		want     [][]int32 // partitions per batch
		wantSize int64
	}{
		{"empty", nil, 0, 0, nil, 0},
		{"largest first, leadership last", []Move{m(0, 5, 1), m(1, 9, 0), m(2, 7, 1), m(3, 9, 1)}, 100, 10, [][]int32{{3, 2, 0, 1}}, 21},
		{"by count", []Move{m(0, 1, 1), m(1, 2, 1), m(2, 3, 1)}, 0, 2, [][]int32{{2, 1}, {0}}, 6},
		{"by bytes, two replicas count twice", []Move{m(0, 4, 2), m(1, 5, 1), m(2, 3, 1), m(3, 1, 1)}, 8, 10, [][]int32{{1}, {0}, {2, 3}}, 17},
		{"one move over the limit alone", []Move{m(0, 50, 1), m(1, 1, 1)}, 10, 10, [][]int32{{0}, {1}}, 51},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Batches(c.moves, c.bytes, c.n)
			var ps [][]int32
			var total int64
			for _, b := range got {
				var x []int32
				for _, mv := range b {
					x = append(x, mv.Partition)
					total += mv.Bytes()
				}
				ps = append(ps, x)
			}
			if !reflect.DeepEqual(ps, c.want) || total != c.wantSize {
				t.Fatalf("batches %v (%d bytes), want %v (%d)", ps, total, c.want, c.wantSize)
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	for _, c := range []struct {
		name                      string
		bytes, throttle, measured int64
		want                      int
	}{
		{"nothing", 0, 10, 0, 0},
		{"throttled, rounded up", 1000, 300, 0, 4},
		{"throttle over measured", 1000, 1000, 100, 10},
		{"measured over throttle", 1000, 100, 1000, 10},
		{"unthrottled default", 300 << 20, 0, 0, 3},
		{"unthrottled measured", 1000, 0, 10, 100},
	} {
		if got := EstimateSeconds(c.bytes, c.throttle, c.measured); got != c.want {
			t.Errorf("%s: %d s, want %d", c.name, got, c.want)
		}
	}
	// Per-broker load: broker 0 leads both partitions and sends 30; broker 5 receives 20.
	moves := []Move{
		{Topic: "a", Partition: 0, From: []int32{0, 1}, To: []int32{0, 5}, Size: 20},
		{Topic: "a", Partition: 1, From: []int32{0, 2}, To: []int32{0, 4}, Size: 10},
		{Topic: "a", Partition: 2, From: []int32{3, 2}, To: []int32{2, 3}, Size: 99},
	}
	if got := BusiestBytes(moves); got != 30 {
		t.Errorf("BusiestBytes %d, want 30", got)
	}
	p := Plan{Batches: [][]Move{moves[:1], moves[1:]}}
	if got := p.SerialBytes(); got != 30 {
		t.Errorf("SerialBytes %d, want 20+10", got)
	}
}
