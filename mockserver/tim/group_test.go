package tim_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/mockserver/usersig"
)

// The cast of the group tests: olivia owns, adam is an admin (Public/ChatRoom), mia and max are
// members, otto and pat are outsiders.
var cast = []string{"olivia", "adam", "mia", "max", "otto", "pat"}

type groupFixture struct {
	*fixture
	s map[string]session
}

func newGroupFixture(t *testing.T) *groupFixture {
	f := &groupFixture{fixture: newFixture(t, tim.Options{Hold: 2 * time.Second}), s: map[string]session{}}
	for _, u := range cast {
		f.s[u] = f.login(u)
	}
	return f
}

// call posts a group_open_http_svc command (or another service's, when cmd has a '/').
func (f *groupFixture) call(who, cmd, body string) reply {
	f.t.Helper()
	if !strings.Contains(cmd, "/") {
		cmd = "group_open_http_svc/" + cmd
	}
	return f.post("/v4/"+cmd, f.s[who].q()+"&accounttype=1", body)
}

// ok posts and fails the test unless the reply is OK.
func (f *groupFixture) ok(who, cmd, body string) reply {
	f.t.Helper()
	r := f.call(who, cmd, body)
	if *r.ErrorCode != 0 || r.ActionStatus != "OK" {
		f.t.Fatalf("%s %s %s: %d %s", who, cmd, body, *r.ErrorCode, r.ErrorInfo)
	}
	return r
}

