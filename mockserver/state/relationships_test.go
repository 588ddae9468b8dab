package state_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imharness/imharness/mockserver/state"
)

// friendNotices are the relationship-chain notices queued for a user, in order.
func friendNotices(app *state.App, user string) []state.FriendNotice {
	var out []state.FriendNotice
	for _, e := range app.EventsOf(user) {
		if e.Kind == state.EvFriend {
			out = append(out, *e.Friend)
		}
	}
	return out
}

// One call names several accounts: each gets its own outcome, in the order named, and the
// accounts the call changed reach the caller in one notice after those each account caused.
func TestBlockUsersReportsEachAccountAndBatchesTheNotice(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	for _, u := range []string{"alice", "bob", "carol"} {
		app.EnsureUser(u)
	}
	if err := app.AddFriend("alice", "bob", ""); err != nil {
		t.Fatal(err)
	}
	rs, err := app.BlockUsers("alice", []string{"bob", "alice", "ghost", "carol"})
	if err != nil {
		t.Fatal(err)
	}
	want := []state.SNSResult{{User: "bob"}, {User: "alice", Reason: state.SNSSelf, Info: "cannot block yourself"},
		{User: "ghost", Reason: state.SNSNoAccount, Info: "no such account"}, {User: "carol"}}
	if d := cmp.Diff(want, rs); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	// Blocking a friend ends the friendship both ways first.
	if d := cmp.Diff([]state.FriendNotice{{Kind: state.FriendDeleted, Users: []string{"bob"}},
		{Kind: state.BlackAdded, Users: []string{"bob", "carol"}}}, friendNotices(app, "alice")); d != "" {
		t.Errorf("alice's notices (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]state.FriendNotice{{Kind: state.FriendDeleted, Users: []string{"alice"}}}, friendNotices(app, "bob")); d != "" {
		t.Errorf("bob's notices (-want +got):\n%s", d)
	}
	// Nothing changed: no notice.
	if _, err := app.UnblockUsers("alice", []string{"dave"}); err != nil {
		t.Fatal(err)
	}
	if n := len(friendNotices(app, "alice")); n != 2 {
		t.Errorf("unblocking nobody queued a notice (%d notices)", n)
	}
	if _, err := app.BlockUsers("nobody", []string{"bob"}); err == nil {
		t.Error("an unknown caller was not refused")
	}
}

// A rejected request is deleted like an accepted one, but makes no friends.
func TestRespondFriends(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	for _, u := range []string{"alice", "bob", "carol"} {
		app.EnsureUser(u)
	}
	for _, from := range []string{"bob", "carol"} {
		rs, err := app.AddFriends(from, []state.FriendRequest{{To: "alice", Remark: "A"}})
		if err != nil || rs[0].Reason != state.SNSPending {
			t.Fatalf("%s's request: %+v %v", from, rs, err)
		}
	}
	rs, err := app.RespondFriends("alice", []state.FriendResponse{{To: "bob", Accept: true, Remark: "B"}, {To: "carol"}, {To: "dave"}})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Reason != "" || rs[1].Reason != "" || rs[2].Reason != state.SNSNoPendency {
		t.Fatalf("results %+v", rs)
	}
	if d := cmp.Diff([]state.Friend{{User: "bob", Remark: "B", AddTime: app.Now().Unix()}}, app.Friends("alice")); d != "" {
		t.Errorf("alice's friends (-want +got):\n%s", d)
	}
	if len(app.FriendPendencies("alice", true)) != 0 {
		t.Error("answered requests are still pending")
	}
}
