package recorder_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	. "github.com/imharness/imharness/recorder"
)

func TestDiffToleratesInterleavingAndVolatileValues(t *testing.T) {
	t.Parallel()
	if r := timDiff(c2cTranscript(), rerun()); !r.Equal() {
		t.Errorf("a rerun with other values and interleaving differs:\n%s", r)
	}
}

func replaceIn(exs []Exchange, seq int, field, old, new string) []Exchange {
	for i := range exs {
		if exs[i].Seq != seq {
			continue
		}
		switch field {
		case "request":
			exs[i].Request = []byte(strings.Replace(string(exs[i].Request), old, new, 1))
		case "response":
			exs[i].Response = []byte(strings.Replace(string(exs[i].Response), old, new, 1))
		}
	}
	return exs
}

func TestDiffFieldRenameShowsThePath(t *testing.T) {
	t.Parallel()
	got := replaceIn(rerun(), 108, "response", `"Text":"hello bob"`, `"Txt":"hello bob"`) // bob's long poll with the message
	r := timDiff(c2cTranscript(), got)
	if r.Equal() {
		t.Fatal("a renamed field went unnoticed")
	}
	want := []Difference{{Kind: Changed, Conn: "bob#1", Command: "openim/longpolling", WantIndex: 2, GotIndex: 2, WantSeq: 5, GotSeq: 6,
		Fields: []FieldDiff{
			{Path: "response.EventArray[0].C2cMsgArray[0].MsgBody[0].MsgContent.Text", Want: `"hello bob"`, Got: "(absent)"},
			{Path: "response.EventArray[0].C2cMsgArray[0].MsgBody[0].MsgContent.Txt", Want: "(absent)", Got: `"hello bob"`},
		}}}
	if d := cmp.Diff(want, r.Diffs); d != "" {
		t.Errorf("differences (-want +got):\n%s\n%s", d, r)
	}
	s := r.String()
	for _, frag := range []string{
		"1 changed",
		"bob#1, exchange #3: openim/longpolling",
		"response.EventArray[0].C2cMsgArray[0].MsgBody[0].MsgContent.Text\n        want: \"hello bob\"\n        got:  (absent)",
	} {
		if !strings.Contains(s, frag) {
			t.Errorf("report lacks %q:\n%s", frag, s)
		}
	}
}

func TestDiffChangedValue(t *testing.T) {
	t.Parallel()
	got := replaceIn(rerun(), 107, "request", `"Text":"hello bob"`, `"Text":"hello bib"`) // alice's sendmsg
	r := timDiff(c2cTranscript(), got)
	if len(r.Diffs) != 1 || len(r.Diffs[0].Fields) != 1 {
		t.Fatalf("want one changed field:\n%s", r)
	}
	f := r.Diffs[0].Fields[0]
	if f.Path != "request.MsgBody[0].MsgContent.Text" || f.Want != `"hello bob"` || f.Got != `"hello bib"` {
		t.Errorf("field diff: %+v", f)
	}
	if r.Diffs[0].Conn != "alice#1" || r.Diffs[0].Command != "openim/sendmsg" {
		t.Errorf("exchange: %+v", r.Diffs[0])
	}
}

func TestDiffEnforcesOrderWithinAConn(t *testing.T) {
	t.Parallel()
	got := rerun()
	// alice's getmsg now comes after her sendmsg.
	for i := range got {
		switch got[i].Command {
		case "openim/getmsg":
			got[i].Seq = 200
		}
	}
	r := timDiff(c2cTranscript(), got)
	if r.Equal() {
		t.Fatal("reordering within a conn went unnoticed")
	}
	if r.Count(Moved) != 1 || r.Diffs[0].Conn != "alice#1" || r.Diffs[0].Command != "openim/getmsg" {
		t.Errorf("want getmsg reported as moved:\n%s", r)
	}
	if !strings.Contains(r.String(), "alice#1: exchanges out of order\n    #2→#3      openim/getmsg") {
		t.Errorf("report:\n%s", r)
	}
}

