package scenario

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
)

// Target is the tenant a scenario is applied to.
type Target struct {
	App    *state.App
	Faults *fault.Rules
}

// Run is an applied scenario: its fault rules and its pending pushes, which it owns. Stop it when
// the tenant goes away (the server does); no goroutine or timer outlives Stop.
type Run struct {
	sc    *Scenario
	app   *state.App
	rules *fault.Rules

	faultIDs []string

	mu      sync.Mutex
	stopped bool
	timers  []*time.Timer
	cancels []func()
	status  []PushStatus
	wg      sync.WaitGroup
}

// PushStatus is a scheduled push and what became of it.
type PushStatus struct {
	Index  int    `json:"index"`
	At     string `json:"at,omitempty"` // file:line:col of the push's action
	When   string `json:"when"`
	Action string `json:"action"`
	Fired  bool   `json:"fired"`
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Apply seeds the tenant, sets its clock, adds the fault rules and schedules the pushes, in that
// order: seed → clock → limits → login → callback → users → friends → blacklist → groups → messages → faults → pushes. Seeding
// is additive: apply to a fresh tenant for a known state.
func (sc *Scenario) Apply(t Target) (*Run, error) {
	app := t.App
	if app == nil || t.Faults == nil {
		return nil, errors.New("scenario: Apply needs a tenant and its fault rules")
	}
	if tn := sc.Tenant; tn != nil {
		if tn.SDKAppID != app.ID() {
			return nil, fmt.Errorf("%s: tenant.sdkappid is %d but the scenario is being loaded into %d", sc.File, tn.SDKAppID, app.ID())
		}
		if tn.Secret != app.Secret() {
			return nil, fmt.Errorf("%s: tenant.secret differs from the secret of tenant %d", sc.File, app.ID())
		}
	}
	if sc.Seed != nil {
		app.Reseed(*sc.Seed)
	}
	if sc.Clock != nil {
		applyClock(app.Clock(), *sc.Clock)
	}
	if sc.Limits != nil {
		app.SetLimits(sc.Limits.State())
	}
	if sc.Login != nil {
		app.SetLoginPolicy(state.LoginPolicy{MultipleInstances: sc.Login.MultipleInstances})
	}
	if sc.Callback != nil {
		if err := app.SetCallbackURL(sc.Callback.URL); err != nil { // checked when loaded
			return nil, fmt.Errorf("%s: callback.url: %w", sc.File, err)
		}
	}
	for _, u := range sc.Users {
		app.EnsureUser(u.ID)
		if u.Password != "" {
			sum := md5.Sum([]byte(u.Password))
			app.SetPassword(u.ID, hex.EncodeToString(sum[:]))
		}
		if len(u.Profile) > 0 {
			items, err := profileItems("profile", u.Profile)
			if err != nil {
				return nil, fmt.Errorf("%s: users %s: %w", sc.File, u.ID, err)
			}
			if err := app.SetProfile(u.ID, items); err != nil {
				return nil, fmt.Errorf("%s: users %s: %w", sc.File, u.ID, err)
			}
		}
	}
	for _, f := range sc.Friends {
		if err := app.AddFriend(f.User, f.Friend, f.Remark); err != nil {
			return nil, fmt.Errorf("%s: friends %s/%s: %w", sc.File, f.User, f.Friend, err)
		}
	}
	for _, b := range sc.Blacklist {
		if err := app.AddBlack(b.User, b.Blocks); err != nil {
			return nil, fmt.Errorf("%s: blacklist %s/%s: %w", sc.File, b.User, b.Blocks, err)
		}
	}
	if err := applyGroups(app, sc.Groups); err != nil {
		return nil, fmt.Errorf("%s: %w", sc.File, err)
	}
	seed := uint64(app.ID())
	if sc.Seed != nil {
		seed = *sc.Seed
	}
	msgs := newMessenger(seed)
	for i, m := range sc.Messages {
		if err := msgs.send(app, m); err != nil {
			return nil, fmt.Errorf("%s: messages[%d]: %w", sc.File, i, err)
		}
	}
	r := &Run{sc: sc, app: app, rules: t.Faults}
	for i, rule := range sc.Faults {
		id, err := t.Faults.Add(rule)
		if err != nil {
			for _, id := range r.faultIDs {
				t.Faults.Remove(id)
			}
			return nil, fmt.Errorf("%s: faults[%d]: %w", sc.File, i, err)
		}
		r.faultIDs = append(r.faultIDs, id)
	}
	r.status = make([]PushStatus, len(sc.Pushes))
	for i, p := range sc.Pushes {
		r.status[i] = PushStatus{Index: i, At: p.at, When: p.When(), Action: p.Action()}
	}
	for i, p := range sc.Pushes {
		if p.At != nil && p.At.D()+p.Delay.D() <= 0 {
			// Due at load: a refusal refuses the scenario.
			if err := r.fire(i, msgs); err != nil {
				r.Stop()
				for _, id := range r.faultIDs {
					t.Faults.Remove(id)
				}
				return nil, err
			}
			continue
		}
		if p.At != nil {
			r.later(p.At.D()+p.Delay.D(), func() { _ = r.fire(i, msgs) })
			continue
		}
		fire := func() { r.later(p.Delay.D(), func() { _ = r.fire(i, msgs) }) }
		var cancel func()
		var err error
		if p.After.Moment != "" {
			cancel = t.Faults.WatchMoment(p.After.Moment, p.After.User, p.After.Nth, fire)
		} else {
			cancel, err = t.Faults.Watch(p.After.match(), p.After.Nth, fire)
		}
		if err != nil { // checked at parse time; kept for callers that build a Scenario by hand
			r.Stop()
			return nil, fmt.Errorf("%s: pushes[%d]: %w", sc.File, i, err)
		}
		r.mu.Lock()
		r.cancels = append(r.cancels, cancel)
		r.mu.Unlock()
	}
	return r, nil
}

// FaultIDs are the ids of the rules the scenario added, in order.
func (r *Run) FaultIDs() []string { return append([]string(nil), r.faultIDs...) }

// Pushes lists the scenario's pushes and what became of them.
func (r *Run) Pushes() []PushStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]PushStatus(nil), r.status...)
}

