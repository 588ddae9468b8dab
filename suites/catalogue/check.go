package catalogue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"

	"github.com/imharness/imharness/internal/caseid"
)

// Spec is one spec as Ginkgo registers it: the suite package it is in, its full text, where it
// is and every label it carries (its own and its containers').
type Spec struct {
	Suite    string // the suite package directory, relative to the repository (suites/timjs)
	Text     string
	Location string // file:line
	Labels   []string
}

func (s Spec) String() string { return fmt.Sprintf("%q (%s)", s.Text, s.Location) }

// SuitePackages lists the Ginkgo suites under repo/suites: every package whose tests import
// Ginkgo. Found, not listed by hand, so a new suite is checked the day it appears.
func SuitePackages(repo string) ([]string, error) {
	c := exec.Command("go", "list", "-f", `{{.Dir}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}`, "./suites/...")
	c.Dir = repo
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("go list ./suites/...: %v: %s", err, stderr.String())
	}
	var pkgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 1 && slices.Contains(fields[1:], "github.com/onsi/ginkgo/v2") {
			rel, err := filepath.Rel(repo, fields[0])
			if err != nil {
				return nil, err
			}
			pkgs = append(pkgs, filepath.ToSlash(rel))
		}
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

// DryRun has Ginkgo walk the spec trees of the given suite packages (relative to repo) without
// running any node, and returns the specs it registered. Nothing outside Go is needed: no node,
// no SDK, no server.
func DryRun(repo string, pkgs []string) ([]Spec, error) {
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no Ginkgo suite under %s", filepath.Join(repo, "suites"))
	}
	dir, err := os.MkdirTemp("", "imharness-dryrun-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	args := []string{"tool", "ginkgo", "--dry-run", "--no-color", "--succinct", "--output-dir=" + dir, "--json-report=dry.json"}
	for _, p := range pkgs {
		args = append(args, "./"+p)
	}
	c := exec.Command("go", args...)
	c.Dir = repo
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	runErr := c.Run()
	b, err := os.ReadFile(filepath.Join(dir, "dry.json"))
	if err != nil {
		return nil, fmt.Errorf("ginkgo --dry-run wrote no report (%v):\n%s", runErr, out.String())
	}
	var reps []ginkgotypes.Report
	if err := json.Unmarshal(b, &reps); err != nil {
		return nil, fmt.Errorf("ginkgo --dry-run report: %w", err)
	}
	if runErr != nil || len(reps) != len(pkgs) {
		return nil, fmt.Errorf("ginkgo --dry-run of %d suite(s) reported %d (%v):\n%s", len(pkgs), len(reps), runErr, out.String())
	}
	return FromReports(repo, reps), nil
}

// FromReports collects the specs (It nodes) of Ginkgo reports.
func FromReports(repo string, reps []ginkgotypes.Report) []Spec {
	var out []Spec
	for _, r := range reps {
		suite := r.SuitePath
		if rel, err := filepath.Rel(repo, suite); err == nil {
			suite = filepath.ToSlash(rel)
		}
		for _, s := range r.SpecReports {
			if s.LeafNodeType != ginkgotypes.NodeTypeIt {
				continue
			}
			loc := s.LeafNodeLocation
			file := loc.FileName
			if rel, err := filepath.Rel(repo, file); err == nil {
				file = filepath.ToSlash(rel)
			}
			out = append(out, Spec{Suite: suite, Text: s.FullText(), Location: fmt.Sprintf("%s:%d", file, loc.LineNumber),
				Labels: append(append([]string{}, r.SuiteLabels...), s.Labels()...)})
		}
	}
	return out
}

// Check holds the catalogue, the specs and the seed items to each other and returns one line per
// problem, each naming the case (empty: all in step):
//
//   - a spec with no case label, more than one, or one whose ID breaks the grammar;
//   - a spec whose case is not in the catalogue (it has no requirement in the report);
//   - two specs of one suite with the same case ID (the report would show one of them);
//   - a catalogue case no spec carries (coverage nobody proves);
//   - a covers entry that is no item of the seed list (a typo hides coverage).
//
// The same ID in two suite packages is allowed: each suite drives its own SDK family, and the
// report shows the case once per SDK.
func Check(c *Catalogue, specs []Spec, items []Item) []string {
	var problems []string
	inCatalogue := map[string]bool{}
	for _, k := range c.Cases {
		inCatalogue[k.ID] = true
	}
	bySuiteID := map[[2]string][]Spec{}
	carried := map[string]bool{}
	for _, s := range specs {
		var ids []string
		bad := false
		for _, l := range s.Labels {
			id, ok, err := caseid.FromLabel(l)
			if !ok {
				continue
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("spec %s: label %q: %v", s, l, err))
				bad = true
				continue
			}
			ids = append(ids, id)
		}
		switch len(ids) {
		case 0:
			if bad {
				continue
			}
			problems = append(problems, fmt.Sprintf("spec %s has no case label (harness.Case)", s))
			continue
		case 1:
		default:
			problems = append(problems, fmt.Sprintf("spec %s has %d case labels %v: one case per spec", s, len(ids), ids))
			continue
		}
		id := ids[0]
		carried[id] = true
		bySuiteID[[2]string{s.Suite, id}] = append(bySuiteID[[2]string{s.Suite, id}], s)
		if !inCatalogue[id] {
			problems = append(problems, fmt.Sprintf("case %s (spec %s) has no entry in fixtures/catalogue.yaml", id, s))
		}
	}
	for key, ss := range bySuiteID {
		if len(ss) > 1 {
			var where []string
			for _, s := range ss {
				where = append(where, s.String())
			}
			problems = append(problems, fmt.Sprintf("case %s is the label of %d specs in %s: %s", key[1], len(ss), key[0], strings.Join(where, ", ")))
		}
	}
	for _, k := range c.Cases {
		if !carried[k.ID] {
			problems = append(problems, fmt.Sprintf("case %s is in the catalogue but no spec carries it", k.ID))
		}
	}
	for _, u := range c.Unknown(items) {
		problems = append(problems, fmt.Sprintf("case %s, which is no item of fixtures/seed-items.tsv", u))
	}
	sort.Strings(problems)
	return problems
}
