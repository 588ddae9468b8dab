package loadgen

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Config sizes a benchmark run.
type Config struct {
	Clients    int           // concurrent sendmsg clients
	Duration   time.Duration // of the throughput phase, per kind, split over Rounds
	Rounds     int           // alternating throughput rounds (default 1)
	Users      []int         // held-poll populations, ascending (e.g. 1000, 10000)
	Messages   int           // C2C messages per held-poll population
	Rate       int           // of those messages, per second
	Fanout     int           // group size for the fan-out phase (0: skip)
	FanoutMsgs int           // group messages sent, one at a time
	// SocketClients connected per socket transport (WebSocket, socket.io), SocketMessages sent
	// between them at Rate; 0 clients or a nil Socket skips those phases.
	SocketClients  int
	SocketMessages int
	Socket         func(kind, transport, url string) SocketTarget
	Log            io.Writer // progress lines; nil for none
}

// Start starts a fresh server of one kind ("bare" or "imharness") and returns it with its Target.
type Start func(ctx context.Context, kind string) (*Server, Target, error)

// Row is one line of the result table: the same figure for the baseline and the fake.
type Row struct {
	Metric string
	Unit   string
	Bare   float64
	Fake   float64
	Target string // the goal for this figure, informational
	// Higher says larger is better (throughput); the ratio is fake/bare either way.
	Higher bool
}

// Ratio is fake/bare (0 when the baseline is 0).
func (r Row) Ratio() float64 {
	if r.Bare == 0 {
		return 0
	}
	return r.Fake / r.Bare
}

// Result is one run's table plus what went wrong without stopping it.
type Result struct {
	Rows  []Row
	Notes []string
}

// Run measures both kinds, one phase at a time, baseline first, in this one run.
func Run(ctx context.Context, c Config, start Start) (*Result, error) {
	res := &Result{}
	kinds := []string{"bare", "imharness"}
	// Throughput alternates between the two in several short rounds and takes each one's median:
	// a neighbour's burst on a shared machine then lands on both rather than on one.
	rounds := max(1, c.Rounds)
	per := c
	per.Duration = c.Duration / time.Duration(rounds)
	var runs [2][]throughput
	for r := range rounds {
		for k, kind := range kinds {
			t, err := runThroughput(ctx, per, start, kind)
			if err != nil {
				return nil, fmt.Errorf("%s throughput: %w", kind, err)
			}
			runs[k] = append(runs[k], t)
			c.logf("%s sendmsg, round %d: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", kind, r+1, t.rps, ms(t.p50), ms(t.p99), t.errors)
			if t.errors > 0 {
				res.Notes = append(res.Notes, fmt.Sprintf("%s: %d sendmsg calls failed", kind, t.errors))
			}
		}
	}
	var tput [2]throughput
	for k := range kinds {
		tput[k] = medianOf(runs[k])
	}
	if rounds > 1 {
		res.Notes = append(res.Notes, fmt.Sprintf("sendmsg figures are medians of %d alternating rounds of %s each", rounds, per.Duration))
	}
	res.Rows = append(res.Rows,
		Row{Metric: fmt.Sprintf("sendmsg throughput, %d clients", c.Clients), Unit: "req/s", Bare: tput[0].rps, Fake: tput[1].rps, Target: "≥ 0.8×", Higher: true},
		Row{Metric: "sendmsg latency p50", Unit: "ms", Bare: ms(tput[0].p50), Fake: ms(tput[1].p50)},
		Row{Metric: "sendmsg latency p99", Unit: "ms", Bare: ms(tput[0].p99), Fake: ms(tput[1].p99), Target: "≤ 2×"},
	)

	var polls [2]pollResult
	for k, kind := range kinds {
		r, err := runPolls(ctx, c, start, kind)
		if err != nil {
			return nil, fmt.Errorf("%s held polls: %w", kind, err)
		}
		polls[k] = r
		res.Notes = append(res.Notes, r.notes...)
	}
	for i, n := range c.Users {
		b, f := polls[0].levels[i], polls[1].levels[i]
		tgt := ""
		if n >= 10000 {
			tgt = "p99 ≤ 5 ms"
		}
		res.Rows = append(res.Rows,
			Row{Metric: fmt.Sprintf("send→deliver p50, %d held polls", n), Unit: "ms", Bare: ms(b.p50), Fake: ms(f.p50)},
			Row{Metric: fmt.Sprintf("send→deliver p99, %d held polls", n), Unit: "ms", Bare: ms(b.p99), Fake: ms(f.p99), Target: tgt},
		)
		if b.rssPer > 0 || f.rssPer > 0 {
			tgt = ""
			if n >= 10000 {
				tgt = "≤ 16 KiB"
			}
			res.Rows = append(res.Rows, Row{Metric: fmt.Sprintf("RSS per held poll, %d", n), Unit: "KiB", Bare: b.rssPer / 1024, Fake: f.rssPer / 1024, Target: tgt})
		}
		res.Rows = append(res.Rows, Row{Metric: fmt.Sprintf("goroutines per held poll, %d", n), Unit: "", Bare: b.gPer, Fake: f.gPer})
	}
	if c.Fanout > 0 {
		b, f := polls[0].fanout, polls[1].fanout
		res.Rows = append(res.Rows,
			Row{Metric: fmt.Sprintf("group fan-out to %d, last delivery p50", c.Fanout), Unit: "ms", Bare: ms(b.p50), Fake: ms(f.p50)},
			Row{Metric: fmt.Sprintf("group fan-out to %d, last delivery p99", c.Fanout), Unit: "ms", Bare: ms(b.p99), Fake: ms(f.p99), Target: "p99 ≤ 20 ms"},
		)
	}
	if c.SocketClients > 1 && c.Socket != nil {
		if err := socketRows(ctx, c, start, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (c Config) logf(format string, a ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "bench: "+format+"\n", a...)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Print writes the table.
func (r *Result) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "metric\tunit\tbare net/http\timharness\tratio\tgoal\t")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", row.Metric, row.Unit, num(row.Bare), num(row.Fake), ratio(row), row.Target)
	}
	_ = tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(r Row) string {
	if r.Bare == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", r.Ratio())
}

// --- throughput --------------------------------------------------------------------------------

type throughput struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
}

