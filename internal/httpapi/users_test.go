package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/opendms/opendms/internal/dms"
)

const (
	usersAdmin    = "root1"
	usersAdminPwd = "Adm1n-Passw0rd"
)

// waitRunningLocal waits for RUNNING with the local engine's bound.
func waitRunningLocal(t *testing.T, e *testEnv, id string) *model.ShowInstanceResponse {
	t.Helper()
	c := e.kafkaClient(t)
	deadline := time.Now().Add(4 * time.Minute)
	for {
		in, err := c.ShowInstance(&model.ShowInstanceRequest{InstanceId: id})
		if err == nil && deref(in.Status) == "RUNNING" {
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s not RUNNING: %+v %v", id, in, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// userClient is a franz-go client of the SASL_PLAINTEXT listeners.
func userClient(t *testing.T, seeds []string, m sasl.Mechanism, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...), kgo.SASL(m), kgo.RequestRetries(2), kgo.RetryTimeout(5 * time.Second),
		kgo.ProduceRequestTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func scramAuth(user, pass string) sasl.Mechanism {
	return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
}

// produceErr produces one record and returns the error.
func produceErr(t *testing.T, cl *kgo.Client, topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr()
}

// consumeErr consumes from the start of topic in group until one record or an error. The consumer
// leaves the group when it returns: a member left behind would keep partitions of the group.
func consumeErr(t *testing.T, seeds []string, m sasl.Mechanism, topic, group string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.SASL(m), kgo.RequestRetries(2), kgo.RetryTimeout(5*time.Second),
		kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// A bound, not a speed check: a loaded machine rebalances slowly.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		// The group coordinator of a fresh cluster may still be loading: retriable errors are not
		// an answer.
		if ferr != nil && !errors.Is(ferr, context.DeadlineExceeded) && !kerr.IsRetriable(ferr) {
			return ferr
		}
		if fs.NumRecords() > 0 {
			return nil
		}
	}
	return ctx.Err()
}

// loginErr connects and asks for metadata; nil when the login worked.
func loginErr(t *testing.T, seeds []string, m sasl.Mechanism, opts ...kgo.Opt) error {
	cl := userClient(t, seeds, m, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	return err
}

// createUsersInstance creates (5.1.1, not waiting for it) an instance with SASL_PLAINTEXT next to
// PLAINTEXT, PLAIN and SCRAM-SHA-512, and usersAdmin as its SASL administrator: the instance the
// Kafka user tests manage users on. It answers the instance's id.
func createUsersInstance(t *testing.T, e *testEnv, c *kafka.KafkaClient, name string) string {
	t.Helper()
	req := createReq(e, t, name)
	yes := true
	req.Body.PortProtocol = &model.PortProtocol{PrivatePlainEnable: &yes, PrivateSaslPlaintextEnable: &yes}
	req.Body.AccessUser, req.Body.Password = tpStr(usersAdmin), tpStr(usersAdminPwd)
	req.Body.SaslEnabledMechanisms = &[]model.CreateInstanceByEngineReqSaslEnabledMechanisms{
		model.GetCreateInstanceByEngineReqSaslEnabledMechanismsEnum().PLAIN, model.GetCreateInstanceByEngineReqSaslEnabledMechanismsEnum().SCRAM_SHA_512}
	created, err := c.CreateInstanceByEngine(req)
	if err != nil {
		t.Fatal(err)
	}
	return deref(created.InstanceId)
}

func TestKafkaUsersAPI(t *testing.T) {
	e := newTestEnvOn(t, "local")
	c := e.kafkaClient(t)
	id := createUsersInstance(t, e, c, "users-api")
	in := waitRunningLocal(t, e, id)
	var seeds, plainSeeds []string
	for _, h := range strings.Split(deref(in.ConnectAddress), ",") {
		seeds = append(seeds, net.JoinHostPort(h, "9093"))
		plainSeeds = append(plainSeeds, net.JoinHostPort(h, "9092"))
	}
	if a := deref(in.PortProtocols).PrivateSaslPlaintextAddress; a == nil || !strings.Contains(*a, ":9093") {
		t.Errorf("port_protocols: %+v", deref(in.PortProtocols))
	}
	admin := userClient(t, seeds, scramAuth(usersAdmin, usersAdminPwd))
	adm := kadm.NewClient(admin)
	ctx := tctx(t)
	// Topics are created through the API, which answers once every broker's metadata has them.
	createTopic := func(name string) {
		t.Helper()
		if _, err := c.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: id, Body: &model.CreateInstanceTopicReq{Id: name, Partition: tpI32(3)}}); err != nil {
			t.Fatal(err)
		}
	}
	createTopic("orders")
	createTopic("audit")
	// The administrator may create topics itself.
	if _, err := adm.CreateTopic(ctx, 1, 3, nil, "by-admin"); err != nil {
		t.Fatalf("administrator creates a topic: %v", err)
	}
	if err := produceErr(t, admin, "orders"); err != nil {
		t.Fatalf("administrator produces: %v", err)
	}

	// 5.7.1: the administrator is listed.
	users := func() []model.ShowInstanceUsersEntity {
		t.Helper()
		resp, err := c.ShowInstanceUsers(&model.ShowInstanceUsersRequest{InstanceId: id})
		if err != nil {
			t.Fatal(err)
		}
		return deref(resp.Users)
	}
	if us := users(); len(us) != 1 || deref(us[0].UserName) != usersAdmin || deref(us[0].Role) != "admin" || !deref(us[0].DefaultApp) || deref(us[0].CreatedTime) == 0 {
		t.Fatalf("users: %+v", us)
	}

	// 5.7.2, with its errors.
	create := func(name, pwd string) error {
		_, err := c.CreateInstanceUser(&model.CreateInstanceUserRequest{InstanceId: id,
			Body: &model.CreateInstanceUserReq{UserName: tpStr(name), UserPasswd: tpStr(pwd), UserDesc: tpStr("app " + name)}})
		return err
	}
	for _, name := range []string{"app1", "app2"} {
		if err := create(name+"-user", "Passw0rd-"+name); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	app1, app2 := "app1-user", "app2-user"
	for _, tc := range []struct {
		name, user, pwd string
		status          int
		code            string
	}{
		{"duplicate", app1, "Passw0rd-again", http.StatusConflict, dms.CodeKafkaUserExists},
		{"duplicate of the administrator", usersAdmin, "Passw0rd-again", http.StatusConflict, dms.CodeKafkaUserExists},
		{"name too short", "ab", "Passw0rd-x", http.StatusBadRequest, dms.CodeAccessUserInvalid},
		{"name starting with a digit", "1app", "Passw0rd-x", http.StatusBadRequest, dms.CodeAccessUserInvalid},
		{"weak password", "app3-user", "password", http.StatusBadRequest, dms.CodePasswordWeak},
		{"password starting with -", "app3-user", "-Passw0rd", http.StatusBadRequest, dms.CodePasswordWeak},
		{"password is the name", "Passw0rd-x", "Passw0rd-x", http.StatusBadRequest, dms.CodePasswordWeak},
		{"Kafka's anonymous principal", "ANONYMOUS", "Passw0rd-x", http.StatusBadRequest, dms.CodeAccessUserInvalid},
	} {
		sdkErr(t, create(tc.user, tc.pwd), tc.status, tc.code)
	}
	if us := users(); len(us) != 3 || deref(us[0].UserName) != app1 || deref(us[0].Role) != "guest" || deref(us[0].UserDesc) != "app "+app1 ||
		deref(us[2].UserName) != usersAdmin {
		t.Errorf("users after create: %+v", us)
	}

	// Logins: both mechanisms for a new user; wrong password and unknown user refused.
	for name, m := range map[string]sasl.Mechanism{
		"SCRAM": scramAuth(app1, "Passw0rd-app1"), "PLAIN": plain.Auth{User: app1, Pass: "Passw0rd-app1"}.AsMechanism(),
	} {
		if err := loginErr(t, seeds, m); err != nil {
			t.Errorf("%s login of a new user: %v", name, err)
		}
	}
	for name, m := range map[string]sasl.Mechanism{
		"SCRAM wrong password": scramAuth(app1, "Passw0rd-app2"), "PLAIN wrong password": plain.Auth{User: app1, Pass: "nope-Passw0rd"}.AsMechanism(),
		"SCRAM unknown user": scramAuth("ghost-user", "Passw0rd-app1"), "PLAIN unknown user": plain.Auth{User: "ghost-user", Pass: "Passw0rd-app1"}.AsMechanism(),
	} {
		if err := loginErr(t, seeds, m); err == nil {
			t.Errorf("%s: login accepted", name)
		}
	}

	// Permissions. app2 may read orders: orders now has ACLs, so app1 (no grant) is denied.
	grant := func(topic string, policies ...model.AccessPolicyEntity) error {
		_, err := c.UpdateTopicAccessPolicy(&model.UpdateTopicAccessPolicyRequest{InstanceId: id,
			Body: &model.UpdateTopicAccessPolicyReq{Topics: []model.AccessPolicyTopicEntity{{Name: topic, Policies: policies}}}})
		return err
	}
	pol := func(user, access string) model.AccessPolicyEntity {
		var a model.AccessPolicyEntityAccessPolicy
		if err := a.UnmarshalJSON([]byte(strconv.Quote(access))); err != nil {
			t.Fatal(err)
		}
		return model.AccessPolicyEntity{UserName: tpStr(user), AccessPolicy: &a}
	}
	if err := grant("orders", pol(app2, "sub")); err != nil {
		t.Fatal(err)
	}
	p1 := userClient(t, seeds, scramAuth(app1, "Passw0rd-app1"))
	if err := produceErr(t, p1, "orders"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("app1 produces without a grant: %v", err)
	}
	if err := grant("orders", pol(app2, "sub"), pol(app1, "pub")); err != nil {
		t.Fatal(err)
	}
	p1b := userClient(t, seeds, scramAuth(app1, "Passw0rd-app1"))
	if err := produceErr(t, p1b, "orders"); err != nil {
		t.Fatalf("app1 produces with pub: %v", err)
	}
	if err := consumeErr(t, seeds, scramAuth(app1, "Passw0rd-app1"), "orders", "g-app1"); !errors.Is(err, kerr.GroupAuthorizationFailed) &&
		!errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("app1 consumes with pub only: %v, want an authorization failure", err)
	}
	if err := consumeErr(t, seeds, plain.Auth{User: app2, Pass: "Passw0rd-app2"}.AsMechanism(), "orders", "g-app2"); err != nil {
		t.Fatalf("app2 consumes with sub (PLAIN): %v", err)
	}
	if err := grant("orders", pol(app2, "sub"), pol(app1, "all")); err != nil {
		t.Fatal(err)
	}
	if err := consumeErr(t, seeds, scramAuth(app1, "Passw0rd-app1"), "orders", "g-app1"); err != nil {
		t.Fatalf("app1 consumes with all: %v", err)
	}

	// 5.7.6 reads the ACLs back.
	show := func(topic string) map[string]string {
		t.Helper()
		resp, err := c.ShowTopicAccessPolicy(&model.ShowTopicAccessPolicyRequest{InstanceId: id, TopicName: topic})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range deref(resp.Policies) {
			out[deref(p.UserName)] = p.AccessPolicy.Value()
		}
		if deref(resp.Name) != topic {
			t.Errorf("name = %q", deref(resp.Name))
		}
		return out
	}
	if got := show("orders"); len(got) != 2 || got[app1] != "all" || got[app2] != "sub" {
		t.Errorf("orders policies: %v", got)
	}
	if got := show("audit"); len(got) != 0 {
		t.Errorf("audit policies: %v", got)
	}
	// A topic's list is replaced: app2 left out loses sub.
	if err := grant("orders", pol(app1, "pub")); err != nil {
		t.Fatal(err)
	}
	if got := show("orders"); len(got) != 1 || got[app1] != "pub" {
		t.Errorf("orders after the replacement: %v", got)
	}
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"unknown topic", grant("nope", pol(app1, "pub")), http.StatusBadRequest, dms.CodeTopicNotExist},
		{"unknown user", grant("orders", pol("ghost-user", "pub")), http.StatusNotFound, dms.CodeResourceNotFound},
		{"bad policy", grant("orders", pol(app1, "write")), http.StatusBadRequest, dms.CodeInvalidParameter},
		{"the administrator", grant("orders", pol(usersAdmin, "pub")), http.StatusBadRequest, dms.CodeInvalidParameter},
	} {
		t.Run("grant "+tc.name, func(t *testing.T) { sdkErr(t, tc.err, tc.status, tc.code) })
	}
	_, err := c.ShowTopicAccessPolicy(&model.ShowTopicAccessPolicyRequest{InstanceId: id, TopicName: "nope"})
	sdkErr(t, err, http.StatusBadRequest, dms.CodeTopicNotExist)

	// A guest has no cluster rights: it cannot touch credentials or ACLs, not even the
	// administrator's (the instance's cluster ACL; DMS's allow.everyone.if.no.acl.found is true).
	guest := kadm.NewClient(userClient(t, seeds, scramAuth(app1, "Passw0rd-app1")))
	if _, err := guest.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: usersAdmin, Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "Hijack3d-pwd"}}); !errors.Is(err, kerr.ClusterAuthorizationFailed) {
		t.Errorf("a guest sets the administrator's password: %v, want CLUSTER_AUTHORIZATION_FAILED", err)
	}
	res, err := guest.CreateACLs(ctx, kadm.NewACLs().Allow("User:"+app1).AllowHosts("*").Topics("orders").
		ResourcePatternType(kadm.ACLPatternLiteral).Operations(kadm.OpAll))
	if err == nil && len(res) > 0 {
		err = res[0].Err
	}
	if !errors.Is(err, kerr.ClusterAuthorizationFailed) {
		t.Errorf("a guest grants itself: %v, want CLUSTER_AUTHORIZATION_FAILED", err)
	}
	// A topic nobody has ACLs on stays open to every user, and so do the groups (allow.everyone).
	createTopic("free")
	if err := produceErr(t, admin, "free"); err != nil {
		t.Fatal(err)
	}
	if err := consumeErr(t, seeds, scramAuth(app1, "Passw0rd-app1"), "free", "g-free"); err != nil {
		t.Errorf("app1 consumes a topic without ACLs: %v", err)
	}
	// Deleting a topic deletes its ACLs: a new topic of the name is not open to the old users.
	if err := grant("free", pol(app2, "all")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BatchDeleteInstanceTopic(&model.BatchDeleteInstanceTopicRequest{InstanceId: id, Body: &model.BatchDeleteInstanceTopicReq{Topics: &[]string{"free"}}}); err != nil {
		t.Fatal(err)
	}
	createTopic("free")
	if got := show("free"); len(got) != 0 {
		t.Errorf("a re-created topic has the old ACLs: %v", got)
	}

	// 5.7.4: the old password fails at once, the new one works.
	if _, err := c.ResetUserPasswrod(&model.ResetUserPasswrodRequest{InstanceId: id, UserName: app1,
		Body: &model.ResetUserPasswordReq{NewPassword: tpStr("N3w-Passw0rd")}}); err != nil {
		t.Fatal(err)
	}
	if err := loginErr(t, seeds, scramAuth(app1, "Passw0rd-app1")); err == nil {
		t.Error("old SCRAM password still accepted")
	}
	if err := loginErr(t, seeds, plain.Auth{User: app1, Pass: "Passw0rd-app1"}.AsMechanism()); err == nil {
		t.Error("old PLAIN password still accepted")
	}
	for _, m := range []sasl.Mechanism{scramAuth(app1, "N3w-Passw0rd"), plain.Auth{User: app1, Pass: "N3w-Passw0rd"}.AsMechanism()} {
		if err := loginErr(t, seeds, m); err != nil {
			t.Errorf("new password: %v", err)
		}
	}
	_, err = c.ResetUserPasswrod(&model.ResetUserPasswrodRequest{InstanceId: id, UserName: app1, Body: &model.ResetUserPasswordReq{NewPassword: tpStr("resu-1ppa")}})
	sdkErr(t, err, http.StatusBadRequest, dms.CodePasswordWeak) // the name reversed
	_, err = c.ResetUserPasswrod(&model.ResetUserPasswrodRequest{InstanceId: id, UserName: "ghost-user", Body: &model.ResetUserPasswordReq{NewPassword: tpStr("N3w-Passw0rd")}})
	sdkErr(t, err, http.StatusNotFound, dms.CodeResourceNotFound)

	// 5.7.5: the description.
	if _, err := c.UpdateInstanceUser(&model.UpdateInstanceUserRequest{Engine: "kafka", InstanceId: id, UserName: app1,
		Body: &model.UpdateUserReq{UserDesc: tpStr("billing")}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateInstanceUser(&model.UpdateInstanceUserRequest{Engine: "kafka", InstanceId: id, UserName: app1, Body: &model.UpdateUserReq{UserName: tpStr(app2)}})
	sdkErr(t, err, http.StatusBadRequest, dms.CodeInvalidParameter)

	// 5.7.3: app2 goes (its credential and ACLs too); the administrator and unknown users cannot.
	del := func(names ...string) error {
		_, err := c.BatchDeleteInstanceUsers(&model.BatchDeleteInstanceUsersRequest{InstanceId: id, Body: &model.BatchDeleteInstanceUsersReq{
			Action: func() *model.BatchDeleteInstanceUsersReqAction {
				a := model.GetBatchDeleteInstanceUsersReqActionEnum().DELETE
				return &a
			}(), Users: &names}})
		return err
	}
	if err := grant("audit", pol(app2, "sub")); err != nil {
		t.Fatal(err)
	}
	if err := del(app2); err != nil {
		t.Fatal(err)
	}
	if err := loginErr(t, seeds, scramAuth(app2, "Passw0rd-app2")); err == nil {
		t.Error("a deleted user logged in")
	}
	if got := show("audit"); len(got) != 0 {
		t.Errorf("the deleted user's ACLs remain: %v", got)
	}
	sdkErr(t, del(usersAdmin), http.StatusBadRequest, dms.CodeInvalidParameter)
	sdkErr(t, del("ghost-user"), http.StatusNotFound, dms.CodeResourceNotFound)
	if err := create("app3-user", "Passw0rd-app3"); err != nil {
		t.Fatal(err)
	}
	if err := del("app3-user", "app3-user"); err != nil { // a name given twice is deleted once
		t.Errorf("delete with a repeated name: %v", err)
	}
	if us := users(); len(us) != 2 || slices.ContainsFunc(us, func(u model.ShowInstanceUsersEntity) bool { return deref(u.UserName) == app2 }) ||
		deref(us[0].UserDesc) != "billing" {
		t.Errorf("users after delete: %+v", us)
	}

	// 5.2.1: the administrator's password.
	if _, err := c.ResetPassword(&model.ResetPasswordRequest{InstanceId: id, Body: &model.ResetPasswordReq{NewPassword: "Adm1n-N3w-Pwd"}}); err != nil {
		t.Fatal(err)
	}
	if err := loginErr(t, seeds, scramAuth(usersAdmin, usersAdminPwd)); err == nil {
		t.Error("the old administrator password still works")
	}
	for _, m := range []sasl.Mechanism{scramAuth(usersAdmin, "Adm1n-N3w-Pwd"), plain.Auth{User: usersAdmin, Pass: "Adm1n-N3w-Pwd"}.AsMechanism()} {
		if err := loginErr(t, seeds, m); err != nil {
			t.Errorf("the new administrator password: %v", err)
		}
	}
	_, err = c.ResetPassword(&model.ResetPasswordRequest{InstanceId: id, Body: &model.ResetPasswordReq{NewPassword: "weak"}})
	sdkErr(t, err, http.StatusBadRequest, dms.CodePasswordWeak)

	// Strict mode (allow.everyone.if.no.acl.found=false, a static config: a rolling restart): a topic
	// no ACL names is closed to a user until it is granted. The users live through the restart.
	cfgResp, err := c.ModifyInstanceConfigs(&model.ModifyInstanceConfigsRequest{InstanceId: id, Body: &model.ModifyInstanceConfigsReq{
		KafkaConfigs: &[]model.ModifyInstanceConfig{{Name: tpStr("allow.everyone.if.no.acl.found"), Value: tpStr("false")}}}})
	if err != nil || deref(cfgResp.StaticConfig) != 1 {
		t.Fatalf("5.1.8: %+v, %v", cfgResp, err)
	}
	if task := waitTask(t, c, id, deref(cfgResp.JobId)); deref(task.Status) != "SUCCESS" {
		t.Fatalf("config task: %+v", task)
	}
	strictAdmin := userClient(t, seeds, scramAuth(usersAdmin, "Adm1n-N3w-Pwd"))
	createTopic("strict")
	if err := produceErr(t, strictAdmin, "strict"); err != nil {
		t.Fatal(err)
	}
	p3 := userClient(t, seeds, plain.Auth{User: app1, Pass: "N3w-Passw0rd"}.AsMechanism())
	if err := produceErr(t, p3, "strict"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("strict mode: app1 produces without a grant: %v", err)
	}
	if err := grant("strict", pol(app1, "pub")); err != nil {
		t.Fatal(err)
	}
	if err := produceErr(t, userClient(t, seeds, plain.Auth{User: app1, Pass: "N3w-Passw0rd"}.AsMechanism()), "strict"); err != nil {
		t.Fatalf("strict mode: app1 produces with pub: %v", err)
	}
	if err := consumeErr(t, seeds, scramAuth(app1, "N3w-Passw0rd"), "strict", "g-strict"); !errors.Is(err, kerr.TopicAuthorizationFailed) &&
		!errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Fatalf("strict mode: app1 consumes with pub only: %v", err)
	}
	if err := grant("strict", pol(app1, "all")); err != nil {
		t.Fatal(err)
	}
	if err := consumeErr(t, seeds, scramAuth(app1, "N3w-Passw0rd"), "strict", "g-strict"); err != nil {
		t.Fatalf("strict mode: app1 consumes with all: %v", err)
	}

	// Plaintext access needs no credentials and has every right.
	pcl, err := kgo.NewClient(kgo.SeedBrokers(plainSeeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer pcl.Close()
	if err := produceErr(t, pcl, "audit"); err != nil {
		t.Errorf("plaintext produce: %v", err)
	}

	// Concurrent creations never exceed the users limit (here the instance's users plus 3).
	have := len(users())
	for round := range limitRounds(t) {
		usersLimitBurst(t, e, id, round, have, 3)
	}
}

// TestKafkaUsersNeedSASL: on a plaintext instance the user APIs answer a clear 400.
func TestKafkaUsersNeedSASL(t *testing.T) {
	ce := newClusterEnv(t, "users-plain")
	_, err := ce.sdk.ShowInstanceUsers(&model.ShowInstanceUsersRequest{InstanceId: ce.id})
	sdkErr(t, err, http.StatusBadRequest, dms.CodeInvalidParameter)
	_, err = ce.sdk.CreateInstanceUser(&model.CreateInstanceUserRequest{InstanceId: ce.id,
		Body: &model.CreateInstanceUserReq{UserName: tpStr("app1-user"), UserPasswd: tpStr("Passw0rd-x")}})
	sdkErr(t, err, http.StatusBadRequest, dms.CodeInvalidParameter)
	_, err = ce.sdk.ResetPassword(&model.ResetPasswordRequest{InstanceId: ce.id, Body: &model.ResetPasswordReq{NewPassword: "Passw0rd-x1"}})
	sdkErr(t, err, http.StatusBadRequest, dms.CodeInvalidParameter)
	// The embedded engine refuses SASL instances rather than creating them unsecured.
	req := createReq(ce.testEnv, t, "sasl-on-kfake")
	req.Body.SslEnable, req.Body.AccessUser, req.Body.Password = func() *bool { b := true; return &b }(), tpStr("root1"), tpStr("Passw0rd-x1")
	_, err = ce.sdk.CreateInstanceByEngine(req)
	sdkErr(t, err, http.StatusBadRequest, dms.CodeInvalidParameter)
}
