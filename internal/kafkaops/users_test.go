package kafkaops

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/internal/scram"
)

// UpsertUser returns once every broker describes the credential (kfake's brokers share one
// state, so this checks the wait ends and reads the answers right; the lag it waits for is real
// Kafka's, covered by TestKafkaUsersAPI's password reset).
func TestUpsertUserWaitsForBrokers(t *testing.T) {
	_, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	for _, iterations := range []int{scram.DefaultIterations, scram.DefaultIterations + 1} {
		cred, err := scram.NewCredential("Passw0rd-x", iterations)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.UpsertUser(ctx, "app1-user", cred); err != nil {
			t.Fatalf("%d iterations: %v", iterations, err)
		}
	}
	// A credential the brokers never show: the wait ends with the context.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := cl.waitUsersEverywhere(short, []string{"app1-user"}, func(r kmsg.DescribeUserSCRAMCredentialsResponseResult) bool {
		return hasSCRAM(r, 7)
	}); err == nil {
		t.Fatal("waited for a credential no broker has")
	}
	// A deletion returns once no broker shows the user.
	res, err := cl.DeleteUsers(ctx, "app1-user")
	if err != nil || res["app1-user"] != nil {
		t.Fatalf("delete: %v %v", res, err)
	}
	if users, err := cl.Users(ctx); err != nil || len(users) != 0 {
		t.Fatalf("users after delete: %v %v", users, err)
	}
}
