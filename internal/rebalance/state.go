package rebalance

import (
	"fmt"
	"slices"
	"strings"
)

// state is a cluster being rebalanced. Brokers are indexes into ids (sorted ascending), so a
// lower index is a lower id and index order is the tie-break order.
type state struct {
	ids  []int32
	dest []bool // may receive replicas and leadership by choice (not only by necessity)

	topics  []string
	topicIx map[string]int // only looked up, never ranged over
	byTopic [][]int        // movable partitions of each topic, in partition order
	parts   []part

	g     []int   // replicas per broker
	c     [][]int // replicas per topic per broker
	bytes []int64 // bytes per broker
	lead  []int   // preferred leaders per broker, among movable partitions
}

type part struct {
	topic int
	id    int32
	size  int64
	orig  []int32 // replicas before, orig[0] the leader
	reps  []int   // broker indexes now; -1: a broker outside ids (must move)
	lead  int     // broker index of the preferred leader, set by electLeaders
	fixed bool    // counted as load, never moved (AssignTopic's other topics)
}

func newState(brokers []int32) (*state, error) {
	if len(brokers) == 0 {
		return nil, fmt.Errorf("rebalance: no brokers")
	}
	ids := slices.Clone(brokers)
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return nil, &PlanError{Kind: ErrDuplicateBroker, Partition: -1, Broker: ids[i]}
		}
	}
	s := &state{
		ids:   ids,
		dest:  make([]bool, len(ids)),
		g:     make([]int, len(ids)),
		bytes: make([]int64, len(ids)),
		lead:  make([]int, len(ids)),

		topicIx: map[string]int{},
	}
	for i := range s.dest {
		s.dest[i] = true
	}
	return s, nil
}

func (s *state) index(id int32) (int, bool) { return slices.BinarySearch(s.ids, id) }

// load adds partitions, sorted by topic and partition; fixed ones only count as load.
func (s *state) load(parts []Partition, fixed bool) error {
	ps := slices.Clone(parts)
	slices.SortFunc(ps, func(a, b Partition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition) - int(b.Partition)
	})
	for i, p := range ps {
		if i > 0 && p.Topic == ps[i-1].Topic && p.Partition == ps[i-1].Partition {
			return fmt.Errorf("rebalance: %s-%d listed twice", p.Topic, p.Partition)
		}
		if len(p.Replicas) == 0 {
			return &PlanError{Kind: ErrNoReplicas, Topic: p.Topic, Partition: p.Partition, Broker: -1}
		}
		for j, b := range p.Replicas {
			if slices.Contains(p.Replicas[:j], b) {
				return &PlanError{Kind: ErrDuplicateBroker, Topic: p.Topic, Partition: p.Partition, Broker: b}
			}
		}
		t := s.topic(p.Topic)
		np := part{topic: t, id: p.Partition, size: p.Size, orig: slices.Clone(p.Replicas), lead: -1, fixed: fixed}
		for _, b := range p.Replicas {
			bi, ok := s.index(b)
			if !ok {
				bi = -1
			}
			np.reps = append(np.reps, bi)
			s.count(t, bi, p.Size, 1)
		}
		if !fixed {
			s.byTopic[t] = append(s.byTopic[t], len(s.parts))
		}
		s.parts = append(s.parts, np)
	}
	return nil
}

// topic is the index of a topic, added if new.
func (s *state) topic(name string) int {
	if i, ok := s.topicIx[name]; ok {
		return i
	}
	s.topicIx[name] = len(s.topics)
	s.topics = append(s.topics, name)
	s.byTopic = append(s.byTopic, nil)
	s.c = append(s.c, make([]int, len(s.ids)))
	return len(s.topics) - 1
}

func (s *state) count(t, b int, size int64, n int) {
	if b < 0 {
		return
	}
	s.g[b] += n
	s.c[t][b] += n
	s.bytes[b] += size * int64(n)
}

// move moves replica slot i of partition pi to broker b.
func (s *state) move(pi, i, b int) {
	p := &s.parts[pi]
	s.count(p.topic, p.reps[i], p.size, -1)
	s.count(p.topic, b, p.size, 1)
	p.reps[i] = b
}

// cost is what moving partition p's replica from broker a to b adds to the plan's replica
// moves: -1 puts a replica back where it was, 0 retargets one already moving, 1 is a new move.
func (s *state) cost(p *part, a, b int) int {
	switch {
	case slices.Contains(p.orig, s.ids[b]):
		return -1
	case a >= 0 && !slices.Contains(p.orig, s.ids[a]):
		return 0
	}
	return 1
}

