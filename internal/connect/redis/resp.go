package redis

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Bounds of the replication stream's RESP, checked before anything is allocated for it: a master
// (or whoever sits on the plain TCP link) must not be able to crash or exhaust dmsd with a length.
const (
	maxBulkLen   = 512 << 20 // Redis's proto-max-bulk-len default
	maxArrayLen  = 1 << 20   // arguments of one replicated command
	bulkPrealloc = 64 << 10  // larger bulks grow as their bytes arrive
)

// respReader reads the commands of a replication stream: RESP arrays of bulk strings (what a
// master propagates). It replaces a general RESP reader so every length is checked first.
type respReader struct {
	r *bufio.Reader
	// limit bounds the argument bytes one command keeps (0: no bound). A larger command is read
	// past: readCommand returns only the arguments within the limit and sets over.
	limit int64
	over  bool
}

// readCommand returns the next command's arguments (fresh slices) and its size on the wire, which
// is what it adds to the replication offset. Bare newlines (keepalives) are skipped.
func (rr *respReader) readCommand() (args [][]byte, raw int64, err error) {
	var line []byte
	for {
		if line, err = rr.line(); err != nil {
			return nil, 0, err
		}
		if len(line) > 2 || line[0] != '\r' && line[0] != '\n' {
			break
		}
	}
	raw = int64(len(line))
	rr.over = false
	var kept int64
	n, err := respLen(line, '*', maxArrayLen)
	if err != nil {
		return nil, 0, err
	}
	if n < 1 {
		return nil, 0, fmt.Errorf("replication stream: empty command %q", bytes.TrimSpace(line))
	}
	args = make([][]byte, 0, min(n, 64))
	for range n {
		l, err := rr.line()
		if err != nil {
			return nil, 0, err
		}
		raw += int64(len(l))
		size, err := respLen(l, '$', maxBulkLen)
		if err != nil {
			return nil, 0, err
		}
		if rr.limit > 0 && kept+int64(size) > rr.limit {
			rr.over = true
		}
		if rr.over {
			if _, err := io.CopyN(io.Discard, rr.r, int64(size)); err != nil {
				return nil, 0, eofUnexpected(err)
			}
			var crlf [2]byte
			if _, err := io.ReadFull(rr.r, crlf[:]); err != nil {
				return nil, 0, eofUnexpected(err)
			}
			if crlf != [2]byte{'\r', '\n'} {
				return nil, 0, errors.New("replication stream: bulk string not followed by CRLF")
			}
			raw += int64(size) + 2
			continue
		}
		kept += int64(size)
		var b []byte
		if size+2 <= bulkPrealloc {
			b = make([]byte, size+2)
			if _, err := io.ReadFull(rr.r, b); err != nil {
				return nil, 0, eofUnexpected(err)
			}
		} else {
			var buf bytes.Buffer
			if _, err := io.CopyN(&buf, rr.r, int64(size)+2); err != nil {
				return nil, 0, eofUnexpected(err)
			}
			b = buf.Bytes()
		}
		if b[size] != '\r' || b[size+1] != '\n' {
			return nil, 0, errors.New("replication stream: bulk string not followed by CRLF")
		}
		raw += int64(size) + 2
		args = append(args, b[:size:size])
	}
	return args, raw, nil
}

// line reads one line with its CRLF; a line longer than the reader's buffer is an error.
func (rr *respReader) line() ([]byte, error) {
	l, err := rr.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("replication stream: protocol line too long")
		}
		return nil, err
	}
	return bytes.Clone(l), nil
}

// respLen parses "<kind><n>\r\n" and checks 0 <= n <= limit.
func respLen(line []byte, kind byte, limit int) (int, error) {
	s := bytes.TrimRight(line, "\r\n")
	if len(s) < 2 || s[0] != kind {
		return 0, fmt.Errorf("replication stream: expected %q, got %q", kind, truncate(s))
	}
	n, err := strconv.ParseInt(string(s[1:]), 10, 64)
	if err != nil || n < 0 || n > int64(limit) {
		return 0, fmt.Errorf("replication stream: length %q out of range (0..%d)", truncate(s[1:]), limit)
	}
	return int(n), nil
}

func truncate(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func eofUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
