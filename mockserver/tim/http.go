package tim

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/imharness/imharness/internal/timurl"
	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
)

// HTTPTransport is what the HTTP long-polling transport can do to a call beyond the pipeline's
// own fault actions: all of drop, status, body and truncate.
var HTTPTransport = fault.Transport{Name: "http",
	Actions: []string{fault.ActionDrop, fault.ActionStatus, fault.ActionBody, fault.ActionTruncate}}

// ServeHTTP is the HTTP long-polling transport: it decodes a request into a call (the command
// from the path /v4/<service>/<cmd>, the query as its params), runs it through the pipeline and
// writes the result. Protocol answers go out with HTTP 200, errors included: the SDKs retry
// non-2xx statuses, which would hide the error from the test. Only a fault rule asks for another
// status or a dropped connection.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["Access-Control-Allow-Origin"] = anyOrigin
	if r.Method == http.MethodOptions { // a browser's preflight: not a call
		w.Header().Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	cmd, ok := timurl.Command(r.URL.Path)
	if !ok {
		cmd = strings.Trim(r.URL.Path, "/") // the handler refuses it; the transcript still names it
	}
	// The whole body is read before the pipeline runs: net/http only notices a client that gave up
	// (cancelling the context) once the body has been consumed.
	body, err := h.readBody(r)
	if err != nil {
		writeHTTP(w, http.StatusOK, false, encode(nil, fail(CodeInvalidPacket, "reading body: %v", err)))
		return
	}
	hc := &httpCall{Call: call.Call{Protocol: Protocol, Transport: HTTPTransport.Name, Command: cmd,
		Params: timurl.Query(r.URL.RawQuery), Body: body, Park: h.park.Load() != nil},
		http: call.HTTP{Method: r.Method, Path: r.URL.Path, Host: r.Host}}
	hc.Call.HTTP = &hc.http
	c := hc.Call.WithContext(r.Context())
	res := h.calls(c)
	if res.Pending != nil {
		h.hold(w, r, res.Pending)
		return
	}
	writeResult(w, res)
}

// httpCall is a call and what it shows of its request, made in one allocation.
type httpCall struct {
	call.Call
	http call.HTTP
}

// readBody reads the whole body, up to one byte past MaxBody (the handler refuses that size). A
// body whose length the request declares is read into a buffer of that size at once.
func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= h.o.MaxBody {
		body := make([]byte, n)
		_, err := io.ReadFull(r.Body, body)
		return body, err
	}
	return io.ReadAll(io.LimitReader(r.Body, h.o.MaxBody+1))
}

// hold parks a call whose answer comes later: the connection leaves net/http (httppark) and the
// answer is written from a worker when the pending call finishes. When the connection cannot be
// held, this goroutine waits for the answer, as every transport did before.
func (h *Handler) hold(w http.ResponseWriter, r *http.Request, p *call.Pending) {
	header := w.Header().Clone()
	conn, err := h.park.Load().Hold(w, r, p.Stop)
	if err != nil {
		writeResult(w, p.Wait(r.Context(), h.o.Done))
		return
	}
	p.Deliver(func(res call.Result) {
		switch {
		case res.Gone:
			conn.Close()
		case res.Drop:
			conn.Drop()
		default:
			status := res.Status
			if status == 0 {
				status = http.StatusOK
			}
			header.Set("Content-Type", contentType(res.Text))
			conn.Reply(status, header, res.Body)
		}
	})
}

func writeResult(w http.ResponseWriter, res call.Result) {
	switch {
	case res.Gone:
	case res.Drop:
		drop(w)
	default:
		status := res.Status
		if status == 0 {
			status = http.StatusOK
		}
		writeHTTP(w, status, res.Text, res.Body)
	}
}

// Header values set on every reply, shared rather than made per request (a header map only ever
// replaces or appends to a value's slice, never writes into it).
var (
	anyOrigin       = []string{"*"}
	jsonContentType = []string{"application/json; charset=utf-8"}
	textContentType = []string{"text/plain; charset=utf-8"}
)

func contentType(text bool) string {
	if text {
		return "text/plain; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

func writeHTTP(w http.ResponseWriter, status int, text bool, body []byte) {
	h := w.Header()
	if text {
		h["Content-Type"] = textContentType
	} else {
		h["Content-Type"] = jsonContentType
	}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
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

// FaultProfile tells fault rules how Tencent IM names its commands.
var FaultProfile = fault.Profile{Commands: timurl.CheckCommand}