// pick chooses a replica of topic t to move from broker a to broker b: cheapest first (see
// cost), then of a partition with fewest replicas already moved, then the size that leaves the
// two brokers' bytes closest, then partition order. Spreading the moves over partitions rather
// than moving whole ones keeps partitions with replicas on both old and new brokers, which
// leadership can then shift along (add-brokers mode depends on it). It returns the partition
// and replica slot, or -1.
func (s *state) pick(t, a, b int) (int, int) {
	best, slot, bc, bm := -1, -1, 0, 0
	var bd int64
	for _, pi := range s.byTopic[t] {
		p := &s.parts[pi]
		i := slices.Index(p.reps, a)
		if i < 0 || slices.Contains(p.reps, b) {
			continue
		}
		c, m := s.cost(p, a, b), s.moved(p)
		d := s.bytes[a] - s.bytes[b] - 2*p.size
		if d < 0 {
			d = -d
		}
		if best < 0 || c < bc || c == bc && (m < bm || m == bm && d < bd) {
			best, slot, bc, bm, bd = pi, i, c, m, d
		}
	}
	return best, slot
}

// moved is how many of p's replicas are on brokers it was not on.
func (s *state) moved(p *part) int {
	n := 0
	for _, b := range p.reps {
		if b < 0 || !slices.Contains(p.orig, s.ids[b]) {
			n++
		}
	}
	return n
}

// evacuate moves every replica on a broker outside ids to the broker, not yet holding the
// partition, with the fewest replicas of its topic, then fewest replicas, then fewest bytes.
// This is the one step that may place replicas on brokers that are not dest.
func (s *state) evacuate() {
	for pi := range s.parts {
		p := &s.parts[pi]
		for i, a := range p.reps {
			if a >= 0 || p.fixed {
				continue
			}
			best := -1
			for b := range s.ids {
				if slices.Contains(p.reps, b) {
					continue
				}
				if best < 0 || s.less(p.topic, b, best) {
					best = b
				}
			}
			s.move(pi, i, best)
		}
	}
}

// less orders brokers as targets for a replica of topic t: fewer of the topic, fewer replicas,
// fewer bytes, lower id.
func (s *state) less(t, a, b int) bool {
	switch {
	case s.c[t][a] != s.c[t][b]:
		return s.c[t][a] < s.c[t][b]
	case s.g[a] != s.g[b]:
		return s.g[a] < s.g[b]
	case s.bytes[a] != s.bytes[b]:
		return s.bytes[a] < s.bytes[b]
	}
	return a < b
}

// spreadReplicas evens replica counts per broker (step 2 of the package doc).
func (s *state) spreadReplicas() {
	for {
		a, b := -1, -1
		for x := range s.ids {
			if a < 0 || s.g[x] > s.g[a] || s.g[x] == s.g[a] && s.bytes[x] > s.bytes[a] {
				a = x
			}
			if s.dest[x] && (b < 0 || s.g[x] < s.g[b] || s.g[x] == s.g[b] && s.bytes[x] < s.bytes[b]) {
				b = x
			}
		}
		if b < 0 || s.g[a]-s.g[b] < 2 {
			return
		}
		// A replica of the topic a holds most more of than b (the first such topic). a holds
		// more replicas than b, so some topic has more on a, and a partition of it is on a and
		// not on b: pick fails only if every such partition is fixed, which Balance has none of.
		t, d := -1, 0
		for x := range s.topics {
			if dx := s.c[x][a] - s.c[x][b]; dx > d {
				t, d = x, dx
			}
		}
		if t < 0 {
			return
		}
		pi, i := s.pick(t, a, b)
		if pi < 0 {
			return
		}
		s.move(pi, i, b)
	}
}

// topicsByDiff lists the topics a holds more replicas of than b, the largest difference first.
func (s *state) topicsByDiff(a, b int) []int {
	var ts []int
	for t := range s.topics {
		if s.c[t][a] > s.c[t][b] {
			ts = append(ts, t)
		}
	}
	slices.SortStableFunc(ts, func(x, y int) int {
		return (s.c[y][a] - s.c[y][b]) - (s.c[x][a] - s.c[x][b])
	})
	return ts
}

