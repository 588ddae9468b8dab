package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sendText = "../../fixtures/golden/tim/c2c/send-text.jsonl"

func TestDiffEqual(t *testing.T) {
	t.Parallel()
	for _, order := range []string{"command", "conn"} {
		out, _, err := execute(context.Background(), "diff", "--order", order, sendText, sendText)
		if err != nil || !strings.HasPrefix(out, "transcripts match (") {
			t.Errorf("--order %s: a transcript against itself: %v\n%s", order, err, out)
		}
	}
}

func TestDiffDiffers(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(sendText)
	if err != nil {
		t.Fatal(err)
	}
	// alice's sendmsg spells a field differently.
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.Contains(l, `"conn":"alice#1"`) && strings.Contains(l, `"command":"openim/sendmsg"`) {
			lines[i] = strings.Replace(l, `"To_Account":"bob"`, `"ToAccount":"bob"`, 1)
			break
		}
	}
	changed := strings.Join(lines, "\n")
	if changed == string(b) {
		t.Fatal("the golden has no sendmsg of alice to bob: pick another field")
	}
	got := filepath.Join(t.TempDir(), "got.jsonl")
	if err := os.WriteFile(got, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := execute(context.Background(), "diff", sendText, got)
	if exitCode(err) != 1 {
		t.Errorf("exit %d (%v), want 1", exitCode(err), err)
	}
	for _, want := range []string{"transcripts differ", "1 changed", "alice#1 openim/sendmsg, exchange #1: openim/sendmsg",
		"request.To_Account\n        want: \"bob\"\n        got:  (absent)", "request.ToAccount"} {
		if !strings.Contains(out, want) {
			t.Errorf("the diff does not say %q:\n%s", want, out)
		}
	}
}

func TestDiffErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"seq\":1}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badRules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(badRules, []byte("rules:\n  - {key: A2Key, action: shred}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{sendText, filepath.Join(dir, "missing.jsonl")}, "missing.jsonl"},
		{[]string{sendText, bad}, "bad.jsonl: line 2"},
		{[]string{"--order", "random", sendText, sendText}, "--order"},
		{[]string{"--rules", badRules, sendText, sendText}, "shred"},
	} {
		_, _, err := execute(context.Background(), append([]string{"diff"}, tc.args...)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("diff %v: exit %d, %v; want exit 2 naming %q", tc.args, exitCode(err), err, tc.want)
		}
	}
}

func TestDiffRulesFile(t *testing.T) {
	t.Parallel()
	// Masking the web SDK's app id on top of the defaults makes transcripts of two builds equal.
	b, err := os.ReadFile(sendText)
	if err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(t.TempDir(), "got.jsonl")
	if err := os.WriteFile(got, []byte(strings.ReplaceAll(string(b), `"websdkappid":"537048168"`, `"websdkappid":"537048169"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, err := execute(context.Background(), "diff", sendText, got); exitCode(err) != 1 || !strings.Contains(out, "query.websdkappid") {
		t.Fatalf("another websdkappid: exit %d (%v), want 1 naming query.websdkappid:\n%s", exitCode(err), err, out)
	}
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte("defaults: true\nrules:\n  - {query: websdkappid, action: mask}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, err := execute(context.Background(), "diff", "--rules", rules, sendText, got); err != nil {
		t.Errorf("with websdkappid masked: %v\n%s", err, out)
	}
}
