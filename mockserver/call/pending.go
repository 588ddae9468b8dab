package call

import (
	"context"
	"sync"
)

// Pending is an answer still to come: nothing waits for it, it is finished by whoever has the
// answer, on any goroutine. A handler that would otherwise block (a long poll with no news) may
// answer Result{Pending: p} when the call allows it (Call.Park); holding ten thousand such calls
// then costs ten thousand of these structs, not ten thousand goroutines.
//
// Three parties use it, in this order:
//
//	the handler     makes it (NewPending) and, later, Finishes it with the answer
//	the middlewares each register with Then what they do to the answer (record it, count the
//	                call for triggers, truncate it), while the pipeline returns
//	the transport   says with Deliver where the finished answer goes, and calls Stop when the
//	                client went away (or the server stops) so the handler answers early
//
// Finish may come before Deliver (the news arrived while the pipeline was returning): the answer
// is kept and delivered when the transport asks for it, after every Then is registered.
type Pending struct {
	mu       sync.Mutex
	thens    []func(Result) Result
	res      Result
	finished bool
	to       func(Result)
	stop     func()
	stopped  bool
}

// NewPending makes a pending answer; stop is called once (from any goroutine, never under the
// pending's lock) when the wait must end early, and must lead to Finish.
func NewPending(stop func()) *Pending { return &Pending{stop: stop} }

// Then registers what a middleware does to the answer once it is there. The innermost middleware
// registers first and runs first, as if the handler had returned the answer.
func (p *Pending) Then(f func(Result) Result) {
	p.mu.Lock()
	p.thens = append(p.thens, f)
	p.mu.Unlock()
}

// Finish sets the answer (only the first call counts).
func (p *Pending) Finish(r Result) {
	p.mu.Lock()
	if p.finished {
		p.mu.Unlock()
		return
	}
	p.finished, p.res = true, r
	to := p.to
	p.mu.Unlock()
	if to != nil {
		p.deliver(to)
	}
}

// Deliver says where the answer goes: to is called once, with the answer after every Then, as soon
// as it is finished (at once if it already is), on the goroutine that finishes it.
func (p *Pending) Deliver(to func(Result)) {
	p.mu.Lock()
	p.to = to
	finished := p.finished
	p.mu.Unlock()
	if finished {
		p.deliver(to)
	}
}

func (p *Pending) deliver(to func(Result)) {
	p.mu.Lock()
	r, thens := p.res, p.thens
	p.thens = nil // delivered once: Finish and Deliver both reach here only when the other was first
	p.mu.Unlock()
	for _, f := range thens {
		r = f(r)
	}
	to(r)
}

// Stop ends the wait early: the client went away or the server is stopping. The handler answers
// what it has (a long poll: no news), which still goes through every Then.
func (p *Pending) Stop() {
	p.mu.Lock()
	if p.stopped || p.finished {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	p.mu.Unlock()
	p.stop()
}

// Wait blocks until the answer is finished, for transports that serve a call on a goroutine of
// their own anyway: ctx ending (the client gave up) or done closing (the server stops) stops the
// wait early.
func (p *Pending) Wait(ctx context.Context, done <-chan struct{}) Result {
	got := make(chan Result, 1)
	p.Deliver(func(r Result) { got <- r })
	select {
	case r := <-got:
		return r
	case <-ctx.Done():
	case <-done:
	}
	p.Stop()
	return <-got
}
