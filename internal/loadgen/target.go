package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Target is one server as the benchmark drives it: the fake over its real protocol, or the bare
// baseline over its minimal one. Requests are prepared before the clock starts, so the client's
// own encoding is outside every measured interval and the same for both.
type Target interface {
	Name() string
	// Sender prepares throughput worker i: the URL and a body maker for its n-th sendmsg.
	Sender(ctx context.Context, i int) (string, func(n int) []byte, error)
	// Join brings users [from,to) online with a long poll held each; every message a poll
	// returns is reported to deliver with its text. The poll loops run until ctx ends.
	Join(ctx context.Context, loops *sync.WaitGroup, from, to int, deliver func(user int, text string)) error
	// SendC2C prepares a message from one user to another.
	SendC2C(from, to int, text string) (string, []byte)
	// Group makes a group of users [0,n) and prepares its messages (from user 0).
	Group(ctx context.Context, n int) error
	SendGroup(text string) (string, []byte)
}

func userName(i int) string { return "u" + strconv.Itoa(i) }

// okReply tells a successful envelope from a FAIL one without decoding it.
func okReply(b []byte) bool { return bytes.Contains(b, []byte(`"ErrorCode":0`)) }

func sendBody(from, to string, n int, text string) []byte {
	return fmt.Appendf(nil, `{"From_Account":%q,"To_Account":%q,"MsgSeq":%d,"MsgRandom":%d,"MsgTimeStamp":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}`,
		from, to, n, n, time.Now().Unix(), text)
}

// --- the fake over its real protocol -------------------------------------------------------------

// TIM drives an imharness server's tenant over the v4 protocol.
type TIM struct {
	C *Client

	mu       sync.Mutex
	sessions map[int]*Session
	seq      atomic.Int64
}

// NewTIM drives the tenant sdkappid/secret at base.
func NewTIM(base string, hc *http.Client, sdkappid int64, secret string) *TIM {
	return &TIM{C: &Client{Base: base, SDKAppID: sdkappid, Secret: secret, HTTP: hc}, sessions: map[int]*Session{}}
}

func (t *TIM) Name() string { return "imharness" }

func (t *TIM) Sender(ctx context.Context, i int) (string, func(int) []byte, error) {
	from, to := "tp"+strconv.Itoa(i), "sink"+strconv.Itoa(i)
	if _, err := t.C.Login(ctx, to); err != nil { // the account must exist; it never polls
		return "", nil, err
	}
	s, err := t.C.Login(ctx, from)
	if err != nil {
		return "", nil, err
	}
	return s.URL("openim/sendmsg"), func(n int) []byte { return sendBody(from, to, n, "hello") }, nil
}

func (t *TIM) Join(ctx context.Context, loops *sync.WaitGroup, from, to int, deliver func(int, string)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := from; i < to; i++ {
		g.Go(func() error {
			s, err := t.C.Login(gctx, userName(i))
			if err == nil {
				_, err = s.Sync(gctx)
			}
			if err == nil {
				err = s.OpenPoll(gctx)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", userName(i), err)
			}
			t.mu.Lock()
			t.sessions[i] = s
			t.mu.Unlock()
			loops.Add(1)
			go func() {
				defer loops.Done()
				for ctx.Err() == nil {
					evs, err := s.Poll(ctx)
					if err != nil {
						if ctx.Err() == nil {
							time.Sleep(10 * time.Millisecond)
						}
						continue
					}
					for _, e := range evs {
						for _, txt := range e.Texts() {
							deliver(i, txt)
						}
					}
				}
			}()
			return nil
		})
	}
	return g.Wait()
}

func (t *TIM) session(i int) *Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sessions[i]
}

func (t *TIM) SendC2C(from, to int, text string) (string, []byte) {
	// Every message gets a MsgSeq and MsgRandom of its own, as from an SDK: equal ones are a resend.
	return t.session(from).URL("openim/sendmsg"), sendBody(userName(from), userName(to), int(t.seq.Add(1)), text)
}

const benchGroup = "bench-fanout"

func (t *TIM) Group(ctx context.Context, n int) error {
	members := make([]string, 0, n-1)
	for i := 1; i < n; i++ {
		members = append(members, userName(i))
	}
	return t.session(0).CreateGroup(ctx, benchGroup, members)
}

func (t *TIM) SendGroup(text string) (string, []byte) {
	return t.session(0).URL("group_open_http_svc/send_group_msg"),
		fmt.Appendf(nil, `{"GroupId":%q,"Random":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}`, benchGroup, t.seq.Add(1), text)
}

// --- the bare baseline -------------------------------------------------------------------------

// BareTarget drives a Bare server.
type BareTarget struct {
	Base string
	HTTP *http.Client
}

func (b *BareTarget) Name() string { return "bare net/http" }

func (b *BareTarget) Sender(_ context.Context, i int) (string, func(int) []byte, error) {
	// The same query shape and body as the fake's sendmsg, so both read and parse as much.
	from, to := "tp"+strconv.Itoa(i), "sink"+strconv.Itoa(i)
	q := url.Values{"sdkappid": {"1"}, "contenttype": {"json"}, "tinyid": {"144115198000000000"}, "a2": {"0123456789abcdef0123456789abcdef"}}
	return b.Base + "/v4/openim/sendmsg?" + q.Encode(), func(n int) []byte { return sendBody(from, to, n, "hello") }, nil
}

func (b *BareTarget) Join(ctx context.Context, loops *sync.WaitGroup, from, to int, deliver func(int, string)) error {
	for i := from; i < to; i++ {
		u := b.Base + "/bare/poll?user=" + userName(i)
		loops.Add(1)
		go func() {
			defer loops.Done()
			for ctx.Err() == nil {
				reply, err := Post(ctx, b.HTTP, u, []byte(`{}`))
				if err != nil {
					if ctx.Err() == nil {
						time.Sleep(10 * time.Millisecond)
					}
					continue
				}
				// Read like the fake's replies, so that the client does the same work per delivery.
				var r struct{ EventArray []Event }
				if json.Unmarshal(reply, &r) != nil {
					continue
				}
				for _, e := range r.EventArray {
					for _, txt := range e.Texts() {
						deliver(i, txt)
					}
				}
			}
		}()
	}
	return nil
}

func (b *BareTarget) SendC2C(_, to int, text string) (string, []byte) {
	return b.Base + "/bare/send?to=" + userName(to), bareEvent(text)
}

// bareEvent is what the bare server hands a held poll: a long-poll reply of the fake's shape,
// prepared by the sender so the bare server only passes bytes along.
func bareEvent(text string) []byte {
	return fmt.Appendf(nil, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","EventArray":[{"Event":9,"C2cMsgArray":[{"NoticeSeq":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":%q}}]}]}]}`, text)
}

func (b *BareTarget) Group(context.Context, int) error { return nil }

func (b *BareTarget) SendGroup(text string) (string, []byte) {
	return b.Base + "/bare/fanout", bareEvent(text)
}

type httpClient struct {
	*http.Client
	tr *http.Transport
}

func newHTTP(conns int) *httpClient {
	tr := NewTransport(conns)
	return &httpClient{Client: &http.Client{Transport: tr}, tr: tr}
}

func (h *httpClient) CloseIdleConnections() { h.tr.CloseIdleConnections() }

// setHTTP points a target at the phase's HTTP client.
func setHTTP(t Target, hc *http.Client) {
	switch t := t.(type) {
	case *TIM:
		t.C.HTTP = hc
	case *BareTarget:
		t.HTTP = hc
	}
}
