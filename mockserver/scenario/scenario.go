// Package scenario loads scenario files (fixtures/scenarios/**.yaml) and applies them to a tenant:
// seed state (users, profiles, friends, blacklist, groups, C2C history), the id seed and the clock,
// fault rules, and pushes scheduled for a step of the run. The schema is in fixtures/README.md.
//
// Loading is strict: an unknown key, a value of the wrong type, a reference to an undeclared user
// or an impossible rule refuses the whole scenario, with an *Error naming the file, line and key.
package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/imharness/imharness/internal/dur"
	"github.com/imharness/imharness/internal/timurl"
	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
)

// Scenario is a parsed scenario file.
type Scenario struct {
	File        string       `yaml:"-"`
	Name        string       `yaml:"name"`
	Description string       `yaml:"description"`
	Proves      string       `yaml:"proves"` // what a spec loading the file proves (the fixture library)
	Tenant      *Tenant      `yaml:"tenant"`
	Seed        *uint64      `yaml:"seed"`
	Limits      *Limits      `yaml:"limits"`
	Clock       *Clock       `yaml:"clock"`
	Login       *Login       `yaml:"login"`
	Callback    *Callback    `yaml:"callback"`
	Users       []User       `yaml:"users"`
	Friends     []Friendship `yaml:"friends"`
	Blacklist   []Block      `yaml:"blacklist"`
	Groups      []Group      `yaml:"groups"`
	Messages    []Message    `yaml:"messages"`
	Faults      []fault.Rule `yaml:"faults"`
	Pushes      []Push       `yaml:"pushes"`

	// Timeline, when set, is told of each push as it fires (serve prints the run's timeline).
	Timeline func(PushStatus) `yaml:"-"`
}

// Tenant names the SDKAppID and secret a scenario wants when it creates its own tenant.
type Tenant struct {
	SDKAppID int64  `yaml:"sdkappid"`
	Secret   string `yaml:"secret"`
	AppKey   string `yaml:"appkey"` // the JMessage appkey (default: the SDKAppID as 24 hex digits)
}

// Limits bound what the tenant keeps (state.Limits); absent fields keep the defaults.
type Limits struct {
	MaxMessages    int          `yaml:"max_messages"`
	MessageAge     dur.Duration `yaml:"message_age"`
	MaxEvents      int          `yaml:"max_events"`
	MaxUploadBytes int          `yaml:"max_upload_bytes"`
}

// State is the limits as the state takes them.
func (l Limits) State() state.Limits {
	return state.Limits{MaxMessages: l.MaxMessages, MessageAge: l.MessageAge.D(), MaxEvents: l.MaxEvents, MaxUploadBytes: l.MaxUploadBytes}
}

// Clock sets the tenant clock: Freeze ("now" or RFC 3339) first, then Advance (may be negative).
type Clock struct {
	Freeze   string       `yaml:"freeze"`
	Unfreeze bool         `yaml:"unfreeze"`
	Advance  dur.Duration `yaml:"advance"`
}

// Callback is the app backend's third-party callback: URL is asked before a group message is
// stored (Group.CallbackBeforeSendMsg; "" for none).
type Callback struct {
	URL string `yaml:"url"`
}

// Login sets the tenant's login policy: by default a second login of an account on the same
// platform ends the earlier instance (KICKED_OUT multipleAccount); MultipleInstances allows both.
type Login struct {
	MultipleInstances bool `yaml:"multiple_instances"`
}

// User is a seeded account with profile fields (nick: …; see profileItems).
type User struct {
	ID      string         `yaml:"id"`
	Profile map[string]any `yaml:"profile"`
	// Password lets the user log in over JMessage (the server keeps its md5, as register does).
	Password string `yaml:"password"`
}

// Friendship makes User and Friend friends of each other; Remark is User's remark for Friend.
type Friendship struct {
	User   string `yaml:"user"`
	Friend string `yaml:"friend"`
	Remark string `yaml:"remark"`
}

// Block puts Blocks on User's blacklist.
type Block struct {
	User   string `yaml:"user"`
	Blocks string `yaml:"blocks"`
}

