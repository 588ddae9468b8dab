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
	w.Header().Set("Access-Control-Allow-Origin", "*")
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
	body, err := io.ReadAll(io.LimitReader(r.Body, h.o.MaxBody+1))
	if err != nil {
		writeHTTP(w, http.StatusOK, false, encode(nil, fail(CodeInvalidPacket, "reading body: %v", err)))
		return
	}
	c := (&call.Call{Protocol: Protocol, Transport: HTTPTransport.Name, Command: cmd,
		Params: timurl.Query(r.URL.RawQuery), Body: body,
		HTTP: &call.HTTP{Method: r.Method, Path: r.URL.Path}}).WithContext(withHost(r.Context(), r.Host))
	res := h.calls(c)
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

func writeHTTP(w http.ResponseWriter, status int, text bool, body []byte) {
	ctype := "application/json; charset=utf-8"
	if text {
		ctype = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
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
