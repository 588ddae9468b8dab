package recorder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"
)

// DefaultMaxBody is how much of each request and response body is captured (1 MiB).
const DefaultMaxBody = 1 << 20

// Recorder collects exchanges. It is safe for concurrent use; one Recorder can serve many tenants
// (ForApp picks one tenant's transcript).
type Recorder struct {
	maxBody int
	now     func() time.Time

	mu    sync.Mutex
	gen   int // bumped by Reset; exchanges started before it are dropped
	seq   int
	done  []Exchange
	hooks []func(Exchange)

	profile   Profile
	attribute func(*Exchange) // the profile's attributor (the proxy's exchanges); nil: none
}

// Option configures a Recorder.
type Option func(*Recorder)

// WithMaxBody sets how many bytes of each body are captured (default DefaultMaxBody). Longer
// bodies reach the handler and the client intact; only the transcript copy is cut.
func WithMaxBody(n int) Option { return func(r *Recorder) { r.maxBody = n } }

// ForProtocol reads relayed HTTP traffic (Middleware, the recording proxy) as the protocol's:
// command names, queries and who each exchange belongs to.
func ForProtocol(p Profile) Option { return func(r *Recorder) { r.profile = p } }

// WithClock sets the clock used for Start and DurationMS (default time.Now).
func WithClock(now func() time.Time) Option { return func(r *Recorder) { r.now = now } }

// New makes an empty Recorder.
func New(opts ...Option) *Recorder {
	r := &Recorder{maxBody: DefaultMaxBody, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	if r.maxBody <= 0 {
		r.maxBody = DefaultMaxBody
	}
	r.resetAttribution()
	return r
}

func (r *Recorder) resetAttribution() {
	r.attribute = nil
	if r.profile.Attribution != nil {
		r.attribute = r.profile.Attribution()
	}
}

// OnExchange registers a hook called with every completed exchange (a live log). Hooks run on the
// goroutine that completed the exchange, outside the Recorder's lock, so they must be safe for
// concurrent use and must not block for long.
func (r *Recorder) OnExchange(fn func(Exchange)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, fn)
}

// begin reserves the next Seq.
func (r *Recorder) begin() (seq, gen int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	return r.seq, r.gen
}

// finish appends a completed exchange unless Reset ran since it began.
func (r *Recorder) finish(e Exchange, gen int) {
	r.mu.Lock()
	if gen != r.gen {
		r.mu.Unlock()
		return
	}
	r.done = append(r.done, e)
	hooks := slices.Clone(r.hooks)
	r.mu.Unlock()
	for _, h := range hooks {
		h(e.Clone())
	}
}

// Pending is an exchange under way: Begin took its Seq when the call arrived, End stores it.
type Pending struct {
	r        *Recorder
	seq, gen int
	start    time.Time
}

// Begin starts an exchange now, so a call that is held (a long poll) keeps the place it arrived in.
func (r *Recorder) Begin() *Pending {
	seq, gen := r.begin()
	return &Pending{r: r, seq: seq, gen: gen, start: r.now()}
}

// End stores the exchange with the Pending's Seq, Start and duration (dropped if Reset ran since
// Begin). A Conn left empty is the User.
func (p *Pending) End(e Exchange) {
	e.Seq, e.Start = p.seq, p.start
	e.DurationMS = float64(p.r.now().Sub(p.start).Microseconds()) / 1000
	if e.Conn == "" {
		e.Conn = e.User
	}
	p.r.finish(e.Clone(), p.gen)
}

// Capture turns a body into its transcript form, cut at the recorder's capture limit.
func (r *Recorder) Capture(b []byte) json.RawMessage {
	if len(b) > r.maxBody {
		return Body(b[:r.maxBody], true)
	}
	return Body(b, false)
}

// Add appends an exchange built elsewhere (e.g. a socket transport). A zero Seq gets the next
// number and a zero Start gets the current time. It returns the exchange as stored.
func (r *Recorder) Add(e Exchange) Exchange {
	seq, gen := r.begin()
	if e.Seq == 0 {
		e.Seq = seq
	}
	if e.Start.IsZero() {
		e.Start = r.now()
	}
	if e.Conn == "" {
		e.Conn = e.User
	}
	e = e.Clone()
	r.finish(e, gen)
	return e
}

