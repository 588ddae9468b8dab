// Package tim is the Tencent Cloud IM adapter: the v4/<service>/<cmd> JSON-over-HTTP family with
// long polling, spoken by tim-js-sdk 2.2–2.10 and webim.js 1.x. Handlers are thin: decode the
// body, call the tenant's state, encode the reply. The wire shapes live in wire.go.
package tim

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/imharness/imharness/internal/timurl"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/usersig"
)

// Apps finds a tenant by SDKAppID.
type Apps interface {
	App(sdkappid int64) *state.App
}

// Options configures the adapter.
type Options struct {
	// Hold is how long a long poll with no news is held; it must stay under the SDK's request
	// timeout (6 s up to tim-js-sdk 2.4.x, 30 s from 2.5.0). Default DefaultHold.
	Hold time.Duration
	// MaxBody caps a request body; larger ones are refused with 20001.
	MaxBody int64
	// Annotate, when set, is told which tenant, user and connection a request belongs to (the recorder).
	Annotate func(ctx context.Context, app, user, conn string)
	// Done ends held long polls when the server shuts down.
	Done <-chan struct{}
}

// DefaultHold keeps long polls under every long-polling tim-js-sdk's request timeout with room to
// spare: 2.5.0 and later give a call 30 s, but 2.2.x–2.4.x use one axios instance with a 6 s
// timeout for every call, the long poll included (a longer hold makes them report a timeout ERROR
// and back off after each idle poll).
const DefaultHold = 4 * time.Second

// Handler serves the Tencent IM HTTP protocol.
type Handler struct {
	apps Apps
	o    Options
}

// New builds the adapter.
func New(apps Apps, o Options) *Handler {
	if o.Hold <= 0 {
		o.Hold = DefaultHold
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	return &Handler{apps: apps, o: o}
}

// auth says what identity a command needs.
type auth int

const (
	authSession        auth = iota // a2 + tinyid of a live session
	authApp                        // only a known sdkappid (authkey, telemetry)
	authNone                       // nothing (accesslayer, login checks its own)
	authSessionOrAdmin             // a session, or the app administrator's REST call (identifier + usersig, no a2/tinyid)
)

// REST calls by the app administrator (the real service's public codes).
const (
	CodeRESTNoIdentity = 60004 // identifier or usersig missing
	CodeRESTNotAdmin   = 60010 // the identifier is not the app administrator
)

type route struct {
	auth auth
	fn   func(*Call) (any, *Error)
}

// Call is one request being served.
type Call struct {
	h       *Handler
	ctx     context.Context
	Command string // "openim/sendmsg"
	Query   map[string]string
	Body    []byte
	App     *state.App
	Session state.Session // set for authSession commands; for the administrator's REST calls, just User
	Admin   bool          // the call is the app administrator's REST call
}

// ServeHTTP answers every request with HTTP 200 and a JSON envelope, errors included: the SDKs
// retry non-2xx statuses, which would hide the error from the test.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	cmd, ok := timurl.Command(r.URL.Path)
	if !ok {
		_, _ = w.Write(encode(nil, fail(CodeUnknownCommand, "no such command %q: want /v4/<service>/<cmd>", r.URL.Path)))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.o.MaxBody+1))
	if err != nil {
		_, _ = w.Write(encode(nil, fail(CodeInvalidPacket, "reading body: %v", err)))
		return
	}
	_, _ = w.Write(h.Dispatch(withHost(r.Context(), r.Host), cmd, timurl.Query(r.URL.RawQuery), body))
}

// Dispatch serves one command whatever carried it: HTTP here, a WebSocket frame's head (servcmd,
// identity) and body for the next transport. It answers the encoded envelope.
func (h *Handler) Dispatch(ctx context.Context, cmd string, query map[string]string, body []byte) []byte {
	reply, err := h.dispatch(ctx, cmd, query, body)
	return encode(reply, err)
}

func (h *Handler) dispatch(ctx context.Context, cmd string, query map[string]string, body []byte) (any, *Error) {
	rt, ok := routes[cmd]
	if !ok {
		return nil, fail(CodeUnknownCommand, "unknown command %s", cmd)
	}
	if int64(len(body)) > h.o.MaxBody {
		return nil, fail(CodeInvalidPacket, "body exceeds %d bytes", h.o.MaxBody)
	}
	c := &Call{h: h, ctx: ctx, Command: cmd, Query: query, Body: body}
	if e := c.identify(rt.auth); e != nil {
		return nil, e
	}
	return rt.fn(c)
}

// identify finds the tenant and, for session commands, the session.
func (c *Call) identify(a auth) *Error {
	user := c.Query["identifier"]
	if a == authNone && c.Query["sdkappid"] == "" {
		c.annotate("", user, user)
		return nil
	}
	id, err := strconv.ParseInt(c.Query["sdkappid"], 10, 64)
	if err != nil {
		return fail(CodeNoSuchApp, "query sdkappid %q is not a number", c.Query["sdkappid"])
	}
	c.App = c.h.apps.App(id)
	if c.App == nil {
		return fail(CodeNoSuchApp, "sdkappid %d is not a tenant of this server", id)
	}
	if a == authSessionOrAdmin {
		if c.Query["a2"] == "" && c.Query["tinyid"] == "" {
			return c.identifyAdmin()
		}
		a = authSession
	}
	if a != authSession {
		c.annotate(c.Query["sdkappid"], user, user)
		return nil
	}
	s, serr := c.App.Auth(c.Query["tinyid"], c.Query["a2"])
	if serr != nil {
		c.annotate(c.Query["sdkappid"], "", "tinyid:"+c.Query["tinyid"])
		return asError(serr)
	}
	c.Session = s
	c.annotate(c.Query["sdkappid"], s.User, s.Conn)
	return nil
}

// identifyAdmin authenticates a REST call of the app administrator: the query names the
// administrator and carries a valid UserSig for it instead of a session.
func (c *Call) identifyAdmin() *Error {
	id := c.Query["identifier"]
	c.annotate(c.Query["sdkappid"], id, id)
	if id == "" || c.Query["usersig"] == "" {
		return fail(CodeRESTNoIdentity, "need a2 and tinyid of a session, or identifier and usersig of the app administrator")
	}
	if _, err := usersig.Verify(c.Query["usersig"], c.App.Secret(), c.App.ID(), id, c.App.Now()); err != nil {
		return asError(err)
	}
	if admin := c.App.Admin(); id != admin {
		return fail(CodeRESTNotAdmin, "%q is not the app administrator (%q)", id, admin)
	}
	c.Session = state.Session{User: id, Conn: id}
	c.Admin = true
	return nil
}

func (c *Call) annotate(app, user, conn string) {
	if c.h.o.Annotate != nil {
		c.h.o.Annotate(c.ctx, app, user, conn)
	}
}

// decode reads the body into v.
func (c *Call) decode(v any) *Error { return decode(c.Body, v) }

// Context is the request's context.
func (c *Call) Context() context.Context { return c.ctx }

// routes maps every command this server speaks to its handler; each service's file adds its own.
var routes = map[string]route{}

func register(auth auth, fns map[string]func(*Call) (any, *Error)) {
	for cmd, fn := range fns {
		routes[cmd] = route{auth: auth, fn: fn}
	}
}
