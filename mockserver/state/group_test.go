package state_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
)

// The cast: olivia owns, adam is an admin (a plain member in Private groups, which have no admins),
// mia and max are members, otto and pat are outsiders. root is the app administrator.
const root = state.DefaultAdminID

var everyone = []string{"olivia", "adam", "mia", "max", "otto", "pat"}

func newApp(t *testing.T) *state.App {
	t.Helper()
	a := state.NewApp(state.Options{SDKAppID: 1400000001, Secret: "s"})
	a.Clock().Freeze(time.Unix(1_800_000_000, 0))
	for _, u := range everyone {
		a.EnsureUser(u)
	}
	return a
}

// castGroup creates a group of type t with the cast; AVChatRooms are created empty and joined.
func castGroup(t *testing.T, a *state.App, typ state.GroupType, opt state.JoinOption) string {
	t.Helper()
	spec := state.GroupSpec{Type: typ, Name: "g-" + string(typ), ApplyJoinOption: opt}
	adamRole := state.RoleAdmin
	if typ == state.GroupPrivate {
		adamRole = state.RoleMember
	}
	if typ != state.GroupAVChatRoom {
		spec.Members = []state.MemberSpec{{User: "adam", Role: adamRole}, {User: "mia"}, {User: "max"}}
	}
	g, err := a.CreateGroup("olivia", spec)
	if err != nil {
		t.Fatalf("create %s: %v", typ, err)
	}
	if typ == state.GroupAVChatRoom {
		for _, u := range []string{"adam", "mia", "max"} {
			if _, err := a.ApplyJoin(u, g.ID, "", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	return g.ID
}

// code is the Tencent IM code the refusal goes on the wire with (the table these expectations
// were written against; the state itself gives reasons).
func code(err error) int {
	var se *state.Error
	if err != nil && !errors.As(err, &se) {
		return -1
	}
	return tim.CodeOf(err)
}

func TestGroupPermissions(t *testing.T) {
	P, U, C, AV := state.GroupPrivate, state.GroupPublic, state.GroupChatRoom, state.GroupAVChatRoom
	role := func(r state.Role) *state.Role { return &r }
	secs := func(n int64) *int64 { return &n }
	str := func(s string) *string { return &s }
	flag := func(f state.MsgFlag) *state.MsgFlag { return &f }
	invite := func(op string, users ...string) func(*state.App, string) error {
		return func(a *state.App, g string) error { _, err := a.AddMembers(op, g, users, false); return err }
	}
	kick := func(op string, users ...string) func(*state.App, string) error {
		return func(a *state.App, g string) error { return a.RemoveMembers(op, g, users, "", false) }
	}
	member := func(op, target string, ch state.MemberChange) func(*state.App, string) error {
		return func(a *state.App, g string) error { _, err := a.ModifyMember(op, g, target, ch); return err }
	}
	modify := func(op string, ch state.GroupChange) func(*state.App, string) error {
		return func(a *state.App, g string) error { _, err := a.ModifyGroup(op, g, ch); return err }
	}
	mute := func(op string, users ...string) func(*state.App, string) error {
		return func(a *state.App, g string) error { return a.MuteMembers(op, g, users, 60) }
	}
	dismiss := func(op string) func(*state.App, string) error {
		return func(a *state.App, g string) error { return a.DestroyGroup(op, g) }
	}
	owner := func(op, to string) func(*state.App, string) error {
		return func(a *state.App, g string) error { return a.ChangeOwner(op, g, to) }
	}
	apply := func(u string) func(*state.App, string) error {
		return func(a *state.App, g string) error { _, err := a.ApplyJoin(u, g, "hi", ""); return err }
	}
	quit := func(u string) func(*state.App, string) error {
		return func(a *state.App, g string) error { return a.QuitGroup(u, g) }
	}
	send := func(u string) func(*state.App, string) error {
		return func(a *state.App, g string) error {
			_, err := a.SendGroupMessage(u, state.GroupMessage{GroupID: g, Random: 1, Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"x"}`)}}})
			return err
		}
	}
	then := func(steps ...func(*state.App, string) error) func(*state.App, string) error {
		return func(a *state.App, g string) error {
			for _, s := range steps[:len(steps)-1] {
				if err := s(a, g); err != nil {
					return fmt.Errorf("setup: %w", err)
				}
			}
			return steps[len(steps)-1](a, g)
		}
	}
	cases := []struct {
		name string
		typ  state.GroupType
		opt  state.JoinOption
		do   func(*state.App, string) error
		want int
	}{
		{"private: a member invites", P, "", invite("mia", "otto"), 0},
		{"private: an outsider invites", P, "", invite("otto", "pat"), 10007},
		{"public: the owner may not invite", U, "", invite("olivia", "otto"), 10007},
		{"public: root invites", U, "", invite(root, "otto"), 0},
		{"chatroom: an admin may not invite", C, "", invite("adam", "otto"), 10007},
		{"avchatroom: not even root invites", AV, "", invite(root, "otto"), 10007},
		{"invite nobody", P, "", invite("mia"), 10004},

		{"private: the owner kicks", P, "", kick("olivia", "mia"), 0},
		{"private: a member kicks", P, "", kick("mia", "max"), 10007},
		{"public: an admin kicks a member", U, "", kick("adam", "mia"), 0},
		{"public: an admin kicks the owner", U, "", kick("adam", "olivia"), 10007},
		{"public: the owner kicks an admin", U, "", kick("olivia", "adam"), 0},
		{"public: a member kicks", U, "", kick("mia", "max"), 10007},
		{"public: root cannot kick the owner", U, "", kick(root, "olivia"), 10007},
		{"public: kick yourself", U, "", kick("olivia", "olivia"), 10004},
		{"avchatroom: nobody kicks", AV, "", kick("olivia", "mia"), 10007},

		{"public: the owner sets an admin", U, "", member("olivia", "mia", state.MemberChange{Role: role(state.RoleAdmin)}), 0},
		{"chatroom: root sets an admin", C, "", member(root, "mia", state.MemberChange{Role: role(state.RoleAdmin)}), 0},
		{"public: an admin sets an admin", U, "", member("adam", "mia", state.MemberChange{Role: role(state.RoleAdmin)}), 10007},
		{"private: no admins", P, "", member("olivia", "mia", state.MemberChange{Role: role(state.RoleAdmin)}), 10007},
		{"avchatroom: no admins", AV, "", member("olivia", "mia", state.MemberChange{Role: role(state.RoleAdmin)}), 10007},
		{"public: role Owner", U, "", member("olivia", "mia", state.MemberChange{Role: role(state.RoleOwner)}), 10004},
		{"public: the owner's own role", U, "", member("olivia", "olivia", state.MemberChange{Role: role(state.RoleMember)}), 10007},
		{"public: role of an outsider", U, "", member("olivia", "otto", state.MemberChange{Role: role(state.RoleAdmin)}), 10004},

		{"public: an admin mutes a member", U, "", mute("adam", "mia"), 0},
		{"public: the owner mutes an admin", U, "", mute("olivia", "adam"), 0},
		{"public: an admin mutes the owner", U, "", mute("adam", "olivia"), 10007},
		{"public: an admin mutes an admin", U, "", then(member("olivia", "mia", state.MemberChange{Role: role(state.RoleAdmin)}), mute("adam", "mia")), 10007},
		{"public: a member mutes", U, "", mute("mia", "max"), 10007},
		{"public: mute yourself", U, "", mute("adam", "adam"), 10007},
		{"private: no mute", P, "", mute("olivia", "mia"), 10007},
		{"public: mute by modify_group_member_info", U, "", member("adam", "mia", state.MemberChange{ShutUpSeconds: secs(60)}), 0},
		{"public: negative mute", U, "", member("adam", "mia", state.MemberChange{ShutUpSeconds: secs(-1)}), 10004},

		{"private: a member modifies the profile", P, "", modify("mia", state.GroupChange{Name: str("x")}), 0},
		{"public: a member modifies the profile", U, "", modify("mia", state.GroupChange{Name: str("x")}), 10007},
		{"public: an admin modifies the profile", U, "", modify("adam", state.GroupChange{Name: str("x")}), 0},
		{"public: an outsider modifies the profile", U, "", modify("otto", state.GroupChange{Name: str("x")}), 10007},
		{"public: name too long", U, "", modify("adam", state.GroupChange{Name: str(strings.Repeat("x", 31))}), 10004},
		{"public: empty name", U, "", modify("adam", state.GroupChange{Name: str("")}), 10004},
		{"chatroom: join option is fixed", C, "", modify("olivia", state.GroupChange{ApplyJoinOption: ptr(state.JoinNeedPermission)}), 10004},
		{"private: no mute-all", P, "", modify("olivia", state.GroupChange{ShutUpAll: ptr(true)}), 10007},
		{"public: an admin mutes all", U, "", modify("adam", state.GroupChange{ShutUpAll: ptr(true)}), 0},

		{"private: the owner may not dismiss", P, "", dismiss("olivia"), 10007},
		{"private: root dismisses", P, "", dismiss(root), 0},
		{"public: the owner dismisses", U, "", dismiss("olivia"), 0},
		{"public: an admin dismisses", U, "", dismiss("adam"), 10007},
		{"avchatroom: the owner dismisses", AV, "", dismiss("olivia"), 0},

		{"public: the owner hands over", U, "", owner("olivia", "mia"), 0},
		{"private: the owner hands over", P, "", owner("olivia", "mia"), 0},
		{"public: an admin hands over", U, "", owner("adam", "mia"), 10007},
		{"public: hand over to an outsider", U, "", owner("olivia", "otto"), 10004},
		{"avchatroom: no hand over", AV, "", owner("olivia", "mia"), 10007},

		{"private: nobody applies", P, "", apply("otto"), 10007},
		{"public: a member applies", U, "", apply("mia"), 10013},
		{"public: disabled applications", U, state.JoinDisableApply, apply("otto"), 10007},
		{"public: free access", U, state.JoinFreeAccess, apply("otto"), 0},
		{"avchatroom: a member joins again", AV, "", apply("mia"), 0},

		{"public: the owner may not quit", U, "", quit("olivia"), 10009},
		{"avchatroom: the owner may not quit", AV, "", quit("olivia"), 10009},
		{"private: the owner quits", P, "", quit("olivia"), 0},
		{"public: an outsider quits", U, "", quit("otto"), 10007},

		{"public: an outsider sends", U, "", send("otto"), 10007},
		{"public: a muted member sends", U, "", then(mute("adam", "mia"), send("mia")), 10017},
		{"public: a member sends under mute-all", U, "", then(modify("adam", state.GroupChange{ShutUpAll: ptr(true)}), send("mia")), 10017},
		{"public: an admin sends under mute-all", U, "", then(modify("adam", state.GroupChange{ShutUpAll: ptr(true)}), send("adam")), 0},
		{"public: root sends", U, "", send(root), 0},

		{"public: your own name card", U, "", member("mia", "mia", state.MemberChange{NameCard: str("M")}), 0},
		{"public: another member's name card", U, "", member("mia", "max", state.MemberChange{NameCard: str("M")}), 10007},
		{"public: an admin sets a member's name card", U, "", member("adam", "mia", state.MemberChange{NameCard: str("M")}), 0},
		{"public: an admin sets the owner's name card", U, "", member("adam", "olivia", state.MemberChange{NameCard: str("M")}), 10007},
		{"public: another member's MsgFlag", U, "", member("olivia", "mia", state.MemberChange{MsgFlag: flag(state.MsgDiscard)}), 10007},
		{"public: a bad MsgFlag", U, "", member("mia", "mia", state.MemberChange{MsgFlag: flag("Loud")}), 10004},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newApp(t)
			g := castGroup(t, a, c.typ, c.opt)
			if got := code(c.do(a, g)); got != c.want {
				t.Fatalf("code %d, want %d", got, c.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestCreateGroupValidation(t *testing.T) {
	a := newApp(t)
	if _, err := a.CreateGroup("olivia", state.GroupSpec{ID: "mine", Type: state.GroupPublic, Name: "n"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		op   string
		s    state.GroupSpec
		want int
	}{
		{"bad type", "olivia", state.GroupSpec{Type: "Work", Name: "n"}, 10004},
		{"no name", "olivia", state.GroupSpec{Type: state.GroupPublic}, 10004},
		{"name too long", "olivia", state.GroupSpec{Type: state.GroupPublic, Name: strings.Repeat("名", 11)}, 10004},
		{"generated-looking id", "olivia", state.GroupSpec{ID: "@TGS#1ABC", Type: state.GroupPublic, Name: "n"}, 10015},
		{"id too long", "olivia", state.GroupSpec{ID: strings.Repeat("g", 49), Type: state.GroupPublic, Name: "n"}, 10015},
		{"id taken by you", "olivia", state.GroupSpec{ID: "mine", Type: state.GroupPublic, Name: "n"}, 10025},
		{"id taken", "mia", state.GroupSpec{ID: "mine", Type: state.GroupPublic, Name: "n"}, 10021},
		{"unknown member", "olivia", state.GroupSpec{Type: state.GroupPublic, Name: "n", Members: []state.MemberSpec{{User: "ghost"}}}, 10019},
		{"members in an AVChatRoom", "olivia", state.GroupSpec{Type: state.GroupAVChatRoom, Name: "n", Members: []state.MemberSpec{{User: "mia"}}}, 10004},
		{"admin in a Private group", "olivia", state.GroupSpec{Type: state.GroupPrivate, Name: "n", Members: []state.MemberSpec{{User: "mia", Role: state.RoleAdmin}}}, 10004},
		{"join option of a ChatRoom", "olivia", state.GroupSpec{Type: state.GroupChatRoom, Name: "n", ApplyJoinOption: state.JoinNeedPermission}, 10004},
		{"bad join option", "olivia", state.GroupSpec{Type: state.GroupPublic, Name: "n", ApplyJoinOption: "Maybe"}, 10004},
		{"for someone else", "olivia", state.GroupSpec{Type: state.GroupPublic, Name: "n", Owner: "mia"}, 10007},
		{"too many members", "olivia", state.GroupSpec{Type: state.GroupPublic, Name: "n", MaxMemberNum: 2, Members: []state.MemberSpec{{User: "mia"}, {User: "max"}}}, 10014},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := a.CreateGroup(c.op, c.s); code(err) != c.want {
				t.Fatalf("got %v, want code %d", err, c.want)
			}
		})
	}
	// Root creates (and seeds) for someone else, or without owner.
	g, err := a.CreateGroup(root, state.GroupSpec{Type: state.GroupChatRoom, Name: "seeded", Owner: "mia", Members: []state.MemberSpec{{User: "max", Role: state.RoleAdmin}}})
	if err != nil || g.Owner != "mia" || g.MemberNum != 2 || g.ApplyJoinOption != state.JoinFreeAccess || !strings.HasPrefix(g.ID, "@TGS#3") {
		t.Fatalf("seeded group: %+v %v", g, err)
	}
	if g, err := a.CreateGroup(root, state.GroupSpec{Type: state.GroupPublic, Name: "ownerless"}); err != nil || g.Owner != "" || g.MemberNum != 0 {
		t.Fatalf("ownerless group: %+v %v", g, err)
	}
}

// kinds summarises a user's new events as "tip1", "notice7", "msg", "recall".
func kinds(evs []state.Event) []string {
	var out []string
	for _, e := range evs {
		switch e.Kind {
		case state.EvGroupTip:
			out = append(out, fmt.Sprintf("tip%d", e.Tip.Type))
		case state.EvGroupNotice:
			out = append(out, fmt.Sprintf("notice%d", e.Notice.Type))
		case state.EvGroupMessage:
			out = append(out, "msg")
		case state.EvGroupRecall:
			out = append(out, "recall")
		default:
			out = append(out, fmt.Sprint("kind", e.Kind))
		}
	}
	return out
}

type marks map[string]int

func mark(a *state.App) marks {
	m := marks{}
	for _, u := range everyone {
		m[u] = len(a.EventsOf(u))
	}
	return m
}

func (m marks) since(a *state.App, u string) []state.Event { return a.EventsOf(u)[m[u]:] }

// Who gets which tip and notice, and the payload the adapter needs. Users absent from want must get
// nothing. HTTP-level tests (package tim) repeat this through the handlers.
func TestGroupEventReceivers(t *testing.T) {
	msg := state.GroupMessage{Random: 7, Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"x"}`)}}}
	cases := []struct {
		name  string
		typ   state.GroupType
		opt   state.JoinOption
		do    func(a *state.App, g string) error
		want  map[string][]string
		check func(t *testing.T, a *state.App, g string, m marks)
	}{
		{"tip 1 and notice 7: private invite", state.GroupPrivate, "", func(a *state.App, g string) error {
			_, err := a.AddMembers("mia", g, []string{"otto", "pat"}, false)
			return err
		}, map[string][]string{"olivia": {"tip1"}, "adam": {"tip1"}, "mia": {"tip1"}, "max": {"tip1"},
			"otto": {"notice7", "tip1"}, "pat": {"notice7", "tip1"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				tip := m.since(a, "otto")[1].Tip
				if tip.Operator != "mia" || !slices.Equal(tip.Users, []string{"otto", "pat"}) || tip.MemberNum != 6 || tip.To != "otto" {
					t.Errorf("tip: %+v", tip)
				}
				if n := m.since(a, "otto")[0].Notice; n.Operator != "mia" || n.GroupID != g || n.To != "otto" {
					t.Errorf("notice: %+v", n)
				}
			}},
		{"silent invite by root", state.GroupPrivate, "", func(a *state.App, g string) error {
			_, err := a.AddMembers(root, g, []string{"otto"}, true)
			return err
		}, nil, nil},
		{"tip 1: free join", state.GroupPublic, state.JoinFreeAccess, func(a *state.App, g string) error {
			_, err := a.ApplyJoin("otto", g, "", "")
			return err
		}, map[string][]string{"olivia": {"tip1"}, "adam": {"tip1"}, "mia": {"tip1"}, "max": {"tip1"}, "otto": {"tip1"}}, nil},
		{"notice 1: application", state.GroupPublic, "", func(a *state.App, g string) error {
			_, err := a.ApplyJoin("pat", g, "let me in", "udf")
			return err
		}, map[string][]string{"olivia": {"notice1"}, "adam": {"notice1"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				n := m.since(a, "adam")[0].Notice
				if n.Operator != "pat" || n.Remark != "let me in" || n.UserDefinedField != "udf" || n.Authentication == "" || n.MsgKey == "" {
					t.Errorf("notice 1: %+v", n)
				}
			}},
		{"notice 2 and tip 1: approved", state.GroupPublic, "", func(a *state.App, g string) error {
			return handle(a, g, "adam", true)
		}, map[string][]string{"olivia": {"tip1"}, "adam": {"tip1"}, "mia": {"tip1"}, "max": {"tip1"}, "pat": {"notice2", "tip1"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				if n := m.since(a, "pat")[0].Notice; n.Operator != "adam" || n.Remark != "welcome" {
					t.Errorf("notice 2: %+v", n)
				}
				if tip := m.since(a, "olivia")[0].Tip; tip.Operator != "adam" || !slices.Equal(tip.Users, []string{"pat"}) {
					t.Errorf("tip 1: %+v", tip)
				}
			}},
		{"notice 3: refused", state.GroupPublic, "", func(a *state.App, g string) error {
			return handle(a, g, "olivia", false)
		}, map[string][]string{"pat": {"notice3"}}, nil},
		{"tip 2 and notice 8: quit", state.GroupPublic, "", func(a *state.App, g string) error {
			return a.QuitGroup("mia", g)
		}, map[string][]string{"olivia": {"tip2"}, "adam": {"tip2"}, "max": {"tip2"}, "mia": {"notice8"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				if tip := m.since(a, "max")[0].Tip; tip.Operator != "mia" || !slices.Equal(tip.Users, []string{"mia"}) || tip.MemberNum != 3 {
					t.Errorf("tip 2: %+v", tip)
				}
			}},
		{"tip 3 and notice 4: kick", state.GroupPublic, "", func(a *state.App, g string) error {
			return a.RemoveMembers("adam", g, []string{"mia", "max"}, "spam", false)
		}, map[string][]string{"olivia": {"tip3"}, "adam": {"tip3"}, "mia": {"notice4"}, "max": {"notice4"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				if n := m.since(a, "mia")[0].Notice; n.Operator != "adam" || n.Remark != "spam" {
					t.Errorf("notice 4: %+v", n)
				}
				if tip := m.since(a, "olivia")[0].Tip; !slices.Equal(tip.Users, []string{"mia", "max"}) || tip.MemberNum != 2 {
					t.Errorf("tip 3: %+v", tip)
				}
			}},
		{"tip 4 and notice 9: set admin", state.GroupPublic, "", func(a *state.App, g string) error {
			_, err := a.ModifyMember("olivia", g, "mia", state.MemberChange{Role: ptr(state.RoleAdmin)})
			return err
		}, map[string][]string{"olivia": {"tip4"}, "adam": {"tip4"}, "mia": {"tip4", "notice9"}, "max": {"tip4"}}, nil},
		{"tip 5 and notice 10: cancel admin", state.GroupPublic, "", func(a *state.App, g string) error {
			_, err := a.ModifyMember("olivia", g, "adam", state.MemberChange{Role: ptr(state.RoleMember)})
			return err
		}, map[string][]string{"olivia": {"tip5"}, "adam": {"tip5", "notice10"}, "mia": {"tip5"}, "max": {"tip5"}}, nil},
		{"tip 6: profile", state.GroupPublic, "", func(a *state.App, g string) error {
			_, err := a.ModifyGroup("adam", g, state.GroupChange{Name: ptr("new"), Notification: ptr("n"), Introduction: ptr("i"),
				AppDefinedData: []state.KV{{"k", "v"}}})
			return err
		}, map[string][]string{"olivia": {"tip6"}, "adam": {"tip6"}, "mia": {"tip6"}, "max": {"tip6"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				tip := m.since(a, "mia")[0].Tip
				c := tip.Change
				if c == nil || *c.Name != "new" || *c.Notification != "n" || c.FaceURL != nil || c.Owner != nil || len(c.AppDefinedData) != 1 || tip.GroupName != "new" {
					t.Errorf("tip 6: %+v %+v", tip, c)
				}
			}},
		{"tip 6: owner change", state.GroupPublic, "", func(a *state.App, g string) error {
			return a.ChangeOwner("olivia", g, "mia")
		}, map[string][]string{"olivia": {"tip6"}, "adam": {"tip6"}, "mia": {"tip6"}, "max": {"tip6"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				if c := m.since(a, "max")[0].Tip.Change; c == nil || c.Owner == nil || *c.Owner != "mia" || c.Name != nil {
					t.Errorf("tip 6 owner: %+v", c)
				}
				if in, self, _ := a.Group("olivia", g); in.Owner != "mia" || self.Role != state.RoleMember {
					t.Errorf("after hand-over: %+v %+v", in, self)
				}
			}},
		{"tip 7: mute", state.GroupPublic, "", func(a *state.App, g string) error {
			return a.MuteMembers("adam", g, []string{"mia", "max"}, 600)
		}, map[string][]string{"olivia": {"tip7"}, "adam": {"tip7"}, "mia": {"tip7"}, "max": {"tip7"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				if tip := m.since(a, "olivia")[0].Tip; !slices.Equal(tip.Mutes, []state.MemberMute{{"mia", 600}, {"max", 600}}) {
					t.Errorf("tip 7: %+v", tip)
				}
			}},
		{"notice 5: dismissed", state.GroupPublic, "", func(a *state.App, g string) error {
			return a.DestroyGroup("olivia", g)
		}, map[string][]string{"olivia": {"notice5"}, "adam": {"notice5"}, "mia": {"notice5"}, "max": {"notice5"}}, nil},
		{"notice 11: reclaimed", state.GroupChatRoom, "", func(a *state.App, g string) error {
			return a.ReclaimGroup(g)
		}, map[string][]string{"olivia": {"notice11"}, "adam": {"notice11"}, "mia": {"notice11"}, "max": {"notice11"}}, nil},
		{"notice 255: everyone", state.GroupPublic, "", func(a *state.App, g string) error {
			return a.SendCustomNotice(root, g, nil, "hello")
		}, map[string][]string{"olivia": {"notice255"}, "adam": {"notice255"}, "mia": {"notice255"}, "max": {"notice255"}},
			func(t *testing.T, a *state.App, g string, m marks) {
				if n := m.since(a, "mia")[0].Notice; n.UserDefinedField != "hello" || n.Operator != root {
					t.Errorf("notice 255: %+v", n)
				}
			}},
		{"notice 255: listed members", state.GroupPublic, "", func(a *state.App, g string) error {
			return a.SendCustomNotice(root, g, []string{"mia", "otto"}, "psst")
		}, map[string][]string{"mia": {"notice255"}}, nil},
		{"group message: every member, sender included", state.GroupPublic, "", func(a *state.App, g string) error {
			m := msg
			m.GroupID = g
			_, err := a.SendGroupMessage("mia", m)
			return err
		}, map[string][]string{"olivia": {"msg"}, "adam": {"msg"}, "mia": {"msg"}, "max": {"msg"}}, nil},
		{"recall", state.GroupPublic, "", func(a *state.App, g string) error {
			m := msg
			m.GroupID = g
			sent, err := a.SendGroupMessage("mia", m)
			if err != nil {
				return err
			}
			_, err = a.RecallGroupMessages("mia", g, []uint64{sent.Seq})
			return err
		}, map[string][]string{"olivia": {"msg", "recall"}, "adam": {"msg", "recall"}, "mia": {"msg", "recall"}, "max": {"msg", "recall"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newApp(t)
			g := castGroup(t, a, c.typ, c.opt)
			if strings.Contains(c.name, "approved") || strings.Contains(c.name, "refused") {
				if _, err := a.ApplyJoin("pat", g, "let me in", ""); err != nil {
					t.Fatal(err)
				}
			}
			m := mark(a)
			if err := c.do(a, g); err != nil {
				t.Fatal(err)
			}
			for _, u := range everyone {
				if got := kinds(m.since(a, u)); !slices.Equal(got, c.want[u]) {
					t.Errorf("%s got %v, want %v", u, got, c.want[u])
				}
			}
			if c.check != nil {
				c.check(t, a, g, m)
			}
		})
	}
}

// handle handles pat's pending application with the tokens from notice 1.
func handle(a *state.App, g, op string, approve bool) error {
	ps := a.Pendencies(op)
	if len(ps) != 1 {
		return fmt.Errorf("pendencies of %s: %+v", op, ps)
	}
	remark := "no"
	if approve {
		remark = "welcome"
	}
	return a.HandleApplication(op, g, "pat", approve, remark, ps[0].Authentication, ps[0].MsgKey)
}

// The creator gets notice 6; the initial members notice 7, as invitees (tim-js-sdk adds a group to
// its list on notice 7); nobody else hears of it.
func TestCreateNotifiesOwnerAndInitialMembers(t *testing.T) {
	a := newApp(t)
	m := mark(a)
	g := castGroup(t, a, state.GroupPrivate, "")
	for _, u := range everyone {
		want := []string(nil)
		switch u {
		case "olivia":
			want = []string{"notice6"}
		case "adam", "mia", "max":
			want = []string{"notice7"}
		}
		if got := kinds(m.since(a, u)); !slices.Equal(got, want) {
			t.Errorf("%s got %v, want %v", u, got, want)
		}
	}
	if n := a.Notices("olivia"); len(n) != 1 || n[0].GroupID != g || n[0].Type != state.NoticeCreated {
		t.Fatalf("stored notices: %+v", n)
	}
}

func TestApplicationsAreHandledOnce(t *testing.T) {
	a := newApp(t)
	g := castGroup(t, a, state.GroupPublic, "")
	if joined, err := a.ApplyJoin("pat", g, "hi", "u"); joined || err != nil {
		t.Fatal(joined, err)
	}
	p := a.Pendencies("olivia")[0]
	if code(a.HandleApplication("mia", g, "pat", true, "", p.Authentication, p.MsgKey)) != 10007 {
		t.Error("a plain member handled an application")
	}
	if code(a.HandleApplication("adam", g, "pat", true, "", p.Authentication, "forged")) != 10004 {
		t.Error("a forged MsgKey was accepted")
	}
	if err := a.HandleApplication("adam", g, "pat", true, "ok", p.Authentication, p.MsgKey); err != nil {
		t.Fatal(err)
	}
	if c := code(a.HandleApplication("olivia", g, "pat", false, "", p.Authentication, p.MsgKey)); c != 10024 {
		t.Errorf("second handling: %d, want 10024", c)
	}
	got := a.Pendencies("adam")
	if len(got) != 1 || !got[0].Handled || !got[0].Approved || got[0].Handler != "adam" {
		t.Errorf("pendency after handling: %+v", got)
	}
	if len(a.Pendencies("mia")) != 0 {
		t.Error("a plain member sees pendencies")
	}
	// The handler's notice 1 can be deleted by its client-visible key; others stay.
	ns := a.Notices("adam") // notice 7 (an initial member) and notice 1
	if len(ns) != 2 || ns[1].Type != state.NoticeApply {
		t.Fatalf("adam's notices: %+v", ns)
	}
	if n := a.DeleteNotices("adam", []state.NoticeKey{{Seq: ns[1].Seq, Random: ns[1].Random}, {Seq: 99, Random: 1}}); n != 1 || len(a.Notices("adam")) != 1 {
		t.Errorf("deleted %d, left %+v", n, a.Notices("adam"))
	}
	if len(a.Notices("olivia")) != 2 { // notice 6 (created) and notice 1
		t.Errorf("olivia's notices: %+v", a.Notices("olivia"))
	}
}

// Mutes run on the tenant clock.
func TestMuteFollowsTheTenantClock(t *testing.T) {
	a := newApp(t)
	g := castGroup(t, a, state.GroupPublic, "")
	if err := a.MuteMembers("adam", g, []string{"mia"}, 60); err != nil {
		t.Fatal(err)
	}
	body := []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"x"}`)}}
	if _, err := a.SendGroupMessage("mia", state.GroupMessage{GroupID: g, Body: body}); code(err) != 10017 {
		t.Fatalf("muted send: %v", err)
	}
	ms, _ := a.GroupMembers("olivia", g)
	if i := slices.IndexFunc(ms, func(m state.Member) bool { return m.User == "mia" }); ms[i].ShutUpUntil != a.Now().Unix()+60 {
		t.Fatalf("ShutUpUntil %d", ms[i].ShutUpUntil)
	}
	a.Clock().Advance(61 * time.Second)
	if _, err := a.SendGroupMessage("mia", state.GroupMessage{GroupID: g, Body: body}); err != nil {
		t.Fatalf("send after the mute ran out: %v", err)
	}
	if err := a.MuteMembers("adam", g, []string{"mia"}, 0); err != nil {
		t.Fatal(err)
	}
}

// Tips take their place in the group's sequence; history returns them newest first with messages.
func TestHistorySequenceAndUnread(t *testing.T) {
	a := newApp(t)
	g := castGroup(t, a, state.GroupPublic, "")
	send := func(u, text string) state.GroupMessage {
		m, err := a.SendGroupMessage(u, state.GroupMessage{GroupID: g, Random: 1, Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"` + text + `"}`)}}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := send("mia", "one"); m.Seq != 1 {
		t.Fatalf("first seq %d", m.Seq)
	}
	if _, err := a.ModifyGroup("adam", g, state.GroupChange{Name: ptr("renamed")}); err != nil {
		t.Fatal(err)
	}
	if m := send("max", "two"); m.Seq != 3 || m.GroupName != "renamed" {
		t.Fatalf("after a tip: %+v", m)
	}
	in, _, _ := a.Group("mia", g)
	if in.NextMsgSeq != 4 {
		t.Fatalf("NextMsgSeq %d", in.NextMsgSeq)
	}
	p, err := a.GroupHistory("olivia", g, 0, 2)
	if err != nil || len(p.Items) != 2 || p.Finished || p.Items[0].Seq() != 3 || p.Items[1].Tip == nil || p.Items[1].Tip.To != "olivia" {
		t.Fatalf("page 1: %+v %v", p, err)
	}
	p, _ = a.GroupHistory("olivia", g, 1, 20)
	if len(p.Items) != 1 || !p.Finished || p.Items[0].Msg == nil {
		t.Fatalf("page 2: %+v", p)
	}
	if _, err := a.GroupHistory("otto", g, 0, 20); code(err) != 10007 {
		t.Fatalf("outsider history: %v", err)
	}
	// olivia read nothing: 3 unread; mia sent seq 1 and adam's tip moved adam's mark.
	unread := map[string]int{}
	for _, u := range []string{"olivia", "adam", "mia", "max"} {
		unread[u] = a.JoinedGroups(u)[0].Unread
	}
	if want := map[string]int{"olivia": 3, "adam": 1, "mia": 2, "max": 0}; fmt.Sprint(unread) != fmt.Sprint(want) {
		t.Fatalf("unread %v, want %v", unread, want)
	}
	if err := a.MarkGroupRead("olivia", g, 99); err != nil || a.JoinedGroups("olivia")[0].Unread != 0 {
		t.Fatalf("read report: %v %+v", err, a.JoinedGroups("olivia"))
	}
	convs, _ := a.Conversations("mia")
	if len(convs) != 1 || convs[0].Type != state.ConvGroup || convs[0].LastGroup.Seq != 3 || convs[0].Unread != 2 {
		t.Fatalf("conversations: %+v", convs)
	}
	// Joiners do not inherit unread history.
	if _, err := a.AddMembers(root, g, []string{"otto"}, false); err != nil {
		t.Fatal(err)
	}
	if u := a.JoinedGroups("otto")[0].Unread; u != 0 {
		t.Fatalf("a joiner has %d unread", u)
	}
}

func TestRecall(t *testing.T) {
	a := newApp(t)
	g := castGroup(t, a, state.GroupPublic, "")
	body := []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"x"}`)}}
	m1, _ := a.SendGroupMessage("mia", state.GroupMessage{GroupID: g, Body: body})
	m2, _ := a.SendGroupMessage("mia", state.GroupMessage{GroupID: g, Body: body})
	res, err := a.RecallGroupMessages("max", g, []uint64{m1.Seq, 99})
	if err != nil || res[0].Reason != state.GroupNoPermission || res[1].Reason != state.RecallNotFound {
		t.Fatalf("max recalls mia's: %+v %v", res, err)
	}
	a.Clock().Advance(3 * time.Minute)
	if res, _ := a.RecallGroupMessages("mia", g, []uint64{m1.Seq}); res[0].Reason != state.RecallTooLate {
		t.Fatalf("late recall: %+v", res)
	}
	if res, _ := a.RecallGroupMessages("adam", g, []uint64{m1.Seq, m2.Seq}); res[0].Reason != "" || res[1].Reason != "" {
		t.Fatalf("admin recall: %+v", res)
	}
	p, _ := a.GroupHistory("max", g, 0, 10)
	if !p.Items[0].Msg.Revoked || !p.Items[1].Msg.Revoked {
		t.Fatalf("history after recall: %+v", p.Items)
	}
}

func TestQuitLastMemberRemovesPrivateGroup(t *testing.T) {
	a := newApp(t)
	g, _ := a.CreateGroup("olivia", state.GroupSpec{Type: state.GroupPrivate, Name: "p", Members: []state.MemberSpec{{User: "mia"}}})
	if err := a.QuitGroup("olivia", g.ID); err != nil {
		t.Fatal(err)
	}
	if in, _, _ := a.Group("mia", g.ID); in.Owner != "" || in.MemberNum != 1 {
		t.Fatalf("after the owner left: %+v", in)
	}
	if err := a.QuitGroup("mia", g.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Group("mia", g.ID); code(err) != 10010 {
		t.Fatalf("emptied Private group: %v", err)
	}
}

func TestJoinedGroupsAndVisibility(t *testing.T) {
	a := newApp(t)
	priv := castGroup(t, a, state.GroupPrivate, "")
	pub := castGroup(t, a, state.GroupPublic, "")
	var ids []string
	for _, jg := range a.JoinedGroups("mia") {
		ids = append(ids, jg.ID)
	}
	if !slices.Equal(ids, []string{priv, pub}) {
		t.Fatalf("mia's groups %v", ids)
	}
	if _, _, err := a.Group("otto", priv); code(err) != 10007 {
		t.Errorf("outsider reads a Private group: %v", err)
	}
	if in, self, err := a.Group("otto", pub); err != nil || self != nil || in.MemberNum != 4 {
		t.Errorf("outsider reads a Public group: %+v %v %v", in, self, err)
	}
	if _, err := a.GroupMembers("otto", pub); code(err) != 10007 {
		t.Errorf("outsider reads members: %v", err)
	}
	if _, _, err := a.Group("mia", "nope"); code(err) != 10010 {
		t.Errorf("unknown group: %v", err)
	}
	ids = a.GroupIDs()
	sort.Strings(ids)
	if len(ids) != 2 {
		t.Errorf("GroupIDs %v", ids)
	}
}

// A group spec is checked by the state itself, with the refused field named, before any tenant
// sees it (scenarios point at the same field in their files).
func TestGroupSpecValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		spec  state.GroupSpec
		field string
	}{
		{state.GroupSpec{Type: "Club", Name: "g"}, "Type"},
		{state.GroupSpec{Type: state.GroupPublic}, "Name"},
		{state.GroupSpec{Type: state.GroupPrivate, Name: "g", ApplyJoinOption: state.JoinFreeAccess}, "ApplyJoinOption"},
		{state.GroupSpec{Type: state.GroupAVChatRoom, Name: "g", Members: []state.MemberSpec{{User: "a"}}}, "Members"},
		{state.GroupSpec{Type: state.GroupPrivate, Name: "g", Members: []state.MemberSpec{{User: "a"}, {User: "b", Role: state.RoleAdmin}}}, "Members[1].Role"},
		{state.GroupSpec{Type: state.GroupPublic, Name: "g", Members: []state.MemberSpec{{User: "a", Role: "Boss"}}}, "Members[0].Role"},
		{state.GroupSpec{Type: state.GroupPublic, Name: "g", ID: "@TGS#mine"}, "ID"},
		{state.GroupSpec{Type: state.GroupPublic, Name: "g", MaxMemberNum: -1}, "MaxMemberNum"},
	} {
		var se *state.Error
		if err := c.spec.Validate(); !errors.As(err, &se) || se.Field != c.field || se.Reason == "" {
			t.Errorf("%+v: got %v, want a refusal of %s", c.spec, err, c.field)
		}
	}
	if err := (state.GroupSpec{Type: state.GroupPublic, Name: "g", Members: []state.MemberSpec{{User: "a", Role: state.RoleAdmin}}}).Validate(); err != nil {
		t.Errorf("a valid spec: %v", err)
	}
}
