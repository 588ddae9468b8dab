package tim

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imharness/imharness/mockserver/state"
)

// A group message's event is encoded once for all members, and what each member receives is byte
// for byte what rendering the event on its own gives: only NoticeSeq differs between members.
func TestGroupMsgCacheMatchesDirectEncoding(t *testing.T) {
	msgs := []state.GroupMessage{
		{GroupID: "g1", GroupName: "team", From: "alice", FromNick: "Alice", Seq: 7, Random: 42, Time: 1700000000,
			Body: []state.Elem{{Type: "TIMTextElem", Content: json.RawMessage(`{"Text":"hi"}`)}}},
		// Quotes, HTML characters and a NoticeSeq look-alike inside strings; every optional field set.
		{GroupID: `g"2`, GroupName: `<b>&"NoticeSeq":18446744073709551615`, From: `"NoticeSeq":1`,
			FromNick: "\u2028", FromFaceURL: "http://x/a.png", Seq: 1 << 40, Random: 1, Time: 1, ClientSeq: 9,
			Priority: "High", CloudCustomData: `{"NoticeSeq":18446744073709551615}`, Revoked: true,
			Body: []state.Elem{{Type: "TIMCustomElem", Content: json.RawMessage(`{"Data":"\"NoticeSeq\":3","Desc":"<&>"}`)}}},
	}
	var c eventCache
	for _, m := range msgs {
		shared := m
		for _, seq := range []uint64{1, 2, 10, 1 << 63} {
			checkCached(t, &c, state.Event{Seq: seq, Kind: state.EvGroupMessage, Group: &shared})
		}
	}
	if got := c.size(); got != len(msgs) {
		t.Errorf("cache holds %d encodings, want one per message (%d)", got, len(msgs))
	}
}

// checkCached renders e through the cache and directly; they must agree byte for byte.
func checkCached(t *testing.T, c *eventCache, e state.Event) {
	t.Helper()
	want, ok := groupEventOut(e)
	if !ok {
		t.Fatalf("direct encoding of %+v failed", e)
	}
	got, ok := c.event(e)
	if !ok {
		t.Fatalf("the cache does not render %+v", e)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("event kind %v, NoticeSeq %d (-direct +cached):\n%s", e.Kind, e.Seq, diff)
	}
}

// Tips and notices are encoded once per Origin; each receiver's copy (its To_Account, a notice's
// own MsgSeq, MsgRandom and ClientSeq, its NoticeSeq) is spliced in, equal to the direct rendering
// even when names look like the fields spliced.
func TestTipAndNoticeCacheMatchesDirectEncoding(t *testing.T) {
	change := `"To_Account":"` + markerTo
	name := "New"
	tips := []state.GroupTip{
		{GroupID: "g1", GroupName: "team", Type: state.TipJoin, Operator: "alice", Users: []string{"bob"}, MemberNum: 3, Seq: 4, Random: 9, Time: 1},
		{GroupID: `g"<`, GroupName: change, Type: state.TipGroupInfo, Operator: `"To_Account":"x"`, OperatorNick: "\u2028&",
			Change: &state.GroupChange{Name: &name}, Seq: 1 << 40, Random: 1 << 31, Time: 1 << 33},
	}
	var c eventCache
	for _, tip := range tips {
		origin := tip
		for i, to := range []string{"bob", `"q"<>&`, "\u00e9\u2028"} {
			copy := origin
			copy.To = to
			checkCached(t, &c, state.Event{Seq: uint64(i + 1), Kind: state.EvGroupTip, Tip: &copy, Origin: &origin})
		}
	}
	notices := []state.GroupNotice{
		{GroupID: "g1", GroupName: "team", Type: state.NoticeDismissed, Operator: "alice", Time: 5},
		{GroupID: "g2", GroupName: change, Type: state.NoticeApply, Operator: `"MsgSeq":18446744073709551615`, Remark: `"ClientSeq":1`,
			Authentication: "auth", MsgKey: "key", UserDefinedField: `"NoticeSeq":18446744073709551615`, Time: 6},
		{GroupID: "g3", Type: state.NoticeCustom, Operator: "root", UserDefinedField: "<custom>", Time: 7},
	}
	for _, n := range notices {
		origin := n
		for i, to := range []string{"bob", `"q"`, "carol"} {
			copy := origin
			copy.To, copy.Seq, copy.Random = to, uint64(i+1), uint32(1000+i)
			checkCached(t, &c, state.Event{Seq: uint64(10 + i), Kind: state.EvGroupNotice, Notice: &copy, Origin: &origin})
		}
	}
	if got := c.size(); got != len(tips)+len(notices) {
		t.Errorf("cache holds %d encodings, want one per tip and notice (%d)", got, len(tips)+len(notices))
	}
}

// The state queues one message for every member, and one Origin for every receiver of a tip or a
// notice, so the cache encodes each once.
func TestGroupEventsQueuedOnceForAllReceivers(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1400000000})
	defer app.Close()
	users := []string{"alice", "bob", "carol", "dave"}
	for _, u := range users {
		app.EnsureUser(u)
	}
	if _, err := app.CreateGroup("alice", state.GroupSpec{ID: "g", Name: "g", Type: state.GroupPublic,
		Members: []state.MemberSpec{{User: "bob"}, {User: "carol"}, {User: "dave"}}}); err != nil {
		t.Fatal(err)
	}
	var c eventCache
	lastOf := func(u string, kind state.EventKind) state.Event {
		t.Helper()
		q := app.EventsOf(u)
		e := q[len(q)-1]
		if e.Kind != kind {
			t.Fatalf("%s: last event is %v, want %v", u, e.Kind, kind)
		}
		return e
	}
	if _, err := app.SendGroupMessage("alice", state.GroupMessage{GroupID: "g", Random: 1,
		Body: []state.Elem{{Type: "TIMTextElem", Content: json.RawMessage(`{"Text":"hi"}`)}}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		checkCached(t, &c, lastOf(u, state.EvGroupMessage))
	}
	if err := app.QuitGroup("dave", "g"); err != nil { // a tip to the members left
		t.Fatal(err)
	}
	for _, u := range users[:3] {
		checkCached(t, &c, lastOf(u, state.EvGroupTip))
	}
	if err := app.SendCustomNotice("alice", "g", []string{"bob", "carol"}, "custom"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"bob", "carol"} {
		checkCached(t, &c, lastOf(u, state.EvGroupNotice))
	}
	if got := c.size(); got != 3 {
		t.Errorf("cache holds %d encodings for a message, a tip and a notice, want 3", got)
	}
}
