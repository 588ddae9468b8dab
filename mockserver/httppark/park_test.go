package httppark_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/imharness/imharness/mockserver/httppark"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rig is an http.Server whose handler holds every request to /hold and hands the held
// connection to the test; other paths answer "plain" at once.
type rig struct {
	t      *testing.T
	p      *httppark.Parker
	srv    *http.Server
	url    string
	held   chan *held
	closed bool
	wg     sync.WaitGroup
}

type held struct {
	c    *httppark.Conn
	gone chan struct{} // closed when the Parker says the client is gone
}

func newRig(t *testing.T, wrap func(http.Handler) http.Handler, readHeaderTimeout ...time.Duration) *rig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, err := httppark.New(ln.Addr(), httppark.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, p: p, url: "http://" + ln.Addr().String(), held: make(chan *held, 16)}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if req.URL.Path != "/hold" {
			_, _ = io.WriteString(w, "plain "+req.URL.RawQuery)
			return
		}
		_, _ = io.ReadAll(req.Body)
		hd := &held{gone: make(chan struct{})}
		c, err := p.Hold(w, req, func() { close(hd.gone) })
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		hd.c = c
		r.held <- hd
	})
	if wrap != nil {
		h = wrap(h)
	}
	r.srv = &http.Server{Handler: h, ConnState: p.ConnState}
	if len(readHeaderTimeout) > 0 {
		r.srv.ReadHeaderTimeout = readHeaderTimeout[0]
	}
	r.wg.Add(2)
	go func() { defer r.wg.Done(); _ = r.srv.Serve(ln) }()
	go func() { defer r.wg.Done(); _ = r.srv.Serve(p.Listener()) }()
	t.Cleanup(r.close)
	return r
}

// close stops the rig as the fake server stops: the Parker first, then the http.Server.
func (r *rig) close() {
	if r.closed {
		return
	}
	r.closed = true
	r.p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		r.t.Errorf("shutdown: %v", err)
	}
	r.wg.Wait()
}

// send opens a connection to the rig and writes raw on it; the connection is closed when the
// test ends (before the rig).
func (r *rig) send(raw string) net.Conn {
	r.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = c.Close() })
	if _, err := io.WriteString(c, raw); err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *rig) next() *held {
	r.t.Helper()
	select {
	case h := <-r.held:
		return h
	case <-time.After(10 * time.Second):
		r.t.Fatal("no request was held")
		return nil
	}
}

// serverConnGoroutines counts net/http's per-connection server goroutines in this process.
func serverConnGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "net/http.(*conn).serve(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// eventually waits (up to 10 s) for cond; the test fails naming what never happened.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

