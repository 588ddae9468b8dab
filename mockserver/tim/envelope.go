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
	var b bytes.Buffer
	if err != nil {
		fmt.Fprintf(&b, `{"ActionStatus":"FAIL","ErrorCode":%d,"ErrorInfo":%s}`, err.Code, quote(err.Info))
		return b.Bytes()
	}
	b.WriteString(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""`)
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
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "(body)"
			}
			return fail(CodeJSONParse, "field %s: want %s, got JSON %s", field, te.Type, te.Value)
		case errors.As(err, &se):
			return fail(CodeJSONParse, "body is not valid JSON: %v (offset %d)", se, se.Offset)
		}
		return fail(CodeJSONParse, "body is not valid JSON: %v", err)
	}
	if d.More() {
		return fail(CodeJSONParse, "body has data after the JSON object")
	}
	return nil
}

// parseQuery splits a raw query without treating '+' as a space: the SDKs concatenate k=v pairs
// unencoded, and UserSigs and user ids may contain '+'. %XX escapes are decoded when valid.
func parseQuery(raw string) map[string]string {
	q := map[string]string{}
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		q[unescape(k)] = unescape(v)
	}
	return q
}

func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