// admin posts a REST call as the app administrator (identifier + usersig, no session).
func (f *groupFixture) admin(cmd, body string) reply {
	f.t.Helper()
	sig, err := usersig.Generate(appID, secret, state.DefaultAdminID, time.Hour, f.app.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return f.post("/v4/group_open_http_svc/"+cmd, fmt.Sprintf("sdkappid=%d&identifier=%s&usersig=%s&random=1&contenttype=json", appID, state.DefaultAdminID, sig), body)
}

// group creates a group of typ owned by olivia with the cast (adam as admin where groups have
// admins); extra is merged into the create_group body.
func (f *groupFixture) group(typ, extra string) string {
	f.t.Helper()
	adam := `{"Member_Account":"adam","Role":"Admin"}`
	if typ == "Private" {
		adam = `"adam"`
	}
	body := fmt.Sprintf(`{"Type":%q,"Name":"g1","Owner_Account":"olivia","MemberList":[%s,{"Member_Account":"mia"},{"Member_Account":"max"}]%s}`, typ, adam, extra)
	return f.ok("olivia", "create_group", body).raw["GroupId"].(string)
}

type queueMarks map[string]int

func (f *groupFixture) mark() queueMarks {
	m := queueMarks{}
	for _, u := range cast {
		m[u] = len(f.app.EventsOf(u))
	}
	return m
}

// news names what each user's queue got since m: "tip1", "notice7", "msg", "recall".
func (f *groupFixture) news(m queueMarks) map[string][]string {
	out := map[string][]string{}
	for _, u := range cast {
		for _, e := range f.app.EventsOf(u)[m[u]:] {
			var k string
			switch e.Kind {
			case state.EvGroupTip:
				k = fmt.Sprintf("tip%d", e.Tip.Type)
			case state.EvGroupNotice:
				k = fmt.Sprintf("notice%d", e.Notice.Type)
			case state.EvGroupMessage:
				k = "msg"
			case state.EvGroupRecall:
				k = "recall"
			default:
				k = fmt.Sprint("kind", e.Kind)
			}
			out[u] = append(out[u], k)
		}
	}
	return out
}

// pendingTokens reads the application's tokens the way an SDK would: from get_pendency.
func (f *groupFixture) pendingTokens(handler, applicant string) (auth, key string) {
	f.t.Helper()
	r := f.ok(handler, "get_pendency", fmt.Sprintf(`{"StartTime":0,"Limit":10,"Handle_Account":%q}`, handler))
	for _, p := range r.raw["PendencyList"].([]any) {
		p := p.(map[string]any)
		if p["From_Account"] == applicant && p["Handled"].(float64) == 0 {
			return p["Authentication"].(string), p["MsgKey"].(string)
		}
	}
	f.t.Fatalf("no pending application of %s for %s: %v", applicant, handler, r.raw)
	return "", ""
}

// Every tip (1–7) and notice (1–11, 255) driven through the handlers: exactly these users' queues
// get it, and nobody else's.
func TestGroupEventReceiversHTTP(t *testing.T) {
	all := func(k ...string) map[string][]string {
		return map[string][]string{"olivia": k, "adam": k, "mia": k, "max": k}
	}
	with := func(m map[string][]string, u string, k ...string) map[string][]string {
		m[u] = k
		return m
	}
	cases := []struct {
		name  string
		typ   string
		extra string
		setup func(f *groupFixture, g string)
		do    func(f *groupFixture, g string)
		want  map[string][]string
	}{
		{name: "notice 6 to the creator, notice 7 to the initial members", typ: "Public",
			do: func(f *groupFixture, g string) {
				f.ok("mia", "create_group", `{"Type":"Private","Name":"p","MemberList":[{"Member_Account":"max"}]}`)
			},
			want: map[string][]string{"mia": {"notice6"}, "max": {"notice7"}}},
		{name: "tip 1 and notice 7: invited into a Private group", typ: "Private",
			do: func(f *groupFixture, g string) {
				f.ok("mia", "add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"otto"}]}`, g))
			},
			want: with(all("tip1"), "otto", "notice7", "tip1")},
		{name: "tip 1: free join", typ: "Public", extra: `,"ApplyJoinOption":"FreeAccess"`,
			do: func(f *groupFixture, g string) {
				r := f.ok("otto", "apply_join_group", fmt.Sprintf(`{"GroupId":%q,"ApplyMsg":"hi"}`, g))
				if r.raw["JoinedStatus"] != "JoinedSuccess" {
					f.t.Errorf("JoinedStatus %v", r.raw["JoinedStatus"])
				}
			},
			want: with(all("tip1"), "otto", "tip1")},
		{name: "notice 1: application (owner and admins)", typ: "Public",
			do: func(f *groupFixture, g string) {
				r := f.ok("pat", "apply_join_group", fmt.Sprintf(`{"GroupId":%q,"ApplyMsg":"hi","UserDefinedField":"u"}`, g))
				if r.raw["JoinedStatus"] != "WaitAdminApproval" {
					f.t.Errorf("JoinedStatus %v", r.raw["JoinedStatus"])
				}
			},
			want: map[string][]string{"olivia": {"notice1"}, "adam": {"notice1"}}},
		{name: "notice 2 and tip 1: application accepted", typ: "Public",
			setup: func(f *groupFixture, g string) {
				f.ok("pat", "apply_join_group", fmt.Sprintf(`{"GroupId":%q,"ApplyMsg":"hi"}`, g))
			},
			do: func(f *groupFixture, g string) {
				auth, key := f.pendingTokens("adam", "pat")
				f.ok("adam", "handle_apply_join_group", fmt.Sprintf(`{"GroupId":%q,"Applicant_Account":"pat","HandleMsg":"Agree","ApprovalMsg":"welcome","Authentication":%q,"MsgKey":%q}`, g, auth, key))
			},
			want: with(all("tip1"), "pat", "notice2", "tip1")},
		{name: "notice 3: application refused", typ: "Public",
			setup: func(f *groupFixture, g string) {
				f.ok("pat", "apply_join_group", fmt.Sprintf(`{"GroupId":%q,"ApplyMsg":"hi"}`, g))
			},
			do: func(f *groupFixture, g string) {
				auth, key := f.pendingTokens("olivia", "pat")
				f.ok("olivia", "handle_apply_join_group", fmt.Sprintf(`{"GroupId":%q,"Applicant_Account":"pat","HandleMsg":"Reject","ApprovalMsg":"no","Authentication":%q,"MsgKey":%q}`, g, auth, key))
			},
			want: map[string][]string{"pat": {"notice3"}}},
		{name: "tip 2 and notice 8: quit", typ: "Public",
			do:   func(f *groupFixture, g string) { f.ok("max", "quit_group", fmt.Sprintf(`{"GroupId":%q}`, g)) },
			want: map[string][]string{"olivia": {"tip2"}, "adam": {"tip2"}, "mia": {"tip2"}, "max": {"notice8"}}},
		{name: "tip 3 and notice 4: kicked", typ: "Public",
			do: func(f *groupFixture, g string) {
				f.ok("adam", "delete_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":["max"],"Reason":"spam"}`, g))
			},
			want: map[string][]string{"olivia": {"tip3"}, "adam": {"tip3"}, "mia": {"tip3"}, "max": {"notice4"}}},
		{name: "tip 4 and notice 9: admin set", typ: "Public",
			do: func(f *groupFixture, g string) {
				f.ok("olivia", "modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"mia","Role":"Admin"}`, g))
			},
			want: with(all("tip4"), "mia", "tip4", "notice9")},
		{name: "tip 5 and notice 10: admin cancelled", typ: "ChatRoom",
			do: func(f *groupFixture, g string) {
				f.ok("olivia", "modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"adam","Role":"Member"}`, g))
			},
			want: with(all("tip5"), "adam", "tip5", "notice10")},
		{name: "tip 6: profile changed", typ: "Public",
			do: func(f *groupFixture, g string) {
				f.ok("adam", "modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,"Name":"g2","Notification":"n","ShutUpAllMember":"On","AppDefinedData":[{"Key":"k","Value":"v"}]}`, g))
			},
			want: all("tip6")},
		{name: "tip 6: owner changed", typ: "Public",
			do: func(f *groupFixture, g string) {
				f.ok("olivia", "change_group_owner", fmt.Sprintf(`{"GroupId":%q,"NewOwner_Account":"mia"}`, g))
			},
			want: all("tip6")},
		{name: "tip 7: forbid_send_msg", typ: "Public",
			do: func(f *groupFixture, g string) {
				f.ok("adam", "forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["mia","max"],"ShutUpTime":600}`, g))
			},
			want: all("tip7")},
		{name: "tip 7: ShutUpTime by modify_group_member_info", typ: "Public",
			do: func(f *groupFixture, g string) {
				f.ok("olivia", "modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"adam","ShutUpTime":60}`, g))
			},
			want: all("tip7")},
		{name: "notice 5: dismissed", typ: "Public",
			do:   func(f *groupFixture, g string) { f.ok("olivia", "destroy_group", fmt.Sprintf(`{"GroupId":%q}`, g)) },
			want: all("notice5")},
		{name: "notice 11: reclaimed", typ: "Public",
			do: func(f *groupFixture, g string) {
				if err := f.app.ReclaimGroup(g); err != nil {
					f.t.Fatal(err)
				}
			},
			want: all("notice11")},
		{name: "notice 255: to every member", typ: "Public",
			do: func(f *groupFixture, g string) {
				if r := f.admin("send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"Content":"hello"}`, g)); *r.ErrorCode != 0 {
					f.t.Fatalf("%d %s", *r.ErrorCode, r.ErrorInfo)
				}
			},
			want: all("notice255")},
		{name: "notice 255: to listed members", typ: "Public",
			do: func(f *groupFixture, g string) {
				if r := f.admin("send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"ToMembers_Account":["adam","otto"],"Content":"psst"}`, g)); *r.ErrorCode != 0 {
					f.t.Fatalf("%d %s", *r.ErrorCode, r.ErrorInfo)
				}
			},
			want: map[string][]string{"adam": {"notice255"}}},
		{name: "Event 3: every member, sender included", typ: "Public",
			do: func(f *groupFixture, g string) {
				f.ok("mia", "send_group_msg", fmt.Sprintf(`{"GroupId":%q,"From_Account":"mia","Random":5,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`, g))
			},
			want: all("msg")},
		{name: "recall: every member", typ: "Public",
			setup: func(f *groupFixture, g string) {
				f.ok("mia", "send_group_msg", fmt.Sprintf(`{"GroupId":%q,"Random":5,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`, g))
			},
			do: func(f *groupFixture, g string) {
				r := f.ok("mia", "group_msg_recall", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":1}]}`, g))
				if b, _ := json.Marshal(r.raw["RecallRetList"]); string(b) != `[{"MsgSeq":1,"RetCode":0}]` {
					f.t.Errorf("RecallRetList %s", b)
				}
			},
			want: all("recall")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newGroupFixture(t)
			g := f.group(c.typ, c.extra)
			if c.setup != nil {
				c.setup(f, g)
			}
			m := f.mark()
			c.do(f, g)
			got := f.news(m)
			for _, u := range cast {
				if !slices.Equal(got[u], c.want[u]) {
					t.Errorf("%s got %v, want %v", u, got[u], c.want[u])
				}
			}
		})
	}
}

// The wire shapes of Event 3/4/5 as the long poll delivers them, read by a live long poll.
func TestGroupEventWire(t *testing.T) {
	f := newGroupFixture(t)
	if err := f.app.SetProfile("adam", []state.ProfileItem{{Field: state.FieldNick, Value: "Adam A."}, {Field: state.FieldAvatar, Value: "http://a/face"}}); err != nil {
		t.Fatal(err)
	}
	g := f.group("Public", "")
	lp := map[string]string{}
	for _, u := range []string{"mia", "olivia"} {
		lp[u] = f.post("/v4/openim/getlongpollingid", f.s[u].q(), `{}`).raw["LongPollingId"].(string)
	}
	next := map[string]uint64{}
	// pollAll answers the user's pending events as items, each with its Event number.
	pollAll := func(u string) []map[string]any {
		t.Helper()
		r := f.post("/v4/openim/longpolling", f.s[u].q(), fmt.Sprintf(`{"Cookie":{"NotifySeq":0,"NoticeSeq":%d,"LongPollingId":%q}}`, next[u], lp[u]))
		var out []map[string]any
		arr, _ := r.raw["EventArray"].([]any)
		for _, ev := range arr {
			ev := ev.(map[string]any)
			for _, k := range []string{"GroupMsgArray", "GroupTips"} {
				items, _ := ev[k].([]any)
				if v, ok := ev[k]; ok && len(items) != 1 {
					t.Fatalf("%s: want one item per event, got %v", u, v)
				}
				for _, it := range items {
					it := it.(map[string]any)
					next[u] = uint64(it["NoticeSeq"].(float64))
					it["Event"] = ev["Event"]
					out = append(out, it)
				}
			}
		}
		return out
	}
	pollOne := func(u string) map[string]any {
		t.Helper()
		items := pollAll(u)
		if len(items) != 1 {
			t.Fatalf("%s: want one event, got %v", u, items)
		}
		return items[0]
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	// Event 3: the sender's nick and face in GroupInfo, the request's Random as MsgRandom.
	send := f.ok("adam", "send_group_msg", fmt.Sprintf(`{"GroupId":%q,"From_Account":"adam","Random":4242,"ClientSeq":9,"MsgPriority":"Normal","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}],"OnlineOnlyFlag":0}`, g))
	if send.raw["MsgSeq"].(float64) != 1 || send.raw["MsgTime"] == nil {
		t.Fatalf("send_group_msg reply %v", send.raw)
	}
	m := pollOne("mia")
	want := fmt.Sprintf(`{"ClientSeq":9,"Event":3,"From_Account":"adam","GroupInfo":{"From_AccountHeadurl":"http://a/face","From_AccountNick":"Adam A.","GroupId":%q,"GroupName":"g1"},"MsgBody":[{"MsgContent":{"Text":"hi"},"MsgType":"TIMTextElem"}],"MsgPriority":"Normal","MsgRandom":4242,"MsgSeq":1,"MsgTimeStamp":%d,"NoticeSeq":2,"ToGroupId":%q}`, g, f.app.Now().Unix(), g)
	if js(m) != want {
		t.Errorf("Event 3:\n got %s\nwant %s", js(m), want)
	}

	// Event 4, tip 7: MsgBody is an object; GroupInfo names the group and the receiver.
	f.ok("adam", "forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["max"],"ShutUpTime":600}`, g))
	tip := pollOne("mia")
	want = fmt.Sprintf(`{"Event":4,"From_Account":"adam","GroupInfo":{"From_Account":"adam","From_AccountNick":"Adam A.","GroupId":%q,"GroupName":"g1","To_Account":"mia"},"MsgBody":{"List_Account":["max"],"MsgMemberInfo":[{"ShutupTime":600,"User_Account":"max"}],"MsgOperatorMemberExtraInfo":{"ImageUrl":"http://a/face","NickName":"Adam A."},"OpType":7,"Operator_Account":"adam"},"MsgRandom":%d,"MsgSeq":2,"MsgTimeStamp":%d,"NoticeSeq":3,"ToGroupId":%q}`,
		g, int64(tip["MsgRandom"].(float64)), f.app.Now().Unix(), g)
	if js(tip) != want {
		t.Errorf("Event 4 tip 7:\n got %s\nwant %s", js(tip), want)
	}

	// Tip 6: only the changed fields, in the SDK's MsgGroupNewInfo names.
	f.ok("adam", "modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,"Name":"g2","Introduction":"i","FaceUrl":"http://g","ShutUpAllMember":"On","AppDefinedData":[{"Key":"k","Value":"v"}]}`, g))
	tip = pollOne("mia")
	if got := js(tip["MsgBody"]); got != `{"MsgGroupNewInfo":{"GroupFaceUrl":"http://g","GroupIntroduction":"i","GroupName":"g2","MsgAppDefinedData":[{"Key":"k","Value":"v"}],"ShutUpAllMember":"On"},"MsgOperatorMemberExtraInfo":{"ImageUrl":"http://a/face","NickName":"Adam A."},"OpType":6,"Operator_Account":"adam"}` {
		t.Errorf("tip 6 body %s", got)
	}
	if gi := tip["GroupInfo"].(map[string]any); gi["GroupName"] != "g2" {
		t.Errorf("tip 6 GroupInfo %v", gi)
	}

	// Tip 1 (free join is off: root invites) carries List_Account and MemberNum.
	if r := f.admin("add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[{"Member_Account":"otto"},{"Member_Account":"mia"},{"Member_Account":"ghost"}]}`, g)); js(r.raw["MemberList"]) != `[{"Member_Account":"otto","Result":1},{"Member_Account":"mia","Result":2},{"Member_Account":"ghost","Result":0}]` {
		t.Errorf("add_group_member results %s", js(r.raw))
	}
	tip = pollOne("mia")
	if got := js(tip["MsgBody"]); got != `{"List_Account":["otto"],"MemberNum":5,"OpType":1,"Operator_Account":"administrator"}` {
		t.Errorf("tip 1 body %s", got)
	}

	// Event 5, notice 1: tokens, RemarkInfo, and UserDefinedField both in MsgBody and at the top.
	f.ok("pat", "apply_join_group", fmt.Sprintf(`{"GroupId":%q,"ApplyMsg":"let me in","UserDefinedField":"from-pat"}`, g))
	olivia := pollAll("olivia") // her earlier Event 3 and tips 7, 6, 1 come first
	if len(olivia) != 5 {
		t.Fatalf("olivia's events: %v", olivia)
	}
	n := olivia[4]
	body := n["MsgBody"].(map[string]any)
	if n["Event"].(float64) != 5 || body["ReportType"].(float64) != 1 || body["Operator_Account"] != "pat" || body["RemarkInfo"] != "let me in" ||
		body["UserDefinedField"] != "from-pat" || n["UserDefinedField"] != "from-pat" || body["Authentication"] == "" || body["MsgKey"] == "" ||
		n["ClientSeq"] != n["MsgSeq"] || n["From_Account"] != "pat" {
		t.Errorf("notice 1: %s", js(n))
	}
	if gi := n["GroupInfo"].(map[string]any); gi["GroupId"] != g || gi["GroupName"] != "g2" || gi["To_Account"] != "olivia" || gi["From_Account"] != "pat" {
		t.Errorf("notice 1 GroupInfo %v", gi)
	}
	// deletemsg with the notice's MsgSeq/MsgRandom removes it.
	f.ok("olivia", "openim/deletemsg", fmt.Sprintf(`{"DelMsgList":[{"From_Account":"@TIM#SYSTEM","MsgSeq":%d,"MsgRandom":%d}]}`, int64(n["MsgSeq"].(float64)), int64(n["MsgRandom"].(float64))))
	for _, sn := range f.app.Notices("olivia") {
		if sn.Type == state.NoticeApply {
			t.Errorf("notice 1 still stored after deletemsg: %+v", sn)
		}
	}

	// Notice 255 from the administrator: the content as UserDefinedField.
	f.admin("send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"ToMembers_Account":["mia"],"Content":"hello"}`, g))
	n = pollOne("mia")
	if js(n["MsgBody"]) != `{"Operator_Account":"administrator","ReportType":255,"UserDefinedField":"hello"}` || n["UserDefinedField"] != "hello" {
		t.Errorf("notice 255: %s", js(n))
	}

	// Recall: Event 5 with GroupWithdrawInfoArray.
	f.ok("adam", "group_msg_recall", fmt.Sprintf(`{"GroupId":%q,"MsgSeqList":[{"MsgSeq":1}]}`, g))
	n = pollOne("mia")
	if n["Event"].(float64) != 5 || js(n["MsgBody"]) != fmt.Sprintf(`{"GroupWithdrawInfoArray":[{"GroupId":%q,"MsgSeq":1}]}`, g) {
		t.Errorf("recall: %s", js(n))
	}
}

// The read side: filters, per-group errors, paging, history with tips, conversations, pendency.
func TestGroupQueries(t *testing.T) {
	f := newGroupFixture(t)
	g := f.group("Public", `,"GroupId":"club","Introduction":"intro","AppDefinedData":[{"Key":"level","Value":"1"}]`)
	if g != "club" {
		t.Fatalf("custom id: %s", g)
	}
	priv := f.group("Private", "")
	if !strings.HasPrefix(priv, "@TGS#1") {
		t.Errorf("generated Private id %q", priv)
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	// get_joined_group_list: the SDK's filter; without a filter, bare ids.
	r := f.ok("mia", "get_joined_group_list", `{"Member_Account":"mia","ResponseFilter":{"GroupBaseInfoFilter":["Type","Name","FaceUrl","NextMsgSeq","LastMsgTime"],"SelfInfoFilter":["Role","JoinTime","MsgFlag"]}}`)
	list := r.raw["GroupIdList"].([]any)
	if r.raw["TotalCount"].(float64) != 2 || len(list) != 2 {
		t.Fatalf("joined: %s", js(r.raw))
	}
	first := list[0].(map[string]any)
	self := first["SelfInfo"].(map[string]any)
	if first["GroupId"] != "club" || first["Type"] != "Public" || first["Name"] != "g1" || first["NextMsgSeq"].(float64) != 1 ||
		first["Introduction"] != nil || self["Role"] != "Member" || self["MsgFlag"] != "AcceptAndNotify" || self["NameCard"] != nil {
		t.Errorf("joined item %s", js(first))
	}
	r = f.ok("mia", "get_joined_group_list", `{"Limit":1,"Offset":1}`)
	if js(r.raw["GroupIdList"]) != fmt.Sprintf(`[{"GroupId":%q}]`, priv) || r.raw["TotalCount"].(float64) != 2 {
		t.Errorf("bare page: %s", js(r.raw))
	}
	if r := f.call("mia", "get_joined_group_list", `{"Member_Account":"max"}`); *r.ErrorCode != 10007 {
		t.Errorf("someone else's list: %d", *r.ErrorCode)
	}
	if r := f.admin("get_joined_group_list", `{"Member_Account":"max"}`); *r.ErrorCode != 0 || r.raw["TotalCount"].(float64) != 2 {
		t.Errorf("root reads max's list: %s", js(r.raw))
	}

	// get_group_info: unknown ids and Private groups of others fail per group.
	r = f.ok("otto", "get_group_info", fmt.Sprintf(`{"GroupIdList":["club","nope",%q],"ResponseFilter":{"GroupBaseInfoFilter":["Name","MemberNum","ApplyJoinOption","ShutUpAllMember","Owner_Account"]}}`, priv))
	infos := r.raw["GroupInfo"].([]any)
	if js(infos[0]) != `{"AppDefinedData":[{"Key":"level","Value":"1"}],"ApplyJoinOption":"NeedPermission","ErrorCode":0,"ErrorInfo":"","GroupId":"club","MemberNum":4,"Name":"g1","Owner_Account":"olivia","ShutUpAllMember":"Off"}` {
		t.Errorf("club for an outsider: %s", js(infos[0]))
	}
	if e := infos[1].(map[string]any); e["ErrorCode"].(float64) != 10010 || e["GroupId"] != "nope" {
		t.Errorf("unknown group: %s", js(e))
	}
	if e := infos[2].(map[string]any); e["ErrorCode"].(float64) != 10007 {
		t.Errorf("someone else's Private group: %s", js(e))
	}
	r = f.ok("mia", "get_group_info", `{"GroupIdList":["club"],"ResponseFilter":{"MemberInfoFilter":["Role"]}}`)
	info := r.raw["GroupInfo"].([]any)[0].(map[string]any)
	if info["Introduction"] != "intro" || info["CreateTime"] == nil || info["SelfInfo"].(map[string]any)["Role"] != "Member" ||
		js(info["MemberList"]) != `[{"Member_Account":"olivia","Role":"Owner"},{"Member_Account":"adam","Role":"Admin"},{"Member_Account":"mia","Role":"Member"},{"Member_Account":"max","Role":"Member"}]` {
		t.Errorf("full info for a member: %s", js(info))
	}
	r = f.ok("otto", "get_group_public_info", `{"GroupIdList":["club"],"ResponseFilter":{"GroupBasePublicInfoFilter":["Name","ShutUpAllMember","InfoSeq"]}}`)
	if js(r.raw["GroupInfo"]) != `[{"ErrorCode":0,"ErrorInfo":"","GroupId":"club","Name":"g1"}]` {
		t.Errorf("public info: %s", js(r.raw))
	}

	// Members: paging and role filter; specified members.
	r = f.ok("mia", "get_group_member_info", `{"GroupId":"club","Limit":2,"Offset":1,"MemberInfoFilter":["Role","NameCard","ShutUpUntil"]}`)
	if r.raw["MemberNum"].(float64) != 4 || js(r.raw["MemberList"]) != `[{"Member_Account":"adam","NameCard":"","Role":"Admin","ShutUpUntil":0},{"Member_Account":"mia","NameCard":"","Role":"Member","ShutUpUntil":0}]` {
		t.Errorf("member page: %s", js(r.raw))
	}
	r = f.ok("mia", "get_group_member_info", `{"GroupId":"club","MemberRoleFilter":["Owner","Admin"],"MemberInfoFilter":["Role"]}`)
	if len(r.raw["MemberList"].([]any)) != 2 {
		t.Errorf("role filter: %s", js(r.raw))
	}
	f.ok("mia", "modify_group_member_info", `{"GroupId":"club","Member_Account":"mia","NameCard":"Mimi","MsgFlag":"AcceptNotNotify","AppMemberDefinedData":[{"Key":"x","Value":"1"}]}`)
	r = f.ok("max", "get_specified_group_member_info", `{"GroupId":"club","Member_List_Account":["mia","otto"],"MemberInfoFilter":["Role","JoinTime","NameCard","ShutUpUntil"]}`)
	ml := r.raw["MemberList"].([]any)
	if len(ml) != 1 || ml[0].(map[string]any)["NameCard"] != "Mimi" || js(ml[0].(map[string]any)["AppMemberDefinedData"]) != `[{"Key":"x","Value":"1"}]` {
		t.Errorf("specified members: %s", js(r.raw))
	}
	if r := f.call("otto", "get_group_member_info", `{"GroupId":"club"}`); *r.ErrorCode != 10007 {
		t.Errorf("outsider reads members: %d", *r.ErrorCode)
	}

	// History: newest first, tips with Event 4 and an object MsgBody, IsFinished at seq 1.
	f.ok("mia", "send_group_msg", `{"GroupId":"club","Random":1,"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"group_create","Desc":"","Ext":"x"}}]}`)
	f.ok("adam", "modify_group_base_info", `{"GroupId":"club","Notification":"rules"}`)
	f.ok("max", "send_group_msg", `{"GroupId":"club","Random":2,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`)
	r = f.ok("mia", "group_msg_get", `{"WithRecalledMsg":1,"GroupId":"club","ReqMsgNumber":21,"ReqMsgSeq":3}`)
	items := r.raw["RspMsgList"].([]any)
	if r.raw["IsFinished"].(float64) != 1 || len(items) != 3 {
		t.Fatalf("history: %s", js(r.raw))
	}
	seqs := []float64{}
	for _, it := range items {
		seqs = append(seqs, it.(map[string]any)["MsgSeq"].(float64))
	}
	tipItem := items[1].(map[string]any)
	if fmt.Sprint(seqs) != "[3 2 1]" || tipItem["Event"].(float64) != 4 || tipItem["MsgBody"].(map[string]any)["OpType"].(float64) != 6 {
		t.Errorf("history order/tips: %s", js(items))
	}
	r = f.ok("mia", "group_msg_get", `{"GroupId":"club","ReqMsgNumber":1,"ReqMsgSeq":0}`)
	if r.raw["IsFinished"].(float64) != 0 || len(r.raw["RspMsgList"].([]any)) != 1 {
		t.Errorf("newest page: %s", js(r.raw))
	}

	// Conversations: the group session with the last message and the unread count.
	r = f.ok("olivia", "recentcontact/page_get", `{"From_Account":"olivia","TimeStamp":0,"OrderType":1}`)
	var sess map[string]any
	for _, it := range r.raw["SessionItem"].([]any) {
		if it.(map[string]any)["ToAccount"] == "club" {
			sess = it.(map[string]any)
		}
	}
	if sess == nil || sess["Type"].(float64) != 2 || sess["UnreadMsgCount"].(float64) != 3 || sess["MsgSeq"].(float64) != 3 || sess["MsgGroupReadedSeq"].(float64) != 0 {
		t.Errorf("group session: %s", js(r.raw["SessionItem"]))
	}
	f.ok("olivia", "msg_read_report", `{"GroupId":"club","MsgReadedSeq":3}`)
	if jg := f.app.JoinedGroups("olivia"); jg[0].Unread != 0 || jg[0].Self.ReadSeq != 3 {
		t.Errorf("after read report: %+v", jg[0])
	}

	// get_pendency: one page (NextStartTime 0), handled ones flagged.
	f.ok("pat", "apply_join_group", `{"GroupId":"club","ApplyMsg":"hi","UserDefinedField":"u"}`)
	r = f.ok("adam", "get_pendency", `{"StartTime":0,"Limit":10,"Handle_Account":"adam"}`)
	pl := r.raw["PendencyList"].([]any)
	if r.raw["NextStartTime"].(float64) != 0 || len(pl) != 1 || pl[0].(map[string]any)["From_Account"] != "pat" || pl[0].(map[string]any)["To_Account"] != "adam" || pl[0].(map[string]any)["Handled"].(float64) != 0 {
		t.Errorf("pendency: %s", js(r.raw))
	}
	auth, key := f.pendingTokens("adam", "pat")
	f.ok("olivia", "handle_apply_join_group", fmt.Sprintf(`{"GroupId":"club","Applicant_Account":"pat","HandleMsg":"Agree","Authentication":%q,"MsgKey":%q}`, auth, key))
	if r := f.call("adam", "handle_apply_join_group", fmt.Sprintf(`{"GroupId":"club","Applicant_Account":"pat","HandleMsg":"Reject","Authentication":%q,"MsgKey":%q}`, auth, key)); *r.ErrorCode != 10024 {
		t.Errorf("handled twice: %d %s", *r.ErrorCode, r.ErrorInfo)
	}
	r = f.ok("adam", "get_pendency", `{"Handle_Account":"adam"}`)
	if p := r.raw["PendencyList"].([]any)[0].(map[string]any); p["Handled"].(float64) != 1 || p["HandleResult"].(float64) != 1 {
		t.Errorf("handled pendency: %s", js(p))
	}
	if r := f.ok("pat", "get_group_info", `{"GroupIdList":["club"]}`); r.raw["GroupInfo"].([]any)[0].(map[string]any)["MemberNum"].(float64) != 5 {
		t.Errorf("pat did not join: %s", js(r.raw))
	}
}

// Bad input never panics or hangs: a FAIL envelope with the group service's codes.
func TestGroupBadInput(t *testing.T) {
	f := newGroupFixture(t)
	g := f.group("Public", "")
	cases := []struct {
		cmd, body string
		code      int
		info      string
	}{
		{"create_group", `{"Type":`, 10011, "not valid JSON"},
		{"create_group", `{"Type":"Public","Name":"x"} []`, 10011, "after the JSON"},
		{"create_group", `{"Type":7,"Name":"x"}`, 10004, "Type"},
		{"create_group", `{"Type":"Public","Name":"x","MemberList":[7]}`, 10004, "Member_Account"},
		{"create_group", `{"Type":"Public","Name":"x","MemberList":{"a":1}}`, 10004, "Member_Account"},
		{"create_group", `{"Type":"Work","Name":"x"}`, 10004, "Type"},
		{"create_group", `{"Type":"Public"}`, 10004, "Name"},
		{"create_group", `{"Type":"Public","Name":"x","GroupId":"@TGS#2ABC"}`, 10015, "GroupId"},
		{"create_group", `[1]`, 10004, "(body)"},
		{"get_group_info", `{}`, 10004, "GroupIdList"},
		{"get_group_info", `{"GroupIdList":"x"}`, 10004, "GroupIdList"},
		{"get_group_member_info", `{}`, 10004, "GroupId"},
		{"get_group_member_info", `{"GroupId":5}`, 10004, "GroupId"},
		{"get_group_member_info", `{"GroupId":"nope"}`, 10010, "nope"},
		{"get_specified_group_member_info", fmt.Sprintf(`{"GroupId":%q}`, g), 10004, "Member_List_Account"},
		{"modify_group_base_info", fmt.Sprintf(`{"GroupId":%q,"ShutUpAllMember":"Yes"}`, g), 10004, "ShutUpAllMember"},
		{"modify_group_base_info", `{"Name":"x"}`, 10004, "GroupId"},
		{"add_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberList":[]}`, g), 10004, "MemberList"},
		{"add_group_member", `{"GroupId":"nope","MemberList":["otto"]}`, 10010, "nope"},
		{"delete_group_member", fmt.Sprintf(`{"GroupId":%q}`, g), 10004, "MemberToDel_Account"},
		{"delete_group_member", fmt.Sprintf(`{"GroupId":%q,"MemberToDel_Account":"max"}`, g), 10007, "may not kick"},
		{"modify_group_member_info", fmt.Sprintf(`{"GroupId":%q}`, g), 10004, "Member_Account"},
		{"modify_group_member_info", fmt.Sprintf(`{"GroupId":%q,"Member_Account":"mia","ShutUpTime":"long"}`, g), 10004, "ShutUpTime"},
		{"forbid_send_msg", fmt.Sprintf(`{"GroupId":%q,"Members_Account":["max"]}`, g), 10004, "ShutUpTime"},
		{"quit_group", `{}`, 10004, "GroupId"},
		{"quit_group", `{"GroupId":"nope"}`, 10010, "nope"},
		{"destroy_group", `{"GroupId":null}`, 10004, "GroupId"},
		{"change_group_owner", fmt.Sprintf(`{"GroupId":%q}`, g), 10004, "NewOwner_Account"},
		{"apply_join_group", fmt.Sprintf(`{"GroupId":%q}`, g), 10013, "already"},
		{"handle_apply_join_group", fmt.Sprintf(`{"GroupId":%q,"Applicant_Account":"pat","HandleMsg":"Maybe"}`, g), 10004, "HandleMsg"},
		{"handle_apply_join_group", fmt.Sprintf(`{"GroupId":%q,"Applicant_Account":"pat","HandleMsg":"Agree"}`, g), 10007, "owner and admins"},
		{"send_group_msg", `{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, 10004, "GroupId"},
		{"send_group_msg", `{"GroupId":"nope","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, 10010, "nope"},
		{"send_group_msg", fmt.Sprintf(`{"GroupId":%q,"MsgBody":[]}`, g), tim.CodeBadMsgBody, "empty"},
		{"send_group_msg", fmt.Sprintf(`{"GroupId":%q,"Random":-1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, g), 10004, "Random"},
		{"send_group_msg", fmt.Sprintf(`{"GroupId":%q,"From_Account":"max","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, g), 10007, "send as"},
		{"group_msg_get", `{"GroupId":"nope"}`, 10010, "nope"},
		{"group_msg_recall", fmt.Sprintf(`{"GroupId":%q}`, g), 10004, "MsgSeqList"},
		{"msg_read_report", `{"GroupId":"nope","MsgReadedSeq":1}`, 10010, "nope"},
		{"send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"Content":"x"}`, g), 10007, "administrator"},
		{"get_pendency", `{"Handle_Account":"olivia"}`, 10007, "Handle_Account"},
		{"openim/deletemsg", `{}`, tim.CodeMissingField, "DelMsgList"},
	}
	for _, c := range cases {
		t.Run(c.cmd+" "+c.body, func(t *testing.T) {
			r := f.call("mia", c.cmd, c.body)
			if r.ActionStatus != "FAIL" || *r.ErrorCode != c.code || !strings.Contains(r.ErrorInfo, c.info) {
				t.Errorf("got %s %d %q, want FAIL %d containing %q", r.ActionStatus, *r.ErrorCode, r.ErrorInfo, c.code, c.info)
			}
		})
	}
	// Nothing above changed the group.
	if in, _, _ := f.app.Group("olivia", g); in.MemberNum != 4 || in.NextMsgSeq != 1 || in.Name != "g1" {
		t.Errorf("a refused request changed the group: %+v", in)
	}
}

// The administrator's REST identity: identifier + usersig, checked, and only for the admin.
func TestAdminRESTAuth(t *testing.T) {
	f := newGroupFixture(t)
	g := f.group("Public", "")
	body := fmt.Sprintf(`{"GroupId":%q,"Content":"x"}`, g)
	sig := func(id string) string {
		s, _ := usersig.Generate(appID, secret, id, time.Hour, f.app.Now())
		return s
	}
	for _, c := range []struct {
		name, query string
		code        int
	}{
		{"admin", fmt.Sprintf("sdkappid=%d&identifier=administrator&usersig=%s", appID, sig("administrator")), 0},
		{"not the admin", fmt.Sprintf("sdkappid=%d&identifier=mia&usersig=%s", appID, sig("mia")), tim.CodeRESTNotAdmin},
		{"garbage sig", fmt.Sprintf("sdkappid=%d&identifier=administrator&usersig=junk", appID), usersig.CodeMalformed},
		{"someone else's sig", fmt.Sprintf("sdkappid=%d&identifier=administrator&usersig=%s", appID, sig("mia")), usersig.CodeIdentifierMismatch},
		{"no sig", fmt.Sprintf("sdkappid=%d&identifier=administrator", appID), tim.CodeRESTNoIdentity},
		{"unknown app", fmt.Sprintf("sdkappid=7&identifier=administrator&usersig=%s", sig("administrator")), tim.CodeNoSuchApp},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.post("/v4/group_open_http_svc/send_group_system_notification", c.query, body)
			if *r.ErrorCode != c.code {
				t.Errorf("code %d (%s), want %d", *r.ErrorCode, r.ErrorInfo, c.code)
			}
		})
	}
	// A renamed administrator.
	f.app.SetAdmin("boss")
	if r := f.admin("send_group_system_notification", body); *r.ErrorCode != tim.CodeRESTNotAdmin {
		t.Errorf("old admin name accepted: %d", *r.ErrorCode)
	}
}

// FuzzGroupRequest throws arbitrary bodies at every group command: always a JSON envelope.
func FuzzGroupRequest(f *testing.F) {
	for _, s := range []string{`{}`, `{"GroupId":"g"}`, `{"GroupId":"g","MemberList":["b",{"Member_Account":"c"}]}`,
		`{"GroupIdList":["g","x"],"ResponseFilter":{"GroupBaseInfoFilter":["Name"]}}`, `{"GroupId":"g","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`,
		`{"GroupId":"g","Member_Account":"b","Role":"Admin","ShutUpTime":5}`, `{"Type":"Public","Name":"n","MemberList":"b"}`, "\x00", `[`} {
		f.Add(s, 0)
	}
	app := state.NewApp(state.Options{SDKAppID: appID, Secret: secret})
	done := make(chan struct{})
	defer close(done)
	h := tim.New(apps{appID: app}, tim.Options{Hold: time.Millisecond, Done: done})
	s := app.Login("alice")
	app.Login("b")
	app.Login("c")
	if _, err := app.CreateGroup("alice", state.GroupSpec{ID: "g", Type: state.GroupPublic, Name: "g", Members: []state.MemberSpec{{User: "b"}}}); err != nil {
		f.Fatal(err)
	}
	var cmds []string
	for _, c := range []string{"create_group", "get_joined_group_list", "get_group_info", "get_group_public_info", "get_group_member_info",
		"get_specified_group_member_info", "modify_group_base_info", "add_group_member", "delete_group_member", "modify_group_member_info",
		"forbid_send_msg", "quit_group", "destroy_group", "change_group_owner", "apply_join_group", "handle_apply_join_group", "get_pendency",
		"send_group_msg", "group_msg_get", "msg_read_report", "group_msg_recall", "send_group_system_notification"} {
		cmds = append(cmds, "group_open_http_svc/"+c)
	}
	cmds = append(cmds, "openim/deletemsg")
	fuzzEnvelope(f, h, cmds, fmt.Sprintf("sdkappid=%d&tinyid=%s&a2=%s", appID, s.TinyID, s.A2))
}