// A held request keeps no net/http goroutine; its late answer reaches the client with the header
// the handler had set, and the client's next request reuses the same connection (keep-alive).
func TestHeldRequestIsAnsweredLaterOnTheSameConnection(t *testing.T) {
	r := newRig(t, nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	type result struct {
		resp *http.Response
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := client.Post(r.url+"/hold", "text/plain", strings.NewReader("request body"))
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{resp: resp, body: string(b), err: err}
	}()
	h := r.next()
	eventually(t, "net/http's goroutine for the held connection ends", func() bool { return serverConnGoroutines() == 0 })

	hdr := http.Header{"Access-Control-Allow-Origin": {"*"}, "Content-Type": {"application/json"}}
	r.p.Go(func() { h.c.Reply(http.StatusOK, hdr, []byte(`{"late":true}`)) })
	res := <-got
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.resp.StatusCode != 200 || res.body != `{"late":true}` || res.resp.Header.Get("Content-Type") != "application/json" ||
		res.resp.Header.Get("Access-Control-Allow-Origin") != "*" || res.resp.ContentLength != int64(len(res.body)) {
		t.Fatalf("late answer: %d %v %q", res.resp.StatusCode, res.resp.Header, res.body)
	}

	var reused bool
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"/plain?again", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "plain again" || !reused {
		t.Fatalf("next request: %q, connection reused %v", b, reused)
	}
}

// A client that hangs up while held is noticed without anything reading its connection.
func TestClientHangingUpIsNoticed(t *testing.T) {
	r := newRig(t, nil)
	c := r.send("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	h := r.next()
	select {
	case <-h.gone:
		t.Fatal("gone before the client hung up")
	default:
	}
	_ = c.Close()
	select {
	case <-h.gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the hang-up was not noticed")
	}
	h.c.Close()
}

// Bytes net/http had read past the held request (a pipelined next request) are served once the
// connection is back, after the late answer, in order.
func TestPipelinedRequestSurvivesTheHold(t *testing.T) {
	r := newRig(t, nil)
	c := r.send("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}GET /plain?second HTTP/1.1\r\nHost: x\r\n\r\n")
	h := r.next()
	r.p.Go(func() { h.c.Reply(http.StatusOK, nil, []byte("first")) })
	br := bufio.NewReader(c)
	for _, want := range []string{"first", "plain second"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Fatalf("got %q, want %q", b, want)
		}
	}
}

// A request asking for Connection: close gets it after its late answer.
func TestConnectionCloseIsHonoured(t *testing.T) {
	r := newRig(t, nil)
	c := r.send("POST /hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	h := r.next()
	r.p.Go(func() { h.c.Reply(http.StatusAccepted, nil, []byte("bye")) })
	all, err := io.ReadAll(c) // ends only when the server closes
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(all), "HTTP/1.1 202 Accepted\r\n") || !strings.Contains(string(all), "Connection: close\r\n") || !strings.HasSuffix(string(all), "\r\n\r\nbye") {
		t.Fatalf("answer %q", all)
	}
}

// Drop closes the held connection without an answer.
func TestDropAnswersNothing(t *testing.T) {
	r := newRig(t, nil)
	c := r.send("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	h := r.next()
	r.p.Go(h.c.Drop)
	all, _ := io.ReadAll(c)
	if len(all) != 0 {
		t.Fatalf("a dropped request got %q", all)
	}
}

// Closing the Parker ends every held request through its gone function (whose answer is then
// written, with Connection: close) and leaves no goroutine (TestMain checks).
func TestCloseEndsHeldRequests(t *testing.T) {
	r := newRig(t, nil)
	c := r.send("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	h := r.next()
	go func() {
		<-h.gone // the Parker's worker calls gone; answer from here as a holder would
		r.p.Go(func() { h.c.Reply(http.StatusOK, nil, []byte("no news")) })
	}()
	r.close()
	all, _ := io.ReadAll(c)
	if !strings.Contains(string(all), "Connection: close\r\n") || !strings.HasSuffix(string(all), "no news") {
		t.Fatalf("answer on close: %q", all)
	}
	if _, err := r.p.Hold(nil, &http.Request{ProtoMajor: 1}, func() {}); err != httppark.ErrClosed {
		t.Fatalf("Hold after Close: %v", err)
	}
}

// observed is a ResponseWriter wrapper that wants to know how a held request was answered.
type observed struct {
	http.ResponseWriter
	answers chan string
}

func (o *observed) Unwrap() http.ResponseWriter { return o.ResponseWriter }
func (o *observed) Held() func(int, []byte) {
	return func(status int, body []byte) { o.answers <- fmt.Sprintf("%d %s", status, body) }
}

// A wrapper (a request log) hears the late answer.
func TestObserverHearsTheLateAnswer(t *testing.T) {
	answers := make(chan string, 1)
	r := newRig(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h.ServeHTTP(&observed{ResponseWriter: w, answers: answers}, req)
		})
	})
	r.send("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	h := r.next()
	r.p.Go(func() { h.c.Reply(http.StatusTeapot, nil, []byte("tea")) })
	if got := <-answers; got != "418 tea" {
		t.Fatalf("observer heard %q", got)
	}
}

// A connection given back waits for the client's next request as a kept-alive one does: the
// server's ReadHeaderTimeout starts with the request's first byte, not when the connection came
// back, so a client that pauses longer than that keeps its connection.
func TestReturnedConnectionOutlivesReadHeaderTimeout(t *testing.T) {
	r := newRig(t, nil, 100*time.Millisecond)
	c := r.send("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
	h := r.next()
	r.p.Go(func() { h.c.Reply(http.StatusOK, nil, []byte("first")) })
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	time.Sleep(400 * time.Millisecond) // idle four times the header timeout
	fmt.Fprintf(c, "GET /plain?later HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the returned connection was closed while idle: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "plain later" {
		t.Fatalf("got %q", b)
	}
}
