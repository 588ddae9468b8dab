package jim

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zishang520/socket.io/v2/socket"

	pipe "github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
)

// fakePeer records what the adapter emits.
type fakePeer struct {
	mu      sync.Mutex
	out     []frame
	dropped bool
}

type frame struct {
	Event string
	Data  map[string]any
}

func (p *fakePeer) Emit(ev string, args ...any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var m map[string]any
	b, _ := json.Marshal(args[0])
	_ = json.Unmarshal(b, &m)
	p.out = append(p.out, frame{ev, m})
	return nil
}
func (p *fakePeer) Disconnect(bool) *socket.Socket { p.dropped = true; return nil }

func (p *fakePeer) take() []frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.out
	p.out = nil
	return out
}

type apps struct {
	app   *state.App
	rules *fault.Rules
}

func (a apps) AppByKey(k string) (*state.App, *fault.Rules) {
	if k == a.app.AppKey() {
		return a.app, a.rules
	}
	return nil, nil
}

func newTest(t *testing.T) (*Adapter, *state.App, *fault.Rules) {
	t.Helper()
	app := state.NewApp(state.Options{SDKAppID: 42, Secret: "master"})
	rules := fault.NewRules(fault.Options{})
	done := make(chan struct{})
	pipeline := func(p pipe.Profile, h pipe.Handler) pipe.Handler {
		return pipe.Pipeline(pipe.Options{Profile: p, Rules: func(*pipe.Call) *fault.Rules { return rules }, Done: done}, h)
	}
	a := New(apps{app, rules}, Options{Done: done, Pipeline: pipeline})
	t.Cleanup(func() { close(done); a.Close(); app.Close() })
	return a, app, rules
}

func md5hex(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }

func (a *Adapter) testConn() (*conn, *fakePeer) {
	p := &fakePeer{}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.newConn(p), p
}

func authPayload(app *state.App, at time.Time, rid int) map[string]any {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	rnd := "abcdefghijklmnopqrstuvwxyz"
	sum := md5.Sum([]byte(fmt.Sprintf("appkey=%s&timestamp=%s&random_str=%s&key=%s", app.AppKey(), ts, rnd, "master")))
	return map[string]any{"appkey": app.AppKey(), "timestamp": ts, "random_str": rnd, "signature": hex.EncodeToString(sum[:]), "rid": float64(rid)}
}

func loggedIn(t *testing.T, a *Adapter, app *state.App, user string) (*conn, *fakePeer) {
	t.Helper()
	if !app.HasUser(user) {
		if err := app.Register(user, md5hex("pw"), ""); err != nil {
			t.Fatal(err)
		}
	}
	c, p := a.testConn()
	a.dispatch(c, "c_init", authPayload(app, app.Now(), 1))
	a.dispatch(c, "login", map[string]any{"username": user, "password": md5hex("pw"), "rid": float64(2)})
	got := p.take()
	if len(got) != 4 || got[3].Data["code"] != float64(0) {
		t.Fatalf("login %s: %v", user, got)
	}
	return c, p
}

func TestAckThenSameEventReply(t *testing.T) {
	a, app, _ := newTest(t)
	c, p := a.testConn()
	a.dispatch(c, "c_init", authPayload(app, app.Now(), 7))
	want := []frame{{"ack", map[string]any{"rid": float64(7)}}, {"c_init", map[string]any{"rid": float64(7), "code": float64(0), "message": "success"}}}
	if d := cmp.Diff(want, p.take()); d != "" {
		t.Fatal(d)
	}
}

func TestEveryCatalogueEventIsAnswered(t *testing.T) {
	a, app, _ := newTest(t)
	c, p := loggedIn(t, a, app, "alice")
	// The request events of jmessage-sdk-web 1.x and 2.x (the 2.x SDK resends anything unanswered).
	catalogue := []string{"c_init", "register", "login", "get_user_info", "get_across_user_info", "update_user_inf",
		"update_user_pwd", "s_single_text", "s_across_single_text", "send_group_msg", "get_upload_token", "create_group",
		"get_groups_list", "get_group_info", "add_group_member", "add_across_group_member", "del_group_member",
		"del_across_group_member", "get_group_members", "update_group_info", "exit_group", "get_conversations",
		"no_disturb", "add_msg_no_disturb_single", "delete_msg_no_disturb_single", "add_msg_no_disturb_group",
		"delete_msg_no_disturb_group", "add_msg_no_disturb_global", "delete_msg_no_disturb_global", "get_black_list",
		"add_black_list", "del_black_list", "get_friend_list", "add_friend", "del_friend", "update_friend_memo",
		"add_msg_shield_group", "del_msg_shield_group", "list_shield_group", "get_resource", "msg_retract", "sync_check",
		"sync_event_check", "receipt_report", "unread_group_count", "unread_single_count", "msg_unread_list",
		"trans_msg_single", "trans_msg_group", "trans_msg_platform", "room_list", "room_list_self", "join_room",
		"exit_room", "room_info", "send_room_msg", "room_msg_sync_his", "admin_add_group_member", "apply_join_group",
		"group_mem_silence", "dissolve_group", "add_group_keeper", "del_group_keeper", "change_group_admin",
		"public_group_list"}
	for i, ev := range catalogue {
		rid := float64(100 + i)
		a.dispatch(c, ev, map[string]any{"rid": rid})
		got := p.take()
		if len(got) < 2 || got[0].Event != "ack" || got[0].Data["rid"] != rid || got[1].Event != ev || got[1].Data["rid"] != rid {
			t.Errorf("%s: want ack then %s with rid %v, got %v", ev, ev, rid, got)
			continue
		}
		if code, ok := got[1].Data["code"].(float64); !ok || code == CodeInvalidParam && strings.Contains(got[1].Data["message"].(string), "unknown event") {
			t.Errorf("%s: reply without a numeric code, or as an unknown event: %v", ev, got[1].Data)
		}
	}
}

