package loadgen

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"
)

// sioConn speaks socket.io 1.x/2.x (Engine.IO v3) over a WebSocket, as socket.io-client 1.4 does:
// text frames "0{…}" (open), "40" (connected), "2"/"3" (ping/pong), `42["event",payload]`.
type sioConn struct {
	f         *frameConn
	connected chan struct{}
	once      sync.Once
}

func dialSIO(ctx context.Context, base string, onEvent func(name string, payload json.RawMessage)) (*sioConn, error) {
	s := &sioConn{connected: make(chan struct{})}
	f, err := dialFrames(ctx, wsURL(base, "/socket.io/?EIO=3&transport=websocket"), websocket.MessageText, func(b []byte) {
		switch {
		case string(b) == "40":
			s.once.Do(func() { close(s.connected) })
		case strings.HasPrefix(string(b), "42"):
			var ev []json.RawMessage
			if json.Unmarshal(b[2:], &ev) != nil || len(ev) == 0 {
				return
			}
			var name string
			_ = json.Unmarshal(ev[0], &name)
			var payload json.RawMessage
			if len(ev) > 1 {
				payload = ev[1]
			}
			onEvent(name, payload)
		}
	})
	if err != nil {
		return nil, err
	}
	s.f = f
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case <-s.connected:
		return s, nil
	case <-t.C:
		err = errors.New("socket.io: no connect packet within 30 s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	f.close()
	return nil, err
}

func (s *sioConn) emit(ctx context.Context, name string, payload any) error {
	b, err := json.Marshal([]any{name, payload})
	if err != nil {
		return err
	}
	return s.f.write(ctx, append([]byte("42"), b...))
}

// ping keeps the connection alive: Engine.IO v3 clients ping, the server closes silent ones.
func (s *sioConn) ping() { _ = s.f.write(context.Background(), []byte("2")) }

// sioClients runs one pinger for all of a phase's socket.io connections.
type sioPinger struct {
	mu    sync.Mutex
	conns map[*sioConn]struct{}
	stop  chan struct{}
	done  chan struct{}
}

func newSIOPinger(every time.Duration) *sioPinger {
	p := &sioPinger{conns: map[*sioConn]struct{}{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.mu.Lock()
				cs := make([]*sioConn, 0, len(p.conns))
				for c := range p.conns {
					cs = append(cs, c)
				}
				p.mu.Unlock()
				for _, c := range cs {
					c.ping()
				}
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

func (p *sioPinger) add(c *sioConn) {
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
}

func (p *sioPinger) remove(c *sioConn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *sioPinger) close() {
	close(p.stop)
	<-p.done
}

// --- JMessage over socket.io (the fake) and its bare relay -------------------------------------

// SIOClients drives a server's socket.io endpoint: the fake's JMessage protocol (c_init with the
// tenant's signature, register, login, s_single_text; messages arrive as msg_sync), or, with no
// AppKey, the bare relay's (join, send; messages arrive as msg).
type SIOClients struct {
	Base   string
	AppKey string // "" for the bare relay
	Secret string // the tenant's master secret (signs c_init)

	once   sync.Once
	pinger *sioPinger
}

// Close stops the pinger (after the clients are closed).
func (s *SIOClients) Close() {
	if s.pinger != nil {
		s.pinger.close()
	}
}

func (s *SIOClients) Connect(ctx context.Context, i int, deliver func(int, string)) (SocketClient, error) {
	s.once.Do(func() { s.pinger = newSIOPinger(20 * time.Second) })
	cl := &sioClient{user: userName(i), waiters: map[string]chan json.RawMessage{}, pinger: s.pinger, bare: s.AppKey == ""}
	conn, err := dialSIO(ctx, s.Base, func(name string, payload json.RawMessage) { cl.event(name, payload, i, deliver) })
	if err != nil {
		return nil, err
	}
	cl.conn = conn
	s.pinger.add(conn)
	if cl.bare {
		_, err = cl.call(ctx, "join", map[string]any{"user": cl.user})
	} else {
		err = cl.login(ctx, s.AppKey, s.Secret)
	}
	if err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

type sioClient struct {
	conn   *sioConn
	pinger *sioPinger
	user   string
	bare   bool
	rid    atomic.Int64
	failed atomic.Int64

	mu      sync.Mutex
	waiters map[string]chan json.RawMessage // "event rid" → reply
}

type sioReply struct {
	RID     json.Number `json:"rid"`
	Code    int         `json:"code"`
	Message string      `json:"message"`
}

func (c *sioClient) event(name string, payload json.RawMessage, i int, deliver func(int, string)) {
	switch name {
	case "msg_sync": // the fake: {"messages":[{"content":{"msg_body":{"text":…}}}]}
		var m struct {
			Messages []struct {
				Content struct {
					MsgBody struct{ Text string } `json:"msg_body"`
				} `json:"content"`
			} `json:"messages"`
		}
		if json.Unmarshal(payload, &m) == nil {
			for _, x := range m.Messages {
				deliver(i, x.Content.MsgBody.Text)
			}
		}
		return
	case "msg": // the bare relay
		var m struct{ Text string }
		if json.Unmarshal(payload, &m) == nil {
			deliver(i, m.Text)
		}
		return
	case "ack":
		return
	}
	var r sioReply
	if json.Unmarshal(payload, &r) != nil {
		return
	}
	c.mu.Lock()
	ch := c.waiters[name+" "+r.RID.String()]
	delete(c.waiters, name+" "+r.RID.String())
	c.mu.Unlock()
	switch {
	case ch != nil:
		ch <- payload
	case r.Code != 0:
		c.failed.Add(1)
	}
}

// call emits an event with the next rid and waits for the answer of the same name and rid,
// resending it every 5 s as jmessage-sdk-web 2.x does (a resent rid is answered once).
func (c *sioClient) call(ctx context.Context, name string, payload map[string]any) (sioReply, error) {
	rid := c.rid.Add(1)
	payload["rid"] = rid
	ch := make(chan json.RawMessage, 1)
	k := name + " " + strconv.FormatInt(rid, 10)
	c.mu.Lock()
	c.waiters[k] = ch
	c.mu.Unlock()
	var r sioReply
	for range 6 {
		if err := c.conn.emit(ctx, name, payload); err != nil {
			return r, err
		}
		t := time.NewTimer(5 * time.Second)
		select {
		case b := <-ch:
			t.Stop()
			err := json.Unmarshal(b, &r)
			return r, err
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return r, ctx.Err()
		}
	}
	return r, fmt.Errorf("%s: no answer within 30 s", name)
}

func md5hex(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }

// login initialises the connection for the app, registers the user (an existing one is fine)
// and logs in.
func (c *sioClient) login(ctx context.Context, appKey, secret string) error {
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	rnd := "imharness-bench-random"
	sig := md5hex(fmt.Sprintf("appkey=%s&timestamp=%s&random_str=%s&key=%s", appKey, ts, rnd, secret))
	r, err := c.call(ctx, "c_init", map[string]any{"appkey": appKey, "timestamp": ts, "random_str": rnd, "signature": sig})
	if err == nil && r.Code != 0 {
		err = fmt.Errorf("c_init: %d %s", r.Code, r.Message)
	}
	if err != nil {
		return err
	}
	pw := md5hex("bench")
	if r, err = c.call(ctx, "register", map[string]any{"username": c.user, "password": pw}); err != nil {
		return err
	} // 882002: registered by an earlier run of the phase
	r, err = c.call(ctx, "login", map[string]any{"username": c.user, "password": pw})
	if err == nil && r.Code != 0 {
		err = fmt.Errorf("login: %d %s", r.Code, r.Message)
	}
	return err
}

func (c *sioClient) Send(ctx context.Context, to int, text string) error {
	target := userName(to)
	if c.bare {
		return c.conn.emit(ctx, "send", map[string]any{"rid": c.rid.Add(1), "to": target, "text": text})
	}
	return c.conn.emit(ctx, "s_single_text", map[string]any{"rid": c.rid.Add(1), "target_name": target, "content": map[string]any{
		"version": 1, "target_type": "single", "from_platform": "web", "target_id": target, "target_name": target,
		"from_id": c.user, "create_time": time.Now().UnixMilli(), "msg_type": "text", "msg_body": map[string]any{"text": text},
	}})
}

func (c *sioClient) Failed() int { return int(c.failed.Load()) }

func (c *sioClient) Close() {
	c.pinger.remove(c.conn)
	c.conn.f.close()
}

// BareSIO is the socket.io baseline on the fake's library (zishang520/socket.io, Engine.IO v3
// allowed): "join" {user} names a socket, "send" {to, text} emits "msg" {text} to the named
// socket and answers the sender; nothing else.
type BareSIO struct {
	io *socket.Server
	h  http.Handler

	mu    sync.Mutex
	socks map[string]*socket.Socket
}

func NewBareSIO() *BareSIO {
	b := &BareSIO{socks: map[string]*socket.Socket{}}
	opts := socket.DefaultServerOptions()
	opts.SetAllowEIO3(true)
	opts.SetServeClient(false)
	opts.SetCors(&types.Cors{Origin: true, Credentials: true})
	b.io = socket.NewServer(nil, opts)
	b.io.On("connection", func(clients ...any) {
		s, ok := clients[0].(*socket.Socket)
		if !ok {
			return
		}
		arg := func(args []any) map[string]any {
			if len(args) > 0 {
				m, _ := args[0].(map[string]any)
				return m
			}
			return nil
		}
		s.On("join", func(args ...any) {
			m := arg(args)
			user, _ := m["user"].(string)
			b.mu.Lock()
			b.socks[user] = s
			b.mu.Unlock()
			_ = s.Emit("join", map[string]any{"rid": m["rid"], "code": 0})
		})
		s.On("send", func(args ...any) {
			m := arg(args)
			to, _ := m["to"].(string)
			b.mu.Lock()
			t := b.socks[to]
			b.mu.Unlock()
			if t != nil {
				_ = t.Emit("msg", map[string]any{"text": m["text"]})
			}
			_ = s.Emit("send", map[string]any{"rid": m["rid"], "code": 0})
		})
		s.On("disconnect", func(...any) {
			b.mu.Lock()
			for u, x := range b.socks {
				if x == s {
					delete(b.socks, u)
				}
			}
			b.mu.Unlock()
		})
	})
	b.h = b.io.ServeHandler(opts)
	return b
}

func (b *BareSIO) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.h.ServeHTTP(w, r) }

// Close disconnects every client and stops the engine.
func (b *BareSIO) Close() {
	done := make(chan struct{})
	b.io.Close(func(error) { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}