func runThroughput(ctx context.Context, c Config, start Start, kind string) (throughput, error) {
	srv, t, err := start(ctx, kind)
	if err != nil {
		return throughput{}, err
	}
	defer srv.Stop()
	hc := newHTTP(c.Clients)
	defer hc.CloseIdleConnections()
	setHTTP(t, hc.Client)
	type worker struct {
		url  string
		body func(int) []byte
	}
	ws := make([]worker, c.Clients)
	for i := range ws {
		u, body, err := t.Sender(ctx, i)
		if err != nil {
			return throughput{}, err
		}
		ws[i] = worker{u, body}
	}
	warm := time.Now().Add(c.Duration / 10)
	end := warm.Add(c.Duration)
	lat := make([][]time.Duration, c.Clients)
	var errs atomic.Int64
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				body := w.body(n)
				t0 := time.Now()
				if t0.After(end) || ctx.Err() != nil {
					return
				}
				reply, err := Post(ctx, hc.Client, w.url, body)
				d := time.Since(t0)
				if err != nil || !okReply(reply) {
					errs.Add(1)
				}
				if t0.After(warm) {
					lat[i] = append(lat[i], d)
				}
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(lat...)
	return throughput{rps: float64(len(all)) / c.Duration.Seconds(), p50: quantile(all, 0.50), p99: quantile(all, 0.99), errors: errs.Load()}, nil
}