func TestDiffMissingAndExtraExchanges(t *testing.T) {
	t.Parallel()
	var got []Exchange
	for _, e := range rerun() {
		if e.Command != "openim/getlongpollingid" {
			got = append(got, e)
		}
	}
	extra := x(300, "alice#1", "sns/friend_get_all", sessQuery("ffffeeee", "144115200000001", ""),
		`{"From_Account":"alice","TimeStamp":0}`, `{`+ok+`,"FriendNum":0,"InfoItem":[],"CompleteFlag":1}`)
	extra.App = "1400200007"
	got = append(got, extra)
	r := timDiff(c2cTranscript(), got)
	if r.Count(Missing) != 1 || r.Count(Extra) != 1 || r.Count(Changed) != 0 {
		t.Fatalf("want one missing and one extra:\n%s", r)
	}
	s := r.String()
	for _, frag := range []string{
		"1 missing, 1 extra",
		"bob#1: missing exchanges (expected, not seen)\n    #2         openim/getlongpollingid",
		"alice#1: extra exchanges (seen, not expected)\n    got #4     sns/friend_get_all",
	} {
		if !strings.Contains(s, frag) {
			t.Errorf("report lacks %q:\n%s", frag, s)
		}
	}
}

func TestDiffIdlePolls(t *testing.T) {
	t.Parallel()
	got := rerun()
	for i := 0; i < 3; i++ { // three more idle polls: only the timing differs
		idle := got[4]
		idle.Seq = 400 + i
		got = append(got, idle)
	}
	if r := timDiff(c2cTranscript(), got); !r.Equal() {
		t.Errorf("idle long polls are compared by default:\n%s", r)
	}
	r := timDiff(c2cTranscript(), got, KeepIdlePolls())
	if r.Count(Extra) != 3 {
		t.Errorf("KeepIdlePolls: want 3 extra polls:\n%s", r)
	}
	if r := timDiff(c2cTranscript(), rerun(), KeepIdlePolls()); !r.Equal() {
		t.Errorf("same idle polls with KeepIdlePolls:\n%s", r)
	}
	kicked := x(1, "bob#1", "openim/longpolling", "", "{}", `{"ActionStatus":"FAIL","ErrorCode":91101,"ErrorInfo":"kicked"}`)
	if IsIdlePoll(kicked) {
		t.Error("a kick reply is not an idle poll")
	}
}

func TestDiffSeparatePolls(t *testing.T) {
	t.Parallel()
	got := rerun()
	// bob's message-carrying poll now starts after his getlongpollingid would... swap poll and getlongpollingid order.
	for i := range got {
		if got[i].Command == "openim/getlongpollingid" {
			got[i].Seq = 500
		}
	}
	if r := timDiff(c2cTranscript(), got); r.Equal() {
		t.Fatal("order across a conn's polls and calls is enforced by default")
	}
	if r := timDiff(c2cTranscript(), got, SeparatePolls()); !r.Equal() {
		t.Errorf("SeparatePolls:\n%s", r)
	}
}

func TestDiffBadRules(t *testing.T) {
	t.Parallel()
	r := Diff(nil, nil, WithRules(Rules{{Key: "X", Action: "bogus"}}))
	if r.Err == nil || r.Equal() || !strings.Contains(r.String(), "bogus") {
		t.Errorf("bad rules: %v", r)
	}
}

func TestDiffOrderPerCommand(t *testing.T) {
	t.Parallel()
	got := rerun()
	// alice's getmsg now comes after her sendmsg: a different interleaving of two commands.
	for i := range got {
		if got[i].Command == "openim/getmsg" {
			got[i].Seq = 200
		}
	}
	if r := timDiff(c2cTranscript(), got, OrderPerCommand()); !r.Equal() {
		t.Errorf("OrderPerCommand must tolerate the interleaving of different commands:\n%s", r)
	}
	// …but a changed field is still found, named by its path.
	for i := range got {
		if got[i].Command == "openim/sendmsg" {
			got[i].Response = []byte(strings.Replace(string(got[i].Response), `"MsgKey"`, `"MsgKeyX"`, 1))
		}
	}
	r := timDiff(c2cTranscript(), got, OrderPerCommand())
	if r.Equal() || !strings.Contains(r.String(), "response.MsgKey") {
		t.Errorf("a renamed field went unnoticed under OrderPerCommand:\n%s", r)
	}
}
