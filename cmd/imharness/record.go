package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/imharness/imharness/mockserver/tim/transcript"
	"github.com/imharness/imharness/recorder"
)

type recordOptions struct {
	upstream string
	out      string
	addr     string
	quiet    bool

	transport http.RoundTripper // reaches the upstream; nil is http.DefaultTransport (tests pass a mock)
	grace     time.Duration     // how long calls in flight may finish at the end; 0 is 1s
}

func newRecordCmd() *cobra.Command {
	var o recordOptions
	cmd := &cobra.Command{
		Use:   "record --upstream URL --out FILE",
		Short: "Record a real client talking to a real server, through a proxy",
		Long: `Serve a recording proxy on ADDR that forwards every request to UPSTREAM and records the traffic.
Point the client at http://ADDR instead of the real origin (as for serve, see README). Each exchange
is appended to FILE as it completes; on Ctrl-C (or SIGTERM) FILE is rewritten as a whole transcript
in start order, ready for imharness diff.`,
		Example: `  imharness record --upstream https://webim.tim.qq.com --out out/recorded/login.jsonl`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return record(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.upstream, "upstream", "", "the real server, e.g. https://webim.tim.qq.com (required)")
	fl.StringVar(&o.out, "out", "", "transcript file to write, JSON lines (required)")
	fl.StringVar(&o.addr, "addr", "127.0.0.1:8081", "listen address of the proxy")
	fl.BoolVar(&o.quiet, "quiet", false, "do not log each exchange")
	_ = cmd.MarkFlagRequired("upstream")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// record proxies until ctx ends, then writes the transcript.
func record(ctx context.Context, o recordOptions, stdout, stderr io.Writer) error {
	up, err := url.Parse(o.upstream)
	if err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return fmt.Errorf("--upstream: want an http(s) URL such as https://webim.tim.qq.com, got %q", o.upstream)
	}
	if o.grace <= 0 {
		o.grace = time.Second
	}
	log := stderr // one line per exchange, like serve's request log
	if o.quiet {
		log = io.Discard
	}
	// Listen before touching FILE, so a busy address does not clobber an earlier recording.
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	live, err := openLiveLog(o.out, log)
	if err != nil {
		ln.Close()
		return err
	}
	rec := recorder.New(recorder.ForProtocol(transcript.Profile))
	rec.OnExchange(live.add)
	var popts []recorder.ProxyOption
	if o.transport != nil {
		popts = append(popts, recorder.ProxyTransport(o.transport))
	}
	hs := &http.Server{Handler: recorder.NewProxy(up, rec, popts...), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = hs.Serve(ln)
	}()
	fmt.Fprintf(stdout, "imharness: recording on http://%s, forwarding to %s, into %s (Ctrl-C to stop)\n", ln.Addr(), up, o.out)

	<-ctx.Done()
	// Calls in flight get a moment to finish. A long poll held upstream would not: it is cut
	// afterwards, and its 502 is not the client's doing, so the transcript is taken before that.
	sctx, cancel := context.WithTimeout(context.Background(), o.grace)
	_ = hs.Shutdown(sctx)
	cancel()
	liveErr := live.stop()
	exs := rec.Exchanges(nil)
	err = recorder.Save(o.out, exs)
	_ = hs.Close()
	<-served
	if err != nil {
		if liveErr != nil {
			err = fmt.Errorf("%w (and while recording: %v)", err, liveErr)
		}
		return err
	}
	fmt.Fprintf(stdout, "imharness: wrote %d exchange(s) to %s\n", len(exs), o.out)
	return nil
}

// liveLog appends each exchange to the transcript file as it completes, so a crash loses at most
// the calls in flight; the file is rewritten in Seq order at the end.
type liveLog struct {
	mu  sync.Mutex
	f   *os.File // nil once stopped
	log io.Writer
	err error // the first write error
}

func openLiveLog(path string, log io.Writer) (*liveLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := recorder.WriteHeader(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &liveLog{f: f, log: log}, nil
}

func (l *liveLog) add(e recorder.Exchange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	fmt.Fprintf(l.log, "%s %s %s %d\n", e.Conn, e.Method, e.Command, e.Status)
	if l.err == nil {
		l.err = recorder.WriteExchanges(l.f, []recorder.Exchange{e})
	}
}

// stop closes the file; exchanges completing later are ignored.
func (l *liveLog) stop() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return l.err
	}
	if err := l.f.Close(); l.err == nil {
		l.err = err
	}
	l.f = nil
	return l.err
}
