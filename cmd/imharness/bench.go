package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/imharness/imharness/internal/loadgen"
	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/state"
)

type benchFlags struct {
	clients    int
	duration   time.Duration
	rounds     int
	users      []int
	messages   int
	rate       int
	fanout     int
	fanoutMsgs int
	sockets    int
	sockMsgs   int
	hold       time.Duration
	serveArgs  string
	inProcess  bool
	sustain    time.Duration
	every      time.Duration
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the fake against a bare net/http server on this machine and print the ratios",
		Long: `Start a bare net/http server and the fake (imharness serve), each as its own process on
loopback, one phase at a time, and drive both with the same load generator over their protocols:
sendmsg throughput and latency with many concurrent clients; send→deliver latency through held
long polls; RSS and goroutines per held long poll; group fan-out (send to the last member's
delivery). The table shows each figure for both and the ratio fake/bare; the goals are the
project's, printed for reference (nothing here passes or fails). Run baseline and fake in the same
run: on a shared machine absolute figures move with the neighbours' load, ratios much less.`,
		Example: `  imharness bench
  imharness bench --users 1000 --clients 20 --duration 3s
  imharness bench --serve-args "--log=off"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return bench(ctx, f, cmd)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.clients, "clients", 50, "concurrent sendmsg clients (one connection each)")
	fl.DurationVar(&f.duration, "duration", 6*time.Second, "sendmsg measurement time per server, split over --rounds")
	fl.IntVar(&f.rounds, "rounds", 3, "alternating sendmsg rounds (bare, fake, bare, …); the table shows medians")
	fl.IntSliceVar(&f.users, "users", []int{1000, 10000}, "held long-poll populations, ascending")
	fl.IntVar(&f.messages, "messages", 1000, "C2C messages sent per population")
	fl.IntVar(&f.rate, "rate", 500, "C2C messages per second")
	fl.IntVar(&f.fanout, "fanout", 1000, "group size of the fan-out phase (0 skips it)")
	fl.IntVar(&f.fanoutMsgs, "fanout-messages", 40, "group messages sent, one at a time")
	fl.IntVar(&f.sockets, "sockets", 1000, "clients connected per socket transport (Tencent IM over WebSocket, JMessage over socket.io; 0 skips them)")
	fl.IntVar(&f.sockMsgs, "socket-messages", 500, "C2C messages sent per socket transport, at --rate")
	fl.DurationVar(&f.hold, "hold", 25*time.Second, "long-poll hold of both servers")
	fl.StringVar(&f.serveArgs, "serve-args", "", "extra flags for imharness serve (space-separated)")
	fl.DurationVar(&f.sustain, "sustain", 0, "instead of the table: drive the fake with sendmsg this long and print its RSS every --every (memory must level off)")
	fl.DurationVar(&f.every, "every", 5*time.Second, "RSS sampling interval of --sustain")
	fl.BoolVar(&f.inProcess, "in-process", false, "run both servers inside this process (no RSS or goroutine figures; for tests)")
	return cmd
}

const (
	benchSDKAppID = 1400000099
	benchSecret   = "imharness-bench-secret"
)

func bench(ctx context.Context, f benchFlags, cmd *cobra.Command) error {
	for i, n := range f.users {
		if n < 2 || (i > 0 && n <= f.users[i-1]) {
			return &exitError{code: 2, err: fmt.Errorf("--users %v: want ascending populations of at least 2", f.users)}
		}
	}
	if f.fanout == 1 || f.fanout > f.users[0] {
		return &exitError{code: 2, err: fmt.Errorf("--fanout %d: want 0 or 2..%d (the first population)", f.fanout, f.users[0])}
	}
	if f.sockets == 1 || f.sockets < 0 || (f.sockets > 0 && f.sockMsgs < 1) {
		return &exitError{code: 2, err: fmt.Errorf("--sockets %d: want 0 (skip) or at least 2 clients, with --socket-messages ≥ 1", f.sockets)}
	}
	if f.clients < 1 || f.duration <= 0 || f.messages < 1 || f.rate < 1 || f.rounds < 1 {
		return &exitError{code: 2, err: fmt.Errorf("--clients, --duration, --rounds, --messages and --rate must be positive")}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	start := func(ctx context.Context, kind string) (*loadgen.Server, loadgen.Target, error) {
		if f.inProcess {
			return startInProcess(ctx, kind, f.hold)
		}
		var srv *loadgen.Server
		var err error
		if kind == "bare" {
			srv, err = loadgen.StartProcess(ctx, exe, "bench-bare", "--hold", f.hold.String())
		} else {
			args := []string{"serve", "--addr", "127.0.0.1:0", "--hold", f.hold.String(), "--pprof",
				"--sdkappid", strconv.FormatInt(benchSDKAppID, 10), "--secret", benchSecret, "--admin-token="}
			srv, err = loadgen.StartProcess(ctx, exe, append(args, strings.Fields(f.serveArgs)...)...)
		}
		if err != nil {
			return nil, nil, err
		}
		return srv, target(kind, srv.URL), nil
	}
	out := cmd.OutOrStdout()
	if f.sustain > 0 {
		fmt.Fprintf(out, "imharness bench: sustained sendmsg, %d clients for %s; serve %s\n", f.clients, f.sustain, strings.TrimSpace("--pprof "+f.serveArgs))
		ss, err := loadgen.Sustain(ctx, loadgen.Config{Clients: f.clients, Log: cmd.ErrOrStderr()}, start, f.sustain, f.every)
		loadgen.PrintSamples(out, ss)
		return err
	}
	fmt.Fprintf(out, "imharness bench: %d CPUs; %d clients × %s in %d rounds; held polls %v, %d messages at %d/s; fan-out %d × %d; sockets %d, %d messages; hold %s; serve %s\n",
		runtimeCPUs(), f.clients, f.duration, f.rounds, f.users, f.messages, f.rate, f.fanout, f.fanoutMsgs, f.sockets, f.sockMsgs, f.hold, strings.TrimSpace("--pprof "+f.serveArgs))
	res, err := loadgen.Run(ctx, loadgen.Config{Clients: f.clients, Duration: f.duration, Rounds: f.rounds, Users: f.users, Messages: f.messages,
		Rate: f.rate, Fanout: f.fanout, FanoutMsgs: f.fanoutMsgs, SocketClients: f.sockets, SocketMessages: f.sockMsgs,
		Socket: socketTarget, Log: cmd.ErrOrStderr()}, start)
	if err != nil {
		return err
	}
	res.Print(out)
	fmt.Fprintln(out, "ratio = imharness / bare; on a shared machine repeat a run before trusting a change under ~20%.")
	return nil
}

func target(kind, url string) loadgen.Target {
	if kind == "bare" {
		return &loadgen.BareTarget{Base: url, HTTP: http.DefaultClient}
	}
	return loadgen.NewTIM(url, http.DefaultClient, benchSDKAppID, benchSecret)
}

// socketTarget drives a socket transport of one server: the fake's tenant, or the bare relays.
func socketTarget(kind, transport, url string) loadgen.SocketTarget {
	switch {
	case transport == loadgen.TransportWS && kind == "bare":
		return &loadgen.WSClients{Base: url}
	case transport == loadgen.TransportWS:
		return &loadgen.WSClients{Base: url, SDKAppID: benchSDKAppID, Secret: benchSecret}
	case kind == "bare":
		return &loadgen.SIOClients{Base: url}
	default:
		return &loadgen.SIOClients{Base: url, AppKey: state.DefaultAppKey(benchSDKAppID), Secret: benchSecret}
	}
}

// bareMux is the bare baseline's handler: net/http long polls, a coder/websocket relay on /ws
// and a socket.io relay on /socket.io/. close ends the relays' sockets.
func bareMux(hold time.Duration) (mux *http.ServeMux, close func()) {
	mux = http.NewServeMux()
	mux.Handle("/", loadgen.NewBare(hold))
	ws, sio := loadgen.NewBareWS(), loadgen.NewBareSIO()
	mux.Handle("/ws", ws)
	mux.Handle("/socket.io/", sio)
	return mux, func() { sio.Close(); ws.Close() }
}

// startInProcess runs a server inside this process (tests): no process of its own to measure.
func startInProcess(ctx context.Context, kind string, hold time.Duration) (*loadgen.Server, loadgen.Target, error) {
	if kind == "bare" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		mux, closeRelays := bareMux(hold)
		hs := &http.Server{Handler: mux}
		done := make(chan struct{})
		go func() { defer close(done); _ = hs.Serve(ln) }()
		url := "http://" + ln.Addr().String()
		return &loadgen.Server{URL: url, Stats: func() (loadgen.Stats, error) { return loadgen.Stats{}, nil },
			Stop: func() error { closeRelays(); err := hs.Close(); <-done; return err }}, target(kind, url), nil
	}
	srv := mockserver.New(mockserver.Options{Hold: hold})
	if _, err := srv.AddApp(state.Options{SDKAppID: benchSDKAppID, Secret: benchSecret}); err != nil {
		return nil, nil, err
	}
	if err := srv.Start(ctx); err != nil {
		return nil, nil, err
	}
	return &loadgen.Server{URL: srv.URL(), Stats: func() (loadgen.Stats, error) { return loadgen.Stats{}, nil }, Stop: srv.Close},
		target(kind, srv.URL()), nil
}

// newBenchBareCmd is the baseline server `bench` starts as its own process.
func newBenchBareCmd() *cobra.Command {
	var hold time.Duration
	cmd := &cobra.Command{
		Use:    "bench-bare",
		Short:  "The bare net/http baseline of `imharness bench` (started by it)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			mux, closeRelays := bareMux(hold)
			defer closeRelays()
			mountPprof(mux.Handle)
			hs := &http.Server{Handler: mux}
			go func() { <-ctx.Done(); _ = hs.Close() }()
			fmt.Fprintf(cmd.OutOrStdout(), "imharness: serving http://%s (bare baseline)\n", ln.Addr())
			if err := hs.Serve(ln); err != http.ErrServerClosed {
				return err
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&hold, "hold", 25*time.Second, "long-poll hold")
	return cmd
}
