package fault

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Call is what the middleware knows about a protocol request when it consults the rules.
type Call struct {
	Command string   // "openim/sendmsg"
	User    string   // "" when the request names no account (or a dead session)
	Groups  []string // GroupId / GroupIdList of the body
}

func (c Call) hasGroup(g string) bool { return slices.Contains(c.Groups, g) }

// Entry is a rule as listed: the rule, how many calls it selected and how often it acted.
type Entry struct {
	Rule
	Seen int `json:"seen"`
	Hits int `json:"hits"`
}

// Rules is one tenant's fault rules and call watches. It has its own lock, never held while
// calling out (the state, watch callbacks), so it nests under nothing.
type Rules struct {
	mu        sync.Mutex
	entries   []*Entry
	watches   []*watch
	next      int
	needGroup bool // some rule or watch matches on the group: the middleware must read bodies
}

type watch struct {
	match Match
	nth   int
	seen  int
	fn    func()
}

// NewRules returns an empty rule set.
func NewRules() *Rules { return &Rules{} }

// Add validates and appends a rule; it answers the rule's ID (the given one, or "f1", "f2"…).
// Rules are consulted in the order they were added.
func (s *Rules) Add(r Rule) (string, error) {
	if err := r.Validate(); err != nil {
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
	if e := m.validate(); e != nil {
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

// idle reports whether there is nothing to consult, so the middleware can step aside.
func (s *Rules) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries) == 0 && len(s.watches) == 0
}

func (s *Rules) wantsGroup() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.needGroup
}

// decide counts the call on every rule that selects it and returns the first rule whose turn it
// is (nil: let the call through). Other rules due on the same call let their turn pass.
func (s *Rules) decide(c Call) *Rule {
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

// done counts the call on the watches and runs those that reached their call, outside the lock.
func (s *Rules) done(c Call) {
	s.mu.Lock()
	var run []func()
	keep := s.watches[:0]
	for _, w := range s.watches {
		if w.match.matches(c) {
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
	s.mu.Unlock()
	for _, fn := range run {
		fn()
	}
}
