package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/recorder"
)

// A started server holds a long poll with no news off net/http (mockserver/httppark): no
// goroutine is left per held poll. These tests drive such polls over real connections and check
// that everything a poll did on its own goroutine still happens.

// serverConnGoroutines counts net/http's per-connection server goroutines in this process.
func serverConnGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "net/http.(*conn).serve(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

type heldFixture struct {
	*fixture
	rec    *recorder.Recorder
	client *http.Client
	sent   int
}

func newHeldFixture(t *testing.T) *heldFixture {
	t.Helper()
	rec := recorder.New()
	srv := mockserver.New(mockserver.Options{Hold: time.Hour, Recorder: rec})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if _, err := srv.AddApp(state.Options{SDKAppID: appID, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &heldFixture{fixture: &fixture{t: t, srv: srv}, rec: rec, client: &http.Client{Transport: tr}}
}

// startPoll sends a long poll on the fixture's keep-alive client; the answer comes on the channel.
func (f *heldFixture) startPoll(ctx context.Context, s session, lp string, reused *bool) <-chan answer {
	return f.startPollAfter(ctx, s, lp, 0, reused)
}

// startPollAfter polls with the cursor after (the NoticeSeq of the last event the client has).
func (f *heldFixture) startPollAfter(ctx context.Context, s session, lp string, after int, reused *bool) <-chan answer {
	out := make(chan answer, 1)
	body := fmt.Sprintf(`{"Cookie":{"NotifySeq":0,"NoticeSeq":%d,"LongPollingId":%q}}`, after, lp)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if reused != nil {
			*reused = i.Reused
		}
	}})
	req, _ := http.NewRequestWithContext(ctx, "POST", f.srv.URL()+"/v4/openim/longpolling?"+s.q(), strings.NewReader(body))
	go func() {
		resp, err := f.client.Do(req)
		if err != nil {
			out <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- answer{status: resp.StatusCode, body: b, err: err}
	}()
	return out
}

func (f *heldFixture) send(from session, to, text string) {
	f.t.Helper()
	f.sent++ // a new MsgRandom each: an equal one would be a resend, stored once
	r := f.im("openim/sendmsg", from.q(), fmt.Sprintf(`{"To_Account":%q,"MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}`, to, f.sent, text))
	if code(r) != 0 {
		f.t.Fatalf("sendmsg: %v", r)
	}
}

// polls lists the recorded long-poll exchanges.
func (f *heldFixture) polls() []recorder.Exchange {
	return f.rec.Exchanges(func(e recorder.Exchange) bool { return e.Command == "openim/longpolling" })
}

// Held polls keep no net/http goroutine; a message wakes the right one, whose answer is recorded
// like any call's; the client's next poll reuses the connection.
func TestHeldLongPollsKeepNoGoroutine(t *testing.T) {
	f := newHeldFixture(t)
	alice := f.login(appID, "alice")
	const n = 20
	users := make([]session, n)
	lps := make([]string, n)
	for i := range users {
		users[i] = f.login(appID, fmt.Sprintf("u%d", i))
		lps[i] = f.openLongPoll(users[i])
	}
	base := serverConnGoroutines() // the logins' connections were not kept alive (fixture.do)
	answers := make([]<-chan answer, n)
	for i := range users {
		answers[i] = f.startPoll(context.Background(), users[i], lps[i], nil)
	}
	// Every poll has reached the server and is held once its goroutine is gone again.
	eventually(t, "20 polls held with no goroutine each", func() bool {
		return f.srv.HeldRequests() == n && serverConnGoroutines() <= base
	})

	f.send(alice, "u7", "wake u7")
	a := <-answers[7]
	if a.err != nil || a.status != 200 || !strings.Contains(string(a.body), `"Text":"wake u7"`) {
		t.Fatalf("u7's poll: %d %s %v", a.status, a.body, a.err)
	}
	for i, c := range answers {
		if i == 7 {
			continue
		}
		select {
		case a := <-c:
			t.Fatalf("u%d's poll answered without news: %s %v", i, a.body, a.err)
		default:
		}
	}
	eventually(t, "the answer is recorded", func() bool {
		for _, e := range f.polls() {
			if e.User == "u7" && strings.Contains(string(e.Response), "wake u7") && e.Status == 200 {
				return true
			}
		}
		return false
	})

	var reused bool
	next := f.startPollAfter(context.Background(), users[7], lps[7], 1, &reused)
	f.send(alice, "u7", "again")
	if a := <-next; a.err != nil || !strings.Contains(string(a.body), "again") || !reused {
		t.Fatalf("u7's next poll: %s %v (connection reused: %v)", a.body, a.err, reused)
	}
}

