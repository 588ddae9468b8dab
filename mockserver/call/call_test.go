package call_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/recorder"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// stub is a protocol profile with no state behind it: the caller is the "user" param, replies are
// "ERR <code> <info>", groups the "group" param.
type stub struct{}

func (stub) Identify(c *call.Call) {
	c.Tenant, c.User, c.Conn = "t1", c.Params["user"], c.Params["user"]+"#1"
	if c.User == "" {
		c.Denied = fmt.Errorf("who are you")
	}
}
func (stub) Groups(c *call.Call) []string { return []string{c.Params["group"]} }
func (stub) Reply(code int, info string) []byte {
	return fmt.Appendf(nil, "ERR %d %s", code, info)
}

type env struct {
	rules *fault.Rules
	rec   *recorder.Recorder
	ran   []string // commands the handler served
	h     call.Handler
}

func newEnv(t *testing.T) *env {
	e := &env{rules: fault.NewRules(fault.Options{}), rec: recorder.New()}
	e.h = call.Pipeline(call.Options{Profile: stub{}, Recorder: e.rec,
		Rules: func(*call.Call) *fault.Rules { return e.rules }},
		func(c *call.Call) call.Result {
			if c.Denied != nil {
				return call.Result{Body: []byte("DENIED")}
			}
			e.ran = append(e.ran, c.Command)
			return call.Result{Body: []byte("OK " + c.Command + " for " + c.User)}
		})
	return e
}

func (e *env) send(cmd, user string) call.Result {
	return e.h(&call.Call{Protocol: "stub", Transport: "test", Command: cmd,
		Params: map[string]string{"user": user, "group": "g1"}})
}

// The middlewares see the identified caller, in order: a watch counts the call after it is served,
// a fault answers in the profile's envelope without the handler, and the transcript shows the
// answer the client got.
func TestPipelineOrder(t *testing.T) {
	e := newEnv(t)
	if _, err := e.rules.Add(fault.Rule{ID: "r", Match: fault.Match{Command: "send", User: "ann", Group: "g1"}, Nth: 2, Count: 1,
		Reply: &fault.Reply{ErrorCode: 7}}); err != nil {
		t.Fatal(err)
	}
	var watched []string
	if _, err := e.rules.Watch(fault.Match{Command: "send", User: "ann"}, 2, func() {
		watched = append(watched, fmt.Sprint(len(e.ran)))
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range []string{"ann", "ann", "ann", ""} {
		got = append(got, string(e.send("send", u).Body))
	}
	want := []string{"OK send for ann", "ERR 7 fault injected by rule r", "OK send for ann", "DENIED"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("answers %q, want %q", got, want)
	}
	// The watch ran once, on the second call (answered by the fault: the handler had served one).
	if strings.Join(watched, ",") != "1" {
		t.Fatalf("watch ran after handler calls %v", watched)
	}
	var tr []string
	for _, x := range e.rec.Exchanges(nil) {
		tr = append(tr, fmt.Sprintf("%d %s %s %s %s %s", x.Seq, x.Kind, x.Transport, x.Conn, x.Command, x.Response))
	}
	wantTr := []string{`1 call test ann#1 send "OK send for ann"`, `2 call test ann#1 send "ERR 7 fault injected by rule r"`,
		`3 call test ann#1 send "OK send for ann"`, `4 call test #1 send "DENIED"`}
	if strings.Join(tr, "\n") != strings.Join(wantTr, "\n") {
		t.Fatalf("transcript:\n%s\nwant:\n%s", strings.Join(tr, "\n"), strings.Join(wantTr, "\n"))
	}
}

// Transport-only actions are described in the Result for the transport, and recorded as such.
func TestTransportActionsAreDescribed(t *testing.T) {
	e := newEnv(t)
	body := "<html>"
	for _, r := range []fault.Rule{
		{Match: fault.Match{Command: "drop"}, Drop: true},
		{Match: fault.Match{Command: "status"}, Status: 502},
		{Match: fault.Match{Command: "body"}, Body: &body, Status: 500},
		{Match: fault.Match{Command: "truncate"}, Truncate: true},
	} {
		if _, err := e.rules.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.send("drop", "ann"); !r.Drop || r.Fault != "f1" || r.Body != nil {
		t.Errorf("drop: %+v", r)
	}
	if r := e.send("status", "ann"); r.Status != 502 || !r.Text || !strings.HasPrefix(string(r.Body), "502 Bad Gateway") {
		t.Errorf("status: %+v", r)
	}
	if r := e.send("body", "ann"); r.Status != 500 || r.Text || string(r.Body) != "<html>" {
		t.Errorf("body: %+v", r)
	}
	if r := e.send("truncate", "ann"); string(r.Body) != "OK trunca" || // the first half of "OK truncate for ann"
		r.Fault != "f4" {
		t.Errorf("truncate: %q %+v", r.Body, r)
	}
	if strings.Join(e.ran, ",") != "truncate" {
		t.Errorf("the handler ran for %v; only a truncated call runs it", e.ran)
	}
	exs := e.rec.Exchanges(nil)
	if exs[0].Note != "connection dropped by fault rule f1" || exs[0].Response != nil {
		t.Errorf("a dropped call's exchange: %+v", exs[0])
	}
}

// A delay or hold ends when the client goes away: nothing is answered, the transcript says why.
func TestClientGoneWhileWaiting(t *testing.T) {
	e := newEnv(t)
	if _, err := e.rules.Add(fault.Rule{Match: fault.Match{Command: "slow"}, Hold: 3600e9}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := e.h((&call.Call{Transport: "test", Command: "slow", Params: map[string]string{"user": "ann"}}).WithContext(ctx))
	if !r.Gone || r.Drop {
		t.Fatalf("got %+v", r)
	}
	if x := e.rec.Exchanges(nil)[0]; x.Note != "the client went away before the answer" {
		t.Fatalf("exchange %+v", x)
	}
}