func TestUnknownEventAndBadPayloadGetAnEnvelopeError(t *testing.T) {
	a, app, _ := newTest(t)
	c, p := loggedIn(t, a, app, "alice")
	a.dispatch(c, "no_such_event", map[string]any{"rid": float64(5)})
	got := p.take()
	if len(got) != 2 || got[1].Event != "no_such_event" || got[1].Data["code"] != float64(CodeInvalidParam) {
		t.Fatalf("unknown event: %v", got)
	}
	a.dispatch(c, "s_single_text", "not an object")
	got = p.take()
	if len(got) != 1 || got[0].Data["code"] != float64(CodeInvalidParam) {
		t.Fatalf("string payload: %v", got)
	}
	a.dispatch(c, "s_single_text", nil)
	if got = p.take(); len(got) != 1 || got[0].Data["code"] != float64(CodeInvalidParam) {
		t.Fatalf("no payload: %v", got)
	}
}

func TestCallsBeforeInitAndLogin(t *testing.T) {
	a, app, _ := newTest(t)
	c, p := a.testConn()
	a.dispatch(c, "login", map[string]any{"username": "x", "password": "y", "rid": float64(1)})
	if got := p.take(); got[1].Data["code"] != float64(CodeInvalidParam) {
		t.Fatalf("login before c_init: %v", got)
	}
	a.dispatch(c, "c_init", authPayload(app, app.Now(), 2))
	p.take()
	a.dispatch(c, "get_groups_list", map[string]any{"rid": float64(3)})
	if got := p.take(); got[1].Data["code"] != float64(CodeAuthFail) {
		t.Fatalf("get_groups_list before login: %v", got)
	}
}

func TestResentRidIsAnsweredOnceAndDeliveredOnce(t *testing.T) {
	a, app, _ := newTest(t)
	alice, pa := loggedIn(t, a, app, "alice")
	_, pb := loggedIn(t, a, app, "bob")
	msg := map[string]any{"target_id": "bob", "rid": float64(99), "content": map[string]any{"msg_type": "text", "msg_body": map[string]any{"text": "hi"}}}
	a.dispatch(alice, "s_across_single_text", msg)
	first := pa.take()
	a.dispatch(alice, "s_across_single_text", msg)
	second := pa.take()
	if d := cmp.Diff(first, second); d != "" {
		t.Fatalf("the resend got another answer:\n%s", d)
	}
	if n := len(app.C2CHistory("alice", "bob")); n != 1 {
		t.Fatalf("stored %d messages, want 1", n)
	}
	if got := pb.take(); len(got) != 1 || got[0].Event != "msg_sync" {
		t.Fatalf("bob got %v, want one msg_sync", got)
	}
}

func TestSignatureWindow(t *testing.T) {
	a, app, _ := newTest(t)
	for _, tc := range []struct {
		at   time.Duration
		code float64
	}{{0, 0}, {-9 * time.Minute, 0}, {-11 * time.Minute, CodeSignatureExpired}, {11 * time.Minute, CodeSignatureExpired}} {
		c, p := a.testConn()
		a.dispatch(c, "c_init", authPayload(app, app.Now().Add(tc.at), 1))
		if got := p.take(); got[1].Data["code"] != tc.code {
			t.Errorf("timestamp %v from now: %v, want code %v", tc.at, got[1].Data, tc.code)
		}
	}
	c, p := a.testConn()
	bad := authPayload(app, app.Now(), 1)
	bad["random_str"] = "short"
	a.dispatch(c, "c_init", bad)
	if got := p.take(); got[1].Data["code"] != float64(CodeInvalidParam) {
		t.Errorf("short random_str: %v", got)
	}
}

func TestFaultRuleAnswersAJMessageEvent(t *testing.T) {
	a, app, rules := newTest(t)
	c, p := loggedIn(t, a, app, "alice")
	if _, err := rules.Add(fault.Rule{Match: fault.Match{Command: "jim/get_groups_list"}, Count: 1, Reply: &fault.Reply{ErrorCode: 882005, ErrorInfo: "busy"}}); err != nil {
		t.Fatal(err)
	}
	a.dispatch(c, "get_groups_list", map[string]any{"rid": float64(3)})
	if got := p.take(); len(got) != 2 || got[1].Data["code"] != float64(882005) {
		t.Fatalf("faulted call: %v", got)
	}
	a.dispatch(c, "get_groups_list", map[string]any{"rid": float64(4)})
	if got := p.take(); len(got) != 2 || got[1].Data["code"] != float64(0) {
		t.Fatalf("next call: %v", got)
	}
	if _, err := rules.Add(fault.Rule{Match: fault.Match{Command: "jim/no_disturb"}, Drop: true}); err != nil {
		t.Fatal(err)
	}
	a.dispatch(c, "no_disturb", map[string]any{"rid": float64(5)})
	if got := p.take(); len(got) != 0 || !p.dropped {
		t.Fatalf("drop: sent %v, dropped %v", got, p.dropped)
	}
}

func TestSecondLoginKicksTheFirst(t *testing.T) {
	a, app, _ := newTest(t)
	first, p1 := loggedIn(t, a, app, "alice")
	loggedIn(t, a, app, "alice")
	got := p1.take()
	if len(got) != 1 || got[0].Event != "event_notification" || got[0].Data["event_type"] != float64(1) {
		t.Fatalf("first client got %v", got)
	}
	a.dispatch(first, "get_groups_list", map[string]any{"rid": float64(9)})
	if got := p1.take(); got[1].Data["code"] != float64(CodeAuthFail) {
		t.Fatalf("kicked client still served: %v", got)
	}
}
