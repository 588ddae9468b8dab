package scenario_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
)

// summary spells a user's event queue as short words: msg (group message), tipN, noticeN, recall,
// c2c, receipt.
func summary(app *state.App, user string) []string {
	var out []string
	for _, e := range app.EventsOf(user) {
		switch e.Kind {
		case state.EvGroupMessage:
			out = append(out, "msg")
		case state.EvGroupTip:
			out = append(out, fmt.Sprintf("tip%d", e.Tip.Type))
		case state.EvGroupNotice:
			out = append(out, fmt.Sprintf("notice%d", e.Notice.Type))
		case state.EvGroupRecall:
			out = append(out, "recall")
		case state.EvC2CMessage:
			out = append(out, "c2c")
		case state.EvReadReceipt:
			out = append(out, "receipt")
		case state.EvFriend:
			out = append(out, fmt.Sprintf("friend%d", e.Friend.Kind))
		case state.EvProfile:
			out = append(out, "profile")
		default:
			out = append(out, fmt.Sprint("kind", e.Kind))
		}
	}
	return out
}

// Every group action goes through the group model: the tips and notices a client's own call would
// cause reach exactly the users the group rules name (mockserver/state/group.go's table).
func TestGroupActions(t *testing.T) {
	sc, err := scenario.Parse("actions.yaml", []byte(`
users: [{id: alice}, {id: bob}, {id: carol}, {id: dave}, {id: erin}, {id: frank}]
groups:
  - {id: team, type: Public, name: Team, owner: alice, members: [{user: bob, role: Admin}, {user: carol}, {user: dave}]}
pushes:
  - {at: 0s, group_message: {from: carol, group: team, text: hi}}
  - {at: 0s, join: {user: erin, group: team, message: me too}}
  - {at: 0s, approve: {by: bob, group: team, user: erin, remark: welcome}}
  - {at: 0s, join: {user: frank, group: team}}
  - {at: 0s, reject: {by: alice, group: team, user: frank}}
  - {at: 0s, set_admin: {by: alice, group: team, user: carol}}
  - {at: 0s, unset_admin: {by: alice, group: team, user: carol}}
  - {at: 0s, mute: {by: bob, group: team, users: [dave], for: 1h}}
  - {at: 0s, unmute: {by: bob, group: team, users: [dave]}}
  - {at: 0s, modify_group: {by: bob, group: team, name: Team 2, custom: {topic: launch}}}
  - {at: 0s, revoke: {by: alice, group: team, seqs: [1]}}
  - {at: 0s, kick_member: {by: alice, group: team, users: [dave], reason: spam}}
  - {at: 0s, quit: {user: carol, group: team}}
  - {at: 0s, group_notice: {group: team, content: just you, to: [erin]}}
  - {at: 0s, change_owner: {by: alice, group: team, user: bob}}
  - {at: 0s, read: {user: alice, group: team}}
  - {at: 0s, create_group: {by: alice, id: g2, type: Private, name: Side, members: [{user: erin}]}}
  - {at: 0s, invite: {by: alice, group: g2, users: [frank]}}
  - {at: 0s, dismiss: {by: bob, group: team}}
  - {at: 0s, reclaim: {group: g2}}
`))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1400000001)
	run := apply(t, sc, tg)
	for _, p := range run.Pushes() {
		if !p.Fired || p.Error != "" {
			t.Fatalf("push %d (%s): fired %v, error %q", p.Index, p.Action, p.Fired, p.Error)
		}
	}
	want := map[string][]string{
		"alice": {"notice6", "msg", "notice1", "tip1", "notice1", "tip4", "tip5", "tip7", "tip7", "tip6", "recall", "tip3", "tip2", "tip6",
			"notice6", "tip1", "notice5", "notice11"},
		"bob":   {"notice7", "msg", "notice1", "tip1", "notice1", "tip4", "tip5", "tip7", "tip7", "tip6", "recall", "tip3", "tip2", "tip6", "notice5"},
		"carol": {"notice7", "msg", "tip1", "tip4", "notice9", "tip5", "notice10", "tip7", "tip7", "tip6", "recall", "tip3", "notice8"},
		"dave":  {"notice7", "msg", "tip1", "tip4", "tip5", "tip7", "tip7", "tip6", "recall", "notice4"},
		"erin":  {"notice2", "tip1", "tip4", "tip5", "tip7", "tip7", "tip6", "recall", "tip3", "tip2", "notice255", "tip6", "notice7", "tip1", "notice5", "notice11"},
		"frank": {"notice3", "notice7", "tip1", "notice11"},
	}
	for user, w := range want {
		if d := cmp.Diff(w, summary(tg.App, user)); d != "" {
			t.Errorf("%s's events (-want +got):\n%s", user, d)
		}
	}
	if ids := tg.App.GroupIDs(); len(ids) != 0 {
		t.Errorf("groups left: %v (team was dismissed, g2 reclaimed)", ids)
	}
	// The kick's reason and the custom notice's content travel with them.
	for _, n := range tg.App.Notices("dave") {
		if n.Type == state.NoticeKicked && n.Remark != "spam" {
			t.Errorf("notice 4 remark %q", n.Remark)
		}
	}
	for _, n := range tg.App.Notices("erin") {
		if n.Type == state.NoticeCustom && (n.UserDefinedField != "just you" || n.Operator != state.DefaultAdminID) {
			t.Errorf("notice 255: %+v", n)
		}
	}
}

