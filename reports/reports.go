// Package reports turns conformance results into JUnit XML (for CI) and one self-contained HTML
// conformance matrix (for people): rows are case IDs grouped by area, columns are SDK versions,
// and every failing cell reveals its transcript diff with one click, offline.
//
// The model is neutral: FromGinkgo fills it from a Ginkgo report, anything else can fill it too.
package reports

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Case states.
const (
	Passed  = "passed"
	Failed  = "failed"
	Skipped = "skipped"
	Pending = "pending"
)

// Case is one case run against one SDK version.
type Case struct {
	ID          string // stable case ID, e.g. "tim/c2c/send-text"
	Area        string // e.g. "c2c"; AreaOf(ID) when empty
	Title       string // what the spec says it does
	Requirement string // the requirement sentence the case proves
	Seed        string // where the requirement comes from, e.g. "003 §群组"
	SDK         string // e.g. "tim-js-sdk@2.7.0"
	State       string // Passed, Failed, Skipped or Pending

	Duration       time.Duration
	Failure        string // failure (or skip) message
	Location       string // file:line of the failure
	TranscriptPath string // relative to the report, for links
	DiffPath       string // relative to the report, for links
	Diff           string // the diff text, embedded in the HTML
}

// Run is a whole conformance run.
type Run struct {
	Title    string
	Started  time.Time
	Duration time.Duration
	Cases    []Case
}

// AreaOf is a case ID's area: its second slash-separated segment (tim/c2c/send-text → c2c), or
// "other" for IDs with fewer than three segments.
func AreaOf(id string) string {
	parts := strings.Split(id, "/")
	if len(parts) < 3 || parts[1] == "" {
		return "other"
	}
	// Group tips and system notices are areas of their own (tim/group/tip-1-join → tips).
	if parts[1] == "group" {
		switch {
		case strings.HasPrefix(parts[2], "tip-"):
			return "tips"
		case strings.HasPrefix(parts[2], "notice-"):
			return "notices"
		}
	}
	return parts[1]
}

func (c Case) area() string {
	if c.Area != "" {
		return c.Area
	}
	return AreaOf(c.ID)
}

// state normalises unknown states: anything that is not passed, skipped or pending failed.
func (c Case) state() string {
	switch c.State {
	case Passed, Skipped, Pending:
		return c.State
	}
	return Failed
}

// Counts tallies states.
type Counts struct {
	Total, Passed, Failed, Skipped, Pending int
}

func (n *Counts) add(state string) {
	n.Total++
	switch state {
	case Passed:
		n.Passed++
	case Skipped:
		n.Skipped++
	case Pending:
		n.Pending++
	default:
		n.Failed++
	}
}

// Count tallies the run's case states.
func (r Run) Count() Counts {
	var n Counts
	for _, c := range r.Cases {
		n.add(c.state())
	}
	return n
}

// SDKs lists the run's SDK versions in natural order (2.7.0 before 2.10.2).
func (r Run) SDKs() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Cases {
		if !seen[c.SDK] {
			seen[c.SDK] = true
			out = append(out, c.SDK)
		}
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i], out[j]) })
	return out
}

// areaOrder is the order areas are shown in; others follow alphabetically.
var areaOrder = []string{"login", "c2c", "conv", "group", "tips", "notices", "profile", "sns", "errors", "faults", "suite"}

func areaRank(a string) int {
	for i, x := range areaOrder {
		if x == a {
			return i
		}
	}
	return len(areaOrder)
}

func areaLess(a, b string) bool {
	if ra, rb := areaRank(a), areaRank(b); ra != rb {
		return ra < rb
	}
	return a < b
}

var digitsRE = regexp.MustCompile(`\d+|\D+`)

// naturalLess compares strings with their digit runs as numbers.
func naturalLess(a, b string) bool {
	pa, pb := digitsRE.FindAllString(a, -1), digitsRE.FindAllString(b, -1)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, y := pa[i], pb[i]
		if x == y {
			continue
		}
		nx, ex := strconv.Atoi(x)
		ny, ey := strconv.Atoi(y)
		if ex == nil && ey == nil && nx != ny {
			return nx < ny
		}
		return x < y
	}
	return len(pa) < len(pb)
}

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// stripANSI removes terminal colour codes (Ginkgo and Gomega messages carry them).
// Headline is the first line of the case's failure (or skip) message, without colour codes and
// at most 200 characters: what a one-line summary shows.
func (c Case) Headline() string { return firstLine(stripANSI(c.Failure), 200) }

func stripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

func firstLine(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}
