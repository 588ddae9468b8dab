package fault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/imharness/imharness/internal/timurl"
	"github.com/imharness/imharness/mockserver/state"
)

// Options configures the middleware.
type Options struct {
	// Lookup finds a tenant and its rules by SDKAppID; nil rules mean "no faults".
	Lookup func(sdkappid int64) (*state.App, *Rules)
	// Done is closed when the server shuts down: delays and holds end at once.
	Done <-chan struct{}
	// Annotate, when set, is told the tenant, user and connection of a call the middleware answers
	// itself (the recorder files it under the right tenant, as the adapter does for the rest).
	Annotate func(ctx context.Context, app, user, conn string)
	// MaxBody caps how much of a body is read to find its GroupId; default 1 MiB.
	MaxBody int64
}

// Middleware applies the tenant's rules before next (the protocol adapter) runs, and its watches
// after. A request whose query names no tenant with rules goes straight to next.
func Middleware(o Options) func(http.Handler) http.Handler {
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	return func(next http.Handler) http.Handler { return &middleware{o: o, next: next} }
}

type middleware struct {
	o    Options
	next http.Handler
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := timurl.Query(r.URL.RawQuery)
	id, err := strconv.ParseInt(q["sdkappid"], 10, 64)
	if err != nil || m.o.Lookup == nil {
		m.next.ServeHTTP(w, r)
		return
	}
	app, rules := m.o.Lookup(id)
	if app == nil || rules == nil || rules.idle() {
		m.next.ServeHTTP(w, r)
		return
	}
	// Read the body up front: to find its GroupId, and because net/http only notices a client
	// that gave up (cancelling the context) once the body has been consumed.
	body, err := io.ReadAll(io.LimitReader(r.Body, m.o.MaxBody))
	if err != nil {
		m.next.ServeHTTP(w, r) // the adapter reports the broken body in its own envelope
		return
	}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}

	c := Call{Command: commandOf(r.URL.Path), User: q["identifier"]}
	conn := c.User
	if c.User == "" && q["a2"] != "" {
		if s, err := app.Auth(q["tinyid"], q["a2"]); err == nil {
			c.User, conn = s.User, s.Conn
		}
	}
	if rules.wantsGroup() {
		c.Groups = groupsOf(body)
	}
	defer rules.done(c)
	rule := rules.decide(c)
	if rule == nil {
		m.next.ServeHTTP(w, r)
		return
	}
	m.act(w, r, *rule, func() {
		if m.o.Annotate != nil {
			m.o.Annotate(r.Context(), q["sdkappid"], c.User, conn)
		}
	})
}

type readCloser struct {
	io.Reader
	io.Closer
}

// act carries out a rule that is due on this call.
func (m *middleware) act(w http.ResponseWriter, r *http.Request, rule Rule, annotate func()) {
	if rule.Delay > 0 && m.wait(r.Context(), rule.Delay.D()) == clientGone {
		return
	}
	switch {
	case rule.Hold > 0:
		annotate()
		if m.wait(r.Context(), rule.Hold.D()) == clientGone {
			return
		}
		drop(w)
	case rule.Drop:
		annotate()
		drop(w)
	case rule.Truncate:
		var b bufferWriter
		m.next.ServeHTTP(&b, r)
		cut := b.buf.Bytes()[:b.buf.Len()/2]
		for k, v := range b.h {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(cut)))
		w.WriteHeader(b.status())
		_, _ = w.Write(cut)
	case rule.Reply != nil:
		annotate()
		status := "FAIL"
		if rule.Reply.ErrorCode == 0 {
			status = "OK"
		}
		info := rule.Reply.ErrorInfo
		if info == "" && rule.Reply.ErrorCode != 0 {
			info = fmt.Sprintf("fault injected by rule %s", rule.ID)
		}
		q, _ := json.Marshal(info)
		write(w, orDefault(rule.Status, http.StatusOK), "application/json; charset=utf-8",
			fmt.Appendf(nil, `{"ActionStatus":%q,"ErrorCode":%d,"ErrorInfo":%s}`, status, rule.Reply.ErrorCode, q))
	case rule.Body != nil:
		annotate()
		write(w, orDefault(rule.Status, http.StatusOK), "application/json; charset=utf-8", []byte(*rule.Body))
	case rule.Status != 0:
		annotate()
		write(w, rule.Status, "text/plain; charset=utf-8",
			fmt.Appendf(nil, "%d %s (fault injected by rule %s)\n", rule.Status, http.StatusText(rule.Status), rule.ID))
	default: // a delay alone: the call goes through, late
		m.next.ServeHTTP(w, r)
	}
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func write(w http.ResponseWriter, status int, ctype string, body []byte) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

type waited int

const (
	elapsed waited = iota
	clientGone
	shuttingDown
)

// wait sleeps for d unless the client goes away or the server shuts down first.
func (m *middleware) wait(ctx context.Context, d time.Duration) waited {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return elapsed
	case <-ctx.Done():
		return clientGone
	case <-m.o.Done:
		return shuttingDown
	}
}

// drop closes the connection without an answer. Hijacking closes just this connection; when the
// writer cannot be hijacked (HTTP/2, a wrapper without Unwrap) net/http's abort panic does it.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, as a dying proxy would give, rather than a polite FIN
	}
	_ = conn.Close()
}

// bufferWriter keeps the handler's answer so a truncated copy can be sent.
type bufferWriter struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func (b *bufferWriter) Header() http.Header {
	if b.h == nil {
		b.h = http.Header{}
	}
	return b.h
}
func (b *bufferWriter) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}
func (b *bufferWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
func (b *bufferWriter) status() int                 { return orDefault(b.code, http.StatusOK) }

// commandOf is the adapter's routing key for a path ("/v4/openim/sendmsg" → "openim/sendmsg").
func commandOf(path string) string {
	if cmd, ok := timurl.Command(path); ok {
		return cmd
	}
	return strings.Trim(path, "/")
}

// groupsOf finds the group(s) a request body is about. Bodies that are not JSON name none.
func groupsOf(body []byte) []string {
	var v struct {
		GroupId     string
		GroupIdList []string
		ToGroupId   string
	}
	_ = json.Unmarshal(body, &v)
	var out []string
	for _, g := range append([]string{v.GroupId, v.ToGroupId}, v.GroupIdList...) {
		if g != "" {
			out = append(out, g)
		}
	}
	return out
}
