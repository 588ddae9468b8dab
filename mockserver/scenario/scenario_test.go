package scenario_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func fixturesDir() string { return filepath.Join("..", "..", "fixtures", "scenarios") }

func newTarget(id int64) scenario.Target {
	return scenario.Target{App: state.NewApp(state.Options{SDKAppID: id, Secret: "s"}), Faults: fault.NewRules(fault.Options{})}
}

func apply(t *testing.T, sc *scenario.Scenario, tg scenario.Target) *scenario.Run {
	t.Helper()
	run, err := sc.Apply(tg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run.Stop)
	return run
}

// Every example scenario loads and applies to a fresh tenant.
func TestExamples(t *testing.T) {
	n := 0
	err := filepath.WalkDir(fixturesDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		n++
		t.Run(path, func(t *testing.T) {
			sc, err := scenario.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Name == "" || sc.Description == "" {
				t.Error("an example says what it is (name, description)")
			}
			apply(t, sc, newTarget(1400000001))
		})
		return nil
	})
	if err != nil || n < 3 {
		t.Fatalf("walking examples: %v (%d found)", err, n)
	}
}

func TestSeed(t *testing.T) {
	sc, err := scenario.Load(filepath.Join(fixturesDir(), "seed", "two-friends-with-history.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1400000001)
	apply(t, sc, tg)
	app := tg.App
	if got := app.Users(); strings.Join(got, ",") != "alice,bob,mallory" {
		t.Fatalf("users %v", got)
	}
	if p, _ := app.Profile("alice"); len(p) != 2 || p[0] != (state.ProfileItem{Field: state.FieldGender, Value: state.GenderFemale}) ||
		p[1] != (state.ProfileItem{Field: state.FieldNick, Value: "Alice"}) {
		t.Fatalf("profile %v", p)
	}
	if f := app.Friends("alice"); len(f) != 1 || f[0].User != "bob" || f[0].Remark != "Bobby" {
		t.Fatalf("friends %v", f)
	}
	if f := app.Friends("bob"); len(f) != 1 || f[0].User != "alice" {
		t.Fatalf("bob's friends %v", f)
	}
	if b := app.Blacklist("alice"); len(b) != 1 || b[0].User != "mallory" {
		t.Fatalf("blacklist %v", b)
	}
	frozen := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	if !app.Now().Equal(frozen) || !app.Clock().Frozen() {
		t.Fatalf("clock %v", app.Now())
	}
	h := app.C2CHistory("alice", "bob")
	if len(h) != 3 || h[0].From != "alice" || string(h[0].Body[0].Content) != `{"Text":"hi bob"}` ||
		h[2].Body[0].Type != "TIMCustomElem" || h[0].Time != frozen.Unix() || h[0].Seq != 1 || h[2].Seq != 2 {
		t.Fatalf("history %+v", h)
	}
	if u := app.UnreadC2C("bob"); len(u) != 1 || u[0].Count != 2 {
		t.Fatalf("bob's unread %v", u)
	}
}

// Two loads of one scenario give identical ids, whatever the tenant's own SDKAppID.
func TestDeterministic(t *testing.T) {
	sc, err := scenario.Load(filepath.Join(fixturesDir(), "seed", "two-friends-with-history.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	type ids struct {
		tiny, a2 string
		randoms  []uint32
	}
	run := func(appID int64) ids {
		tg := newTarget(appID)
		apply(t, sc, tg)
		s := tg.App.Login("alice")
		var out ids
		out.tiny, out.a2 = s.TinyID, s.A2
		for _, m := range tg.App.C2CHistory("alice", "bob") {
			out.randoms = append(out.randoms, m.Random)
		}
		return out
	}
	a, b := run(1400000001), run(1400000002)
	if a.tiny != b.tiny || a.a2 != b.a2 || len(a.randoms) != 3 || a.randoms[0] != b.randoms[0] || a.randoms[2] != b.randoms[2] {
		t.Fatalf("two loads differ:\n%+v\n%+v", a, b)
	}
}

func TestPushAtAndStop(t *testing.T) {
	sc, err := scenario.Parse("push.yaml", []byte(`
users: [{id: bob}]
pushes:
  - at: 0s
    event: {user: bob, body: {Event: 9, C2cMsgArray: []}}
  - at: 20ms
    clock: {advance: 1h}
  - at: 1h
    kick: {user: bob, type: multipleAccount}
`))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1)
	before := tg.App.Now()
	run := apply(t, sc, tg)
	if ev := tg.App.EventsOf("bob"); len(ev) != 1 || string(ev[0].Raw.Body) != `{"C2cMsgArray":[],"Event":9}` {
		t.Fatalf("at 0s applies during load: %+v", ev)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !run.Pushes()[1].Fired && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if p := run.Pushes(); !p[0].Fired || !p[1].Fired || p[2].Fired || tg.App.Now().Sub(before) < time.Hour {
		t.Fatalf("pushes %+v, clock moved %v", p, tg.App.Now().Sub(before))
	}
	run.Stop() // the 1h timer must not outlive it (goleak checks)
	if p := run.Pushes(); p[2].Fired {
		t.Fatal("a stopped push fired")
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		line       int
		key, msg   string
	}{
		{"unknown top-level key", "name: x\nusers: []\nfautls: []\n", 3, "fautls", `unknown key "fautls"`},
		{"unknown nested key", "users: [{id: alice}]\nfaults:\n  - match: {command: openim/sendmsg}\n    reply: {ErrorCod: 1}\n", 4, "faults[0].reply.ErrorCod", "unknown key"},
		{"bad duration", "faults:\n  - delay: 2 parsecs\n", 2, "faults[0].delay", `invalid duration "2 parsecs"`},
		{"bad integer", "faults:\n  - nth: two\n    drop: true\n", 2, "faults[0].nth", `want an integer, got "two"`},
		{"negative seed", "seed: -1\n", 1, "seed", "non-negative integer"},
		{"mapping for a list", "users: {id: alice}\n", 1, "users", "want a list"},
		{"list for a mapping", "clock: [1]\n", 1, "clock", "want a mapping"},
		{"duplicate key", "name: a\nname: b\n", 2, "name", "given twice"},
		{"undeclared user", "users: [{id: alice}]\nfriends:\n  - {user: alice, friend: bobb}\n", 3, "friends[0].friend", `"bobb" is not declared`},
		{"missing user id", "users:\n  - profile: {Tag_Profile_IM_Nick: A}\n", 2, "users[0].id", "needs an id"},
		{"bad profile field", "users:\n  - id: a\n    profile: {nickname: A}\n", 3, "users[0].profile.nickname", "profile keys are nick, avatar"},
		{"bad kick type", "users: [{id: bob}]\npushes:\n  - at: 1s\n    kick: {user: bob, type: sideways}\n", 4, "pushes[0].kick.type", "want one of multipleAccount"},
		{"two actions", "users: [{id: bob}]\npushes:\n  - at: 1s\n    kick: {user: bob, type: multipleDevice}\n    clock: {advance: 1m}\n", 3, "pushes[0]", "exactly one action"},
		{"no step", "users: [{id: bob}]\npushes:\n  - kick: {user: bob, type: multipleDevice}\n", 3, "pushes[0]", "exactly one of at"},
		{"bad freeze", "clock: {freeze: yesterday}\n", 1, "clock.freeze", "RFC 3339"},
		{"unknown moment", "users: [{id: bob}]\npushes:\n  - after: {moment: asleep, user: bob}\n    kick: {user: bob, type: multipleDevice}\n", 3, "pushes[0].after.moment", "unknown moment \"asleep\" (known: delivered, online)"},
		{"moment with command", "users: [{id: bob}]\npushes:\n  - after: {moment: online, command: openim/getmsg}\n    kick: {user: bob, type: multipleDevice}\n", 3, "pushes[0].after.moment", "without command or group"},
		{"moment of an undeclared user", "users: [{id: bob}]\npushes:\n  - after: {moment: online, user: bobb}\n    kick: {user: bob, type: multipleDevice}\n", 3, "pushes[0].after.user", `"bobb" is not declared`},
		{"rule without action", "faults:\n  - match: {command: openim/sendmsg}\n", 2, "faults[0].action", "does nothing"},
		{"two rule actions", "faults:\n  - drop: true\n    status: 502\n", 3, "faults[0].status", "cannot be combined"},
		{"bad command", "faults:\n  - match: {command: sendmsg}\n    drop: true\n", 2, "faults[0].match.command", "service/cmd"},
		{"bad group type", "users: [{id: a}]\ngroups:\n  - {type: Club, name: g, owner: a}\n", 3, "groups[0].type", `Type "Club" is not Private, Public`},
		{"event body not a mapping", "users: [{id: a}]\npushes:\n  - at: 0s\n    event: {user: a, body: [1]}\n", 4, "pushes[0].event.body", "as a mapping"},
		{"syntax", "name: a\nusers: x: y\n", 2, "", "mapping values are not allowed"},
		{"empty", "", 0, "", "empty"},
		{"two documents", "name: a\n---\nname: b\n", 2, "", "one YAML document"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := scenario.Parse("fixtures/x.yaml", []byte(c.yaml))
			var e *scenario.Error
			if !errors.As(err, &e) {
				t.Fatalf("want a *scenario.Error, got %v", err)
			}
			if e.File != "fixtures/x.yaml" || e.Line != c.line || e.Key != c.key || !strings.Contains(e.Msg, c.msg) {
				t.Fatalf("got %q (line %d key %q), want line %d key %q msg ~%q", err, e.Line, e.Key, c.line, c.key, c.msg)
			}
			if c.line > 0 && !strings.HasPrefix(err.Error(), "fixtures/x.yaml:"+strconv.Itoa(c.line)+":") {
				t.Fatalf("the message starts with file:line: %q", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := scenario.Load(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}

func TestApplyRefusesOtherTenant(t *testing.T) {
	sc, err := scenario.Parse("t.yaml", []byte("tenant: {sdkappid: 5, secret: s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Apply(newTarget(6)); err == nil || !strings.Contains(err.Error(), "loaded into 6") {
		t.Fatalf("got %v", err)
	}
	// A fault id already used in the tenant refuses the load and leaves no rule behind.
	sc, _ = scenario.Parse("t.yaml", []byte("faults:\n  - {match: {command: a/b}, drop: true}\n  - {id: x, drop: true}\n"))
	tg := newTarget(5)
	if _, err := tg.Faults.Add(fault.Rule{ID: "x", Drop: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Apply(tg); err == nil || len(tg.Faults.List()) != 1 {
		t.Fatalf("got %v with %d rules", err, len(tg.Faults.List()))
	}
}

func TestGroups(t *testing.T) {
	sc, err := scenario.Load(filepath.Join(fixturesDir(), "group", "team-with-muted-member.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	load := func(id int64) *state.App {
		tg := newTarget(id)
		apply(t, sc, tg)
		return tg.App
	}
	app := load(1400000001)
	ids := app.GroupIDs()
	if len(ids) != 2 || !slices.Contains(ids, "team") {
		t.Fatalf("groups %v", ids)
	}
	info, _, err := app.Group(app.Admin(), "team")
	if err != nil || info.Owner != "alice" || info.Type != state.GroupPublic || info.MemberNum != 3 ||
		len(info.AppDefinedData) != 1 || info.AppDefinedData[0] != (state.KV{Key: "topic", Value: "launch"}) {
		t.Fatalf("team %+v %v", info, err)
	}
	members, _ := app.GroupMembers(app.Admin(), "team")
	byUser := map[string]state.Member{}
	for _, m := range members {
		byUser[m.User] = m
	}
	now := app.Now().Unix()
	if byUser["bob"].Role != state.RoleAdmin || byUser["bob"].NameCard != "Bobby" ||
		byUser["carol"].ShutUpUntil != now+3600 || byUser["alice"].Role != state.RoleOwner {
		t.Fatalf("members %+v", byUser)
	}
	if p := app.Pendencies("alice"); len(p) != 1 || p[0].Applicant != "dave" || p[0].Message != "let me in" || p[0].Handled {
		t.Fatalf("pendencies %+v", p)
	}
	if j := app.JoinedGroups("dave"); len(j) != 0 {
		t.Fatalf("dave joined %v", j)
	}
	// The generated id of the second group is the same in another tenant loading the scenario.
	if other := load(1400000002).GroupIDs(); !slices.Equal(other, ids) {
		t.Fatalf("group ids differ: %v vs %v", ids, other)
	}
}

func TestGroupLoadErrors(t *testing.T) {
	head := "users: [{id: a}, {id: b}]\ngroups:\n"
	for _, c := range []struct{ yaml, key, msg string }{
		{"  - {type: Private, name: g, owner: a, members: [{user: b, role: Admin}]}\n", "groups[0].members[0].role", "no admins"},
		{"  - {id: '@TGS#x', type: Public, name: g}\n", "groups[0].id", "@TGS#"},
		{"  - {type: Public, name: g, owner: a, members: [{user: a}]}\n", "groups[0].members[0].user", "already in the group"},
		{"  - {type: Public, name: g, join_option: FreeAccess, applications: [{user: b}]}\n", "groups[0].applications", "NeedPermission"},
		{"  - {type: Private, name: g, join_option: FreeAccess}\n", "groups[0].join_option", "can only be set for Public groups"},
		{"  - {type: Public, owner: a}\n", "groups[0].name", "Name is missing"},
		{"  - {type: Public, name: g, members: [{user: b, mute: forever}]}\n", "groups[0].members[0].mute", "invalid duration"},
	} {
		_, err := scenario.Parse("g.yaml", []byte(head+c.yaml))
		var e *scenario.Error
		if !errors.As(err, &e) || e.Key != c.key || !strings.Contains(e.Msg, c.msg) || e.Line != 3 {
			t.Errorf("%s: got %v", c.yaml, err)
		}
	}
	// The group model's own rules (here the name's length) are the state's, checked at load and
	// positioned at the key.
	_, err := scenario.Parse("g.yaml", []byte(head+"  - {type: Private, name: '"+strings.Repeat("x", 40)+"', owner: a}\n"))
	var e *scenario.Error
	if !errors.As(err, &e) || e.Key != "groups[0].name" || e.Line != 3 || !strings.Contains(e.Msg, "more than 30") {
		t.Fatalf("load: %v", err)
	}
	// What the state finds only when it creates the group (more members than max_members) is
	// refused at apply time, naming the group.
	sc, err := scenario.Parse("g.yaml", []byte(head+"  - {type: Public, name: g, owner: a, max_members: 1, members: [{user: b}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Apply(newTarget(1)); err == nil || !strings.Contains(err.Error(), "groups[0]") {
		t.Fatalf("apply: %v", err)
	}
}

func TestLimits(t *testing.T) {
	sc, err := scenario.Parse("l.yaml", []byte("limits: {max_messages: 3, message_age: 48h, max_events: 40, max_upload_bytes: 4096}\nusers: [{id: a}, {id: b}]\n"+
		"messages:\n  - {from: a, to: b, text: one}\n  - {from: a, to: b, text: two}\n  - {from: b, to: a, text: three}\n  - {from: a, to: b, text: four}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1400000001)
	apply(t, sc, tg)
	if got, want := tg.App.Limits(), (state.Limits{MaxMessages: 3, MessageAge: 48 * time.Hour, MaxEvents: 40, MaxUploadBytes: 4096}); got != want {
		t.Errorf("limits %+v, want %+v", got, want)
	}
	if n := len(tg.App.C2CHistory("a", "b")); n != 3 {
		t.Errorf("history keeps %d of 4 seeded messages with max_messages 3", n)
	}
	for _, bad := range []string{"limits: {max_messages: -1}", "limits: {max_events: -2}", "limits: {message_age: -1h}", "limits: {max_upload_bytes: -5}", "limits: {max_bytes: 3}"} {
		if _, err := scenario.Parse("l.yaml", []byte(bad+"\n")); err == nil || !strings.Contains(err.Error(), "limits") && !strings.Contains(err.Error(), "max_bytes") {
			t.Errorf("%s: %v, want an error naming the key", bad, err)
		}
	}
}

// A scenario's login block sets the tenant's login policy.
func TestLoginPolicy(t *testing.T) {
	sc, err := scenario.Parse("login.yaml", []byte("login: {multiple_instances: true}\nusers: [{id: alice}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1400000001)
	apply(t, sc, tg)
	if !tg.App.LoginPolicy().MultipleInstances {
		t.Fatal("policy not applied")
	}
	if _, err := scenario.Parse("bad.yaml", []byte("login: {multiple: true}\n")); err == nil || !strings.Contains(err.Error(), "login.multiple") {
		t.Fatalf("unknown key: %v", err)
	}
}

// A scenario's callback block sets the tenant's callback URL; a URL that is not absolute http(s)
// is refused at its line and column, before anything is applied.
func TestCallbackURL(t *testing.T) {
	sc, err := scenario.Parse("cb.yaml", []byte("callback: {url: \"http://127.0.0.1:9000/im?token=t\"}\nusers: [{id: alice}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg := newTarget(1400000001)
	apply(t, sc, tg)
	if got := tg.App.CallbackURL(); got != "http://127.0.0.1:9000/im?token=t" {
		t.Fatalf("callback URL %q", got)
	}
	for _, bad := range []string{"ftp://host/im", "/im", "http://", "not a url at all", "http://user:pw@host/im", "http://h/im#frag"} {
		_, err := scenario.Parse("bad.yaml", []byte("name: x\ncallback:\n  url: \""+bad+"\"\n"))
		if err == nil || !strings.Contains(err.Error(), "bad.yaml:3:8: callback.url: ") {
			t.Errorf("url %q: %v, want an error at bad.yaml:3:8 naming callback.url", bad, err)
		}
	}
	if _, err := scenario.Parse("bad.yaml", []byte("callback: {uri: \"http://h/\"}\n")); err == nil || !strings.Contains(err.Error(), "callback.uri") {
		t.Fatalf("unknown key: %v", err)
	}
}

// Do runs a push's action on its own, checked as in a scenario file (the admin API's kick, event,
// clock and reclaim go through it).
func TestDoRunsOneActionCheckedAsAPush(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1400000001, Secret: "s"})
	defer app.Close()
	app.Login("bob")
	for _, c := range []struct {
		pu   scenario.Push
		want string
	}{
		{scenario.Push{Kick: &scenario.Kick{User: "bob", Type: "sideways"}}, "kick.type: want one of multipleAccount"},
		{scenario.Push{Kick: &scenario.Kick{User: "nobody", Type: "multipleAccount"}}, `kick.user: no user "nobody"`},
		{scenario.Push{Clock: &scenario.Clock{}}, "clock: give freeze, unfreeze or advance"},
		{scenario.Push{Clock: &scenario.Clock{Freeze: "tomorrow"}}, "clock.freeze: want \"now\" or an RFC 3339 time"},
		{scenario.Push{Event: &scenario.Event{User: "bob", Body: json.RawMessage(`[1]`)}}, "event.body: want the event as a mapping"},
		{scenario.Push{}, "give exactly one action"},
	} {
		if _, err := scenario.Do(app, c.pu); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q…", c.pu, err, c.want)
		}
	}
	out, err := scenario.Do(app, scenario.Push{Kick: &scenario.Kick{User: "bob", Type: "multipleAccount"}})
	if err != nil || out.Kicked != 1 || out.Text != "kicked 1 session(s)" {
		t.Fatalf("kick: %+v %v", out, err)
	}
}
