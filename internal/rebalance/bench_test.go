package rebalance

import (
	"fmt"
	"testing"
)

// BenchmarkBalance plans a full rebalance of a skewed cluster onto twice the brokers: 1,000
// partitions from 3 to 6 brokers, 10,000 from 6 to 12, replication factors 1 to 3.
func BenchmarkBalance(b *testing.B) {
	for _, c := range []struct{ parts, from, to int }{{1000, 3, 6}, {10000, 6, 12}} {
		parts := cluster(1, c.parts, c.from, []int{1, 2, 3, 3}, true)
		opts := Options{Brokers: ids(0, c.to)}
		b.Run(fmt.Sprintf("%dx%d", c.parts, c.to), func(b *testing.B) {
			b.ReportAllocs()
			var moves int
			for b.Loop() {
				plan, err := Balance(parts, opts)
				if err != nil {
					b.Fatal(err)
				}
				moves = len(plan.Moves)
			}
			b.ReportMetric(float64(moves), "moves")
		})
	}
}
