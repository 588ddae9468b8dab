package recorder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// DiffOption tunes Diff (and Golden).
type DiffOption func(*diffConfig)

type diffConfig struct {
	profile       Profile
	rules         Rules
	keepIdlePolls bool
	ignoreNotes   bool
	ignore        []string
	pollStreams   bool
	perCommand    bool
}

// WithProfile reads the transcripts as the protocol's: its default normalisation rules, its idle
// polls and its long polls (see Profile). Without it nothing is normalised or left out.
func WithProfile(p Profile) DiffOption { return func(c *diffConfig) { c.profile = p } }

// WithRules normalises both sides with rules instead of the profile's.
func WithRules(rules Rules) DiffOption { return func(c *diffConfig) { c.rules = rules } }

// KeepIdlePolls compares every long poll. By default a poll that merely returned "no news" (the
// profile's IdlePoll) is left out on both sides, because how many of those happen depends on
// timing.
func KeepIdlePolls() DiffOption { return func(c *diffConfig) { c.keepIdlePolls = true } }

// IgnoreNotes leaves note exchanges out of the comparison.
func IgnoreNotes() DiffOption { return func(c *diffConfig) { c.ignoreNotes = true } }

// IgnoreCommands leaves exchanges of these commands (path.Match globs, "sns/*") out.
func IgnoreCommands(globs ...string) DiffOption {
	return func(c *diffConfig) { c.ignore = append(c.ignore, globs...) }
}

// SeparatePolls compares each Conn's long polls as a sequence of their own, so their position
// relative to the Conn's other calls (which depends on when events arrive) does not matter.
func SeparatePolls() DiffOption { return func(c *diffConfig) { c.pollStreams = true } }

// OrderPerCommand compares each Conn's exchanges per command: the order among one command's calls
// is enforced, the interleaving of different commands is not. SDKs issue many calls at once (after
// login, tim-js-sdk sends seven in parallel), so their arrival order is not part of the protocol.
func OrderPerCommand() DiffOption { return func(c *diffConfig) { c.perCommand = true } }

func newDiffConfig(opts []DiffOption) *diffConfig {
	c := &diffConfig{}
	for _, o := range opts {
		o(c)
	}
	if c.rules == nil {
		c.rules = c.profile.Rules
	}
	return c
}

// Prepare is what Diff compares: the transcript without the exchanges the options leave out,
// normalised. Golden files are stored in this form.
func Prepare(exs []Exchange, opts ...DiffOption) ([]Exchange, error) {
	return newDiffConfig(opts).prepare(exs)
}

func (c *diffConfig) prepare(exs []Exchange) ([]Exchange, error) {
	n, err := c.rules.Compile()
	if err != nil {
		return nil, err
	}
	n.PerCommand = c.perCommand
	kept := make([]Exchange, 0, len(exs))
	for _, e := range exs {
		e = e.Upgraded()
		if c.skip(e) {
			continue
		}
		kept = append(kept, e)
	}
	return n.Normalize(kept), nil
}

func (c *diffConfig) skip(e Exchange) bool {
	if e.Kind == KindNote && c.ignoreNotes {
		return true
	}
	for _, g := range c.ignore {
		if ok, _ := path.Match(g, e.Command); ok {
			return true
		}
	}
	return !c.keepIdlePolls && c.profile.IdlePoll != nil && c.profile.IdlePoll(e)
}

// DiffKind says what kind of difference a Difference is.
type DiffKind string

// Kinds of Difference.
const (
	Changed DiffKind = "changed" // the exchange is there on both sides, with different fields
	Missing DiffKind = "missing" // in want, not in got
	Extra   DiffKind = "extra"   // in got, not in want
	Moved   DiffKind = "moved"   // identical on both sides, but at another place in the Conn's order
)

// Difference is one exchange that differs.
type Difference struct {
	Kind      DiffKind
	Conn      string // the Conn (with " (long poll)" when compared as its own stream)
	Command   string
	WantIndex int // position in the Conn's sequence in want (0-based), -1 if none
	GotIndex  int // position in got, -1 if none
	WantSeq   int // Seq after normalisation, 0 if none
	GotSeq    int
	Fields    []FieldDiff // for Changed
}

// FieldDiff is one differing value, found at Path
// ("response.EventArray[0].C2cMsgArray[0].MsgBody[0].MsgContent.Text").
type FieldDiff struct {
	Path string
	Want string // the expected value as JSON, or "(absent)"
	Got  string
}

// Result is what Diff found.
type Result struct {
	Diffs []Difference
	Err   error // the rules did not compile
	Want  int   // exchanges compared on each side
	Got   int
}

// Equal reports whether the transcripts match.
func (r Result) Equal() bool { return r.Err == nil && len(r.Diffs) == 0 }

// Count returns how many differences of kind k there are.
func (r Result) Count(k DiffKind) int {
	n := 0
	for _, d := range r.Diffs {
		if d.Kind == k {
			n++
		}
	}
	return n
}

