package kafkaops

import "testing"

// BenchmarkListGroups1000 is what the list API (5.6.2) does for 1,000 groups: list them all, then
// describe one page of 50 with offsets and lag.
func BenchmarkListGroups1000(b *testing.B) {
	cl := benchCluster(b)
	ctx := testCtx(b)
	b.ResetTimer()
	for b.Loop() {
		listed, err := cl.ListConsumerGroups(ctx)
		if err != nil || len(listed) != benchGroups {
			b.Fatalf("%d groups, %v", len(listed), err)
		}
		gs, err := cl.DescribeGroups(ctx, listed[:50])
		if err != nil || len(gs) != 50 {
			b.Fatal(err)
		}
	}
}

// BenchmarkDescribeGroups1000 describes all 1,000 groups with offsets and lag at once (the legacy
// list's topic filter needs every group's topics).
func BenchmarkDescribeGroups1000(b *testing.B) {
	cl := benchCluster(b)
	ctx := testCtx(b)
	b.ResetTimer()
	for b.Loop() {
		listed, err := cl.ListConsumerGroups(ctx)
		if err != nil || len(listed) != benchGroups {
			b.Fatalf("%d groups, %v", len(listed), err)
		}
		gs, err := cl.DescribeGroups(ctx, listed)
		if err != nil || len(gs) != benchGroups {
			b.Fatal(err)
		}
		for _, g := range gs {
			if g.Partial != nil || len(g.Offsets) != 1 {
				b.Fatalf("group %+v", g)
			}
		}
	}
}
