// Package mockserver is the fake IM server: it owns the tenants, the HTTP mux and the protocol
// adapters, and starts and stops cleanly. A test embeds one with New + Start and gives every spec
// its own tenant (AddApp), so specs run in parallel without seeing each other.
package mockserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/cos"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/httppark"
	"github.com/imharness/imharness/mockserver/jim"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/mockserver/tim/ws"
	"github.com/imharness/imharness/recorder"
)

// Options configures a Server. The zero value serves on a free loopback port.
type Options struct {
	Addr string        // listen address; default 127.0.0.1:0
	Hold time.Duration // long-poll hold; default tim.DefaultHold
	// Recorder gets every protocol call, whatever transport carried it (nil: none recorded).
	Recorder *recorder.Recorder
	// Logger gets one line per request when set (Log says which), written from a goroutine of its
	// own once the server is started.
	Logger *slog.Logger
	Log    LogMode
	// AdminToken, when set, protects /admin/: every admin call needs "Authorization: Bearer <token>".
	AdminToken string
	// Redeliver is how long an unacked WebSocket push waits before it goes again (default 3 s).
	Redeliver time.Duration
	// WriteTimeout is how long a WebSocket frame may wait for its client to take it before the
	// socket is closed (default 10 s).
	WriteTimeout time.Duration
}

// Server is the fake IM server.
type Server struct {
	o    Options
	mux  *http.ServeMux
	done chan struct{}
	ws   *ws.Server
	jim  *jim.Adapter

	mu     sync.Mutex
	apps   map[int64]*state.App
	faults map[int64]*fault.Rules    // per tenant, made with it
	runs   map[int64][]*scenario.Run // scenarios applied to the tenant: they own pending pushes

	tim        *tim.Handler
	transports []fault.Transport // what carries Tencent IM calls here: a tenant's rules are checked against them

	ln      net.Listener
	park    *httppark.Parker // holds waiting long polls without a goroutine each (Start to Close)
	srv     *http.Server
	log     *reqLog // the request log's writer, from Start to Close
	serveWG sync.WaitGroup
	closed  bool
}

// New builds a server; call Start to listen, or use Handler in-process.
func New(o Options) *Server {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	s := &Server{o: o, mux: http.NewServeMux(), done: make(chan struct{}), apps: map[int64]*state.App{},
		faults: map[int64]*fault.Rules{}, runs: map[int64][]*scenario.Run{}}
	s.tim = tim.New(s, tim.Options{Hold: o.Hold, Done: s.done, Pipeline: s.Pipeline})
	s.transports = []fault.Transport{tim.HTTPTransport, ws.FaultTransport}
	// Every method reaches the HTTP transport, which answers in the protocol's own envelope.
	s.mux.Handle("/v4/", s.tim)
	s.mux.Handle("/v3/", s.tim)
	s.mux.Handle("/v1/", s.tim)
	s.mux.Handle("GET "+tim.FilesPath, s.tim.Files())
	// The tenants' object storage buckets, where tim-js-sdk 2.x's COS plugin uploads message files.
	s.mux.Handle(cos.PathPrefix, cos.New(s))
	// The WebSocket generation: /binfo (binary frames) and /info (text frames), each frame a call
	// of the same pipeline. Declared above as a fault transport: a rule with a status code must
	// name match.transport http, as a socket has none to give.
	s.ws = ws.New(ws.Options{Calls: s.tim.Calls(), Recorder: o.Recorder, Redeliver: o.Redeliver,
		WriteTimeout: o.WriteTimeout, Faults: func(id int64) *fault.Rules { return s.Faults(id) }})
	s.mux.Handle("/binfo", s.ws)
	s.mux.Handle("/info", s.ws)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.Handle("/admin/", requireToken(o.AdminToken, s.admin()))
	// JMessage (socket.io, Engine.IO v3) on the same port, over the same tenants.
	s.jim = jim.New(s, jim.Options{Done: s.done, Pipeline: s.Pipeline, Recorder: o.Recorder})
	s.mux.Handle("/socket.io/", s.jim.Handler())
	s.mux.Handle(jim.UploadPath, s.jim.Upload())
	s.mux.Handle(jim.MediaPath, s.jim.Media())
	return s
}

// Pipeline wraps a protocol's handler in the server's call pipeline (identify → scenario
// triggers → record → faults, see package call), with the tenants' fault rules, the server's
// recorder and its shutdown.
func (s *Server) Pipeline(p call.Profile, h call.Handler) call.Handler {
	return call.Pipeline(call.Options{Profile: p, Rules: s.rulesOf, Recorder: s.o.Recorder, Done: s.done}, h)
}

// TimCalls is the Tencent IM pipeline, for transports other than HTTP: decode a frame into a
// call.Call (Protocol "tim") and hand it over.
func (s *Server) TimCalls() call.Handler { return s.tim.Calls() }

