package redis

// A minimal RDB reader: the Go module proxy here serves no maintained RDB parser that reads the
// encodings Redis 7 writes (github.com/hdt3213/rdb and the RedisShake packages are refused; the
// served github.com/cupcake/rdb stops at RDB 7 and fails on listpacks), so the full sync reads the
// payload of the replication handshake itself. It reads RDB versions up to 12 (Redis 2.6 to 7.4):
// strings, lists, sets, sorted sets and hashes in every encoding those versions write (plain,
// ziplist, intset, quicklist, listpack). Streams are parsed and skipped (counted as skipped keys);
// module types, zipmaps and Redis 8 hashes with field TTLs stop the parse with a clear error.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// RDB object types (rdb.h).
const (
	rdbTypeString          = 0
	rdbTypeList            = 1
	rdbTypeSet             = 2
	rdbTypeZset            = 3
	rdbTypeHash            = 4
	rdbTypeZset2           = 5
	rdbTypeModule          = 6
	rdbTypeModule2         = 7
	rdbTypeHashZipmap      = 9
	rdbTypeListZiplist     = 10
	rdbTypeSetIntset       = 11
	rdbTypeZsetZiplist     = 12
	rdbTypeHashZiplist     = 13
	rdbTypeListQuicklist   = 14
	rdbTypeStreamListpacks = 15
	rdbTypeHashListpack    = 16
	rdbTypeZsetListpack    = 17
	rdbTypeListQuicklist2  = 18
	rdbTypeStreamListpack2 = 19
	rdbTypeSetListpack     = 20
	rdbTypeStreamListpack3 = 21
)

// RDB opcodes.
const (
	rdbOpSlotInfo   = 0xF4
	rdbOpFunction2  = 0xF5
	rdbOpFunction   = 0xF6
	rdbOpModuleAux  = 0xF7
	rdbOpIdle       = 0xF8
	rdbOpFreq       = 0xF9
	rdbOpAux        = 0xFA
	rdbOpResizeDB   = 0xFB
	rdbOpExpireMs   = 0xFC
	rdbOpExpireSec  = 0xFD
	rdbOpSelectDB   = 0xFE
	rdbOpEOF        = 0xFF
	rdbMaxVersion   = 12
	rdbEncInt8      = 0
	rdbEncInt16     = 1
	rdbEncInt32     = 2
	rdbEncLZF       = 3
	quicklistPlain  = 1
	quicklistPacked = 2
)

// rdbEntry is one key of the keyspace as the RDB holds it. Value is, by Type: string → []byte;
// list and set → [][]byte; zset → []zmember; hash → [][2][]byte (field, value) in RDB order.
type rdbEntry struct {
	DB       int
	Key      []byte
	Type     string
	Value    any
	ExpireAt int64 // Unix ms; 0 = none
}

type zmember struct {
	Member []byte
	Score  float64
}

// errSkipped marks a key whose type the record format does not carry (streams).
var errSkipped = errors.New("skipped")

// rdbReader reads one RDB from r and calls fn for every key; a key of a skipped type calls skip.
type rdbReader struct {
	r   *bufio.Reader
	n   int64 // bytes consumed, for error messages
	ver int

	// The current key's materialized bytes; past maxRecordBytes (over) the rest of its object is
	// read past, not kept, and the key is skipped: one huge key must not take dmsd's memory.
	used int64
	over bool
}

// maxRecordBytes bounds the bytes of one key the full sync materializes (its record is larger
// still: JSON, maybe base64). A variable for the tests.
var maxRecordBytes int64 = 16 << 20

// val reads a string of the current key's value: kept while the key is within maxRecordBytes,
// read past (nil) once it is over.
func (p *rdbReader) val() ([]byte, error) {
	if p.over {
		return nil, p.skipStr()
	}
	b, err := p.str()
	if p.used += int64(len(b)); p.used > maxRecordBytes {
		p.over = true
		return nil, err
	}
	return b, err
}

func (p *rdbReader) readFull(b []byte) error {
	n, err := io.ReadFull(p.r, b)
	p.n += int64(n)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("rdb: at byte %d: %w", p.n, err)
	}
	return nil
}

func (p *rdbReader) byte1() (byte, error) {
	b, err := p.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("rdb: at byte %d: %w", p.n, err)
	}
	p.n++
	return b, nil
}

