package call

import (
	"context"
	"testing"
)

// The middlewares' Thens run innermost first on the finished answer, whether it finished before
// or after the transport asked for it; Stop reaches the handler once, and not after Finish.
func TestPendingOrderAndStop(t *testing.T) {
	for _, finishFirst := range []bool{true, false} {
		stops := 0
		p := NewPending(func() { stops++ })
		p.Then(func(r Result) Result { r.Body = append(r.Body, " inner"...); return r })
		if finishFirst {
			p.Finish(Result{Body: []byte("answer")})
		}
		p.Then(func(r Result) Result { r.Body = append(r.Body, " outer"...); return r })
		var got []string
		p.Deliver(func(r Result) { got = append(got, string(r.Body)) })
		if !finishFirst {
			p.Stop()
			p.Stop()
			p.Finish(Result{Body: []byte("answer")})
		}
		p.Finish(Result{Body: []byte("second")})
		p.Stop()
		if len(got) != 1 || got[0] != "answer inner outer" {
			t.Fatalf("finish first %v: delivered %q", finishFirst, got)
		}
		if want := map[bool]int{true: 0, false: 1}[finishFirst]; stops != want {
			t.Fatalf("finish first %v: stop reached the handler %d times, want %d", finishFirst, stops, want)
		}
	}
}

// Wait returns the answer; a cancelled context stops the wait and still returns what the
// handler answers then.
func TestPendingWait(t *testing.T) {
	var p *Pending
	p = NewPending(func() { go p.Finish(Result{Body: []byte("no news")}) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := p.Wait(ctx, nil); string(r.Body) != "no news" {
		t.Fatalf("Wait after cancel: %q", r.Body)
	}
	q := NewPending(func() { t.Error("stopped") })
	go q.Finish(Result{Body: []byte("news")})
	if r := q.Wait(context.Background(), nil); string(r.Body) != "news" {
		t.Fatalf("Wait: %q", r.Body)
	}
}

// A pipeline records a pending answer when it is finished, not when the handler returns.
func TestRecordWaitsForPendingAnswer(t *testing.T) {
	p := NewPending(func() {})
	var thens int
	res := Chain(func(*Call) Result { return Result{Pending: p} }, func(next Handler) Handler {
		return func(c *Call) Result { return next(c).Then(func(r Result) Result { thens++; return r }) }
	})(&Call{Park: true})
	if res.Pending != p || thens != 0 {
		t.Fatalf("pending result %+v, thens %d", res, thens)
	}
	p.Deliver(func(Result) {})
	p.Finish(Result{})
	if thens != 1 {
		t.Fatalf("thens after finish: %d", thens)
	}
}
