package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/imharness/imharness/internal/dur"
	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/mockserver/usersig"
)

// engineIOTimer is Engine.IO's timer goroutine. Engine.IO arms a socket's ping timer just after
// sending the open packet, so a client that closes at once can be handled before the timer is
// armed: the timer then outlives the socket by pingInterval+pingTimeout and ends by itself doing
// nothing (it sees the socket closed). It is the library's, not a leak of ours.
const engineIOTimer = "github.com/zishang520/engine.io/v2/utils.SetTimeout.func1"

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction(engineIOTimer)) }

const (
	appID  = 1400000001
	secret = "test-secret"
)

type fixture struct {
	t   *testing.T
	srv *mockserver.Server
}

func newFixture(t *testing.T, hold time.Duration) *fixture {
	t.Helper()
	srv := mockserver.New(mockserver.Options{Hold: hold})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &fixture{t: t, srv: srv}
}

type answer struct {
	status int
	body   []byte
	err    error
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("reply (HTTP %d) is not JSON: %q", a.status, a.body)
	}
	return m
}

func (f *fixture) do(method, path, body string) answer {
	req, _ := http.NewRequest(method, f.srv.URL()+path, strings.NewReader(body))
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: b, err: err}
}

// admin calls the admin API and checks the status.
func (f *fixture) admin(method, path, body string, want int) map[string]any {
	f.t.Helper()
	a := f.do(method, "/admin/v1"+path, body)
	if a.err != nil || a.status != want {
		f.t.Fatalf("%s %s: HTTP %d %s %v, want %d", method, path, a.status, a.body, a.err, want)
	}
	if want == http.StatusNoContent {
		return nil
	}
	return a.json(f.t)
}

func (f *fixture) createApp(id int64) {
	f.t.Helper()
	f.admin("POST", "/apps", fmt.Sprintf(`{"sdkappid":%d,"secret":%q}`, id, secret), http.StatusCreated)
}

type session struct {
	app            int64
	user, tiny, a2 string
}

func (s session) q() string { return fmt.Sprintf("sdkappid=%d&tinyid=%s&a2=%s", s.app, s.tiny, s.a2) }

// im posts a protocol call and decodes the envelope.
func (f *fixture) im(cmd, query, body string) map[string]any {
	f.t.Helper()
	a := f.do("POST", "/v4/"+cmd+"?"+query, body)
	if a.err != nil || a.status != 200 {
		f.t.Fatalf("%s: HTTP %d %s %v", cmd, a.status, a.body, a.err)
	}
	return a.json(f.t)
}

// errorOf is the admin API's error message in a reply.
func errorOf(a answer) string {
	var e struct{ Error string }
	_ = json.Unmarshal(a.body, &e)
	return e.Error
}

func code(m map[string]any) int { n, _ := m["ErrorCode"].(float64); return int(n) }

func (f *fixture) loginReply(app int64, user string, sig string) map[string]any {
	f.t.Helper()
	return f.im("openim/login", fmt.Sprintf("identifier=%s&usersig=%s&sdkappid=%d", user, sig, app), `{"State":"Online"}`)
}

