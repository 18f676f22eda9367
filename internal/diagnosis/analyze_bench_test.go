package diagnosis

import (
	"testing"
	"time"
)

// BenchmarkAnalyze1000 analyses a window of 7 samples of a 1,000-partition topic consumed by 100
// members, backlog growing on every tenth partition: the analysis itself, without the cluster.
func BenchmarkAnalyze1000(b *testing.B) {
	const parts, members, samples = 1000, 100, 7
	var ss []sample
	for i := range samples {
		ps := make([]part, parts)
		for p := range ps {
			end := int64(1000 + i*10)
			committed := end
			if p%10 == 0 {
				committed = 1000
			}
			ps[p] = part{start: 0, end: end, committed: committed, member: "m" + string(rune('A'+p%members))}
		}
		ss = append(ss, mkSample(time.Duration(i)*10*time.Second, "Stable", ps...))
	}
	o := obs(ss...)
	b.ReportAllocs()
	for b.Loop() {
		dims, acc := analyze(o)
		if acc != parts/10 || len(dims) != 2 {
			b.Fatalf("accumulated %d", acc)
		}
	}
}