// Profile, relationship-chain and C2C read actions change what the client reads back.
func TestUserActions(t *testing.T) {
	sc, err := scenario.Parse("user.yaml", []byte(`
users: [{id: alice}, {id: bob}, {id: carol}, {id: dave}]
friends: [{user: alice, friend: carol}]
blacklist: [{user: alice, blocks: carol}]
messages: [{from: bob, to: alice, text: one}, {from: bob, to: alice, text: two}]
pushes:
  - {at: 0s, profile: {user: alice, set: {nick: Al, Tag_Profile_Custom_Level: 3, Tag_Profile_IM_AllowType: AllowType_Type_DenyAny}}}
  - {at: 0s, friend_add: {user: alice, friend: bob, remark: Bobby, accept: true}}
  - {at: 0s, friend_delete: {user: alice, friend: carol, both: true}}
  - {at: 0s, blacklist_delete: {user: alice, blocks: carol}}
  - {at: 0s, blacklist_add: {user: alice, blocks: dave}}
  - {at: 0s, read: {user: alice, peer: bob}}
`))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1400000001)
	apply(t, sc, tg)
	app := tg.App
	p, _ := app.Profile("alice")
	if d := cmp.Diff([]state.ProfileItem{{Field: state.FieldAllowType, Value: state.AllowDenyAny}, {Field: "custom.Level", Value: 3}, {Field: state.FieldNick, Value: "Al"}}, p); d != "" {
		t.Errorf("profile (-want +got):\n%s", d)
	}
	if f := app.Friends("alice"); len(f) != 1 || f[0].User != "bob" || f[0].Remark != "Bobby" {
		t.Errorf("alice's friends %+v", f)
	}
	if f := app.Friends("carol"); len(f) != 0 {
		t.Errorf("carol's friends %+v (both: true)", f)
	}
	if b := app.Blacklist("alice"); len(b) != 1 || b[0].User != "dave" {
		t.Errorf("alice's blacklist %+v", b)
	}
	if u := app.UnreadC2C("alice"); len(u) != 0 {
		t.Errorf("alice read bob's messages, unread %+v", u)
	}
	// The relationship chain's own notices (Event 7 kinds: 1 added, 2 deleted, 3/4 request
	// added/deleted, 5/6 blocked/unblocked) and profile changes reach whom the client's call would.
	for user, want := range map[string][]string{
		"alice": {"c2c", "c2c", "profile", "friend1", "friend2", "friend6", "friend5"},
		"bob":   {"c2c", "c2c", "friend3", "friend1", "friend4", "receipt"},
		"carol": {"profile", "friend2"},
	} {
		if d := cmp.Diff(want, summary(app, user)); d != "" {
			t.Errorf("%s's events (-want +got):\n%s", user, d)
		}
	}
}