// A client that gives up on a held poll ends it: the poll is answered "no news" and recorded, as
// when its goroutine saw the request's context end.
func TestHeldLongPollEndsWhenTheClientLeaves(t *testing.T) {
	f := newHeldFixture(t)
	bob := f.login(appID, "bob")
	lp := f.openLongPoll(bob)
	ctx, cancel := context.WithCancel(context.Background())
	got := f.startPoll(ctx, bob, lp, nil)
	eventually(t, "the poll is held", func() bool { return f.srv.HeldRequests() == 1 })
	cancel()
	if a := <-got; a.err == nil {
		t.Fatalf("a cancelled poll answered: %s", a.body)
	}
	eventually(t, "the ended poll is recorded", func() bool {
		ps := f.polls()
		return len(ps) == 1 && string(ps[0].Response) == `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`
	})
}

// Fault rules act on a held poll as on any call: truncate cuts its late answer in half; a kick
// answers it with the kick's code.
func TestHeldLongPollFaultsAndKicks(t *testing.T) {
	f := newHeldFixture(t)
	alice, bob := f.login(appID, "alice"), f.login(appID, "bob")
	lp := f.openLongPoll(bob)
	rule, err := f.srv.Faults(appID).Add(fault.Rule{Match: fault.Match{Command: "openim/longpolling"}, Truncate: true, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := f.startPoll(context.Background(), bob, lp, nil)
	eventually(t, "the poll is held", func() bool { return f.srv.HeldRequests() == 1 })
	f.send(alice, "bob", "cut")
	a := <-got
	full := f.polls()
	var recorded string // not JSON any more: the transcript keeps it as a string
	if len(full) == 1 {
		_ = json.Unmarshal(full[0].Response, &recorded)
	}
	if a.err != nil || a.status != 200 || len(full) != 1 || string(a.body) != recorded ||
		!strings.HasPrefix(string(a.body), `{"ActionStatus":"OK"`) || strings.HasSuffix(string(a.body), "}") {
		t.Fatalf("truncated poll (rule %s): %q; recorded %v", rule, a.body, full)
	}

	got = f.startPollAfter(context.Background(), bob, lp, 1, nil)
	eventually(t, "the poll is held again", func() bool { return f.srv.HeldRequests() == 1 })
	if _, err := f.srv.App(appID).Kick("bob", state.KickMultipleAccount); err != nil {
		t.Fatal(err)
	}
	if a := <-got; a.err != nil || !strings.Contains(string(a.body), `"ErrorCode":91101`) {
		t.Fatalf("kicked poll: %s %v", a.body, a.err)
	}
}

// Closing the server answers held polls and leaves no goroutine (TestMain checks).
func TestHeldLongPollEndsOnClose(t *testing.T) {
	f := newHeldFixture(t)
	bob := f.login(appID, "bob")
	got := f.startPoll(context.Background(), bob, f.openLongPoll(bob), nil)
	eventually(t, "the poll is held", func() bool { return f.srv.HeldRequests() == 1 })
	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if a := <-got; a.err != nil || a.status != 200 || string(a.body) != `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}` {
		t.Fatalf("poll on close: %d %s %v", a.status, a.body, a.err)
	}
}
