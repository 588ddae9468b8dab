package recorder_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	. "github.com/imharness/imharness/recorder"
)

func normalized(t *testing.T, exs []Exchange, rules Rules) []Exchange {
	t.Helper()
	if rules == nil {
		rules = DefaultRules()
	}
	out, err := Normalize(exs, rules)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNormalizeRenumbersAcrossQueryAndBody(t *testing.T) {
	t.Parallel()
	n := normalized(t, c2cTranscript(), nil)

	login := byCommand(n, "alice#1", "openim/login")[0]
	rsp := jsonOf(t, login.Response)
	if rsp["TinyId"] != "<tinyid-1>" || rsp["A2Key"] != "<a2-1>" || rsp["InstId"] != "<instid-1>" {
		t.Errorf("alice's login reply: %s", login.Response)
	}
	if q := login.Query; q["usersig"] != "<usersig>" || q["reqtime"] != "<reqtime>" || q["accounttype"] != "<accounttype>" ||
		q["sdkappid"] != "<sdkappid-1>" || q["identifier"] != "alice" || q["websdkappid"] != "537048168" {
		t.Errorf("login query: %v", q)
	}
	if login.App != "<sdkappid-1>" {
		t.Errorf("app: %q", login.App)
	}
	// bob's TinyId is a JSON string, alice's a number: both are renumbered in the same class.
	if rsp := jsonOf(t, byCommand(n, "bob#1", "openim/login")[0].Response); rsp["TinyId"] != "<tinyid-2>" || rsp["A2Key"] != "<a2-2>" {
		t.Errorf("bob's login reply: %v", rsp)
	}

	send := byCommand(n, "alice#1", "openim/sendmsg")[0]
	if q := send.Query; q["tinyid"] != "<tinyid-1>" || q["a2"] != "<a2-1>" || q["tjg_id"] != "<tinyid-1>-<random-1>" {
		t.Errorf("sendmsg query keeps the correlation with login and MsgRandom: %v", q)
	}
	req := jsonOf(t, send.Request)
	if req["MsgRandom"] != "<random-1>" || req["MsgSeq"] != "<clientseq>" || req["MsgTimeStamp"] != "<time>" {
		t.Errorf("sendmsg request: %s", send.Request)
	}
	if rsp := jsonOf(t, send.Response); rsp["MsgTime"] != "<time>" || rsp["MsgKey"] != "1_<random-1>" {
		t.Errorf("sendmsg reply: %s", send.Response)
	}

	// bob receives the very message: same placeholders on his side.
	polls := byCommand(n, "bob#1", "openim/longpolling")
	msg := jsonOf(t, polls[1].Response)["EventArray"].([]any)[0].(map[string]any)["C2cMsgArray"].([]any)[0].(map[string]any)
	want := map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgSeq": "<clientseq>", "MsgRandom": "<random-1>",
		"MsgTimeStamp": "<time>", "MsgKey": "1_<random-1>", "NoticeSeq": float64(1),
		"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "hello bob"}}}}
	if d := cmp.Diff(want, msg); d != "" {
		t.Errorf("bob's C2C message (-want +got):\n%s", d)
	}
	cookie := jsonOf(t, polls[0].Request)["Cookie"].(map[string]any)
	if cookie["LongPollingId"] != "<longpollingid-1>" || cookie["NoticeSeq"] != float64(0) {
		t.Errorf("long poll cookie (an object: descended into, server NoticeSeq kept): %v", cookie)
	}
	getmsg := byCommand(n, "alice#1", "openim/getmsg")[0]
	if jsonOf(t, getmsg.Request)["Cookie"] != "" || jsonOf(t, getmsg.Response)["Cookie"] != "<cookie-1>" {
		t.Errorf("zero values stay, real cookies are renumbered: %s → %s", getmsg.Request, getmsg.Response)
	}
}

func TestNormalizeDropsTelemetryTimesAndRenumbersSeq(t *testing.T) {
	t.Parallel()
	n := normalized(t, c2cTranscript(), nil)
	if len(n) != 8 {
		t.Fatalf("want 8 exchanges after dropping telemetry, got %d", len(n))
	}
	for i, e := range n {
		if e.Command == "imopenstat/tim_web_report" {
			t.Errorf("telemetry kept: %+v", e)
		}
		if e.Seq != i+1 {
			t.Errorf("exchange %d has seq %d", i, e.Seq)
		}
		if !e.Start.IsZero() || e.DurationMS != 0 {
			t.Errorf("times kept: %+v", e)
		}
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, n[:1]); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, `"start"`) || strings.Contains(s, `"duration_ms"`) {
		t.Errorf("a normalised line still carries times: %s", s)
	}
}