// spreadTopic evens topic t's replicas per broker without unevening the brokers' totals (step 3
// of the package doc).
func (s *state) spreadTopic(t int) {
	n := len(s.ids)
	src := make([]int, n)
	dst := make([]int, 0, n)
	for {
		for i := range src {
			src[i] = i
		}
		dst = dst[:0]
		for i := range n {
			if s.dest[i] {
				dst = append(dst, i)
			}
		}
		c := s.c[t]
		// Sources: most of the topic, then most replicas; targets: the reverse.
		slices.SortStableFunc(src, func(x, y int) int {
			if c[x] != c[y] {
				return c[y] - c[x]
			}
			return s.g[y] - s.g[x]
		})
		slices.SortStableFunc(dst, func(x, y int) int {
			if c[x] != c[y] {
				return c[x] - c[y]
			}
			return s.g[x] - s.g[y]
		})
		if !s.topicStep(t, src, dst) {
			return
		}
	}
}

func (s *state) topicStep(t int, src, dst []int) bool {
	c := s.c[t]
	for _, a := range src {
		for _, b := range dst {
			if c[a]-c[b] < 2 {
				break
			}
			if s.g[a] > s.g[b] {
				if pi, i := s.pick(t, a, b); pi >= 0 {
					s.move(pi, i, b)
					return true
				}
				continue
			}
			if !s.dest[a] {
				continue
			}
			// A swap: t from a to b, and back another topic u that b holds more of than a.
			pt, it := s.pick(t, a, b)
			if pt < 0 {
				continue
			}
			for _, u := range s.topicsByDiff(b, a) {
				if u == t {
					continue
				}
				if pu, iu := s.pick(u, b, a); pu >= 0 {
					s.move(pt, it, b)
					s.move(pu, iu, a)
					return true
				}
			}
		}
	}
	return false
}

// spreadBytes evens bytes per broker, the last goal, where it costs no earlier one: while the
// broker with the most bytes holds over BytesThreshold times the average, it swaps a replica
// with a smaller one of the same topic on a lighter broker (counts per broker and per topic
// stay), the pair whose size difference is closest to half the two brokers' gap. Swaps need
// both brokers to receive, so in add-brokers mode only new brokers swap.
func (s *state) spreadBytes() {
	var total int64
	for _, b := range s.bytes {
		total += b
	}
	n := int64(len(s.ids))
	order := make([]int, n)
	for {
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(x, y int) int { return cmpDesc(s.bytes[x], s.bytes[y]) })
		if a := order[0]; float64(s.bytes[a]*n) <= BytesThreshold*float64(total) {
			return
		}
		if !s.swapBytes(order) {
			return
		}
	}
}

// BytesThreshold is how far over the average a broker's bytes may be before Balance swaps
// replicas for it: Cruise Control's default disk balance threshold.
const BytesThreshold = 1.10

func cmpDesc(x, y int64) int {
	switch {
	case x > y:
		return -1
	case x < y:
		return 1
	}
	return 0
}

func (s *state) swapBytes(order []int) bool {
	var qs []int
	for _, a := range order {
		if !s.dest[a] {
			continue
		}
		for j := len(order) - 1; j >= 0 && order[j] != a; j-- {
			b := order[j]
			gap := s.bytes[a] - s.bytes[b]
			if !s.dest[b] || gap <= 0 {
				continue
			}
			bp, bi, bq, bk, bd := -1, 0, -1, 0, gap // best pair, and |gap - 2 diff| to beat
			for t := range s.topics {
				if s.c[t][a] == 0 || s.c[t][b] == 0 {
					continue
				}
				// qs: the topic's replicas on b, not on a, by size; for each replica p on a,
				// the best q has a size nearest p's minus half the gap.
				qs = qs[:0]
				for _, qq := range s.byTopic[t] {
					if q := &s.parts[qq]; slices.Contains(q.reps, b) && !slices.Contains(q.reps, a) {
						qs = append(qs, qq)
					}
				}
				slices.SortStableFunc(qs, func(x, y int) int { return -cmpDesc(s.parts[x].size, s.parts[y].size) })
				for _, pp := range s.byTopic[t] {
					p := &s.parts[pp]
					i := slices.Index(p.reps, a)
					if i < 0 || slices.Contains(p.reps, b) {
						continue
					}
					want := p.size - gap/2
					at, _ := slices.BinarySearchFunc(qs, want, func(q int, w int64) int { return -cmpDesc(s.parts[q].size, w) })
					for _, j := range []int{at - 1, at} {
						if j < 0 || j >= len(qs) {
							continue
						}
						q := &s.parts[qs[j]]
						d := gap - 2*(p.size-q.size)
						if d < 0 {
							d = -d
						}
						if q.size < p.size && d < bd {
							bp, bi, bq, bk, bd = pp, i, qs[j], slices.Index(q.reps, b), d
						}
					}
				}
			}
			if bp >= 0 {
				s.move(bp, bi, b)
				s.move(bq, bk, a)
				return true
			}
		}
	}
	return false
}

