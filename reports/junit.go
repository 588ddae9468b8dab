package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

type junitSuites struct {
	XMLName   xml.Name     `xml:"testsuites"`
	Name      string       `xml:"name,attr,omitempty"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Skipped   int          `xml:"skipped,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr,omitempty"`
	Suites    []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the run as JUnit XML: one <testsuite> per SDK version, one <testcase> per case
// (name = case ID, classname = area). Failures carry the first line of the message as the message
// attribute and the full message, location and diff as text; skipped and pending cases are
// <skipped>. The requirement, seed and transcript path go to <system-out>.
func WriteJUnit(w io.Writer, r Run) error {
	bySDK := map[string][]Case{}
	for _, c := range r.Cases {
		bySDK[c.SDK] = append(bySDK[c.SDK], c)
	}
	top := junitSuites{Name: r.Title, Time: seconds(r.Duration)}
	if !r.Started.IsZero() {
		top.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	for _, sdk := range r.SDKs() {
		cases := bySDK[sdk]
		sort.SliceStable(cases, func(i, j int) bool { return cases[i].ID < cases[j].ID })
		name := sdk
		if name == "" {
			name = "unknown SDK"
		}
		s := junitSuite{Name: name, Timestamp: top.Timestamp}
		if sdk != "" {
			s.Properties = []junitProperty{{Name: "sdk", Value: sdk}}
		}
		var total time.Duration
		for _, c := range cases {
			jc := junitCase{Name: c.ID, Classname: c.area(), Time: seconds(c.Duration), SystemOut: systemOut(c)}
			if jc.Name == "" {
				jc.Name = c.Title
			}
			switch c.state() {
			case Failed:
				s.Failures++
				text := stripANSI(c.Failure)
				if c.Location != "" {
					text += "\n\nat " + c.Location
				}
				if c.Diff != "" {
					text += "\n\ntranscript diff:\n" + c.Diff
				}
				jc.Failure = &junitFailure{Message: clean(firstLine(stripANSI(c.Failure), 200)), Type: "failed", Text: clean(text)}
			case Skipped, Pending:
				s.Skipped++
				msg := firstLine(stripANSI(c.Failure), 200)
				if c.state() == Pending {
					msg = strings.TrimSpace("pending " + msg)
				}
				jc.Skipped = &junitSkipped{Message: clean(msg)}
			}
			total += c.Duration
			s.Tests++
			s.Cases = append(s.Cases, jc)
		}
		s.Time = seconds(total)
		top.Tests += s.Tests
		top.Failures += s.Failures
		top.Skipped += s.Skipped
		top.Suites = append(top.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(top); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func systemOut(c Case) string {
	var b strings.Builder
	for _, kv := range [][2]string{{"title", c.Title}, {"requirement", c.Requirement}, {"seed", c.Seed},
		{"transcript", c.TranscriptPath}, {"diff", c.DiffPath}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
		}
	}
	return clean(b.String())
}

// clean drops characters XML 1.0 cannot carry (encoding/xml would turn them into U+FFFD anyway).
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF {
			return r
		}
		return -1
	}, s)
}
