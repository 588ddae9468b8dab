package recorder

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// ProxyOption configures NewProxy.
type ProxyOption func(*httputil.ReverseProxy)

// ProxyTransport sets the transport that reaches the upstream (default http.DefaultTransport).
func ProxyTransport(rt http.RoundTripper) ProxyOption {
	return func(p *httputil.ReverseProxy) { p.Transport = rt }
}

// NewProxy forwards every request to upstream (a real server, e.g. https://webim.tim.qq.com) and
// records the traffic in rec, so a real client can be recorded talking to the real thing. The
// upstream path is joined with the request path; the Host header becomes the upstream's. The
// client's Accept-Encoding is not forwarded, so bodies are recorded (and relayed) uncompressed.
// Upstream failures are answered with 502 and a text body, which is recorded too.
//
// Without an adapter to annotate them, exchanges are attributed from the query: sdkappid,
// identifier, and the a2/tinyid learned from each login reply (Conn "alice#1" for alice's
// first login).
func NewProxy(upstream *url.URL, rec *Recorder, opts ...ProxyOption) http.Handler {
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.Header.Del("Accept-Encoding")
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "imharness proxy: upstream %s: %v\n", upstream.Host, err)
		},
		FlushInterval: -1, // relay as it arrives: long polls and streams are not held back
	}
	for _, o := range opts {
		o(p)
	}
	return rec.Middleware(p)
}
