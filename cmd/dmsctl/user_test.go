package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	usersPath    = ipath + "/users"
	kusersPath   = "/v2/kafka/" + testPID + "/instances/" + iid + "/users"
	v1ipath      = "/v1/" + testPID + "/instances/" + iid
	policyPath   = v1ipath + "/topics/orders/accesspolicy"
	grantPath    = v1ipath + "/topics/accesspolicy"
	testPassword = "S3cret-Passw0rd!"
	usersJSON    = `{"users":[{"user_name":"root","user_desc":"","role":"","default_app":true,"created_time":0},` +
		`{"user_name":"shop","user_desc":"the web shop","role":"","default_app":false,"created_time":1735689600000}]}`
	// ordersPolicies: shop produces, billing consumes, ops does both.
	ordersPolicies = `{"name":"orders","topic_type":0,"policies":[{"owner":false,"user_name":"billing","access_policy":"sub"},` +
		`{"owner":true,"user_name":"ops","access_policy":"all"},{"owner":false,"user_name":"shop","access_policy":"pub"}]}`
)

// demoInstances is the instance list that resolves kafka-demo to iid.
var demoInstances = replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`)

// runCaseIn is runCase with stdin.
func runCaseIn(t *testing.T, stdin string, replies map[string]clienttest.Reply, code int, wantPaths []string, args ...string) (result, *clienttest.Server) {
	t.Helper()
	isolate(t)
	f := newFakeDMS(t, replies)
	useFake(t, f, testPID)
	r := run(t, stdin, args...).wantCode(t, code)
	allSigned(t, f)
	if wantPaths != nil {
		if got := strings.Join(requestLines(f), "\n"); got != strings.Join(wantPaths, "\n") {
			t.Errorf("requests:\n%s\nwant\n%s", got, strings.Join(wantPaths, "\n"))
		}
	}
	return r, f
}

// lastBody is the body of the last request f received ("" for none).
func lastBody(f *clienttest.Server) []byte {
	reqs := f.Requests()
	if len(reqs) == 0 {
		return nil
	}
	return reqs[len(reqs)-1].Body
}

// noSecret fails the test if the test password shows in r's output.
func noSecret(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stdout, testPassword) || strings.Contains(r.stderr, testPassword) {
		t.Errorf("the password shows in the output:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
}

func TestKafkaUserReadCommands(t *testing.T) {
	replies := map[string]clienttest.Reply{
		"GET " + instances:  demoInstances,
		"GET " + usersPath:  replyOK(usersJSON),
		"GET " + policyPath: replyOK(ordersPolicies),
		"GET " + v1ipath + "/topics/idle/accesspolicy": replyOK(`{"name":"idle","topic_type":0,"policies":[]}`),
	}
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantOut   string
	}{
		{"list", []string{"list", iid}, []string{"GET " + usersPath}, "" +
			"USER  DEFAULT  ROLE  CREATED               DESCRIPTION\n" +
			"root  true     -     -                     -\n" +
			"shop  false    -     2025-01-01T00:00:00Z  the web shop\n"},
		{"list by instance name", []string{"list", "kafka-demo"}, []string{"GET " + byNameList, "GET " + usersPath}, "" +
			"USER  DEFAULT  ROLE  CREATED               DESCRIPTION\n" +
			"root  true     -     -                     -\n" +
			"shop  false    -     2025-01-01T00:00:00Z  the web shop\n"},
		{"list json", []string{"list", iid, "-o", "json"}, nil, "" +
			"[\n" +
			"  {\n" +
			`    "user_name": "root",` + "\n" +
			`    "user_desc": "",` + "\n" +
			`    "role": "",` + "\n" +
			`    "default_app": true,` + "\n" +
			`    "created_time": 0` + "\n" +
			"  },\n" +
			"  {\n" +
			`    "user_name": "shop",` + "\n" +
			`    "user_desc": "the web shop",` + "\n" +
			`    "role": "",` + "\n" +
			`    "default_app": false,` + "\n" +
			`    "created_time": 1735689600000` + "\n" +
			"  }\n" +
			"]\n"},
		{"permissions", []string{"permissions", "kafka-demo", "orders"}, []string{"GET " + byNameList, "GET " + policyPath}, "" +
			"USER     ACCESS  OWNER\n" +
			"billing  sub     false\n" +
			"ops      all     true\n" +
			"shop     pub     false\n"},
		{"permissions none", []string{"permissions", iid, "idle"}, []string{"GET " + v1ipath + "/topics/idle/accesspolicy"}, "USER  ACCESS  OWNER\n"},
		{"permissions yaml", []string{"permissions", iid, "idle", "-o", "yaml"}, nil, "name: idle\npolicies: []\n"},
		{"permissions json", []string{"permissions", iid, "orders", "-o", "json"}, nil, "" +
			"{\n" +
			`  "name": "orders",` + "\n" +
			`  "policies": [` + "\n" +
			`    {` + "\n" +
			`      "owner": false,` + "\n" +
			`      "user_name": "billing",` + "\n" +
			`      "access_policy": "sub"` + "\n" +
			`    },` + "\n" +
			`    {` + "\n" +
			`      "owner": true,` + "\n" +
			`      "user_name": "ops",` + "\n" +
			`      "access_policy": "all"` + "\n" +
			`    },` + "\n" +
			`    {` + "\n" +
			`      "owner": false,` + "\n" +
			`      "user_name": "shop",` + "\n" +
			`      "access_policy": "pub"` + "\n" +
			`    }` + "\n" +
			`  ]` + "\n" +
			"}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := runCase(t, replies, exitOK, tt.wantPaths, append([]string{"user"}, tt.args...)...)
			if r.stdout != tt.wantOut || r.stderr != "" {
				t.Errorf("stdout =\n%s\nwant\n%s\nstderr = %q", r.stdout, tt.wantOut, r.stderr)
			}
		})
	}
}

func TestKafkaUserWriteCommands(t *testing.T) {
	replies := map[string]clienttest.Reply{
		"GET " + instances:            demoInstances,
		"POST " + usersPath:           {Status: 204},
		"PUT " + usersPath:            {Status: 204},
		"PUT " + usersPath + "/shop":  {Status: 204},
		"PUT " + kusersPath + "/shop": {Status: 204},
		"PUT " + usersPath + "/a b":   {Status: 204},
		"PUT " + kusersPath + "/a b":  {Status: 204},
	}
	tests := []struct {
		name      string
		stdin     string
		args      []string
		wantPaths []string
		wantBody  string // of the last request
		wantOut   string
	}{
		{"create", testPassword + "\n", []string{"create", iid, "shop", "--password-stdin"}, []string{"POST " + usersPath},
			`{"user_name":"shop","user_passwd":"` + testPassword + `"}`, "Created Kafka user shop.\n"},
		{"create by name, with a description, CRLF", testPassword + "\r\n", []string{"create", "kafka-demo", "shop", "--password-stdin", "--description", "the web shop"},
			[]string{"GET " + byNameList, "POST " + usersPath},
			`{"user_name":"shop","user_desc":"the web shop","user_passwd":"` + testPassword + `"}`, "Created Kafka user shop.\n"},
		{"create reads only the first line", testPassword + "\nmore\n", []string{"create", iid, "shop", "--password-stdin"}, []string{"POST " + usersPath},
			`{"user_name":"shop","user_passwd":"` + testPassword + `"}`, "Created Kafka user shop.\n"},
		{"create json", testPassword, []string{"create", iid, "shop", "--password-stdin", "-o", "json"}, []string{"POST " + usersPath},
			`{"user_name":"shop","user_passwd":"` + testPassword + `"}`, "{\n  \"name\": \"shop\"\n}\n"},
		{"delete one", "", []string{"delete", iid, "shop"}, []string{"PUT " + usersPath},
			`{"action":"delete","users":["shop"]}`, "Deleted Kafka user shop.\n"},
		{"delete several by name", "", []string{"delete", "kafka-demo", "shop", "billing"}, []string{"GET " + byNameList, "PUT " + usersPath},
			`{"action":"delete","users":["shop","billing"]}`, "Deleted Kafka users shop, billing.\n"},
		{"delete json says nothing", "", []string{"delete", iid, "shop", "-o", "json"}, []string{"PUT " + usersPath},
			`{"action":"delete","users":["shop"]}`, ""},
		{"reset-password", testPassword + "\n", []string{"reset-password", iid, "shop", "--password-stdin"}, []string{"PUT " + usersPath + "/shop"},
			`{"new_password":"` + testPassword + `"}`, "Reset the password of Kafka user shop.\n"},
		{"reset-password escaped", testPassword + "\n", []string{"reset-password", iid, "a b", "--password-stdin"}, []string{"PUT " + usersPath + "/a b"},
			`{"new_password":"` + testPassword + `"}`, "Reset the password of Kafka user a b.\n"},
		{"update", "", []string{"update", iid, "shop", "--description", "shop and back office"}, []string{"PUT " + kusersPath + "/shop"},
			`{"user_desc":"shop and back office"}`, "Updated Kafka user shop.\n"},
		{"update clears", "", []string{"update", "kafka-demo", "a b", "--description", ""}, []string{"GET " + byNameList, "PUT " + kusersPath + "/a b"},
			`{"user_desc":""}`, "Updated Kafka user a b.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runCaseIn(t, tt.stdin, replies, exitOK, tt.wantPaths, append([]string{"user"}, tt.args...)...)
			clienttest.JSONEqual(t, lastBody(f), tt.wantBody)
			if r.stdout != tt.wantOut || r.stderr != "" {
				t.Errorf("stdout = %q, stderr = %q; want stdout %q", r.stdout, r.stderr, tt.wantOut)
			}
			noSecret(t, r)
		})
	}
}

func TestKafkaUserGrantRevoke(t *testing.T) {
	tests := []struct {
		name     string
		current  string // the policies of orders before
		args     []string
		wantBody string // of the POST
		wantOut  string
	}{
		{"grant a new user keeps the others", ordersPolicies, []string{"grant", iid, "audit", "orders", "--access", "sub"},
			`{"topics":[{"name":"orders","policies":[{"user_name":"billing","access_policy":"sub"},{"user_name":"ops","access_policy":"all"},` +
				`{"user_name":"shop","access_policy":"pub"},{"user_name":"audit","access_policy":"sub"}]}]}`,
			"Granted Kafka user audit sub access to topic orders.\n"},
		{"grant replaces the user's access only", ordersPolicies, []string{"grant", iid, "shop", "orders", "--access", "all"},
			`{"topics":[{"name":"orders","policies":[{"user_name":"billing","access_policy":"sub"},{"user_name":"ops","access_policy":"all"},` +
				`{"user_name":"shop","access_policy":"all"}]}]}`,
			"Granted Kafka user shop all access to topic orders.\n"},
		{"grant on a topic nobody may use", `{"name":"orders","topic_type":0,"policies":[]}`, []string{"grant", iid, "shop", "orders", "--access", "pub"},
			`{"topics":[{"name":"orders","policies":[{"user_name":"shop","access_policy":"pub"}]}]}`,
			"Granted Kafka user shop pub access to topic orders.\n"},
		{"grant json is the new list", `{"name":"orders","topic_type":0,"policies":[{"owner":true,"user_name":"ops","access_policy":"all"}]}`,
			[]string{"grant", iid, "shop", "orders", "--access", "pub", "-o", "json"},
			`{"topics":[{"name":"orders","policies":[{"user_name":"ops","access_policy":"all"},{"user_name":"shop","access_policy":"pub"}]}]}`,
			"{\n" +
				`  "name": "orders",` + "\n" +
				`  "policies": [` + "\n" +
				`    {` + "\n" +
				`      "owner": true,` + "\n" +
				`      "user_name": "ops",` + "\n" +
				`      "access_policy": "all"` + "\n" +
				`    },` + "\n" +
				`    {` + "\n" +
				`      "owner": false,` + "\n" +
				`      "user_name": "shop",` + "\n" +
				`      "access_policy": "pub"` + "\n" +
				`    }` + "\n" +
				`  ]` + "\n" +
				"}\n"},
		{"revoke removes only that user", ordersPolicies, []string{"revoke", iid, "ops", "orders"},
			`{"topics":[{"name":"orders","policies":[{"user_name":"billing","access_policy":"sub"},{"user_name":"shop","access_policy":"pub"}]}]}`,
			"Revoked the access of Kafka user ops to topic orders.\n"},
		{"revoke the last user", `{"name":"orders","topic_type":0,"policies":[{"owner":false,"user_name":"shop","access_policy":"pub"}]}`,
			[]string{"revoke", iid, "shop", "orders", "-o", "yaml"},
			`{"topics":[{"name":"orders","policies":[]}]}`, "name: orders\npolicies: []\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runCase(t, map[string]clienttest.Reply{
				"GET " + policyPath: replyOK(tt.current),
				"POST " + grantPath: {Status: 204},
			}, exitOK, []string{"GET " + policyPath, "POST " + grantPath}, append([]string{"user"}, tt.args...)...)
			clienttest.JSONEqual(t, bodyOf(t, f, "POST"), tt.wantBody)
			if r.stdout != tt.wantOut || r.stderr != "" {
				t.Errorf("stdout =\n%s\nwant\n%s\nstderr = %q", r.stdout, tt.wantOut, r.stderr)
			}
		})
	}
}

func TestKafkaUserGrantByInstanceName(t *testing.T) {
	_, f := runCase(t, map[string]clienttest.Reply{
		"GET " + instances:  demoInstances,
		"GET " + policyPath: replyOK(ordersPolicies),
		"POST " + grantPath: {Status: 204},
	}, exitOK, []string{"GET " + byNameList, "GET " + policyPath, "POST " + grantPath}, "user", "grant", "kafka-demo", "billing", "orders", "--access", "pub")
	clienttest.JSONEqual(t, bodyOf(t, f, "POST"), `{"topics":[{"name":"orders","policies":[{"user_name":"billing","access_policy":"pub"},`+
		`{"user_name":"ops","access_policy":"all"},{"user_name":"shop","access_policy":"pub"}]}]}`)
}

func TestKafkaUserRevokeWithoutAccess(t *testing.T) {
	r, _ := runCase(t, map[string]clienttest.Reply{
		"GET " + policyPath: replyOK(ordersPolicies),
		"POST " + grantPath: {Status: 204},
	}, exitError, []string{"GET " + policyPath}, "user", "revoke", iid, "audit", "orders")
	if want := "dmsctl: user audit has no access to topic orders: nothing to revoke\n"; r.stderr != want || r.stdout != "" {
		t.Errorf("stdout = %q, stderr = %q; want stderr %q", r.stdout, r.stderr, want)
	}
}

func TestKafkaUserAPIErrors(t *testing.T) {
	tests := []struct {
		name      string
		stdin     string
		args      []string
		replies   map[string]clienttest.Reply
		wantPaths []string
		status    int
		code, msg string
	}{
		{"list", "", []string{"list", iid}, map[string]clienttest.Reply{"GET " + usersPath: replyError(400, "DMS.00400052", "The instance has no SASL.")},
			[]string{"GET " + usersPath}, 400, "DMS.00400052", "The instance has no SASL."},
		{"create", testPassword + "\n", []string{"create", iid, "shop", "--password-stdin"},
			map[string]clienttest.Reply{"POST " + usersPath: replyError(400, "DMS.00400051", "The password is too weak.")},
			[]string{"POST " + usersPath}, 400, "DMS.00400051", "The password is too weak."},
		{"reset-password", testPassword + "\n", []string{"reset-password", iid, "nope", "--password-stdin"},
			map[string]clienttest.Reply{"PUT " + usersPath + "/nope": replyError(404, "DMS.00404900", "The user nope does not exist.")},
			[]string{"PUT " + usersPath + "/nope"}, 404, "DMS.00404900", "The user nope does not exist."},
		{"delete", "", []string{"delete", iid, "nope"},
			map[string]clienttest.Reply{"PUT " + usersPath: replyError(404, "DMS.00404900", "The user nope does not exist.")},
			[]string{"PUT " + usersPath}, 404, "DMS.00404900", "The user nope does not exist."},
		{"update", "", []string{"update", iid, "nope", "--description", "x"},
			map[string]clienttest.Reply{"PUT " + kusersPath + "/nope": replyError(404, "DMS.00404900", "The user nope does not exist.")},
			[]string{"PUT " + kusersPath + "/nope"}, 404, "DMS.00404900", "The user nope does not exist."},
		{"permissions of an unknown topic", "", []string{"permissions", iid, "orders"},
			map[string]clienttest.Reply{"GET " + policyPath: replyError(404, "DMS.00400876", "The topic does not exist: orders.")},
			[]string{"GET " + policyPath}, 404, "DMS.00400876", "The topic does not exist: orders."},
		{"grant on an unknown topic writes nothing", "", []string{"grant", iid, "shop", "orders", "--access", "pub"},
			map[string]clienttest.Reply{"GET " + policyPath: replyError(404, "DMS.00400876", "The topic does not exist: orders."), "POST " + grantPath: {Status: 204}},
			[]string{"GET " + policyPath}, 404, "DMS.00400876", "The topic does not exist: orders."},
		{"grant to an unknown user", "", []string{"grant", iid, "nope", "orders", "--access", "pub"},
			map[string]clienttest.Reply{"GET " + policyPath: replyOK(ordersPolicies), "POST " + grantPath: replyError(404, "DMS.00404900", "The user nope does not exist.")},
			[]string{"GET " + policyPath, "POST " + grantPath}, 404, "DMS.00404900", "The user nope does not exist."},
		{"revoke", "", []string{"revoke", iid, "shop", "orders"},
			map[string]clienttest.Reply{"GET " + policyPath: replyOK(ordersPolicies), "POST " + grantPath: replyError(403, "DMS.00403002", "Access denied.")},
			[]string{"GET " + policyPath, "POST " + grantPath}, 403, "DMS.00403002", "Access denied."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := runCaseIn(t, tt.stdin, tt.replies, exitError, tt.wantPaths, append([]string{"user"}, tt.args...)...)
			want := fmt.Sprintf("dmsctl: %s: %s (HTTP %d, request id req-1234)\n", tt.code, tt.msg, tt.status)
			if r.stderr != want || r.stdout != "" {
				t.Errorf("stdout = %q, stderr = %q; want stderr %q", r.stdout, r.stderr, want)
			}
			noSecret(t, r)
		})
	}
}

func TestKafkaUserUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"user", "nope"}},
		{"", []string{"user", "list"}},
		{"", []string{"user", "list", iid, "extra"}},
		{testPassword + "\n", []string{"user", "create", iid, "shop"}}, // no --password-stdin: stdin is not read
		{testPassword + "\n", []string{"user", "create", iid, "--password-stdin"}},
		{testPassword + "\n", []string{"user", "create", iid, "shop", "--password", testPassword}}, // no such flag
		{"\n", []string{"user", "create", iid, "shop", "--password-stdin"}},                        // an empty password
		{"", []string{"user", "delete", iid}},
		{testPassword + "\n", []string{"user", "reset-password", iid, "shop"}},
		{testPassword + "\n", []string{"user", "reset-password", iid, "--password-stdin"}},
		{"", []string{"user", "update", iid, "shop"}},
		{"", []string{"user", "update", iid, "--description", "x"}},
		{"", []string{"user", "grant", iid, "shop", "orders"}},
		{"", []string{"user", "grant", iid, "shop", "orders", "--access", "write"}},
		{"", []string{"user", "grant", iid, "shop", "--access", "pub"}},
		{"", []string{"user", "revoke", iid, "shop"}},
		{"", []string{"user", "revoke", iid, "shop", "orders", "extra"}},
		{"", []string{"user", "permissions", iid}},
	} {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			r, f := runCaseIn(t, tt.stdin, nil, exitUsage, nil, tt.args...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
			noSecret(t, r)
		})
	}
}

func TestKafkaUserPasswordStdinRequired(t *testing.T) {
	r, _ := runCaseIn(t, testPassword+"\n", nil, exitUsage, nil, "user", "create", iid, "shop")
	mustContain(t, "stderr", r.stderr, "--password-stdin is required", "dmsctl user create --help")
}

func TestKafkaUserEmptyStdin(t *testing.T) {
	// No line at all on stdin: nothing is sent.
	r, f := runCaseIn(t, "", nil, exitError, nil, "user", "reset-password", iid, "shop", "--password-stdin")
	if len(f.Requests()) != 0 {
		t.Errorf("requests were sent: %v", requestLines(f))
	}
	mustContain(t, "stderr", r.stderr, "reading the new password from stdin")
}
