package tim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imharness/imharness/internal/dur"
	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
)

type faultFixture struct {
	t     *testing.T
	srv   *httptest.Server
	app   *state.App
	rules *fault.Rules
	calls atomic.Int64 // how often the handler behind the middleware ran
	stop  func()       // closes Done, as a server shutdown does
	notes chan string  // who the pipeline filed faulted calls under
}

// newFaultFixture serves the HTTP transport and the call pipeline with Tencent IM's profile in
// front of a stub handler that answers OK with the body it got (so the tests see what reaches it).
func newFaultFixture(t *testing.T) *faultFixture {
	t.Helper()
	f := &faultFixture{t: t, app: state.NewApp(state.Options{SDKAppID: appID, Secret: "s"}),
		rules: fault.NewRules(fault.Options{Profile: tim.FaultProfile, Transports: []fault.Transport{tim.HTTPTransport}}),
		notes: make(chan string, 100)}
	done := make(chan struct{})
	var once sync.Once
	f.stop = func() { once.Do(func() { close(done) }) }
	echo := func(c *call.Call) call.Result {
		f.calls.Add(1)
		return call.Result{Body: fmt.Appendf(nil, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Echo":%q,"Padding":"0123456789"}`, c.Body)}
	}
	// Who the pipeline took the caller for, as the transcript would file the call.
	note := func(next call.Handler) call.Handler {
		return func(c *call.Call) call.Result {
			res := next(c)
			if res.Fault != "" {
				f.notes <- c.Tenant + "/" + c.User + "/" + c.Conn
			}
			return res
		}
	}
	h := tim.New(apps{appID: f.app}, tim.Options{Done: done, Pipeline: func(p call.Profile, _ call.Handler) call.Handler {
		o := call.Options{Profile: p, Done: done, Rules: func(c *call.Call) *fault.Rules {
			if c.App == f.app {
				return f.rules
			}
			return nil
		}}
		return call.Chain(echo, call.Identify(p), call.Triggers(o), note, call.Faults(o))
	}})
	f.srv = httptest.NewServer(h)
	t.Cleanup(func() { f.stop(); f.srv.Close() })
	return f
}

func (f *faultFixture) add(r fault.Rule) string {
	f.t.Helper()
	id, err := f.rules.Add(r)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

type answer struct {
	status int
	body   string
	err    error
}

// call posts one request on a fresh connection (so a dropped one cannot be retried by the client).
func (f *faultFixture) call(ctx context.Context, cmd, query, body string) answer {
	req, _ := http.NewRequestWithContext(ctx, "POST", f.srv.URL+"/v4/"+cmd+"?sdkappid="+fmt.Sprint(appID)+"&"+query, strings.NewReader(body))
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: string(b), err: err}
}

func (f *faultFixture) post(cmd, query, body string) answer {
	return f.call(context.Background(), cmd, query, body)
}

func TestReplyMatchesCommandAndUser(t *testing.T) {
	f := newFaultFixture(t)
	s := f.app.Login("alice")
	f.add(fault.Rule{Match: fault.Match{Command: "openim/sendmsg", User: "alice"},
		Reply: &fault.Reply{ErrorCode: 20003, ErrorInfo: "invalid account"}})

	for _, q := range []string{"identifier=alice", "tinyid=" + s.TinyID + "&a2=" + s.A2} {
		a := f.post("openim/sendmsg", q, `{"To_Account":"bob"}`)
		if a.status != 200 || a.body != `{"ActionStatus":"FAIL","ErrorCode":20003,"ErrorInfo":"invalid account"}` {
			t.Fatalf("%s: got %d %s", q, a.status, a.body)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times behind a reply fault", n)
	}
	if got := <-f.notes; got != "1400000001/alice/tinyid:" { // no session: filed as the transcript files it
		t.Fatalf("annotate: %s", got)
	}
	if got := <-f.notes; got != "1400000001/alice/alice#1" {
		t.Fatalf("annotate by session: %s", got)
	}
	// Another user, another command, another tenant, a dead session: untouched.
	for _, c := range [][2]string{{"openim/sendmsg", "identifier=bob"}, {"openim/getmsg", "identifier=alice"},
		{"openim/sendmsg", "tinyid=1&a2=nope"}} {
		if a := f.post(c[0], c[1], `{}`); a.status != 200 || !strings.Contains(a.body, `"ErrorCode":0`) {
			t.Fatalf("%v: got %d %s", c, a.status, a.body)
		}
	}
	e := f.rules.List()[0]
	if e.Seen != 2 || e.Hits != 2 || e.ID != "f1" {
		t.Fatalf("entry %+v", e)
	}
}

func TestNthEveryCount(t *testing.T) {
	for _, c := range []struct {
		name              string
		nth, every, count int
		want              string // which of calls 1..10 are hit
	}{
		{"default: every call", 0, 0, 0, "1111111111"},
		{"first only", 1, 0, 1, "1000000000"},
		{"second only", 2, 0, 1, "0100000000"},
		{"from the third on", 3, 0, 0, "0011111111"},
		{"two from the second", 2, 0, 2, "0110000000"},
		{"every third", 0, 3, 0, "0010010010"},
		{"every third from the first", 1, 3, 0, "1001001001"},
		{"every other, twice", 2, 2, 2, "0101000000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFaultFixture(t)
			id := f.add(fault.Rule{Match: fault.Match{Command: "openim/sendmsg"}, Nth: c.nth, Every: c.every, Count: c.count,
				Reply: &fault.Reply{ErrorCode: 20004}})
			var got strings.Builder
			for range 10 {
				a := f.post("openim/sendmsg", "identifier=alice", `{}`)
				f.post("openim/getmsg", "identifier=alice", `{}`) // not selected: does not count
				if strings.Contains(a.body, "20004") {
					got.WriteByte('1')
				} else {
					got.WriteByte('0')
				}
			}
			if got.String() != c.want {
				t.Fatalf("hit pattern %s, want %s", got.String(), c.want)
			}
			e, _ := f.rules.Get(id)
			if e.Seen != 10 || e.Hits != strings.Count(c.want, "1") {
				t.Fatalf("seen %d hits %d", e.Seen, e.Hits)
			}
		})
	}
}

// The first rule due acts; every selecting rule counts the call.
func TestRuleOrder(t *testing.T) {
	f := newFaultFixture(t)
	f.add(fault.Rule{Match: fault.Match{Command: "openim/sendmsg"}, Nth: 1, Count: 1, Reply: &fault.Reply{ErrorCode: 20003}})
	f.add(fault.Rule{Match: fault.Match{Command: "openim/*"}, Nth: 2, Count: 1, Reply: &fault.Reply{ErrorCode: 20005}})
	var codes []string
	for range 3 {
		a := f.post("openim/sendmsg", "identifier=alice", `{}`)
		var r struct{ ErrorCode int }
		_ = json.Unmarshal([]byte(a.body), &r)
		codes = append(codes, fmt.Sprint(r.ErrorCode))
	}
	if strings.Join(codes, ",") != "20003,20005,0" {
		t.Fatalf("codes %v", codes)
	}
	if !f.rules.Remove("f1") || f.rules.Remove("f1") || len(f.rules.List()) != 1 {
		t.Fatal("remove")
	}
}

func TestGroupMatch(t *testing.T) {
	f := newFaultFixture(t)
	f.add(fault.Rule{Match: fault.Match{Group: "@TGS#g1"}, Reply: &fault.Reply{ErrorCode: 10017, ErrorInfo: "muted"}})
	if a := f.post("group_open_http_svc/send_group_msg", "identifier=alice", `{"GroupId":"@TGS#g1","Random":1}`); !strings.Contains(a.body, "10017") {
		t.Fatalf("group g1: %s", a.body)
	}
	if a := f.post("group_open_http_svc/get_group_info", "identifier=alice", `{"GroupIdList":["x","@TGS#g1"]}`); !strings.Contains(a.body, "10017") {
		t.Fatalf("GroupIdList: %s", a.body)
	}
	// The handler still gets the whole body the middleware read.
	if a := f.post("group_open_http_svc/send_group_msg", "identifier=alice", `{"GroupId":"@TGS#g2"}`); !strings.Contains(a.body, `@TGS#g2`) {
		t.Fatalf("group g2: %s", a.body)
	}
	if a := f.post("openim/sendmsg", "identifier=alice", `not json`); !strings.Contains(a.body, `not json`) {
		t.Fatalf("non-JSON body: %s", a.body)
	}
}

func TestStatusBodyTruncate(t *testing.T) {
	f := newFaultFixture(t)
	garbage := "<html>garbage"
	f.add(fault.Rule{Match: fault.Match{Command: "a/status"}, Status: 502})
	f.add(fault.Rule{Match: fault.Match{Command: "a/body"}, Body: &garbage})
	f.add(fault.Rule{Match: fault.Match{Command: "a/truncate"}, Truncate: true})
	f.add(fault.Rule{Match: fault.Match{Command: "a/status-reply"}, Status: 500, Reply: &fault.Reply{ErrorCode: 20005}})

	if a := f.post("a/status", "identifier=alice", `{}`); a.status != 502 || !strings.Contains(a.body, "Bad Gateway") {
		t.Fatalf("status: %d %q", a.status, a.body)
	}
	if a := f.post("a/body", "identifier=alice", `{}`); a.status != 200 || a.body != garbage {
		t.Fatalf("body: %d %q", a.status, a.body)
	}
	if a := f.post("a/status-reply", "identifier=alice", `{}`); a.status != 500 || !strings.Contains(a.body, `"ErrorCode":20005`) {
		t.Fatalf("status+reply: %d %q", a.status, a.body)
	}
	if n := f.calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times", n)
	}
	a := f.post("a/truncate", "identifier=alice", `{"x":1}`)
	if a.err != nil || a.status != 200 || !strings.HasPrefix(`{"ActionStatus":"OK"`, a.body[:min(len(a.body), 20)]) || json.Valid([]byte(a.body)) {
		t.Fatalf("truncate: %v %d %q", a.err, a.status, a.body)
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("a truncated call still runs the handler once, ran %d", n)
	}
}

func TestDropClosesTheConnection(t *testing.T) {
	f := newFaultFixture(t)
	f.add(fault.Rule{Match: fault.Match{Command: "openim/longpolling"}, Count: 1, Drop: true})
	a := f.post("openim/longpolling", "identifier=alice", `{}`)
	if a.err == nil || !(errors.Is(a.err, io.EOF) || strings.Contains(a.err.Error(), "reset") || strings.Contains(a.err.Error(), "EOF")) {
		t.Fatalf("want a dropped connection, got %d %q %v", a.status, a.body, a.err)
	}
	if a := f.post("openim/longpolling", "identifier=alice", `{}`); a.err != nil || a.status != 200 {
		t.Fatalf("after count 1 the call goes through: %v %d", a.err, a.status)
	}
}

func TestDelay(t *testing.T) {
	f := newFaultFixture(t)
	f.add(fault.Rule{Match: fault.Match{Command: "openim/sendmsg"}, Delay: dur.Duration(150 * time.Millisecond)})
	f.add(fault.Rule{Match: fault.Match{Command: "openim/getmsg"}, Delay: dur.Duration(150 * time.Millisecond), Reply: &fault.Reply{ErrorCode: 20004}})
	start := time.Now()
	if a := f.post("openim/sendmsg", "identifier=alice", `{}`); a.status != 200 || !strings.Contains(a.body, `"ErrorCode":0`) {
		t.Fatalf("delay alone lets the call through: %d %q", a.status, a.body)
	}
	if a := f.post("openim/getmsg", "identifier=alice", `{}`); !strings.Contains(a.body, `20004`) {
		t.Fatalf("delay then reply: %q", a.body)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("two delays of 150ms took %v", d)
	}
}

// A delay or hold ends at once when the server shuts down; a hold ends when the client gives up.
func TestWaitsEndOnShutdownAndCancel(t *testing.T) {
	f := newFaultFixture(t)
	f.add(fault.Rule{Match: fault.Match{Command: "x/delay"}, Delay: dur.Duration(time.Hour)})
	f.add(fault.Rule{Match: fault.Match{Command: "x/hold"}, Hold: dur.Duration(time.Hour)})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if a := f.call(ctx, "x/hold", "identifier=alice", `{}`); a.err == nil {
		t.Fatalf("a held call answered: %d %q", a.status, a.body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("client cancel took %v", d)
	}

	var wg sync.WaitGroup
	res := make([]answer, 2)
	for i, cmd := range []string{"x/delay", "x/hold"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = f.post(cmd, "identifier=alice", `{}`)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	start = time.Now()
	f.stop()
	wg.Wait()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	if res[0].err != nil || res[0].status != 200 {
		t.Fatalf("a delayed call goes through on shutdown: %+v", res[0])
	}
	if res[1].err == nil {
		t.Fatalf("a held call is dropped on shutdown: %+v", res[1])
	}
}

func TestHoldThenDrop(t *testing.T) {
	f := newFaultFixture(t)
	f.add(fault.Rule{Match: fault.Match{Command: "openim/longpolling"}, Hold: dur.Duration(200 * time.Millisecond)})
	start := time.Now()
	a := f.post("openim/longpolling", "identifier=alice", `{}`)
	if a.err == nil || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("hold: %v after %v", a, time.Since(start))
	}
}

func TestWatch(t *testing.T) {
	f := newFaultFixture(t)
	var fired atomic.Int64
	var seenBy atomic.Int64 // handler calls already made when the watch ran
	if _, err := f.rules.Watch(fault.Match{Command: "openim/getlongpollingid", User: "bob"}, 2, func() {
		fired.Add(1)
		seenBy.Store(f.calls.Load())
	}); err != nil {
		t.Fatal(err)
	}
	cancelled, _ := f.rules.Watch(fault.Match{Command: "openim/getlongpollingid"}, 1, func() { t.Error("cancelled watch ran") })
	cancelled()
	for range 4 {
		f.post("openim/getlongpollingid", "identifier=bob", `{}`)
		f.post("openim/getlongpollingid", "identifier=alice", `{}`)
		if fired.Load() == 1 && seenBy.Load() != 3 {
			t.Fatalf("the watch ran before its call was answered (calls %d)", seenBy.Load())
		}
	}
	if fired.Load() != 1 {
		t.Fatalf("watch ran %d times", fired.Load())
	}
}