// medianOf takes each figure's median over rounds.
func medianOf(ts []throughput) throughput {
	rps := make([]float64, len(ts))
	var p50, p99 []time.Duration
	var errs int64
	for i, t := range ts {
		rps[i] = t.rps
		p50, p99 = append(p50, t.p50), append(p99, t.p99)
		errs += t.errors
	}
	slices.Sort(rps)
	return throughput{rps: rps[len(rps)/2], p50: quantile(p50, 0.5), p99: quantile(p99, 0.5), errors: errs}
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// --- held polls and fan-out --------------------------------------------------------------------

type level struct {
	p50, p99     time.Duration
	rssPer, gPer float64
}

type pollResult struct {
	levels []level
	fanout level
	notes  []string
}

// tracker matches deliveries to sends by the message text. A second delivery of a text to the
// same user is a duplicate; deliveries to users nobody expected (the sender's own echo) are ignored.
type tracker struct {
	mu   sync.Mutex
	pend map[string]*pending
	dups int
}

type pending struct {
	t0   time.Time
	want map[int]bool // expected receivers; true once delivered
	left int
	done chan time.Duration
}

func (tr *tracker) expect(text string, users ...int) *pending {
	p := &pending{want: map[int]bool{}, left: len(users), done: make(chan time.Duration, 1)}
	for _, u := range users {
		p.want[u] = false
	}
	tr.mu.Lock()
	tr.pend[text] = p
	tr.mu.Unlock()
	p.t0 = time.Now()
	return p
}

func (tr *tracker) deliver(user int, text string) {
	now := time.Now()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	p := tr.pend[text]
	if p == nil {
		return
	}
	got, expected := p.want[user]
	switch {
	case !expected:
	case got:
		tr.dups++
	default:
		p.want[user] = true
		if p.left--; p.left == 0 {
			p.done <- now.Sub(p.t0)
		}
	}
}

// deliveries collects send→deliver latencies, and the sends that were refused or not delivered
// within 10 s, from many goroutines.
type deliveries struct {
	mu   sync.Mutex
	lats []time.Duration
	lost int
}

func (d *deliveries) lose() {
	d.mu.Lock()
	d.lost++
	d.mu.Unlock()
}

// await waits for p's delivery (or 10 s) and files the outcome.
func (d *deliveries) await(p *pending) {
	select {
	case lat := <-p.done:
		d.mu.Lock()
		d.lats = append(d.lats, lat)
		d.mu.Unlock()
	case <-time.After(10 * time.Second):
		d.lose()
	}
}

func runPolls(ctx context.Context, c Config, start Start, kind string) (pollResult, error) {
	var out pollResult
	srv, t, err := start(ctx, kind)
	if err != nil {
		return out, err
	}
	defer srv.Stop()
	maxUsers := slices.Max(c.Users)
	hc := newHTTP(maxUsers + 64)
	defer hc.CloseIdleConnections()
	setHTTP(t, hc.Client)
	pctx, cancel := context.WithCancel(ctx)
	var loops sync.WaitGroup
	defer func() { cancel(); loops.Wait() }()
	tr := &tracker{pend: map[string]*pending{}}
	before, err := settle(srv)
	if err != nil {
		return out, err
	}
	joined := 0
	rng := rand.New(rand.NewPCG(1, 2)) // the same sends every run
	for li, n := range c.Users {
		if err := t.Join(pctx, &loops, joined, n, tr.deliver); err != nil {
			return out, err
		}
		joined = n
		st, err := settle(srv)
		if err != nil {
			return out, err
		}
		lv := level{gPer: float64(st.Goroutines-before.Goroutines) / float64(n)}
		if st.RSS > 0 {
			lv.rssPer = float64(st.RSS-before.RSS) / float64(n)
		}
		c.logf("%s: %d polls held: RSS %d MiB (+%.1f KiB each), %d goroutines", kind, n, st.RSS>>20, lv.rssPer/1024, st.Goroutines)

		// C2C messages at a steady rate between random online users.
		var dl deliveries
		var sends sync.WaitGroup
		tick := time.NewTicker(time.Second / time.Duration(max(1, c.Rate)))
		for k := range c.Messages {
			<-tick.C
			a, b := rng.IntN(n), rng.IntN(n-1)
			if b >= a {
				b++
			}
			text := fmt.Sprintf("m%d-%d", li, k)
			u, body := t.SendC2C(a, b, text)
			sends.Add(1)
			go func() {
				defer sends.Done()
				p := tr.expect(text, b)
				reply, err := Post(ctx, hc.Client, u, body)
				if err != nil || !okReply(reply) {
					dl.lose()
					return
				}
				dl.await(p)
			}()
		}
		tick.Stop()
		sends.Wait()
		lats, lost := dl.lats, dl.lost
		lv.p50, lv.p99 = quantile(lats, 0.5), quantile(lats, 0.99)
		c.logf("%s: %d held polls: send→deliver p50 %.2f ms p99 %.2f ms (%d messages, %d lost)", kind, n, ms(lv.p50), ms(lv.p99), len(lats), lost)
		if lost > 0 {
			out.notes = append(out.notes, fmt.Sprintf("%s, %d held polls: %d of %d messages not delivered within 10 s", kind, n, lost, c.Messages))
		}
		out.levels = append(out.levels, lv)

		if li == 0 && c.Fanout > 0 && c.Fanout <= n {
			f, err := fanout(ctx, c, t, tr, hc, kind)
			if err != nil {
				return out, err
			}
			out.fanout = f
		}
	}
	if tr.dups > 0 {
		out.notes = append(out.notes, fmt.Sprintf("%s: %d duplicate deliveries", kind, tr.dups))
	}
	return out, nil
}

func fanout(ctx context.Context, c Config, t Target, tr *tracker, hc *httpClient, kind string) (level, error) {
	if err := t.Group(ctx, c.Fanout); err != nil {
		return level{}, err
	}
	members := make([]int, 0, c.Fanout-1)
	for i := 1; i < c.Fanout; i++ {
		members = append(members, i)
	}
	var lats []time.Duration
	for k := range c.FanoutMsgs {
		text := fmt.Sprintf("g%d", k)
		u, body := t.SendGroup(text)
		p := tr.expect(text, members...)
		reply, err := Post(ctx, hc.Client, u, body)
		if err != nil || !okReply(reply) {
			return level{}, fmt.Errorf("group message %d: %v %s", k, err, truncate(reply))
		}
		select {
		case d := <-p.done:
			lats = append(lats, d)
		case <-time.After(10 * time.Second):
			return level{}, fmt.Errorf("group message %d: not every member had it after 10 s", k)
		}
		time.Sleep(50 * time.Millisecond) // let the members' polls settle again
	}
	lv := level{p50: quantile(lats, 0.5), p99: quantile(lats, 0.99)}
	c.logf("%s: fan-out to %d: last delivery p50 %.2f ms p99 %.2f ms (%d messages)", kind, c.Fanout, ms(lv.p50), ms(lv.p99), len(lats))
	return lv, nil
}

// settle waits until the server's goroutine count stops moving (every poll held), then reads it.
func settle(srv *Server) (Stats, error) {
	var last Stats
	for i := range 100 {
		time.Sleep(200 * time.Millisecond)
		st, err := srv.Stats()
		if err != nil {
			return st, err
		}
		if i > 0 && st.Goroutines == last.Goroutines {
			return st, nil
		}
		last = st
	}
	return last, nil
}