func (f *fixture) login(app int64, user string) session {
	f.t.Helper()
	a := f.srv.App(app)
	sig, err := usersig.Generate(app, a.Secret(), user, time.Hour, a.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	r := f.loginReply(app, user, sig)
	if code(r) != 0 {
		f.t.Fatalf("login %s: %v", user, r)
	}
	return session{app, user, r["TinyId"].(string), r["A2Key"].(string)}
}

// openLongPoll syncs and opens the long poll, as the SDK does after login.
func (f *fixture) openLongPoll(s session) string {
	f.t.Helper()
	f.im("openim/getmsg", s.q(), `{"Cookie":"","SyncFlag":0}`)
	r := f.im("openim/getlongpollingid", s.q(), `{}`)
	return r["LongPollingId"].(string)
}

func (f *fixture) poll(s session, lp string) map[string]any {
	f.t.Helper()
	return f.im("openim/longpolling", s.q(), fmt.Sprintf(`{"Cookie":{"NotifySeq":0,"NoticeSeq":0,"LongPollingId":%q}}`, lp))
}

func TestAdminApps(t *testing.T) {
	f := newFixture(t, 50*time.Millisecond)
	f.createApp(appID)
	if f.srv.App(appID) == nil || f.srv.Faults(appID) == nil {
		t.Fatal("tenant not created")
	}
	if got := f.admin("GET", "/apps", "", 200); fmt.Sprint(got["apps"]) != "[1.400000001e+09]" {
		t.Fatalf("list %v", got)
	}
	for _, c := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/apps", fmt.Sprintf(`{"sdkappid":%d,"secret":"x"}`, appID), 409, "already exists"},
		{"POST", "/apps", `{"sdkappid":5}`, 400, "secret"},
		{"POST", "/apps", `{"sdkappid":-5,"secret":"x"}`, 400, "sdkappid"},
		{"POST", "/apps", `{"sdkappid":5,"secret":"x","colour":"red"}`, 400, `unknown field "colour"`},
		{"POST", "/apps", `{"sdkappid":"5","secret":"x"}`, 400, "sdkappid"},
		{"POST", "/apps", `{"sdkappid":5,`, 400, "body"},
		{"POST", "/apps", ``, 400, "empty"},
		{"POST", "/apps", `{"sdkappid":5,"secret":"x"} {}`, 400, "after the JSON"},
		{"POST", "/apps", strings.Repeat(" ", 1<<20+10), 413, "exceeds"},
		{"GET", "/apps/abc/faults", ``, 400, "not a positive number"},
		{"GET", "/apps/99/faults", ``, 404, "not a tenant"},
		{"GET", "/nothing", ``, 404, "no such admin endpoint"},
		{"PUT", "/apps", `{}`, 405, "method not allowed"},
		{"POST", fmt.Sprintf("/apps/%d/users/nobody/kick", appID), `{"type":"multipleAccount"}`, 404, "no user"},
		{"POST", fmt.Sprintf("/apps/%d/users/nobody/events", appID), `{"Event":9}`, 404, "no user"},
		{"POST", fmt.Sprintf("/apps/%d/clock", appID), `{}`, 400, "advance"},
		{"POST", fmt.Sprintf("/apps/%d/clock", appID), `{"advance":"soon"}`, 400, "invalid duration"},
		{"POST", fmt.Sprintf("/apps/%d/clock", appID), `{"freeze":"tomorrow"}`, 400, "RFC 3339"},
		{"DELETE", fmt.Sprintf("/apps/%d/faults/f9", appID), ``, 404, "no fault rule"},
	} {
		a := f.do(c.method, "/admin/v1"+c.path, c.body)
		if a.err != nil || a.status != c.status || !strings.Contains(errorOf(a), c.msg) {
			t.Errorf("%s %s %.40q: HTTP %d %s %v, want %d ~%q", c.method, c.path, c.body, a.status, a.body, a.err, c.status, c.msg)
		}
	}
	f.admin("DELETE", fmt.Sprintf("/apps/%d", appID), "", http.StatusNoContent)
	if f.srv.App(appID) != nil || f.srv.Faults(appID) != nil {
		t.Fatal("tenant not removed")
	}
}

