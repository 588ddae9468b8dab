package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/imharness/imharness/mockserver/usersig"
)

// frameConn is a WebSocket client that reads on a goroutine of its own and hands every frame to
// onFrame; calls wait for the frame their match function recognises.
type frameConn struct {
	c       *websocket.Conn
	typ     websocket.MessageType
	onFrame func([]byte)
	done    chan struct{}

	mu      sync.Mutex
	waiters map[string]chan []byte
}

func dialFrames(ctx context.Context, url string, typ websocket.MessageType, onFrame func([]byte)) (*frameConn, error) {
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	f := &frameConn{c: c, typ: typ, onFrame: onFrame, done: make(chan struct{}), waiters: map[string]chan []byte{}}
	go f.read()
	return f, nil
}

func (f *frameConn) read() {
	defer close(f.done)
	for {
		_, b, err := f.c.Read(context.Background())
		if err != nil {
			return
		}
		f.onFrame(b)
	}
}

// expect registers a waiter for the frame keyed k (before the request goes out).
func (f *frameConn) expect(k string) chan []byte {
	ch := make(chan []byte, 1)
	f.mu.Lock()
	f.waiters[k] = ch
	f.mu.Unlock()
	return ch
}

// answer hands b to the waiter keyed k; false when none waits.
func (f *frameConn) answer(k string, b []byte) bool {
	f.mu.Lock()
	ch := f.waiters[k]
	delete(f.waiters, k)
	f.mu.Unlock()
	if ch == nil {
		return false
	}
	ch <- b
	return true
}

func (f *frameConn) write(ctx context.Context, b []byte) error { return f.c.Write(ctx, f.typ, b) }

func await(ctx context.Context, ch chan []byte) ([]byte, error) {
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case b := <-ch:
		return b, nil
	case <-t.C:
		return nil, fmt.Errorf("no answer within 30 s")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *frameConn) close() {
	_ = f.c.CloseNow()
	<-f.done
}

func wsURL(base, path string) string {
	return "ws" + strings.TrimPrefix(base, "http") + path
}

// --- Tencent IM over WebSocket (the fake's /binfo) and its bare relay --------------------------

// wsFrame is a downlink frame: {"head":{servcmd, seq}, "body":…}.
type wsFrame struct {
	Head struct {
		ServCmd string          `json:"servcmd"`
		Seq     json.RawMessage `json:"seq"`
	} `json:"head"`
	Body struct {
		ErrorCode   int     `json:"ErrorCode"`
		ErrorInfo   string  `json:"ErrorInfo"`
		SessionData string  `json:"SessionData"`
		EventArray  []Event `json:"EventArray"`
	} `json:"body"`
}

const wsPush = "im_open_push.msg_push"

// WSClients drives a server's Tencent IM WebSocket endpoint (the fake's /binfo, or the bare
// relay's /ws, which answers the same frames) with one socket per user.
type WSClients struct {
	Base     string
	SDKAppID int64  // 0: the bare relay (no login)
	Secret   string // signs the UserSigs
}

