package tim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// encode writes a reply: ActionStatus, ErrorCode and ErrorInfo first (both SDK generations read
// different ones), then the body's own fields, in a stable order.
func encode(body any, err *Error) []byte {
	b := bytes.NewBuffer(make([]byte, 0, 128)) // an envelope and a short reply fit: one allocation
	if err != nil {
		fmt.Fprintf(b, `{"ActionStatus":"FAIL","ErrorCode":%d,"ErrorInfo":%s`, err.Code, quote(err.Info))
		if err.Fields != nil {
			if raw, merr := json.Marshal(err.Fields); merr == nil && len(raw) > 2 && raw[0] == '{' {
				b.WriteByte(',')
				b.Write(raw[1 : len(raw)-1])
			}
		}
		b.WriteByte('}')
		return b.Bytes()
	}
	b.WriteString(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""`)
	if f, ok := body.(fieldsAppender); ok {
		f.appendTo(b)
		b.WriteByte('}')
		return b.Bytes()
	}
	if body != nil {
		raw, merr := json.Marshal(body)
		if merr != nil {
			return encode(nil, fail(CodeInternal, "encoding reply: %v", merr))
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 2 && raw[0] == '{' {
			b.WriteByte(',')
			b.Write(raw[1:])
			return b.Bytes()
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// fieldsAppender is a reply that writes its own fields after the envelope's (`,"Name":value…`),
// compact and escaped exactly as json.Marshal would, so encode does not run json.Marshal over it.
type fieldsAppender interface{ appendTo(b *bytes.Buffer) }

// eventArray is a long-poll reply's EventArray: events this package encoded (compact, escaped as
// encoding/json escapes), written out as they are rather than scanned again by json.Marshal.
// What json.Marshal would do to them is a no-op; a scenario's raw event is the exception, and
// appendTo runs that one through json.Marshal.
type eventArray []json.RawMessage

func (a eventArray) appendTo(b *bytes.Buffer) {
	b.WriteString(`,"EventArray":[`)
	for i, raw := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(raw)
	}
	b.WriteByte(']')
}

// appendQuoted writes s as a JSON string, as json.Marshal would: as it is when nothing in it needs
// escaping (json.Marshal also escapes <, > and &), else through quote.
func appendQuoted(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b.WriteString(quote(s))
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

func quote(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// decode reads a JSON request body into v. An empty body is "{}". Unknown fields are allowed: the
// SDKs send many this server has no use for.
func decode(body []byte, v any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	// Unmarshal, not a Decoder: it reads the body in place instead of copying it into a buffer of
	// its own (a Decoder per call showed in the sendmsg profile).
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "(body)"
			}
			return fail(CodeJSONParse, "field %s: want %s, got JSON %s", field, te.Type, te.Value)
		case errors.As(err, &se) && strings.Contains(se.Error(), "after top-level value"):
			return fail(CodeJSONParse, "body has data after the JSON object")
		case errors.As(err, &se):
			return fail(CodeJSONParse, "body is not valid JSON: %v (offset %d)", se, se.Offset)
		}
		return fail(CodeJSONParse, "body is not valid JSON: %v", err)
	}
	return nil
}
