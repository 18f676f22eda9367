package redis

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Record is the JSON value of a record (see the package documentation for the format).
type Record struct {
	Key      string          `json:"key"`
	Type     string          `json:"type,omitempty"`
	Value    json.RawMessage `json:"value,omitempty"`
	TTLms    int64           `json:"ttl_ms"`
	DB       int             `json:"db"`
	Op       string          `json:"op"`
	Args     []string        `json:"args,omitempty"`
	Encoding string          `json:"encoding,omitempty"`
}

const (
	OpSet     = "SET"     // full-sync record: replace the key with the typed value
	OpCommand = "COMMAND" // incremental record: run args as the source ran them
)

// binEnc turns byte strings into JSON strings: as they are when every one of a record's strings is
// valid UTF-8, otherwise each in base64 and the record says "encoding":"base64".
type binEnc struct{ b64 bool }

func newBinEnc(parts ...[]byte) binEnc {
	for _, p := range parts {
		if !utf8.Valid(p) {
			return binEnc{true}
		}
	}
	return binEnc{}
}

func (e binEnc) s(b []byte) string {
	if e.b64 {
		return base64.StdEncoding.EncodeToString(b)
	}
	return string(b)
}

func (e binEnc) name() string {
	if e.b64 {
		return "base64"
	}
	return ""
}

// entryParts lists every byte string of an entry, to choose its encoding.
func entryParts(e *rdbEntry) [][]byte {
	parts := [][]byte{e.Key}
	switch v := e.Value.(type) {
	case []byte:
		parts = append(parts, v)
	case [][]byte:
		parts = append(parts, v...)
	case []zmember:
		for _, m := range v {
			parts = append(parts, m.Member)
		}
	case [][2][]byte:
		for _, f := range v {
			parts = append(parts, f[0], f[1])
		}
	}
	return parts
}

// encodeEntry builds the full-sync record of an RDB key; ttl is the remaining TTL in ms (-1 none).
func encodeEntry(e *rdbEntry, ttl int64) ([]byte, error) {
	enc := newBinEnc(entryParts(e)...)
	var val any
	switch v := e.Value.(type) {
	case []byte:
		val = enc.s(v)
	case [][]byte:
		a := make([]string, len(v))
		for i, x := range v {
			a[i] = enc.s(x)
		}
		val = a
	case []zmember:
		m := make(map[string]any, len(v))
		for _, x := range v {
			m[enc.s(x.Member)] = jsonScore(x.Score)
		}
		val = m
	case [][2][]byte:
		m := make(map[string]string, len(v))
		for _, f := range v {
			m[enc.s(f[0])] = enc.s(f[1])
		}
		val = m
	default:
		return nil, fmt.Errorf("no record for a value of %T", e.Value)
	}
	raw, err := json.Marshal(val)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Record{Key: enc.s(e.Key), Type: e.Type, Value: raw, TTLms: ttl, DB: e.DB, Op: OpSet, Encoding: enc.name()})
}

// jsonScore keeps infinite scores (JSON has no number for them) as the strings Redis accepts.
func jsonScore(f float64) any {
	switch {
	case math.IsInf(f, 1):
		return "+inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return f
}

// encodeCommand builds the incremental record of a replicated command.
func encodeCommand(db int, args [][]byte) ([]byte, error) {
	enc := newBinEnc(args...)
	a := make([]string, len(args))
	for i, x := range args {
		a[i] = enc.s(x)
	}
	key := ""
	if len(args) > 1 {
		key = a[1]
	}
	return json.Marshal(Record{Key: key, TTLms: -1, DB: db, Op: OpCommand, Args: a, Encoding: enc.name()})
}

// op is one record turned into the Redis commands that apply it.
type op struct {
	db   int // -1: the sink's default
	cmds [][]any
}

var errNotRecord = errors.New("not a record")

// errNotAllowed: a COMMAND record naming a command outside sinkCommands.
var errNotAllowed = errors.New("command not in the sink's allow-list")

// sinkCommands are the commands a COMMAND record may run: the data writes a master's replication
// stream carries (doc.go lists them). Anything else (admin commands such as CONFIG, SLAVEOF,
// SHUTDOWN, MODULE, ACL, DEBUG; scripts; connection state such as SELECT, MULTI, CLIENT, which
// would also poison a pooled connection; FLUSHDB/FLUSHALL/SWAPDB/MOVE) is skipped: whoever may
// produce to the topic must not get the task's Redis password's full power.
var sinkCommands = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`
		SET SETEX PSETEX SETNX MSET MSETNX APPEND SETRANGE GETSET GETDEL GETEX
		INCR INCRBY INCRBYFLOAT DECR DECRBY SETBIT BITOP BITFIELD
		DEL UNLINK EXPIRE EXPIREAT PEXPIRE PEXPIREAT PERSIST RENAME RENAMENX COPY RESTORE
		LPUSH LPUSHX RPUSH RPUSHX LPOP RPOP LMPOP LSET LREM LTRIM LINSERT LMOVE RPOPLPUSH
		SADD SREM SMOVE SPOP SINTERSTORE SUNIONSTORE SDIFFSTORE
		ZADD ZREM ZINCRBY ZREMRANGEBYSCORE ZREMRANGEBYRANK ZREMRANGEBYLEX ZPOPMIN ZPOPMAX ZMPOP
		ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZRANGESTORE
		HSET HSETNX HMSET HDEL HINCRBY HINCRBYFLOAT HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HPERSIST
		XADD XDEL XTRIM XSETID XGROUP XACK XCLAIM XAUTOCLAIM
		PFADD PFMERGE GEOADD GEOSEARCHSTORE`) {
		m[c] = true
	}
	return m
}()