// Stop cancels pending pushes and waits for any that is running. The fault rules stay (they
// belong to the tenant; remove them through fault.Rules).
func (r *Run) Stop() {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.stopped = true
	for _, t := range r.timers {
		if t.Stop() {
			r.wg.Done() // it will never run
		}
	}
	cancels := r.cancels
	r.timers, r.cancels = nil, nil
	r.mu.Unlock()
	for _, c := range cancels {
		c()
	}
	r.wg.Wait()
}

// later runs fn after d (at once, in this goroutine, when d is 0), unless the run is stopped.
func (r *Run) later(d time.Duration, fn func()) {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.wg.Add(1)
	if d <= 0 {
		r.mu.Unlock()
		defer r.wg.Done()
		fn()
		return
	}
	r.timers = append(r.timers, time.AfterFunc(d, func() {
		defer r.wg.Done()
		r.mu.Lock()
		stopped := r.stopped
		r.mu.Unlock()
		if !stopped {
			fn()
		}
	}))
	r.mu.Unlock()
}

// fire carries push i out and records what became of it; a refusal is an error positioned at the
// push's action in the file.
func (r *Run) fire(i int, msgs *messenger) error {
	pu := r.sc.Pushes[i]
	res, err := pu.do(r.app, msgs)
	if err != nil {
		err = &RunError{At: pu.at, Push: i, Action: pu.actionKey(), Err: err}
	}
	r.mu.Lock()
	st := &r.status[i]
	st.Fired, st.Result = true, res
	if err != nil {
		st.Result, st.Error = "", err.Error()
	}
	out := *st
	r.mu.Unlock()
	if r.sc.Timeline != nil {
		r.sc.Timeline(out)
	}
	return err
}

// RunError is a push the tenant refused (a member kicking the owner, a group that is gone…).
type RunError struct {
	At     string // file:line:col of the action ("" for a scenario built in Go)
	Push   int
	Action string
	Err    error
}

