package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/dms"
)

// checkText refuses a request whose body, query or path values are not valid UTF-8 (issue 9,
// defect 9). encoding/json replaces invalid UTF-8, and \u escapes of lone UTF-16 surrogates, with
// U+FFFD without an error, so a name or description would be stored other than it was sent; query
// and path values would reach names and filters the same way. Every body of this API is JSON
// (RFC 8259 requires UTF-8), so the check is done once here for every route rather than in each
// decode.
func checkText(r *http.Request, body []byte) error {
	if off, ok := jsonTextProblem(body); !ok {
		return dms.Errorf(dms.CodeBodyNotJSON, "The message body is not in JSON format or contains invalid characters: "+
			"invalid UTF-8 or an unpaired UTF-16 surrogate escape at byte %d.", off)
	}
	// A raw query that is valid UTF-8 and has no escapes decodes to substrings of itself (and '+'
	// to ' '): it is valid without being parsed.
	if q := r.URL.RawQuery; q != "" && (strings.IndexByte(q, '%') >= 0 || !utf8.ValidString(q)) {
		if err := checkQueryText(r); err != nil {
			return err
		}
	}
	if !utf8.ValidString(r.URL.Path) {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: the path is not valid UTF-8.")
	}
	return nil
}

// checkQueryText is checkText for the decoded query parameters.
func checkQueryText(r *http.Request) error {
	for k, vs := range r.URL.Query() {
		if !utf8.ValidString(k) {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: a query parameter name is not valid UTF-8.")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: the value of query parameter %q is not valid UTF-8.", k)
			}
		}
	}
	return nil
}

// jsonTextProblem reports the offset of the first byte that would not survive decoding: invalid
// UTF-8, or inside a string a \u escape of a surrogate that is not part of a high-low pair.
// Malformed JSON otherwise is left to the decoder, which reports it with its own message.
func jsonTextProblem(b []byte) (int, bool) {
	// The common case (a produce body of megabytes) takes the fast paths of the standard library.
	if utf8.Valid(b) && !bytes.Contains(b, []byte(`\u`)) {
		return 0, true
	}
	inString := false
	for i := 0; i < len(b); {
		c := b[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, false
			}
			i += size
			continue
		}
		switch {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(b):
			if b[i+1] != 'u' {
				i += 2
				continue
			}
			v, ok := hex4(b, i+2)
			switch {
			case !ok:
			case v >= 0xD800 && v < 0xDC00: // high surrogate: a low one must follow
				if i+11 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
					if lo, ok := hex4(b, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						i += 12
						continue
					}
				}
				return i, false
			case v >= 0xDC00 && v <= 0xDFFF: // a low surrogate alone
				return i, false
			}
			i += 2
			continue
		}
		i++
	}
	return 0, true
}

// hex4 parses the four hex digits at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[i : i+4] {
		v <<= 4
		switch {
		case '0' <= c && c <= '9':
			v |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			v |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			v |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}