// Group is a seeded group.
type Group struct {
	ID           string            `yaml:"id"` // "" lets the tenant generate @TGS#… (from the seed)
	Type         string            `yaml:"type"`
	Name         string            `yaml:"name"`
	Owner        string            `yaml:"owner"`
	Introduction string            `yaml:"introduction"`
	Notification string            `yaml:"notification"`
	FaceURL      string            `yaml:"face_url"`
	MaxMembers   int               `yaml:"max_members"`
	JoinOption   string            `yaml:"join_option"`
	MuteAll      bool              `yaml:"mute_all"`
	Custom       map[string]string `yaml:"custom"`
	Members      []Member          `yaml:"members"`
	Applications []Application     `yaml:"applications"`
}

// Member is a seeded group member; Mute is how long from load the member stays muted.
type Member struct {
	User     string       `yaml:"user"`
	Role     string       `yaml:"role"`
	Mute     dur.Duration `yaml:"mute"`
	NameCard string       `yaml:"name_card"`
}

// Application is a pending request of User to join the group.
type Application struct {
	User    string `yaml:"user"`
	Message string `yaml:"message"`
}

// Message is a C2C message: Text, or Body elements as on the wire. Seq and Random, when given,
// replace the reproducible ones the scenario hands out (to replay a client's resend, say).
type Message struct {
	From   string  `yaml:"from"`
	To     string  `yaml:"to"`
	Text   string  `yaml:"text"`
	Body   []Elem  `yaml:"body"`
	Seq    uint64  `yaml:"seq"`
	Random *uint32 `yaml:"random"`
}

// Elem is one MsgBody element.
type Elem struct {
	MsgType    string         `yaml:"MsgType"`
	MsgContent map[string]any `yaml:"MsgContent"`
}

// Push is something the server does on its own at a step of the run: At (a delay from load) or
// After (right after the Nth call selected by the step has been answered), plus Delay. Exactly one
// action: Kick, Event, Message, Clock, Reclaim or one of Actions (actions.go).
type Push struct {
	At    *dur.Duration `yaml:"at"`
	After *Step         `yaml:"after"`
	Delay dur.Duration  `yaml:"delay"`

	Kick    *Kick    `yaml:"kick"`
	Event   *Event   `yaml:"event"`
	Message *Message `yaml:"message"`
	Clock   *Clock   `yaml:"clock"`
	Reclaim *Reclaim `yaml:"reclaim"`
	Actions `yaml:",inline"`

	at string // file:line:col of the action, for errors while the scenario runs
}

// Step selects a protocol call, like a fault rule's match, and which one (Nth, default 1); or,
// with Moment, a point of the session every transport reaches (call.Moments: online, delivered),
// so one file serves long-polling and WebSocket clients alike.
type Step struct {
	Command string `yaml:"command"`
	Moment  string `yaml:"moment"`
	User    string `yaml:"user"`
	Group   string `yaml:"group"`
	Nth     int    `yaml:"nth"`
}

// faultOptions check a scenario's rules as Tencent IM names commands; the transports are checked
// when the rules reach a tenant.
var faultOptions = fault.Options{Profile: fault.Profile{Commands: timurl.CheckCommand}}

func (s Step) match() fault.Match {
	return fault.Match{Command: s.Command, User: s.User, Group: s.Group}
}

func (s Step) String() string {
	if s.Moment != "" {
		who := "anyone"
		if s.User != "" {
			who = s.User
		}
		return fmt.Sprintf("after %s is %s (#%d)", who, s.Moment, max(s.Nth, 1))
	}
	return fmt.Sprintf("after call #%d of %s", max(s.Nth, 1), s.match())
}

// Kick ends User's sessions: multipleAccount, multipleDevice, userSigExpired or restAPI (the app server's REST kick).
type Kick struct {
	User string `yaml:"user"`
	Type string `yaml:"type"`
}

// Event is a raw event of a protocol (default tim: a long-poll event such as {Event: 9,
// C2cMsgArray: […]}) queued for User as it is. Body is a mapping, or a JSON object as
// json.RawMessage (the admin API's, kept byte for byte).
type Event struct {
	User     string `yaml:"user"`
	Protocol string `yaml:"protocol"`
	Body     any    `yaml:"body"`
}

func isObject(v any) bool {
	switch b := v.(type) {
	case map[string]any:
		return true
	case json.RawMessage:
		var m map[string]json.RawMessage
		return json.Unmarshal(b, &m) == nil && m != nil
	}
	return false
}

// Reclaim reclaims a group (group system notice 11).
type Reclaim struct {
	Group string `yaml:"group"`
}

