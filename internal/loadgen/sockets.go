package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// The socket transports: Tencent IM over WebSocket (tim-js-sdk ≥ 2.13) and JMessage over socket.io
// (Engine.IO v3). Each phase connects N clients, reads the server's RSS and goroutines per
// connected client, then sends C2C messages at a steady rate between random clients and times
// each from send to delivery. The baselines are relays on the same libraries (a bare
// coder/websocket server and a bare zishang520/socket.io server, in the bare process) that pass a
// message from one socket to another and do nothing else.

// Socket transports, as named in the table.
const (
	TransportWS       = "WebSocket"
	TransportSocketIO = "socket.io"
)

// SocketTarget is one server as a socket transport's clients see it.
type SocketTarget interface {
	// Connect brings client i online (logged in, ready to receive); every message text it
	// receives is reported to deliver.
	Connect(ctx context.Context, i int, deliver func(user int, text string)) (SocketClient, error)
}

// SocketClient is one connected client.
type SocketClient interface {
	// Send sends text to client to; it returns once the message is written (not answered).
	Send(ctx context.Context, to int, text string) error
	// Failed counts sends the server refused (answers with an error code).
	Failed() int
	Close()
}

type sockResult struct {
	lv     level
	notes  []string
	failed int
}

func runSockets(ctx context.Context, c Config, start Start, kind, transport string) (sockResult, error) {
	var out sockResult
	srv, _, err := start(ctx, kind)
	if err != nil {
		return out, err
	}
	defer srv.Stop()
	t := c.Socket(kind, transport, srv.URL)
	if t == nil {
		return out, fmt.Errorf("no %s client for %s", transport, kind)
	}
	before, err := settle(srv)
	if err != nil {
		return out, err
	}
	n := c.SocketClients
	tr := &tracker{pend: map[string]*pending{}}
	clients := make([]SocketClient, n)
	defer func() {
		for _, cl := range clients {
			if cl != nil {
				cl.Close()
			}
		}
		if closer, ok := t.(interface{ Close() }); ok { // what the clients shared (a pinger)
			closer.Close()
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range clients {
		g.Go(func() error {
			cl, err := t.Connect(gctx, i, tr.deliver)
			if err != nil {
				return fmt.Errorf("%s client %d: %w", transport, i, err)
			}
			clients[i] = cl
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return out, err
	}
	st, err := settle(srv)
	if err != nil {
		return out, err
	}
	out.lv.gPer = float64(st.Goroutines-before.Goroutines) / float64(n)
	if st.RSS > 0 {
		out.lv.rssPer = float64(st.RSS-before.RSS) / float64(n)
	}
	c.logf("%s %s: %d clients connected: RSS %d MiB (+%.1f KiB each), %d goroutines", kind, transport, n, st.RSS>>20, out.lv.rssPer/1024, st.Goroutines)

	rng := rand.New(rand.NewPCG(3, 4)) // the same sends every run
	var dl deliveries
	var sends sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(max(1, c.Rate)))
	for k := range c.SocketMessages {
		<-tick.C
		a, b := rng.IntN(n), rng.IntN(n-1)
		if b >= a {
			b++
		}
		text := fmt.Sprintf("s%d", k)
		p := tr.expect(text, b)
		if err := clients[a].Send(ctx, b, text); err != nil {
			dl.lose()
			continue
		}
		sends.Add(1)
		go func() {
			defer sends.Done()
			dl.await(p)
		}()
	}
	tick.Stop()
	sends.Wait()
	lats, lost := dl.lats, dl.lost
	for _, cl := range clients {
		out.failed += cl.Failed()
	}
	out.lv.p50, out.lv.p99 = quantile(lats, 0.5), quantile(lats, 0.99)
	c.logf("%s %s: send→deliver p50 %.2f ms p99 %.2f ms (%d messages, %d lost, %d refused)", kind, transport, ms(out.lv.p50), ms(out.lv.p99), len(lats), lost, out.failed)
	if lost > 0 || out.failed > 0 {
		out.notes = append(out.notes, fmt.Sprintf("%s %s: %d of %d messages not delivered within 10 s, %d refused", kind, transport, lost, c.SocketMessages, out.failed))
	}
	if tr.dups > 0 {
		out.notes = append(out.notes, fmt.Sprintf("%s %s: %d duplicate deliveries", kind, transport, tr.dups))
	}
	return out, nil
}

// socketRows measures each socket transport on both servers and returns the table rows.
func socketRows(ctx context.Context, c Config, start Start, res *Result) error {
	for _, transport := range []string{TransportWS, TransportSocketIO} {
		var r [2]sockResult
		for k, kind := range []string{"bare", "imharness"} {
			x, err := runSockets(ctx, c, start, kind, transport)
			if err != nil {
				return fmt.Errorf("%s %s: %w", kind, transport, err)
			}
			r[k] = x
			res.Notes = append(res.Notes, x.notes...)
		}
		n := c.SocketClients
		res.Rows = append(res.Rows,
			Row{Metric: fmt.Sprintf("%s send→deliver p50, %d clients", transport, n), Unit: "ms", Bare: ms(r[0].lv.p50), Fake: ms(r[1].lv.p50)},
			Row{Metric: fmt.Sprintf("%s send→deliver p99, %d clients", transport, n), Unit: "ms", Bare: ms(r[0].lv.p99), Fake: ms(r[1].lv.p99)},
		)
		if r[0].lv.rssPer > 0 || r[1].lv.rssPer > 0 {
			res.Rows = append(res.Rows, Row{Metric: fmt.Sprintf("%s RSS per connected client, %d", transport, n), Unit: "KiB", Bare: r[0].lv.rssPer / 1024, Fake: r[1].lv.rssPer / 1024})
		}
		res.Rows = append(res.Rows, Row{Metric: fmt.Sprintf("%s goroutines per connected client, %d", transport, n), Bare: r[0].lv.gPer, Fake: r[1].lv.gPer})
	}
	res.Notes = append(res.Notes, "WebSocket baseline: a bare coder/websocket relay; socket.io baseline: a bare zishang520/socket.io relay (Engine.IO v3); both pass a message from one socket to another and do nothing else")
	return nil
}
