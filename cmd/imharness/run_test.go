package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/reports"
)

// repoRoot is this checkout (the tests run in cmd/imharness).
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// expectSetupError checks that a run ended with exit status 2 and one line naming the reason.
func expectSetupError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("run succeeded, want a setup error (%s)", want)
	}
	if exitCode(err) != 2 || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), want) {
		t.Errorf("exit %d, %q; want exit 2 and one line containing %q", exitCode(err), err, want)
	}
}

// A bare checkout (no node_modules) on a machine without npm: one line says what to install.
func TestRunBareCheckoutWithoutNPM(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	src, repo := repoRoot(t), t.TempDir()
	for _, f := range []string{"go.mod", "fixtures/catalogue.yaml", "suites/driver/node/package.json", "suites/driver/node/package-lock.json"} {
		copyFile(t, filepath.Join(src, f), filepath.Join(repo, f))
	}
	bin := t.TempDir()
	if err := os.Symlink(node, filepath.Join(bin, "node")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	_, _, err = execute(context.Background(), "run", "--repo", repo, "--report", filepath.Join(repo, "out"))
	expectSetupError(t, err, "npm is not on PATH: install npm")
	if _, err := os.Stat(filepath.Join(repo, "out", "junit.xml")); err == nil {
		t.Error("a run that could not install wrote a report")
	}
}

// --sdk refuses packages no suite drives, and an SDK build npm cannot install is a setup error.
func TestRunBadSDKSpecs(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	t.Setenv("IMHARNESS_SDK_CACHE", t.TempDir())
	report := t.TempDir()
	_, _, err := execute(context.Background(), "run", "--repo", repoRoot(t), "--report", report, "--sdk", "left-pad@1.0.0")
	expectSetupError(t, err, "left-pad is no SDK the suites drive")

	broken := t.TempDir() // a directory, but no package in it
	_, stderr, err := execute(context.Background(), "run", "--repo", repoRoot(t), "--report", report, "--sdk", "tim-js-sdk@file:"+broken+".tgz")
	expectSetupError(t, err, "no package build at")
	os.WriteFile(broken+".tgz", []byte("not a tarball"), 0o644)
	_, stderr, err = execute(context.Background(), "run", "--repo", repoRoot(t), "--report", report, "--sdk", "tim-js-sdk@file:"+broken+".tgz")
	expectSetupError(t, err, "npm install in ")
	if !strings.Contains(stderr, "== installing tim-js-sdk@file:") {
		t.Errorf("no install progress on stderr:\n%s", stderr)
	}
}

// A suite that cannot start (its BeforeSuite fails: a bad setting, a missing driver) is one
// setup error with exit status 2, not failed cases.
func TestRunSetupFailureIsNoCase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the timjs suite")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	for name, tc := range map[string]struct{ env, value, want string }{
		"bad setting":    {"IMHARNESS_HOLD", "forever", `BeforeSuite failed: setup: IMHARNESS_HOLD: time: invalid duration "forever"`},
		"missing driver": {"IMHARNESS_NODE_DIR", t.TempDir(), "BeforeSuite failed: setup: the node driver "},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			report := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			_, _, err := execute(ctx, "run", "--repo", repoRoot(t), "--report", report, "--sdk", "tim-js-sdk@2.7.0",
				"--cases", "tim/login/ready", "--procs", "1")
			expectSetupError(t, err, "setup failed, no cases ran for tim-js-sdk@2.7.0: "+tc.want)
			b, err := os.ReadFile(filepath.Join(report, "junit.xml"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `tests="0"`) || !strings.Contains(string(b), `failures="0"`) {
				t.Errorf("the report counts cases for a suite that never started:\n%s", b)
			}
		})
	}
}

// A failed case run is named with its SDK, place and first line of failure, so that the tail of
// a CI log says which case failed; passed and skipped runs are not listed.
func TestListFailedNamesEachFailedRun(t *testing.T) {
	var out strings.Builder
	n := listFailed(&out, []reports.Case{
		{ID: "tim/c2c/send-text", SDK: "tim-js-sdk@2.7.0", State: "passed"},
		{ID: "tim/c2c/revoke", SDK: "tim-js-sdk@2.27.6", State: "failed", Location: "c2c_test.go:53",
			Failure: "\x1b[1mTimed out after 1.000s.\x1b[0m\nExpected\n    <string>: \"\""},
		{ID: "tim/ws/kick", SDK: "tim-js-sdk@2.27.6", State: "skipped", Failure: "long poll only"},
	})
	want := "== FAILED tim/c2c/revoke on tim-js-sdk@2.27.6 at c2c_test.go:53: Timed out after 1.000s.\n"
	if n != 1 || out.String() != want {
		t.Fatalf("listFailed = %d, %q; want 1, %q", n, out.String(), want)
	}
}