// Load reads and parses a scenario file.
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses and checks a scenario; file names it in errors.
func Parse(file string, data []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Msg: "the scenario is empty"}
		}
		e := &Error{File: file, Msg: err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
		}
		return nil, e
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Column: extra.Column, Msg: "a scenario is one YAML document; found a second one"}
	}
	s := &strict{file: file, nodes: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	sc := &Scenario{File: file}
	if err := s.decode(doc.Content[0], reflect.ValueOf(sc).Elem(), ""); err != nil {
		return nil, err
	}
	sc.File = file
	if err := sc.check(); err != nil {
		return nil, s.position(err)
	}
	for i := range sc.Pushes {
		p := fmt.Sprintf("pushes[%d].%s", i, sc.Pushes[i].actionKey())
		if k := s.keys[p]; k != nil {
			sc.Pushes[i].at = fmt.Sprintf("%s:%d:%d", file, k.Line, k.Column)
		}
	}
	return sc, nil
}

// check finds what decoding cannot: missing fields, bad enums, undeclared users, bad rules.
func (sc *Scenario) check() error {
	if t := sc.Tenant; t != nil {
		if t.SDKAppID <= 0 {
			return errAt("tenant.sdkappid", "want a positive SDKAppID")
		}
		if t.Secret == "" {
			return errAt("tenant.secret", "must not be empty")
		}
	}
	if l := sc.Limits; l != nil {
		switch {
		case l.MaxMessages < 0:
			return errAt("limits.max_messages", "want a positive count (absent: the default)")
		case l.MaxEvents < 0:
			return errAt("limits.max_events", "want a positive count (absent: the default)")
		case l.MaxUploadBytes < 0:
			return errAt("limits.max_upload_bytes", "want a positive byte count (absent: the default)")
		case l.MessageAge < 0:
			return errAt("limits.message_age", "want a positive duration (absent: no age limit)")
		}
	}
	if cb := sc.Callback; cb != nil {
		if err := state.CheckCallbackURL(cb.URL); err != nil {
			var se *state.Error
			if errors.As(err, &se) {
				return errAt("callback.url", "%s", se.Info)
			}
			return errAt("callback.url", "%v", err)
		}
	}
	if c := sc.Clock; c != nil {
		if err := c.check("clock"); err != nil {
			return err
		}
	}
	users := map[string]bool{}
	for i, u := range sc.Users {
		p := fmt.Sprintf("users[%d]", i)
		if u.ID == "" {
			return errAt(p+".id", "every user needs an id")
		}
		if users[u.ID] {
			return errAt(p+".id", "user %q is declared twice", u.ID)
		}
		users[u.ID] = true
		if _, err := profileItems(p+".profile", u.Profile); err != nil {
			return err
		}
	}
	known := func(path, id string) error {
		if id == "" {
			return errAt(path, "is required")
		}
		if !users[id] {
			return errAt(path, "user %q is not declared under users", id)
		}
		return nil
	}
	for i, f := range sc.Friends {
		p := fmt.Sprintf("friends[%d]", i)
		if err := firstErr(known(p+".user", f.User), known(p+".friend", f.Friend)); err != nil {
			return err
		}
		if f.User == f.Friend {
			return errAt(p+".friend", "a user cannot befriend itself")
		}
	}
	for i, b := range sc.Blacklist {
		p := fmt.Sprintf("blacklist[%d]", i)
		if err := firstErr(known(p+".user", b.User), known(p+".blocks", b.Blocks)); err != nil {
			return err
		}
	}
	groups := map[string]bool{}
	for i, g := range sc.Groups {
		if err := g.check(fmt.Sprintf("groups[%d]", i), known); err != nil {
			return err
		}
		if g.ID != "" {
			if groups[g.ID] {
				return errAt(fmt.Sprintf("groups[%d].id", i), "group %q is declared twice", g.ID)
			}
			groups[g.ID] = true
		}
	}
	for i, m := range sc.Messages {
		if err := m.check(fmt.Sprintf("messages[%d]", i), known); err != nil {
			return err
		}
	}
	ids := map[string]bool{}
	for i, r := range sc.Faults {
		p := fmt.Sprintf("faults[%d]", i)
		if err := faultOptions.Check(r); err != nil {
			var fe *fault.FieldError
			if errors.As(err, &fe) {
				return errAt(p+"."+fe.Field, "%s", fe.Msg)
			}
			return errAt(p, "%v", err)
		}
		if r.ID != "" {
			if ids[r.ID] {
				return errAt(p+".id", "fault id %q is used twice", r.ID)
			}
			ids[r.ID] = true
		}
		if r.Match.User != "" && !users[r.Match.User] {
			return errAt(p+".match.user", "user %q is not declared under users", r.Match.User)
		}
	}
	for i, pu := range sc.Pushes {
		if err := pu.check(fmt.Sprintf("pushes[%d]", i), known); err != nil {
			return err
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (c Clock) check(p string) error {
	if c.Freeze != "" && c.Unfreeze {
		return errAt(p+".unfreeze", "cannot be combined with freeze")
	}
	if c.Freeze != "" {
		if _, err := c.freezeAt(); err != nil {
			return errAt(p+".freeze", "%v", err)
		}
	}
	if c.Freeze == "" && !c.Unfreeze && c.Advance == 0 {
		return errAt(p, "give freeze, unfreeze or advance")
	}
	return nil
}

// freezeAt parses Freeze: "now" is the zero time (Clock.Freeze freezes at the current instant).
func (c Clock) freezeAt() (time.Time, error) {
	if c.Freeze == "now" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, c.Freeze)
	if err != nil {
		return time.Time{}, fmt.Errorf("want \"now\" or an RFC 3339 time such as 2024-05-01T12:00:00Z, got %q", c.Freeze)
	}
	return t, nil
}

var (
	joinOptions = []string{string(state.JoinFreeAccess), string(state.JoinNeedPermission), string(state.JoinDisableApply)}
	kickTypes   = []string{state.KickMultipleAccount, state.KickMultipleDevice, state.KickUserSigExpired, state.KickRESTAPI}
)

func oneOf(path, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return errAt(path, "want one of %s, got %q", strings.Join(allowed, ", "), v)
}

// check leaves the group's own rules (type, name, join option, roles, id) to the state, which
// enforces them, and checks what only a scenario has: known users, memberships, applications and
// mutes.
func (g Group) check(p string, known func(string, string) error) error {
	var se *state.Error
	if err := g.spec().Validate(); errors.As(err, &se) && se.Field != "" {
		return errAt(specPath(p, se.Field), "%s", se.Info)
	} else if err != nil {
		return errAt(p, "%v", err)
	}
	if g.Owner != "" {
		if err := known(p+".owner", g.Owner); err != nil {
			return err
		}
	}
	if len(g.Applications) > 0 && (g.Type != string(state.GroupPublic) || (g.JoinOption != "" && g.JoinOption != string(state.JoinNeedPermission))) {
		return errAt(p+".applications", "pending applications need a Public group with join_option NeedPermission (its default)")
	}
	if g.MuteAll && g.Type == string(state.GroupPrivate) {
		return errAt(p+".mute_all", "Private groups cannot be muted")
	}
	in := map[string]bool{g.Owner: true}
	for i, m := range g.Members {
		mp := fmt.Sprintf("%s.members[%d]", p, i)
		if err := known(mp+".user", m.User); err != nil {
			return err
		}
		if in[m.User] {
			return errAt(mp+".user", "%q is already in the group (the owner is a member)", m.User)
		}
		in[m.User] = true
		if m.Mute < 0 {
			return errAt(mp+".mute", "must not be negative")
		}
		if m.Mute > 0 && g.Type == string(state.GroupPrivate) {
			return errAt(mp+".mute", "members of a Private group cannot be muted")
		}
	}
	for i, a := range g.Applications {
		ap := fmt.Sprintf("%s.applications[%d]", p, i)
		if err := known(ap+".user", a.User); err != nil {
			return err
		}
		if in[a.User] {
			return errAt(ap+".user", "%q is already a member", a.User)
		}
	}
	return nil
}

func (m Message) check(p string, known func(string, string) error) error {
	if err := firstErr(known(p+".from", m.From), known(p+".to", m.To)); err != nil {
		return err
	}
	return checkBody(p, m.Text, m.Body)
}

func (pu Push) check(p string, known func(string, string) error) error {
	if (pu.At == nil) == (pu.After == nil) {
		return errAt(p, "give exactly one of at (a delay from load) or after (a protocol call)")
	}
	if pu.At != nil && *pu.At < 0 {
		return errAt(p+".at", "must not be negative")
	}
	if pu.Delay < 0 {
		return errAt(p+".delay", "must not be negative")
	}
	if s := pu.After; s != nil {
		if s.Nth < 0 {
			return errAt(p+".after.nth", "must not be negative")
		}
		if s.Moment != "" {
			if _, ok := call.Moments[s.Moment]; !ok {
				return errAt(p+".after.moment", "unknown moment %q (known: %s)", s.Moment, strings.Join(slices.Sorted(maps.Keys(call.Moments)), ", "))
			}
			if s.Command != "" || s.Group != "" {
				return errAt(p+".after.moment", "a moment is a step of its own: give it without command or group")
			}
		} else if err := faultOptions.Check(fault.Rule{Match: s.match(), Drop: true}); err != nil {
			return errAt(p+".after.command", "%v", err.(*fault.FieldError).Msg)
		}
		if s.User != "" {
			if err := known(p+".after.user", s.User); err != nil {
				return err
			}
		}
	}
	return pu.checkAction(p, known)
}

// checkAction checks the push's one action; p is its path ("pushes[2]"), or "" for an action
// run on its own (Do).
func (pu Push) checkAction(p string, known func(string, string) error) error {
	if p != "" {
		p += "."
	}
	var actions []string
	if k := pu.Kick; k != nil {
		actions = append(actions, "kick")
		if err := firstErr(known(p+"kick.user", k.User), oneOf(p+"kick.type", k.Type, kickTypes)); err != nil {
			return err
		}
	}
	if e := pu.Event; e != nil {
		actions = append(actions, "event")
		if err := known(p+"event.user", e.User); err != nil {
			return err
		}
		if !isObject(e.Body) {
			return errAt(p+"event.body", "want the event as a mapping, e.g. {Event: 9, C2cMsgArray: [...]}")
		}
	}
	if m := pu.Message; m != nil {
		actions = append(actions, "message")
		if err := m.check(p+"message", known); err != nil {
			return err
		}
	}
	if c := pu.Clock; c != nil {
		actions = append(actions, "clock")
		if err := c.check(p + "clock"); err != nil {
			return err
		}
	}
	if r := pu.Reclaim; r != nil {
		actions = append(actions, "reclaim")
		if r.Group == "" {
			return errAt(p+"reclaim.group", "is required")
		}
	}
	actions = append(actions, pu.Actions.set()...)
	if len(actions) != 1 {
		return errAt(strings.TrimSuffix(p, "."), "give exactly one action (kick, event, message, clock, reclaim, %s), got %d",
			strings.Join(actionKeys, ", "), len(actions))
	}
	return pu.Actions.check(strings.TrimSuffix(p, "."), known)
}

// actionKey is the key of the push's action in the file.
func (pu Push) actionKey() string {
	switch {
	case pu.Kick != nil:
		return "kick"
	case pu.Event != nil:
		return "event"
	case pu.Message != nil:
		return "message"
	case pu.Clock != nil:
		return "clock"
	case pu.Reclaim != nil:
		return "reclaim"
	}
	if k := pu.Actions.set(); len(k) == 1 {
		return k[0]
	}
	return ""
}

// Action describes the push's action for listings.
func (pu Push) Action() string {
	switch {
	case pu.Kick != nil:
		return fmt.Sprintf("kick %s (%s)", pu.Kick.User, pu.Kick.Type)
	case pu.Event != nil:
		return "event for " + pu.Event.User
	case pu.Message != nil:
		return fmt.Sprintf("message %s → %s", pu.Message.From, pu.Message.To)
	case pu.Clock != nil:
		return "clock " + pu.Clock.String()
	case pu.Reclaim != nil:
		return "reclaim " + pu.Reclaim.Group
	}
	if d := pu.Actions.describe(); d != "" {
		return d
	}
	return "nothing"
}

func (c Clock) String() string {
	var parts []string
	if c.Freeze != "" {
		parts = append(parts, "freeze "+c.Freeze)
	}
	if c.Unfreeze {
		parts = append(parts, "unfreeze")
	}
	if c.Advance != 0 {
		parts = append(parts, "advance "+c.Advance.String())
	}
	return strings.Join(parts, ", ")
}

// When describes the push's step for listings.
func (pu Push) When() string {
	w := ""
	if pu.At != nil {
		w = "at " + pu.At.String() + " after load"
	} else {
		w = pu.After.String()
	}
	if pu.Delay > 0 {
		w += ", then " + pu.Delay.String()
	}
	return w
}
