package reports

import (
	"io"
	"os"
	"regexp"
	"strings"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"

	"github.com/imharness/imharness/internal/caseid"
)

// maxEmbeddedDiff caps how much of a diff file FromGinkgo embeds.
const maxEmbeddedDiff = 256 << 10

// CaseLabelPrefix marks a spec's case-ID label: "case:tim.c2c.send-text" is tim/c2c/send-text.
const CaseLabelPrefix = caseid.LabelPrefix

var keyedLabel = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*:`)

// FromGinkgo turns a Ginkgo report into cases. The conventions:
//
//   - Case ID: a label "case:tim.c2c.send-text" (Ginkgo labels cannot contain '/', so the ID's
//     slashes are dots there), else the first label that contains '/' and is not a "key:value" label. Specs without one get their full text as
//     ID and the area "unlabelled".
//   - Area: the ID's second segment (tim/c2c/send-text → c2c: login, c2c, group, tips, notices,
//     errors, faults, …), see AreaOf.
//   - SDK: a label sdkLabelPrefix+"tim-js-sdk@2.7.0" (prefix default "sdk:") on the spec, its
//     containers or the suite; else a report entry named "sdk".
//   - Seed and requirement: labels "seed:…" / report entries "seed" and "requirement".
//   - Transcript and diff: report entries named "transcript" and "diff" holding paths. A diff
//     file that can be read is embedded (up to 256 KiB); a "diff" entry that is not a file is
//     taken as the diff text itself.
//   - State: passed, skipped and pending as such; failed, panicked, timed out, interrupted and
//     aborted are "failed" (the message says which).
//
// Setup nodes (BeforeSuite, AfterSuite, …) become cases only when they failed, with the ID
// "suite/<node type>" and the area "suite", so a broken setup is not silently green.
func FromGinkgo(rep ginkgotypes.Report, sdkLabelPrefix string) []Case {
	if sdkLabelPrefix == "" {
		sdkLabelPrefix = "sdk:"
	}
	suiteSDK := ""
	for _, l := range rep.SuiteLabels {
		if v, ok := strings.CutPrefix(l, sdkLabelPrefix); ok {
			suiteSDK = v
		}
	}
	var out []Case
	for _, s := range rep.SpecReports {
		isSpec := s.LeafNodeType == ginkgotypes.NodeTypeIt
		if !isSpec && !s.State.Is(ginkgotypes.SpecStateFailureStates) {
			continue
		}
		c := Case{Title: s.FullText(), Duration: s.RunTime, SDK: suiteSDK}
		for _, l := range s.Labels() {
			switch {
			case strings.HasPrefix(l, sdkLabelPrefix):
				c.SDK = strings.TrimPrefix(l, sdkLabelPrefix)
			case strings.HasPrefix(l, "seed:"):
				c.Seed = strings.TrimSpace(strings.TrimPrefix(l, "seed:"))
			case strings.HasPrefix(l, CaseLabelPrefix):
				// Ginkgo labels cannot hold '/': case IDs are spelled with '.' there (caseid.Label).
				c.ID, _, _ = caseid.FromLabel(l)
			case c.ID == "" && strings.Contains(l, "/") && !keyedLabel.MatchString(l):
				c.ID = l
			}
		}
		for _, e := range s.ReportEntries {
			v := strings.TrimSpace(e.StringRepresentation())
			switch e.Name {
			case "sdk":
				if c.SDK == "" || c.SDK == suiteSDK {
					c.SDK = v
				}
			case "seed":
				c.Seed = v
			case "requirement":
				c.Requirement = v
			case "transcript":
				c.TranscriptPath = v
			case "diff":
				if b, err := readCapped(v); err == nil {
					c.DiffPath, c.Diff = v, b
				} else if strings.Contains(v, "\n") || !looksLikePath(v) {
					c.Diff = v
				} else {
					c.DiffPath = v
				}
			}
		}
		switch {
		case !isSpec:
			c.ID = "suite/" + s.LeafNodeType.String()
			c.Area = "suite"
			if c.Title == "" {
				c.Title = s.LeafNodeType.String()
			}
		case c.ID == "":
			c.ID = s.FullText()
			c.Area = "unlabelled"
		default:
			c.Area = AreaOf(c.ID)
		}
		c.State, c.Failure = stateOf(s)
		if s.State.Is(ginkgotypes.SpecStateFailureStates | ginkgotypes.SpecStateSkipped) {
			if loc := s.Failure.Location; loc.FileName != "" {
				c.Location = loc.String()
			}
		}
		out = append(out, c)
	}
	return out
}

func stateOf(s ginkgotypes.SpecReport) (string, string) {
	msg := stripANSI(s.Failure.Message)
	if s.Failure.ForwardedPanic != "" {
		msg = strings.TrimSpace(msg + "\n" + s.Failure.ForwardedPanic)
	}
	for _, a := range s.AdditionalFailures {
		msg = strings.TrimSpace(msg + "\n\nalso (" + a.State.String() + "): " + stripANSI(a.Failure.Message))
	}
	switch {
	case s.State == ginkgotypes.SpecStatePassed:
		return Passed, ""
	case s.State == ginkgotypes.SpecStateSkipped:
		return Skipped, msg
	case s.State == ginkgotypes.SpecStatePending:
		return Pending, msg
	case s.State == ginkgotypes.SpecStateFailed:
		return Failed, msg
	default: // panicked, timedout, interrupted, aborted
		return Failed, strings.TrimSpace(s.State.String() + ": " + msg)
	}
}

func looksLikePath(v string) bool {
	return v != "" && !strings.ContainsAny(v, "\n\t") && (strings.Contains(v, "/") || strings.HasSuffix(v, ".txt") || strings.HasSuffix(v, ".diff"))
}

func readCapped(path string) (string, error) {
	if !looksLikePath(path) {
		return "", os.ErrNotExist
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEmbeddedDiff+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxEmbeddedDiff {
		return strings.ToValidUTF8(string(b[:maxEmbeddedDiff]), "") + "\n…(cut; see the diff file)", nil
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}
