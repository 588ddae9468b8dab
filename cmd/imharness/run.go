package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"

	"github.com/imharness/imharness/reports"
	"github.com/imharness/imharness/suites/catalogue"
	"github.com/imharness/imharness/suites/sdks"
)

type runFlags struct {
	sdks   []string
	cases  string
	report string
	procs  int
	jobs   int
	race   bool
	list   bool
	repo   string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the conformance suites against the embedded fake server and write reports",
		Long: `Run the Ginkgo conformance suites, once per SDK build, each spec against its own tenant of
an embedded fake server, then write REPORT/junit.xml and a self-contained REPORT/index.html
(case × SDK build; each cell links the case's transcript and, on failure, its diff).

SDK builds: by default every version pinned in suites/driver/node (installed there with npm ci
when node_modules is missing or older than package-lock.json). --sdk also takes any npm version
spec or local build of a supported SDK package (tim-js-sdk@2.5.0, tim-js-sdk@file:../my-build);
those are installed with npm into the user cache directory (imharness/sdks), not the checkout.

Exit status: 0 all cases passed, 1 some case failed, 2 usage or setup error (node or npm
missing, an install failed, a suite could not start): setup errors are never counted as cases.`,
		Example: `  imharness run
  imharness run --sdk tim-js-sdk@2.7.0 --cases 'tim/c2c/*' --report out/report
  imharness run --sdk tim-js-sdk@2.5.0 --sdk tim-js-sdk@file:../tim-js-sdk/dist
  imharness run --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.sdks, "sdk", nil, "SDK builds to run: a pinned name@version, or package@<npm version spec | file:path> (default: every version pinned in suites/driver/node)")
	fl.StringVar(&f.cases, "cases", "", "only the cases whose ID matches this glob, e.g. 'tim/c2c/*'")
	fl.StringVar(&f.report, "report", "out/report", "directory for junit.xml, index.html and transcripts")
	fl.IntVar(&f.procs, "procs", 4, "parallel spec processes per SDK build")
	fl.IntVar(&f.jobs, "jobs", 1, "SDK builds run at the same time (their output then goes to REPORT/ginkgo-*.log)")
	fl.BoolVar(&f.race, "race", false, "build the suites with the race detector (CI does)")
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
	chosen, err := chooseSDKs(repo, f.sdks)
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
	// Install before anything runs: a bare checkout gets its SDKs here, with npm's progress.
	ctx, out, errOut := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := sdks.EnsurePinned(ctx, filepath.Join(repo, "suites", "driver", "node"), errOut); err != nil {
		return err
	}
	for i := range chosen {
		if err := sdks.Install(ctx, &chosen[i], errOut); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, s := range chosen {
		if seen[s.Name] {
			return fmt.Errorf("--sdk %s given twice", s.Name)
		}
		seen[s.Name] = true
	}

	started := time.Now()
	results := make([]suiteResult, len(chosen))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(f.jobs, len(chosen))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				fmt.Fprintf(out, "== %s: %s, %d process(es)\n", chosen[i].Name, chosen[i].Family.Suite, f.procs)
				results[i] = runSuite(ctx, repo, report, chosen[i], cases, f, out)
			}
		}()
	}
	for i := range chosen {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	r := reports.Run{Title: "imharness conformance", Started: started}
	var setup []string
	for i, res := range results {
		sdk := chosen[i]
		if res.setup != "" {
			setup = append(setup, sdk.Name+": "+res.setup)
			continue
		}
		got := selected(reports.FromGinkgo(res.report, "sdk:"), cases)
		for i := range got {
			got[i].SDK = sdk.Name
			if k, ok := cat.Get(got[i].ID); ok {
				got[i].Requirement, got[i].Seed = k.Requirement, k.Seed
			}
			relink(&got[i], report)
		}
		r.Cases = append(r.Cases, got...)
	}
	nr := notRun(chosen, cases, cat)
	for i := 0; i < len(nr); {
		// One line per file family: its cases are consecutive in notRun's answer.
		j := i
		for j < len(nr) && nr[j].SDK == nr[i].SDK {
			j++
		}
		fmt.Fprintf(out, "== %s: %d case(s) %s\n", nr[i].SDK, j-i, nr[i].Failure)
		i = j
	}
	r.Cases = append(r.Cases, nr...)
	r.Duration = time.Since(started)
	if err := writeReports(report, r); err != nil {
		return err
	}
	failed := listFailed(out, r.Cases)
	fmt.Fprintf(out, "== %d case run(s), %d failed, in %s\n   %s\n   %s\n", len(r.Cases), failed,
		r.Duration.Round(time.Second), filepath.Join(report, "junit.xml"), filepath.Join(report, "index.html"))
	if len(setup) > 0 {
		// Not a case result: the suite never ran its specs.
		return &exitError{code: 2, err: fmt.Errorf("setup failed, no cases ran for %s", strings.Join(setup, "; "))}
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d case run(s) failed", failed)}
	}
	return nil
}

// chooseSDKs turns the --sdk values into builds to run (default: every pin).
func chooseSDKs(repo string, want []string) ([]sdks.SDK, error) {
	pins, err := sdks.Pinned(filepath.Join(repo, "suites", "driver", "node"))
	if err != nil {
		return nil, err
	}
	if len(want) == 0 {
		return pins, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var out []sdks.SDK
	for _, w := range want {
		s, err := sdks.Parse(w, pins, wd)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
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

// suiteResult is one SDK build's run: its Ginkgo report, or why the suite never ran its specs.
type suiteResult struct {
	report ginkgotypes.Report
	setup  string // one line; "" when the specs ran
}

// runSuite runs the family's suite for one SDK build with the ginkgo CLI and reads its JSON report.
// With more than one job its output goes to a log file, shown when the suite fails.
func runSuite(ctx context.Context, repo, report string, sdk sdks.SDK, cases []catalogue.Case, f runFlags, out io.Writer) suiteResult {
	slug := strings.Trim(regexp.MustCompile(`[^A-Za-z0-9.@_-]+`).ReplaceAllString(strings.ReplaceAll(sdk.Name, "@", "-"), "-"), "-")
	name := "ginkgo-" + slug + ".json"
	jsonReport := filepath.Join(report, name)
	_ = os.Remove(jsonReport)
	// --json-report alone is taken relative to the suite; --output-dir puts it where we want.
	args := []string{"tool", "ginkgo", "-p", fmt.Sprintf("--procs=%d", f.procs), "--timeout=30m", "--poll-progress-after=60s",
		"--output-dir=" + report, "--json-report=" + name, "--label-filter=" + labelFilter(cases, f.cases)}
	if f.race {
		args = append(args, "--race")
	}
	var logFile *os.File
	w := out
	if f.jobs > 1 {
		var err error
		if logFile, err = os.Create(filepath.Join(report, "ginkgo-"+slug+".log")); err != nil {
			return suiteResult{setup: err.Error()}
		}
		defer logFile.Close()
		w = logFile
		args = append(args, "--no-color")
	}
	args = append(args, "./"+sdk.Family.Suite)
	c := exec.CommandContext(ctx, "go", args...)
	c.Dir = repo
	c.Stdout, c.Stderr = w, w
	c.Env = append(os.Environ(),
		"IMHARNESS_SDK="+sdk.Require,
		"IMHARNESS_KEEP_TRANSCRIPTS=1",
		"IMHARNESS_TRANSCRIPT_DIR="+filepath.Join(report, "transcripts"),
		"IMHARNESS_DIFF_DIR="+filepath.Join(report, "diffs"),
	)
	started := time.Now()
	runErr := c.Run()
	if logFile != nil {
		fmt.Fprintf(out, "== %s: ginkgo finished in %s (%v); output: %s\n", sdk.Name, time.Since(started).Round(time.Second), orOK(runErr), logFile.Name())
		if runErr != nil {
			if b, err := os.ReadFile(logFile.Name()); err == nil {
				out.Write(b)
			}
		}
	}
	var reps []ginkgotypes.Report
	b, err := os.ReadFile(jsonReport)
	if err != nil {
		return suiteResult{setup: fmt.Sprintf("ginkgo did not run the suite (%v); its output is above", orOK(runErr))}
	}
	if err := json.Unmarshal(b, &reps); err != nil || len(reps) == 0 {
		return suiteResult{setup: fmt.Sprintf("%s: unreadable ginkgo report: %v", jsonReport, err)}
	}
	if why := setupFailure(reps[0]); why != "" {
		return suiteResult{setup: why}
	}
	// A failing suite is a result, not an error: the reports say what failed.
	return suiteResult{report: reps[0]}
}

func orOK(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// setupFailure says, in one line, why a suite could not start its specs: a failed BeforeSuite.
// (A failed AfterSuite or cleanup, such as leaked goroutines, is a result and stays a case.)
func setupFailure(rep ginkgotypes.Report) string {
	for _, s := range rep.SpecReports {
		if s.LeafNodeType.Is(ginkgotypes.NodeTypeBeforeSuite|ginkgotypes.NodeTypeSynchronizedBeforeSuite) && s.State.Is(ginkgotypes.SpecStateFailureStates) {
			msg := strings.Join(strings.Fields(s.Failure.Message), " ")
			if len(msg) > 400 {
				msg = msg[:400] + "…"
			}
			return fmt.Sprintf("%s failed: %s", s.LeafNodeType, msg)
		}
	}
	return ""
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

// notRun reports the chosen cases of file families (webim.js) that no --sdk gave a file for: each
// is shown as not run, with the one line that says how to run it, never as passed.
func notRun(chosen []sdks.SDK, cases []catalogue.Case, cat *catalogue.Catalogue) []reports.Case {
	var out []reports.Case
	for _, f := range sdks.FileFamilies() {
		given := false
		for _, s := range chosen {
			given = given || s.Family.Package == f.Package
		}
		if given {
			continue
		}
		for _, c := range cases {
			if strings.HasPrefix(c.ID, f.Cases) {
				k, _ := cat.Get(c.ID)
				out = append(out, reports.Case{ID: c.ID, SDK: f.Package, State: reports.Skipped, Failure: f.Help,
					Requirement: k.Requirement, Seed: k.Seed})
			}
		}
	}
	return out
}

// listFailed prints one line per failed case run and counts them. They come last, just above the
// totals, because a CI log often keeps only its tail.
func listFailed(out io.Writer, cases []reports.Case) int {
	failed := 0
	for _, c := range cases {
		if c.State == reports.Failed {
			failed++
			fmt.Fprintf(out, "== FAILED %s on %s at %s: %s\n", c.ID, c.SDK, c.Location, c.Headline())
		}
	}
	return failed
}
