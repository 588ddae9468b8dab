// Package fault makes protocol calls misbehave on purpose: per-tenant rules, held as data, that
// an HTTP middleware in front of the protocol adapter applies before the handler runs (reply with
// an error code, delay, hold past the client's timeout, drop the connection, answer a non-200
// status, a garbage or truncated body). The same middleware lets a scenario watch for "the Nth
// call of a command" to schedule pushes.
package fault

import (
	"fmt"
	"strings"
	"time"
)

// Match selects the calls a rule applies to. Empty fields match anything.
type Match struct {
	// Command is "service/cmd" as in the URL (openim/sendmsg), or "service/*" for a whole service.
	Command string `json:"command,omitempty"`
	// User is the calling account: the query's identifier, or the session named by tinyid+a2.
	User string `json:"user,omitempty"`
	// Group is the GroupId in the request body (or one of GroupIdList).
	Group string `json:"group,omitempty"`
}

func (m Match) String() string {
	var parts []string
	for _, p := range [][2]string{{"command", m.Command}, {"user", m.User}, {"group", m.Group}} {
		if p[1] != "" {
			parts = append(parts, p[0]+"="+p[1])
		}
	}
	if len(parts) == 0 {
		return "any call"
	}
	return strings.Join(parts, " ")
}

func (m Match) validate() *FieldError {
	if m.Command == "" {
		return nil
	}
	svc, cmd, ok := strings.Cut(m.Command, "/")
	if !ok || svc == "" || cmd == "" || strings.Contains(cmd, "/") || strings.ContainsAny(m.Command, " ?&") {
		return &FieldError{"match.command", fmt.Sprintf("want service/cmd (e.g. openim/sendmsg) or service/*, got %q", m.Command)}
	}
	return nil
}

func (m Match) matches(c Call) bool {
	switch {
	case m.Command != "" && m.Command != c.Command &&
		!(strings.HasSuffix(m.Command, "/*") && strings.HasPrefix(c.Command, strings.TrimSuffix(m.Command, "*"))):
		return false
	case m.User != "" && m.User != c.User:
		return false
	case m.Group != "" && !c.hasGroup(m.Group):
		return false
	}
	return true
}

// Reply is a protocol envelope answered with HTTP 200 instead of calling the handler.
type Reply struct {
	ErrorCode int    `json:"ErrorCode"`
	ErrorInfo string `json:"ErrorInfo,omitempty"`
}

// Rule is one fault: which calls (Match, Nth, Every, Count) and what happens to them (the action).
//
// The k-th call selected by Match (k from 1) is acted on when k >= Nth, (k-Nth) is a multiple of
// Every, and the rule has acted fewer than Count times. Nth defaults to Every (or 1), Every to 1,
// and Count to no limit: {nth:2,count:1} hits the 2nd call only; {every:3} the 3rd, 6th, 9th…
//
// Actions: Delay waits, then does the rest of the rule or, alone, lets the call through. At most
// one of Reply, Body, Drop, Hold, Truncate; Status may go with Reply or Body (or alone).
type Rule struct {
	ID    string `json:"id,omitempty"`
	Match Match  `json:"match"`
	Nth   int    `json:"nth,omitempty"`
	Every int    `json:"every,omitempty"`
	Count int    `json:"count,omitempty"`

	Reply    *Reply   `json:"reply,omitempty"`    // answer this envelope (HTTP 200 unless Status)
	Delay    Duration `json:"delay,omitempty"`    // wait before acting (or before the handler)
	Hold     Duration `json:"hold,omitempty"`     // wait without answering, then drop the connection
	Drop     bool     `json:"drop,omitempty"`     // close the connection without an answer
	Status   int      `json:"status,omitempty"`   // answer this HTTP status
	Body     *string  `json:"body,omitempty"`     // answer these bytes verbatim (not JSON, say)
	Truncate bool     `json:"truncate,omitempty"` // run the handler, answer the first half of its body
}

// FieldError is a bad field of a rule, named by its path in the rule ("reply.ErrorCode").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks the rule's fields; the error is a *FieldError.
func (r Rule) Validate() error {
	if e := r.Match.validate(); e != nil {
		return e
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"nth", r.Nth}, {"every", r.Every}, {"count", r.Count}} {
		if n.v < 0 {
			return &FieldError{n.name, fmt.Sprintf("must not be negative, got %d", n.v)}
		}
	}
	if r.Delay < 0 {
		return &FieldError{"delay", "must not be negative"}
	}
	if r.Hold < 0 {
		return &FieldError{"hold", "must not be negative"}
	}
	var terminal []string
	if r.Reply != nil {
		terminal = append(terminal, "reply")
	}
	if r.Body != nil {
		terminal = append(terminal, "body")
	}
	if r.Drop {
		terminal = append(terminal, "drop")
	}
	if r.Hold > 0 {
		terminal = append(terminal, "hold")
	}
	if r.Truncate {
		terminal = append(terminal, "truncate")
	}
	if len(terminal) > 1 {
		return &FieldError{terminal[1], fmt.Sprintf("cannot be combined with %s (one action per rule; delay and status combine)", terminal[0])}
	}
	if r.Status != 0 {
		if r.Status < 201 || r.Status > 599 {
			return &FieldError{"status", fmt.Sprintf("want an HTTP status from 201 to 599, got %d", r.Status)}
		}
		if r.Drop || r.Hold > 0 || r.Truncate {
			return &FieldError{"status", "cannot be combined with " + terminal[0]}
		}
	}
	if r.Reply != nil && r.Reply.ErrorCode < 0 {
		return &FieldError{"reply.ErrorCode", fmt.Sprintf("must not be negative, got %d", r.Reply.ErrorCode)}
	}
	if r.Delay == 0 && r.Status == 0 && len(terminal) == 0 {
		return &FieldError{"action", "the rule does nothing: give reply, delay, hold, drop, status, body or truncate"}
	}
	return nil
}

// due reports whether the k-th selected call gets the action, given how often it already acted.
func (r Rule) due(k, hits int) bool {
	every := max(r.Every, 1)
	nth := r.Nth
	if nth == 0 {
		nth = every
	}
	if k < nth || (k-nth)%every != 0 {
		return false
	}
	return r.Count == 0 || hits < r.Count
}

// Duration is a time.Duration written as Go duration text ("2s", "1m30s") in JSON and YAML.
type Duration time.Duration

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes "2s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads Go duration text.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want Go duration text such as 500ms, 2s, 10m, 1h30m", string(b))
	}
	*d = Duration(v)
	return nil
}
