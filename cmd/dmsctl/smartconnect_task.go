package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

func newConnectTaskCmd(a *app) *cobra.Command {
	return groupCmd("task", "Smart Connect tasks: create, list, show, pause, resume, restart, delete",
		newConnectTaskCreateCmd(a),
		newConnectTaskListCmd(a),
		newConnectTaskShowCmd(a),
		newConnectTaskActionCmd(a, "pause", "Pause a running task (5.3.7)", "Paused", (*client.Client).PauseConnectTask),
		newConnectTaskActionCmd(a, "resume", "Resume a paused task where it stopped (5.3.8)", "Resumed", (*client.Client).ResumeConnectTask),
		newConnectTaskActionCmd(a, "restart", "Start a task from scratch: starts a --start-later task, resets a started one's progress (5.3.9)", "Restarted", (*client.Client).RestartConnectTask),
		newConnectTaskActionCmd(a, "delete", "Delete a task (5.3.6)", "Deleted", (*client.Client).DeleteConnectTask),
	)
}

// taskCreateFlags are the flags of 'connect task create'.
type taskCreateFlags struct {
	topics, topicsRegex string
	startLater          bool
	consumerStrategy    string

	// Kafka replication (KAFKA_REPLICATOR_SOURCE).
	toInstance, bootstrap, direction, protocol, mechanism string
	peerUser                                              string
	peerPasswordStdin                                     bool
	alias, peerAlias                                      string
	rename, syncOffsets, provenance                       bool
	topicsMapping, compression                            string
	taskNum, replicationFactor                            int

	// Dump to an object store (OBS_SINK).
	bucket, obsPath, partitionFormat, ak, recordDelimiter string
	skStdin, storeKeys                                    bool
	deliverInterval                                       int

	// Redis (REDIS_REPLICATOR_SINK, or REDIS_REPLICATOR_SOURCE with --redis-source).
	redis, redisType                string
	redisPasswordStdin, redisSource bool
	targetDB                        int
}

// The flags of each kind of task: one given with another kind is a usage error.
var (
	kafkaTaskFlags = []string{"direction", "security-protocol", "sasl-mechanism", "peer-user", "peer-password-stdin", "alias", "peer-alias",
		"rename", "sync-offsets", "provenance-header", "topics-mapping", "compression", "task-num", "replication-factor"}
	obsTaskFlags   = []string{"obs-path", "partition-format", "obs-ak", "obs-sk-stdin", "record-delimiter", "store-keys", "deliver-interval"}
	redisTaskFlags = []string{"redis-type", "redis-password-stdin", "redis-source", "target-db"}
)