// electLeaders chooses every movable partition's preferred leader (step 4 of the package doc).
func (s *state) electLeaders() {
	for pi := range s.parts {
		p := &s.parts[pi]
		if p.fixed {
			continue
		}
		if l, ok := s.index(p.orig[0]); ok && slices.Contains(p.reps, l) {
			p.lead = l
			s.lead[l]++
		}
	}
	for pi := range s.parts {
		p := &s.parts[pi]
		if p.fixed || p.lead >= 0 {
			continue
		}
		for _, b := range p.reps {
			if p.lead < 0 || s.lead[b] < s.lead[p.lead] || s.lead[b] == s.lead[p.lead] && b < p.lead {
				p.lead = b
			}
		}
		s.lead[p.lead]++
	}
	// One-hop shifts first: cheap, and they do nearly all of the work.
	for changed := true; changed; {
		changed = false
		for pi := range s.parts {
			p := &s.parts[pi]
			if p.fixed {
				continue
			}
			best := -1
			for _, b := range p.reps {
				if b != p.lead && s.canLead(p, b) && (best < 0 || s.lead[b] < s.lead[best]) {
					best = b
				}
			}
			if best >= 0 && s.lead[p.lead]-s.lead[best] >= 2 {
				s.lead[p.lead]--
				s.lead[best]++
				p.lead = best
				changed = true
			}
		}
	}
	for s.shiftPath() {
	}
}

// canLead says whether p's preferred leader may become broker b: a broker that may receive (all
// in full mode, the new ones in add-brokers), p's old leader, or any replica of p if the old
// leader is gone from it. So in add-brokers mode leadership never passes between two old brokers.
func (s *state) canLead(p *part, b int) bool {
	if s.dest[b] {
		return true
	}
	l, ok := s.index(p.orig[0])
	return !ok || l == b || !slices.Contains(p.reps, l)
}

// shiftPath finds, breadth first from the brokers leading most, a chain of leadership handovers
// ending at a broker leading at least 2 fewer than the chain's start, and does it.
func (s *state) shiftPath() bool {
	n := len(s.ids)
	led := make([][]int, n) // partitions each broker leads
	for pi := range s.parts {
		if p := &s.parts[pi]; !p.fixed {
			led[p.lead] = append(led[p.lead], pi)
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return s.lead[y] - s.lead[x] })
	via := make([]int, n) // the partition whose leadership reached each broker
	for _, a := range order {
		for i := range via {
			via[i] = -1
		}
		via[a] = -2
		queue := []int{a}
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			for _, pi := range led[x] {
				for _, y := range s.parts[pi].reps {
					if via[y] != -1 || !s.canLead(&s.parts[pi], y) {
						continue
					}
					via[y] = pi
					if s.lead[a]-s.lead[y] >= 2 {
						for y != a { // hand over along the chain, back to a
							p := &s.parts[via[y]]
							s.lead[p.lead]--
							s.lead[y]++
							y, p.lead = p.lead, y
						}
						return true
					}
					queue = append(queue, y)
				}
			}
		}
	}
	return false
}

// moves lists the movable partitions whose replicas or preferred leader changed, in state order.
// To is the leader, then the kept replicas in their old order, then the new ones.
func (s *state) moves() []Move {
	var ms []Move
	for pi := range s.parts {
		p := &s.parts[pi]
		if p.fixed {
			continue
		}
		to := make([]int32, 0, len(p.reps))
		to = append(to, s.ids[p.lead])
		now := make([]int32, len(p.reps))
		for i, b := range p.reps {
			now[i] = s.ids[b]
		}
		for _, b := range p.orig {
			if b != to[0] && slices.Contains(now, b) {
				to = append(to, b)
			}
		}
		for _, b := range now {
			if !slices.Contains(to, b) {
				to = append(to, b)
			}
		}
		if !slices.Equal(to, p.orig) {
			ms = append(ms, Move{Topic: s.topics[p.topic], Partition: p.id, From: slices.Clone(p.orig), To: to, Size: p.size})
		}
	}
	return ms
}
