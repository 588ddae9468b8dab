package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"
)

// writeGinkgoReport writes what `ginkgo --json-report` leaves for one SDK version: a passed case,
// a failed one with a diff file, and one left out by the run's --cases.
func writeGinkgoReport(t *testing.T, dir, slug string) {
	t.Helper()
	diff := filepath.Join(dir, "diffs", slug, "send-text.diff")
	if err := os.MkdirAll(filepath.Dir(diff), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(diff, []byte("transcripts differ (want 2 exchanges, got 2): 1 changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := func(id string, state ginkgotypes.SpecState) ginkgotypes.SpecReport {
		return ginkgotypes.SpecReport{LeafNodeType: ginkgotypes.NodeTypeIt, LeafNodeText: "does " + id,
			LeafNodeLabels: []string{"case:" + strings.ReplaceAll(id, "/", ".")}, State: state, RunTime: time.Second}
	}
	failed := spec("tim/c2c/send-text", ginkgotypes.SpecStateFailed)
	failed.Failure = ginkgotypes.Failure{Message: "transcript differs"}
	failed.ReportEntries = ginkgotypes.ReportEntries{{Name: "diff", Value: ginkgotypes.WrapEntryValue(diff)}}
	rep := ginkgotypes.Report{SuiteDescription: "tim-js-sdk conformance", StartTime: time.Now(), RunTime: 3 * time.Second,
		SpecReports: ginkgotypes.SpecReports{spec("tim/login/ready", ginkgotypes.SpecStatePassed), failed,
			spec("tim/c2c/send-face", ginkgotypes.SpecStateSkipped)}}
	b, err := json.Marshal([]ginkgotypes.Report{rep})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ginkgo-"+slug+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeGinkgoReport(t, dir, "tim-js-sdk-2.7.0")
	writeGinkgoReport(t, dir, "tim-js-sdk-2.10.2")
	out, _, err := execute(context.Background(), "report", "--from", dir, "--repo", "../..")
	if err != nil || !strings.Contains(out, "4 case run(s), 2 failed, from 2 report(s)") {
		t.Fatalf("report: %v\n%s", err, out)
	}
	junit, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tim-js-sdk@2.7.0", "tim-js-sdk@2.10.2", "tim/c2c/send-text", "transcript differs"} {
		if !strings.Contains(string(junit), want) {
			t.Errorf("junit.xml does not mention %q", want)
		}
	}
	if strings.Contains(string(junit), "send-face") {
		t.Error("junit.xml lists a case the run did not select")
	}
	// The catalogue's requirement, the embedded diff and its link relative to the report.
	for _, want := range []string{"a C2C text message is delivered both ways", "1 changed", "diffs/tim-js-sdk-2.7.0/send-text.diff"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html does not show %q", want)
		}
	}
}

func TestReportErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, _, err := execute(context.Background(), "report", "--from", dir)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "no ginkgo-*.json") {
		t.Errorf("an empty directory: exit %d, %v", exitCode(err), err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ginkgo-x.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = execute(context.Background(), "report", "--from", dir)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "ginkgo-x.json") {
		t.Errorf("a broken report: exit %d, %v", exitCode(err), err)
	}
}

func TestSDKOfReport(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"out/ginkgo-tim-js-sdk-2.10.2.json":   "tim-js-sdk@2.10.2",
		"ginkgo-tim-js-sdk-2.7.0-beta.1.json": "tim-js-sdk@2.7.0-beta.1",
		"ginkgo-webim.json":                   "webim",
	} {
		if got := sdkOfReport(file); got != want {
			t.Errorf("sdkOfReport(%q) = %q, want %q", file, got, want)
		}
	}
}