func TestAdminFaults(t *testing.T) {
	f := newFixture(t, 50*time.Millisecond)
	f.createApp(appID)
	alice := f.login(appID, "alice")
	f.login(appID, "bob")
	send := func(s session) map[string]any {
		return f.im("openim/sendmsg", s.q(), `{"To_Account":"bob","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`)
	}
	path := fmt.Sprintf("/apps/%d/faults", appID)
	r := f.admin("POST", path, `{"match":{"command":"openim/sendmsg","user":"alice"},"nth":1,"count":1,"reply":{"ErrorCode":20003,"ErrorInfo":"invalid account"}}`, 201)
	if r["id"] != "f1" {
		t.Fatalf("id %v", r)
	}
	if got := send(alice); code(got) != 20003 || got["ActionStatus"] != "FAIL" || got["ErrorInfo"] != "invalid account" {
		t.Fatalf("first send %v", got)
	}
	if got := send(alice); code(got) != 0 {
		t.Fatalf("second send %v", got)
	}
	if h := f.srv.App(appID).C2CHistory("alice", "bob"); len(h) != 1 {
		t.Fatalf("the failed send must not be stored: %d messages", len(h))
	}
	list := f.admin("GET", path, "", 200)["faults"].([]any)
	if e := list[0].(map[string]any); len(list) != 1 || e["seen"] != 2.0 || e["hits"] != 1.0 || e["id"] != "f1" {
		t.Fatalf("list %v", list)
	}
	if e := f.admin("GET", path+"/f1", "", 200); e["hits"] != 1.0 {
		t.Fatalf("get %v", e)
	}
	f.admin("DELETE", path+"/f1", "", http.StatusNoContent)
	f.admin("DELETE", path+"/f1", "", http.StatusNotFound)

	// Bad rules are refused with the field named.
	for body, msg := range map[string]string{
		`{"match":{"command":"openim/sendmsg"}}`:               "does nothing",
		`{"drop":true,"status":502}`:                           "status",
		`{"delay":"2 parsecs"}`:                                "invalid duration",
		`{"status":99}`:                                        "status",
		`{"match":{"command":"openim/sendmsg","usr":"alice"}}`: `unknown field "usr"`,
		`{"id":"a/b","drop":true}`:                             "id",
	} {
		a := f.do("POST", "/admin/v1"+path, body)
		if a.status != 400 || !strings.Contains(errorOf(a), msg) {
			t.Errorf("%s: HTTP %d %s, want 400 ~%q", body, a.status, a.body, msg)
		}
	}
	// The in-process API sees the same rules.
	if _, err := f.srv.Faults(appID).Add(fault.Rule{ID: "mine", Drop: true, Match: fault.Match{Command: "x/y"}}); err != nil {
		t.Fatal(err)
	}
	if list := f.admin("GET", path, "", 200)["faults"].([]any); len(list) != 1 {
		t.Fatalf("list %v", list)
	}
	f.admin("DELETE", path, "", http.StatusNoContent)
	if len(f.srv.Faults(appID).List()) != 0 {
		t.Fatal("clear")
	}
}

// Each action through the whole server, over real HTTP.
func TestFaultActions(t *testing.T) {
	f := newFixture(t, 50*time.Millisecond)
	f.createApp(appID)
	bob := f.login(appID, "bob")
	path := fmt.Sprintf("/apps/%d/faults", appID)
	f.admin("POST", path, `{"match":{"command":"openim/getmsg"},"nth":1,"count":1,"drop":true}`, 201)
	f.admin("POST", path, `{"match":{"command":"openim/getmsg","transport":"http"},"nth":2,"count":1,"status":502}`, 201)
	f.admin("POST", path, `{"match":{"command":"openim/getmsg"},"nth":3,"count":1,"body":"garbage"}`, 201)
	f.admin("POST", path, `{"match":{"command":"openim/getmsg"},"nth":4,"count":1,"truncate":true}`, 201)
	f.admin("POST", path, `{"match":{"command":"openim/getmsg"},"nth":5,"count":1,"delay":"200ms"}`, 201)

	get := func() answer { return f.do("POST", "/v4/openim/getmsg?"+bob.q(), `{}`) }
	if a := get(); a.err == nil {
		t.Fatalf("drop: got HTTP %d %q", a.status, a.body)
	}
	if a := get(); a.status != 502 {
		t.Fatalf("status: %d %q", a.status, a.body)
	}
	if a := get(); a.status != 200 || string(a.body) != "garbage" {
		t.Fatalf("body: %d %q", a.status, a.body)
	}
	if a := get(); a.status != 200 || json.Valid(a.body) || !strings.HasPrefix(string(a.body), `{"ActionStatus":"OK"`) {
		t.Fatalf("truncate: %d %q", a.status, a.body)
	}
	start := time.Now()
	if a := get(); a.status != 200 || !json.Valid(a.body) || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("delay: %d %q after %v", a.status, a.body, time.Since(start))
	}
	if a := get(); a.status != 200 || !strings.Contains(string(a.body), `"SyncFlag":2`) {
		t.Fatalf("after the rules: %d %q", a.status, a.body)
	}
}

// A delayed or held call ends when the server closes; no goroutine is left (TestMain).
func TestFaultWaitsEndOnClose(t *testing.T) {
	srv := mockserver.New(mockserver.Options{Hold: time.Hour})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	f := &fixture{t: t, srv: srv}
	f.createApp(appID)
	bob := f.login(appID, "bob")
	lp := f.openLongPoll(bob)
	srv.Faults(appID).Add(fault.Rule{Match: fault.Match{Command: "openim/getmsg"}, Delay: dur.Duration(time.Hour)})
	srv.Faults(appID).Add(fault.Rule{Match: fault.Match{Command: "openim/longpolling"}, Hold: dur.Duration(time.Hour)})
	var wg sync.WaitGroup
	res := make([]answer, 2)
	for i, c := range []struct{ cmd, body string }{{"openim/getmsg", `{}`},
		{"openim/longpolling", fmt.Sprintf(`{"Cookie":{"NoticeSeq":0,"LongPollingId":%q}}`, lp)}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = f.do("POST", "/v4/"+c.cmd+"?"+bob.q(), c.body)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("close took %v", d)
	}
	if res[0].status != 200 {
		t.Fatalf("the delayed call is answered on close: %+v", res[0])
	}
	if res[1].err == nil {
		t.Fatalf("the held call is dropped on close: %+v", res[1])
	}
}

