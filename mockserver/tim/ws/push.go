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
}

func (k *cursor) ack(n uint64) {
	k.mu.Lock()
	if n > k.acked && n <= k.sent {
		k.acked = n
	}
	k.mu.Unlock()
}

// Pushes keep no goroutine per socket. A socket's pushes are pulled from the session's event queue
// by a pump: a goroutine that exists only while there is something to send. The user's next event
// (through the state's wake list, as a parked long poll), an ack, the redelivery timer and a login
// start it (kick); it pushes what the queue holds, batch after batch, then registers with the wake
// list again and ends. One pump at most runs per socket, so pushes leave in queue order.
//
// Nothing queues in the transport: the state's event queue (bounded by its limits) is the only
// backlog, read at most maxEventsPerPush at a time. A client that stops reading holds up only its
// own pump, in a write that gives up after WriteTimeout and closes that socket, as a real server
// drops a client that does not drain its socket; the session stays for a reconnect to resume.

// bind makes the socket the session's and starts pushing to it (replacing an earlier binding).
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
	unwake := c.unbindLocked()
	c.app, c.sess, c.bound, c.ended, c.cur = app, s, true, "", cur
	c.synced, c.groups, c.communities, c.online = false, false, false, false
	c.bindCtx, c.unbindCtx = context.WithCancel(c.ctx)
	c.kickLocked()
	c.mu.Unlock()
	unwake()
}

// unbindLocked ends the current binding's pushes: a running pump sees the new generation and
// stops, a fault delay it waits out is cut short. It returns what withdraws the binding's wake
// registration, to call without c.mu (it takes the tenant's lock, under which kick takes c.mu).
func (c *conn) unbindLocked() (unwake func()) {
	c.gen++
	if c.unbindCtx != nil {
		c.unbindCtx()
	}
	if c.redeliver != nil {
		c.redeliver.Stop()
	}
	c.finished, c.due = false, false
	unwake, c.unwake = c.unwake, nil
	if unwake == nil {
		unwake = func() {}
	}
	return unwake
}

// kick asks for a pump: it starts one, or tells the running one to look again. It is the wake
// function the state calls under the tenant's lock, so it only takes c.mu and starts a goroutine.
func (c *conn) kick() {
	c.mu.Lock()
	c.kickLocked()
	c.mu.Unlock()
}

func (c *conn) kickLocked() {
	if c.stopped || !c.bound || c.finished {
		return
	}
	if c.pumping {
		c.again = true
		return
	}
	c.pumping = true
	c.pumps.Add(1) // never after stop's Wait: stopped is set under c.mu first
	go c.pump()
}

// redeliverDue is the redelivery timer: the pushes since the last ack go again.
func (c *conn) redeliverDue() {
	c.mu.Lock()
	c.due = true
	c.kickLocked()
	c.mu.Unlock()
}

const maxEventsPerPush = 50

// pump sends the bound session's events as im_open_push.msg_push until the queue has nothing
// more. Each push asks for an ack (NeedAck 1) with SessionData naming its last event; without an
// ack the events go again after Redeliver.
func (c *conn) pump() {
	defer c.pumps.Done()
	for {
		c.mu.Lock()
		if c.stopped || !c.bound || c.finished {
			c.pumping = false
			c.mu.Unlock()
			return
		}
		gen, app, s, cur, ctx := c.gen, c.app, c.sess, c.cur, c.bindCtx
		c.again = false
		due := c.due
		c.due = false
		unwake := c.unwake
		c.unwake = nil
		if c.redeliver != nil {
			c.redeliver.Stop()
		}
		c.mu.Unlock()
		if unwake != nil {
			unwake() // a registration from the last look: this look registers anew if need be
		}

		cur.mu.Lock()
		if due {
			cur.sent = cur.acked
		}
		after, acked, lp := cur.sent, cur.acked, cur.longPoll
		cur.mu.Unlock()
		res, unwake, err := app.PollNotify(s.A2, lp, after, maxEventsPerPush, c.wake)
		switch {
		case err != nil, res.Kicked == state.KickUserSigExpired, res.Ended:
			// A kick for an expired UserSig: the SDK learns it from the next reply (70001, see tim.Socket).
			c.finish(gen)
			continue
		case res.Kicked != "":
			c.sendPush(ctx, app, s, tim.WSKick(res.Kicked), false)
			c.finish(gen)
			continue
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
		// Nothing to send: unwake is registered with the user's wake list.
		c.mu.Lock()
		if c.gen != gen || c.again || c.due || c.stopped {
			c.mu.Unlock()
			unwake()
			continue // the binding changed or news came meanwhile: look again (or end)
		}
		c.unwake = unwake
		if acked < after { // pushes outstanding: they go again unless an ack comes first
			if c.redeliver == nil {
				c.redeliver = time.AfterFunc(c.s.o.Redeliver, c.redeliverDue)
			} else {
				c.redeliver.Reset(c.s.o.Redeliver)
			}
		}
		c.pumping = false
		c.mu.Unlock()
		return
	}
}

// finish ends the binding's pushes (kicked, logged out, the tenant gone) unless it was replaced.
func (c *conn) finish(gen uint64) {
	c.mu.Lock()
	if c.gen == gen {
		c.finished = true
	}
	c.mu.Unlock()
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