// String renders the result like a code review: changed exchanges with their field paths and
// values, then the missing, extra and moved exchanges of each Conn by command.
func (r Result) String() string {
	if r.Err != nil {
		return "cannot compare: " + r.Err.Error()
	}
	if r.Equal() {
		return fmt.Sprintf("transcripts match (%d exchanges)", r.Want)
	}
	var b strings.Builder
	var parts []string
	for _, k := range []DiffKind{Changed, Missing, Extra, Moved} {
		if n := r.Count(k); n > 0 {
			label := map[DiffKind]string{Changed: "changed", Missing: "missing", Extra: "extra", Moved: "out of order"}[k]
			parts = append(parts, fmt.Sprintf("%d %s", n, label))
		}
	}
	fmt.Fprintf(&b, "transcripts differ (want %d exchanges, got %d): %s\n", r.Want, r.Got, strings.Join(parts, ", "))
	for _, d := range r.Diffs {
		if d.Kind != Changed {
			continue
		}
		fmt.Fprintf(&b, "\n%s, exchange %s: %s\n", d.Conn, position(d), d.Command)
		for _, f := range d.Fields {
			fmt.Fprintf(&b, "    %s\n        want: %s\n        got:  %s\n", f.Path, f.Want, f.Got)
		}
	}
	heads := map[DiffKind]string{
		Missing: "missing exchanges (expected, not seen)",
		Extra:   "extra exchanges (seen, not expected)",
		Moved:   "exchanges out of order",
	}
	for _, k := range []DiffKind{Missing, Extra, Moved} {
		conn := ""
		for _, d := range r.Diffs {
			if d.Kind != k {
				continue
			}
			if d.Conn != conn {
				conn = d.Conn
				fmt.Fprintf(&b, "\n%s: %s\n", conn, heads[k])
			}
			fmt.Fprintf(&b, "    %-10s %s\n", position(d), d.Command)
		}
	}
	return b.String()
}

func position(d Difference) string {
	switch {
	case d.WantIndex < 0:
		return fmt.Sprintf("got #%d", d.GotIndex+1)
	case d.GotIndex < 0:
		return fmt.Sprintf("#%d", d.WantIndex+1)
	case d.WantIndex == d.GotIndex:
		return fmt.Sprintf("#%d", d.WantIndex+1)
	case d.Kind == Moved:
		return fmt.Sprintf("#%d→#%d", d.WantIndex+1, d.GotIndex+1)
	default:
		return fmt.Sprintf("#%d (got #%d)", d.WantIndex+1, d.GotIndex+1)
	}
}

// Diff compares two transcripts after normalising both (the profile's rules unless WithRules). Each Conn
// is compared as its own ordered sequence, so how the Conns interleaved does not matter but the
// order within a Conn does. Exchanges are paired by command along the longest common
// subsequence; paired exchanges are compared field by field with go-cmp.
func Diff(want, got []Exchange, opts ...DiffOption) Result {
	c := newDiffConfig(opts)
	w, err := c.prepare(want)
	if err != nil {
		return Result{Err: err}
	}
	g, err := c.prepare(got)
	if err != nil {
		return Result{Err: err}
	}
	res := Result{Want: len(w), Got: len(g)}
	ws, gs := c.streams(w), c.streams(g)
	var keys []string
	for k := range ws {
		keys = append(keys, k)
	}
	for k := range gs {
		if _, ok := ws[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		res.Diffs = append(res.Diffs, diffStream(k, ws[k], gs[k])...)
	}
	return res
}

func (c *diffConfig) streams(exs []Exchange) map[string][]Exchange {
	m := map[string][]Exchange{}
	for _, e := range exs {
		k := e.Conn
		switch {
		case c.perCommand:
			k += " " + e.Command
		case c.pollStreams && c.profile.Poll != nil && c.profile.Poll(e):
			k += " (long poll)"
		}
		m[k] = append(m[k], e)
	}
	return m
}

// view is the part of an exchange that is compared.
type view struct {
	Kind      string
	Transport string
	Command   string
	Method    string
	Path      string
	Status    int
	App       string
	User      string
	Query     map[string]string
	Request   any
	Response  any
	Note      string
}

func viewOf(e Exchange) view {
	return view{Kind: e.Kind, Transport: e.Transport, Command: e.Command, Method: e.Method, Path: e.Path, Status: e.Status,
		App: e.App, User: e.User, Query: nilIfEmpty(e.Query), Request: decodeBody(e.Request),
		Response: decodeBody(e.Response), Note: e.Note}
}

func decodeBody(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return string(raw)
	}
	return v
}

