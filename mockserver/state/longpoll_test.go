package state_test

import (
	"testing"

	"github.com/imharness/imharness/mockserver/state"
)

// A message stored after the receiver's last getmsg but before its getlongpollingid reaches the
// long poll (it reached neither before the watermark followed the sync).
func TestMessageBetweenSyncAndLongPollIsDelivered(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	app.EnsureUser("alice")
	bob := app.Login("bob")
	if _, err := app.SendC2C(0, msg("alice", "bob")); err != nil { // before bob's sync: the sync carries it
		t.Fatal(err)
	}
	page, err := app.SyncC2C("bob", "")
	if err != nil || !page.Complete || len(page.Messages) != 1 {
		t.Fatalf("sync %+v %v", page, err)
	}
	late, err := app.SendC2C(0, msg("alice", "bob")) // after the sync, before the long poll opens
	if err != nil {
		t.Fatal(err)
	}
	lp, err := app.OpenLongPoll(bob.A2)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := app.Poll(bob.A2, lp, 0, 50)
	if err != nil || len(res.Events) != 1 || res.Events[0].C2C.Random != late.Random {
		t.Fatalf("long poll %+v %v: want only the late message", res, err)
	}
}

var rnd uint32

func msg(from, to string) state.C2CMessage {
	rnd++
	return state.C2CMessage{From: from, To: to, Random: rnd, Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"x"}`)}}}
}

// Without a sync since login, the long poll starts from when it opens (the old rule).
func TestLongPollWithoutSyncStartsNow(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	app.EnsureUser("alice")
	bob := app.Login("bob")
	if _, err := app.SendC2C(0, msg("alice", "bob")); err != nil {
		t.Fatal(err)
	}
	lp, _ := app.OpenLongPoll(bob.A2)
	if res, _, _ := app.Poll(bob.A2, lp, 0, 50); len(res.Events) != 0 {
		t.Fatalf("events before the long poll opened: %+v", res.Events)
	}
}

// A parked poll (PollNotify) is called once at the user's next event, then polls again and finds
// it; a withdrawn one is never called.
func TestPollNotifyWakesOnceAndCanBeWithdrawn(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	app.EnsureUser("alice")
	bob := app.Login("bob")
	lp, _ := app.OpenLongPoll(bob.A2)
	woken, withdrawnWoken := 0, 0
	res, _, err := app.PollNotify(bob.A2, lp, 0, 50, func() { woken++ })
	if err != nil || res.Ready() {
		t.Fatalf("an empty queue is ready: %+v %v", res, err)
	}
	_, cancel, _ := app.PollNotify(bob.A2, lp, 0, 50, func() { withdrawnWoken++ })
	cancel()
	for range 2 {
		if _, err := app.SendC2C(0, msg("alice", "bob")); err != nil {
			t.Fatal(err)
		}
	}
	if woken != 1 || withdrawnWoken != 0 {
		t.Fatalf("woken %d times (want 1), withdrawn one %d times (want 0)", woken, withdrawnWoken)
	}
	res, cancel, err = app.PollNotify(bob.A2, lp, 0, 50, func() { t.Error("a ready poll was parked") })
	cancel()
	if err != nil || len(res.Events) != 2 {
		t.Fatalf("after the wake-up: %+v %v", res, err)
	}
	// Closing the tenant wakes what is parked.
	_, _, _ = app.PollNotify(bob.A2, lp, 2, 50, func() { woken++ })
	app.Close()
	if woken != 2 {
		t.Fatalf("close woke %d", woken-1)
	}
}

// A message delivered before the first sync (the WebSocket generation is pushed to from its login
// on) does not make the sync skip an older message that reached the user while away: the sync
// still carries both, and once it is complete nothing is synced twice.
func TestDeliveryBeforeTheSyncKeepsTheOlderMessagesForIt(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	app.EnsureUser("alice")
	app.EnsureUser("bob")
	away, err := app.SendC2C(0, msg("alice", "bob"))
	if err != nil {
		t.Fatal(err)
	}
	bob := app.Login("bob")
	lp, _ := app.OpenLongPoll(bob.A2) // no sync yet: pushes start now
	live, err := app.SendC2C(0, msg("alice", "bob"))
	if err != nil {
		t.Fatal(err)
	}
	res, _, _ := app.Poll(bob.A2, lp, 0, 50)
	if len(res.Events) != 1 || res.Events[0].C2C.Random != live.Random {
		t.Fatalf("delivered %+v: want only the live message", res.Events)
	}
	page, err := app.SyncC2C("bob", "")
	if err != nil || !page.Complete || len(page.Messages) != 2 || page.Messages[0].Random != away.Random {
		t.Fatalf("sync %+v %v: want the message from while away, then the live one", page, err)
	}
	// Delivered after a complete sync: the next sync starts behind it.
	if _, err := app.SendC2C(0, msg("alice", "bob")); err != nil {
		t.Fatal(err)
	}
	if res, _, _ := app.Poll(bob.A2, lp, res.Events[0].Seq, 50); len(res.Events) != 1 {
		t.Fatalf("second delivery %+v", res.Events)
	}
	if page, err := app.SyncC2C("bob", ""); err != nil || len(page.Messages) != 0 {
		t.Fatalf("sync after everything was synced or delivered: %+v %v", page, err)
	}
}
