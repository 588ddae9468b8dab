// Package jim is the JiGuang JMessage adapter of the fake server: socket.io 1.x clients (Engine.IO
// v3, as jmessage-sdk-web 1.x and 2.x speak it) on /socket.io/, plus the HTTP upload endpoint.
// Every request is `emit(event, {rid, …})`; the server answers `ack {rid}` and then the same event
// name with `{rid, code, message, …}`. All domain data lives in the shared state (mockserver/state):
// a tenant is a JMessage app, its appkey maps to it and its secret is the app's master secret.
package jim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"

	pipe "github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/recorder"
)

// Apps finds the tenant an appkey names, with its fault rules.
type Apps interface {
	AppByKey(appKey string) (*state.App, *fault.Rules)
}

// Options configures the adapter.
type Options struct {
	Done <-chan struct{} // closed when the server stops
	// Pipeline wraps the adapter's handler in the server's call pipeline (identify → triggers →
	// record → faults); nil serves calls without one.
	Pipeline func(pipe.Profile, pipe.Handler) pipe.Handler
	// Recorder gets the pushes the adapter sends (calls are recorded by the pipeline); nil: none.
	Recorder *recorder.Recorder
}

// Adapter serves JMessage.
type Adapter struct {
	o     Options
	apps  Apps
	io    *socket.Server
	h     http.Handler
	calls pipe.Handler

	mu     sync.Mutex
	byID   map[string]*conn   // every open connection, by its id
	conns  map[string][]*conn // "appkey\x00user" → logged-in connections
	socks  int
	logins map[string]int // per appkey+user: login counter for connection names
	events int64          // event_id counter
	anon   map[string]int // per appkey: connections initialised before a login, for their names
}

// New builds the adapter; mount Handler on /socket.io/ and Upload on the upload path.
func New(apps Apps, o Options) *Adapter {
	a := &Adapter{o: o, apps: apps, byID: map[string]*conn{}, conns: map[string][]*conn{}, logins: map[string]int{}, anon: map[string]int{}}
	a.calls = a.handle
	if o.Pipeline != nil {
		a.calls = o.Pipeline(profile{a}, a.handle)
	}
	opts := socket.DefaultServerOptions()
	opts.SetAllowEIO3(true) // socket.io-client 1.x/2.x: the only clients JMessage ships with
	opts.SetServeClient(false)
	// Browsers poll with credentials: reflect the origin.
	opts.SetCors(&types.Cors{Origin: true, Credentials: true})
	a.io = socket.NewServer(nil, opts)
	a.io.On("connection", func(clients ...any) {
		if s, ok := clients[0].(*socket.Socket); ok {
			a.accept(s)
		}
	})
	a.h = a.io.ServeHandler(opts)
	return a
}

// Handler serves /socket.io/.
func (a *Adapter) Handler() http.Handler { return a.h }

// Close disconnects every client and stops the engine.
func (a *Adapter) Close() {
	done := make(chan struct{})
	a.io.Close(func(error) { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// peer is the socket.io side of a connection (a *socket.Socket; tests use a fake).
type peer interface {
	Emit(ev string, args ...any) error
	Disconnect(status bool) *socket.Socket
}

// conn is one socket.io connection. Calls on it are handled one at a time, in arrival order.
type conn struct {
	a    *Adapter
	id   string // the transport connection id (never changes)
	sock peer
	host string // the Host the client connected to (for download URLs)
	name string // "sock#N" until c_init, "anon#N" until login

	serial   sync.Mutex // one call at a time, in arrival order
	mu       sync.Mutex // guards the fields below
	app      *state.App
	rules    *fault.Rules
	appKey   string
	user     string
	v2       bool // the client said its SDK version at login (jmessage-sdk-web 2.x)
	kicked   bool
	current  *callState        // the call being served
	replies  map[string][]byte // rid → reply payload, for resent requests
	ridOrder []string
}

func (a *Adapter) accept(s *socket.Socket) {
	a.mu.Lock()
	c := a.newConn(s)
	a.mu.Unlock()
	if r := s.Request(); r != nil && r.Request() != nil {
		c.host = r.Request().Host
	}
	s.OnAny(func(args ...any) {
		ev, _ := args[0].(string)
		var payload any
		if len(args) > 1 {
			payload = args[1]
		}
		a.dispatch(c, ev, payload)
	})
	s.On("disconnect", func(...any) { a.drop(c) })
}

// newConn makes the connection record for a socket. a.mu held.
func (a *Adapter) newConn(s peer) *conn {
	a.socks++
	id := "sock#" + strconv.Itoa(a.socks)
	c := &conn{a: a, id: id, sock: s, name: id, replies: map[string][]byte{}}
	a.byID[id] = c
	return c
}

func userKey(appKey, user string) string { return appKey + "\x00" + user }

// connByID finds an open connection.
func (a *Adapter) connByID(id string) *conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byID[id]
}

// drop forgets a closed connection.
func (a *Adapter) drop(c *conn) {
	c.mu.Lock()
	k := userKey(c.appKey, c.user)
	c.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.byID, c.id)
	list := a.conns[k]
	for i, x := range list {
		if x == c {
			a.conns[k] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(a.conns[k]) == 0 {
		delete(a.conns, k)
	}
}

// online lists the user's logged-in connections.
func (a *Adapter) online(appKey, user string) []*conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*conn(nil), a.conns[userKey(appKey, user)]...)
}

// Online counts the user's logged-in JMessage connections.
func (a *Adapter) Online(appKey, user string) int { return len(a.online(appKey, user)) }

// bind registers c as the user's connection and returns the connections it replaces.
func (a *Adapter) bind(c *conn, appKey, user string) (name string, old []*conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := userKey(appKey, user)
	a.logins[k]++
	old = a.conns[k]
	a.conns[k] = []*conn{c}
	return user + "#" + strconv.Itoa(a.logins[k]), old
}

// anonName names a connection that has initialised for appKey but not logged in yet.
func (a *Adapter) anonName(appKey string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.anon[appKey]++
	return "anon#" + strconv.Itoa(a.anon[appKey])
}

// emit sends an event to the connection and records it as a push.
func (c *conn) push(ev string, payload map[string]any) {
	b, _ := json.Marshal(payload)
	c.send(ev, b)
	if rec := c.a.o.Recorder; rec != nil {
		c.mu.Lock()
		app, user, name := "", c.user, c.name
		if c.app != nil {
			app = strconv.FormatInt(c.app.ID(), 10)
		}
		c.mu.Unlock()
		rec.AddPush(Transport, app, user, name, PushCommand(ev), b)
	}
}

func (c *conn) send(ev string, b []byte) {
	var v any
	_ = json.Unmarshal(b, &v)
	_ = c.sock.Emit(ev, v)
}
