package ws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim/ws"
	"github.com/imharness/imharness/mockserver/usersig"
)

const (
	appID  = 1400000001
	secret = "ws-test-secret"
)

// fixture is a started server with one tenant.
type fixture struct {
	t   *testing.T
	srv *mockserver.Server
	app *state.App
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := mockserver.New(mockserver.Options{Redeliver: 50 * time.Millisecond})
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

// client is one socket, as the SDK opens it.
type client struct {
	t   *testing.T
	c   *websocket.Conn
	seq int
}

func (f *fixture) dial(path string) *client { return f.dialApp(path, appID) }

func (f *fixture) dialApp(path string, sdkappid int64) *client {
	f.t.Helper()
	url := "ws://" + f.srv.Addr() + path + fmt.Sprintf("?sdkappid=%d&instanceid=abc&compress=gzip", sdkappid)
	c, _, err := websocket.Dial(context.Background(), url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = c.CloseNow() })
	return &client{t: f.t, c: c}
}

type down struct {
	Head struct {
		ServCmd string          `json:"servcmd"`
		Seq     json.RawMessage `json:"seq"`
	} `json:"head"`
	Body map[string]any `json:"body"`
}

func (c *client) read() down {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := c.c.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageBinary {
		c.t.Fatalf("a /binfo socket got a %v frame", typ)
	}
	if b, err = ws.Inflate(b); err != nil {
		c.t.Fatalf("inflate: %v", err)
	}
	var d down
	if err := json.Unmarshal(b, &d); err != nil {
		c.t.Fatalf("downlink frame %q: %v", b, err)
	}
	return d
}

func (c *client) writeRaw(typ websocket.MessageType, b []byte) {
	c.t.Helper()
	if err := c.c.Write(context.Background(), typ, b); err != nil {
		c.t.Fatal(err)
	}
}

// call sends a request frame and reads frames until its reply (pushes before it are returned too).
func (c *client) call(servcmd string, head map[string]any, body any) (reply down, pushes []down) {
	c.t.Helper()
	c.seq++
	h := map[string]any{"servcmd": servcmd, "seq": c.seq, "sdkappid": appID, "ver": "v4"}
	for k, v := range head {
		h[k] = v
	}
	b, _ := json.Marshal(map[string]any{"head": h, "body": body})
	c.writeRaw(websocket.MessageBinary, b)
	for {
		d := c.read()
		if d.Head.ServCmd == servcmd && string(d.Head.Seq) == fmt.Sprint(c.seq) {
			return d, pushes
		}
		pushes = append(pushes, d)
	}
}

func code(d down) int { n, _ := d.Body["ErrorCode"].(float64); return int(n) }

