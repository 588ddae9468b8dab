package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/state"
)

// Pushes keep no goroutine per socket: a connected, logged-in client costs its reader only, like a
// bare WebSocket relay. Pushes are pulled from the session's event queue by a pump that runs while
// there is something to send; these specs hold it to queue order and to a client that stops
// reading holding up nobody else.

func newFixtureWith(t *testing.T, o mockserver.Options) *fixture {
	t.Helper()
	srv := mockserver.New(o)
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	app, err := srv.AddApp(state.Options{SDKAppID: appID, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &fixture{t: t, srv: srv, app: app}
}

// eventually polls cond until it holds, failing after the suites' bound (it waits for an event,
// never for a time).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
	}
}

func (f *fixture) sendText(from, to string, seq uint64, text string) {
	f.t.Helper()
	_, err := f.app.SendC2C(0, state.C2CMessage{From: from, To: to, Seq: seq, Random: uint32(seq),
		Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"` + text + `"}`)}}})
	if err != nil {
		f.t.Error(err)
	}
}

// texts reads the C2C message texts a push carries, in order.
func texts(t *testing.T, d down) []string {
	t.Helper()
	b, _ := json.Marshal(d.Body["EventArray"])
	var events []struct {
		C2cMsgArray []struct {
			MsgBody []struct{ MsgContent struct{ Text string } }
		}
	}
	if err := json.Unmarshal(b, &events); err != nil {
		t.Fatalf("EventArray %s: %v", b, err)
	}
	var out []string
	for _, e := range events {
		for _, m := range e.C2cMsgArray {
			for _, el := range m.MsgBody {
				out = append(out, el.MsgContent.Text)
			}
		}
	}
	return out
}

// receive reads pushes on c, acknowledging each, until n message texts have come; it answers them
// in arrival order.
func (c *client) receive(a2, tinyID string, n int) []string {
	c.t.Helper()
	var got []string
	var queue []down
	for len(got) < n {
		if len(queue) == 0 {
			queue = append(queue, c.read())
		}
		p := queue[0]
		queue = queue[1:]
		if p.Head.ServCmd != "im_open_push.msg_push" {
			c.t.Fatalf("want a push, got %s %v", p.Head.ServCmd, p.Body)
		}
		got = append(got, texts(c.t, p)...)
		r, more := c.call("openim.ws_msg_push_ack", map[string]any{"a2": a2, "tinyid": tinyID}, map[string]any{"SessionData": p.Body["SessionData"]})
		if code(r) != 0 {
			c.t.Fatalf("ack: %v", r.Body)
		}
		queue = append(queue, more...)
	}
	return got
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

func TestALoggedInSocketKeepsOneGoroutine(t *testing.T) {
	f := newFixtureWith(t, mockserver.Options{Redeliver: time.Hour})
	f.app.EnsureUser("bob")
	base := runtime.NumGoroutine()
	const n = 40
	for i := range n {
		user := fmt.Sprintf("u%02d", i)
		c := f.dial("/binfo")
		a2, tinyID := f.login(c, user)
		f.sendText("bob", user, 1, "hello "+user)
		if got := c.receive(a2, tinyID, 1); got[0] != "hello "+user {
			t.Fatalf("%s got %v", user, got)
		}
	}
	// Each socket keeps its reader (net/http's connection goroutine); its pushes were sent and
	// acknowledged, so nothing else of it may be left running. (A pusher per session would make it 2n.)
	var now int
	eventually(t, fmt.Sprintf("at most one goroutine per socket: %d sockets, %d goroutines before", n, base), func() bool {
		now = runtime.NumGoroutine()
		return now-base <= n
	})
	t.Logf("%d sockets: %d goroutines more than before", n, now-base)
	if f.srv.Sockets(appID, "") != n {
		t.Fatalf("%d sockets open, want %d", f.srv.Sockets(appID, ""), n)
	}
}

// Three receivers get 150 messages each from concurrent senders while they acknowledge as they
// read (each ack and each message asks for a pump): every socket gets its own messages once each,
// in the order they were queued.
func TestPushesLeaveInQueueOrderPerSocket(t *testing.T) {
	f := newFixtureWith(t, mockserver.Options{Redeliver: time.Hour}) // no redelivery: each event goes once
	f.app.EnsureUser("bob")
	users := []string{"alice", "carol", "dave"}
	type sock struct {
		c          *client
		a2, tinyID string
	}
	socks := map[string]sock{}
	for _, u := range users {
		c := f.dial("/binfo")
		a2, tinyID := f.login(c, u)
		socks[u] = sock{c, a2, tinyID}
	}
	const n = 150
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, text := range numbered(u, n) {
				f.sendText("bob", u, uint64(i+1), text)
			}
		}()
	}
	for _, u := range users {
		s := socks[u]
		got := s.c.receive(s.a2, s.tinyID, n)
		if want := numbered(u, n); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s got %v, want %v", u, got, want)
		}
	}
	wg.Wait()
}

// dialSlow opens a socket whose client takes frames slowly: a 4 KiB receive buffer, and the test
// never reads it. No compression, so big pushes stay big.
func (f *fixture) dialSlow() *websocket.Conn {
	f.t.Helper()
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	url := fmt.Sprintf("ws://%s/binfo?sdkappid=%d&instanceid=slow", f.srv.Addr(), appID)
	c, _, err := websocket.Dial(context.Background(), url, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		f.t.Fatal(err)
	}
	c.SetReadLimit(-1)
	f.t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// dialUncompressed opens a socket whose pushes come uncompressed (its URL asks for no gzip) and
// that reads frames of any size.
func (f *fixture) dialUncompressed() *client {
	f.t.Helper()
	url := fmt.Sprintf("ws://%s/binfo?sdkappid=%d&instanceid=plain", f.srv.Addr(), appID)
	c, _, err := websocket.Dial(context.Background(), url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	c.SetReadLimit(-1)
	f.t.Cleanup(func() { _ = c.CloseNow() })
	return &client{t: f.t, c: c}
}

// wsLoginRaw logs a raw socket in (the test does not read the reply: a slow client).
func (f *fixture) wsLoginRaw(c *websocket.Conn, user string) {
	f.t.Helper()
	b, _ := json.Marshal(map[string]any{"head": map[string]any{"servcmd": "im_open_status.wslogin", "seq": 1, "sdkappid": appID,
		"identifier": user, "usersig": f.sig(user)}, "body": map[string]any{"State": "Online"}})
	if err := c.Write(context.Background(), websocket.MessageBinary, b); err != nil {
		f.t.Fatal(err)
	}
}

// floodText sends to user count messages of 64 KiB each: far more than the socket buffers hold.
func (f *fixture) flood(user string, count int) {
	f.t.Helper()
	big := strings.Repeat("x", 64<<10)
	for i := range count {
		f.sendText("bob", user, uint64(i+1), fmt.Sprintf("%03d", i)+big)
	}
}

// A client that stops reading holds up nobody else: its pushes wait in its own write while the
// other sockets get theirs.
func TestAClientThatStopsReadingBlocksNoOtherSocket(t *testing.T) {
	f := newFixtureWith(t, mockserver.Options{Redeliver: time.Hour, WriteTimeout: time.Hour})
	f.app.EnsureUser("bob")
	slow := f.dialSlow()
	f.wsLoginRaw(slow, "carol")
	eventually(t, "carol's socket bound to her session", func() bool { return f.srv.Sockets(appID, "carol") == 1 })
	f.flood("carol", 120) // 7.5 MiB: the pushes to carol fill both socket buffers and her write waits

	c := f.dial("/binfo")
	a2, tinyID := f.login(c, "alice")
	for i, text := range numbered("a", 20) {
		f.sendText("bob", "alice", uint64(i+1), text)
	}
	if got := c.receive(a2, tinyID, 20); strings.Join(got, ",") != strings.Join(numbered("a", 20), ",") {
		t.Fatalf("alice got %v", got)
	}
	if f.srv.Sockets(appID, "carol") != 1 {
		t.Fatal("carol's socket was closed although her write has no deadline yet")
	}
}

// A client that takes no frame for WriteTimeout is dropped, as a real server drops a client that
// does not drain its socket; its session stays, and a new socket resumes after the last ack.
func TestAClientThatStopsReadingIsDroppedAndResumes(t *testing.T) {
	f := newFixtureWith(t, mockserver.Options{Redeliver: time.Hour, WriteTimeout: 200 * time.Millisecond})
	f.app.EnsureUser("bob")
	slow := f.dialSlow()
	f.wsLoginRaw(slow, "carol")
	eventually(t, "carol's socket bound to her session", func() bool { return f.srv.Sockets(appID, "carol") == 1 })
	f.flood("carol", 120)
	eventually(t, "the server closes the socket of a client that stopped reading", func() bool {
		return f.srv.Sockets(appID, "carol") == 0
	})
	ss := f.app.Sessions("carol")
	if len(ss) != 1 {
		t.Fatalf("carol's sessions after the drop: %+v", ss)
	}
	// She reconnects with her session's a2 and gets the first message again: she acked nothing.
	c := f.dialUncompressed()
	r, pushes := c.call("im_open_status.wslogin", map[string]any{"a2": ss[0].A2, "tinyid": ss[0].TinyID}, map[string]any{"State": "Online"})
	if code(r) != 0 {
		t.Fatalf("resume: %v", r.Body)
	}
	for len(pushes) == 0 {
		pushes = append(pushes, c.read())
	}
	if got := texts(t, pushes[0]); len(got) == 0 || !strings.HasPrefix(got[0], "000x") {
		t.Fatalf("after resuming: the first push starts with %.10q, want message 000", got)
	}
}
