// Package call is the one place where cross-cutting work happens to a protocol call, whatever
// transport carried it (HTTP long polling, WebSocket frames, socket.io events, a test's function
// call).
//
// A transport adapter decodes its framing into a Call and hands it to a Handler built by Pipeline;
// it encodes the Result back. The pipeline runs, in this order:
//
//	identify  the protocol's Profile works out the tenant and the caller once (Call.App, User,
//	          Conn, Session); a failure is kept in Call.Denied for the handler to answer, so
//	          faults, triggers and the transcript still see the call
//	triggers  scenario watches ("after the Nth call of X") run once the call is served, before
//	          the answer goes out
//	record    the exchange goes to the recorder (kind "call", the transport named), with the
//	          answer the client gets, injected ones included
//	faults    the tenant's fault rules: delay and reply happen here, identically for every
//	          transport; hold waits here and ends in a drop; drop, status, body and truncate are
//	          described in the Result for the transport to carry out
//	handler   the protocol's handler: decode the body, call state, encode the answer
//
// Record sits outside faults (the architecture sketch puts it inside) so a transcript shows what
// the client was answered, as it did when all of this was HTTP middleware.
//
// Using it from a new transport:
//
//	h := srv.Pipeline(profile, handler)         // or call.Pipeline(call.Options{…}, handler)
//	c := (&call.Call{Protocol: "tim", Transport: "ws", Command: "openim/sendmsg",
//		ConnID: id, Params: head, Body: body}).WithContext(ctx)
//	res := h(c)
//	if res.Pending != nil { // only when c.Park was set: the answer comes later
//		res.Pending.Deliver(func(res call.Result) { … as below … })
//	}
//	switch {
//	case res.Gone:  // the client went away while the call waited: send nothing
//	case res.Drop:  // close the connection
//	default:        // send res.Body (res.Status, res.Text are HTTP's business)
//	}
//
// Declare the transport's abilities (fault.Transport) where the tenant's rules are made, so a rule
// it cannot carry out is refused when it is loaded. Pushes a transport delivers itself are recorded
// with Recorder.AddPush (kind "push").
package call

import (
	"context"

	"github.com/imharness/imharness/mockserver/state"
)

// Call is one protocol request, whatever carried it.
type Call struct {
	Protocol  string            // "tim", "jim"
	Transport string            // "http", "ws", "socket.io", "test"
	Command   string            // the protocol's command name: "openim/sendmsg"
	ConnID    string            // the transport connection it came on ("" for one-shot HTTP requests)
	Params    map[string]string // parameters beside the body: the HTTP query, a frame's head fields
	Body      []byte            // the request body as sent
	HTTP      *HTTP             // set when HTTP carried the call (the transcript shows method and path)
	// Park says the transport takes an answer that comes later (Result.Pending) instead of a
	// handler blocking for it.
	Park bool

	// Filled by the identify step (Profile.Identify); a handler that creates the caller (login)
	// sets User and Conn.
	Tenant  string        // the tenant as the wire names it ("1400000001"); "" when none
	App     *state.App    // nil when the call names no tenant of this server
	User    string        // the calling account; "" when unknown
	Conn    string        // the caller's logical connection for transcripts ("alice#1")
	Session state.Session // the live session, for commands that need one
	Admin   bool          // the tenant's administrator calls (a REST call), not a session
	Denied  error         // identification failed; the handler answers it

	ctx    context.Context
	target *targetInfo // the fault rules and what they see, worked out once per call
}

// HTTP is what a transcript shows of an HTTP request.
type HTTP struct {
	Method string
	Path   string
	Host   string // the request's Host (absolute URLs in answers)
}

// WithContext sets the call's context (the client's request: it ends when the client gives up)
// and returns c.
func (c *Call) WithContext(ctx context.Context) *Call {
	c.ctx = ctx
	return c
}

// Context is the call's context (context.Background when none was set).
func (c *Call) Context() context.Context {
	if c.ctx == nil {
		return context.Background()
	}
	return c.ctx
}

// Result is the answer to a call, for the transport to send.
type Result struct {
	Body   []byte // the answer: the protocol's envelope, or the bytes a fault chose
	Text   bool   // Body is plain text, not the protocol's encoding (a fault's status page)
	Status int    // a status a fault asked for (HTTP); 0: the transport's usual one
	Drop   bool   // close the connection without an answer (a fault's drop, or a hold run out)
	Gone   bool   // the client went away while the call waited; there is no one to answer
	Fault  string // the id of the fault rule that acted, "" when none
	// Pending, when set, is the answer still to come (only for a call with Park set): the other
	// fields are empty; middlewares register on it with Then, the transport with Deliver.
	Pending *Pending
}

// Then applies f to the answer: now, or once a pending answer is finished.
func (r Result) Then(f func(Result) Result) Result {
	if r.Pending != nil {
		r.Pending.Then(f)
		return r
	}
	return f(r)
}

// Handler serves a call.
type Handler func(*Call) Result

// Middleware wraps a Handler, the way net/http middlewares wrap an http.Handler.
type Middleware func(Handler) Handler

// Chain wraps h in mws; the first middleware is the outermost.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Profile is what a protocol tells the pipeline.
type Profile interface {
	// Identify works out the tenant and the caller from the call's params and body: Tenant, App,
	// User, Conn, Session, Admin, or Denied when the credentials are refused.
	Identify(c *Call)
	// Groups lists the groups a call is about (for fault rules that match on a group).
	Groups(c *Call) []string
	// Reply is the protocol's envelope for an answer with this error code and text (a fault's reply).
	Reply(code int, info string) []byte
}

// Moments a client reaches whatever transport it speaks, for scenario steps that must fire at the
// same point of a session on every transport ("after: {moment: online}"). Each transport announces
// them on the tenant's rules (fault.Rules.Reached) where its protocol reaches them.
const (
	// MomentOnline: the client finished its login sync and the server's news now reaches it live
	// (Tencent IM: the long poll opened; over WebSocket, the C2C sync and the joined-group list
	// answered on the socket).
	MomentOnline = "online"
	// MomentDelivered: live news was handed to the client (Tencent IM: a long poll answered; over
	// WebSocket, a push acknowledged).
	MomentDelivered = "delivered"
)

// Moments lists the moment names with what they mean, for checking and listing scenario steps.
var Moments = map[string]string{
	MomentOnline:    "the client finished its login sync and receives news live",
	MomentDelivered: "live news was handed to the client (a long poll answered, a push acknowledged)",
}

// Momenter is a Profile that tells the pipeline which moments a served call reached (the
// transports that announce moments themselves, after their answer is out, are not its business).
type Momenter interface {
	Moments(c *Call) []string
}