func (f *fixture) sig(user string) string {
	s, err := usersig.Generate(appID, secret, user, time.Hour, f.app.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) login(c *client, user string) (a2, tinyID string) {
	f.t.Helper()
	return f.loginApp(c, user, appID)
}

func (f *fixture) loginApp(c *client, user string, sdkappid int64) (a2, tinyID string) {
	f.t.Helper()
	sig, err := usersig.Generate(sdkappid, secret, user, time.Hour, f.app.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	r, _ := c.call("im_open_status.wslogin", map[string]any{"identifier": user, "usersig": sig, "sdkappid": sdkappid}, map[string]any{"State": "Online"})
	if code(r) != 0 {
		f.t.Fatalf("wslogin: %v", r.Body)
	}
	for _, k := range []string{"A2Key", "TinyId", "InstId", "HelloInterval", "TimeStamp"} {
		if _, ok := r.Body[k]; !ok {
			f.t.Fatalf("wslogin reply lacks %s: %v", k, r.Body)
		}
	}
	return r.Body["A2Key"].(string), r.Body["TinyId"].(string)
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBadFramesAreRefusedInTheProtocolsShape(t *testing.T) {
	f := newFixture(t)
	c := f.dial("/binfo")
	c.writeRaw(websocket.MessageBinary, []byte("not json"))
	if d := c.read(); code(d) != 90001 || string(d.Head.Seq) != "0" {
		t.Fatalf("garbage frame: got %s %v", d.Head.Seq, d.Body)
	}
	c.writeRaw(websocket.MessageText, []byte(`{"head":{"servcmd":"heartbeat.alive","seq":7},"body":{}}`))
	if d := c.read(); code(d) != 90001 || string(d.Head.Seq) != "7" {
		t.Fatalf("text frame on /binfo: got %s %v", d.Head.Seq, d.Body)
	}
	r, _ := c.call("openim.sendmsg", nil, map[string]any{"To_Account": "bob"})
	if code(r) == 0 {
		t.Fatalf("a session command before wslogin was served: %v", r.Body)
	}
	r, _ = c.call("im_open_status.wslogin", map[string]any{"identifier": "alice", "usersig": "garbage"}, map[string]any{})
	if code(r) != usersig.CodeMalformed {
		t.Fatalf("wslogin with a garbage UserSig: got %v, want %d", r.Body, usersig.CodeMalformed)
	}
	if f.app.HasUser("alice") {
		t.Fatal("a refused login created the account")
	}
}

func TestTextFramesOnInfo(t *testing.T) {
	f := newFixture(t)
	c := f.dial("/info")
	c.writeRaw(websocket.MessageText, []byte(`{"head":{"servcmd":"heartbeat.alive","seq":1},"body":{}}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := c.c.Read(ctx)
	if err != nil || typ != websocket.MessageText || !strings.Contains(string(b), `"ErrorCode":0`) {
		t.Fatalf("/info reply: %v %s %v", typ, b, err)
	}
}

func TestPushIsRedeliveredUntilAckedAndResumedAfterReconnect(t *testing.T) {
	f := newFixture(t)
	f.app.EnsureUser("bob")
	c := f.dial("/binfo")
	a2, tinyID := f.login(c, "alice")
	n := uint32(0)
	send := func(text string) {
		n++ // a message with the same MsgSeq and MsgRandom would be a resend of the first
		_, err := f.app.SendC2C(0, state.C2CMessage{From: "bob", To: "alice", Seq: uint64(n), Random: n,
			Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"` + text + `"}`)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	send("m1")
	first := c.read()
	if first.Head.ServCmd != "im_open_push.msg_push" || first.Body["NeedAck"] != float64(1) {
		t.Fatalf("want a push asking for an ack, got %v %v", first.Head.ServCmd, first.Body)
	}
	again := c.read() // not acked: the same events come again
	if again.Body["SessionData"] != first.Body["SessionData"] || !strings.Contains(fmt.Sprint(again.Body["EventArray"]), "m1") {
		t.Fatalf("redelivery: got %v, want SessionData %v with m1", again.Body, first.Body["SessionData"])
	}
	ack, _ := c.call("openim.ws_msg_push_ack", map[string]any{"a2": a2, "tinyid": tinyID}, map[string]any{"SessionData": first.Body["SessionData"]})
	if code(ack) != 0 {
		t.Fatalf("ack: %v", ack.Body)
	}

	// A server-side close: the session survives, and a new socket resumes it after the last ack.
	if n := f.srv.CloseSockets(appID, "alice"); n != 1 {
		t.Fatalf("CloseSockets closed %d sockets, want 1", n)
	}
	send("m2")
	c2 := f.dial("/binfo")
	r, pushes := c2.call("im_open_status.wslogin", map[string]any{"a2": a2, "tinyid": tinyID}, map[string]any{"State": "Online"})
	if code(r) != 0 || r.Body["A2Key"] != a2 {
		t.Fatalf("resume: %v", r.Body)
	}
	for len(pushes) == 0 {
		pushes = append(pushes, c2.read())
	}
	got := fmt.Sprint(pushes[0].Body["EventArray"])
	if !strings.Contains(got, "m2") || strings.Contains(got, "m1") {
		t.Fatalf("after resuming: want m2 only (m1 was acked), got %s", got)
	}
	if ss := f.app.Sessions("alice"); len(ss) != 1 {
		t.Fatalf("resuming opened another session: %v", ss)
	}

	// wslogout ends the session; frames still carrying its a2 are refused (not as expired: 20001).
	c2.call("im_open_status.wslogout", map[string]any{"a2": a2, "tinyid": tinyID}, map[string]any{"wslogout_type": 0})
	if ss := f.app.Sessions("alice"); len(ss) != 0 {
		t.Fatalf("wslogout left sessions %v", ss)
	}
	if r, _ := c2.call("openim.getmsg", map[string]any{"a2": a2, "tinyid": tinyID}, map[string]any{}); code(r) != 20001 {
		t.Fatalf("a frame after wslogout: got %v, want 20001", r.Body)
	}
}

func TestUserSigExpiryAnswers70001(t *testing.T) {
	f := newFixture(t)
	c := f.dial("/binfo")
	a2, tinyID := f.login(c, "alice")
	if _, err := f.app.Kick("alice", state.KickUserSigExpired); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r, _ := c.call("heartbeat.alive", map[string]any{"a2": a2, "tinyid": tinyID}, map[string]any{})
		if code(r) == 70001 {
			return
		}

		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no 70001 after the session's UserSig expired")
}

// The online moment (scenario steps "after: {moment: online}") comes once the socket's session has
// had its C2C sync and both joined-group lists answered, and what a watch on it causes is pushed
// behind that last answer.
func TestOnlineMomentAfterSyncAndGroupLists(t *testing.T) {
	f := newFixture(t)
	f.app.EnsureUser("bob")
	fired := 0
	f.srv.Faults(appID).WatchMoment("online", "alice", 1, func() {
		fired++
		_, err := f.app.SendC2C(0, state.C2CMessage{From: "bob", To: "alice", Seq: 1, Random: 1,
			Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"welcome"}`)}}})
		if err != nil {
			t.Error(err)
		}
	})
	c := f.dial("/binfo")
	a2, tinyID := f.login(c, "alice")
	head := map[string]any{"a2": a2, "tinyid": tinyID}
	for _, cmd := range []string{"openim.getmsg", "group_open_http_svc.get_joined_group_list", "million_group_open_http_svc.get_joined_group_list"} {
		if fired != 0 {
			t.Fatalf("online before %s was answered", cmd)
		}
		r, pushes := c.call(cmd, head, map[string]any{"Member_Account": "alice"})
		if code(r) != 0 || len(pushes) != 0 {
			t.Fatalf("%s: %v, pushes before the answer: %v", cmd, r.Body, pushes)
		}
	}
	if p := c.read(); p.Head.ServCmd != "im_open_push.msg_push" || !strings.Contains(fmt.Sprint(p.Body["EventArray"]), "welcome") {
		t.Fatalf("want the watch's message pushed behind the last answer, got %v %v", p.Head.ServCmd, p.Body)
	}
	if fired != 1 {
		t.Fatalf("the watch ran %d times", fired)
	}
}

// Push progress is the tenant's: two tenants seeded alike hand out the same A2Keys, and each
// session still gets its own long-poll handle and pushes.
func TestPushCursorsAreKeptPerTenant(t *testing.T) {
	f := newFixture(t)
	var a2s []string
	var socks []*client
	var apps []*state.App
	for _, id := range []int64{appID + 1, appID + 2} {
		app, err := f.srv.AddApp(state.Options{SDKAppID: id, Secret: secret, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		c := f.dialApp("/binfo", id)
		a2, _ := f.loginApp(c, "alice", id)
		a2s, socks, apps = append(a2s, a2), append(socks, c), append(apps, app)
	}
	if a2s[0] != a2s[1] {
		t.Fatalf("the same seed gave the tenants different A2Keys (%v): this test needs equal ones", a2s)
	}
	for i, app := range apps {
		if ss := app.Sessions("alice"); len(ss) != 1 || ss[0].LongPoll == "" {
			t.Fatalf("tenant %d: the session has no long-poll handle: %+v", i, ss)
		}
		app.EnsureUser("bob")
		text := fmt.Sprintf("to tenant %d", i)
		if _, err := app.SendC2C(0, state.C2CMessage{From: "bob", To: "alice", Seq: 1, Random: 1,
			Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"` + text + `"}`)}}}); err != nil {
			t.Fatal(err)
		}
		if p := socks[i].read(); !strings.Contains(fmt.Sprint(p.Body["EventArray"]), text) {
			t.Fatalf("tenant %d: want %q pushed, got %v", i, text, p.Body)
		}
	}
}

// A UserSig that expires on the tenant clock ends the session at the socket's next call: nothing
// else would tell it (there is no long poll to answer).
func TestUserSigExpiringOnTheClockAnswers70001(t *testing.T) {
	f := newFixture(t)
	c := f.dial("/binfo")
	a2, tinyID := f.login(c, "alice") // a UserSig valid for an hour
	head := map[string]any{"a2": a2, "tinyid": tinyID}
	if r, _ := c.call("heartbeat.alive", head, map[string]any{}); code(r) != 0 {
		t.Fatalf("heartbeat before expiry: %v", r.Body)
	}
	f.app.Clock().Advance(2 * time.Hour)
	if r, _ := c.call("heartbeat.alive", head, map[string]any{}); code(r) != 70001 {
		t.Fatalf("heartbeat after expiry: got %v, want 70001", r.Body)
	}
	if ss := f.app.Sessions("alice"); len(ss) != 1 || ss[0].Kicked != state.KickUserSigExpired {
		t.Fatalf("session: %+v", ss)
	}
}

// The socket's own fault actions: body sends the rule's bytes as the frame, truncate the first half
// of the answer's frame; a status code is refused unless the rule names the http transport.
func TestFaultActionsOnTheSocket(t *testing.T) {
	f := newFixture(t)
	rules := f.srv.Faults(appID)
	garbage := "<html>garbage"
	for _, r := range []fault.Rule{
		{Match: fault.Match{Command: "heartbeat/alive"}, Nth: 1, Count: 1, Body: &garbage},
		{Match: fault.Match{Command: "heartbeat/alive"}, Nth: 2, Count: 1, Truncate: true},
	} {
		if _, err := rules.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rules.Add(fault.Rule{Match: fault.Match{Command: "openim/sendmsg"}, Status: 502}); err == nil ||
		!strings.Contains(err.Error(), "the ws transport cannot answer a status code") {
		t.Fatalf("a status rule for every transport: got %v", err)
	}
	c := f.dial("/binfo")
	raw := func() string {
		c.writeRaw(websocket.MessageBinary, []byte(`{"head":{"servcmd":"heartbeat.alive","seq":1},"body":{}}`))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, b, err := c.c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := raw(); got != garbage {
		t.Fatalf("body: got frame %q, want the rule's bytes", got)
	}
	if got := raw(); json.Valid([]byte(got)) || !strings.HasPrefix(got, `{"ActionStatus":"OK"`) {
		t.Fatalf("truncate: got frame %q, want the first half of the answer", got)
	}
	if r, _ := c.call("heartbeat.alive", nil, map[string]any{}); code(r) != 0 {
		t.Fatalf("after the faults: %v", r.Body)
	}
}

// A request whose body is over the 1 MiB body limit is answered 20001 in its own frame, as over
// HTTP, and the socket stays usable: the SDK rejects that one send instead of reconnecting.
func TestOversizedBodyIsAnswered20001AndTheSocketStays(t *testing.T) {
	f := newFixture(t)
	f.app.EnsureUser("bob")
	c := f.dial("/binfo")
	a2, tinyID := f.login(c, "alice")
	head := map[string]any{"a2": a2, "tinyid": tinyID}
	big := map[string]any{"To_Account": "bob", "MsgSeq": 1, "MsgRandom": 1, "MsgBody": []map[string]any{{
		"MsgType": "TIMCustomElem", "MsgContent": map[string]any{"Data": strings.Repeat("y", 1100000)}}}}
	if r, _ := c.call("openim.sendmsg", head, big); code(r) != 20001 {
		t.Fatalf("a 1.1 MB sendmsg: got %v, want ErrorCode 20001", r.Body)
	}
	if h := f.app.C2CHistory("alice", "bob"); len(h) != 0 {
		t.Fatalf("the refused message was stored: %v", h)
	}
	small := map[string]any{"To_Account": "bob", "MsgSeq": 2, "MsgRandom": 2, "MsgBody": []map[string]any{{
		"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "still here"}}}}
	if r, _ := c.call("openim.sendmsg", head, small); code(r) != 0 {
		t.Fatalf("a send on the same socket after the refusal: %v", r.Body)
	}
	if h := f.app.C2CHistory("alice", "bob"); len(h) != 1 {
		t.Fatalf("history after the second send: %d messages, want 1", len(h))
	}
}
