package fault

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Target is what the call pipeline knows about a call when it consults the rules.
type Target struct {
	Command   string   // the protocol's command name: "openim/sendmsg"
	User      string   // "" when the call names no account (or a dead session)
	Groups    []string // the groups the call is about (only filled when WantsGroup)
	Transport string   // what carried the call: "http", "ws", …
}

func (c Target) hasGroup(g string) bool { return slices.Contains(c.Groups, g) }

// Profile is what a protocol tells the rules: how its commands are named.
type Profile struct {
	// Commands checks a match's command (without a trailing "*"-prefix it is a full name); its
	// error text says what the protocol's names look like. Nil accepts any name.
	Commands func(command string) error
}

// Transport says which transport-only actions (ActionDrop, ActionStatus, ActionBody,
// ActionTruncate) one transport can carry out.
type Transport struct {
	Name    string
	Actions []string
}

// Options configure a tenant's Rules.
type Options struct {
	Profile Profile
	// Transports are the transports that can carry the tenant's calls. A rule is refused when one
	// of those its match selects cannot carry out one of its actions. None: no check.
	Transports []Transport
}

// Entry is a rule as listed: the rule, how many calls it selected and how often it acted.
type Entry struct {
	Rule
	Seen int `json:"seen"`
	Hits int `json:"hits"`
}

// Rules is one tenant's fault rules and call watches. It has its own lock, never held while
// calling out (the state, watch callbacks), so it nests under nothing.
type Rules struct {
	o         Options
	mu        sync.Mutex
	entries   []*Entry
	watches   []*watch
	next      int
	needGroup bool // some rule or watch matches on the group: the middleware must read bodies
}

type watch struct {
	match  Match
	moment string // a moment (WatchMoment) rather than a call; match.User then names whose
	nth    int
	seen   int
	fn     func()
}

// NewRules returns an empty rule set.
func NewRules(o Options) *Rules { return &Rules{o: o} }

// Check validates a rule against the protocol's command naming and the transports' abilities,
// without adding it; the error is a *FieldError.
func (s *Rules) Check(r Rule) error { return s.o.Check(r) }

// Check validates a rule against the protocol's command naming and the transports' abilities.
func (o Options) Check(r Rule) error {
	if err := r.validate(o.Profile.Commands); err != nil {
		return err
	}
	if r.Match.Transport != "" && len(o.Transports) > 0 &&
		!slices.ContainsFunc(o.Transports, func(t Transport) bool { return t.Name == r.Match.Transport }) {
		var names []string
		for _, t := range o.Transports {
			names = append(names, t.Name)
		}
		return &FieldError{"match.transport", fmt.Sprintf("no transport %q here (there are: %s)", r.Match.Transport, strings.Join(names, ", "))}
	}
	for _, t := range o.Transports {
		if r.Match.Transport != "" && r.Match.Transport != t.Name {
			continue
		}
		for _, a := range r.TransportActions() {
			if !slices.Contains(t.Actions, a) {
				field := a
				if a == ActionDrop && !r.Drop {
					field = "hold"
				}
				return &FieldError{field, fmt.Sprintf("the %s transport cannot %s; restrict the rule to a transport that can with match.transport", t.Name, actionText[a])}
			}
		}
	}
	return nil
}

var actionText = map[string]string{
	ActionDrop:     "drop a call's connection",
	ActionStatus:   "answer a status code",
	ActionBody:     "answer arbitrary bytes",
	ActionTruncate: "answer a truncated reply",
}

// Add validates and appends a rule; it answers the rule's ID (the given one, or "f1", "f2"…).
// Rules are consulted in the order they were added.
func (s *Rules) Add(r Rule) (string, error) {
	if err := s.Check(r); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID == "" {
		for {
			s.next++
			r.ID = fmt.Sprintf("f%d", s.next)
			if s.find(r.ID) < 0 {
				break
			}
		}
	} else if strings.ContainsAny(r.ID, "/?#% ") {
		return "", &FieldError{"id", fmt.Sprintf("%q: an id cannot contain '/', '?', '#', '%%' or spaces", r.ID)}
	} else if s.find(r.ID) >= 0 {
		return "", &FieldError{"id", fmt.Sprintf("a rule with id %q already exists", r.ID)}
	}
	s.entries = append(s.entries, &Entry{Rule: r})
	s.refresh()
	return r.ID, nil
}

func (s *Rules) find(id string) int {
	return slices.IndexFunc(s.entries, func(e *Entry) bool { return e.ID == id })
}