// AddTransport declares one more transport carrying Tencent IM calls: rules added to tenants from
// now on are checked against what it can do. Call it before adding tenants.
func (s *Server) AddTransport(t fault.Transport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transports = append(s.transports, t)
}

func (s *Server) rulesOf(c *call.Call) *fault.Rules {
	if c.App == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apps[c.App.ID()] != c.App {
		return nil
	}
	return s.faults[c.App.ID()]
}

// FaultOptions is how a Tencent IM tenant's fault rules are checked: the protocol's command
// naming and the abilities of the transports mounted.
func (s *Server) FaultOptions() fault.Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultOptions()
}

func (s *Server) faultOptions() fault.Options {
	return fault.Options{Profile: tim.FaultProfile, Transports: slices.Clone(s.transports)}
}

// AppByKey finds the tenant whose JMessage appkey is key (jim.Apps).
func (s *Server) AppByKey(key string) (*state.App, *fault.Rules) {
	s.mu.Lock()
	apps := make([]*state.App, 0, len(s.apps))
	for _, a := range s.apps {
		apps = append(apps, a)
	}
	s.mu.Unlock()
	for _, a := range apps {
		if key != "" && a.AppKey() == key {
			return s.tenant(a.ID())
		}
	}
	return nil, nil
}

// AppByBucketHost finds the tenant whose storage bucket has this virtual host (cos.Apps).
func (s *Server) AppByBucketHost(host string) *state.App {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.apps {
		if a.Bucket().Host() == host {
			return a
		}
	}
	return nil
}

// JIMOnline counts the user's logged-in JMessage connections.
func (s *Server) JIMOnline(appKey, user string) int { return s.jim.Online(appKey, user) }

// tenant finds a tenant and its rules.
func (s *Server) tenant(id int64) (*state.App, *fault.Rules) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apps[id], s.faults[id]
}

// CloseSockets closes the WebSocket connections of a user's sessions from the server side; the
// sessions stay alive, so the SDK reconnects and resumes. It answers how many it closed.
func (s *Server) CloseSockets(sdkappid int64, user string) int {
	return s.ws.CloseSessions(sdkappid, user)
}

// SocketPaths lists the WebSocket endpoints (/binfo, /info) a user's logged-in sockets came to.
func (s *Server) SocketPaths(sdkappid int64, user string) []string {
	return s.ws.Paths(sdkappid, user)
}

// Sockets answers how many WebSocket connections a user's sessions have open.
func (s *Server) Sockets(sdkappid int64, user string) int { return s.ws.Sockets(sdkappid, user) }

// Faults is the tenant's fault rules (nil when there is no such tenant): srv.Faults(id).Add(rule).
func (s *Server) Faults(id int64) *fault.Rules {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults[id]
}

// LoadScenario applies a scenario to an existing tenant. The returned Run lists its pushes; the
// server stops it when the tenant is removed or the server closes.
func (s *Server) LoadScenario(id int64, sc *scenario.Scenario) (*scenario.Run, error) {
	app, rules := s.tenant(id)
	if app == nil {
		return nil, fmt.Errorf("sdkappid %d is not a tenant of this server", id)
	}
	run, err := sc.Apply(scenario.Target{App: app, Faults: rules})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed || s.apps[id] != app { // removed meanwhile: nobody else would stop it
		s.mu.Unlock()
		run.Stop()
		return nil, fmt.Errorf("sdkappid %d was removed while its scenario loaded", id)
	}
	s.runs[id] = append(s.runs[id], run)
	s.mu.Unlock()
	return run, nil
}

// AddAppFromScenario creates the tenant named by the scenario's tenant block (with its seed and,
// unless the scenario sets its own, limits) and applies the scenario to it.
func (s *Server) AddAppFromScenario(sc *scenario.Scenario, limits ...state.Limits) (*state.App, *scenario.Run, error) {
	if sc.Tenant == nil {
		return nil, nil, fmt.Errorf("%s: the scenario has no tenant block (sdkappid, secret)", sc.File)
	}
	o := state.Options{SDKAppID: sc.Tenant.SDKAppID, Secret: sc.Tenant.Secret, AppKey: sc.Tenant.AppKey}
	if len(limits) > 0 {
		o.Limits = limits[0]
	}
	if sc.Seed != nil {
		o.Seed = *sc.Seed
	}
	app, err := s.AddApp(o)
	if err != nil {
		return nil, nil, err
	}
	run, err := s.LoadScenario(app.ID(), sc)
	if err != nil {
		s.RemoveApp(app.ID())
		return nil, nil, err
	}
	return app, run, nil
}