func TestNormalizeDoesNotDependOnInterleaving(t *testing.T) {
	t.Parallel()
	a := normalized(t, c2cTranscript(), nil)
	b := normalized(t, rerun(), nil)
	strip := func(exs []Exchange) map[string][]Exchange {
		m := map[string][]Exchange{}
		for _, e := range exs {
			e.Seq = 0
			m[e.Conn] = append(m[e.Conn], e)
		}
		return m
	}
	if d := cmp.Diff(strip(a), strip(b)); d != "" {
		t.Errorf("another run with other values and interleaving normalises differently (-first +second):\n%s", d)
	}
}

func TestNormalizeIsIdempotent(t *testing.T) {
	t.Parallel()
	once := normalized(t, c2cTranscript(), nil)
	twice := normalized(t, once, nil)
	if d := cmp.Diff(once, twice); d != "" {
		t.Errorf("normalising twice changes the transcript (-once +twice):\n%s", d)
	}
}

func groupSend() []Exchange {
	return []Exchange{
		x(1, "alice#1", "group_open_http_svc/send_group_msg", sessQuery(aliceA2, aliceTiny, "&accounttype=8723&tjg_id="+aliceTiny+"-92468071"),
			`{"GroupId":"@TGS#1NVTZEAZA","From_Account":"alice","Random":92468071,"ClientSeq":1937530003,"MsgPriority":"Normal",`+
				`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi all"}}],"OnlineOnlyFlag":0}`,
			`{`+ok+`,"MsgSeq":7,"MsgTime":1795462690}`),
		x(2, "bob#1", "openim/longpolling", sessQuery(bobA2, bobTiny, "&accounttype=8723"),
			`{"Cookie":{"NotifySeq":0,"NoticeSeq":3,"LongPollingId":"lp-6d3a"}}`,
			`{`+ok+`,"EventArray":[{"Event":3,"GroupMsgArray":[{"From_Account":"alice","ToGroupId":"@TGS#1NVTZEAZA","MsgSeq":7,`+
				`"MsgRandom":92468071,"ClientSeq":1937530003,"MsgTimeStamp":1795462690,"NoticeSeq":4,`+
				`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi all"}}]}]}]}`),
		x(3, "bob#1", "recentcontact/get", sessQuery(bobA2, bobTiny, ""), `{"From_Account":"bob","Count":0}`,
			`{`+ok+`,"SessionItem":[{"Type":1,"To_Account":"alice","MsgSeq":1937530001,"MsgRandom":3701533,"MsgTimeStamp":1795462674},`+
				`{"Type":2,"ToAccount":"@TGS#1NVTZEAZA","MsgSeq":7,"MsgTimeStamp":1795462690}]}`),
	}
}

func TestNormalizeKeepsServerSeqUnlessAsked(t *testing.T) {
	t.Parallel()
	n := normalized(t, groupSend(), nil)
	if rsp := jsonOf(t, n[0].Response); rsp["MsgSeq"] != float64(7) || rsp["MsgTime"] != "<time>" {
		t.Errorf("group send reply: %s", n[0].Response)
	}
	if req := jsonOf(t, n[0].Request); req["Random"] != "<random-1>" || req["ClientSeq"] != "<clientseq>" || req["GroupId"] != "<groupid-1>" {
		t.Errorf("group send request: %s", n[0].Request)
	}
	if n[0].Query["tjg_id"] != "<tinyid-1>-<random-1>" {
		t.Errorf("tjg_id: %q", n[0].Query["tjg_id"])
	}
	item := jsonOf(t, n[1].Response)["EventArray"].([]any)[0].(map[string]any)["GroupMsgArray"].([]any)[0].(map[string]any)
	if item["MsgSeq"] != float64(7) || item["NoticeSeq"] != float64(4) || item["MsgRandom"] != "<random-1>" || item["ClientSeq"] != "<clientseq>" {
		t.Errorf("group message item: %v", item)
	}
	sessions := jsonOf(t, n[2].Response)["SessionItem"].([]any)
	if c2c, grp := sessions[0].(map[string]any), sessions[1].(map[string]any); c2c["MsgSeq"] != "<clientseq>" || grp["MsgSeq"] != float64(7) {
		t.Errorf("sessions: the C2C one's MsgSeq is a client counter, the group's is the server's: %v", sessions)
	}

	seq := normalized(t, groupSend(), append(DefaultRules(), SeqRules()...))
	if rsp := jsonOf(t, seq[0].Response); rsp["MsgSeq"] != "<msgseq-1>" {
		t.Errorf("with SeqRules the group MsgSeq is renumbered: %s", seq[0].Response)
	}
	item = jsonOf(t, seq[1].Response)["EventArray"].([]any)[0].(map[string]any)["GroupMsgArray"].([]any)[0].(map[string]any)
	if item["MsgSeq"] != "<msgseq-1>" || item["NoticeSeq"] != "<noticeseq-2>" {
		t.Errorf("with SeqRules: %v", item)
	}
}

