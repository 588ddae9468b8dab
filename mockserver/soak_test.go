package mockserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/imharness/imharness/internal/dur"
	"github.com/imharness/imharness/internal/loadgen"
	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
)

// The soak's size: the short form runs in `make test`, `make soak` passes -soak.long.
var (
	soakLong = flag.Bool("soak.long", false, "run the long soak (make soak) and print its summary")
	soakSeed = flag.Uint64("soak.seed", 1, "seed of the soak's users, messages and faults")
)

// TestSoak: users chat over the real protocol (HTTP long polling) while fault rules delay, drop,
// truncate, hold and 502 their sendmsg and longpolling calls. Clients behave as the SDK does:
// they retry a failed send with the same MsgSeq and MsgRandom and repeat a failed poll from the same
// cursor. Every message must reach its receiver exactly once and in the order sent, the stored
// history must hold each once in order, event queues must be gapless, and no goroutine may be left
// (TestMain's goleak).
func TestSoak(t *testing.T) {
	users, messages := 6, 240
	if *soakLong {
		users, messages = 40, 8000
	}
	rng := rand.New(rand.NewPCG(*soakSeed, 14))
	srv := mockserver.New(mockserver.Options{Hold: 200 * time.Millisecond})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	app, err := srv.AddApp(state.Options{SDKAppID: appID, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	rules := srv.Faults(appID)
	// Periods are primes, so that each rule gets calls of its own (the first due rule acts).
	between := func(a, b int) int { return []int{a, b}[rng.IntN(2)] }
	for _, r := range []fault.Rule{
		{Match: fault.Match{Command: "openim/sendmsg"}, Every: between(5, 7), Delay: dur.Duration(5 * time.Millisecond)},
		{Match: fault.Match{Command: "openim/sendmsg"}, Every: between(11, 13), Truncate: true},
		{Match: fault.Match{Command: "openim/sendmsg", Transport: "http"}, Every: between(17, 19), Status: 502},
		{Match: fault.Match{Command: "openim/sendmsg"}, Every: between(23, 29), Drop: true},
		{Match: fault.Match{Command: "openim/longpolling"}, Every: between(5, 7), Delay: dur.Duration(10 * time.Millisecond)},
		{Match: fault.Match{Command: "openim/longpolling"}, Every: between(11, 13), Truncate: true},
		{Match: fault.Match{Command: "openim/longpolling", Transport: "http"}, Every: between(17, 19), Status: 502},
		{Match: fault.Match{Command: "openim/longpolling"}, Every: between(23, 29), Drop: true},
		{Match: fault.Match{Command: "openim/longpolling"}, Every: between(31, 37), Hold: dur.Duration(300 * time.Millisecond)},
	} {
		if _, err := rules.Add(r); err != nil {
			t.Fatal(err)
		}
	}

	tr := loadgen.NewTransport(2 * users)
	defer tr.CloseIdleConnections()
	hc := &httpClient{tr: tr, timeout: 2 * time.Second}
	c := &loadgen.Client{Base: srv.URL(), SDKAppID: appID, Secret: secret, HTTP: hc.client()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	name := func(i int) string { return fmt.Sprintf("user%02d", i) }

	// received[to][from] is what `to` got from `from`, in arrival order.
	var mu sync.Mutex
	received := make([]map[string][]string, users)
	var retries struct{ send, poll int }
	sessions := make([]*loadgen.Session, users)
	for i := range users {
		received[i] = map[string][]string{}
		s, err := retry(ctx, func() (*loadgen.Session, error) { return c.Login(ctx, name(i)) })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := retry(ctx, func() ([]loadgen.SyncMsg, error) { return s.Sync(ctx) }); err != nil {
			t.Fatal(err)
		}
		if _, err := retry(ctx, func() (bool, error) { return true, s.OpenPoll(ctx) }); err != nil {
			t.Fatal(err)
		}
		sessions[i] = s
	}
	var loops sync.WaitGroup
	for i, s := range sessions {
		loops.Add(1)
		go func() {
			defer loops.Done()
			for ctx.Err() == nil {
				evs, err := s.Poll(ctx) // the cursor moves only past a reply read whole
				mu.Lock()
				if err != nil && ctx.Err() == nil {
					retries.poll++
				}
				for _, e := range evs {
					for _, m := range e.C2cMsgArray {
						received[i][m.From_Account] = append(received[i][m.From_Account], m.Text())
					}
				}
				mu.Unlock()
			}
		}()
	}

	// Senders: each sends its share one at a time to random peers, retrying until acknowledged.
	sent := map[[2]int][]string{}
	plan := make([][]int, users)
	for k := range messages {
		from := k % users
		to := rng.IntN(users - 1)
		if to >= from {
			to++
		}
		plan[from] = append(plan[from], to)
	}
	randoms := make([][]uint32, users)
	for i := range users {
		for range plan[i] {
			randoms[i] = append(randoms[i], rng.Uint32())
		}
	}
	start := time.Now()
	var senders sync.WaitGroup
	errs := make(chan error, users)
	for i := range users {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for k, to := range plan[i] {
				text := fmt.Sprintf("%s>%s#%d", name(i), name(to), k)
				n, err := retryN(ctx, func() error { return sessions[i].SendC2C(ctx, name(to), uint64(k+1), randoms[i][k], text) })
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				retries.send += n
				sent[[2]int{i, to}] = append(sent[[2]int{i, to}], text)
				mu.Unlock()
			}
		}()
	}
	senders.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Wait until every receiver has at least what was sent to it (or give up after a generous
	// bound: a message that never arrives is the failure this reports, not a slow one).
	complete := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for k, texts := range sent {
			if len(received[k[1]][name(k[0])]) < len(texts) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(60 * time.Second); !complete() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	cancel()
	loops.Wait()

	// Exactly once, in order, per conversation.
	lost, dup := 0, 0
	for k, texts := range sent {
		got := received[k[1]][name(k[0])]
		if !slices.Equal(got, texts) {
			t.Errorf("%s → %s: received %d messages %v\nsent %d %v", name(k[0]), name(k[1]), len(got), head(got), len(texts), head(texts))
		}
		lost += max(0, len(texts)-len(got))
		dup += max(0, len(got)-len(texts))
	}
	// The server's own records agree: history holds each message once, in send order (both
	// directions interleaved, so compare per direction), and event queues have no gap.
	for a := range users {
		for b := a + 1; b < users; b++ {
			var ab, ba []string
			for _, m := range app.C2CHistory(name(a), name(b)) {
				txt := textOf(m)
				if m.From == name(a) {
					ab = append(ab, txt)
				} else {
					ba = append(ba, txt)
				}
			}
			if !slices.Equal(ab, sent[[2]int{a, b}]) || !slices.Equal(ba, sent[[2]int{b, a}]) {
				t.Errorf("stored history %s/%s differs from what was sent: %d+%d stored, %d+%d sent",
					name(a), name(b), len(ab), len(ba), len(sent[[2]int{a, b}]), len(sent[[2]int{b, a}]))
			}
		}
	}
	for i := range users {
		evs := app.EventsOf(name(i))
		for j := 1; j < len(evs); j++ {
			if evs[j].Seq != evs[j-1].Seq+1 {
				t.Errorf("%s's events jump from Seq %d to %d", name(i), evs[j-1].Seq, evs[j].Seq)
				break
			}
		}
	}
	var hits int
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	if *soakLong || testing.Verbose() {
		fmt.Fprintf(tw, "soak (seed %d)\tusers\tmessages\tsend retries\tpoll retries\tlost\tduplicated\ttook\t\n", *soakSeed)
		fmt.Fprintf(tw, "\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", users, messages, retries.send, retries.poll, lost, dup, took.Round(time.Millisecond))
		fmt.Fprintln(tw, "fault rule\tcommand\taction\tevery\tcalls seen\thits\t\t\t")
	}
	for _, e := range rules.List() {
		hits += e.Hits
		if *soakLong || testing.Verbose() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t\t\t\n", e.ID, e.Match.Command, action(e.Rule), e.Every, e.Seen, e.Hits)
		}
	}
	_ = tw.Flush()
	if retries.send == 0 || retries.poll == 0 || hits == 0 {
		t.Errorf("the faults never made a client retry (send %d, poll %d, hits %d): the soak tested nothing", retries.send, retries.poll, hits)
	}
}

func action(r fault.Rule) string {
	switch {
	case r.Truncate:
		return "truncate"
	case r.Drop:
		return "drop"
	case r.Hold > 0:
		return "hold " + r.Hold.String()
	case r.Status != 0:
		return fmt.Sprint(r.Status)
	}
	return "delay " + r.Delay.String()
}

func textOf(m state.C2CMessage) string {
	if len(m.Body) == 0 {
		return ""
	}
	var s struct{ Text string }
	_ = jsonUnmarshal(m.Body[0].Content, &s)
	return s.Text
}

func head(s []string) []string {
	if len(s) > 6 {
		return append(s[:3:3], "…", s[len(s)-2], s[len(s)-1])
	}
	return s
}

// retry repeats a call the faults broke, as an SDK does, until it succeeds or fails with a FAIL
// envelope (the server's deliberate answer, which a retry would not change).
func retry[T any](ctx context.Context, f func() (T, error)) (T, error) {
	for {
		v, err := f()
		var se *loadgen.ServerError
		if err == nil || ctx.Err() != nil || (errors.As(err, &se) && se.Code != 0) {
			return v, err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func retryN(ctx context.Context, f func() error) (int, error) {
	n := 0
	_, err := retry(ctx, func() (bool, error) {
		err := f()
		if err != nil {
			n++
		}
		return true, err
	})
	return n, err
}

type httpClient struct {
	tr      *http.Transport
	timeout time.Duration
}

// client gives up on a call after the timeout, as the SDK's request timeout does (a held call).
func (h *httpClient) client() *http.Client { return &http.Client{Transport: h.tr, Timeout: h.timeout} }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
