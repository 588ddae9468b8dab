// Package tim is the Tencent Cloud IM protocol: the v4/<service>/<cmd> commands spoken by
// tim-js-sdk and webim.js, served on the shared state. Handlers are thin: decode the body, call the
// tenant's state, encode the reply; the wire shapes live in wire.go. Every call, whatever carried
// it, goes through the call pipeline (mockserver/call) with this package's Profile; HTTP long
// polling (http.go) is one transport adapter of it.
package tim

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/imharness/imharness/internal/timurl"
	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/httppark"
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
	// Done ends held long polls when the server shuts down.
	Done <-chan struct{}
	// Pipeline wraps the protocol's handler for every transport (the server's: identify →
	// triggers → record → faults, see call.Pipeline). Default: identify only.
	Pipeline func(p call.Profile, h call.Handler) call.Handler
}

// DefaultHold keeps long polls under every long-polling tim-js-sdk's request timeout with room to
// spare: 2.5.0 and later give a call 30 s, but 2.2.x–2.4.x use one axios instance with a 6 s
// timeout for every call, the long poll included (a longer hold makes them report a timeout ERROR
// and back off after each idle poll).
const DefaultHold = 4 * time.Second

// Handler serves the Tencent IM protocol.
type Handler struct {
	apps   Apps
	o      Options
	routes map[string]route
	calls  call.Handler // the pipeline around serve

	// park holds HTTP long polls off net/http's goroutines once the server listens (SetParker);
	// nil: a waiting long poll blocks its goroutine.
	park atomic.Pointer[httppark.Parker]
}

// SetParker lets the HTTP transport hold waiting long polls with p (nil: they block their
// goroutine, as for in-process use). Set it before serving.
func (h *Handler) SetParker(p *httppark.Parker) { h.park.Store(p) }

