package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var reportTemplate string

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(part, total int) string {
		if total == 0 {
			return "0"
		}
		return fmt.Sprintf("%.2f", 100*float64(part)/float64(total))
	},
}).Parse(reportTemplate))

type htmlView struct {
	Title    string
	Started  string
	Duration string
	Counts   Counts
	CaseIDs  int
	SDKs     []sdkView
	Areas    []areaView
	Columns  int
}

type sdkView struct {
	Name, Package, Version string
	Counts                 Counts
}

type areaView struct {
	Name    string
	Rows    []rowView
	Failing int
}

type rowView struct {
	Key, ID, Title, Requirement, Seed string
	Failing                           bool
	n                                 int
	Search                            string
	Cells                             []cellView
	Details                           []detailView
}

type cellView struct {
	State, Symbol, Label string
	Duration             string
	Tooltip              string
	Transcript, DiffPath string
	DetailID             string
	NotRun               bool
}

type detailView struct {
	ID, CaseID, SDK, State, Location string
	Failure                          string
	Diff                             []diffLine
	Transcript, DiffPath             string
}

type diffLine struct{ Class, Text string }

var symbols = map[string][2]string{
	Passed:  {"✓", "passed"},
	Failed:  {"✗", "failed"},
	Skipped: {"–", "skipped"},
	Pending: {"…", "pending"},
}

// WriteHTML writes the run as one self-contained HTML page (inline CSS and a few lines of inline
// JS, no external assets): summary counts, then a matrix with a row per case ID, grouped by area,
// and a column per SDK version. Each cell shows the state and links the case's transcript; a
// failed cell's button reveals the failure message and the transcript diff, embedded in the page.
// Without JS every failure is shown expanded. Paths are used as given (make them relative to
// where the page is written).
func WriteHTML(w io.Writer, r Run) error {
	return htmlTmpl.Execute(w, buildView(r))
}

func buildView(r Run) htmlView {
	v := htmlView{Title: r.Title, Counts: r.Count()}
	if v.Title == "" {
		v.Title = "Conformance report"
	}
	if !r.Started.IsZero() {
		v.Started = r.Started.Format("2006-01-02 15:04:05 MST")
	}
	if r.Duration > 0 {
		v.Duration = roundDuration(r.Duration)
	}
	sdks := r.SDKs()
	col := map[string]int{}
	for i, s := range sdks {
		col[s] = i
		sv := sdkView{Name: s, Package: s}
		if at := strings.LastIndex(s, "@"); at > 0 {
			sv.Package, sv.Version = s[:at], s[at+1:]
		}
		if s == "" {
			sv.Package = "unknown SDK"
		}
		v.SDKs = append(v.SDKs, sv)
	}
	v.Columns = 2 + len(sdks)

	type key struct{ area, id string }
	rows := map[key]*rowView{}
	var keys []key
	for _, c := range r.Cases {
		k := key{c.area(), c.ID}
		row := rows[k]
		if row == nil {
			row = &rowView{ID: c.ID, Cells: make([]cellView, len(sdks)), n: len(keys)}
			for i := range row.Cells {
				row.Cells[i] = cellView{State: "notrun", Symbol: "·", Label: "not run", NotRun: true}
			}
			rows[k] = row
			keys = append(keys, k)
		}
		if row.Title == "" {
			row.Title = c.Title
		}
		if row.Requirement == "" {
			row.Requirement = c.Requirement
		}
		if row.Seed == "" {
			row.Seed = c.Seed
		}
		i := col[c.SDK]
		if !row.Cells[i].NotRun {
			continue // the same case twice for one SDK: the first one counts
		}
		st := c.state()
		v.SDKs[i].Counts.add(st)
		cell := cellView{State: st, Symbol: symbols[st][0], Label: symbols[st][1], Transcript: c.TranscriptPath,
			DiffPath: c.DiffPath}
		if c.Duration > 0 {
			cell.Duration = roundDuration(c.Duration)
		}
		tip := []string{c.ID + " on " + c.SDK + ": " + st}
		if cell.Duration != "" {
			tip[0] += " in " + cell.Duration
		}
		if c.Failure != "" {
			tip = append(tip, firstLine(c.Failure, 160))
		}
		cell.Tooltip = strings.Join(tip, "\n")
		if st == Failed || (st != Passed && (c.Failure != "" || c.Diff != "")) {
			d := detailView{ID: fmt.Sprintf("d%d-%d", row.n, i), CaseID: c.ID, SDK: c.SDK, State: st,
				Location: c.Location, Failure: strings.TrimSpace(stripANSI(c.Failure)), Diff: diffLines(c.Diff),
				Transcript: c.TranscriptPath, DiffPath: c.DiffPath}
			cell.DetailID = d.ID
			row.Details = append(row.Details, d)
		}
		if st == Failed {
			row.Failing = true
		}
		row.Cells[i] = cell
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i].area != keys[j].area {
			return areaLess(keys[i].area, keys[j].area)
		}
		return naturalLess(keys[i].id, keys[j].id)
	})
	ids := map[string]bool{}
	for n, k := range keys {
		row := rows[k]
		row.Key = fmt.Sprintf("r%d", n)
		row.Search = strings.ToLower(strings.Join([]string{row.ID, row.Title, row.Requirement, row.Seed}, " "))
		sort.SliceStable(row.Details, func(a, b int) bool { return row.Details[a].SDK < row.Details[b].SDK })
		ids[row.ID] = true
		if len(v.Areas) == 0 || v.Areas[len(v.Areas)-1].Name != k.area {
			v.Areas = append(v.Areas, areaView{Name: k.area})
		}
		a := &v.Areas[len(v.Areas)-1]
		a.Rows = append(a.Rows, *row)
		if row.Failing {
			a.Failing++
		}
	}
	v.CaseIDs = len(ids)
	return v
}

// diffLines classifies the lines of a diff for colouring: recorder.Result text (want:/got:,
// exchange headers, missing/extra lists) and unified diffs (+/-/@@).
func diffLines(diff string) []diffLine {
	diff = strings.TrimRight(stripANSI(diff), "\n")
	if diff == "" {
		return nil
	}
	var out []diffLine
	for _, l := range strings.Split(diff, "\n") {
		t := strings.TrimSpace(l)
		class := ""
		switch {
		case strings.HasPrefix(t, "want:"):
			class = "want"
		case strings.HasPrefix(t, "got:"):
			class = "got"
		case strings.HasPrefix(l, "@@"):
			class = "hunk"
		case strings.HasPrefix(l, "---") || strings.HasPrefix(l, "+++"):
			class = "file"
		case strings.HasPrefix(l, "-"):
			class = "want"
		case strings.HasPrefix(l, "+"):
			class = "got"
		case l != "" && !strings.HasPrefix(l, " ") && (strings.Contains(l, ", exchange ") || strings.HasSuffix(l, ")") && strings.Contains(l, ": ")):
			class = "ex"
		case strings.HasPrefix(l, "transcript"):
			class = "head"
		case strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "        "):
			class = "path"
		}
		out = append(out, diffLine{Class: class, Text: l})
	}
	return out
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		return d.Round(time.Second).String()
	}
}
