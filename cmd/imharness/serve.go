package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/state"
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
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the fake IM server until interrupted",
		Long: `Serve the fake Tencent Cloud IM server (v4 long-polling protocol) with one tenant.
Point an SDK at it by rewriting https://webim.tim.qq.com to http://ADDR (see README).
GET /healthz answers 200. One log line per request goes to stderr.`,
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
	fl.DurationVar(&f.hold, "hold", 20*time.Second, "how long a long poll with no news is held (keep under the SDK's 30s)")
	fl.BoolVar(&f.quiet, "quiet", false, "do not log each request")
	return cmd
}

func serve(ctx context.Context, f serveFlags, cmd *cobra.Command) error {
	o := mockserver.Options{Addr: f.addr, Hold: f.hold}
	if !f.quiet {
		o.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	}
	srv := mockserver.New(o)
	if _, err := srv.AddApp(state.Options{SDKAppID: f.sdkappid, Secret: f.secret}); err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "imharness: serving %s (sdkappid %d)\n", srv.URL(), f.sdkappid)
	<-ctx.Done()
	return srv.Close()
}