func (f *taskCreateFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.topics, "topics", "", "the topics, comma-separated (a Redis source: the one topic it writes to)")
	fl.StringVar(&f.topicsRegex, "topics-regex", "", "a regular expression of the topics (instead of --topics)")
	fl.BoolVar(&f.startLater, "start-later", false, "create the task without starting it ('dmsctl connect task restart' starts it)")
	fl.StringVar(&f.consumerStrategy, "consumer-strategy", "", "where a new task starts reading: latest or earliest (default: the server's)")

	fl.StringVar(&f.toInstance, "to-instance", "", "Kafka replication with another instance of the project (id or name)")
	fl.StringVar(&f.bootstrap, "bootstrap-servers", "", "Kafka replication with a Kafka outside the project: host:port,...")
	fl.StringVar(&f.direction, "direction", "", "replication direction: pull (peer to this instance), push (this instance to the peer) or two-way (default: pull)")
	fl.StringVar(&f.protocol, "security-protocol", "", "how to reach the peer: PLAINTEXT, SASL_PLAINTEXT or SASL_SSL (default: with --to-instance, its first listener that fits --peer-user; else PLAINTEXT)")
	fl.StringVar(&f.mechanism, "sasl-mechanism", "", "the peer's SASL mechanism: SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN (default: SCRAM-SHA-512)")
	fl.StringVar(&f.peerUser, "peer-user", "", "the peer's SASL user")
	fl.BoolVar(&f.peerPasswordStdin, "peer-password-stdin", false, "read the peer SASL user's password from the first line of stdin")
	fl.StringVar(&f.alias, "alias", "", "this instance's alias in replicated topic names (current_cluster_name; default: from its name)")
	fl.StringVar(&f.peerAlias, "peer-alias", "", "the peer's alias (cluster_name; default: from the peer instance's name, else \"peer\")")
	fl.BoolVar(&f.rename, "rename", false, "replicated topics get the source's alias as prefix (alias.topic)")
	fl.StringVar(&f.topicsMapping, "topics-mapping", "", "rename replicated topics: source:target,... (not with --rename)")
	fl.BoolVar(&f.syncOffsets, "sync-offsets", false, "also replicate consumer group offsets")
	fl.BoolVar(&f.provenance, "provenance-header", false, "mark replicated records with a provenance header (two-way without loops)")
	fl.StringVar(&f.compression, "compression", "", "compression of replicated records: none, gzip, snappy, lz4 or zstd")
	fl.IntVar(&f.taskNum, "task-num", 0, "the number of replication tasks (default: the server's, 2)")
	fl.IntVar(&f.replicationFactor, "replication-factor", 0, "the replication factor of topics the task creates")

	fl.StringVar(&f.bucket, "bucket", "", "dump the topics to this object-store (OBS/S3) bucket")
	fl.StringVar(&f.obsPath, "obs-path", "", "the directory in the bucket")
	fl.StringVar(&f.partitionFormat, "partition-format", "", "the time directories: yyyy, yyyy/MM, yyyy/MM/dd, yyyy/MM/dd/HH or yyyy/MM/dd/HH/mm (default: yyyy/MM/dd)")
	fl.StringVar(&f.ak, "obs-ak", "", "the object store's access key")
	fl.BoolVar(&f.skStdin, "obs-sk-stdin", false, "read the object store's secret key from the first line of stdin")
	fl.StringVar(&f.recordDelimiter, "record-delimiter", "", `the delimiter between records: ",", ";", "|", "\n" or NULL (default: \n)`)
	fl.BoolVar(&f.storeKeys, "store-keys", false, "store the records' keys too")
	fl.IntVar(&f.deliverInterval, "deliver-interval", 0, "seconds between uploads, 30 to 900 (default: the server's, 300)")

	fl.StringVar(&f.redis, "redis", "", "the Redis to write the records to (a sink), host:port; with --redis-source, to read from")
	fl.StringVar(&f.redisType, "redis-type", "", "standalone or cluster (default: standalone)")
	fl.BoolVar(&f.redisPasswordStdin, "redis-password-stdin", false, "read the Redis password from the first line of stdin")
	fl.BoolVar(&f.redisSource, "redis-source", false, "a Redis source: replicate the Redis at --redis into the topic of --topics")
	fl.IntVar(&f.targetDB, "target-db", 0, "a Redis sink's database: -1 (each record's own) or 0 to 255 (default: the server's, -1)")
}