// decodeRecord turns a Kafka record into Redis commands. A value that is not a JSON object of this
// format (no "op") is a plain record: SET key value. A record with neither key nor value is dropped.
func decodeRecord(key, value []byte) (op, error) {
	r, err := parseRecord(value)
	if errors.Is(err, errNotRecord) {
		if len(key) == 0 {
			return op{}, errors.New("plain record without a key")
		}
		return op{db: -1, cmds: [][]any{{"SET", key, value}}}, nil
	}
	if err != nil {
		return op{}, err
	}
	dec := func(s string) (string, error) { return s, nil }
	if r.Encoding == "base64" {
		dec = func(s string) (string, error) {
			b, err := base64.StdEncoding.DecodeString(s)
			return string(b), err
		}
	} else if r.Encoding != "" {
		return op{}, fmt.Errorf("unknown encoding %q", r.Encoding)
	}
	switch r.Op {
	case OpCommand:
		if len(r.Args) == 0 {
			return op{}, errors.New(`"op":"COMMAND" without "args"`)
		}
		cmd := make([]any, len(r.Args))
		for i, a := range r.Args {
			if cmd[i], err = dec(a); err != nil {
				return op{}, fmt.Errorf("args[%d]: %w", i, err)
			}
		}
		name := strings.ToUpper(cmd[0].(string))
		if !sinkCommands[name] {
			return op{}, fmt.Errorf("%w: %.40q", errNotAllowed, name)
		}
		cmd[0] = name
		return op{db: r.DB, cmds: [][]any{cmd}}, nil
	case "DEL":
		k, err := dec(r.Key)
		if err != nil {
			return op{}, err
		}
		return op{db: r.DB, cmds: [][]any{{"DEL", k}}}, nil
	case OpSet:
	default:
		return op{}, fmt.Errorf("unknown op %q", r.Op)
	}
	k, err := dec(r.Key)
	if err != nil {
		return op{}, fmt.Errorf("key: %w", err)
	}
	if k == "" {
		return op{}, errors.New("record without a key")
	}
	cmds := [][]any{{"DEL", k}}
	typ := r.Type
	if typ == "" {
		typ = "string"
	}
	switch typ {
	case "string":
		var s string
		if err := json.Unmarshal(r.Value, &s); err != nil {
			return op{}, fmt.Errorf("string value: %w", err)
		}
		v, err := dec(s)
		if err != nil {
			return op{}, err
		}
		cmds = [][]any{{"SET", k, v}} // SET replaces any type
	case "list", "set":
		var a []string
		if err := json.Unmarshal(r.Value, &a); err != nil {
			return op{}, fmt.Errorf("%s value: %w", typ, err)
		}
		name := map[string]string{"list": "RPUSH", "set": "SADD"}[typ]
		for start := 0; start < len(a); start += 512 { // bounded command size
			cmd := []any{name, k}
			for _, x := range a[start:min(start+512, len(a))] {
				v, err := dec(x)
				if err != nil {
					return op{}, err
				}
				cmd = append(cmd, v)
			}
			cmds = append(cmds, cmd)
		}
	case "zset":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r.Value, &m); err != nil {
			return op{}, fmt.Errorf("zset value: %w", err)
		}
		cmd := []any{"ZADD", k}
		for mem, sc := range m {
			v, err := dec(mem)
			if err != nil {
				return op{}, err
			}
			score, err := parseScore(sc)
			if err != nil {
				return op{}, fmt.Errorf("zset member %q: %w", mem, err)
			}
			cmd = append(cmd, score, v)
			if len(cmd) >= 1024 {
				cmds, cmd = append(cmds, cmd), []any{"ZADD", k}
			}
		}
		if len(cmd) > 2 {
			cmds = append(cmds, cmd)
		}
	case "hash":
		var m map[string]string
		if err := json.Unmarshal(r.Value, &m); err != nil {
			return op{}, fmt.Errorf("hash value: %w", err)
		}
		cmd := []any{"HSET", k}
		for f, x := range m {
			fv, err := dec(f)
			if err != nil {
				return op{}, err
			}
			v, err := dec(x)
			if err != nil {
				return op{}, err
			}
			cmd = append(cmd, fv, v)
			if len(cmd) >= 1024 {
				cmds, cmd = append(cmds, cmd), []any{"HSET", k}
			}
		}
		if len(cmd) > 2 {
			cmds = append(cmds, cmd)
		}
	default:
		return op{}, fmt.Errorf("type %q is not supported", typ)
	}
	if r.TTLms > 0 {
		cmds = append(cmds, []any{"PEXPIRE", k, r.TTLms})
	}
	return op{db: r.DB, cmds: cmds}, nil
}

// parseRecord reads a value of this format; errNotRecord when it is not one.
func parseRecord(value []byte) (*Record, error) {
	v := bytes.TrimSpace(value)
	if len(v) == 0 || v[0] != '{' {
		return nil, errNotRecord
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(v, &probe) != nil {
		return nil, errNotRecord
	}
	if _, ok := probe["op"]; !ok {
		return nil, errNotRecord
	}
	r := &Record{TTLms: -1}
	if err := json.Unmarshal(v, r); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r.Op = strings.ToUpper(r.Op)
	return r, nil
}

func parseScore(raw json.RawMessage) (string, error) {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("score is neither a number nor a string")
	}
	if _, err := strconv.ParseFloat(strings.TrimPrefix(s, "+"), 64); err != nil {
		return "", fmt.Errorf("score %q: %w", s, err)
	}
	return s, nil
}
