package kafkaops

import (
	"fmt"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
)

const benchGroups = 1000

// benchCluster is a 3-broker kfake cluster with 10 topics of 6 partitions and benchGroups consumer
// groups (each with a committed offset).
func benchCluster(b *testing.B) *Client {
	b.Helper()
	_, cl := newCluster(b, 3, nil)
	for i := range 10 {
		createTopic(b, cl, fmt.Sprintf("topic-%d", i), 6, 3)
	}
	os := make(kadm.Offsets)
	os.Add(kadm.Offset{Topic: "topic-0", Partition: 0, At: 0, LeaderEpoch: -1})
	ctx := testCtx(b)
	var wg sync.WaitGroup
	errs := make(chan error, benchGroups)
	sem := make(chan struct{}, 16)
	for i := range benchGroups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := cl.adm.CommitAllOffsets(ctx, fmt.Sprintf("group-%04d", i), os); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return cl
}

func BenchmarkCluster1000Groups(b *testing.B) {
	cl := benchCluster(b)
	ctx := testCtx(b)
	b.ResetTimer()
	for b.Loop() {
		info, err := cl.Cluster(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if info.ConsumerGroups != benchGroups {
			b.Fatalf("%d groups", info.ConsumerGroups)
		}
	}
}

func BenchmarkCoordinators1000Groups(b *testing.B) {
	cl := benchCluster(b)
	ctx := testCtx(b)
	b.ResetTimer()
	for b.Loop() {
		cos, err := cl.Coordinators(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(cos) != benchGroups {
			b.Fatalf("%d coordinators", len(cos))
		}
	}
}