// A refused action names its place in the file: at load (a push due at 0s refuses the scenario,
// leaving no fault rule behind) and in a dry run.
func TestRefusedAction(t *testing.T) {
	src := `users: [{id: alice}, {id: bob}, {id: carol}]
groups:
  - {id: team, type: Public, name: Team, owner: alice, members: [{user: bob}, {user: carol}]}
faults: [{match: {command: openim/sendmsg}, drop: true}]
pushes:
  - at: 0s
    kick_member: {by: bob, group: team, users: [carol]}
`
	sc, err := scenario.Parse("refused.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1)
	_, err = sc.Apply(tg)
	var re *scenario.RunError
	if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "refused.yaml:7:5: pushes[0].kick_member: refused: ") {
		t.Fatalf("got %v", err)
	}
	var se *state.Error
	if !errors.As(err, &se) {
		t.Errorf("the state's own error is kept: %v", err)
	}
	if n := len(tg.Faults.List()); n != 0 {
		t.Errorf("%d fault rules left behind", n)
	}
	if g, _ := tg.App.GroupMembers(state.DefaultAdminID, "team"); len(g) != 3 {
		t.Errorf("members %v: carol stays", g)
	}
	// A later push is refused in the dry run the same way.
	later := strings.Replace(src, "at: 0s", "after: {command: openim/getlongpollingid}", 1)
	sc, err = scenario.Parse("refused.yaml", []byte(later))
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.DryRun(); err == nil || !strings.HasPrefix(err.Error(), "refused.yaml:7:5: pushes[0].kick_member: refused") {
		t.Fatalf("dry run: %v", err)
	}
}

func TestActionLoadErrors(t *testing.T) {
	head := "users: [{id: a}, {id: b}]\npushes:\n  - at: 1s\n"
	for _, c := range []struct{ yaml, key, msg string }{
		{"    quit: {user: z, group: g}\n", "pushes[0].quit.user", `"z" is not declared`},
		{"    quit: {user: a}\n", "pushes[0].quit.group", "required"},
		{"    mute: {by: a, group: g, users: [b]}\n", "pushes[0].mute.for", "mute length"},
		{"    kick_member: {by: a, group: g}\n", "pushes[0].kick_member.users", "at least one"},
		{"    kick_member: {by: a, group: g, users: [b], extra: 1}\n", "pushes[0].kick_member.extra", "unknown key"},
		{"    modify_group: {by: a, group: g}\n", "pushes[0].modify_group", "change something"},
		{"    modify_group: {by: a, group: g, join_option: Open}\n", "pushes[0].modify_group.join_option", "want one of"},
		{"    read: {user: a, peer: b, group: g}\n", "pushes[0].read", "either peer"},
		{"    group_message: {from: a, group: g}\n", "pushes[0].group_message", "text or body"},
		{"    group_notice: {group: g}\n", "pushes[0].group_notice.content", "required"},
		{"    profile: {user: a, set: {nickname: x}}\n", "pushes[0].profile.set.nickname", "profile keys are nick, avatar"},
		{"    profile: {user: a, set: {custom.: x}}\n", "pushes[0].profile.set.custom.", "custom.<name>"},
		{"    create_group: {by: a, type: Private, name: x, members: [{user: b, role: Admin}]}\n", "pushes[0].create_group.members[0].role", "no admins"},
		{"    quit: {user: a, group: g}\n    dismiss: {by: a, group: g}\n", "pushes[0]", "exactly one action"},
	} {
		_, err := scenario.Parse("p.yaml", []byte(head+c.yaml))
		var e *scenario.Error
		if !errors.As(err, &e) || e.Key != c.key || !strings.Contains(e.Msg, c.msg) || e.Line < 3 {
			t.Errorf("%s: got %v", c.yaml, err)
		}
	}
}

