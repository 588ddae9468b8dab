package ws

import (
	"encoding/json"
	"strings"

	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
)

// commandOf turns a servcmd into the long-polling era's command: "openim.sendmsg" → "openim/sendmsg".
func commandOf(servcmd string) string { return strings.Replace(servcmd, ".", "/", 1) }

// handle serves one uplink frame as a call of the pipeline.
func (c *conn) handle(b []byte) {
	f, err := decodeFrame(b)
	if err != nil {
		c.refuse(b, codeBadFrame, err.Error())
		return
	}
	_, sess, bound := c.session()
	cc := (&call.Call{Protocol: tim.Protocol, Transport: Transport, Command: commandOf(f.Head.ServCmd), ConnID: c.id,
		Params: c.identity(f.Head, sess, bound), Body: f.Body}).WithContext(tim.WithSocket(c.ctx, c))
	res := c.s.o.Calls(cc)
	switch {
	case res.Gone:
	case res.Drop: // a fault rule's drop (or a hold run out): the socket goes, as a network cut would
		c.closeSocket()
	case res.Fault != "" && !json.Valid(res.Body):
		// A fault's bytes (body) or a cut answer (truncate): sent as the frame, as they are, so
		// the client gets a frame it cannot read instead of a reply.
		_ = c.write(res.Body, false)
	default:
		if c.write(encodeFrame(f.Head.ServCmd, f.Head.Seq, res.Body), false) == nil {
			c.announce(cc.Command)
		}
	}
}

// announce tells the tenant's scenario watches which moment an answered frame reached: online once
// the socket's session has had its C2C sync and both joined-group lists (groups, then community
// groups) answered, delivered when the client acknowledges a push. The SDKs (2.19 and later, 3.x)
// ask for both lists and apply them together: a group push that comes earlier is applied before the
// list, which then undoes it (a kicked member's group comes back). It runs after the answer is
// written, so what a watch causes is pushed behind that answer.
func (c *conn) announce(command string) {
	var moment string
	c.mu.Lock()
	app, user, bound := c.app, c.sess.User, c.bound
	switch command {
	case "openim/getmsg":
		c.synced = true
	case "group_open_http_svc/get_joined_group_list":
		c.groups = true
	case "million_group_open_http_svc/get_joined_group_list":
		c.communities = true
	case "openim/ws_msg_push_ack":
		moment = call.MomentDelivered
	}
	if moment == "" && c.synced && c.groups && c.communities && !c.online {
		c.online, moment = true, call.MomentOnline
	}
	c.mu.Unlock()
	if moment == "" || !bound || c.s.o.Faults == nil {
		return
	}
	if rules := c.s.o.Faults(app.ID()); rules != nil {
		rules.Reached(moment, user)
	}
}

// identity is what a long-polling era request would have carried in its query: the tenant, and
// either identifier+usersig (before login) or a2+tinyid. After wslogin the socket is the session,
// so a head without a2 (telemetry sends empty ones) still acts as the socket's session.
func (c *conn) identity(h Head, s state.Session, bound bool) map[string]string {
	q := map[string]string{"sdkappid": text(h.SDKAppID)}
	if q["sdkappid"] == "" {
		q["sdkappid"] = c.query["sdkappid"]
	}
	if h.Identifier != "" {
		q["identifier"] = h.Identifier
	}
	if h.UserSig != "" {
		q["usersig"] = h.UserSig
	}
	if h.A2 != "" {
		q["a2"], q["tinyid"] = h.A2, text(h.TinyID)
	} else if bound && h.Identifier == "" {
		q["a2"], q["tinyid"] = s.A2, s.TinyID
	}
	return q
}

// --- tim.Socket ---

// Bind makes the socket the session's and starts its pushes (replacing an earlier binding).
func (c *conn) Bind(app *state.App, s state.Session) { c.bind(app, s) }

// Unbind detaches the session (wslogout): pushes stop, and frames still carrying its a2 are
// refused without saying "expired".
func (c *conn) Unbind() {
	c.mu.Lock()
	unwake := c.unbindLocked()
	app, a2, bound := c.app, c.sess.A2, c.bound
	if bound {
		c.ended = a2
	}
	c.bound = false
	c.mu.Unlock()
	unwake()
	if bound {
		c.s.forget(app, a2) // not under c.mu: connsOf takes c.mu under the server's lock
	}
}

// Ack moves the session's push cursor: SessionData names the last event the acked push carried.
func (c *conn) Ack(sessionData string) error {
	app, s, bound := c.session()
	if !bound {
		return errNotBound
	}
	n, err := parseSessionData(sessionData)
	if err != nil {
		return err
	}
	c.s.cursorOf(app, s.A2).ack(n)
	c.kick() // the redelivery timer is re-armed for what is still unacked, or stopped
	return nil
}

// Ended says whether this socket logged out the session with A2Key a2.
func (c *conn) Ended(a2 string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.bound && c.ended != "" && a2 == c.ended
}

// HelloInterval is the wshello period the login reply asks for.
func (c *conn) HelloInterval() int { return c.s.o.HelloInterval }
