// Package redis is Smart Connect's Redis sink (REDIS_REPLICATOR_SINK) and source
// (REDIS_REPLICATOR_SOURCE), running inside dmsd.
//
// Use:
//
//	err := redis.Check(ctx, redis.Conn{Addrs: redis.ParseAddrs(addr), Type: "standalone", Password: pw})
//	r, err := redis.StartSink(ctx, redis.SinkConfig{KafkaOpts: opts, Group: "connect-" + taskID,
//		Topics: topics, ConsumerStrategy: "earliest", Redis: conn, TargetDB: -1})
//	r, err := redis.StartSource(ctx, redis.SourceConfig{KafkaOpts: opts, Topic: topic, Redis: conn,
//		SyncMode: "CUSTOM_OFFSET", FullSyncWait: wait, FullSyncMaxRetry: n, RateLimitKBps: -1})
//	r.Stats(); <-r.Done(); r.Err(); r.Stop()
//
// StartSink and StartSource check the Redis first and return its error; the ctx they get bounds
// only that check: the Runner lives until Stop. Errors of Check and Start* wrap ErrInvalid, ErrUnreachable, ErrAuth or ErrWrongType (errors.Is);
// the text names the address and what failed, never the password.
//
// # Record format
//
// Records the source writes (and the sink reads) have the Redis key's bytes as their Kafka key and
// a JSON object as their value:
//
//	{"key":"user:1","type":"hash","value":{"name":"ann","age":"7"},"ttl_ms":-1,"db":0,"op":"SET"}
//
// Its fields:
//
//   - "key": the Redis key.
//   - "db": the database number the key lives in (a cluster: 0).
//   - "op": "SET" for a full-sync record: replace the key with "value" of "type" (the sink deletes
//     the key and writes it anew, so applying a record twice gives the same result).
//     "COMMAND" for an incremental record: "args" is the command as the source's master
//     replicated it (["HSET","user:1","age","8"], ["DEL","a","b"], ["PEXPIREAT","k","1765000000000"],
//     ["SET","k","v","PXAT","1765000000000"], ...); the sink runs it as it is in "db". "key" is
//     args[1] ("" for keyless commands such as FLUSHDB) and the Kafka key is its bytes. A consumer
//     other than the sink can apply it by sending args to any Redis client.
//     "DEL" (accepted by the sink, not written by the source): delete "key".
//   - "type" (op SET): "string" | "list" | "set" | "zset" | "hash", with "value":
//     string: a JSON string; list: an array of strings in list order; set: an array of strings;
//     zset: an object member -> score (a number; "+inf"/"-inf" as strings); hash: an object
//     field -> value.
//   - "ttl_ms" (op SET): the time to live left when the source read the key, in ms; -1 = none.
//     The sink sets it with PEXPIRE, counting from the write (the time the record spent in Kafka is
//     not subtracted). Keys already expired when read are not written.
//   - "args" (op COMMAND): the command and its arguments, as strings.
//   - "encoding": absent when every byte string of the record (key, values, members, fields,
//     args) is valid UTF-8 and is written as a JSON string; "base64" when one is not: then every
//     one of them is base64 (standard, padded).
//
// A record whose value is not such a JSON object (not JSON, or JSON without "op") is a plain
// record: the sink writes SET <record key> <record value> (a record without a key is skipped).
//
// # Sink
//
// The sink consumes Topics (or TopicsRegex, which matches whole topic names, as in the dump and
// MirrorMaker 2; names starting with "__" are internal and never consumed) as consumer group Group, writes each poll's records
// to Redis in order (pipelined per DB), and commits the offsets only after the writes succeeded:
// at-least-once, and a redelivered record writes the same result again (full-sync records replace
// their key; replicated commands are the master's deterministic forms, though LPUSH/INCR-like
// commands applied twice after a crash between write and commit do apply twice). The DB is
// TargetDB when >= 0, else the record's "db" (plain records: Conn.DB). A record Redis refuses
// (wrong type, bad arguments) or that cannot be decoded is skipped, counted in Stats.Skipped and
// logged; a connection failure is retried 5 times a second apart, then the sink ends with the
// error (Err) without committing. A Redis Cluster target (Type "cluster") is written through
// go-redis' ClusterClient, into DB 0; a COMMAND record whose keys span slots (MSET a b) is refused
// by the cluster (CROSSSLOT) and skipped.
//
// COMMAND records run only when their command is one of the data writes a replication stream
// carries (record.go, sinkCommands):
//
//	strings: SET SETEX PSETEX SETNX MSET MSETNX APPEND SETRANGE GETSET GETDEL GETEX INCR INCRBY
//	         INCRBYFLOAT DECR DECRBY SETBIT BITOP BITFIELD
//	keys:    DEL UNLINK EXPIRE EXPIREAT PEXPIRE PEXPIREAT PERSIST RENAME RENAMENX COPY RESTORE
//	lists:   LPUSH LPUSHX RPUSH RPUSHX LPOP RPOP LMPOP LSET LREM LTRIM LINSERT LMOVE RPOPLPUSH
//	sets:    SADD SREM SMOVE SPOP SINTERSTORE SUNIONSTORE SDIFFSTORE
//	zsets:   ZADD ZREM ZINCRBY ZREMRANGEBYSCORE ZREMRANGEBYRANK ZREMRANGEBYLEX ZPOPMIN ZPOPMAX
//	         ZMPOP ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZRANGESTORE
//	hashes:  HSET HSETNX HMSET HDEL HINCRBY HINCRBYFLOAT HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HPERSIST
//	streams: XADD XDEL XTRIM XSETID XGROUP XACK XCLAIM XAUTOCLAIM
//	other:   PFADD PFMERGE GEOADD GEOSEARCHSTORE
//
// Every other command is skipped (counted in Stats.Skipped, logged): admin commands (CONFIG,
// SLAVEOF/REPLICAOF, SHUTDOWN, MODULE, ACL, DEBUG, SAVE, MIGRATE, ...), scripts and functions
// (EVAL*, FCALL, FUNCTION, SCRIPT), connection state (SELECT, MULTI/EXEC/DISCARD, CLIENT, AUTH,
// SUBSCRIBE, ... which would also poison a pooled connection), and the DB-wide FLUSHDB,
// FLUSHALL, SWAPDB and MOVE. Whoever may produce to the topic thus cannot use the task's Redis
// password for more than data writes. The source never writes SELECT (it sets "db"), MULTI, EXEC
// or PING as records; the DB-wide commands and scripts a master replicates (FLUSHALL; EVAL from
// a Redis < 5 master) are still written by the source, for other consumers, and skipped by the
// sink. COPY ... DB n writes to DB n as it says (not remapped by TargetDB).
//
// # Source
//
// The source is a replica of a standalone Redis: REPLCONF listening-port/capa eof psync2,
// PSYNC ? -1, +FULLRESYNC <replid> <offset>, the RDB payload (disk "$<len>" or diskless "$EOF:")
// read key by key into "op":"SET" records, all acknowledged by Kafka before the phase ends
// (Stats.Phase FULL_SYNC). RDB_ONLY then ends (Done, Err nil). CUSTOM_OFFSET follows the
// command stream (INCREMENTAL): SELECT changes "db", PING/MULTI/EXEC/REPLCONF are protocol only,
// every other command becomes an "op":"COMMAND" record; REPLCONF ACK <offset> goes back every
// second and on GETACK. A link silent for 60 s (Redis's repl-timeout; the master pings every
// 10 s) or whose ACK cannot be written counts as lost. A lost link reconnects with PSYNC <replid> <offset+1> (the master's
// +CONTINUE resumes without a new full sync; a +FULLRESYNC sends the keyspace again). A failure
// is retried FullSyncMaxRetry times, FullSyncWait apart (the count restarts after a link that
// got past its full sync); a refused password or unsupported data is not retried. RateLimitKBps
// bounds the produced key+value bytes per second. A key of the full sync holding more than
// 16 MiB, or a streamed command with more than 16 MiB of arguments, is read past without being
// kept: skipped, counted in Stats.Skipped and logged (one huge key must not take dmsd's memory;
// Kafka's default max.message.bytes, 1 MiB, would refuse it anyway). The producer buffers at most
// 64 MiB.
//
// Not supported: a Redis Cluster as source (StartSource refuses it with ErrInvalid); stream keys
// in the full sync (skipped, counted in Stats.Skipped; their XADDs in the incremental phase are
// carried as COMMAND records); module types, Redis < 2.6 zipmaps and Redis 8 hash-field TTLs in
// the RDB (the sync fails and says so); keeping the replication position across a dmsd restart
// (a restarted source does a full sync again); ordering between keys on different partitions
// (records of one key share a partition and keep their order; multi-key commands go by their
// first key; MULTI/EXEC atomicity is not kept).
//
// The RDB reader (rdb.go) is this package's own: no maintained Go RDB parser that reads Redis 7's
// encodings is served by the module proxy here. The replication stream is read by resp.go, which
// checks every length before it allocates (bulk strings up to 512 MiB, Redis's proto-max-bulk-len;
// commands up to 1M arguments): a master or whoever sits on the plain TCP link cannot crash dmsd.
// A panic in a runner becomes its Err (logged with its stack). Commands go through
// github.com/redis/go-redis/v9.
package redis