// AddNote appends a marker (a test step, a fault being armed) to conn's sequence.
func (r *Recorder) AddNote(app, conn, text string) Exchange {
	return r.Add(Exchange{App: app, Conn: conn, Kind: KindNote, Note: text})
}

// AddPush appends a server-initiated message (an event frame, a socket.io emit) that transport
// delivered to conn. body is kept as JSON if it is JSON, else as a JSON string.
func (r *Recorder) AddPush(transport, app, user, conn, command string, body []byte) Exchange {
	return r.Add(Exchange{App: app, User: user, Conn: conn, Kind: KindPush, Transport: transport,
		Command: command, Response: r.Capture(body)})
}

// Exchanges is a snapshot of the completed exchanges that pass filter (nil = all), in Seq order.
func (r *Recorder) Exchanges(filter func(Exchange) bool) []Exchange {
	r.mu.Lock()
	out := make([]Exchange, 0, len(r.done))
	for _, e := range r.done {
		if filter == nil || filter(e) {
			out = append(out, e.Clone())
		}
	}
	r.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// ForApp is the transcript of one tenant.
func (r *Recorder) ForApp(app string) []Exchange {
	return r.Exchanges(func(e Exchange) bool { return e.App == app })
}

// Reset forgets every exchange and restarts Seq at 1. Exchanges still in flight (a held long
// poll) are dropped when they complete.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	r.seq = 0
	r.done = nil
	r.resetAttribution()
}

// Middleware records every request and response passing through next, for HTTP traffic the fake
// server's call pipeline does not see (the recording proxy in front of a real server). The request
// body is read (up to the capture limit) before next runs and handed to next intact; the response
// status and body are captured as next writes them. Seq is taken when the request arrives, the
// exchange is stored when next returns, so a held long poll gets its place in the order it
// started. The profile (WithProfile) names the command and attributes the exchange.
func (r *Recorder) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		seq, gen := r.begin()
		start := r.now()
		e := Exchange{Seq: seq, Kind: KindCall, Transport: "http", Method: req.Method, Path: req.URL.Path,
			Command: r.profile.command(req.URL.Path), Query: r.profile.query(req.URL.RawQuery), Start: start}

		if req.Body != nil && req.Body != http.NoBody {
			head, err := io.ReadAll(io.LimitReader(req.Body, int64(r.maxBody)+1))
			if len(head) > r.maxBody {
				e.Request = Body(head[:r.maxBody], true)
			} else {
				e.Request = Body(head, false)
			}
			rest := io.Reader(req.Body)
			if err != nil {
				rest = errReader{err}
			}
			req.Body = readCloser{io.MultiReader(bytes.NewReader(head), rest), req.Body}
		}

		cw := &captureWriter{ResponseWriter: w, limit: r.maxBody}
		defer func() {
			p := recover()
			e.DurationMS = float64(r.now().Sub(start).Microseconds()) / 1000
			e.Status = cw.status
			if e.Status == 0 && p == nil {
				e.Status = http.StatusOK
			}
			e.Response = Body(cw.buf.Bytes(), cw.written > int64(cw.buf.Len()))
			if p != nil {
				e.Note = fmt.Sprintf("handler panicked: %v", p)
			}
			r.attributeLocked(&e)
			r.finish(e, gen)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(cw, req)
	})
}

// attributeLocked fills App, User and Conn with the profile's attributor.
func (r *Recorder) attributeLocked(e *Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.attribute != nil {
		r.attribute(e)
	}
	if e.Conn == "" {
		e.Conn = e.User
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// captureWriter copies the status and the first limit bytes of the body.
type captureWriter struct {
	http.ResponseWriter
	limit   int
	status  int
	buf     bytes.Buffer
	written int64
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 && code >= 200 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if room := c.limit - c.buf.Len(); room > 0 {
		c.buf.Write(b[:min(room, len(b))])
	}
	n, err := c.ResponseWriter.Write(b)
	c.written += int64(n)
	return n, err
}

// Flush passes through to the underlying writer (streaming and long-poll handlers).
func (c *captureWriter) Flush() {
	_ = http.NewResponseController(c.ResponseWriter).Flush()
}

// Hijack passes through (websocket upgrades); the hijacked traffic is not captured.
func (c *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(c.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