// refresh recomputes needGroup. Lock held.
func (s *Rules) refresh() {
	s.needGroup = slices.ContainsFunc(s.entries, func(e *Entry) bool { return e.Match.Group != "" }) ||
		slices.ContainsFunc(s.watches, func(w *watch) bool { return w.match.Group != "" })
}

// Remove deletes a rule; false when there is none with that id.
func (s *Rules) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(id)
	if i < 0 {
		return false
	}
	s.entries = slices.Delete(s.entries, i, i+1)
	s.refresh()
	return true
}

// Clear deletes every rule (watches stay).
func (s *Rules) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = nil
	s.refresh()
}

// List returns the rules with their counters, in consultation order.
func (s *Rules) List() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, len(s.entries))
	for i, e := range s.entries {
		out[i] = *e
	}
	return out
}

// Get returns one rule with its counters.
func (s *Rules) Get(id string) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(id); i >= 0 {
		return *s.entries[i], true
	}
	return Entry{}, false
}

// Watch calls fn once, right after the server is done with the nth call selected by m (nth < 1
// means 1), in that request's goroutine and before its answer is flushed, so the effect is in
// place before the client can send anything else. The returned func cancels the watch.
func (s *Rules) Watch(m Match, nth int, fn func()) (cancel func(), err error) {
	if e := m.validate(s.o.Profile.Commands); e != nil {
		return nil, e
	}
	w := &watch{match: m, nth: max(nth, 1), fn: fn}
	s.mu.Lock()
	s.watches = append(s.watches, w)
	s.refresh()
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.watches = slices.DeleteFunc(s.watches, func(x *watch) bool { return x == w })
		s.refresh()
	}, nil
}

// Idle reports whether there is nothing to consult, so the pipeline can step aside.
func (s *Rules) Idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries) == 0 && len(s.watches) == 0
}

// WantsGroup reports whether some rule or watch matches on a group, so the pipeline must work out
// which groups a call is about.
func (s *Rules) WantsGroup() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.needGroup
}

// Decide counts the call on every rule that selects it and returns the first rule whose turn it
// is (nil: let the call through). Other rules due on the same call let their turn pass.
func (s *Rules) Decide(c Target) *Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fire *Rule
	for _, e := range s.entries {
		if !e.Match.matches(c) {
			continue
		}
		e.Seen++
		if fire == nil && e.due(e.Seen, e.Hits) {
			e.Hits++
			r := e.Rule
			fire = &r
		}
	}
	return fire
}

// Done counts the call on the watches and runs those that reached their call, outside the lock.
// The pipeline calls it when the call has been served, before the answer is sent.
func (s *Rules) Done(c Target) {
	s.mu.Lock()
	run := s.due(func(w *watch) bool { return w.moment == "" && w.match.matches(c) })
	s.mu.Unlock()
	for _, fn := range run {
		fn()
	}
}

// due counts one occurrence on the watches hit selects, removes those that reached their nth and
// returns their funcs, to be run outside the lock. Lock held.
func (s *Rules) due(hit func(*watch) bool) []func() {
	var run []func()
	keep := s.watches[:0]
	for _, w := range s.watches {
		if hit(w) {
			w.seen++
			if w.seen >= w.nth {
				run = append(run, w.fn)
				continue
			}
		}
		keep = append(keep, w)
	}
	clear(s.watches[len(keep):])
	s.watches = keep
	if len(run) > 0 {
		s.refresh()
	}
	return run
}

// WatchMoment is Watch for a moment a transport announces (Reached) instead of a call: fn runs
// once, right after the nth time (nth < 1 means 1) user ("" anyone) reached moment, in the
// announcing goroutine. The returned func cancels the watch.
func (s *Rules) WatchMoment(moment, user string, nth int, fn func()) (cancel func()) {
	w := &watch{match: Match{User: user}, moment: moment, nth: max(nth, 1), fn: fn}
	s.mu.Lock()
	s.watches = append(s.watches, w)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.watches = slices.DeleteFunc(s.watches, func(x *watch) bool { return x == w })
	}
}

// Reached counts a moment of user (named by the call package's Moment constants) on the watches
// waiting for it and runs those due, in the caller's goroutine.
func (s *Rules) Reached(moment, user string) {
	s.mu.Lock()
	run := s.due(func(w *watch) bool { return w.moment == moment && (w.match.User == "" || w.match.User == user) })
	s.mu.Unlock()
	for _, fn := range run {
		fn()
	}
}
