package call

import (
	"fmt"
	"net/http"
	"time"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/recorder"
)

// Options configure a pipeline.
type Options struct {
	Profile Profile
	// Rules finds the fault rules (and scenario watches) of the call's tenant, after identify;
	// nil or a nil result: no faults.
	Rules func(c *Call) *fault.Rules
	// Recorder gets every call as an exchange; nil records nothing.
	Recorder *recorder.Recorder
	// Done is closed when the server shuts down: delays and holds end at once.
	Done <-chan struct{}
}

// Pipeline wraps the protocol's handler in identify → triggers → record → faults.
func Pipeline(o Options, h Handler) Handler {
	return Chain(h, Identify(o.Profile), Triggers(o), Record(o.Recorder), Faults(o))
}

// Identify runs the profile's identification once, before anything else looks at the caller.
func Identify(p Profile) Middleware {
	return func(next Handler) Handler {
		return func(c *Call) Result {
			p.Identify(c)
			return next(c)
		}
	}
}

type targetInfo struct {
	rules  *fault.Rules
	target fault.Target
}

// noTarget is every call's targetInfo when its tenant has no rules to consult (never written).
var noTarget targetInfo

// targetOf finds the tenant's rules and what they match on, once per call (nil: no rules to consult).
func (o Options) targetOf(c *Call) *targetInfo {
	if c.target != nil {
		return c.target
	}
	c.target = &noTarget // most tenants have no rules: nothing to allocate per call
	if o.Rules == nil {
		return c.target
	}
	rules := o.Rules(c)
	if rules == nil || rules.Idle() {
		return c.target
	}
	t := fault.Target{Command: c.Command, User: c.User, Transport: c.Transport}
	if rules.WantsGroup() && o.Profile != nil {
		t.Groups = o.Profile.Groups(c)
	}
	c.target = &targetInfo{rules: rules, target: t}
	return c.target
}

// Triggers counts the call on the tenant's watches once it has been served, so a scheduled push
// is in place before the client can send anything else.
func Triggers(o Options) Middleware {
	return func(next Handler) Handler {
		return func(c *Call) Result {
			t := o.targetOf(c)
			if t.rules == nil {
				return next(c)
			}
			served := func() {
				t.rules.Done(t.target)
				if m, ok := o.Profile.(Momenter); ok {
					for _, name := range m.Moments(c) {
						t.rules.Reached(name, c.User)
					}
				}
			}
			later := false
			defer func() {
				if !later {
					served()
				}
			}()
			res := next(c)
			if res.Pending != nil { // served once the answer is there
				later = true
				res.Pending.Then(func(r Result) Result { served(); return r })
			}
			return res
		}
	}
}

// Record files every call with rec as one exchange: its Seq is taken when the call arrives, the
// exchange is stored when the answer is ready (for a pending answer, when it is finished).
func Record(rec *recorder.Recorder) Middleware {
	return func(next Handler) Handler {
		if rec == nil {
			return next
		}
		return func(c *Call) Result {
			p := rec.Begin()
			store := func(res Result, panicked any) {
				e := recorder.Exchange{Kind: recorder.KindCall, Transport: c.Transport, Command: c.Command,
					App: c.Tenant, User: c.User, Conn: c.Conn, Request: rec.Capture(c.Body)}
				if len(c.Params) > 0 {
					e.Query = c.Params
				}
				if c.HTTP != nil {
					e.Method, e.Path = c.HTTP.Method, c.HTTP.Path
				}
				switch {
				case panicked != nil:
					e.Note = fmt.Sprintf("handler panicked: %v", panicked)
				case res.Gone:
					e.Note = "the client went away before the answer"
				case res.Drop:
					e.Note = fmt.Sprintf("connection dropped by fault rule %s", res.Fault)
				default:
					if c.HTTP != nil {
						e.Status = res.Status
						if e.Status == 0 {
							e.Status = http.StatusOK
						}
					}
					e.Response = rec.Capture(res.Body)
				}
				p.End(e)
			}
			var res Result
			var panicked any
			func() {
				defer func() { panicked = recover() }()
				res = next(c)
			}()
			if panicked != nil {
				store(res, panicked)
				panic(panicked)
			}
			return res.Then(func(r Result) Result { store(r, nil); return r })
		}
	}
}

// Faults applies the first fault rule due on the call. Delay and reply are carried out here;
// a hold waits here; the rest is described in the Result for the transport.
func Faults(o Options) Middleware {
	return func(next Handler) Handler {
		return func(c *Call) Result {
			t := o.targetOf(c)
			if t.rules == nil {
				return next(c)
			}
			rule := t.rules.Decide(t.target)
			if rule == nil {
				return next(c)
			}
			return o.act(c, *rule, next)
		}
	}
}

func (o Options) act(c *Call, r fault.Rule, next Handler) Result {
	if r.Delay > 0 && o.wait(c, r.Delay.D()) == clientGone {
		return Result{Gone: true, Fault: r.ID}
	}
	res := Result{Fault: r.ID, Status: r.Status}
	switch {
	case r.Hold > 0:
		if o.wait(c, r.Hold.D()) == clientGone {
			return Result{Gone: true, Fault: r.ID}
		}
		res.Drop = true
	case r.Drop:
		res.Drop = true
	case r.Truncate:
		return next(c).Then(func(full Result) Result {
			full.Body = full.Body[:len(full.Body)/2]
			full.Fault = r.ID
			return full
		})
	case r.Reply != nil:
		info := r.Reply.ErrorInfo
		if info == "" && r.Reply.ErrorCode != 0 {
			info = "fault injected by rule " + r.ID
		}
		res.Body = o.Profile.Reply(r.Reply.ErrorCode, info)
	case r.Body != nil:
		res.Body = []byte(*r.Body)
	case r.Status != 0:
		res.Text = true
		res.Body = fmt.Appendf(nil, "%d %s (fault injected by rule %s)\n", r.Status, http.StatusText(r.Status), r.ID)
	default: // a delay alone: the call goes through, late
		res = next(c)
	}
	return res
}

type waited int

const (
	elapsed waited = iota
	clientGone
	shuttingDown
)

// wait sleeps for d unless the client goes away or the server shuts down first.
func (o Options) wait(c *Call, d time.Duration) waited {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return elapsed
	case <-c.Context().Done():
		return clientGone
	case <-o.Done:
		return shuttingDown
	}
}