// length reads a length; special reports the string special encoding (int or LZF) instead.
func (p *rdbReader) length() (n uint64, special bool, err error) {
	b, err := p.byte1()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false, nil
	case 1:
		b2, err := p.byte1()
		return uint64(b&0x3f)<<8 | uint64(b2), false, err
	case 2:
		switch b {
		case 0x80:
			var buf [4]byte
			err := p.readFull(buf[:])
			return uint64(binary.BigEndian.Uint32(buf[:])), false, err
		case 0x81:
			var buf [8]byte
			err := p.readFull(buf[:])
			return binary.BigEndian.Uint64(buf[:]), false, err
		}
		return 0, false, fmt.Errorf("rdb: at byte %d: bad length byte %#x", p.n, b)
	default:
		return uint64(b & 0x3f), true, nil
	}
}

func (p *rdbReader) plainLen() (int, error) {
	n, special, err := p.length()
	if err != nil {
		return 0, err
	}
	if special {
		return 0, fmt.Errorf("rdb: at byte %d: encoded value where a length was expected", p.n)
	}
	if n > math.MaxInt32 {
		return 0, fmt.Errorf("rdb: at byte %d: length %d too large", p.n, n)
	}
	return int(n), nil
}

func (p *rdbReader) str() ([]byte, error) {
	n, special, err := p.length()
	if err != nil {
		return nil, err
	}
	if !special {
		if n > maxRDBString {
			return nil, fmt.Errorf("rdb: at byte %d: string length %d too large (max %d)", p.n, n, maxRDBString)
		}
		return p.bytes(int(n))
	}
	switch n {
	case rdbEncInt8:
		b, err := p.byte1()
		return strconv.AppendInt(nil, int64(int8(b)), 10), err
	case rdbEncInt16:
		var buf [2]byte
		err := p.readFull(buf[:])
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(buf[:]))), 10), err
	case rdbEncInt32:
		var buf [4]byte
		err := p.readFull(buf[:])
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(buf[:]))), 10), err
	case rdbEncLZF:
		clen, err := p.plainLen()
		if err != nil {
			return nil, err
		}
		ulen, err := p.plainLen()
		if err != nil {
			return nil, err
		}
		if clen > maxRDBString || ulen > maxRDBString {
			return nil, fmt.Errorf("rdb: at byte %d: LZF lengths %d/%d too large (max %d)", p.n, clen, ulen, maxRDBString)
		}
		c, err := p.bytes(clen)
		if err != nil {
			return nil, err
		}
		return lzfDecompress(c, ulen)
	}
	return nil, fmt.Errorf("rdb: at byte %d: unknown string encoding %d", p.n, n)
}

// maxRDBString bounds one string of the RDB (Redis's proto-max-bulk-len default): a length field
// above it is corruption or hostility, never a reason to allocate.
const maxRDBString = 512 << 20

// bytes reads n bytes. Its buffer grows as the bytes arrive, so a length field claiming more than
// the payload holds costs only what actually arrives.
func (p *rdbReader) bytes(n int) ([]byte, error) {
	if n <= 64<<10 {
		b := make([]byte, n)
		return b, p.readFull(b)
	}
	var buf bytes.Buffer
	k, err := io.CopyN(&buf, p.r, int64(n))
	p.n += k
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("rdb: at byte %d: %w", p.n, err)
	}
	return buf.Bytes(), nil
}

// skip discards n bytes without holding them.
func (p *rdbReader) skip(n int64) error {
	k, err := io.CopyN(io.Discard, p.r, n)
	p.n += k
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("rdb: at byte %d: %w", p.n, err)
	}
	return nil
}

// skipStr reads past a string without allocating it.
func (p *rdbReader) skipStr() error {
	n, special, err := p.length()
	if err != nil {
		return err
	}
	if !special {
		if n > maxRDBString {
			return fmt.Errorf("rdb: at byte %d: string length %d too large (max %d)", p.n, n, maxRDBString)
		}
		return p.skip(int64(n))
	}
	switch n {
	case rdbEncInt8:
		return p.skip(1)
	case rdbEncInt16:
		return p.skip(2)
	case rdbEncInt32:
		return p.skip(4)
	case rdbEncLZF:
		clen, err := p.plainLen()
		if err == nil {
			_, err = p.plainLen()
		}
		if err != nil {
			return err
		}
		return p.skip(int64(clen))
	}
	return fmt.Errorf("rdb: at byte %d: unknown string encoding %d", p.n, n)
}