func TestRuleFile(t *testing.T) {
	t.Parallel()
	rules, err := ParseRules([]byte(`
defaults: true
rules:
  - name: nicknames
    regex: 'nick-[0-9]+'
    action: renumber
    class: nick
  - name: secret payloads
    command: 'openim/pic_*'
    action: mask
    body: request
  - name: only C2C sessions
    path: response.SessionItem[*].MsgShow
    where: {Type: 1}
    action: mask
  - query: platform
    action: drop
`), tim)
	if err != nil {
		t.Fatal(err)
	}
	exs := []Exchange{
		x(1, "alice#1", "openim/pic_up", sessQuery(aliceA2, aliceTiny, ""), `{"Pic":"AAAA"}`, `{`+ok+`,"URL":"x"}`),
		x(2, "alice#1", "recentcontact/get", sessQuery(aliceA2, aliceTiny, ""), `{"From_Account":"alice","Count":0}`,
			`{`+ok+`,"SessionItem":[{"Type":1,"To_Account":"bob","MsgShow":"nick-42 says hi"},{"Type":2,"MsgShow":"to nick-42 and nick-7"}]}`),
		x(3, "alice#1", "imopenstat/tim_web_report", "sdkappid="+app, `x=1`, `{}`),
	}
	n := normalized(t, exs, rules)
	if len(n) != 2 {
		t.Fatalf("defaults (telemetry dropped) not appended: %d exchanges", len(n))
	}
	if string(n[0].Request) != `"<masked>"` || jsonOf(t, n[0].Response)["URL"] != "x" {
		t.Errorf("mask body: %s / %s", n[0].Request, n[0].Response)
	}
	if _, ok := n[0].Query["platform"]; ok || n[0].Query["a2"] != "<a2-1>" {
		t.Errorf("query: %v", n[0].Query)
	}
	items := jsonOf(t, n[1].Response)["SessionItem"].([]any)
	if got := items[0].(map[string]any)["MsgShow"]; got != "<msgshow>" {
		t.Errorf("where Type=1: %v", got)
	}
	if got := items[1].(map[string]any)["MsgShow"]; got != "to <nick-1> and <nick-2>" {
		t.Errorf("regex inside a string: %v", got)
	}

	for _, bad := range []string{
		`rules: [{key: A, query: b, action: mask}]`,
		`rules: [{key: A, action: scramble}]`,
		`rules: [{path: 'body.X', action: mask}]`,
		`rules: [{regex: '(', action: mask}]`,
		`rules: [{query: tjg_id, pattern: '^(.+)-(.+)$', classes: [a], action: renumber}]`,
		`rules: [{command: 'x/y', action: renumber}]`,
	} {
		if _, err := ParseRules([]byte(bad), tim); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if _, err := ParseRules([]byte(`[{key: MsgRandom, action: renumber, class: random}]`), tim); err != nil {
		t.Errorf("a bare list: %v", err)
	}
	if _, err := DefaultRules().Compile(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if _, err := append(DefaultRules(), SeqRules()...).Compile(); err != nil {
		t.Errorf("seq rules: %v", err)
	}
}

func TestNormalizeNonJSONBodies(t *testing.T) {
	t.Parallel()
	e := x(1, "alice#1", "openim/sendmsg", "", "", "")
	e.Request = Body([]byte("group @TGS#ABC and @TGS#ABC"), false)
	e.Response = Body([]byte("<html>502</html>"), false)
	n := normalized(t, []Exchange{e}, nil)
	var req, rsp string
	_ = json.Unmarshal(n[0].Request, &req)
	_ = json.Unmarshal(n[0].Response, &rsp)
	if req != "group <groupid-1> and <groupid-1>" || rsp != "<html>502</html>" {
		t.Errorf("text bodies: %q, %q", req, rsp)
	}
}

func TestIsNormalised(t *testing.T) {
	for s, want := range map[string]bool{"<tinyid-1>-<random-2>": true, "1_<random-2>": true, "<usersig>": true,
		"hello 你好 <b>&": false, "<b> bold": false, "plain": false} {
		if got := IsNormalised(s); got != want {
			t.Errorf("IsNormalised(%q) = %v", s, got)
		}
	}
}
