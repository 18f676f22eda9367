package redis

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// Redis 7 writes listpacks only, so the ziplist encodings (RDB of Redis < 7, still read by the
// full sync of an older master) are checked here on hand-built ziplists.
func TestZiplistEntries(t *testing.T) {
	type entry struct {
		enc  []byte // encoding header + data
		want string
	}
	long := strings.Repeat("x", 100)
	le := func(v int64, w int) []byte {
		b := make([]byte, w)
		for i := range w {
			b[i] = byte(v >> (8 * i))
		}
		return b
	}
	cases := []struct {
		name    string
		entries []entry
	}{
		{"strings", []entry{{append([]byte{0x02}, "ab"...), "ab"}, {append([]byte{0x40, 100}, long...), long}}},
		{"immediate ints", []entry{{[]byte{0xF1}, "0"}, {[]byte{0xFD}, "12"}}},
		{"sized ints", []entry{
			{append([]byte{0xFE}, le(-2, 1)...), "-2"},
			{append([]byte{0xC0}, le(-300, 2)...), "-300"},
			{append([]byte{0xF0}, le(-70000, 3)...), "-70000"},
			{append([]byte{0xD0}, le(1<<30, 4)...), fmt.Sprint(1 << 30)},
			{append([]byte{0xE0}, le(-5000000000, 8)...), "-5000000000"},
		}},
		{"long previous entry", []entry{{append([]byte{0x80, 0, 0, 1, 44}, strings.Repeat("y", 300)...), strings.Repeat("y", 300)}, {[]byte{0xF2}, "1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			zl := make([]byte, 10)
			prev := 0
			var want []string
			for _, e := range tc.entries {
				start := len(zl)
				if prev < 254 {
					zl = append(zl, byte(prev))
				} else {
					zl = append(zl, 0xFE)
					zl = binary.LittleEndian.AppendUint32(zl, uint32(prev))
				}
				zl = append(zl, e.enc...)
				prev = len(zl) - start // the next entry's prevlen: this entry's whole size
				want = append(want, e.want)
			}
			zl = append(zl, 0xFF)
			binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
			binary.LittleEndian.PutUint16(zl[8:], uint16(len(tc.entries)))
			got, err := ziplistEntries(zl)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Errorf("got %q, want %q", got, want)
			}
			if _, err := ziplistEntries(zl[:len(zl)-3]); err == nil {
				t.Error("a truncated ziplist decoded without error")
			}
		})
	}
}