func (w *WSClients) Connect(ctx context.Context, i int, deliver func(int, string)) (SocketClient, error) {
	cl := &wsClient{user: userName(i)}
	url := wsURL(w.Base, "/ws?user="+cl.user)
	if w.SDKAppID != 0 {
		url = wsURL(w.Base, fmt.Sprintf("/binfo?sdkappid=%d&instanceid=%d", w.SDKAppID, i+1))
	}
	f, err := dialFrames(ctx, url, websocket.MessageBinary, func(b []byte) { cl.frame(b, i, deliver) })
	if err != nil {
		return nil, err
	}
	cl.f = f
	if w.SDKAppID == 0 {
		return cl, nil
	}
	sig, err := usersig.Generate(w.SDKAppID, w.Secret, cl.user, time.Hour, time.Now())
	if err != nil {
		cl.Close()
		return nil, err
	}
	reply, err := cl.call(ctx, "im_open_status.wslogin", map[string]any{"sdkappid": w.SDKAppID, "identifier": cl.user, "usersig": sig}, []byte(`{"State":"Online"}`))
	if err == nil && reply.Body.ErrorCode != 0 {
		err = fmt.Errorf("wslogin: %d %s", reply.Body.ErrorCode, reply.Body.ErrorInfo)
	}
	if err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

type wsClient struct {
	f      *frameConn
	user   string
	seq    atomic.Int64
	failed atomic.Int64
}

func (c *wsClient) frame(b []byte, i int, deliver func(int, string)) {
	var f wsFrame
	if json.Unmarshal(b, &f) != nil {
		return
	}
	if f.Head.ServCmd == wsPush {
		for _, e := range f.Body.EventArray {
			for _, txt := range e.Texts() {
				deliver(i, txt)
			}
		}
		if f.Body.SessionData != "" { // acked as the SDK does, so nothing comes again
			n := c.seq.Add(1)
			body, _ := json.Marshal(map[string]string{"SessionData": f.Body.SessionData})
			_ = c.f.write(context.Background(), wsRequest("openim.ws_msg_push_ack", n, nil, body))
		}
		return
	}
	if !c.f.answer(string(f.Head.Seq), b) && f.Head.ServCmd == "openim.sendmsg" && f.Body.ErrorCode != 0 {
		c.failed.Add(1)
	}
}

func wsRequest(servcmd string, seq int64, head map[string]any, body []byte) []byte {
	h := map[string]any{"servcmd": servcmd, "seq": seq, "ver": "v4"}
	for k, v := range head {
		h[k] = v
	}
	hb, _ := json.Marshal(h)
	return fmt.Appendf(nil, `{"head":%s,"body":%s}`, hb, body)
}

func (c *wsClient) call(ctx context.Context, servcmd string, head map[string]any, body []byte) (wsFrame, error) {
	n := c.seq.Add(1)
	ch := c.f.expect(strconv.FormatInt(n, 10))
	var f wsFrame
	if err := c.f.write(ctx, wsRequest(servcmd, n, head, body)); err != nil {
		return f, err
	}
	b, err := await(ctx, ch)
	if err != nil {
		return f, fmt.Errorf("%s: %w", servcmd, err)
	}
	err = json.Unmarshal(b, &f)
	return f, err
}

func (c *wsClient) Send(ctx context.Context, to int, text string) error {
	n := c.seq.Add(1)
	return c.f.write(ctx, wsRequest("openim.sendmsg", n, nil, sendBody(c.user, userName(to), int(n), text)))
}

func (c *wsClient) Failed() int { return int(c.failed.Load()) }
func (c *wsClient) Close()      { c.f.close() }

// BareWS is the WebSocket baseline: /ws?user=U accepts U's socket; an openim.sendmsg frame is
// answered with a fixed reply and its text pushed to To_Account's socket as a push frame of the
// fake's shape. Nothing else: no state, no sessions, no acks kept.
type BareWS struct {
	mu    sync.Mutex
	conns map[string]*websocket.Conn
	wg    sync.WaitGroup
}

func NewBareWS() *BareWS { return &BareWS{conns: map[string]*websocket.Conn{}} }

func (b *BareWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	user := r.URL.Query().Get("user")
	b.mu.Lock()
	b.conns[user] = c
	b.wg.Add(1)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		if b.conns[user] == c {
			delete(b.conns, user)
		}
		b.mu.Unlock()
		_ = c.CloseNow()
		b.wg.Done()
	}()
	ctx := context.Background()
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var f struct {
			Head struct {
				ServCmd string          `json:"servcmd"`
				Seq     json.RawMessage `json:"seq"`
			} `json:"head"`
			Body struct {
				To_Account string
				MsgBody    []struct{ MsgContent struct{ Text string } }
			} `json:"body"`
		}
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		_ = c.Write(ctx, websocket.MessageBinary, fmt.Appendf(nil, `{"head":{"servcmd":%q,"seq":%s},"body":%s}`, f.Head.ServCmd, f.Head.Seq, fixedReply))
		if f.Head.ServCmd != "openim.sendmsg" || len(f.Body.MsgBody) == 0 {
			continue
		}
		b.mu.Lock()
		to := b.conns[f.Body.To_Account]
		b.mu.Unlock()
		if to != nil {
			ev := bareEvent(f.Body.MsgBody[0].MsgContent.Text)
			_ = to.Write(ctx, websocket.MessageBinary, fmt.Appendf(nil, `{"head":{"servcmd":%q,"seq":0},"body":%s}`, wsPush, ev))
		}
	}
}

// Close closes every socket and waits for their handlers.
func (b *BareWS) Close() {
	b.mu.Lock()
	for _, c := range b.conns {
		_ = c.CloseNow()
	}
	b.mu.Unlock()
	b.wg.Wait()
}