func TestAdminKick(t *testing.T) {
	for _, c := range []struct {
		kind  string
		code  int
		event string
	}{
		{"multipleAccount", 91101, ""},
		{"userSigExpired", 70001, ""},
		{"multipleDevice", 0, `"KickoutMsgNotify"`},
	} {
		t.Run(c.kind, func(t *testing.T) {
			f := newFixture(t, 5*time.Second)
			f.createApp(appID)
			bob := f.login(appID, "bob")
			lp := f.openLongPoll(bob)
			if r := f.admin("POST", fmt.Sprintf("/apps/%d/users/bob/kick", appID), fmt.Sprintf(`{"type":%q}`, c.kind), 200); r["kicked"] != 1.0 {
				t.Fatalf("kick %v", r)
			}
			r := f.poll(bob, lp)
			if code(r) != c.code {
				t.Fatalf("long poll code %d, want %d: %v", code(r), c.code, r)
			}
			if b, _ := json.Marshal(r); c.event != "" && (!strings.Contains(string(b), c.event) || !strings.Contains(string(b), `"Event":10`)) {
				t.Fatalf("long poll lacks Event 10 %s: %s", c.event, b)
			}
		})
	}
	f := newFixture(t, time.Second)
	f.createApp(appID)
	f.login(appID, "bob")
	a := f.do("POST", fmt.Sprintf("/admin/v1/apps/%d/users/bob/kick", appID), `{"type":"sideways"}`)
	if a.status != 400 || !strings.Contains(errorOf(a), "multipleAccount") {
		t.Fatalf("bad type: %d %s", a.status, a.body)
	}
}

func TestAdminClockExpiresUserSig(t *testing.T) {
	f := newFixture(t, time.Second)
	f.createApp(appID)
	app := f.srv.App(appID)
	sig, _ := usersig.Generate(appID, secret, "alice", 10*time.Minute, app.Now())
	if r := f.loginReply(appID, "alice", sig); code(r) != 0 {
		t.Fatalf("fresh sig: %v", r)
	}
	r := f.admin("POST", fmt.Sprintf("/apps/%d/clock", appID), `{"advance":"11m"}`, 200)
	if r["frozen"] != false {
		t.Fatalf("clock %v", r)
	}
	if r := f.loginReply(appID, "alice", sig); code(r) != usersig.CodeExpired {
		t.Fatalf("after advance: %v", r)
	}
	r = f.admin("POST", fmt.Sprintf("/apps/%d/clock", appID), `{"freeze":"2030-01-02T03:04:05Z","advance":"1h"}`, 200)
	if r["now"] != "2030-01-02T04:04:05Z" || r["frozen"] != true || !app.Now().Equal(time.Date(2030, 1, 2, 4, 4, 5, 0, time.UTC)) {
		t.Fatalf("freeze %v", r)
	}
	if r := f.admin("GET", fmt.Sprintf("/apps/%d/clock", appID), "", 200); r["unix"] != float64(app.Now().Unix()) {
		t.Fatalf("get clock %v", r)
	}
	if r := f.admin("POST", fmt.Sprintf("/apps/%d/clock", appID), `{"unfreeze":true}`, 200); r["frozen"] != false {
		t.Fatalf("unfreeze %v", r)
	}
}

func TestAdminEvent(t *testing.T) {
	f := newFixture(t, 5*time.Second)
	f.createApp(appID)
	bob := f.login(appID, "bob")
	lp := f.openLongPoll(bob)
	ev := `{"Event":7,"FriendListMod":[{"PushType":1}]}`
	f.admin("POST", fmt.Sprintf("/apps/%d/users/bob/events", appID), ev, 200)
	r := f.poll(bob, lp)
	arr, _ := r["EventArray"].([]any)
	if b, _ := json.Marshal(arr); len(arr) != 1 || string(b) != "["+ev+"]" {
		t.Fatalf("long poll %v", r)
	}
	a := f.do("POST", fmt.Sprintf("/admin/v1/apps/%d/users/bob/events", appID), `[1,2]`)
	if a.status != 400 || !strings.Contains(errorOf(a), "JSON object") {
		t.Fatalf("not an object: %d %s", a.status, a.body)
	}
}

