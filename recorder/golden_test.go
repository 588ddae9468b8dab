package recorder_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/imharness/imharness/recorder"
)

func TestGoldenStrictMissing(t *testing.T) {
	t.Parallel()
	g := Golden{Dir: filepath.Join(t.TempDir(), "fixtures", "golden"), Options: timOptions}
	err := g.Check("tim/c2c/send-text", c2cTranscript())
	if !errors.Is(err, ErrMissingGolden) {
		t.Fatalf("want ErrMissingGolden, got %v", err)
	}
	if !strings.Contains(err.Error(), "IMHARNESS_UPDATE_GOLDEN=1") || !strings.Contains(err.Error(), filepath.Join("tim", "c2c", "send-text.jsonl")) {
		t.Errorf("message: %v", err)
	}
	if _, err := os.Stat(filepath.Join(g.Dir, "tim")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("strict mode wrote something: %v", err)
	}
}

func TestGoldenUpdateThenCheck(t *testing.T) { // not parallel: Setenv
	t.Setenv("CI", "") // make test runs with CI=true; this test is about update mode itself
	dir := filepath.Join(t.TempDir(), "golden")
	var log bytes.Buffer
	up := Golden{Dir: dir, Update: true, Log: &log, Options: timOptions}
	if err := up.Check("tim/c2c/send-text", c2cTranscript()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tim", "c2c", "send-text.jsonl")
	if !strings.Contains(log.String(), path+": created (6 exchanges)") {
		t.Errorf("summary: %s", log.String())
	}
	stored, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, leak := range []string{aliceTiny, aliceA2, "3701533", "tim_web_report", `"start"`, "eJwtjEEOgjAURO"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("golden keeps volatile %q:\n%s", leak, raw)
		}
	}
	if len(stored) != 6 || !strings.Contains(string(raw), `"tjg_id":"<tinyid-1>-<random-1>"`) {
		t.Errorf("golden content (%d lines):\n%s", len(stored), raw)
	}

	strict := Golden{Dir: dir, Options: timOptions}
	if err := strict.Check("tim/c2c/send-text", rerun()); err != nil {
		t.Errorf("a rerun does not match the golden: %v", err)
	}
	changed := replaceIn(rerun(), 107, "request", "hello bob", "hello bib")
	err = strict.Check("tim/c2c/send-text", changed)
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.Path != path || mm.Result.Count(Changed) != 1 {
		t.Fatalf("want a MismatchError with one change, got %v", err)
	}
	if !strings.Contains(err.Error(), "request.MsgBody[0].MsgContent.Text") {
		t.Errorf("error: %v", err)
	}

	log.Reset()
	if err := up.Check("tim/c2c/send-text", rerun()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "unchanged") {
		t.Errorf("rerun should leave the golden alone: %s", log.String())
	}
	log.Reset()
	if err := up.Check("tim/c2c/send-text", changed); err != nil {
		t.Fatal(err)
	}
	if s := log.String(); !strings.Contains(s, "updated") || !strings.Contains(s, `want: "hello bob"`) || !strings.Contains(s, `got:  "hello bib"`) {
		t.Errorf("update summary: %s", s)
	}
	if err := strict.Check("tim/c2c/send-text", changed); err != nil {
		t.Errorf("after update: %v", err)
	}
}

// Update mode is refused when CI is set, by the env switch and by the field alike, and writes nothing.
func TestGoldenUpdateRefusedInCI(t *testing.T) { // not parallel: Setenv
	t.Setenv("CI", "true")
	for name, g := range map[string]Golden{"field": {Dir: t.TempDir(), Update: true}, "env": {Dir: t.TempDir()}} {
		if name == "env" {
			t.Setenv(EnvUpdateGolden, "1")
		}
		var log bytes.Buffer
		g.Log = &log
		err := g.Check("tim/login/ready", c2cTranscript()[:1])
		if !errors.Is(err, ErrUpdateInCI) || !strings.Contains(err.Error(), "CI=true") {
			t.Errorf("%s: got %v, want ErrUpdateInCI", name, err)
		}
		if entries, _ := os.ReadDir(g.Dir); len(entries) != 0 || log.Len() != 0 {
			t.Errorf("%s: refused update wrote %v / %q", name, entries, log.String())
		}
	}
}

func TestGoldenUpdateFromEnv(t *testing.T) { // not parallel: Setenv
	t.Setenv("CI", "")
	t.Setenv(EnvUpdateGolden, "1")
	var log bytes.Buffer
	g := Golden{Dir: t.TempDir(), Log: &log, Options: timOptions}
	if !g.Updating() {
		t.Fatal("env not honoured")
	}
	if err := g.Check("tim/login/ready", c2cTranscript()[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(g.Dir, "tim", "login", "ready.jsonl")); err != nil {
		t.Error(err)
	}
}

func TestGoldenCaseIDs(t *testing.T) {
	t.Parallel()
	g := Golden{Dir: "fixtures/golden", Options: timOptions}
	if p, err := g.Path("tim/c2c/send-text"); err != nil || p != filepath.Join("fixtures", "golden", "tim", "c2c", "send-text.jsonl") {
		t.Errorf("path: %q %v", p, err)
	}
	for _, bad := range []string{"", "/etc/passwd", "tim/../../x", "tim//x", "tim/c2c/", `tim\c2c`, "tim/c2c/send text"} {
		if _, err := g.Path(bad); err == nil {
			t.Errorf("accepted case ID %q", bad)
		}
	}
}
