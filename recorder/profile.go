package recorder

import (
	"net/url"
	"strings"
)

// Profile is what a protocol tells the recorder about its traffic: the recorder, the normaliser
// and the differ know no wire format of their own. The zero Profile normalises nothing, has no
// idle polls and reads commands and queries generically.
type Profile struct {
	Name string // "tim"
	// Rules are the default normalisation rules (Diff and Golden without WithRules; a rule file's
	// `defaults: true`); SeqRules are appended by `seq: true`.
	Rules, SeqRules Rules
	// IdlePoll says whether an exchange is a poll that brought nothing: left out of comparisons
	// unless KeepIdlePolls, because how many happen depends on timing.
	IdlePoll func(Exchange) bool
	// Poll says whether an exchange is a long poll (SeparatePolls).
	Poll func(Exchange) bool
	// Command names the command of an HTTP request the recording proxy relays, from its path
	// (default: the path without its leading slash).
	Command func(path string) string
	// Query splits its raw query (default: url.ParseQuery, last value of a repeated key).
	Query func(raw string) map[string]string
	// Attribution makes a fresh attributor for a Recorder (and after Reset). It fills App, User
	// and Conn of an exchange the proxy relayed, and may learn sessions from login replies to do
	// so; it is called under the Recorder's lock, in the order exchanges complete.
	Attribution func() func(e *Exchange)
}

func (p Profile) command(path string) string {
	if p.Command != nil {
		return p.Command(path)
	}
	return strings.Trim(path, "/")
}

func (p Profile) query(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	if p.Query != nil {
		return p.Query(raw)
	}
	v, _ := url.ParseQuery(raw)
	q := make(map[string]string, len(v))
	for k, vs := range v {
		q[k] = vs[len(vs)-1]
	}
	return q
}
