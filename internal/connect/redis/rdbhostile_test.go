package redis

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
)

// RDB payloads whose length fields claim far more than they hold must fail at the end of the
// data, having allocated about what arrived: a corrupt or hostile RDB must not take dmsd's memory
// (an allocation of 32 GiB is a fatal runtime error that no recover catches).
func TestRDBHugeLengths(t *testing.T) {
	u32 := func(n uint32) []byte { return binary.BigEndian.AppendUint32([]byte{0x80}, n) }
	u64 := func(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x81}, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	key := []byte{1, 'k'}
	cases := []struct {
		name string
		body []byte // after the header: type, key, object
	}{
		{"string of 2^40 bytes", cat([]byte{rdbTypeString}, key, u64(1<<40), []byte("abc"))},
		{"string of 500 MiB, 3 bytes sent", cat([]byte{rdbTypeString}, key, u32(500<<20), []byte("abc"))},
		{"key of 500 MiB", cat([]byte{rdbTypeString}, u32(500<<20), []byte("abc"))},
		{"LZF of 500 MiB compressed", cat([]byte{rdbTypeString}, key, []byte{0xC3}, u32(500<<20), u32(500<<20), []byte("abc"))},
		{"LZF output above 512 MiB", cat([]byte{rdbTypeString}, key, []byte{0xC3}, []byte{4}, u32(1<<30), []byte("\x02abc"))},
		{"LZF output of 400 MiB announced, 3 given", cat([]byte{rdbTypeString}, key, []byte{0xC3}, []byte{4}, u32(400<<20), []byte("\x02abc"))},
		{"list of 2^31-1 items", cat([]byte{rdbTypeList}, key, u32(1<<31-1), []byte{1, 'a'})},
		{"hash of 2^31-1 fields", cat([]byte{rdbTypeHash}, key, u32(1<<31-1), []byte{1, 'a', 1, 'b'})},
		{"zset of 2^31-1 members", cat([]byte{rdbTypeZset2}, key, u32(1<<31-1), []byte{1, 'a'}, make([]byte, 8))},
		{"quicklist of 2^31-1 nodes", cat([]byte{rdbTypeListQuicklist2}, key, u32(1<<31-1), []byte{1, 1, 'a'})},
		{"stream consumer PEL of 2^31-1", cat([]byte{rdbTypeStreamListpacks}, key,
			[]byte{0, 0, 0, 0},         // no listpacks; length, last id
			[]byte{1, 1, 'g', 0, 0, 0}, // a group "g", last id, an empty PEL
			[]byte{1, 1, 'c'}, make([]byte, 8), u32(1<<31-1), make([]byte, 16))},
		{"stream listpack of 500 MiB", cat([]byte{rdbTypeStreamListpacks}, key, []byte{1, 1, 'x'}, u32(500<<20), []byte("abc"))},
		{"aux field of 500 MiB", cat([]byte{rdbOpAux}, u32(500<<20), []byte("abc"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := append([]byte("REDIS0011"), tc.body...)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			p := &rdbReader{r: bufio.NewReaderSize(bytes.NewReader(payload), 64<<10)}
			err := p.read(func(*rdbEntry) error { return nil }, func(int, []byte, string) {})
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("a truncated RDB claiming a huge length was read without error")
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
				t.Errorf("allocated %d bytes for a %d-byte payload (err %v)", got, len(payload), err)
			}
		})
	}
}

// Keys larger than maxRecordBytes are read past and skipped (counted by the source), the keys
// after them still read.
func TestRDBLargeKeysSkipped(t *testing.T) {
	defer func(n int64) { maxRecordBytes = n }(maxRecordBytes)
	maxRecordBytes = 1000
	str := func(s string) []byte { // a plain RDB string with a 14-bit length
		return append([]byte{0x40 | byte(len(s)>>8), byte(len(s))}, s...)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	big := string(bytes.Repeat([]byte("x"), 600))
	payload := cat([]byte("REDIS0011"),
		[]byte{rdbTypeString}, str("big"), str(big+big),
		[]byte{rdbTypeList}, str("list"), []byte{3}, str(big), str(big), str(big),
		[]byte{rdbTypeHash}, str("hash"), []byte{2}, str("f"), str(big), str("g"), str(big),
		[]byte{rdbTypeZset2}, str("zset"), []byte{2}, str(big), make([]byte, 8), str(big), make([]byte, 8),
		[]byte{rdbTypeString}, str(big+big[:390]), str("v"), // a key of 990 bytes: within the cap
		[]byte{rdbTypeString}, str("small"), str(big),
		[]byte{rdbTypeList}, str("l2"), []byte{1}, str("a"),
		[]byte{rdbOpEOF}, make([]byte, 8))
	var read, skipped []string
	p := &rdbReader{r: bufio.NewReader(bytes.NewReader(payload))}
	err := p.read(func(e *rdbEntry) error {
		read = append(read, string(e.Key[:min(len(e.Key), 5)]))
		return nil
	}, func(_ int, key []byte, why string) { skipped = append(skipped, string(key)+": "+why) })
	if err != nil {
		t.Fatal(err)
	}
	wantRead := "[xxxxx small l2]"
	wantSkipped := "[big: larger than 1000 bytes list: larger than 1000 bytes hash: larger than 1000 bytes zset: larger than 1000 bytes]"
	if fmt.Sprint(read) != wantRead || fmt.Sprint(skipped) != wantSkipped {
		t.Errorf("read %v, skipped %v; want %s, %s", read, skipped, wantRead, wantSkipped)
	}
}
