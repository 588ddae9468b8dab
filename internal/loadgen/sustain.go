package loadgen

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// Sample is the fake's resident memory after some time under sustained sendmsg load.
type Sample struct {
	Elapsed time.Duration
	Sent    int64
	RSS     int64
}

// Sustain drives the fake with Clients concurrent sendmsg clients for d and samples its RSS every
// `every`: with bounded state the series levels off instead of growing with the messages sent.
func Sustain(ctx context.Context, c Config, start Start, d, every time.Duration) ([]Sample, error) {
	srv, t, err := start(ctx, "imharness")
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	hc := newHTTP(c.Clients)
	defer hc.CloseIdleConnections()
	setHTTP(t, hc.Client)
	var sent, failed atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for i := range c.Clients {
		u, body, err := t.Sender(ctx, i)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				reply, err := Post(ctx, hc.Client, u, body(n))
				switch {
				case ctx.Err() != nil:
				case err != nil || !okReply(reply):
					failed.Add(1)
				default:
					sent.Add(1)
				}
			}
		}()
	}
	t0 := time.Now()
	var out []Sample
	tick := time.NewTicker(every)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-tick.C:
		case <-ctx.Done():
			done = true
		}
		st, err := srv.Stats()
		if err != nil {
			cancel()
			wg.Wait()
			return out, err
		}
		s := Sample{Elapsed: time.Since(t0).Round(time.Second), Sent: sent.Load(), RSS: st.RSS}
		out = append(out, s)
		c.logf("sustained sendmsg: %s, %d sent, RSS %d MiB", s.Elapsed, s.Sent, s.RSS>>20)
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return out, fmt.Errorf("%d sendmsg calls failed", n)
	}
	return out, nil
}

// PrintSamples writes the RSS series.
func PrintSamples(w io.Writer, ss []Sample) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "elapsed\tmessages sent\tRSS MiB\t")
	for _, s := range ss {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", s.Elapsed, s.Sent, s.RSS>>20)
	}
	_ = tw.Flush()
}
