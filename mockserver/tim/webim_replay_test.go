package tim_test

// Protocol replay of the legacy webim.js 1.7.x generation: each test sends the requests the SDK
// sends (URL shape, form content type, exact body keys) and checks the replies field by field
// against what the SDK reads from them, including the pitfalls that silently kill its long poll.
// CI has no copy of webim.js; these are the wire facts the suites/webim specs exercise with one.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/mockserver/usersig"
)

// wim is one logged-in webim.js client: its session and long-poll cursor.
type wim struct {
	f                    *fixture
	user, tinyID, a2     string
	lpid                 string
	noticeSeq, notifySeq uint64
}

// webimQuery is the query webim.js 1.7.3 appends after login (tinyid/a2, never the identifier).
func (w *wim) query() string {
	return fmt.Sprintf("websdkappid=537048168&v=1.7.3&platform=10&tinyid=%s&a2=%s&contenttype=json&sdkappid=%d&accounttype=5356&apn=1&reqtime=%d",
		w.tinyID, w.a2, appID, time.Now().Unix())
}

func (w *wim) call(svc, cmd, body string) reply {
	w.f.t.Helper()
	ver := "v4"
	if svc == "webim" {
		ver = "v3"
	}
	return w.f.post("/"+ver+"/"+svc+"/"+cmd, w.query(), body)
}

// ok calls and requires ActionStatus OK (the only success test webim.js makes).
func (w *wim) ok(svc, cmd, body string) map[string]any {
	w.f.t.Helper()
	r := w.call(svc, cmd, body)
	if r.ActionStatus != "OK" || *r.ErrorCode != 0 {
		w.f.t.Fatalf("%s %s/%s: %s %d %s", w.user, svc, cmd, r.ActionStatus, *r.ErrorCode, r.ErrorInfo)
	}
	return r.raw
}

