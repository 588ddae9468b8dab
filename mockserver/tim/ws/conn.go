package ws

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/recorder"
)

// PushCommand is the command name pushes are recorded and matched under by fault rules.
const PushCommand = "im_open_push/msg_push"

// Transport names this transport in calls, transcripts and fault rules.
const Transport = "ws"

// FaultTransport is what this transport does to a frame beyond the pipeline's reply and delay:
// drop closes the socket, body sends the rule's bytes as the frame, truncate sends the first half
// of the answer. It has no status code to give (such rules name match.transport: http).
var FaultTransport = fault.Transport{Name: Transport, Actions: []string{fault.ActionDrop, fault.ActionBody, fault.ActionTruncate}}

// conn is one socket. Frames are served one at a time in arrival order (the SDK matches replies by
// servcmd+seq, so order is not required, but it keeps transcripts stable) on the socket's one
// goroutine, its reader; pushes come from a pump that runs only while there is something to push
// (push.go). Writes are serialised. conn is the tim.Socket of its calls.
type conn struct {
	s      *Server
	id     string
	ws     *websocket.Conn
	binary bool // /binfo: every downlink frame is a binary message
	gzip   bool // the URL said compress=gzip: pushes may be COMP+zlib
	query  map[string]string
	ctx    context.Context
	cancel context.CancelFunc
	wake   func() // kick, made once: what the state's wake list calls

	wmu sync.Mutex

	// mu guards what follows. It is never held while calling into the state: the state calls
	// wake under the tenant's lock.
	mu    sync.Mutex
	app   *state.App
	sess  state.Session
	bound bool
	ended string // A2Key of the session this socket logged out (wslogout)
	// what the bound session has had answered on this socket, for the online moment (announce)
	synced, groups, communities, online bool

	// pushes of the bound session (push.go)
	cur       *cursor
	gen       uint64             // counts bindings: a pump of an earlier one stops
	bindCtx   context.Context    // ends with the binding: cuts a push's fault delay short
	unbindCtx context.CancelFunc //
	pumping   bool               // a pump runs
	again     bool               // news came while it ran: it looks once more
	due       bool               // the redelivery timer fired: the pump rewinds to the last ack
	finished  bool               // the binding's pushes ended (kicked, logged out, tenant gone)
	stopped   bool               // the socket ended: no pump starts
	unwake    func()             // withdraws the registration in the user's wake list
	redeliver *time.Timer
	pumps     sync.WaitGroup
}

func (c *conn) session() (*state.App, state.Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.app, c.sess, c.bound
}

func (c *conn) serve() {
	for {
		typ, b, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		if c.binary && typ != websocket.MessageBinary || !c.binary && typ != websocket.MessageText {
			// The SDK never mixes them; a client that does gets told, in the protocol's shape.
			c.refuse(b, codeBadFrame, "frame type does not match the endpoint: /binfo takes binary frames, /info text frames")
			continue
		}
		c.handle(b)
	}
}

// stop ends the pushes and the socket; the session stays alive for a reconnect.
func (c *conn) stop() {
	c.mu.Lock()
	c.stopped = true
	unwake := c.unbindLocked()
	c.mu.Unlock()
	unwake()
	c.cancel() // a pump blocked in a write or a fault delay gives up
	c.pumps.Wait()
	_ = c.ws.CloseNow()
}

// closeSocket closes the socket from the server side. The close handshake is not waited for: a
// peer that never answers it must not hold the caller.
func (c *conn) closeSocket() {
	c.cancel()
	_ = c.ws.CloseNow()
}

// write sends one downlink frame, compressed when the client asked for it.
func (c *conn) write(frame []byte, mayCompress bool) error {
	typ := websocket.MessageText
	if c.binary {
		typ = websocket.MessageBinary
		if mayCompress && c.gzip {
			frame = compress(frame)
		}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, c.s.o.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, typ, frame)
}

// codeBadFrame answers a frame that is not {head:{servcmd,seq},body} JSON.
const codeBadFrame = 90001

// refuse answers a frame too broken to be a call. When the head is readable the reply goes back
// under its servcmd and seq, so the SDK's request fails with the code; otherwise under seq 0.
func (c *conn) refuse(b []byte, code int, info string) {
	var f Frame
	_ = json.Unmarshal(b, &f)
	body := envelope(code, info)
	_ = c.write(encodeFrame(f.Head.ServCmd, f.Head.Seq, body), false)
	if c.s.o.Recorder != nil {
		app, sess, _ := c.session()
		c.s.o.Recorder.Add(recorder.Exchange{App: appID(app, c.query), User: sess.User, Conn: connName(sess, c.query),
			Kind: recorder.KindCall, Transport: Transport, Command: commandOf(f.Head.ServCmd),
			Request: recorder.Body(b, false), Response: body, Note: "refused by the transport: " + info})
	}
}

func envelope(code int, info string) []byte {
	q, _ := json.Marshal(info)
	return []byte(`{"ActionStatus":"FAIL","ErrorCode":` + strconv.Itoa(code) + `,"ErrorInfo":` + string(q) + `}`)
}

func appID(app *state.App, q map[string]string) string {
	if app != nil {
		return strconv.FormatInt(app.ID(), 10)
	}
	return q["sdkappid"]
}

// connName names the socket in transcripts: its session ("alice#1"), or its instance id before login.
func connName(s state.Session, q map[string]string) string {
	switch {
	case s.Conn != "":
		return s.Conn
	case s.User != "":
		return s.User
	}
	return "ws:" + q["instanceid"]
}
