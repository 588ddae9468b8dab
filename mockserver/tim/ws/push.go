package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/recorder"
)

var errNotBound = errors.New("no session on this socket (wslogin first)")

// parseSessionData reads a push's SessionData: the number of its last event.
func parseSessionData(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errors.New("not a push of this server")
	}
	return n, nil
}

// cursor is a session's push progress over the user's event queue: sent is the last event pushed,
// acked the last one the client acknowledged. A new socket of the session starts from acked, so a
// reconnect neither loses nor repeats what the client confirmed.
type cursor struct {
	mu       sync.Mutex
	longPoll string // the state's delivery handle for this session (opened at first wslogin)
	sent     uint64
	acked    uint64
	acks     chan struct{} // an ack arrived (buffered 1)
}

func (k *cursor) ack(n uint64) {
	k.mu.Lock()
	if n > k.acked && n <= k.sent {
		k.acked = n
	}
	k.mu.Unlock()
	select {
	case k.acks <- struct{}{}:
	default:
	}
}

// bind makes the socket the session's and starts its pusher (replacing an earlier one).
func (c *conn) bind(app *state.App, s state.Session) {
	cur := c.s.cursorOf(app, s.A2)
	cur.mu.Lock()
	if cur.longPoll == "" {
		// First login: events queued from now on are pushed; older C2C messages come by getmsg.
		lp, err := app.OpenLongPoll(s.A2)
		if err == nil {
			cur.longPoll = lp
		}
	}
	cur.sent = cur.acked // resume after the last acknowledged push
	cur.mu.Unlock()

	c.mu.Lock()
	if c.pusher != nil {
		c.pusher()
	}
	c.app, c.sess, c.bound, c.ended = app, s, true, ""
	c.synced, c.groups, c.communities, c.online = false, false, false, false
	ctx, cancel := context.WithCancel(c.ctx)
	c.pusher = cancel
	c.pushWG.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.pushWG.Done()
		c.push(ctx, app, s, cur)
	}()
}

const maxEventsPerPush = 50

// push sends the session's events as im_open_push.msg_push until the socket or session ends. Each
// push asks for an ack (NeedAck 1) with SessionData naming its last event; without an ack the
// events go again after Redeliver.
func (c *conn) push(ctx context.Context, app *state.App, s state.Session, cur *cursor) {
	for {
		cur.mu.Lock()
		after, acked, lp := cur.sent, cur.acked, cur.longPoll
		cur.mu.Unlock()
		res, wake, err := app.Poll(s.A2, lp, after, maxEventsPerPush)
		if err != nil {
			return
		}
		switch {
		case res.Kicked == state.KickUserSigExpired:
			return // the SDK learns it from the next reply (70001, see tim.Socket)
		case res.Kicked != "":
			c.sendPush(ctx, app, s, tim.WSKick(res.Kicked), false)
			return
		case res.Ended:
			return
		case len(res.Events) > 0:
			last := res.Events[len(res.Events)-1].Seq
			cur.mu.Lock()
			cur.sent = last
			cur.mu.Unlock()
			items := tim.WSEvents(s.User, res.Events)
			if len(items) == 0 { // nothing this protocol carries: count it as acked
				cur.ack(last)
				continue
			}
			body, _ := json.Marshal(struct {
				NeedAck     int               `json:"NeedAck"`
				SessionData string            `json:"SessionData"`
				EventArray  []json.RawMessage `json:"EventArray"`
			}{1, strconv.FormatUint(last, 10), items})
			c.sendPush(ctx, app, s, body, true)
			continue
		}
		if !c.wait(ctx, wake, cur, acked < after) {
			return
		}
	}
}

// wait blocks until there may be news for the pusher; with unacked pushes outstanding it rewinds
// the cursor to the last ack after Redeliver. It reports false when the pusher should end.
func (c *conn) wait(ctx context.Context, wake <-chan struct{}, cur *cursor, unacked bool) bool {
	var redeliver <-chan time.Time
	if unacked {
		t := time.NewTimer(c.s.o.Redeliver)
		defer t.Stop()
		redeliver = t.C
	}
	select {
	case <-wake:
	case <-cur.acks:
	case <-redeliver:
		cur.mu.Lock()
		cur.sent = cur.acked
		cur.mu.Unlock()
	case <-ctx.Done():
		return false
	case <-c.s.done:
		return false
	}
	return true
}

// sendPush writes one push (seq 0: it matches no request), after the tenant's fault rules for
// pushes (command im_open_push/msg_push): drop it (unacked, it goes again) or delay it.
func (c *conn) sendPush(ctx context.Context, app *state.App, s state.Session, body []byte, needAck bool) {
	if r := c.pushFault(app, s.User); r != nil {
		if r.Delay > 0 {
			t := time.NewTimer(time.Duration(r.Delay))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		if r.Drop || r.Hold > 0 {
			c.record(app, s, recorder.Exchange{Kind: recorder.KindNote,
				Note: fmt.Sprintf("push dropped by a fault rule: %s", bytes.TrimSpace(body))})
			return
		}
	}
	if ctx.Err() != nil {
		return
	}
	if err := c.write(encodeFrame("im_open_push.msg_push", nil, body), true); err != nil {
		return
	}
	c.record(app, s, recorder.Exchange{Kind: recorder.KindPush, Command: PushCommand, Response: recorder.Body(body, false)})
}

func (c *conn) record(app *state.App, s state.Session, x recorder.Exchange) {
	if c.s.o.Recorder == nil {
		return
	}
	x.App, x.User, x.Conn, x.Transport = appID(app, c.query), s.User, s.Conn, Transport
	c.s.o.Recorder.Add(x)
}

// pushFault consults the tenant's rules for a push.
func (c *conn) pushFault(app *state.App, user string) *fault.Rule {
	if c.s.o.Faults == nil {
		return nil
	}
	rules := c.s.o.Faults(app.ID())
	if rules == nil || rules.Idle() {
		return nil
	}
	t := fault.Target{Command: PushCommand, User: user, Transport: Transport}
	defer rules.Done(t)
	return rules.Decide(t)
}