func newConnectTaskCreateCmd(a *app) *cobra.Command {
	var f taskCreateFlags
	cmd := &cobra.Command{
		Use:   "create ID|NAME TASK_NAME (--to-instance PEER | --bootstrap-servers ADDRS | --bucket BUCKET | --redis HOST:PORT) (--topics T,... | --topics-regex RE)",
		Short: "Create a Smart Connect task: Kafka replication, a dump to an object store, a Redis sink or source",
		Long: `create creates a Smart Connect task on an instance (POST .../instances/{id}/connector/tasks). The kind
of task follows from the flags, exactly one of:
  --to-instance PEER       Kafka replication with another instance of the project (by id or name);
  --bootstrap-servers A,B  Kafka replication with a Kafka elsewhere (KAFKA_REPLICATOR_SOURCE);
                           --direction pull|push|two-way, --rename or --topics-mapping, --sync-offsets,
                           --peer-user with --peer-password-stdin for a SASL peer
  --bucket BUCKET          a dump of the topics to an object store (OBS_SINK): --obs-ak, --obs-sk-stdin,
                           --obs-path, --partition-format
  --redis HOST:PORT        a Redis sink (REDIS_REPLICATOR_SINK), or with --redis-source a Redis source
                           into the one topic of --topics (REDIS_REPLICATOR_SOURCE); --redis-password-stdin
Secrets are read from stdin (one of --peer-password-stdin, --obs-sk-stdin, --redis-password-stdin) and
never shown. The task starts at once unless --start-later ('dmsctl connect task restart' starts it).`,
		Example: `  dmsctl connect task create kafka-a mirror-b --to-instance kafka-b --direction pull --topics orders,payments
  dmsctl connect task create kafka-a mirror-b --to-instance kafka-b --peer-user admin --peer-password-stdin --topics-regex 'orders.*' < pw.txt
  dmsctl connect task create kafka-a dump-orders --bucket my-bucket --obs-path dumps --obs-ak AKEXAMPLE --obs-sk-stdin --topics orders < sk.txt
  dmsctl connect task create kafka-a to-redis --redis 10.0.0.5:6379 --redis-password-stdin --topics cache-updates < redis-pw.txt
  dmsctl connect task create kafka-a from-redis --redis 10.0.0.5:6379 --redis-source --topics redis-changes`,
		Args: exactArgs("ID|NAME", "TASK_NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := f.kind(cmd)
			if err != nil {
				return err
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			req, err := f.request(cmd, c, id, args[1], kind)
			if err != nil {
				return err
			}
			t, err := c.CreateConnectTask(cmd.Context(), id, req)
			if err != nil {
				return err
			}
			return printConnectTask(a, cmd, id, t)
		},
	}
	f.bind(cmd)
	return cmd
}

// kind returns the task type the flags ask for and checks that the flags fit it.
func (f *taskCreateFlags) kind(cmd *cobra.Command) (string, error) {
	changed := func(n string) bool { return cmd.Flags().Changed(n) }
	var set []string
	for _, n := range []string{"to-instance", "bootstrap-servers", "bucket", "redis"} {
		if changed(n) {
			set = append(set, "--"+n)
		}
	}
	if len(set) != 1 {
		return "", usageErrorf("give exactly one of --to-instance, --bootstrap-servers, --bucket and --redis (got %s)", strings.Join(append(set, "none")[:max(1, len(set))], ", "))
	}
	if changed("topics") == changed("topics-regex") {
		return "", usageErrorf("give --topics or --topics-regex, one of them")
	}
	var kind string
	var own []string
	switch set[0] {
	case "--to-instance", "--bootstrap-servers":
		kind, own = client.ConnectKafkaSource, kafkaTaskFlags
	case "--bucket":
		kind, own = client.ConnectOBSSink, obsTaskFlags
	default:
		kind, own = client.ConnectRedisSink, redisTaskFlags
		if f.redisSource {
			kind = client.ConnectRedisSource
		}
	}
	for _, group := range [][]string{kafkaTaskFlags, obsTaskFlags, redisTaskFlags} {
		if slices.Equal(group, own) {
			continue
		}
		for _, n := range group {
			if changed(n) {
				return "", usageErrorf("--%s does not go with %s", n, set[0])
			}
		}
	}
	if kind == client.ConnectRedisSource && (changed("target-db") || changed("consumer-strategy")) {
		return "", usageErrorf("--target-db and --consumer-strategy are for a Redis sink, not --redis-source")
	}
	if kind == client.ConnectKafkaSource && f.rename && f.topicsMapping != "" {
		return "", usageErrorf("--rename and --topics-mapping cannot be used together")
	}
	if kind == client.ConnectOBSSink {
		if f.ak == "" || !f.skStdin {
			return "", usageErrorf("a dump to --bucket needs the object store's keys: --obs-ak and --obs-sk-stdin")
		}
	}
	if kind == client.ConnectKafkaSource && (f.peerUser != "") != f.peerPasswordStdin {
		return "", usageErrorf("--peer-user and --peer-password-stdin go together")
	}
	return kind, nil
}

// request builds 5.3.3's body; it reads the secret from stdin and looks up the peer instance.
func (f *taskCreateFlags) request(cmd *cobra.Command, c *client.Client, id, name, kind string) (client.ConnectTaskRequest, error) {
	changed := func(n string) bool { return cmd.Flags().Changed(n) }
	intp := func(n string, v int) *int {
		if !changed(n) {
			return nil
		}
		return &v
	}
	boolp := func(n string, v bool) *bool {
		if !changed(n) {
			return nil
		}
		return &v
	}
	req := client.ConnectTaskRequest{TaskName: name, StartLater: f.startLater, Topics: f.topics, TopicsRegex: f.topicsRegex,
		SourceType: client.ConnectNone, SinkType: client.ConnectNone}
	ctx := cmd.Context()
	switch kind {
	case client.ConnectKafkaSource:
		src := &client.ConnectSourceTask{BootstrapServers: f.bootstrap, Direction: f.direction, SecurityProtocol: strings.ToUpper(f.protocol),
			SASLMechanism: strings.ToUpper(f.mechanism), UserName: f.peerUser, CurrentClusterName: f.alias, ClusterName: f.peerAlias,
			RenameTopicEnabled: boolp("rename", f.rename), TopicsMapping: f.topicsMapping,
			SyncConsumerOffsetsEnabled: boolp("sync-offsets", f.syncOffsets), ProvenanceHeaderEnabled: boolp("provenance-header", f.provenance),
			CompressionType: f.compression, TaskNum: intp("task-num", f.taskNum), ReplicationFactor: intp("replication-factor", f.replicationFactor),
			ConsumerStrategy: f.consumerStrategy}
		if f.peerPasswordStdin {
			pw, err := readPassword(cmd, "peer password")
			if err != nil {
				return req, err
			}
			src.Password = pw
		}
		in, err := c.GetInstance(ctx, id)
		if err != nil {
			return req, err
		}
		if src.CurrentClusterName == "" {
			src.CurrentClusterName = clusterAlias(in.Name, "this")
		}
		peerName := "peer"
		if f.toInstance != "" {
			peerID, err := resolveInstanceID(ctx, c, f.toInstance)
			if err != nil {
				return req, err
			}
			peer, err := c.GetInstance(ctx, peerID)
			if err != nil {
				return req, fmt.Errorf("--to-instance %s: %w", f.toInstance, err)
			}
			src.InstanceID, peerName = peer.InstanceID, peer.Name
			if src.SecurityProtocol == "" {
				if src.SecurityProtocol, err = peerProtocol(*peer, f.peerUser != ""); err != nil {
					return req, err
				}
			}
		} else if src.SecurityProtocol == "" && f.peerUser != "" {
			return req, usageErrorf("--peer-user with --bootstrap-servers needs --security-protocol SASL_SSL or SASL_PLAINTEXT")
		}
		if src.ClusterName == "" {
			src.ClusterName = clusterAlias(peerName, "peer")
			if src.ClusterName == src.CurrentClusterName {
				src.ClusterName += "-peer"
			}
		}
		req.SourceType, req.SourceTask = kind, src
	case client.ConnectOBSSink:
		sk, err := readPassword(cmd, "secret key")
		if err != nil {
			return req, err
		}
		sink := &client.ConnectSinkTask{OBSBucketName: f.bucket, OBSPath: f.obsPath, PartitionFormat: f.partitionFormat,
			AccessKey: f.ak, SecretKey: sk, ConsumerStrategy: f.consumerStrategy, StoreKeys: boolp("store-keys", f.storeKeys),
			DeliverTimeInterval: intp("deliver-interval", f.deliverInterval)}
		if changed("record-delimiter") {
			sink.RecordDelimiter = &f.recordDelimiter
		}
		req.SinkType, req.SinkTask = kind, sink
	case client.ConnectRedisSink, client.ConnectRedisSource:
		var pw string
		if f.redisPasswordStdin {
			var err error
			if pw, err = readPassword(cmd, "Redis password"); err != nil {
				return req, err
			}
		}
		if kind == client.ConnectRedisSource {
			req.SourceType, req.SourceTask = kind, &client.ConnectSourceTask{RedisAddress: f.redis, RedisType: f.redisType, RedisPassword: pw}
		} else {
			req.SinkType, req.SinkTask = kind, &client.ConnectSinkTask{RedisAddress: f.redis, RedisType: f.redisType, RedisPassword: pw,
				TargetDB: intp("target-db", f.targetDB), ConsumerStrategy: f.consumerStrategy}
		}
	}
	return req, nil
}

// peerProtocol picks how to reach a peer instance: its first private listener, a SASL one when a
// user is given (and only then).
func peerProtocol(peer client.Instance, sasl bool) (string, error) {
	var have []string
	for _, l := range peer.Listeners() {
		if l.Public {
			continue
		}
		if (l.Protocol != client.ProtocolPlaintext) == sasl {
			return l.Protocol, nil
		}
		have = append(have, l.Name)
	}
	if sasl {
		return "", usageErrorf("--to-instance %s has no SASL listener (it has %s): leave out --peer-user", peer.Name, orNone(have))
	}
	return "", usageErrorf("--to-instance %s has no plaintext listener (it has %s): give --peer-user and --peer-password-stdin", peer.Name, orNone(have))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

var notAlias = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// clusterAlias makes a cluster alias (1 to 64 letters, digits, '_' or '-') of an instance name.
func clusterAlias(name, def string) string {
	s := strings.Trim(notAlias.ReplaceAllString(name, "-"), "-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		return def
	}
	return s
}

// connectTaskView is what show and create print: the task and the instance it is of.
type connectTaskView struct {
	InstanceID string `json:"instance_id"`
	client.ConnectTask
}

// taskKind is the side of a task that is not NONE.
func taskKind(t client.ConnectTask) string {
	if t.SourceType != "" && t.SourceType != client.ConnectNone {
		return t.SourceType
	}
	return t.SinkType
}

func taskTopics(t client.ConnectTask) string {
	if t.Topics != "" {
		return t.Topics
	}
	if t.TopicsRegex != "" {
		return "regex:" + t.TopicsRegex
	}
	return ""
}

func printConnectTask(a *app, cmd *cobra.Command, instanceID string, t *client.ConnectTask) error {
	return a.printer(cmd).print(connectTaskView{InstanceID: instanceID, ConnectTask: *t}, func(tb *table) {
		tb.keyValues("ID", t.ID, "NAME", t.TaskName, "INSTANCE", instanceID, "TYPE", taskKind(*t), "STATUS", t.Status)
		if t.StatusDetail != "" {
			tb.keyValues("DETAIL", t.StatusDetail)
		}
		tb.keyValues("TOPICS", taskTopics(*t), "CREATED", fmtMillis(t.CreateTime))
		if t.SourceTask != nil {
			settingRows(tb, "SOURCE", t.SourceTask)
		}
		if t.SinkTask != nil {
			settingRows(tb, "SINK", t.SinkTask)
		}
		for _, p := range t.Connectors {
			connectorRows(tb, "CONNECTOR", p)
		}
	})
}

// settingRows writes a task's settings as PREFIX.field lines, in name order. The server never
// returns secrets; the fields that hold them are skipped all the same.
func settingRows(tb *table, prefix string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // 5242880, not 5.24288e+06
	if d.Decode(&m) != nil {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !slices.Contains([]string{"password", "redis_password", "access_key", "secret_key"}, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		tb.keyValues(prefix+"."+k, fmt.Sprint(m[k]))
	}
}

func connectorRows(tb *table, label string, p client.ConnectConnectorPart) {
	line := p.Name + " " + p.State
	if p.Trace != "" {
		line += ": " + strings.SplitN(strings.TrimSpace(p.Trace), "\n", 2)[0]
	}
	tb.keyValues(label, line)
	for _, sub := range p.Tasks {
		connectorRows(tb, "  "+label+" TASK", sub)
	}
}

// connectTaskListView is what list prints.
type connectTaskListView struct {
	InstanceID string               `json:"instance_id"`
	Tasks      []client.ConnectTask `json:"tasks"`
	Total      int                  `json:"total_number"`
	MaxTasks   int                  `json:"max_tasks"`
}

// connectTaskPage is the largest page 5.3.4 serves.
const connectTaskPage = 50

// allConnectTasks lists every task of an instance, page by page.
func allConnectTasks(ctx context.Context, c *client.Client, id string) (connectTaskListView, error) {
	v := connectTaskListView{InstanceID: id, Tasks: []client.ConnectTask{}}
	for {
		p, err := c.ListConnectTasks(ctx, id, len(v.Tasks), connectTaskPage)
		if err != nil {
			return v, err
		}
		v.Tasks = append(v.Tasks, p.Tasks...)
		v.Total, v.MaxTasks = p.TotalNumber, p.MaxTasks
		if len(p.Tasks) == 0 || len(v.Tasks) >= p.TotalNumber {
			return v, nil
		}
	}
}

func newConnectTaskListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list ID|NAME",
		Short: "List an instance's Smart Connect tasks",
		Args:  exactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			v, err := allConnectTasks(cmd.Context(), c, id)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(v, func(t *table) {
				t.row("ID", "NAME", "TYPE", "TOPICS", "STATUS", "CREATED")
				for _, k := range v.Tasks {
					t.row(k.ID, k.TaskName, taskKind(k), taskTopics(k), k.Status, fmtMillis(k.CreateTime))
				}
			})
		},
	}
}

