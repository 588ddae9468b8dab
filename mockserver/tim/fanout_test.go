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
	var c groupMsgCache
	for _, m := range msgs {
		shared := m
		for _, seq := range []uint64{1, 2, 10, 1 << 63} {
			e := state.Event{Seq: seq, Kind: state.EvGroupMessage, Group: &shared}
			want, ok := groupEventOut(e)
			if !ok {
				t.Fatalf("direct encoding of %+v failed", m)
			}
			if diff := cmp.Diff(string(want), string(c.event(e))); diff != "" {
				t.Errorf("message %q, NoticeSeq %d (-direct +cached):\n%s", m.GroupID, seq, diff)
			}
		}
	}
	if got := c.size(); got != len(msgs) {
		t.Errorf("cache holds %d encodings, want one per message (%d)", got, len(msgs))
	}
}

// The long poll hands every member of a group the same message (the state queues one copy), so
// the cache encodes it once.
func TestGroupMessageQueuedOnceForAllMembers(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1400000000})
	defer app.Close()
	for _, u := range []string{"alice", "bob", "carol"} {
		app.EnsureUser(u)
	}
	if _, err := app.CreateGroup("alice", state.GroupSpec{ID: "g", Name: "g", Type: state.GroupPublic,
		Members: []state.MemberSpec{{User: "bob"}, {User: "carol"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.SendGroupMessage("alice", state.GroupMessage{GroupID: "g", Random: 1,
		Body: []state.Elem{{Type: "TIMTextElem", Content: json.RawMessage(`{"Text":"hi"}`)}}}); err != nil {
		t.Fatal(err)
	}
	var c groupMsgCache
	var first *state.GroupMessage
	for _, u := range []string{"alice", "bob", "carol"} {
		q := app.EventsOf(u)
		e := q[len(q)-1]
		if e.Kind != state.EvGroupMessage {
			t.Fatalf("%s: last event is %v, want the group message", u, e.Kind)
		}
		if first == nil {
			first = e.Group
		} else if e.Group != first {
			t.Errorf("%s: its event has its own copy of the message", u)
		}
		want, _ := groupEventOut(e)
		if diff := cmp.Diff(string(want), string(c.event(e))); diff != "" {
			t.Errorf("%s (-direct +cached):\n%s", u, diff)
		}
	}
	if got := c.size(); got != 1 {
		t.Errorf("cache holds %d encodings for one message, want 1", got)
	}
}
