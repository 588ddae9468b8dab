// Package timurl reads the two parts of a Tencent IM v4 URL that the adapter and the recorder both
// need: the command in the path and the raw query.
package timurl

import (
	"fmt"
	"strconv"
	"strings"
)

// Command turns "/v4/openim/sendmsg" (or v1, v3) into "openim/sendmsg"; ok is false for paths of
// another shape.
func Command(path string) (cmd string, ok bool) {
	// Cut rather than Split: the command is a substring of the path, and a call allocates nothing.
	ver, rest, ok := strings.Cut(strings.Trim(path, "/"), "/")
	if !ok || len(ver) < 2 || ver[0] != 'v' {
		return "", false
	}
	if _, err := strconv.Atoi(ver[1:]); err != nil {
		return "", false
	}
	if _, c, ok := strings.Cut(rest, "/"); !ok || strings.Contains(c, "/") {
		return "", false
	}
	return rest, true
}

// Query splits a raw query into keys and values. %XX escapes are decoded but '+' is kept: the
// Tencent SDKs concatenate k=v pairs without URL-encoding, so a '+' (in a UserSig, a user id) is
// a real '+'. A repeated key keeps its last value.
func Query(raw string) map[string]string {
	q := make(map[string]string, strings.Count(raw, "&")+1) // sized once: an SDK sends about ten
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
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
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// CheckCommand checks the shape of a command name as fault rules and scenarios write it:
// "service/cmd", or "service/*" for a whole service.
func CheckCommand(cmd string) error {
	svc, c, ok := strings.Cut(cmd, "/")
	if !ok || svc == "" || c == "" || strings.Contains(c, "/") || strings.ContainsAny(cmd, " ?&") ||
		(strings.Contains(c, "*") && c != "*") {
		return fmt.Errorf("want service/cmd (e.g. openim/sendmsg) or service/*, got %q", cmd)
	}
	return nil
}