func TestAdminScenario(t *testing.T) {
	f := newFixture(t, 5*time.Second)
	f.createApp(appID)
	yaml, err := os.ReadFile(filepath.Join("..", "fixtures", "scenarios", "kick", "multiple-device.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := f.admin("POST", fmt.Sprintf("/apps/%d/scenario", appID), string(yaml), 200)
	if fmt.Sprint(r["users"]) != "[bob]" {
		t.Fatalf("load %v", r)
	}
	// The push fires right after bob's getlongpollingid: his long poll carries the device kick.
	bob := f.login(appID, "bob")
	lp := f.openLongPoll(bob)
	if b, _ := json.Marshal(f.poll(bob, lp)); !strings.Contains(string(b), "KickoutMsgNotify") {
		t.Fatalf("long poll %s", b)
	}
	p := f.admin("GET", fmt.Sprintf("/apps/%d/pushes", appID), "", 200)["pushes"].([]any)
	if st := p[0].(map[string]any); st["fired"] != true || st["result"] != "kicked 1 session(s)" {
		t.Fatalf("pushes %v", p)
	}

	// A bad scenario is refused with file, line and key.
	a := f.do("POST", fmt.Sprintf("/admin/v1/apps/%d/scenario?file=c2c/bad.yaml", appID), "users: [{id: a}]\nfaults:\n  - match: {command: openim/sendmsg}\n    replyy: {ErrorCode: 1}\n")
	if a.status != 400 || !strings.HasPrefix(errorOf(a), `c2c/bad.yaml:4:5: faults[0].replyy: unknown key "replyy"`) {
		t.Fatalf("bad scenario: %d %s", a.status, a.body)
	}
	// One with a tenant block creates its tenant.
	r = f.admin("POST", "/scenarios", "tenant: {sdkappid: 42, secret: s}\nseed: 1\nusers: [{id: carol}]\n", 201)
	if r["sdkappid"] != 42.0 || !f.srv.App(42).HasUser("carol") {
		t.Fatalf("create from scenario %v", r)
	}
	f.admin("POST", "/scenarios", "tenant: {sdkappid: 42, secret: s}\n", 409)
	f.admin("POST", "/scenarios", "users: []\n", 400)
	f.admin("POST", "/apps/42/scenario", "tenant: {sdkappid: 43, secret: s}\n", 400)
}

// A scenario's faults go through the same middleware: the C2C example fails alice's first send.
func TestScenarioFaultsThroughServer(t *testing.T) {
	f := newFixture(t, time.Second)
	f.createApp(appID)
	sc, err := scenario.Load(filepath.Join("..", "fixtures", "scenarios", "c2c", "send-fails-20003.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.LoadScenario(appID, sc); err != nil {
		t.Fatal(err)
	}
	alice := f.login(appID, "alice")
	body := `{"To_Account":"bob","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`
	if r := f.im("openim/sendmsg", alice.q(), body); code(r) != 20003 {
		t.Fatalf("first send %v", r)
	}
	if r := f.im("openim/sendmsg", alice.q(), body); code(r) != 0 {
		t.Fatalf("second send %v", r)
	}
	if e, _ := f.srv.Faults(appID).Get("send-20003"); e.Hits != 1 || e.Seen != 2 {
		t.Fatalf("rule %+v", e)
	}
}

// Two loads of one scenario, into tenants with different SDKAppIDs, give identical ids: TinyId,
// A2Key, LongPollingId and generated group ids.
func TestScenarioIDsReproducible(t *testing.T) {
	f := newFixture(t, time.Second)
	sc, err := scenario.Load(filepath.Join("..", "fixtures", "scenarios", "group", "team-with-muted-member.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, id := range []int64{appID, appID + 1} {
		f.createApp(id)
		if _, err := f.srv.LoadScenario(id, sc); err != nil {
			t.Fatal(err)
		}
		s := f.login(id, "alice")
		lp := f.openLongPoll(s)
		got = append(got, fmt.Sprint(s.tiny, s.a2, lp, f.srv.App(id).GroupIDs()))
	}
	if got[0] != got[1] || !strings.Contains(got[0], "@TGS#") {
		t.Fatalf("ids differ:\n%s\n%s", got[0], got[1])
	}
}

// Removing a tenant (or closing the server) stops its pending pushes.
func TestRemoveAppStopsPushes(t *testing.T) {
	f := newFixture(t, time.Second)
	f.createApp(appID)
	sc, err := scenario.Parse("p.yaml", []byte("users: [{id: bob}]\npushes:\n  - at: 1h\n    kick: {user: bob, type: multipleAccount}\n"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := f.srv.LoadScenario(appID, sc)
	if err != nil {
		t.Fatal(err)
	}
	f.srv.RemoveApp(appID)
	if run.Pushes()[0].Fired {
		t.Fatal("fired")
	}
	f.createApp(appID + 1)
	if _, err := f.srv.LoadScenario(appID+1, sc); err != nil {
		t.Fatal(err)
	}
	// The server's Close (cleanup) stops this one; goleak checks nothing is left.
}

// The group example: bob's first send to "team" is filtered (80001, by the fault's group match),
// muted carol is refused by the state (10017), and reclaiming the group via admin sends notice 11.
func TestGroupScenarioAndReclaim(t *testing.T) {
	f := newFixture(t, time.Second)
	f.createApp(appID)
	yaml, err := os.ReadFile(filepath.Join("..", "fixtures", "scenarios", "group", "team-with-muted-member.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.admin("POST", fmt.Sprintf("/apps/%d/scenario", appID), string(yaml), 200)
	app := f.srv.App(appID)
	// The tenant clock is frozen in 2024: sign with it.
	bob, carol := f.login(appID, "bob"), f.login(appID, "carol")
	send := func(s session, group string) map[string]any {
		return f.im("group_open_http_svc/send_group_msg", s.q(),
			fmt.Sprintf(`{"GroupId":%q,"Random":7,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`, group))
	}
	pals := ""
	for _, id := range app.GroupIDs() {
		if id != "team" {
			pals = id
		}
	}
	if r := send(bob, pals); code(r) != 0 {
		t.Fatalf("bob to Pals (not matched by the group): %v", r)
	}
	if r := send(bob, "team"); code(r) != 80001 {
		t.Fatalf("bob's first send to team: %v", r)
	}
	if r := send(bob, "team"); code(r) != 0 {
		t.Fatalf("bob's second send to team: %v", r)
	}
	if r := send(carol, "team"); code(r) != tim.CodeGroupMuted {
		t.Fatalf("muted carol: %v", r)
	}
	if e, _ := f.srv.Faults(appID).Get("bob-filtered"); e.Seen != 2 || e.Hits != 1 {
		t.Fatalf("rule %+v", e)
	}

	r := f.admin("POST", fmt.Sprintf("/apps/%d/groups/team/reclaim", appID), "", 200)
	if r["reclaimed"] != "team" || slices.Contains(app.GroupIDs(), "team") {
		t.Fatalf("reclaim %v, groups %v", r, app.GroupIDs())
	}
	found := false
	for _, e := range app.EventsOf("carol") {
		if e.Kind == state.EvGroupNotice && e.Notice.Type == state.NoticeReclaimed {
			found = true
		}
	}
	if !found {
		t.Fatal("carol got no notice 11")
	}
	a := f.do("POST", fmt.Sprintf("/admin/v1/apps/%d/groups/%%40TGS%%23nope/reclaim", appID), "")
	if a.status != 404 || !strings.Contains(errorOf(a), "@TGS#nope") {
		t.Fatalf("reclaim of a missing group: %d %s", a.status, a.body)
	}
}

func TestAdminToken(t *testing.T) {
	t.Parallel()
	srv := mockserver.New(mockserver.Options{AdminToken: "s3cret-token"})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	call := func(auth string) (int, string, string) {
		req, _ := http.NewRequest("GET", srv.URL()+"/admin/v1/apps", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("WWW-Authenticate")
	}
	for _, tc := range []struct{ auth, says string }{
		{"", "Authorization: Bearer"},
		{"Bearer ", "Authorization: Bearer"},
		{"Basic czNjcmV0LXRva2Vu", "Authorization: Bearer"},
		{"Bearer s3cret-tokem", "wrong"},
		{"Bearer s3cret-token2", "wrong"},
	} {
		code, body, challenge := call(tc.auth)
		if code != http.StatusUnauthorized || !strings.Contains(body, `"error"`) || !strings.Contains(body, tc.says) || !strings.HasPrefix(challenge, "Bearer") {
			t.Errorf("Authorization %q: %d %s (WWW-Authenticate %q); want 401 saying %q", tc.auth, code, body, challenge, tc.says)
		}
	}
	if code, body, _ := call("Bearer s3cret-token"); code != http.StatusOK || !strings.Contains(body, `"apps"`) {
		t.Errorf("the right token: %d %s", code, body)
	}
	// The token guards the admin API only: the protocol and health check stay open to SDKs.
	f := &fixture{t: t, srv: srv}
	if a := f.do("GET", "/healthz", ""); a.status != 200 {
		t.Errorf("healthz with a token set: %d", a.status)
	}
	if a := f.do("POST", "/v4/webim/accesslayer", "{}"); a.status != 200 || !strings.Contains(string(a.body), `"ActionStatus":"OK"`) {
		t.Errorf("protocol call with a token set: %d %s", a.status, a.body)
	}
}

// syncBuf is a log sink safe for the request log's writer goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The request log: every call, only failed ones, or none; written off the request path and
// flushed by Close.
func TestRequestLogModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode     mockserver.LogMode
		ok, fail bool // whether the OK and the FAIL call are logged
	}{{mockserver.LogAll, true, true}, {mockserver.LogErrors, false, true}, {mockserver.LogOff, false, false}} {
		var buf syncBuf
		srv := mockserver.New(mockserver.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil)), Log: tc.mode})
		if err := srv.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		f := &fixture{t: t, srv: srv}
		f.do("POST", "/v4/webim/accesslayer", "{}")
		f.do("POST", "/v4/openim/nosuchcommand", "{}")
		_ = srv.Close()
		out := buf.String()
		if got := strings.Contains(out, "path=/v4/webim/accesslayer"); got != tc.ok {
			t.Errorf("mode %d: OK call logged %v, want %v:\n%s", tc.mode, got, tc.ok, out)
		}
		if got := strings.Contains(out, "path=/v4/openim/nosuchcommand status=200 fail=true"); got != tc.fail {
			t.Errorf("mode %d: FAIL call logged %v, want %v:\n%s", tc.mode, got, tc.fail, out)
		}
	}
}

// The login policy over HTTP: by default a second login ends the first session (91101 in its long
// poll); after PUT {"multiple_instances":true} it does not. Unknown fields are refused.
func TestAdminLoginPolicy(t *testing.T) {
	f := newFixture(t, time.Second)
	f.createApp(appID)
	if r := f.admin("GET", fmt.Sprintf("/apps/%d/login-policy", appID), "", 200); r["multiple_instances"] != false {
		t.Fatalf("default policy %v", r)
	}
	first := f.login(appID, "bob")
	lp := f.openLongPoll(first)
	f.login(appID, "bob")
	if r := f.poll(first, lp); code(r) != 91101 {
		t.Fatalf("first session after a second login: %v", r)
	}
	if r := f.admin("PUT", fmt.Sprintf("/apps/%d/login-policy", appID), `{"multiple_instances":true}`, 200); r["multiple_instances"] != true {
		t.Fatalf("put policy %v", r)
	}
	third := f.login(appID, "bob")
	lp = f.openLongPoll(third)
	f.login(appID, "bob")
	if r := f.poll(third, lp); code(r) != 0 {
		t.Fatalf("with multiple instances allowed: %v", r)
	}
	if a := f.do("PUT", fmt.Sprintf("/admin/v1/apps/%d/login-policy", appID), `{"multi":true}`); a.status != 400 {
		t.Fatalf("unknown field: %d %s", a.status, a.body)
	}
	if r := f.admin("PUT", fmt.Sprintf("/apps/%d/login-policy", appID), `{"hello_interval":2}`, 200); r["hello_interval"] != float64(2) || r["multiple_instances"] != false {
		t.Fatalf("put hello_interval: %v", r)
	}
	if a := f.do("PUT", fmt.Sprintf("/admin/v1/apps/%d/login-policy", appID), `{"hello_interval":-1}`); a.status != 400 || !strings.Contains(string(a.body), "hello_interval") {
		t.Fatalf("negative hello_interval: %d %s", a.status, a.body)
	}
}

// A disabled tenant (PUT status {"disabled":true}) answers every call, a login included, with
// 60016 until it is enabled again.
func TestAdminAppStatus(t *testing.T) {
	f := newFixture(t, time.Second)
	f.createApp(appID)
	first := f.login(appID, "bob")
	if r := f.admin("PUT", fmt.Sprintf("/apps/%d/status", appID), `{"disabled":true}`, 200); r["disabled"] != true {
		t.Fatalf("put status %v", r)
	}
	if r := f.im("openim/getlongpollingid", first.q(), `{}`); code(r) != 60016 {
		t.Fatalf("a session's call while disabled: %v", r)
	}
	sig, _ := usersig.Generate(appID, f.srv.App(appID).Secret(), "carol", time.Hour, time.Now())
	if r := f.loginReply(appID, "carol", sig); code(r) != 60016 {
		t.Fatalf("a login while disabled: %v", r)
	}
	if r := f.admin("PUT", fmt.Sprintf("/apps/%d/status", appID), `{"disabled":false}`, 200); r["disabled"] != false {
		t.Fatalf("put status %v", r)
	}
	if r := f.im("openim/getlongpollingid", first.q(), `{}`); code(r) != 0 {
		t.Fatalf("after enabling again: %v", r)
	}
}

// PUT callback sets the tenant's callback URL: the server then asks it before storing a group
// message, and its refusal is 10016; "" removes it. Bad input is 400 with the reason and leaves
// the URL as it was.
func TestAdminCallback(t *testing.T) {
	var asked atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		_, _ = w.Write([]byte(`{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":"no"}`))
	}))
	defer backend.Close()
	f := newFixture(t, time.Second)
	f.createApp(appID)
	path := fmt.Sprintf("/apps/%d/callback", appID)
	if r := f.admin("GET", path, "", 200); r["url"] != "" {
		t.Fatalf("default callback %v", r)
	}
	alice := f.login(appID, "alice")
	if _, err := f.srv.App(appID).CreateGroup("alice", state.GroupSpec{ID: "g1", Type: state.GroupPublic, Name: "g"}); err != nil {
		t.Fatal(err)
	}
	send := func() int {
		return code(f.im("group_open_http_svc/send_group_msg", alice.q(),
			`{"GroupId":"g1","Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`))
	}
	if c := send(); c != 0 || asked.Load() != 0 {
		t.Fatalf("without a callback: %d, %d callbacks", c, asked.Load())
	}
	url := backend.URL + "/im?token=t"
	if r := f.admin("PUT", path, fmt.Sprintf(`{"url":%q}`, url), 200); r["url"] != url {
		t.Fatalf("put callback %v", r)
	}
	if c := send(); c != 10016 || asked.Load() != 1 {
		t.Fatalf("with a refusing callback: %d, %d callbacks", c, asked.Load())
	}
	for _, bad := range []struct{ body, says string }{
		{`{"url":"ftp://host/im"}`, "http"},
		{`{"url":"/im"}`, "http"},
		{`{"url":"http://"}`, "no host"},
		{`{"url":"http://u:p@host/im"}`, "user info"},
		{`{}`, `want {"url"`},
		{`{"uri":"http://host/"}`, "unknown field"},
		{`"http://host/"`, "body"},
		{``, "empty"},
	} {
		a := f.do("PUT", "/admin/v1"+path, bad.body)
		if a.status != 400 || !strings.Contains(errorOf(a), bad.says) {
			t.Errorf("PUT %s: %d %s, want 400 saying %q", bad.body, a.status, a.body, bad.says)
		}
	}
	if r := f.admin("GET", path, "", 200); r["url"] != url {
		t.Fatalf("after bad input the callback is %v, want %s", r, url)
	}
	if a := f.do("POST", "/admin/v1"+path, `{"url":""}`); a.status != 405 {
		t.Errorf("POST: %d %s", a.status, a.body)
	}
	if r := f.admin("PUT", path, `{"url":""}`, 200); r["url"] != "" {
		t.Fatalf("remove callback %v", r)
	}
	if c := send(); c != 0 || asked.Load() != 1 {
		t.Fatalf("after removing the callback: %d, %d callbacks", c, asked.Load())
	}
	if a := f.do("PUT", "/admin/v1/apps/1400009999/callback", `{"url":""}`); a.status != 404 {
		t.Errorf("unknown tenant: %d %s", a.status, a.body)
	}
}
