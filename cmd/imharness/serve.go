package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/jim"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
)

// Defaults for `serve`, documented in the README.
const (
	defaultAddr     = "127.0.0.1:8080"
	defaultSDKAppID = 1400000001
	defaultSecret   = "imharness-dev-secret-0123456789abcdef"
)

type serveFlags struct {
	addr     string
	sdkappid int64
	secret   string
	hold     time.Duration
	quiet    bool
	scenario string
	token    string
	pprof    bool
	log      string
	limits   state.Limits
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the fake IM server until interrupted",
		Long: `Serve the fake Tencent Cloud IM server (v4 long-polling protocol) with one tenant.
Point an SDK at it by rewriting https://webim.tim.qq.com to http://ADDR (see README).
GET /healthz answers 200; the admin API is under /admin/v1/. One log line per request goes to stderr
(--log all), only for failed calls (--log errors), or none (--log off, --quiet).
The tenant keeps at most --max-messages C2C messages (oldest evicted; --message-age also evicts by
age, as the real service's roaming retention), --max-events long-poll events per user and
--max-upload-bytes of uploaded files (the oldest evicted).
--admin-token (or $IMHARNESS_ADMIN_TOKEN) makes every admin call need "Authorization: Bearer TOKEN";
serve refuses to listen beyond loopback without one, since the admin API can rewrite any tenant.
--scenario loads a scenario at start: into the tenant its tenant: block names (instead of
--sdkappid), else into the --sdkappid tenant.`,
		Example: `  imharness serve
  imharness serve --addr 127.0.0.1:9000 --scenario fixtures/scenarios/seed/two-friends-with-history.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, f, cmd)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", defaultAddr, "listen address")
	fl.Int64Var(&f.sdkappid, "sdkappid", defaultSDKAppID, "SDKAppID of the tenant to create")
	fl.StringVar(&f.secret, "secret", defaultSecret, "secret key the tenant's UserSigs are signed with")
	fl.DurationVar(&f.hold, "hold", tim.DefaultHold, "how long a long poll with no news is held (keep under the SDK's request timeout: 6s up to tim-js-sdk 2.4.x, 30s from 2.5.0)")
	fl.BoolVar(&f.quiet, "quiet", false, "do not log requests (--log off)")
	fl.StringVar(&f.log, "log", "all", "which requests to log to stderr: all, errors (FAIL envelopes, non-2xx) or off")
	fl.IntVar(&f.limits.MaxMessages, "max-messages", state.DefaultMaxMessages, "C2C messages the tenant keeps for roaming and offline sync; the oldest are evicted")
	fl.DurationVar(&f.limits.MessageAge, "message-age", 0, "evict C2C messages older than this, by the tenant clock (e.g. 168h; 0 keeps them)")
	fl.IntVar(&f.limits.MaxEvents, "max-events", state.DefaultMaxEvents, "long-poll events kept per user; the oldest are dropped")
	fl.IntVar(&f.limits.MaxUploadBytes, "max-upload-bytes", state.DefaultMaxUploadBytes, "bytes of uploaded files the tenant stores; the oldest files are evicted")
	fl.StringVar(&f.scenario, "scenario", "", "scenario file (YAML, see fixtures/README.md) to load at start")
	fl.BoolVar(&f.pprof, "pprof", false, "serve the Go profiler under /debug/pprof/ (loopback only; imharness bench uses it)")
	fl.StringVar(&f.token, "admin-token", os.Getenv("IMHARNESS_ADMIN_TOKEN"), "bearer token the admin API requires (default $IMHARNESS_ADMIN_TOKEN); needed to listen beyond loopback")
	return cmd
}

func serve(ctx context.Context, f serveFlags, cmd *cobra.Command) error {
	if f.token == "" && !loopbackOnly(f.addr) {
		return &exitError{code: 2, err: fmt.Errorf("refusing to listen on %s without --admin-token: the admin API there could be "+
			"reached from other machines and rewrites tenants, faults and clocks; pass --admin-token TOKEN "+
			"(or set IMHARNESS_ADMIN_TOKEN), or listen on 127.0.0.1", f.addr)}
	}
	mode, ok := mockserver.ParseLogMode(f.log)
	if !ok {
		return &exitError{code: 2, err: fmt.Errorf("--log %q: want all, errors or off", f.log)}
	}
	if f.quiet {
		mode = mockserver.LogOff
	}
	if f.limits.MaxMessages < 1 || f.limits.MaxEvents < 1 || f.limits.MaxUploadBytes < 1 || f.limits.MessageAge < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--max-messages, --max-events and --max-upload-bytes must be positive, --message-age not negative")}
	}
	var sc *scenario.Scenario
	if f.scenario != "" {
		var err error
		if sc, err = scenario.Load(f.scenario); err != nil {
			return &exitError{code: 2, err: err}
		}
		if sc.Tenant != nil && (cmd.Flags().Changed("sdkappid") || cmd.Flags().Changed("secret")) {
			return &exitError{code: 2, err: fmt.Errorf("%s names its own tenant (sdkappid %d): drop --sdkappid and --secret", f.scenario, sc.Tenant.SDKAppID)}
		}
	}
	out := &lockedWriter{w: cmd.OutOrStdout()}
	if sc != nil {
		start := time.Now()
		// The timeline: pushes fire from timers and calls, so the writer is locked.
		sc.Timeline = func(p scenario.PushStatus) {
			res := "→ " + p.Result
			if p.Error != "" {
				res = "REFUSED: " + p.Error
			}
			fmt.Fprintf(out, "imharness: +%s push %d (%s, %s): %s %s\n",
				time.Since(start).Round(time.Millisecond), p.Index, p.At, p.When, p.Action, res)
		}
	}
	o := mockserver.Options{Addr: f.addr, Hold: f.hold, AdminToken: f.token, Log: mode}
	if mode != mockserver.LogOff {
		o.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	}
	if f.pprof && !loopbackOnly(f.addr) {
		return &exitError{code: 2, err: fmt.Errorf("--pprof exposes the process's internals: listen on 127.0.0.1 to use it")}
	}
	srv := mockserver.New(o)
	if f.pprof {
		mountPprof(srv.Handle)
	}
	app, run, err := addTenant(srv, f, sc)
	if err == nil {
		err = srv.Start(ctx)
	}
	if err != nil {
		_ = srv.Close() // stops the scenario's pending pushes
		return err
	}
	fmt.Fprintf(out, "imharness: serving %s (sdkappid %d)\n", srv.URL(), app.ID())
	guard := ""
	if f.token != "" {
		guard = " (bearer token required)"
	}
	fmt.Fprintf(out, "imharness: admin API %s/admin/v1/%s\n", srv.URL(), guard)
	fmt.Fprintf(out, "imharness: JMessage (socket.io) ws://%s, appkey %s, master secret = the tenant secret; uploads %s%s\n",
		srv.Addr(), app.AppKey(), srv.URL(), jim.UploadPath)
	if run != nil {
		fmt.Fprintf(out, "imharness: scenario %s: users %s; %d fault rule(s), %d push(es)\n",
			f.scenario, strings.Join(app.Users(), ", "), len(run.FaultIDs()), len(run.Pushes()))
	}
	<-ctx.Done()
	return srv.Close()
}

// addTenant creates the served tenant: the scenario's own when it has a tenant block, else the
// flags' one, with the scenario (if any) loaded into it.
func addTenant(srv *mockserver.Server, f serveFlags, sc *scenario.Scenario) (*state.App, *scenario.Run, error) {
	if sc != nil && sc.Tenant != nil {
		return srv.AddAppFromScenario(sc, f.limits) // a limits: block in the scenario wins
	}
	app, err := srv.AddApp(state.Options{SDKAppID: f.sdkappid, Secret: f.secret, Limits: f.limits})
	if err != nil || sc == nil {
		return app, nil, err
	}
	run, err := srv.LoadScenario(app.ID(), sc)
	return app, run, err
}

// loopbackOnly reports whether addr (host:port) can only be reached from this machine: a loopback
// IP or "localhost". An empty host, 0.0.0.0, :: or any other name listens beyond it.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// lockedWriter serialises writes from the pushes' goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