// lzfDecompress is liblzf's lzf_decompress.
// The output grows as it is produced (up to outLen, checked on the way), not from the length field.
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
	out := make([]byte, 0, min(outLen, 2*len(in)+64))
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			n := ctrl + 1
			if i+n > len(in) {
				return nil, errors.New("rdb: corrupt LZF literal")
			}
			out = append(out, in[i:i+n]...)
			i += n
			if len(out) > outLen {
				return nil, fmt.Errorf("rdb: LZF gives more than the %d bytes announced", outLen)
			}
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, errors.New("rdb: corrupt LZF length")
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errors.New("rdb: corrupt LZF back reference")
		}
		ref := len(out) - ((ctrl&0x1f)<<8 | int(in[i])) - 1
		i++
		if ref < 0 {
			return nil, errors.New("rdb: corrupt LZF back reference")
		}
		for k := 0; k < n+2; k++ { // byte by byte: the reference may overlap the output
			out = append(out, out[ref+k])
		}
		if len(out) > outLen {
			return nil, fmt.Errorf("rdb: LZF gives more than the %d bytes announced", outLen)
		}
	}
	if len(out) != outLen {
		return nil, fmt.Errorf("rdb: LZF gave %d bytes, want %d", len(out), outLen)
	}
	return out, nil
}

// double reads the RDB 'string' double of type zset (v1): a length byte, or 253/254/255 for nan/+inf/-inf.
func (p *rdbReader) double() (float64, error) {
	n, err := p.byte1()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b := make([]byte, n)
	if err := p.readFull(b); err != nil {
		return 0, err
	}
	return strconv.ParseFloat(string(b), 64)
}

func (p *rdbReader) binDouble() (float64, error) {
	var b [8]byte
	if err := p.readFull(b[:]); err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[:])), nil
}