func (e *RunError) Error() string {
	at := ""
	if e.At != "" {
		at = e.At + ": "
	}
	return fmt.Sprintf("%spushes[%d].%s: refused: %v", at, e.Push, e.Action, e.Err)
}

func (e *RunError) Unwrap() error { return e.Err }

// Do runs one push action on app at once, checked as a scenario's pushes are (errors name the
// field: "kick.type: want one of …"; an unknown user is "… no user"). The admin API's kick, event,
// clock and reclaim endpoints run their actions through it, so a scenario push and an admin call
// are the same action. At, After and Delay are ignored.
func Do(app *state.App, pu Push) (Outcome, error) {
	known := func(path, user string) error {
		if app.HasUser(user) {
			return nil
		}
		return errAt(path, "no user %q in sdkappid %d", user, app.ID())
	}
	if err := pu.checkAction("", known); err != nil {
		return Outcome{}, err
	}
	if pu.Kick != nil {
		n, err := pu.Kick.run(app)
		return Outcome{Text: kickText(n), Kicked: n}, err
	}
	text, err := pu.do(app, newMessenger(uint64(app.ID())))
	return Outcome{Text: text}, err
}

// Outcome is what an action did: the text a push's status shows, and for a kick how many sessions
// it ended.
type Outcome struct {
	Text   string
	Kicked int
}

func (k Kick) run(app *state.App) (int, error) { return app.Kick(k.User, k.Type) }

func kickText(n int) string { return fmt.Sprintf("kicked %d session(s)", n) }

// do carries out a push's action.
func (pu Push) do(app *state.App, msgs *messenger) (string, error) {
	switch {
	case pu.Kick != nil:
		n, err := pu.Kick.run(app)
		return kickText(n), err
	case pu.Event != nil:
		body, err := json.Marshal(pu.Event.Body)
		if err != nil {
			return "", err
		}
		proto := pu.Event.Protocol
		if proto == "" {
			proto = "tim"
		}
		return "queued", app.PushRaw(pu.Event.User, state.RawEvent{Protocol: proto, Body: body})
	case pu.Message != nil:
		return "sent", msgs.send(app, *pu.Message)
	case pu.Clock != nil:
		applyClock(app.Clock(), *pu.Clock)
		return "now " + app.Now().UTC().Format(time.RFC3339), nil
	case pu.Reclaim != nil:
		return "reclaimed", reclaim(app, pu.Reclaim.Group)
	}
	return pu.Actions.do(app, msgs)
}

func applyClock(c *state.Clock, cl Clock) {
	switch {
	case cl.Unfreeze:
		c.Unfreeze()
	case cl.Freeze != "":
		t, _ := cl.freezeAt() // checked at parse time
		c.Freeze(t)
	}
	if cl.Advance != 0 {
		c.Advance(cl.Advance.D())
	}
}

// messenger sends seeded C2C messages with reproducible MsgSeq (per sender) and MsgRandom.
type messenger struct {
	mu  sync.Mutex
	rnd *rand.Rand
	seq map[string]uint64
}

func newMessenger(seed uint64) *messenger {
	return &messenger{rnd: rand.New(rand.NewPCG(seed, 0x6d657373616765)), seq: map[string]uint64{}}
}

func (g *messenger) nextSeq(from string) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seq[from]++
	return g.seq[from]
}

func (g *messenger) random() uint32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rnd.Uint32()
}

func (g *messenger) send(app *state.App, m Message) error {
	body, err := elems(m.Text, m.Body)
	if err != nil {
		return err
	}
	seq, random := g.nextSeq(m.From), g.random()
	if m.Seq != 0 {
		seq = m.Seq
	}
	if m.Random != nil {
		random = *m.Random
	}
	// Instance 0 is no session: the message reaches every session of both users.
	_, err = app.SendC2C(0, state.C2CMessage{From: m.From, To: m.To, Seq: seq, Random: random,
		ClientTime: app.Now().Unix(), Body: body})
	return err
}