// Runs lists the scenarios applied to the tenant, oldest first.
func (s *Server) Runs(id int64) []*scenario.Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*scenario.Run(nil), s.runs[id]...)
}

// App finds a tenant (tim.Apps).
func (s *Server) App(id int64) *state.App {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apps[id]
}

// AddApp creates a tenant; an existing SDKAppID is an error.
func (s *Server) AddApp(o state.Options) (*state.App, error) {
	if o.SDKAppID <= 0 {
		return nil, fmt.Errorf("sdkappid must be a positive number, got %d", o.SDKAppID)
	}
	if o.Secret == "" {
		return nil, errors.New("secret must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apps[o.SDKAppID] != nil {
		return nil, fmt.Errorf("sdkappid %d already exists", o.SDKAppID)
	}
	a := state.NewApp(o)
	s.apps[o.SDKAppID] = a
	s.faults[o.SDKAppID] = fault.NewRules(s.faultOptions())
	return a, nil
}

// RemoveApp drops a tenant and wakes its waiters.
func (s *Server) RemoveApp(id int64) {
	s.mu.Lock()
	a, runs := s.apps[id], s.runs[id]
	delete(s.apps, id)
	delete(s.faults, id)
	delete(s.runs, id)
	s.mu.Unlock()
	for _, r := range runs {
		r.Stop()
	}
	if a != nil {
		a.Close()
	}
}

// Handle mounts an extra handler (admin API, other protocol adapters) on the server's mux.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is the whole server as an http.Handler (for in-process use).
func (s *Server) Handler() http.Handler { return s.logged(s.mux) }

func (s *Server) logged(h http.Handler) http.Handler {
	if s.o.Logger == nil || s.o.Log == LogOff {
		return h
	}
	lg := s.log // set by Start before it builds the handler; nil for in-process use
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, method, path := time.Now(), r.Method, r.URL.Path // not r: a held request's line outlives it
		line := func(status, n int, fail bool) {
			if s.o.Log == LogErrors && !fail && status < 300 {
				return
			}
			ln := logLine{method: method, path: path, status: status, n: n, fail: fail, took: time.Since(start)}
			if lg != nil {
				lg.send(ln)
			} else {
				(&reqLog{logger: s.o.Logger}).write(ln) // in-process use without Start: no writer goroutine
			}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK, line: line}
		h.ServeHTTP(sw, r)
		if !sw.held {
			line(sw.status, sw.n, sw.fail)
		}
	})
}

// Start listens and serves until Close (or until ctx ends).
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.ln = ln
	if s.o.Logger != nil && s.o.Log != LogOff {
		s.log = startReqLog(s.o.Logger)
	}
	park, err := httppark.New(ln.Addr(), httppark.Options{})
	if err != nil {
		s.mu.Unlock()
		_ = ln.Close()
		return err
	}
	s.park = park
	s.tim.SetParker(park)
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ConnState: park.ConnState}
	srv := s.srv
	s.mu.Unlock()
	s.serveWG.Add(3)
	go func() {
		defer s.serveWG.Done()
		_ = srv.Serve(ln)
	}()
	go func() { // held long polls come back here once answered (keep-alive)
		defer s.serveWG.Done()
		_ = srv.Serve(park.Listener())
	}()
	go func() {
		defer s.serveWG.Done()
		select {
		case <-ctx.Done():
			_ = s.shutdown()
		case <-s.done:
		}
	}()
	return nil
}

// HeldRequests is how many requests (long polls with no news) wait now off net/http's
// goroutines (after Start; 0 before).
func (s *Server) HeldRequests() int {
	s.mu.Lock()
	p := s.park
	s.mu.Unlock()
	if p == nil {
		return 0
	}
	return p.Held()
}

// Addr is the listening address (after Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL is the base URL clients point at (after Start).
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close ends held long polls, stops serving and waits for the server's goroutines.
func (s *Server) Close() error {
	err := s.shutdown()
	s.serveWG.Wait()
	s.mu.Lock()
	l := s.log
	s.log = nil
	s.mu.Unlock()
	if l != nil {
		l.stop() // after the last request has finished: nothing sends any more
	}
	return err
}

func (s *Server) shutdown() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	srv, park := s.srv, s.park
	apps := make([]*state.App, 0, len(s.apps))
	for _, a := range s.apps {
		apps = append(apps, a)
	}
	var runs []*scenario.Run
	for _, rs := range s.runs {
		runs = append(runs, rs...)
	}
	s.mu.Unlock()
	for _, r := range runs {
		r.Stop()
	}
	for _, a := range apps {
		a.Close()
	}
	if park != nil {
		park.Close() // answers what is still held, before the http.Server waits for its connections
	}
	s.ws.Close() // hijacked sockets are not the http.Server's to close
	s.jim.Close()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}
