package tim

import (
	"sync"
	"time"

	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/state"
)

// pollWait is a long poll with no news yet. Nothing waits on a goroutine for it: the user's next
// event calls wake (from the state's wake list), the hold timer calls expire, the transport's
// Stop (client gone, server stopping) calls stop; each hands the work to the transport's workers
// (Handler.run), where the poll looks at the queue again or answers "no news". The answer goes
// out through the call's Pending, so the pipeline (record, triggers, faults) sees it as it would
// a handler's return.
type pollWait struct {
	h     *Handler
	app   *state.App
	a2    string
	id    string // the LongPollingId the client named
	after uint64 // the client's cursor
	p     *call.Pending
	wake  func() // registered with the state: schedules retry

	mu     sync.Mutex
	done   bool
	cancel func() // withdraws wake from the state's list
	timer  *time.Timer
}

// longPoll answers now when the queue has news (or the session ended), else returns a
// *call.Pending that the poll finishes later (serve turns it into the call's answer).
func (h *Handler) longPoll(c *Call, id string, after uint64) (any, *Error) {
	w := &pollWait{h: h, app: c.App, a2: c.Session.A2, id: id, after: after}
	w.wake = func() { h.run(w.retry) }
	w.mu.Lock()
	defer w.mu.Unlock()
	reply, err, ready := w.look()
	if ready {
		return reply, err
	}
	w.p = call.NewPending(func() { h.run(w.stop) })
	w.timer = time.AfterFunc(h.o.Hold, func() { h.run(w.stop) })
	return w.p, nil
}

// look polls the queue; when nothing is ready it has registered wake. w.mu held.
func (w *pollWait) look() (reply any, err *Error, ready bool) {
	res, cancel, serr := w.app.PollNotify(w.a2, w.id, w.after, maxEventsPerPoll, w.wake)
	w.cancel = cancel
	if serr != nil {
		return nil, asError(serr), true
	}
	switch {
	case res.Kicked == state.KickMultipleAccount:
		return nil, fail(codeKickMultipleAccount, "kicked: the account logged in elsewhere"), true
	case res.Kicked == state.KickRESTAPI: // the long-polling SDKs know no REST kick (kick.go)
		return nil, fail(codeKickMultipleAccount, "kicked by the app's server (REST im_open_login_svc/kick)"), true
	case res.Kicked == state.KickUserSigExpired:
		return nil, fail(codeUserSigExpired, "kicked: UserSig expired"), true
	case res.Ready():
		return pollReply(res.Events), nil, true
	}
	return nil, nil, false
}

// retry looks again after a wake-up (an event that may not be this session's, say).
func (w *pollWait) retry() {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return
	}
	reply, err, ready := w.look()
	if ready {
		w.end()
	}
	w.mu.Unlock()
	if ready {
		w.p.Finish(call.Result{Body: encode(reply, err)})
	}
}

// stop answers "no news": the hold ran out, the client went away or the server stops.
func (w *pollWait) stop() {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return
	}
	w.cancel()
	w.end()
	w.mu.Unlock()
	w.p.Finish(call.Result{Body: encode(nil, nil)})
}

// end marks the poll answered. w.mu held.
func (w *pollWait) end() {
	w.done = true
	w.timer.Stop()
}

// run runs f on the transport's workers when it has them, else on a goroutine of its own.
func (h *Handler) run(f func()) {
	if p := h.park.Load(); p != nil {
		p.Go(f)
		return
	}
	go f()
}