// New builds the protocol handler with its own route table.
func New(apps Apps, o Options) *Handler {
	if o.Hold <= 0 {
		o.Hold = DefaultHold
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	h := &Handler{apps: apps, o: o}
	rt, err := buildRoutes()
	if err != nil {
		panic(err) // a programming error in this package, caught by every test
	}
	h.routes = rt
	if o.Pipeline != nil {
		h.calls = o.Pipeline(Profile{h}, h.serve)
	} else {
		h.calls = call.Chain(h.serve, call.Identify(Profile{h}))
	}
	return h
}

// Calls is the pipeline every transport hands its calls to.
func (h *Handler) Calls() call.Handler { return h.calls }

// auth says what identity a command needs.
type auth int

const (
	authSession        auth = iota // a2 + tinyid of a live session
	authApp                        // only a known sdkappid (authkey, telemetry)
	authNone                       // nothing (accesslayer, login checks its own)
	authSessionOrAdmin             // a session, or the app administrator's REST call (identifier + usersig, no a2/tinyid)
	authUserSig                    // identifier + a valid UserSig of it, no session (im_cos_sign_svr/cos)
)

type route struct {
	auth auth
	fn   func(*Call) (any, *Error)
}

// Call is one call being served: the pipeline's Call (its identity worked out by Profile) and the
// handler serving it.
type Call struct {
	*call.Call
	h *Handler
}

// Dispatch serves one command through the pipeline as the test transport does (transport
// "direct"): query holds what HTTP would carry in its URL. It answers the encoded envelope.
func (h *Handler) Dispatch(ctx context.Context, cmd string, query map[string]string, body []byte) []byte {
	return h.calls((&call.Call{Protocol: Protocol, Transport: "direct", Command: cmd, Params: query, Body: body}).WithContext(ctx)).Body
}

// serve is the end of the pipeline: the command's handler, its answer encoded.
func (h *Handler) serve(cc *call.Call) call.Result {
	reply, err := h.dispatch(cc)
	if p, ok := reply.(*call.Pending); ok { // a long poll with no news yet
		if cc.Park {
			return call.Result{Pending: p}
		}
		return p.Wait(cc.Context(), h.o.Done)
	}
	return call.Result{Body: encode(reply, err)}
}

func (h *Handler) dispatch(cc *call.Call) (any, *Error) {
	rt, ok := h.routes[cc.Command]
	if !ok {
		if cc.HTTP != nil {
			if _, ok := timurl.Command(cc.HTTP.Path); !ok {
				return nil, fail(CodeUnknownCommand, "no such command %q: want /v4/<service>/<cmd>", cc.HTTP.Path)
			}
		}
		return nil, fail(CodeUnknownCommand, "unknown command %s", cc.Command)
	}
	if int64(len(cc.Body)) > h.o.MaxBody {
		return nil, fail(CodeInvalidPacket, "body exceeds %d bytes", h.o.MaxBody)
	}
	c := &Call{Call: cc, h: h}
	if e := wsSessionState(c); e != nil {
		return nil, e
	}
	if cc.Denied != nil {
		return nil, asError(cc.Denied)
	}
	return rt.fn(c)
}

// Protocol is this protocol's name in calls and transcripts.
const Protocol = "tim"

// Profile is what the call pipeline needs to know of Tencent IM: who is calling, which groups a
// call is about, and how an error reply looks.
type Profile struct{ h *Handler }

// Moments: over HTTP long polling a client is online once its long poll is open (it has synced
// first) and is handed news when a long poll is answered. Socket transports announce their own.
func (p Profile) Moments(cc *call.Call) []string {
	if cc.Transport != HTTPTransport.Name {
		return nil
	}
	switch cc.Command {
	case "openim/getlongpollingid":
		return []string{call.MomentOnline}
	case "openim/longpolling":
		return []string{call.MomentDelivered}
	}
	return nil
}

// Identify finds the tenant and, for session commands, the session, from the query parameters
// (sdkappid, identifier, tinyid + a2, or the administrator's usersig).
func (p Profile) Identify(cc *call.Call) {
	id := identity{c: cc}
	cc.Tenant, cc.User, cc.Conn = cc.Params["sdkappid"], cc.Params["identifier"], ""
	if n, err := strconv.ParseInt(cc.Tenant, 10, 64); err == nil {
		cc.App = p.h.apps.App(n) // even for a command it does not know: the tenant's faults apply
	}
	if rt, ok := p.h.routes[cc.Command]; ok {
		if e := id.identify(p.h.apps, rt.auth); e != nil {
			cc.Denied = e
		}
	}
	switch {
	case cc.Conn != "":
	case id.named || cc.User != "" || cc.Params["tinyid"] == "":
		cc.Conn = cc.User
	default: // nothing names the caller but a tinyid
		cc.Conn = "tinyid:" + cc.Params["tinyid"]
	}
}

// Groups are the groups a request body names: GroupId, ToGroupId, GroupIdList.
func (Profile) Groups(cc *call.Call) []string {
	var v struct {
		GroupId     string
		GroupIdList []string
		ToGroupId   string
	}
	_ = json.Unmarshal(cc.Body, &v)
	var out []string
	for _, g := range append([]string{v.GroupId, v.ToGroupId}, v.GroupIdList...) {
		if g != "" {
			out = append(out, g)
		}
	}
	return out
}

// Reply is the envelope of an answer with this code (ActionStatus OK for 0, else FAIL).
func (Profile) Reply(code int, info string) []byte {
	if code == 0 {
		return fmt.Appendf(nil, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":%s}`, quote(info))
	}
	return encode(nil, &Error{Code: code, Info: info})
}

// identity is identification under way: named says whether a step named the caller (an
// unnamed caller's transcript connection is its tinyid).
type identity struct {
	c     *call.Call
	named bool
}

// name sets the non-empty ones of tenant, user and connection.
func (id *identity) name(app, user, conn string) {
	if app != "" {
		id.c.Tenant = app
	}
	if user != "" {
		id.c.User = user
	}
	if conn != "" {
		id.c.Conn = conn
	}
	id.named = id.named || app != "" || user != "" || conn != ""
}

func (id *identity) identify(apps Apps, a auth) *Error {
	c := id.c
	q := c.Params
	user := q["identifier"]
	if a == authNone && q["sdkappid"] == "" {
		id.name("", user, user)
		return nil
	}
	n, err := strconv.ParseInt(q["sdkappid"], 10, 64)
	if err != nil {
		return fail(CodeNoSuchApp, "query sdkappid %q is not a number", q["sdkappid"])
	}
	c.App = apps.App(n)
	if c.App == nil {
		return fail(CodeNoSuchApp, "sdkappid %d is not a tenant of this server", n)
	}
	if c.App.Disabled() {
		id.name(q["sdkappid"], user, user)
		return fail(CodeAppDisabled, "sdkappid %d is disabled", n)
	}
	if a == authSessionOrAdmin {
		if q["a2"] == "" && q["tinyid"] == "" {
			return id.identifyAdmin()
		}
		a = authSession
	}
	if a == authUserSig {
		id.name(q["sdkappid"], user, user)
		sig := q["userSig"] // tim-js-sdk 2.x names it so on this call only
		if sig == "" {
			sig = q["usersig"]
		}
		if _, err := usersig.Verify(sig, c.App.Secret(), c.App.ID(), user, c.App.Now()); err != nil {
			return asError(err)
		}
		c.Session = state.Session{User: user, Conn: user}
		return nil
	}
	if a != authSession {
		id.name(q["sdkappid"], user, user)
		return nil
	}
	s, serr := c.App.Auth(q["tinyid"], q["a2"])
	if serr != nil {
		id.name(q["sdkappid"], "", "tinyid:"+q["tinyid"])
		return asError(serr)
	}
	c.Session = s
	id.name(q["sdkappid"], s.User, s.Conn)
	return nil
}

// identifyAdmin authenticates a REST call of the app administrator: the query names the
// administrator and carries a valid UserSig for it instead of a session.
func (id *identity) identifyAdmin() *Error {
	c := id.c
	q := c.Params
	user := q["identifier"]
	id.name(q["sdkappid"], user, user)
	if user == "" || q["usersig"] == "" {
		return fail(CodeRESTNoIdentity, "need a2 and tinyid of a session, or identifier and usersig of the app administrator")
	}
	if _, err := usersig.Verify(q["usersig"], c.App.Secret(), c.App.ID(), user, c.App.Now()); err != nil {
		return asError(err)
	}
	if admin := c.App.Admin(); user != admin {
		return fail(CodeRESTNotAdmin, "%q is not the app administrator (%q)", user, admin)
	}
	c.Session = state.Session{User: user, Conn: user}
	c.Admin = true
	return nil
}

// loggedIn names the caller a login created.
func (c *Call) loggedIn(s state.Session) {
	c.Tenant, c.User, c.Conn = strconv.FormatInt(c.App.ID(), 10), s.User, s.Conn
}

// decode reads the body into v.
func (c *Call) decode(v any) *Error { return decode(c.Body, v) }

// routes is built per Handler from every service's table; a command registered twice is an error.
type routes map[string]route

func buildRoutes() (map[string]route, error) {
	r := routes{}
	for _, add := range []func(routes) error{openimRoutes, profileRoutes, recentContactRoutes, groupRoutes,
		openpicRoutes, cosSignRoutes, snsRoutes, webimRoutes, roomRoutes, wsRoutes, wsSessionRoutes, kickRoutes} {
		if err := add(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r routes) add(auth auth, fns map[string]func(*Call) (any, *Error)) error {
	for cmd, fn := range fns {
		if _, dup := r[cmd]; dup {
			return fmt.Errorf("tim: command %s is registered twice", cmd)
		}
		r[cmd] = route{auth: auth, fn: fn}
	}
	return nil
}

// decoder reads a request body into v with a service's error codes (the group service answers
// 10011/10004 where the others answer 90001).
type decoder func(c *Call, v any) *Error

var (
	openimBody decoder = (*Call).decode
	groupBody  decoder = (*Call).decodeGroup
)

// bind makes a route of a handler that takes its decoded request: decode the body into a fresh Req
// with the service's decoder, call fn, and map what it refuses (state reasons, UserSig failures,
// an *Error of its own) onto the wire; the pipeline encodes the answer.
func bind[Req any](dec decoder, fn func(c *Call, req *Req) (any, error)) func(*Call) (any, *Error) {
	return func(c *Call) (any, *Error) {
		var req Req
		if e := dec(c, &req); e != nil {
			return nil, e
		}
		out, err := fn(c, &req)
		if te, ok := err.(*Error); ok && te == nil {
			err = nil // a nil *Error returned as error
		}
		if err != nil {
			return nil, asError(err)
		}
		return out, nil
	}
}
