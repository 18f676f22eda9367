package messages

import "unicode/utf8"

// DecodeProduceRequest decodes a 5.5.1 body of the common shape
//
//	{"topic":"t","body":"b","property_list":[{"name":"KEY","value":"k"}]}
//
// in one pass without reflection: members in any order, each optional, each at most once, strings
// without escapes or control characters, property_list also null. ok is false for anything else
// (escapes, other spellings of the names, unknown members, null strings, numbers, bad JSON, ...):
// the caller then decodes the body with encoding/json, which gives the same result for what this
// accepts (FuzzDecodeProduceRequest checks it) and the errors for what it refuses. Through
// encoding/json's Decoder (a scan to frame the value, a second pass to decode it by reflection)
// decoding was a quarter of the handler's CPU.
//
// The strings of the result share one copy of b.
func DecodeProduceRequest(b []byte) (req ProduceRequest, ok bool) {
	// encoding/json replaces invalid UTF-8; the HTTP layer refuses such bodies already (checkText).
	if !utf8.Valid(b) {
		return req, false
	}
	type span struct{ start, end int }
	var topic, body span
	var props []span // name, value, name, value, ...
	var sawTopic, sawBody, sawProps, propsNull bool
	p := fastParser{b: b}
	str := func() (span, bool) {
		s, ok := p.str()
		if !ok {
			return span{}, false
		}
		return span{p.i - 1 - len(s), p.i - 1}, true
	}
	if !p.byte('{') {
		return req, false
	}
	if !p.byte('}') {
		for {
			name, ok := p.str()
			if !ok || !p.byte(':') {
				return req, false
			}
			switch string(name) {
			case "topic":
				if sawTopic {
					return req, false
				}
				sawTopic = true
				if topic, ok = str(); !ok {
					return req, false
				}
			case "body":
				if sawBody {
					return req, false
				}
				sawBody = true
				if body, ok = str(); !ok {
					return req, false
				}
			case "property_list":
				if sawProps {
					return req, false
				}
				sawProps = true
				if p.null() {
					propsNull = true
					break
				}
				if !p.byte('[') {
					return req, false
				}
				props = make([]span, 0, 4)
				if p.byte(']') {
					break
				}
				for {
					// {"name":"...","value":"..."}, both members, in either order.
					if !p.byte('{') {
						return req, false
					}
					var nv [2]span
					var saw [2]bool
					for range 2 {
						m, ok := p.str()
						if !ok || !p.byte(':') {
							return req, false
						}
						i := 0
						switch string(m) {
						case "name":
						case "value":
							i = 1
						default:
							return req, false
						}
						if saw[i] {
							return req, false
						}
						saw[i] = true
						if nv[i], ok = str(); !ok {
							return req, false
						}
						if i == 0 && !saw[1] || i == 1 && !saw[0] {
							if !p.byte(',') {
								return req, false
							}
						}
					}
					if !p.byte('}') {
						return req, false
					}
					props = append(props, nv[0], nv[1])
					if p.byte(',') {
						continue
					}
					if p.byte(']') {
						break
					}
					return req, false
				}
			default:
				return req, false
			}
			if p.byte(',') {
				continue
			}
			if p.byte('}') {
				break
			}
			return req, false
		}
	}
	if !p.end() {
		return req, false
	}
	s := string(b)
	req.Topic, req.Body = s[topic.start:topic.end], s[body.start:body.end]
	if sawProps && !propsNull {
		req.Properties = make([]Property, len(props)/2)
		for i := range req.Properties {
			n, v := props[2*i], props[2*i+1]
			req.Properties[i] = Property{Name: s[n.start:n.end], Value: s[v.start:v.end]}
		}
	}
	return req, true
}
