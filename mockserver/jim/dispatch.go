package jim

import (
	"encoding/json"
	"fmt"
	"time"

	pipe "github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
)

// Protocol is JMessage's name in calls and transcripts; Transport names the socket.io transport.
const (
	Protocol  = "jim"
	Transport = "socket.io"
)

// SocketTransport is what the socket.io transport can do beyond the pipeline's own fault actions:
// drop the connection, or answer the call with other bytes.
var SocketTransport = fault.Transport{Name: Transport, Actions: []string{fault.ActionDrop, fault.ActionBody}}

// Command is the call command of a JMessage event (what fault rules and transcripts name).
func Command(event string) string { return Protocol + "/" + event }

// PushCommand is how transcripts name a server push: event_notification is also the name of the
// client's echo (a call), and the two are ordered apart.
func PushCommand(event string) string { return Protocol + "/push:" + event }

// call is one decoded request, as handlers see it.
type call struct {
	c     *conn
	ev    string
	req   map[string]any
	app   *state.App // nil before c_init
	key   string     // the app's appkey
	user  string     // "" before login
	start time.Time
	pc    *pipe.Call
}

// handler answers a call with the reply's fields beyond rid/code/message, or an *Error.
type handler func(x *call) (map[string]any, error)

// need says what a handler requires of the connection.
type need int

const (
	needNothing need = iota // c_init
	needInit                // register, login
	needLogin               // everything else
)

type route struct {
	h    handler
	need need
}

// confirmations are the client's receipts for pushes: they get an ack and nothing else.
var confirmations = map[string]bool{
	"msg_recv": true, "msg_recv_v2": true, "event_notification": true,
	"sync_conversation_ack": true, "sync_event_ack": true, "sync_receipt_ack": true,
}

// maxReplies bounds the per-connection cache of answered rids (v2 resends up to 5 times).
const maxReplies = 256

// dispatch is the single entry every decoded socket.io event goes through: it makes the call,
// runs it through the server's pipeline (identify → triggers → record → faults → handle) and
// sends what comes out, ack first.
func (a *Adapter) dispatch(c *conn, ev string, payload any) {
	c.serial.Lock()
	defer c.serial.Unlock()
	raw, _ := json.Marshal(payload)
	req, _ := payload.(map[string]any)
	rid, hasRid := req["rid"]
	pc := &pipe.Call{Protocol: Protocol, Transport: Transport, Command: Command(ev), ConnID: c.id, Body: raw}
	st := &callState{ev: ev, req: req}
	c.mu.Lock()
	c.current = st
	c.mu.Unlock()
	res := a.calls(pc)
	switch {
	case res.Gone:
		return
	case res.Drop:
		c.sock.Disconnect(true)
		return
	}
	if !st.acked && hasRid && res.Body != nil { // a fault's answer: the client still gets its ack first
		c.send("ack", mustJSON(map[string]any{"rid": rid}))
	}
	if res.Body == nil {
		return
	}
	body := res.Body
	if res.Text {
		body = mustJSON(string(res.Body))
	} else if hasRid {
		body = withRid(body, rid)
	}
	c.send(ev, body)
	if st.after != nil {
		st.after()
	}
}

// callState is what the handler step tells the transport about the call in flight.
type callState struct {
	ev    string
	req   map[string]any
	acked bool
	after func() // pushes that must follow the reply
}

// withRid puts the request's rid into a reply object that lacks it (a fault's envelope).
func withRid(body []byte, rid any) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil || m == nil {
		return body
	}
	if _, ok := m["rid"]; ok {
		return body
	}
	m["rid"] = rid
	return mustJSON(m)
}

// handle is the pipeline's innermost step: ack, then the resend cache, then the event's handler.
func (a *Adapter) handle(pc *pipe.Call) pipe.Result {
	c := a.connByID(pc.ConnID)
	if c == nil {
		return pipe.Result{Gone: true}
	}
	c.mu.Lock()
	st := c.current
	x := &call{c: c, req: st.req, ev: st.ev, app: c.app, key: c.appKey, user: c.user, start: time.Now(), pc: pc}
	c.mu.Unlock()
	rid, hasRid := x.req["rid"]
	if x.req == nil { // not the JMessage envelope: answer in it anyway, never silence
		return pipe.Result{Body: mustJSON(map[string]any{"code": CodeInvalidParam, "message": "the payload must be a JSON object with a rid"})}
	}
	if hasRid {
		c.send("ack", mustJSON(map[string]any{"rid": rid}))
		st.acked = true
	}
	if confirmations[x.ev] {
		return pipe.Result{}
	}
	ridKey := x.ev + "\x00" + string(mustJSON(rid))
	if hasRid {
		c.mu.Lock()
		cached, ok := c.replies[ridKey]
		c.mu.Unlock()
		if ok { // a resend of an answered request: the same answer, no second effect
			return pipe.Result{Body: cached}
		}
	}
	fields, err := route1(x)
	out := map[string]any{}
	if err != nil {
		e := asError(err)
		out["code"], out["message"] = e.Code, e.Message
	} else {
		for k, v := range fields {
			out[k] = v
		}
		out["code"], out["message"] = 0, "success"
	}
	if hasRid {
		out["rid"] = rid
	}
	b := mustJSON(out)
	if hasRid {
		c.mu.Lock()
		c.replies[ridKey] = b
		c.ridOrder = append(c.ridOrder, ridKey)
		if len(c.ridOrder) > maxReplies {
			delete(c.replies, c.ridOrder[0])
			c.ridOrder = c.ridOrder[1:]
		}
		c.mu.Unlock()
	}
	// login and c_init change who the connection is: the transcript names the caller after them.
	c.mu.Lock()
	pc.User, pc.Conn = c.user, c.name
	if c.app != nil {
		pc.App, pc.Tenant = c.app, fmt.Sprint(c.app.ID())
	}
	c.mu.Unlock()
	if err == nil {
		if after, ok := afterReply[x.ev]; ok {
			st.after = func() { after(x, fields) }
		}
	}
	return pipe.Result{Body: b}
}

// route1 finds the event's handler and checks the connection is far enough for it.
func route1(x *call) (map[string]any, error) {
	r, ok := routes[x.ev]
	if !ok {
		return nil, errf(CodeInvalidParam, "unknown event %q", x.ev)
	}
	switch {
	case r.need >= needInit && x.app == nil:
		return nil, errf(CodeInvalidParam, "%s before c_init: initialise first", x.ev)
	case r.need >= needLogin && x.user == "":
		return nil, errf(CodeAuthFail, "%s before login", x.ev)
	}
	return r.h(x)
}

// profile is JMessage's part of the pipeline: who a call is from (the connection's binding), which
// groups it is about and the envelope of a fault's reply.
type profile struct{ a *Adapter }

func (p profile) Identify(pc *pipe.Call) {
	c := p.a.connByID(pc.ConnID)
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	pc.User, pc.Conn = c.user, c.name
	if c.app != nil {
		pc.App, pc.Tenant = c.app, fmt.Sprint(c.app.ID())
	}
}

func (p profile) Groups(pc *pipe.Call) []string {
	var m map[string]any
	if json.Unmarshal(pc.Body, &m) != nil {
		return nil
	}
	if g := str(m, "gid", "target_gid"); g != "" {
		return []string{g}
	}
	return nil
}

func (p profile) Reply(code int, info string) []byte {
	return mustJSON(map[string]any{"code": code, "message": info})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprintf("%q", err.Error()))
	}
	return b
}