// The timeline callback hears of each push as it fires, with its position.
func TestTimeline(t *testing.T) {
	sc, err := scenario.Parse("tl.yaml", []byte("users: [{id: a}, {id: b}]\npushes:\n  - {at: 0s, message: {from: a, to: b, text: hi}}\n  - {at: 0s, friend_add: {user: a, friend: b, accept: true}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	sc.Timeline = func(p scenario.PushStatus) { got = append(got, p.At+" "+p.Action+" → "+p.Result) }
	apply(t, sc, newTarget(1))
	want := []string{"tl.yaml:3:14 message a → b → sent", "tl.yaml:4:14 a and b become friends → friends"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("timeline (-want +got):\n%s", d)
	}
}

// Every file of the library says what it proves and survives a dry run: no push in it is refused
// when it runs against the state it seeds.
func TestLibraryDryRun(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixturesDir(), "*", "*.yaml"))
	if err != nil || len(files) < 50 {
		t.Fatalf("library: %d files, %v", len(files), err)
	}
	for _, f := range files {
		sc, err := scenario.Load(f)
		if err != nil {
			t.Error(err)
			continue
		}
		if sc.Name == "" || sc.Description == "" || sc.Proves == "" {
			t.Errorf("%s: a library file has a name, a description and says what it proves", f)
		}
		if err := sc.DryRun(); err != nil {
			t.Error(err)
		}
	}
}

// A C2C recall marks the sender's message revoked (no longer unread) and tells the peer; a message
// of someone else's, or one that is not there, is refused.
func TestRevokeC2C(t *testing.T) {
	sc, err := scenario.Parse("r.yaml", []byte(`users: [{id: alice}, {id: bob}]
messages: [{from: alice, to: bob, text: oops, seq: 5, random: 555}, {from: alice, to: bob, text: fine}]
pushes:
  - {at: 0s, revoke: {by: alice, peer: bob, seq: 5, random: 555}}
`))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1)
	apply(t, sc, tg)
	h := tg.App.C2CHistory("alice", "bob")
	if len(h) != 2 || !h[0].Revoked || h[1].Revoked {
		t.Fatalf("history %+v", h)
	}
	if u := tg.App.UnreadC2C("bob"); len(u) != 1 || u[0].Count != 1 {
		t.Errorf("unread %+v: the recalled message no longer counts", u)
	}
	ev := tg.App.EventsOf("bob")
	if last := ev[len(ev)-1]; last.Kind != state.EvC2CRecall || *last.C2CRecall != (state.C2CRecall{From: "alice", To: "bob", Seq: 5, Random: 555, Time: h[0].Time}) {
		t.Errorf("bob's last event %+v", last)
	}
	for _, bad := range []string{"{by: bob, peer: alice, seq: 5, random: 555}", "{by: alice, peer: bob, seq: 5, random: 556}"} {
		sc, err := scenario.Parse("r.yaml", []byte("users: [{id: alice}, {id: bob}]\nmessages: [{from: alice, to: bob, text: oops, seq: 5, random: 555}]\npushes:\n  - {at: 0s, revoke: "+bad+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Apply(newTarget(1)); err == nil || !strings.Contains(err.Error(), "r.yaml:4:14: pushes[0].revoke: refused") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := scenario.Parse("r.yaml", []byte("users: [{id: a}, {id: b}]\npushes:\n  - {at: 0s, revoke: {by: a, peer: b, group: g, seq: 1}}\n")); err == nil {
		t.Error("group and peer together are refused")
	}
}