// webimLogin runs the 1.7.3 login chain and opens the long poll.
func webimLogin(f *fixture, user string) *wim {
	f.t.Helper()
	sig, err := usersig.Generate(appID, secret, user, time.Hour, f.app.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	pre := fmt.Sprintf("websdkappid=537048168&v=1.7.3&platform=10&identifier=%s&usersig=%s&contenttype=json&sdkappid=%d&accounttype=5356&apn=1&reqtime=1", user, sig, appID)
	al := f.post("/v3/webim/accesslayer", pre, `{}`)
	if al.ActionStatus != "OK" || al.raw["WebImAccessLayer"] != 0.0 {
		f.t.Fatalf("accesslayer: %v (want OK and WebImAccessLayer 0: 1 moves the SDK to events.tim.qq.com)", al.raw)
	}
	lr := f.post("/v4/openim/login", pre, `{"State":"Online"}`)
	if lr.ActionStatus != "OK" {
		f.t.Fatalf("login: %v", lr.raw)
	}
	w := &wim{f: f, user: user}
	var ok bool
	if w.tinyID, ok = lr.raw["TinyId"].(string); !ok || w.tinyID == "" {
		f.t.Fatalf("TinyId must be a non-empty JSON string (its values exceed 2^53): %#v", lr.raw["TinyId"])
	}
	if w.a2, ok = lr.raw["A2Key"].(string); !ok || w.a2 == "" {
		f.t.Fatalf("A2Key must be a non-empty string: %#v", lr.raw["A2Key"])
	}
	prof := w.ok("profile", "portrait_get", fmt.Sprintf(`{"From_Account":%q,"To_Account":[%q],"TagList":["Tag_Profile_IM_Nick","Tag_Profile_IM_Image"]}`, user, user))
	if fa, has := prof["Fail_Account"]; has && len(fa.([]any)) > 0 {
		f.t.Fatalf("portrait_get of oneself lists Fail_Account %v: webim.js would fail the login with 99999", fa)
	}
	items := prof["UserProfileItem"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["To_Account"] != user {
		f.t.Fatalf("portrait_get UserProfileItem: %v", items)
	}
	w.ok("imopenstat", "web_report", fmt.Sprintf(`{"EvtItems":[{"UniqKey":"%s_1_2","EventId":1,"ReportTime":1,"MsgCmdErrorCode":{"Code":0,"ErrMsg":""}}],"MainVersion":"1.7.3","Version":"0"}`, w.a2[:10]))
	w.ok("group_open_http_svc", "get_joined_group_list", fmt.Sprintf(`{"Member_Account":%q,"Limit":1000,"Offset":0,"ResponseFilter":{"GroupBaseInfoFilter":["NextMsgSeq"]}}`, user))
	if ak := w.ok("openim", "authkey", `{}`); ak["AuthKey"] == nil {
		f.t.Fatalf("authkey without AuthKey: %v", ak)
	}
	lp := w.ok("openim", "getlongpollingid", `{}`)
	if w.lpid, ok = lp["LongPollingId"].(string); !ok || w.lpid == "" {
		f.t.Fatalf("LongPollingId must be a non-empty string: %v", lp)
	}
	if to, isNum := lp["Timeout"].(float64); !isNum || to <= 0 || to > 60 {
		f.t.Fatalf("getlongpollingid Timeout must be a number in (0,60] (absent, the SDK polls with Timeout null): %v", lp["Timeout"])
	}
	return w
}

// poll sends one long poll as webim.js does and applies its watermark rules to the reply.
func (w *wim) poll() []map[string]any {
	w.f.t.Helper()
	r := w.call("openim", "longpolling", fmt.Sprintf(`{"Timeout":30,"Cookie":{"NotifySeq":%d,"NoticeSeq":%d,"LongPollingId":%q}}`, w.notifySeq, w.noticeSeq, w.lpid))
	if r.ActionStatus != "OK" && *r.ErrorCode != 60008 {
		w.f.t.Fatalf("longpolling: %v", r.raw)
	}
	arr, _ := r.raw["EventArray"].([]any)
	var out []map[string]any
	for _, x := range arr {
		e := x.(map[string]any)
		out = append(out, e)
		switch e["Event"] {
		case 1.0:
			w.notifySeq = uint64(e["NotifySeq"].(float64))
		case 9.0:
			// The SDK takes the FIRST element's NoticeSeq: the server puts one message per event.
			w.noticeSeq = uint64(e["C2cMsgArray"].([]any)[0].(map[string]any)["NoticeSeq"].(float64))
		case 10.0:
			w.noticeSeq = uint64(e["C2cNotifyMsgArray"].([]any)[0].(map[string]any)["NoticeSeq"].(float64))
		default:
			for _, k := range []string{"GroupMsgArray", "GroupTips", "FriendListMod", "ProfileDataMod"} {
				items, _ := e[k].([]any)
				for _, it := range items {
					if n := uint64(it.(map[string]any)["NoticeSeq"].(float64)); n > w.noticeSeq {
						w.noticeSeq = n
					}
				}
			}
		}
	}
	return out
}

// await polls until an event numbered ev (and matching match, when given) arrives; other events
// are passed over.
func (w *wim) await(ev int, match ...func(map[string]any) bool) map[string]any {
	w.f.t.Helper()
	for range 20 {
	next:
		for _, e := range w.poll() {
			if e["Event"] != float64(ev) {
				continue
			}
			for _, m := range match {
				if !m(e) {
					continue next
				}
			}
			return e
		}
	}
	w.f.t.Fatalf("%s: no Event %d after 20 polls", w.user, ev)
	return nil
}

// pushType matches an Event 7 whose first FriendListMod item has PushType n.
func pushType(n int) func(map[string]any) bool {
	return func(e map[string]any) bool { return obj(arr(e["FriendListMod"])[0])["PushType"] == float64(n) }
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func arr(v any) []any          { a, _ := v.([]any); return a }

// num prints a JSON number as the integer it is (MsgSeq, MsgRandom, times), for request bodies.
func num(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return fmt.Sprint(v)
}

// ints turns integral JSON numbers into int64 throughout, so values compare as they read.
func ints(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ints(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = ints(e)
		}
		return out
	}
	return v
}

func want(t *testing.T, what string, got, exp any) {
	t.Helper()
	if fmt.Sprint(ints(got)) != fmt.Sprint(ints(exp)) {
		t.Errorf("%s = %v, want %v", what, got, exp)
	}
}

func TestWebIMLoginChain(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice := webimLogin(f, "alice")
	n, err := strconv.ParseUint(alice.tinyID, 10, 64)
	if err != nil || n <= 1<<53 {
		t.Errorf("TinyId %q: want a decimal beyond 2^53, as the real ones are (so only a string keeps it exact)", alice.tinyID)
	}
	// The first poll carries Timeout 60 (built before getlongpollingid answered): no news is OK
	// without EventArray (60008 would do too), answered within the hold.
	r := alice.call("openim", "longpolling", fmt.Sprintf(`{"Timeout":60,"Cookie":{"NotifySeq":0,"NoticeSeq":0,"LongPollingId":%q}}`, alice.lpid))
	want(t, "idle poll ActionStatus", r.ActionStatus, "OK")
	if _, has := r.raw["EventArray"]; has {
		t.Errorf("idle poll has EventArray: %v", r.raw)
	}
	// webim.logout: longpollinglogout {LongPollingId}; the session's next poll ends at once.
	alice.ok("openim", "longpollinglogout", fmt.Sprintf(`{"LongPollingId":%q}`, alice.lpid))

	// A bad UserSig reaches the login cbErr unchanged: ActionStatus FAIL with the TLS code.
	bad := f.post("/v4/openim/login", fmt.Sprintf("identifier=bob&usersig=nonsense&sdkappid=%d&v=1.7.3", appID), `{"State":"Online"}`)
	want(t, "bad sig ActionStatus", bad.ActionStatus, "FAIL")
	want(t, "bad sig ErrorCode", *bad.ErrorCode, usersig.CodeMalformed)
}

func TestWebIMC2CInlineEvent9(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice, bob := webimLogin(f, "alice"), webimLogin(f, "bob")
	bob.ok("openim", "sendmsg", `{"From_Account":"bob","To_Account":"alice","MsgTimeStamp":1700000000,"MsgSeq":4876068,"MsgRandom":1894582301,`+
		`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}},{"MsgType":"TIMFaceElem","MsgContent":{"Index":3,"Data":"[微笑]"}}]}`)
	e := alice.await(9)
	msgs := arr(e["C2cMsgArray"])
	if len(msgs) != 1 {
		t.Fatalf("C2cMsgArray: %v (want one message per Event 9)", msgs)
	}
	m := obj(msgs[0])
	want(t, "From_Account", m["From_Account"], "bob")
	want(t, "To_Account", m["To_Account"], "alice")
	want(t, "MsgSeq", m["MsgSeq"], 4876068)
	want(t, "MsgRandom", m["MsgRandom"], 1894582301)
	want(t, "elements", len(arr(m["MsgBody"])), 2)
	want(t, "face Index", obj(obj(arr(m["MsgBody"])[1])["MsgContent"])["Index"], 3)
	if m["NoticeSeq"] == nil || m["MsgTimeStamp"] == nil {
		t.Errorf("C2C item lacks NoticeSeq or MsgTimeStamp: %v", m)
	}
	// Delivered inline: the offline sync has nothing left, and ends with SyncFlag 2 and a Cookie.
	s := alice.ok("openim", "getmsg", `{"Cookie":"","SyncFlag":0}`)
	want(t, "getmsg after Event 9", len(arr(s["MsgList"])), 0)
	want(t, "SyncFlag", s["SyncFlag"], 2)
	if c, _ := s["Cookie"].(string); c == "" {
		t.Errorf("getmsg Cookie must be a non-empty string: %v", s["Cookie"])
	}
}

func TestWebIMC2CEvent1ThenGetmsg(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	f.app.SetC2CNotify(true)
	alice, bob := webimLogin(f, "alice"), webimLogin(f, "bob")
	for i := range 25 { // more than one getmsg page
		bob.ok("openim", "sendmsg", fmt.Sprintf(`{"From_Account":"bob","To_Account":"alice","MsgTimeStamp":1,"MsgSeq":%d,"MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"m%d"}}]}`, 100+i, 7000+i, i))
	}
	e := alice.await(1)
	if e["C2cMsgArray"] != nil {
		t.Errorf("Event 1 carries messages: %v", e)
	}
	if alice.notifySeq == 0 {
		t.Fatalf("Event 1 without NotifySeq: %v", e)
	}
	// webim.js answers Event 1 with getmsg, following SyncFlag 1 with the returned Cookie.
	var got []any
	cookie, flag := `""`, 0
	for range 5 {
		s := alice.ok("openim", "getmsg", fmt.Sprintf(`{"Cookie":%s,"SyncFlag":%d}`, cookie, flag))
		got = append(got, arr(s["MsgList"])...)
		c, _ := s["Cookie"].(string)
		if c == "" {
			t.Fatalf("getmsg Cookie must be a non-empty string: %v", s)
		}
		cookie, flag = strconv.Quote(c), int(s["SyncFlag"].(float64))
		if flag != 1 {
			break
		}
	}
	want(t, "messages synced after Event 1", len(got), 25)
	want(t, "first synced MsgSeq", obj(got[0])["MsgSeq"], 100)
	want(t, "last synced MsgRandom", obj(got[24])["MsgRandom"], 7024)
	// The NotifySeq watermark moves the cursor: no Event 1 comes again for the same messages.
	for _, e := range alice.poll() {
		if e["Event"] == 1.0 {
			t.Errorf("Event 1 repeated after NotifySeq %d: %v", alice.notifySeq, e)
		}
	}
	// The sender's other sessions still get their echo inline (their mailbox has no copy of it).
	bob2 := webimLogin(f, "bob")
	bob.ok("openim", "sendmsg", `{"From_Account":"bob","To_Account":"alice","MsgTimeStamp":1,"MsgSeq":900,"MsgRandom":9,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"echo"}}]}`)
	echo := obj(arr(bob2.await(9)["C2cMsgArray"])[0])
	want(t, "echo MsgSeq (same as sent, so the SDK deduplicates)", echo["MsgSeq"], 900)
	want(t, "echo MsgRandom", echo["MsgRandom"], 9)
}

func TestWebIMC2CRoamReadAndErrors(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice, bob := webimLogin(f, "alice"), webimLogin(f, "bob")
	for i := range 3 {
		bob.ok("openim", "sendmsg", fmt.Sprintf(`{"From_Account":"bob","To_Account":"alice","MsgTimeStamp":1,"MsgSeq":%d,"MsgRandom":%d,"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"d%d","Desc":"x","Ext":"e"}}]}`, 10+i, 50+i, i))
	}
	r := alice.ok("openim", "getroammsg", `{"Peer_Account":"bob","MaxCnt":2,"LastMsgTime":0,"MsgKey":""}`)
	want(t, "roam page", len(arr(r["MsgList"])), 2)
	want(t, "Complete", r["Complete"], 0)
	r2 := alice.ok("openim", "getroammsg", fmt.Sprintf(`{"Peer_Account":"bob","MaxCnt":2,"LastMsgTime":%s,"MsgKey":%q}`, num(r["LastMsgTime"]), r["MsgKey"]))
	want(t, "second roam page", len(arr(r2["MsgList"])), 1)
	want(t, "second page Complete", r2["Complete"], 1)
	want(t, "oldest custom Data", obj(obj(arr(obj(arr(r2["MsgList"])[0])["MsgBody"])[0])["MsgContent"])["Data"], "d0")
	alice.ok("openim", "msgreaded", fmt.Sprintf(`{"C2CMsgReaded":{"Cookie":"","C2CMsgReadedItem":[{"To_Account":"bob","LastedMsgTime":%d}]}}`, f.app.Now().Unix()+1))
	if u := f.app.UnreadC2C("alice"); len(u) != 0 {
		t.Errorf("unread after msgreaded: %v", u)
	}
	// §12 / manual 8.1: send and sync failures reach cbErr with ActionStatus FAIL and the code.
	bad := bob.call("openim", "sendmsg", `{"From_Account":"bob","To_Account":"nobody","MsgTimeStamp":1,"MsgSeq":1,"MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`)
	want(t, "send to unknown", fmt.Sprint(bad.ActionStatus, *bad.ErrorCode), "FAIL20003")
	gm := alice.call("openim", "getmsg", `{"Cookie":"not-a-cookie","SyncFlag":1}`)
	want(t, "getmsg bad cookie", fmt.Sprint(gm.ActionStatus, *gm.ErrorCode), "FAIL20001")
	noSession := f.post("/v4/openim/getmsg", "sdkappid="+strconv.Itoa(appID)+"&tinyid=1&a2=stale&contenttype=json", `{"Cookie":"","SyncFlag":0}`)
	want(t, "getmsg without a live session", fmt.Sprint(noSession.ActionStatus, *noSession.ErrorCode), "FAIL20002")
}

func TestWebIMGroupWire(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice, bob := webimLogin(f, "alice"), webimLogin(f, "bob")
	carol := webimLogin(f, "carol")
	g := alice.ok("group_open_http_svc", "create_group", `{"Type":"Public","Name":"Teahouse","Owner_Account":"alice","MemberList":[{"Member_Account":"bob"}],"ApplyJoinOption":"NeedPermission"}`)
	gid := g["GroupId"].(string)

	// Group send: no MsgSeq in the request; the reply names it, and EVERY member, the sender too,
	// gets Event 3 with MsgRandom = Random and a GroupInfo object (without it the SDK's poll dies).
	s := alice.ok("group_open_http_svc", "send_group_msg", fmt.Sprintf(`{"GroupId":%q,"From_Account":"alice","Random":31337,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello"}}],"MsgPriority":"COMMON"}`, gid))
	seq := s["MsgSeq"]
	for _, w := range []*wim{alice, bob} {
		m := obj(arr(w.await(3)["GroupMsgArray"])[0])
		want(t, w.user+" From_Account", m["From_Account"], "alice")
		want(t, w.user+" ToGroupId", m["ToGroupId"], gid)
		want(t, w.user+" MsgRandom", m["MsgRandom"], 31337)
		want(t, w.user+" MsgSeq", m["MsgSeq"], seq)
		want(t, w.user+" GroupInfo.GroupName", obj(m["GroupInfo"])["GroupName"], "Teahouse")
		if obj(m["GroupInfo"]) == nil || m["NoticeSeq"] == nil {
			t.Errorf("%s: group message lacks GroupInfo or NoticeSeq: %v", w.user, m)
		}
	}
	// syncGroupMsgs: group_msg_get newest first, IsFinished, GroupInfo on every item.
	h := bob.ok("group_open_http_svc", "group_msg_get", fmt.Sprintf(`{"GroupId":%q,"ReqMsgSeq":%s,"ReqMsgNumber":20}`, gid, num(seq)))
	list := arr(h["RspMsgList"])
	if len(list) == 0 {
		t.Fatalf("group_msg_get: %v", h)
	}
	want(t, "newest first", obj(list[0])["MsgSeq"], seq)
	if _, has := h["IsFinished"]; !has {
		t.Errorf("group_msg_get lacks IsFinished: %v", h)
	}
	for _, it := range list {
		if obj(obj(it)["GroupInfo"]) == nil {
			t.Errorf("history item without GroupInfo: %v", it)
		}
	}

	// Join request (notice 1) to the owner: Event 5 with GroupInfo.To_Account, ClientSeq, MsgRandom,
	// UserDefinedField at the top level, MsgKey/Authentication in MsgBody.
	carol.ok("group_open_http_svc", "apply_join_group", fmt.Sprintf(`{"GroupId":%q,"ApplyMsg":"let me in","UserDefinedField":"udf"}`, gid))
	n := obj(arr(alice.await(5)["GroupTips"])[0])
	body := obj(n["MsgBody"])
	want(t, "ReportType", body["ReportType"], 1)
	want(t, "Operator_Account", body["Operator_Account"], "carol")
	want(t, "RemarkInfo", body["RemarkInfo"], "let me in")
	want(t, "top-level UserDefinedField", n["UserDefinedField"], "udf")
	want(t, "GroupInfo.To_Account", obj(n["GroupInfo"])["To_Account"], "alice")
	want(t, "GroupInfo.GroupName", obj(n["GroupInfo"])["GroupName"], "Teahouse")
	if n["ClientSeq"] == nil || n["MsgRandom"] == nil || body["MsgKey"] == nil || body["Authentication"] == nil {
		t.Fatalf("join notice lacks ClientSeq/MsgRandom/MsgKey/Authentication: %v", n)
	}
	// handleApplyJoinGroupPendency echoes them; the applicant gets notice 2, everyone tip OpType 1.
	alice.ok("group_open_http_svc", "handle_apply_join_group", fmt.Sprintf(`{"GroupId":%q,"Applicant_Account":"carol","HandleMsg":"Agree","Authentication":%q,"MsgKey":%q,"ApprovalMsg":"welcome","UserDefinedField":""}`,
		gid, body["Authentication"], body["MsgKey"]))
	acc := obj(arr(carol.await(5)["GroupTips"])[0])
	want(t, "accept ReportType", obj(acc["MsgBody"])["ReportType"], 2)
	tip := obj(arr(bob.await(4)["GroupTips"])[0])
	tb := obj(tip["MsgBody"]) // a single object, not an array
	want(t, "tip OpType", tb["OpType"], 1)
	want(t, "tip List_Account", tb["List_Account"], []any{"carol"})
	want(t, "tip MemberNum", tb["MemberNum"], 3)
	// Handling it again is 10024, which webim.js turns into success itself.
	again := alice.call("group_open_http_svc", "handle_apply_join_group", fmt.Sprintf(`{"GroupId":%q,"Applicant_Account":"carol","HandleMsg":"Agree","Authentication":%q,"MsgKey":%q}`, gid, body["Authentication"], body["MsgKey"]))
	want(t, "second handling", *again.ErrorCode, tim.CodeGroupHandled)
	// deleteApplyJoinGroupPendency: deletemsg with MsgSeq = the notice's ClientSeq.
	alice.ok("openim", "deletemsg", fmt.Sprintf(`{"DelMsgList":[{"From_Account":"carol","MsgSeq":%s,"MsgRandom":%s}]}`, num(n["ClientSeq"]), num(n["MsgRandom"])))

	// MODIFY_GROUP_INFO tip: MsgGroupNewInfo must be an object.
	alice.ok("group_open_http_svc", "modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,"Notification":"be kind"}`, gid))
	mt := obj(obj(arr(bob.await(4)["GroupTips"])[0])["MsgBody"])
	want(t, "modify tip OpType", mt["OpType"], 6)
	want(t, "MsgGroupNewInfo.GroupNotification", obj(mt["MsgGroupNewInfo"])["GroupNotification"], "be kind")

	// Custom notice 255 from the owner's own session: UserDefinedField in MsgBody (and at the top).
	alice.ok("group_open_http_svc", "send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"Content":"party at 8"}`, gid))
	c := obj(arr(bob.await(5)["GroupTips"])[0])
	want(t, "255 ReportType", obj(c["MsgBody"])["ReportType"], 255)
	want(t, "255 MsgBody.UserDefinedField", obj(c["MsgBody"])["UserDefinedField"], "party at 8")

	// get_role_in_group, search_group, get_pendency/report_pendency, handle_invite_join_group.
	roles := arr(bob.ok("group_open_http_svc", "get_role_in_group", fmt.Sprintf(`{"GroupId":%q,"User_Account":["alice","bob","dave"]}`, gid))["UserIdList"])
	want(t, "roles", roles, []any{map[string]any{"Member_Account": "alice", "Role": "Owner"},
		map[string]any{"Member_Account": "bob", "Role": "Member"}, map[string]any{"Member_Account": "dave", "Role": "NotMember"}})
	alice.ok("group_open_http_svc", "create_group", `{"Type":"Private","Name":"Tea secrets","MemberList":[]}`)
	found := carol.ok("group_open_http_svc", "search_group", `{"Content":"Tea","PageNum":0,"GroupPerPage":20,"ResponseFilter":{"GroupBasePublicInfoFilter":["Type","Name","Owner_Account","MemberNum"]}}`)
	gi := arr(found["GroupInfo"])
	if len(gi) != 1 {
		t.Fatalf("search_group finds %v, want only the Public group (Private groups are not searchable)", gi)
	}
	want(t, "found", obj(gi[0])["GroupId"], gid)
	want(t, "found MemberNum", obj(gi[0])["MemberNum"], 3)
	want(t, "found ErrorCode (any > 0 fails the demo)", obj(gi[0])["ErrorCode"], 0)
	pend := alice.ok("group_open_http_svc", "get_pendency", `{"StartTime":0,"Limit":10,"Handle_Account":"alice"}`)
	want(t, "pendency handled", obj(arr(pend["PendencyList"])[0])["Handled"], 1)
	alice.ok("group_open_http_svc", "report_pendency", fmt.Sprintf(`{"ReportTime":%d,"From_Account":"alice"}`, f.app.Now().Unix()))
	inv := bob.call("group_open_http_svc", "handle_invite_join_group", fmt.Sprintf(`{"GroupId":%q,"Inviter_Account":"alice","HandleMsg":"Agree","Authentication":"a","MsgKey":"k","ApprovalMsg":"","UserDefinedField":""}`, gid))
	want(t, "invite answer without an invitation", fmt.Sprint(inv.ActionStatus, *inv.ErrorCode), fmt.Sprint("FAIL", tim.CodeGroupBadParam))
	if !strings.Contains(inv.ErrorInfo, "no invitation") {
		t.Errorf("invite answer ErrorInfo %q does not say why", inv.ErrorInfo)
	}
	// Error codes reach the app unchanged: not found, no permission, already a member.
	for _, c := range []struct {
		who  *wim
		cmd  string
		body string
		code int
	}{
		{bob, "quit_group", `{"GroupId":"@TGS#nope"}`, tim.CodeGroupNotFound},
		{bob, "destroy_group", fmt.Sprintf(`{"GroupId":%q}`, gid), tim.CodeGroupNoPermission},
		{carol, "apply_join_group", fmt.Sprintf(`{"GroupId":%q,"ApplyMsg":"","UserDefinedField":""}`, gid), tim.CodeGroupAlreadyMember},
	} {
		r := c.who.call("group_open_http_svc", c.cmd, c.body)
		want(t, c.cmd+" code", fmt.Sprint(r.ActionStatus, *r.ErrorCode), fmt.Sprint("FAIL", c.code))
	}
}

func TestWebIMRelationshipChain(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice, bob := webimLogin(f, "alice"), webimLogin(f, "bob")
	webimLogin(f, "carol")

	// applyAddFriend sends only AddFriendItem: by default the request waits for bob (30539, not a
	// failure: an empty Fail_Account keeps webim.js on cbOk) and bob gets PushType 3.
	r := alice.ok("sns", "friend_add", `{"From_Account":"alice","AddFriendItem":[{"To_Account":"bob","Remark":"Bobby","AddSource":"AddSource_Type_Web","AddWording":"hi, it's alice"}]}`)
	want(t, "ResultItem", r["ResultItem"], []any{map[string]any{"To_Account": "bob", "ResultCode": 30539.0, "ResultInfo": "waiting for the account to answer"}})
	want(t, "Fail_Account", r["Fail_Account"], []any{})
	p := obj(arr(bob.await(7)["FriendListMod"])[0])
	want(t, "PushType", p["PushType"], 3)
	want(t, "PendencyAdd", obj(arr(p["PendencyAdd"])[0])["PendencyAdd_Account"], "alice")
	want(t, "AddWording", obj(arr(p["PendencyAdd"])[0])["AddWording"], "hi, it's alice")

	in := bob.ok("sns", "pendency_get", `{"From_Account":"bob","PendencyType":"Pendency_Type_ComeIn","StartTime":0,"MaxLimited":10,"LastSequence":0}`)
	want(t, "pendency ComeIn", obj(arr(in["PendencyItem"])[0])["To_Account"], "alice")
	out := alice.ok("sns", "pendency_get", `{"From_Account":"alice","PendencyType":"Pendency_Type_SendOut","StartTime":0,"MaxLimited":10,"LastSequence":0}`)
	want(t, "pendency SendOut", obj(arr(out["PendencyItem"])[0])["To_Account"], "bob")
	bob.ok("sns", "PendencyReport", fmt.Sprintf(`{"From_Account":"bob","LatestPendencyTimeStamp":%d}`, f.app.Now().Unix()))

	// responseFriend AgreeAndAdd: friends both ways, PushType 1 to each, PushType 4 to bob.
	bob.ok("sns", "friend_response", `{"From_Account":"bob","ResponseFriendItem":[{"To_Account":"alice","ResponseAction":"Response_Action_AgreeAndAdd","Remark":"Ali"}]}`)
	want(t, "alice FriendAdd_Account", obj(arr(alice.await(7, pushType(1))["FriendListMod"])[0])["FriendAdd_Account"], []any{"bob"})
	var kinds []any
	for range 3 {
		for _, e := range bob.poll() {
			for _, it := range arr(e["FriendListMod"]) {
				kinds = append(kinds, obj(it)["PushType"])
			}
		}
	}
	want(t, "bob's PushTypes", kinds, []any{1.0, 4.0})
	all := alice.ok("sns", "friend_get_all", `{"From_Account":"alice","TimeStamp":0,"StartIndex":0,"GetCount":100,"LastStandardSequence":0,"TagList":["Tag_Profile_IM_Nick"]}`)
	want(t, "friends", obj(arr(all["InfoItem"])[0])["Info_Account"], "bob")
	again := bob.call("sns", "friend_response", `{"From_Account":"bob","ResponseFriendItem":[{"To_Account":"alice","ResponseAction":"Response_Action_Agree"}]}`)
	want(t, "answering twice fails (webim.js: 99999 from Fail_Account)", fmt.Sprint(arr(again.raw["Fail_Account"])), "[alice]")

	// setProfilePortrait: the friend gets Event 8 ProfileDataMod with the changed items.
	alice.ok("profile", "portrait_set", `{"From_Account":"alice","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"Alice L."}]}`)
	pm := obj(arr(bob.await(8)["ProfileDataMod"])[0])
	want(t, "PushType", pm["PushType"], 1)
	want(t, "Profile_Account", pm["Profile_Account"], "alice")
	want(t, "ProfileList", pm["ProfileList"], []any{map[string]any{"Tag": "Tag_Profile_IM_Nick", "Value": "Alice L."}})
	got := bob.ok("profile", "portrait_get", `{"From_Account":"bob","To_Account":["alice"],"TagList":["Tag_Profile_IM_Nick"]}`)
	want(t, "nick", obj(arr(obj(arr(got["UserProfileItem"])[0])["ProfileItem"])[0])["Value"], "Alice L.")
	unknown := bob.call("profile", "portrait_get", `{"From_Account":"bob","To_Account":["ghost"],"TagList":["Tag_Profile_IM_Nick"]}`)
	want(t, "portrait_get of an unknown account lists it in Fail_Account", unknown.raw["Fail_Account"], []any{"ghost"})

	// friend_delete (Delete_Type_Both): PushType 2 to both.
	alice.ok("sns", "friend_delete", `{"From_Account":"alice","To_Account":["bob"],"DeleteType":"Delete_Type_Both"}`)
	want(t, "bob FriendDel_Account", obj(arr(bob.await(7, pushType(2))["FriendListMod"])[0])["FriendDel_Account"], []any{"alice"})
	if len(f.app.Friends("bob")) != 0 {
		t.Errorf("bob still has friends: %v", f.app.Friends("bob"))
	}

	// Blacklist: add (PushType 5), a friend request to the blocked fails, delete (PushType 6).
	alice.ok("sns", "black_list_add", `{"From_Account":"alice","To_Account":["carol"]}`)
	want(t, "BlackListAdd_Account", obj(arr(alice.await(7, pushType(5))["FriendListMod"])[0])["BlackListAdd_Account"], []any{"carol"})
	bl := alice.ok("sns", "black_list_get", `{"From_Account":"alice","StartIndex":0,"MaxLimited":30,"LastSequence":0}`)
	want(t, "blacklist", obj(arr(bl["BlackListItem"])[0])["To_Account"], "carol")
	blocked := alice.call("sns", "friend_add", `{"From_Account":"alice","AddFriendItem":[{"To_Account":"carol","AddSource":"AddSource_Type_Web"}]}`)
	want(t, "adding the blocked", obj(arr(blocked.raw["ResultItem"])[0])["ResultCode"], tim.CodeSNSInMyBlack)
	want(t, "adding the blocked Fail_Account", blocked.raw["Fail_Account"], []any{"carol"})
	alice.ok("sns", "black_list_delete", `{"From_Account":"alice","To_Account":["carol"]}`)
	want(t, "BlackListDel_Account", obj(arr(alice.await(7, pushType(6))["FriendListMod"])[0])["BlackListDel_Account"], []any{"carol"})

	// deletePendency: a request to carol, withdrawn by alice (SendOut): PushType 4 to alice.
	alice.ok("sns", "friend_add", `{"From_Account":"alice","AddFriendItem":[{"To_Account":"carol","AddSource":"AddSource_Type_Web"}]}`)
	alice.ok("sns", "pendency_delete", `{"From_Account":"alice","PendencyType":"Pendency_Type_SendOut","To_Account":["carol"]}`)
	want(t, "FrienPencydDel_Account", obj(arr(alice.await(7, pushType(4))["FriendListMod"])[0])["FrienPencydDel_Account"], []any{"carol"})
	if len(f.app.FriendPendencies("carol", true)) != 0 {
		t.Errorf("carol still has the request")
	}
	// Profiles that accept anyone become friends at once.
	if err := f.app.SetProfile("carol", []state.ProfileItem{{Field: state.FieldAllowType, Value: state.AllowAny}}); err != nil {
		t.Fatal(err)
	}
	direct := bob.ok("sns", "friend_add", `{"From_Account":"bob","AddFriendItem":[{"To_Account":"carol","AddSource":"AddSource_Type_Web"}]}`)
	want(t, "AllowAny ResultCode", obj(arr(direct["ResultItem"])[0])["ResultCode"], 0)
	want(t, "bob's friends", len(f.app.Friends("bob")), 1)
}

func pngBytes(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{R: uint8(x), A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWebIMImageUpload(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: appID, Secret: secret})
	h := tim.New(apps{appID: app}, tim.Options{Hold: 30 * time.Millisecond})
	mux := http.NewServeMux()
	mux.Handle("/v4/", h)
	mux.Handle("/v3/", h)
	mux.Handle("GET "+tim.FilesPath, h.Files())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := &fixture{t: t, srv: srv, app: app, stop: func() {}}
	alice := webimLogin(f, "alice")

	pic := pngBytes(t, 37, 21)
	half := len(pic) / 2
	slice := func(off, n int) string {
		return fmt.Sprintf(`{"App_Version":"2.1","From_Account":"alice","To_Account":"bob","Seq":5,"Timestamp":1,"Random":77,"File_Str_Md5":"","File_Size":%d,"File_Type":1,"Server_Ver":1,"Auth_Key":"authkey-1","Busi_Id":2,"PkgFlag":1,"Slice_Offset":%d,"Slice_Size":%d,"Slice_Data":%q,"content_type":"application/x-www-form-urlencoded"}`,
			len(pic), off, n, base64.StdEncoding.EncodeToString(pic[off:off+n]))
	}
	first := alice.ok("openpic", "pic_up", slice(0, half))
	want(t, "IsFinish after the first slice", first["IsFinish"], 0)
	want(t, "Next_Offset", first["Next_Offset"], half)
	// A slice out of order is refused, not stored.
	gap := alice.call("openpic", "pic_up", slice(half+1, len(pic)-half-1))
	want(t, "slice out of order", gap.ActionStatus, "FAIL")
	done := alice.ok("openpic", "pic_up", slice(half, len(pic)-half))
	want(t, "IsFinish", done["IsFinish"], 1)
	uuid, _ := done["File_UUID"].(string)
	infos := arr(done["URL_INFO"])
	if uuid == "" || len(infos) != 3 {
		t.Fatalf("pic_up reply: %v", done)
	}
	var types []any
	for _, x := range infos {
		i := obj(x)
		types = append(types, i["PIC_TYPE"])
		want(t, "PIC_Width", i["PIC_Width"], 37)
		want(t, "PIC_Height", i["PIC_Height"], 21)
		want(t, "PIC_Size", i["PIC_Size"], len(pic))
	}
	want(t, "PIC_TYPEs (original, thumbnail, large)", types, []any{1.0, 2.0, 4.0})
	resp, err := http.Get(obj(infos[0])["DownUrl"].(string))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, pic) {
		t.Fatalf("download: HTTP %d, %d bytes (want the %d uploaded)", resp.StatusCode, len(got), len(pic))
	}
	dl := alice.ok("openpic", "apply_download", fmt.Sprintf(`{"From_Account":"alice","To_Account":"bob","os_platform":10,"Timestamp":"1","Random":"2","request_info":[{"busi_id":2,"download_flag":0,"type":1,"uuid":%q,"version":1,"auth_key":"k","ip":"127.0.0.1"}]}`, uuid))
	want(t, "error_code", dl["error_code"], 0)
	want(t, "response_info.url", obj(dl["response_info"])["url"], obj(infos[0])["DownUrl"])
	missing := alice.call("openpic", "apply_download", `{"request_info":[{"uuid":"nope"}]}`)
	want(t, "apply_download of an unknown uuid", missing.ActionStatus, "FAIL")
	if r, _ := http.Get(srv.URL + tim.FilesPath + strconv.Itoa(appID) + "/nope"); r != nil {
		want(t, "unknown file", r.StatusCode, 404)
		r.Body.Close()
	}
	// md5 checked when given.
	badMD5 := strings.Replace(slice(0, len(pic)), `"Seq":5`, `"Seq":6`, 1)
	badMD5 = strings.Replace(badMD5, `"File_Str_Md5":""`, `"File_Str_Md5":"00000000000000000000000000000000"`, 1)
	want(t, "md5 mismatch", alice.call("openpic", "pic_up", badMD5).ActionStatus, "FAIL")
}

func TestWebIMAVChatRoomPolling(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice, bob := webimLogin(f, "alice"), webimLogin(f, "bob")
	gid := alice.ok("group_open_http_svc", "create_group", `{"Type":"AVChatRoom","Name":"Live","MemberList":[]}`)["GroupId"].(string)

	// Not logged in: the noauth service, only the sdkappid in the query.
	anon := fmt.Sprintf("websdkappid=537048168&v=1.7.3&platform=10&sdkappid=%d&accounttype=1&apn=1&reqtime=1", appID)
	j := f.post("/v1/group_open_http_noauth_svc/apply_join_group", anon, fmt.Sprintf(`{"GroupId":%q}`, gid))
	want(t, "anonymous JoinedStatus", j.raw["JoinedStatus"], "JoinedSuccess")
	key, _ := j.raw["LongPollingKey"].(string)
	if key == "" {
		t.Fatalf("no LongPollingKey (webim.js reports -12 'not AVChatRoom' without it): %v", j.raw)
	}
	if m, _ := f.app.GroupMembers("alice", gid); len(m) != 1 {
		t.Errorf("an anonymous viewer became a member: %v", m)
	}
	// Logged in: the member join carries a key too; a non-AVChatRoom join does not.
	mj := bob.ok("group_open_http_svc", "apply_join_group", fmt.Sprintf(`{"GroupId":%q,"ApplyMsg":"","UserDefinedField":""}`, gid))
	if mj["LongPollingKey"] == nil {
		t.Errorf("member join of an AVChatRoom without LongPollingKey: %v", mj)
	}
	pub := alice.ok("group_open_http_svc", "create_group", `{"Type":"Public","Name":"P","MemberList":[],"ApplyJoinOption":"FreeAccess"}`)["GroupId"].(string)
	if pj := bob.ok("group_open_http_svc", "apply_join_group", fmt.Sprintf(`{"GroupId":%q}`, pub)); pj["LongPollingKey"] != nil {
		t.Errorf("a Public group join carries a LongPollingKey: %v", pj)
	}

	// First poll (no StartSeq): nothing yet, answered after the hold with NextSeq, HoldTime, Key.
	poll := func(start any) reply {
		return f.post("/v1/group_open_long_polling_http_noauth_svc/get_msg", anon, fmt.Sprintf(`{"USP":1,"StartSeq":%s,"HoldTime":90,"Key":%q}`, num(start), key))
	}
	p0 := f.post("/v1/group_open_long_polling_http_noauth_svc/get_msg", anon, fmt.Sprintf(`{"USP":1,"HoldTime":90,"Key":%q}`, key))
	want(t, "idle get_msg", p0.ActionStatus, "OK")
	want(t, "idle RspMsgList", len(arr(p0.raw["RspMsgList"])), 0)
	if p0.raw["NextSeq"] == nil || p0.raw["HoldTime"] == nil || p0.raw["Key"] != key {
		t.Fatalf("get_msg must always return NextSeq, HoldTime and Key (the SDK copies them blindly): %v", p0.raw)
	}
	for _, s := range []string{"one", "two"} {
		alice.ok("group_open_http_svc", "send_group_msg", fmt.Sprintf(`{"GroupId":%q,"From_Account":"alice","Random":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}`, gid, len(s), s))
	}
	p1 := poll(p0.raw["NextSeq"])
	items := arr(p1.raw["RspMsgList"])
	if len(items) != 2 {
		t.Fatalf("get_msg after two messages: %v", p1.raw)
	}
	// Newest first: webim.js walks the list backwards.
	want(t, "newest first", obj(obj(arr(obj(items[0])["MsgBody"])[0])["MsgContent"])["Text"], "two")
	for _, it := range items {
		want(t, "item Event", obj(it)["Event"], 3)
		if obj(obj(it)["GroupInfo"]) == nil || obj(it)["From_Account"] != "alice" {
			t.Errorf("room item lacks GroupInfo or From_Account: %v", it)
		}
	}
	want(t, "NextSeq moves past them", p1.raw["NextSeq"], obj(items[0])["MsgSeq"].(float64)+1)
	bad := f.post("/v1/group_open_long_polling_http_noauth_svc/get_msg", anon, `{"USP":1,"StartSeq":0,"HoldTime":90,"Key":"forged"}`)
	want(t, "unknown key", fmt.Sprint(bad.ActionStatus, *bad.ErrorCode), fmt.Sprint("FAIL", tim.CodeGroupBadParam))
	nq := f.post("/v1/group_open_http_noauth_svc/quit_group", anon, fmt.Sprintf(`{"GroupId":%q}`, gid))
	want(t, "anonymous quit", nq.ActionStatus, "OK")
}

// The 1.3 manual's member and profile calls with the bodies webim.js 1.7 builds from its options.
func TestWebIMGroupMemberCalls(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice, bob := webimLogin(f, "alice"), webimLogin(f, "bob")
	webimLogin(f, "carol")
	g := alice.ok("group_open_http_svc", "create_group", `{"Type":"Private","Name":"Crew","MemberList":[{"Member_Account":"bob"}]}`)["GroupId"].(string)
	pub := alice.ok("group_open_http_svc", "create_group", `{"Type":"Public","Name":"Hall","MemberList":[{"Member_Account":"bob"},{"Member_Account":"carol"}]}`)["GroupId"].(string)

	add := bob.ok("group_open_http_svc", "add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"carol"}]}`, g))
	want(t, "add_group_member MemberList", add["MemberList"], []any{map[string]any{"Member_Account": "carol", "Result": 1.0}})

	joined := bob.ok("group_open_http_svc", "get_joined_group_list", `{"Member_Account":"bob","Limit":10,"Offset":0,"ResponseFilter":{"GroupBaseInfoFilter":["Type","Name","MemberNum","NextMsgSeq"],"SelfInfoFilter":["Role","UnreadMsgNum"]}}`)
	want(t, "TotalCount", joined["TotalCount"], 2)
	first := obj(arr(joined["GroupIdList"])[0])
	want(t, "joined Name", first["Name"], "Crew")
	want(t, "joined MemberNum", first["MemberNum"], 3)
	want(t, "joined SelfInfo.Role", obj(first["SelfInfo"])["Role"], "Member")
	if first["NextMsgSeq"] == nil {
		t.Errorf("get_joined_group_list without NextMsgSeq (the login chain reads it): %v", first)
	}

	info := bob.ok("group_open_http_svc", "get_group_info", fmt.Sprintf(`{"GroupIdList":[%q],"ResponseFilter":{"GroupBaseInfoFilter":["Name","Owner_Account"],"MemberInfoFilter":["Role"]}}`, g))
	gi := obj(arr(info["GroupInfo"])[0])
	want(t, "get_group_info ErrorCode", gi["ErrorCode"], 0)
	want(t, "get_group_info Owner_Account", gi["Owner_Account"], "alice")
	want(t, "get_group_info members", len(arr(gi["MemberList"])), 3)
	// webim.js 1.x passes the filter at the top level for public info.
	pi := bob.ok("group_open_http_svc", "get_group_public_info", fmt.Sprintf(`{"GroupIdList":[%q],"ResponseFilter":{"GroupBasePublicInfoFilter":["Name","MemberNum"]}}`, pub))
	want(t, "public MemberNum", obj(arr(pi["GroupInfo"])[0])["MemberNum"], 3)
	mem := bob.ok("group_open_http_svc", "get_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Offset":0,"Limit":10,"MemberInfoFilter":["Role"],"MemberRoleFilter":["Owner","Member"]}`, pub))
	want(t, "member MemberNum", mem["MemberNum"], 3)

	// modifyGroupMember sends only the truthy fields; forbidSendMsg names Members_Account.
	alice.ok("group_open_http_svc", "modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"bob","Role":"Admin"}`, pub))
	alice.ok("group_open_http_svc", "modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"bob","NameCard":"B."}`, pub))
	alice.ok("group_open_http_svc", "forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["carol"],"ShutUpTime":60}`, pub))
	m := webimLogin(f, "carol")
	r := m.call("group_open_http_svc", "send_group_msg", fmt.Sprintf(`{"GroupId":%q,"From_Account":"carol","Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}],"MsgPriority":"COMMON"}`, pub))
	want(t, "muted send", fmt.Sprint(r.ActionStatus, *r.ErrorCode), fmt.Sprint("FAIL", tim.CodeGroupMuted))
	alice.ok("group_open_http_svc", "forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["carol"],"ShutUpTime":0}`, pub))
	m.ok("group_open_http_svc", "send_group_msg", fmt.Sprintf(`{"GroupId":%q,"From_Account":"carol","Random":2,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"y"}}],"MsgPriority":"COMMON"}`, pub))
	bob.ok("group_open_http_svc", "msg_read_report", fmt.Sprintf(`{"GroupId":%q,"MsgReadedSeq":1}`, pub))

	alice.ok("group_open_http_svc", "delete_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":["carol"],"Reason":"bye"}`, pub))
	alice.ok("group_open_http_svc", "change_group_owner", fmt.Sprintf(`{"GroupId":%q,"NewOwner_Account":"bob"}`, pub))
	roles := arr(alice.ok("group_open_http_svc", "get_role_in_group", fmt.Sprintf(`{"GroupId":%q,"User_Account":["alice","bob","carol"]}`, pub))["UserIdList"])
	want(t, "roles after the handover", roles, []any{map[string]any{"Member_Account": "alice", "Role": "Member"},
		map[string]any{"Member_Account": "bob", "Role": "Owner"}, map[string]any{"Member_Account": "carol", "Role": "NotMember"}})
	alice.ok("group_open_http_svc", "quit_group", fmt.Sprintf(`{"GroupId":%q}`, pub))
	bob.ok("group_open_http_svc", "destroy_group", fmt.Sprintf(`{"GroupId":%q}`, pub))
	gone := bob.call("group_open_http_svc", "get_group_public_info", fmt.Sprintf(`{"GroupIdList":[%q],"ResponseFilter":{"GroupBasePublicInfoFilter":["Name"]}}`, pub))
	want(t, "public info of a destroyed group (an item ErrorCode > 0 fails the SDK's call)", obj(arr(gone.raw["GroupInfo"])[0])["ErrorCode"], tim.CodeGroupNotFound)

	// Recent contacts and deleteChat (recentcontact/delete, Type 1 with To_Account).
	bob.ok("openim", "sendmsg", `{"From_Account":"bob","To_Account":"alice","MsgTimeStamp":1,"MsgSeq":1,"MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`)
	rc := alice.ok("recentcontact", "get", `{"From_Account":"alice","Count":10}`)
	var peers []any
	for _, it := range arr(rc["SessionItem"]) {
		peers = append(peers, obj(it)["To_Account"])
	}
	want(t, "recent contacts", peers, []any{"bob"})
	alice.ok("recentcontact", "delete", `{"From_Account":"alice","Type":1,"To_Account":"bob"}`)
	for _, it := range arr(alice.ok("recentcontact", "get", `{"From_Account":"alice","Count":10}`)["SessionItem"]) {
		if obj(it)["To_Account"] == "bob" {
			t.Errorf("deleteChat left the conversation: %v", it)
		}
	}
	// logoutAll: openim/logout {} ends the session.
	alice.ok("openim", "logout", `{}`)
	after := alice.call("openim", "getmsg", `{"Cookie":"","SyncFlag":0}`)
	want(t, "after logout", fmt.Sprint(after.ActionStatus, *after.ErrorCode), "FAIL20002")
}