func diffStream(conn string, want, got []Exchange) []Difference {
	wv, gv := make([]view, len(want)), make([]view, len(got))
	wk, gk := make([]string, len(want)), make([]string, len(got))
	for i, e := range want {
		wv[i] = viewOf(e)
		wk[i] = canon(wv[i])
	}
	for i, e := range got {
		gv[i] = viewOf(e)
		gk[i] = canon(gv[i])
	}
	pairs := align(want, got, wk, gk)

	var out, missing, extra []Difference
	wi, gi := 0, 0
	flush := func(wEnd, gEnd int) {
		for ; wi < wEnd; wi++ {
			missing = append(missing, Difference{Kind: Missing, Conn: conn, Command: want[wi].Command,
				WantIndex: wi, GotIndex: -1, WantSeq: want[wi].Seq})
		}
		for ; gi < gEnd; gi++ {
			extra = append(extra, Difference{Kind: Extra, Conn: conn, Command: got[gi].Command,
				WantIndex: -1, GotIndex: gi, GotSeq: got[gi].Seq})
		}
	}
	for _, p := range pairs {
		flush(p[0], p[1])
		if wk[wi] != gk[gi] {
			out = append(out, Difference{Kind: Changed, Conn: conn, Command: want[wi].Command,
				WantIndex: wi, GotIndex: gi, WantSeq: want[wi].Seq, GotSeq: got[gi].Seq,
				Fields: compareViews(wv[wi], gv[gi])})
		}
		wi, gi = wi+1, gi+1
	}
	flush(len(want), len(got))

	// An exchange missing at one place and identical extra at another was reordered.
	var moved []Difference
	used := make([]bool, len(extra))
	keptMissing := missing[:0]
	for _, m := range missing {
		found := false
		for j, x := range extra {
			if !used[j] && wk[m.WantIndex] == gk[x.GotIndex] {
				used[j], found = true, true
				moved = append(moved, Difference{Kind: Moved, Conn: conn, Command: m.Command,
					WantIndex: m.WantIndex, GotIndex: x.GotIndex, WantSeq: m.WantSeq, GotSeq: x.GotSeq})
				break
			}
		}
		if !found {
			keptMissing = append(keptMissing, m)
		}
	}
	out = append(out, keptMissing...)
	for j, x := range extra {
		if !used[j] {
			out = append(out, x)
		}
	}
	return append(out, moved...)
}

// align pairs exchanges of the same kind and command in order, maximising the number of pairs and,
// among those, the number of identical pairs. It returns (want index, got index) pairs.
func align(want, got []Exchange, wk, gk []string) [][2]int {
	n, m := len(want), len(got)
	score := make([][]int, n+1)
	for i := range score {
		score[i] = make([]int, m+1)
	}
	same := func(i, j int) int {
		if want[i].Kind != got[j].Kind || want[i].Command != got[j].Command {
			return 0
		}
		if wk[i] == gk[j] {
			return 3
		}
		return 2
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			best := max(score[i+1][j], score[i][j+1])
			if s := same(i, j); s > 0 {
				best = max(best, s+score[i+1][j+1])
			}
			score[i][j] = best
		}
	}
	var pairs [][2]int
	for i, j := 0, 0; i < n && j < m; {
		if s := same(i, j); s > 0 && score[i][j] == s+score[i+1][j+1] {
			pairs = append(pairs, [2]int{i, j})
			i, j = i+1, j+1
		} else if score[i+1][j] >= score[i][j+1] {
			i++
		} else {
			j++
		}
	}
	return pairs
}

func canon(v view) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return buf.String()
}

// compareViews lists the differing leaves of two views, collected by a cmp.Reporter.
func compareViews(want, got view) []FieldDiff {
	var r fieldReporter
	cmp.Equal(want, got, cmp.Reporter(&r))
	return r.diffs
}

type fieldReporter struct {
	path  cmp.Path
	diffs []FieldDiff
}

func (r *fieldReporter) PushStep(ps cmp.PathStep) { r.path = append(r.path, ps) }
func (r *fieldReporter) PopStep()                 { r.path = r.path[:len(r.path)-1] }

func (r *fieldReporter) Report(rs cmp.Result) {
	if rs.Equal() {
		return
	}
	vx, vy := r.path.Last().Values()
	r.diffs = append(r.diffs, FieldDiff{Path: fieldPath(r.path), Want: render(vx), Got: render(vy)})
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fieldPath formats a cmp path the way a transcript reader thinks of it:
// request.MsgBody[0].MsgContent.Text, query.tjg_id, status.
func fieldPath(p cmp.Path) string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case cmp.StructField:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(strings.ToLower(s.Name()))
		case cmp.MapIndex:
			k := fmt.Sprint(s.Key().Interface())
			if identRE.MatchString(k) {
				b.WriteString("." + k)
			} else {
				fmt.Fprintf(&b, "[%q]", k)
			}
		case cmp.SliceIndex:
			ix, iy := s.SplitKeys()
			switch {
			case ix == iy:
				fmt.Fprintf(&b, "[%d]", ix)
			case ix < 0:
				fmt.Fprintf(&b, "[%d]", iy)
			case iy < 0:
				fmt.Fprintf(&b, "[%d]", ix)
			default:
				fmt.Fprintf(&b, "[%d→%d]", ix, iy)
			}
		}
	}
	return b.String()
}

// render shows a value as compact JSON, cut at 300 bytes.
func render(v reflect.Value) string {
	if !v.IsValid() {
		return "(absent)"
	}
	var x any
	if v.CanInterface() {
		x = v.Interface()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return fmt.Sprint(x)
	}
	s := strings.TrimRight(buf.String(), "\n")
	return clip(s, 300)
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
