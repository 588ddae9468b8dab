package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"

	"github.com/imharness/imharness/reports"
	"github.com/imharness/imharness/suites/catalogue"
)

type runFlags struct {
	sdks   []string
	cases  string
	report string
	procs  int
	list   bool
	repo   string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the conformance suites against the embedded fake server and write reports",
		Long: `Run the Ginkgo conformance suites, once per SDK version, each spec against its own tenant of
an embedded fake server, then write REPORT/junit.xml and a self-contained REPORT/index.html
(case × SDK version; each cell links the case's transcript and, on failure, its diff).
Exits 1 when any case fails.`,
		Example: `  imharness run
  imharness run --sdk tim-js-sdk@2.7.0 --cases 'tim/c2c/*' --report out/report
  imharness run --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.sdks, "sdk", nil, "SDK versions to run, as name@version (default: every version pinned in suites/driver/node)")
	fl.StringVar(&f.cases, "cases", "", "only the cases whose ID matches this glob, e.g. 'tim/c2c/*'")
	fl.StringVar(&f.report, "report", "out/report", "directory for junit.xml, index.html and transcripts")
	fl.IntVar(&f.procs, "procs", 4, "parallel spec processes per SDK version")
	fl.BoolVar(&f.list, "list", false, "print the case catalogue (ID, requirement, seed section) and the seed coverage, then exit")
	fl.StringVar(&f.repo, "repo", "", "the imharness source tree (default: found from the working directory)")
	return cmd
}

func run(cmd *cobra.Command, f runFlags) error {
	repo, err := findRepo(f.repo)
	if err != nil {
		return err
	}
	cat, err := catalogue.Load(filepath.Join(repo, "fixtures", "catalogue.yaml"))
	if err != nil {
		return err
	}
	cases, err := cat.Match(f.cases)
	if err != nil {
		return err
	}
	if f.list {
		return list(cmd.OutOrStdout(), repo, cat, cases)
	}
	if len(cases) == 0 {
		return fmt.Errorf("no case matches --cases %q (see imharness run --list)", f.cases)
	}
	sdks, err := pinnedSDKs(filepath.Join(repo, "suites", "driver", "node"))
	if err != nil {
		return err
	}
	chosen, err := chooseSDKs(sdks, f.sdks)
	if err != nil {
		return err
	}
	report, err := filepath.Abs(f.report)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(report, 0o755); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	started := time.Now()
	r := reports.Run{Title: "imharness conformance", Started: started}
	for _, sdk := range chosen {
		fmt.Fprintf(out, "== %s: %d case(s), %d process(es)\n", sdk.name, len(cases), f.procs)
		rep, err := runSuite(cmd, repo, report, sdk, cases, f)
		if err != nil {
			return err
		}
		got := selected(reports.FromGinkgo(rep, "sdk:"), cases)
		for i := range got {
			got[i].SDK = sdk.name
			if k, ok := cat.Get(got[i].ID); ok {
				got[i].Requirement, got[i].Seed = k.Requirement, k.Seed
			}
			relink(&got[i], report)
		}
		r.Cases = append(r.Cases, got...)
	}
	r.Duration = time.Since(started)
	if err := writeReports(report, r); err != nil {
		return err
	}
	failed := 0
	for _, c := range r.Cases {
		if c.State == "failed" {
			failed++
		}
	}
	fmt.Fprintf(out, "== %d case run(s), %d failed, in %s\n   %s\n   %s\n", len(r.Cases), failed,
		r.Duration.Round(time.Second), filepath.Join(report, "junit.xml"), filepath.Join(report, "index.html"))
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d case run(s) failed", failed)}
	}
	return nil
}

// selected keeps the cases that were asked for: the label filter reports the others as skipped.
// Failed setup nodes (suite/…) always stay.
func selected(got []reports.Case, cases []catalogue.Case) []reports.Case {
	want := map[string]bool{}
	for _, c := range cases {
		want[c.ID] = true
	}
	var out []reports.Case
	for _, c := range got {
		if want[c.ID] || strings.HasPrefix(c.ID, "suite/") || c.State == reports.Failed {
			out = append(out, c)
		}
	}
	return out
}

// relink makes transcript and diff paths relative to the report, so the HTML works when moved.
func relink(c *reports.Case, report string) {
	for _, p := range []*string{&c.TranscriptPath, &c.DiffPath} {
		if *p != "" {
			if rel, err := filepath.Rel(report, *p); err == nil {
				*p = filepath.ToSlash(rel)
			}
		}
	}
}

func writeReports(dir string, r reports.Run) error {
	write := func(name string, fn func(io.Writer, reports.Run) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fn(f, r); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write("junit.xml", reports.WriteJUnit); err != nil {
		return err
	}
	return write("index.html", reports.WriteHTML)
}

// runSuite runs the timjs suite for one SDK with the ginkgo CLI and reads its JSON report.
func runSuite(cmd *cobra.Command, repo, report string, sdk pinned, cases []catalogue.Case, f runFlags) (ginkgotypes.Report, error) {
	slug := strings.NewReplacer("@", "-", "/", "-").Replace(sdk.name)
	name := "ginkgo-" + slug + ".json"
	jsonReport := filepath.Join(report, name)
	_ = os.Remove(jsonReport)
	// --json-report alone is taken relative to the suite; --output-dir puts it where we want.
	args := []string{"tool", "ginkgo", "-p", fmt.Sprintf("--procs=%d", f.procs), "--timeout=30m",
		"--output-dir=" + report, "--json-report=" + name, "--label-filter=" + labelFilter(cases, f.cases), "./suites/timjs"}
	c := exec.CommandContext(cmd.Context(), "go", args...)
	c.Dir = repo
	c.Stdout, c.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
	c.Env = append(os.Environ(),
		"IMHARNESS_SDK="+sdk.pkg,
		"IMHARNESS_KEEP_TRANSCRIPTS=1",
		"IMHARNESS_TRANSCRIPT_DIR="+filepath.Join(report, "transcripts"),
		"IMHARNESS_DIFF_DIR="+filepath.Join(report, "diffs"),
	)
	runErr := c.Run()
	var reps []ginkgotypes.Report
	b, err := os.ReadFile(jsonReport)
	if err != nil {
		if runErr != nil {
			return ginkgotypes.Report{}, fmt.Errorf("ginkgo did not run for %s: %w", sdk.name, runErr)
		}
		return ginkgotypes.Report{}, err
	}
	if err := json.Unmarshal(b, &reps); err != nil || len(reps) == 0 {
		return ginkgotypes.Report{}, fmt.Errorf("%s: unreadable ginkgo report: %v", jsonReport, err)
	}
	// A failing suite is a result, not an error: the reports say what failed.
	var ee *exec.ExitError
	if runErr != nil && !errors.As(runErr, &ee) {
		return ginkgotypes.Report{}, runErr
	}
	return reps[0], nil
}

// labelFilter selects the chosen cases: every case when no glob was given, else their IDs.
func labelFilter(cases []catalogue.Case, glob string) string {
	if glob == "" || glob == "*" {
		return ""
	}
	// Labels spell case IDs as case:tim.c2c.send-text (harness.Case). The filter language reads ':'
	// as a label-set operator, so the regexp matches it with '.'.
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = regexp.QuoteMeta(strings.ReplaceAll(c.ID, "/", "."))
	}
	return "/^case.(" + strings.Join(ids, "|") + ")$/"
}

// pinned is an SDK version pinned in the driver's package.json: the npm package (or alias) to
// require, and what it really is.
type pinned struct {
	pkg  string // tim-js-sdk-2.10.2
	name string // tim-js-sdk@2.10.2
}

func pinnedSDKs(nodeDir string) ([]pinned, error) {
	b, err := os.ReadFile(filepath.Join(nodeDir, "package.json"))
	if err != nil {
		return nil, err
	}
	var p struct{ Dependencies map[string]string }
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s/package.json: %w", nodeDir, err)
	}
	var out []pinned
	for pkg, spec := range p.Dependencies {
		name, version := pkg, spec
		if rest, ok := strings.CutPrefix(spec, "npm:"); ok {
			at := strings.LastIndex(rest, "@")
			if at <= 0 {
				continue
			}
			name, version = rest[:at], rest[at+1:]
		}
		if name == "tim-js-sdk" {
			out = append(out, pinned{pkg: pkg, name: name + "@" + version})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name }) // the report orders columns by version
	return out, nil
}

func chooseSDKs(all []pinned, want []string) ([]pinned, error) {
	if len(want) == 0 {
		return all, nil
	}
	var out []pinned
	for _, w := range want {
		found := false
		for _, p := range all {
			if p.name == w || p.pkg == w {
				out, found = append(out, p), true
			}
		}
		if !found {
			var names []string
			for _, p := range all {
				names = append(names, p.name)
			}
			return nil, fmt.Errorf("--sdk %s is not pinned in suites/driver/node (pinned: %s)", w, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// findRepo finds the imharness source tree: the flag, or the working directory and its parents.
func findRepo(flag string) (string, error) {
	start := flag
	if start == "" {
		var err error
		if start, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	for dir := start; ; dir = filepath.Dir(dir) {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/imharness/imharness\n") {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("not inside the imharness source tree (from %s); pass --repo", start)
		}
	}
}

// list prints the catalogue and how much of the seeds' items it covers.
func list(w io.Writer, repo string, cat *catalogue.Catalogue, cases []catalogue.Case) error {
	for _, c := range cases {
		fmt.Fprintf(w, "%-34s %s\n%-34s   seed %s\n", c.ID, c.Requirement, "", c.Seed)
	}
	items, err := catalogue.LoadItems(filepath.Join(repo, "fixtures", "seed-items.tsv"))
	if err != nil {
		fmt.Fprintf(w, "\n%d cases (seed items not found: %v)\n", len(cases), err)
		return nil
	}
	covered, _ := cat.Coverage(items)
	fmt.Fprintf(w, "\n%d cases; they cover %d of the %d testable items of the seeds\n", len(cases), len(covered), len(items))
	return nil
}