// resolveConnectTask returns the id of the task ref names (its id or its name); a ref that names
// none is returned as it is, for the server to answer (404).
func resolveConnectTask(ctx context.Context, c *client.Client, instanceID, ref string) (string, error) {
	v, err := allConnectTasks(ctx, c, instanceID)
	if err != nil {
		return "", err
	}
	for _, t := range v.Tasks {
		if t.ID == ref {
			return t.ID, nil
		}
	}
	for _, t := range v.Tasks {
		if t.TaskName == ref {
			return t.ID, nil
		}
	}
	return ref, nil
}

func newConnectTaskShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID|NAME TASK",
		Short: "Show a Smart Connect task (TASK: its id or name): status, settings, connectors",
		Args:  exactArgs("ID|NAME", "TASK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			tid, err := resolveConnectTask(cmd.Context(), c, id, args[1])
			if err != nil {
				return err
			}
			t, err := c.GetConnectTask(cmd.Context(), id, tid)
			if err != nil {
				return err
			}
			return printConnectTask(a, cmd, id, t)
		},
	}
}

func newConnectTaskActionCmd(a *app, verb, short, done string, op func(*client.Client, context.Context, string, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " ID|NAME TASK",
		Short: short + "; TASK is its id or name",
		Args:  exactArgs("ID|NAME", "TASK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			tid, err := resolveConnectTask(cmd.Context(), c, id, args[1])
			if err != nil {
				return err
			}
			if err := op(c, cmd.Context(), id, tid); err != nil {
				return err
			}
			name := tid
			if args[1] != tid {
				name = args[1] + " (" + tid + ")"
			}
			a.printer(cmd).note("%s Smart Connect task %s of %s.", done, name, instanceLabel(args[0]))
			return nil
		},
	}
}
