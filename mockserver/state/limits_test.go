package state_test

import (
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
)

func text(s string) []state.Elem {
	return []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"` + s + `"}`)}}
}

// Past MaxMessages the oldest C2C messages leave roaming history and the offline sync; the newest
// stay, in order, with their keys and positions unchanged.
func TestMaxMessagesEvictsTheOldest(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s", Limits: state.Limits{MaxMessages: 5}})
	app.EnsureUser("alice")
	app.EnsureUser("bob")
	var sent []state.C2CMessage
	for i := range 12 {
		m, err := app.SendC2C(0, state.C2CMessage{From: "alice", To: "bob", Random: uint32(100 + i), Body: text("x")})
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	if sent[11].Index != 12 {
		t.Errorf("the 12th message has Index %d: eviction must not renumber", sent[11].Index)
	}
	hist := app.C2CHistory("alice", "bob")
	if len(hist) != 5 || hist[0].Random != 107 || hist[4].Random != 111 {
		t.Fatalf("history after 12 sends with MaxMessages 5: %d messages %v, want randoms 107..111", len(hist), randoms(hist))
	}
	page, err := app.SyncC2C("bob", "")
	if err != nil || !page.Complete || len(page.Messages) != 5 || page.Messages[0].Random != 107 {
		t.Fatalf("bob's offline sync: %v %v, want the 5 newest", randoms(page.Messages), err)
	}
	roam, err := app.RoamC2C("alice", "bob", 3, "")
	if err != nil || len(roam.Messages) != 3 || roam.Complete {
		t.Fatalf("roaming, newest page: %v complete=%v %v", randoms(roam.Messages), roam.Complete, err)
	}
	roam, err = app.RoamC2C("alice", "bob", 3, roam.Key)
	if err != nil || len(roam.Messages) != 2 || !roam.Complete || roam.Messages[0].Random != 107 {
		t.Fatalf("roaming, next page: %v complete=%v %v; want 107,108 and the end", randoms(roam.Messages), roam.Complete, err)
	}
	// A cursor naming an evicted message: the end of history, not an error.
	roam, err = app.RoamC2C("alice", "bob", 3, sent[2].Key())
	if err != nil || len(roam.Messages) != 0 || !roam.Complete {
		t.Errorf("roaming from an evicted message's key: %+v %v, want an empty last page", roam, err)
	}
	if _, err := app.RoamC2C("alice", "bob", 3, "99_1"); err == nil {
		t.Error("a key of no message at all was accepted")
	}
}

// MessageAge evicts by the tenant's clock, as the real service's roaming retention does.
func TestMessageAgeEvicts(t *testing.T) {
	clock := state.NewClock()
	clock.Freeze(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s", Clock: clock, Limits: state.Limits{MessageAge: 7 * 24 * time.Hour}})
	app.EnsureUser("alice")
	app.EnsureUser("bob")
	send := func(r uint32) {
		if _, err := app.SendC2C(0, state.C2CMessage{From: "alice", To: "bob", Random: r, Body: text("x")}); err != nil {
			t.Fatal(err)
		}
	}
	send(1)
	clock.Advance(6 * 24 * time.Hour)
	send(2)
	clock.Advance(2 * 24 * time.Hour) // the first is 8 days old now, the second 2
	send(3)
	if got := randoms(app.C2CHistory("alice", "bob")); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("history after 8 days with a 7-day age: %v, want [2 3]", got)
	}
}

// A user's event queue keeps MaxEvents; Seq keeps counting, and a poll whose cursor points at
// dropped events gets the oldest kept ones, in order, none twice.
func TestMaxEventsDropsTheOldest(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s", Limits: state.Limits{MaxEvents: 8}})
	app.EnsureUser("alice")
	bob := app.Login("bob")
	lp, err := app.OpenLongPoll(bob.A2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := app.SendC2C(0, state.C2CMessage{From: "alice", To: "bob", Random: uint32(i + 1), Body: text("x")}); err != nil {
			t.Fatal(err)
		}
	}
	evs := app.EventsOf("bob")
	if len(evs) < 8 || len(evs) > 10 || evs[len(evs)-1].Seq != 40 {
		t.Fatalf("bob keeps %d events, newest Seq %d; want 8 to 10 (MaxEvents plus slack), newest 40", len(evs), evs[len(evs)-1].Seq)
	}
	res, _, err := app.Poll(bob.A2, lp, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var last uint64
	for _, e := range res.Events {
		if e.Seq != last+1 && last != 0 {
			t.Errorf("poll from 0: Seq %d after %d", e.Seq, last)
		}
		last = e.Seq
	}
	if len(res.Events) != len(evs) || last != 40 || res.Events[0].C2C.Random != uint32(res.Events[0].Seq) {
		t.Errorf("poll from a dropped cursor got %d events ending at %d, want the %d kept ending at 40", len(res.Events), last, len(evs))
	}
	res, _, _ = app.Poll(bob.A2, lp, 38, 50)
	if len(res.Events) != 2 || res.Events[0].Seq != 39 {
		t.Errorf("poll from 38: %d events, want 39 and 40", len(res.Events))
	}
}

// Under a steady load the kept state stops growing: memory levels off (a serve can run for days).
func TestStoredStateLevelsOff(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s", Limits: state.Limits{MaxMessages: 50, MaxEvents: 20}})
	app.EnsureUser("alice")
	app.EnsureUser("bob")
	for i := range 2000 {
		if _, err := app.SendC2C(0, state.C2CMessage{From: "alice", To: "bob", Random: uint32(i), Body: text("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(app.C2CHistory("alice", "bob")); n != 50 {
		t.Errorf("history holds %d after 2000 sends, want MaxMessages 50", n)
	}
	for _, u := range []string{"alice", "bob"} {
		if n := len(app.EventsOf(u)); n > 25 {
			t.Errorf("%s holds %d events after 2000 sends, want at most MaxEvents 20 plus a quarter", u, n)
		}
	}
}

func randoms(ms []state.C2CMessage) []uint32 {
	var out []uint32
	for _, m := range ms {
		out = append(out, m.Random)
	}
	return out
}

// A resend (same sender, receiver, MsgSeq and MsgRandom: the SDK retrying a send whose reply it lost)
// is stored and delivered once; the answer is the stored message.
func TestResendIsStoredOnce(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	app.EnsureUser("alice")
	app.EnsureUser("bob")
	m := state.C2CMessage{From: "alice", To: "bob", Seq: 7, Random: 42, Body: text("x")}
	first, err := app.SendC2C(0, m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := app.SendC2C(0, m)
	if err != nil || again.Key() != first.Key() {
		t.Fatalf("resend answered %v %v, want the stored message %s", again.Key(), err, first.Key())
	}
	other := m
	other.Random = 43 // a new message with the same MsgSeq is a new message
	if _, err := app.SendC2C(0, other); err != nil {
		t.Fatal(err)
	}
	if n, ev := len(app.C2CHistory("alice", "bob")), len(app.EventsOf("bob")); n != 2 || ev != 2 {
		t.Errorf("history %d, bob's events %d; want 2 each", n, ev)
	}
}

// Uploaded files past MaxUploadBytes: the oldest finished ones are evicted; an upload in progress
// that would pass the limit is refused.
func TestMaxUploadBytes(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s", Limits: state.Limits{MaxUploadBytes: 100}})
	put := func(r uint64, b string) (state.SliceResult, error) {
		return app.PutSlice(state.UploadKey{User: "alice", Seq: 1, Random: r}, len(b), 0, []byte(b), "")
	}
	var uuids []string
	for i, b := range []string{strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)} {
		res, err := put(uint64(i+1), b)
		if err != nil || !res.Finished {
			t.Fatalf("upload %d: %+v %v", i, res, err)
		}
		uuids = append(uuids, res.UUID)
	}
	if _, ok := app.File(uuids[0]); ok {
		t.Error("the oldest file is still stored with 120 bytes uploaded and a 100-byte limit")
	}
	for _, u := range uuids[1:] {
		if _, ok := app.File(u); !ok {
			t.Errorf("file %s was evicted; only the oldest should be", u)
		}
	}
	// An upload in progress counts too: 60 of 101 bytes, then 41 more would pass the limit.
	if _, err := app.PutSlice(state.UploadKey{User: "bob", Seq: 2, Random: 9}, 101, 0, []byte(strings.Repeat("d", 60)), ""); err == nil {
		// 101 bytes cannot fit a 100-byte limit at all; the first slice fits, the second must not.
		if _, err := app.PutSlice(state.UploadKey{User: "bob", Seq: 2, Random: 9}, 101, 60, []byte(strings.Repeat("d", 41)), ""); err == nil || !strings.Contains(err.Error(), "upload limit") {
			t.Errorf("a slice past the upload limit: %v, want a refusal naming the limit", err)
		}
	} else {
		t.Fatalf("first slice: %v", err)
	}
}
