// Package fault makes protocol calls misbehave on purpose: per-tenant rules, held as data, and the
// engine that matches calls against them. It knows no wire format and no transport: the call
// pipeline (mockserver/call) consults the rules for every call whatever carried it and carries out
// the call-level actions (reply with an error code, delay, hold), and each transport carries out
// the actions only it can (drop the connection, a non-200 status, a garbage or truncated body).
// Watches let a scenario act after "the Nth call of a command" to schedule pushes.
package fault

import (
	"fmt"
	"strings"

	"github.com/imharness/imharness/internal/dur"
)

// Match selects the calls a rule applies to. Empty fields match anything.
type Match struct {
	// Command is the protocol's command name (openim/sendmsg for Tencent IM); a trailing "*"
	// selects every command with that prefix ("openim/*"). The protocol's profile checks its shape.
	Command string `json:"command,omitempty"`
	// User is the calling account: the query's identifier, or the session named by tinyid+a2.
	User string `json:"user,omitempty"`
	// Group is a group the call is about (for Tencent IM: GroupId, ToGroupId or one of GroupIdList).
	Group string `json:"group,omitempty"`
	// Transport restricts the rule to calls one transport carries ("http"); a rule with an action
	// only some transports can carry out must name one of them when others are mounted.
	Transport string `json:"transport,omitempty"`
}

func (m Match) String() string {
	var parts []string
	for _, p := range [][2]string{{"command", m.Command}, {"user", m.User}, {"group", m.Group}, {"transport", m.Transport}} {
		if p[1] != "" {
			parts = append(parts, p[0]+"="+p[1])
		}
	}
	if len(parts) == 0 {
		return "any call"
	}
	return strings.Join(parts, " ")
}

// validate checks the match against the protocol's command naming (nil: any command text).
func (m Match) validate(commands func(string) error) *FieldError {
	if m.Command == "" {
		return nil
	}
	if strings.ContainsAny(m.Command, " ?&#") || strings.Contains(strings.TrimSuffix(m.Command, "*"), "*") {
		return &FieldError{"match.command", fmt.Sprintf("want a command name, or a prefix ending in *, got %q", m.Command)}
	}
	if commands != nil {
		if err := commands(m.Command); err != nil {
			return &FieldError{"match.command", err.Error()}
		}
	}
	return nil
}

func (m Match) matches(c Target) bool {
	switch {
	case m.Command != "" && m.Command != c.Command &&
		!(strings.HasSuffix(m.Command, "*") && strings.HasPrefix(c.Command, strings.TrimSuffix(m.Command, "*"))):
		return false
	case m.User != "" && m.User != c.User:
		return false
	case m.Group != "" && !c.hasGroup(m.Group):
		return false
	case m.Transport != "" && m.Transport != c.Transport:
		return false
	}
	return true
}

// Reply is an answer in the protocol's own envelope (an error code and text) given instead of
// calling the handler; the protocol's profile writes the envelope.
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

	Reply    *Reply       `json:"reply,omitempty"`    // answer this envelope (HTTP 200 unless Status)
	Delay    dur.Duration `json:"delay,omitempty"`    // wait before acting (or before the handler)
	Hold     dur.Duration `json:"hold,omitempty"`     // wait without answering, then drop the connection
	Drop     bool         `json:"drop,omitempty"`     // close the connection without an answer
	Status   int          `json:"status,omitempty"`   // answer this HTTP status
	Body     *string      `json:"body,omitempty"`     // answer these bytes verbatim (not JSON, say)
	Truncate bool         `json:"truncate,omitempty"` // run the handler, answer the first half of its body
}

// FieldError is a bad field of a rule, named by its path in the rule ("reply.ErrorCode").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Validate checks the rule's fields; the error is a *FieldError. The command is checked only for
// its generic shape: Profile.Validate also applies the protocol's command naming.
func (r Rule) Validate() error { return r.validate(nil) }

func (r Rule) validate(commands func(string) error) error {
	if e := r.Match.validate(commands); e != nil {
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

// TransportActions lists the rule's actions that the transport carries out rather than the call
// pipeline: drop (a hold ends in one), status, body and truncate. Reply and delay are the
// pipeline's own, the same on every transport.
func (r Rule) TransportActions() []string {
	var out []string
	if r.Drop || r.Hold > 0 {
		out = append(out, ActionDrop)
	}
	if r.Status != 0 {
		out = append(out, ActionStatus)
	}
	if r.Body != nil {
		out = append(out, ActionBody)
	}
	if r.Truncate {
		out = append(out, ActionTruncate)
	}
	return out
}

// Transport-only actions (see Rule.TransportActions and Transport).
const (
	ActionDrop     = "drop"
	ActionStatus   = "status"
	ActionBody     = "body"
	ActionTruncate = "truncate"
)

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