// read parses the header and every key up to EOF (and its checksum).
func (p *rdbReader) read(fn func(*rdbEntry) error, skip func(db int, key []byte, why string)) error {
	var hdr [9]byte
	if err := p.readFull(hdr[:]); err != nil {
		return err
	}
	if string(hdr[:5]) != "REDIS" {
		return fmt.Errorf("rdb: not an RDB payload (starts with %q)", hdr[:5])
	}
	ver, err := strconv.Atoi(string(hdr[5:]))
	if err != nil || ver < 1 || ver > rdbMaxVersion {
		return fmt.Errorf("rdb: RDB version %q is not supported (1..%d)", hdr[5:], rdbMaxVersion)
	}
	p.ver = ver
	db := 0
	var expireAt int64
	for {
		op, err := p.byte1()
		if err != nil {
			return err
		}
		switch op {
		case rdbOpEOF:
			if ver >= 5 {
				var sum [8]byte
				return p.readFull(sum[:])
			}
			return nil
		case rdbOpSelectDB:
			if db, err = p.plainLen(); err != nil {
				return err
			}
			continue
		case rdbOpResizeDB:
			if _, err = p.plainLen(); err == nil {
				_, err = p.plainLen()
			}
			if err != nil {
				return err
			}
			continue
		case rdbOpAux:
			if err = p.skipStr(); err == nil {
				err = p.skipStr()
			}
			if err != nil {
				return err
			}
			continue
		case rdbOpFunction2:
			if err := p.skipStr(); err != nil {
				return err
			}
			continue
		case rdbOpSlotInfo:
			for range 3 {
				if _, err := p.plainLen(); err != nil {
					return err
				}
			}
			continue
		case rdbOpFunction, rdbOpModuleAux:
			return fmt.Errorf("rdb: opcode %#x (functions of Redis 7.0 RC or module data) is not supported", op)
		case rdbOpExpireSec:
			var b [4]byte
			if err := p.readFull(b[:]); err != nil {
				return err
			}
			expireAt = int64(binary.LittleEndian.Uint32(b[:])) * 1000
			continue
		case rdbOpExpireMs:
			var b [8]byte
			if err := p.readFull(b[:]); err != nil {
				return err
			}
			expireAt = int64(binary.LittleEndian.Uint64(b[:]))
			continue
		case rdbOpIdle:
			if _, err := p.plainLen(); err != nil {
				return err
			}
			continue
		case rdbOpFreq:
			if _, err := p.byte1(); err != nil {
				return err
			}
			continue
		}
		p.used, p.over = 0, false
		key, err := p.str()
		if err != nil {
			return err
		}
		p.used = int64(len(key))
		p.over = p.used > maxRecordBytes
		e := &rdbEntry{DB: db, Key: key, ExpireAt: expireAt}
		expireAt = 0
		err = p.object(op, e)
		if err == nil && p.over {
			skip(db, key[:min(len(key), 1<<10)], fmt.Sprintf("larger than %d bytes", maxRecordBytes))
			continue
		}
		if err != nil {
			if errors.Is(err, errSkipped) {
				skip(db, key, "type stream is not carried")
				continue
			}
			return fmt.Errorf("key %q: %w", key, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

func (p *rdbReader) object(t byte, e *rdbEntry) error {
	var err error
	switch t {
	case rdbTypeString:
		e.Type = "string"
		e.Value, err = p.val()
	case rdbTypeList, rdbTypeSet:
		e.Type = map[byte]string{rdbTypeList: "list", rdbTypeSet: "set"}[t]
		n, err := p.plainLen()
		if err != nil {
			return err
		}
		items := make([][]byte, 0, min(n, 1<<10))
		for range n {
			s, err := p.val()
			if err != nil {
				return err
			}
			if !p.over {
				items = append(items, s)
			}
		}
		e.Value = items
	case rdbTypeZset, rdbTypeZset2:
		e.Type = "zset"
		n, err := p.plainLen()
		if err != nil {
			return err
		}
		ms := make([]zmember, 0, min(n, 1<<10))
		for range n {
			m, err := p.val()
			if err != nil {
				return err
			}
			var sc float64
			if t == rdbTypeZset {
				sc, err = p.double()
			} else {
				sc, err = p.binDouble()
			}
			if err != nil {
				return err
			}
			if p.used += 8; !p.over {
				ms = append(ms, zmember{m, sc})
			}
		}
		e.Value = ms
	case rdbTypeHash:
		e.Type = "hash"
		n, err := p.plainLen()
		if err != nil {
			return err
		}
		fs := make([][2][]byte, 0, min(n, 1<<10))
		for range n {
			f, err := p.val()
			if err != nil {
				return err
			}
			v, err := p.val()
			if err != nil {
				return err
			}
			if !p.over {
				fs = append(fs, [2][]byte{f, v})
			}
		}
		e.Value = fs
	case rdbTypeSetIntset:
		e.Type = "set"
		blob, err := p.val()
		if err != nil || p.over {
			return err
		}
		e.Value, err = intsetMembers(blob)
		return err
	case rdbTypeListZiplist, rdbTypeZsetZiplist, rdbTypeHashZiplist, rdbTypeHashListpack,
		rdbTypeZsetListpack, rdbTypeSetListpack:
		blob, err := p.val()
		if err != nil || p.over {
			return err
		}
		var items [][]byte
		if t == rdbTypeListZiplist || t == rdbTypeZsetZiplist || t == rdbTypeHashZiplist {
			items, err = ziplistEntries(blob)
		} else {
			items, err = listpackEntries(blob)
		}
		if err != nil {
			return err
		}
		switch t {
		case rdbTypeListZiplist:
			e.Type, e.Value = "list", items
		case rdbTypeSetListpack:
			e.Type, e.Value = "set", items
		case rdbTypeZsetZiplist, rdbTypeZsetListpack:
			e.Type = "zset"
			if len(items)%2 != 0 {
				return errors.New("rdb: odd sorted-set pair list")
			}
			ms := make([]zmember, 0, len(items)/2)
			for i := 0; i < len(items); i += 2 {
				sc, err := strconv.ParseFloat(string(items[i+1]), 64)
				if err != nil {
					return fmt.Errorf("rdb: sorted-set score %q: %w", items[i+1], err)
				}
				ms = append(ms, zmember{items[i], sc})
			}
			e.Value = ms
		default:
			e.Type = "hash"
			if len(items)%2 != 0 {
				return errors.New("rdb: odd hash pair list")
			}
			fs := make([][2][]byte, 0, len(items)/2)
			for i := 0; i < len(items); i += 2 {
				fs = append(fs, [2][]byte{items[i], items[i+1]})
			}
			e.Value = fs
		}
	case rdbTypeListQuicklist, rdbTypeListQuicklist2:
		e.Type = "list"
		n, err := p.plainLen()
		if err != nil {
			return err
		}
		var items [][]byte
		for range n {
			container := uint64(quicklistPacked)
			if t == rdbTypeListQuicklist2 {
				if container, _, err = p.length(); err != nil {
					return err
				}
			}
			blob, err := p.val()
			if err != nil {
				return err
			}
			if p.over {
				items = nil // released: the key is skipped
				continue
			}
			switch {
			case container == quicklistPlain:
				items = append(items, blob)
			case t == rdbTypeListQuicklist:
				more, err := ziplistEntries(blob)
				if err != nil {
					return err
				}
				items = append(items, more...)
			default:
				more, err := listpackEntries(blob)
				if err != nil {
					return err
				}
				items = append(items, more...)
			}
		}
		e.Value = items
	case rdbTypeStreamListpacks, rdbTypeStreamListpack2, rdbTypeStreamListpack3:
		if err := p.skipStream(t); err != nil {
			return err
		}
		return errSkipped
	case rdbTypeModule, rdbTypeModule2:
		return errors.New("rdb: module data types are not supported")
	case rdbTypeHashZipmap:
		return errors.New("rdb: zipmap-encoded hashes (Redis < 2.6) are not supported")
	default:
		return fmt.Errorf("rdb: object type %d is not supported (Redis 8 hash field TTLs?)", t)
	}
	return err
}

// skipStream reads a stream object (rdb.c rdbLoadObject, RDB_TYPE_STREAM_LISTPACKS*) and drops it.
func (p *rdbReader) skipStream(t byte) error {
	lens := func(k int) error {
		for range k {
			if _, _, err := p.length(); err != nil {
				return err
			}
		}
		return nil
	}
	raw := func(k int64) error { return p.skip(k) } // never allocated: counts come from the payload
	n, err := p.plainLen()
	if err != nil {
		return err
	}
	for range n {
		if err := p.skipStr(); err != nil { // master ID
			return err
		}
		if err := p.skipStr(); err != nil { // listpack
			return err
		}
	}
	if err := lens(3); err != nil { // length, last id ms, seq
		return err
	}
	if t >= rdbTypeStreamListpack2 {
		if err := lens(5); err != nil { // first id, max deleted id, entries added
			return err
		}
	}
	groups, err := p.plainLen()
	if err != nil {
		return err
	}
	for range groups {
		if err := p.skipStr(); err != nil {
			return err
		}
		if err := lens(2); err != nil {
			return err
		}
		if t >= rdbTypeStreamListpack2 {
			if err := lens(1); err != nil { // entries read
				return err
			}
		}
		pel, err := p.plainLen()
		if err != nil {
			return err
		}
		for range pel {
			if err := raw(16 + 8); err != nil { // id, delivery time
				return err
			}
			if err := lens(1); err != nil { // delivery count
				return err
			}
		}
		consumers, err := p.plainLen()
		if err != nil {
			return err
		}
		for range consumers {
			if err := p.skipStr(); err != nil {
				return err
			}
			k := int64(8) // seen time
			if t >= rdbTypeStreamListpack3 {
				k += 8 // active time
			}
			if err := raw(k); err != nil {
				return err
			}
			cpel, err := p.plainLen()
			if err != nil {
				return err
			}
			if err := raw(16 * int64(cpel)); err != nil {
				return err
			}
		}
	}
	return nil
}

func intsetMembers(b []byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, errors.New("rdb: short intset")
	}
	enc := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if enc != 2 && enc != 4 && enc != 8 || len(b) < 8+enc*n {
		return nil, errors.New("rdb: corrupt intset")
	}
	out := make([][]byte, 0, n)
	for i := range n {
		x := b[8+i*enc:]
		var v int64
		switch enc {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(x)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(x)))
		default:
			v = int64(binary.LittleEndian.Uint64(x))
		}
		out = append(out, strconv.AppendInt(nil, v, 10))
	}
	return out, nil
}

var errCorruptZiplist = errors.New("rdb: corrupt ziplist")

// ziplistEntries decodes a ziplist (ziplist.c) into its entries as strings.
func ziplistEntries(b []byte) ([][]byte, error) {
	if len(b) < 11 {
		return nil, errCorruptZiplist
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	out := make([][]byte, 0, n)
	i := 10
	for {
		if i >= len(b) {
			return nil, errCorruptZiplist
		}
		if b[i] == 0xFF {
			return out, nil
		}
		if b[i] == 0xFE { // prevlen
			i += 5
		} else {
			i++
		}
		if i >= len(b) {
			return nil, errCorruptZiplist
		}
		enc := b[i]
		var slen int
		switch enc >> 6 {
		case 0:
			slen, i = int(enc&0x3f), i+1
		case 1:
			if i+2 > len(b) {
				return nil, errCorruptZiplist
			}
			slen, i = int(enc&0x3f)<<8|int(b[i+1]), i+2
		case 2:
			if i+5 > len(b) {
				return nil, errCorruptZiplist
			}
			slen, i = int(binary.BigEndian.Uint32(b[i+1:])), i+5
		default:
			i++
			var v int64
			var w int
			switch enc {
			case 0xC0:
				w = 2
			case 0xD0:
				w = 4
			case 0xE0:
				w = 8
			case 0xF0:
				w = 3
			case 0xFE:
				w = 1
			default:
				if enc >= 0xF1 && enc <= 0xFD {
					v = int64(enc&0x0f) - 1
				} else {
					return nil, errCorruptZiplist
				}
			}
			if i+w > len(b) {
				return nil, errCorruptZiplist
			}
			if w > 0 {
				v = leInt(b[i:i+w], w)
			}
			i += w
			out = append(out, strconv.AppendInt(nil, v, 10))
			continue
		}
		if slen < 0 || i+slen > len(b) {
			return nil, errCorruptZiplist
		}
		out = append(out, append([]byte(nil), b[i:i+slen]...))
		i += slen
	}
}

// leInt reads a signed little-endian integer of w bytes.
func leInt(b []byte, w int) int64 {
	var u uint64
	for k := w - 1; k >= 0; k-- {
		u = u<<8 | uint64(b[k])
	}
	shift := 64 - 8*uint(w)
	return int64(u<<shift) >> shift
}

var errCorruptListpack = errors.New("rdb: corrupt listpack")

// listpackEntries decodes a listpack (listpack.c) into its entries as strings.
func listpackEntries(b []byte) ([][]byte, error) {
	if len(b) < 7 {
		return nil, errCorruptListpack
	}
	out := make([][]byte, 0, int(binary.LittleEndian.Uint16(b[4:])))
	i := 6
	for {
		if i >= len(b) {
			return nil, errCorruptListpack
		}
		enc := b[i]
		if enc == 0xFF {
			return out, nil
		}
		start := i
		var str []byte
		isInt := true
		var v int64
		switch {
		case enc&0x80 == 0: // 7-bit uint
			v, i = int64(enc&0x7f), i+1
		case enc&0xC0 == 0x80: // 6-bit string length
			l := int(enc & 0x3f)
			if i+1+l > len(b) {
				return nil, errCorruptListpack
			}
			str, i, isInt = b[i+1:i+1+l], i+1+l, false
		case enc&0xE0 == 0xC0: // 13-bit int
			if i+2 > len(b) {
				return nil, errCorruptListpack
			}
			u := int64(enc&0x1f)<<8 | int64(b[i+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			v, i = u, i+2
		case enc&0xF0 == 0xE0: // 12-bit string length
			if i+2 > len(b) {
				return nil, errCorruptListpack
			}
			l := int(enc&0x0f)<<8 | int(b[i+1])
			if i+2+l > len(b) {
				return nil, errCorruptListpack
			}
			str, i, isInt = b[i+2:i+2+l], i+2+l, false
		case enc == 0xF0: // 32-bit string length
			if i+5 > len(b) {
				return nil, errCorruptListpack
			}
			l := int(binary.LittleEndian.Uint32(b[i+1:]))
			if l < 0 || i+5+l > len(b) {
				return nil, errCorruptListpack
			}
			str, i, isInt = b[i+5:i+5+l], i+5+l, false
		case enc >= 0xF1 && enc <= 0xF4:
			w := map[byte]int{0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[enc]
			if i+1+w > len(b) {
				return nil, errCorruptListpack
			}
			v, i = leInt(b[i+1:i+1+w], w), i+1+w
		default:
			return nil, errCorruptListpack
		}
		if isInt {
			out = append(out, strconv.AppendInt(nil, v, 10))
		} else {
			out = append(out, append([]byte(nil), str...))
		}
		// backlen: the size of encoding+data, in 1 to 5 bytes
		l := i - start
		switch {
		case l <= 127:
			i++
		case l < 16383:
			i += 2
		case l < 2097151:
			i += 3
		case l < 268435455:
			i += 4
		default:
			i += 5
		}
	}
}
