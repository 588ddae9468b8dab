// Package ws is the WebSocket transport of the Tencent IM adapter, spoken by tim-js-sdk 2.13 and
// later and by @tencentcloud/chat 3.x. Each uplink frame {"head":{servcmd,seq,…},"body":…} carries
// the body of a long-polling era command (servcmd "openim.sendmsg" is the command openim/sendmsg),
// so each frame becomes a call of the server's pipeline (identify → triggers → record → faults →
// the same handlers as HTTP); the reply goes back with the request's servcmd and seq. What only
// this transport has lives here: the socket a session is bound to (tim.Socket, which the session
// commands wslogin and wslogout use) and server pushes with acks, which replace the long poll.
package ws

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/imharness/imharness/internal/timurl"
	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/recorder"
)

// Options configures the endpoint.
type Options struct {
	// Calls serves a frame's command: the server's pipeline around the Tencent IM handlers.
	Calls call.Handler
	// Recorder gets the pushes (calls are recorded by the pipeline) and what the pipeline never
	// sees: frames too broken to be a call.
	Recorder *recorder.Recorder
	// Faults finds a tenant's fault rules, for pushes (calls meet them in the pipeline).
	Faults func(sdkappid int64) *fault.Rules
	// HelloInterval is the wshello period the login reply asks for, in seconds (default 120).
	HelloInterval int
	// Redeliver is how long an unacked push waits before it is sent again on the same socket
	// (default 3 s). A reconnecting session always resumes from its last acked push.
	Redeliver time.Duration
	// WriteTimeout is how long a downlink frame may wait for the client to take it (default 10 s):
	// a socket that takes none for that long is closed, as a client that stopped reading.
	WriteTimeout time.Duration
	// MaxFrame caps an uplink frame (default 4 MiB): larger ones close the socket (1009). It is
	// well above the handler's body limit (1 MiB) so that a request body over that limit is
	// answered 20001 in its own frame, as over HTTP, instead of ending the connection.
	MaxFrame int64
}

// Server is the WebSocket endpoint (/info for text frames, /binfo for binary frames).
type Server struct {
	o    Options
	done chan struct{}

	mu      sync.Mutex
	closed  bool
	conns   map[*conn]struct{}
	cursors map[string]*cursor // by tenant and A2Key (cursorKey): a session's push progress, kept across reconnects
	nextID  int
	wg      sync.WaitGroup
}

// New builds the endpoint.
func New(o Options) *Server {
	if o.HelloInterval <= 0 {
		o.HelloInterval = 120
	}
	if o.Redeliver <= 0 {
		o.Redeliver = 3 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = 4 << 20
	}
	return &Server{o: o, done: make(chan struct{}), conns: map[*conn]struct{}{}, cursors: map[string]*cursor{}}
}

// ServeHTTP upgrades the request. The SDKs send no subprotocol and, in a browser, an Origin the
// fake cannot know, so neither is checked.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	binary := strings.HasSuffix(r.URL.Path, "/binfo")
	if !binary && !strings.HasSuffix(r.URL.Path, "/info") {
		http.Error(w, "WebSocket endpoints are /info (text frames) and /binfo (binary frames)", http.StatusNotFound)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return // Accept has answered the client
	}
	ws.SetReadLimit(s.o.MaxFrame)
	q := timurl.Query(r.URL.RawQuery)
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{s: s, ws: ws, binary: binary, gzip: q["compress"] == "gzip", query: q, ctx: ctx, cancel: cancel}
	c.wake = c.kick
	s.mu.Lock()
	s.nextID++
	c.id = "ws-" + strconv.Itoa(s.nextID)
	if s.closed {
		s.mu.Unlock()
		cancel()
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		c.stop()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	c.serve()
}

// Close ends every socket and waits for their goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.closeSocket()
	}
	s.wg.Wait()
}

// CloseSessions closes the sockets of the user's sessions of one tenant from the server side (a
// network cut, as the SDK sees it); the sessions stay alive for the SDK to resume. It answers how
// many sockets it closed.
func (s *Server) CloseSessions(sdkappid int64, user string) int {
	n := 0
	for _, c := range s.connsOf(sdkappid, user) {
		c.closeSocket()
		n++
	}
	return n
}

// Sockets answers how many sockets the user's sessions of one tenant have open ("" for every user).
func (s *Server) Sockets(sdkappid int64, user string) int { return len(s.connsOf(sdkappid, user)) }

func (s *Server) connsOf(sdkappid int64, user string) []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*conn
	for c := range s.conns {
		if app, sess, ok := c.session(); ok && app.ID() == sdkappid && (user == "" || sess.User == user) {
			out = append(out, c)
		}
	}
	return out
}

// cursorKey names a session across tenants: A2Keys come from each tenant's own id generator, so
// two tenants with the same seed hand out the same ones.
func cursorKey(app *state.App, a2 string) string { return strconv.FormatInt(app.ID(), 10) + "/" + a2 }

// cursorOf returns the push cursor of the tenant's session with a2, creating it.
func (s *Server) cursorOf(app *state.App, a2 string) *cursor {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := cursorKey(app, a2)
	cur := s.cursors[k]
	if cur == nil {
		cur = &cursor{}
		s.cursors[k] = cur
	}
	return cur
}

// forget drops a logged-out session's cursor.
func (s *Server) forget(app *state.App, a2 string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cursors, cursorKey(app, a2))
}
