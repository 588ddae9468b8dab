package mockserver

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// LogMode says which requests get a log line.
type LogMode int

const (
	LogAll    LogMode = iota // every request (the default when a Logger is set)
	LogErrors                // requests answered with a FAIL envelope or a non-2xx status
	LogOff                   // none
)

// ParseLogMode reads "all", "errors" or "off".
func ParseLogMode(s string) (LogMode, bool) {
	switch s {
	case "all":
		return LogAll, true
	case "errors":
		return LogErrors, true
	case "off":
		return LogOff, true
	}
	return 0, false
}

// logLine is one request's log record, formatted off the request path.
type logLine struct {
	method, path string
	status, n    int
	fail         bool
	took         time.Duration
}

// reqLog writes request lines from one goroutine, so a slow stderr never holds up a request and
// requests never queue on the logger's lock. When the writer falls behind by logQueue lines, new
// lines are dropped and counted (a line saying how many follows).
type reqLog struct {
	logger  *slog.Logger
	c       chan logLine
	done    chan struct{}
	dropped atomic.Int64
	wg      sync.WaitGroup
}

const logQueue = 4096

func startReqLog(l *slog.Logger) *reqLog {
	r := &reqLog{logger: l, c: make(chan logLine, logQueue), done: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case ln := <-r.c:
				if d := r.dropped.Swap(0); d > 0 {
					r.logger.Warn("request log fell behind", "dropped", d)
				}
				r.write(ln)
			case <-r.done:
				for {
					select {
					case ln := <-r.c:
						r.write(ln)
					default:
						return
					}
				}
			}
		}
	}()
	return r
}

func (r *reqLog) write(ln logLine) {
	r.logger.Info("request", "method", ln.method, "path", ln.path, "status", ln.status, "fail", ln.fail,
		"bytes", ln.n, "ms", ln.took.Milliseconds())
}

func (r *reqLog) send(ln logLine) {
	select {
	case r.c <- ln:
	default:
		r.dropped.Add(1)
	}
}

// stop writes what is queued and ends the writer. A request still finishing afterwards (a hold
// past shutdown) queues its line, which nobody writes: the channel is never closed under it.
func (r *reqLog) stop() {
	close(r.done)
	r.wg.Wait()
}

var failPrefix = []byte(`{"ActionStatus":"FAIL"`)

type statusWriter struct {
	http.ResponseWriter
	status int
	n      int
	fail   bool // the reply is a FAIL envelope
	// line logs the request once answered; held says httppark took the request off net/http, and
	// the line is written when the answer is (Held).
	line func(status, n int, fail bool)
	held bool
}

// Held is called by httppark when it holds the request: the line waits for the answer.
func (w *statusWriter) Held() func(status int, body []byte) {
	w.held = true
	line := w.line // not w: it reaches net/http's connection and its buffers, which a hold lets go
	return func(status int, body []byte) { line(status, len(body), bytes.HasPrefix(body, failPrefix)) }
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.n == 0 && bytes.HasPrefix(b, failPrefix) {
		w.fail = true
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (the drop fault hijacks it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack passes the connection on: socket.io's WebSocket upgrade asserts http.Hijacker on the
// writer it gets (with the log on it answered 400 "Bad request" without this).
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
