package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScenarioList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tips", "tip-2.yaml"), "name: tip 2\ndescription: carol\n  quits.\nproves: the SDK shows tip 2\nusers: [{id: carol}]\n")
	writeFile(t, filepath.Join(dir, "x.yaml"), "name: bare\n")
	out, _, err := execute(context.Background(), "scenario", "list", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scenario/tips/tip-2  tip 2\n", "    what:    carol quits.\n", "    proves:  the SDK shows tip 2\n", "scenario/x  bare\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("list does not say %q:\n%s", want, out)
		}
	}
	writeFile(t, filepath.Join(dir, "broken.yaml"), "name: b\nusrs: []\n")
	_, errOut, err := execute(context.Background(), "scenario", "list", "--dir", dir)
	if exitCode(err) != 1 || !strings.Contains(errOut, "broken.yaml:2:1: usrs: unknown key") {
		t.Errorf("a broken file: exit %d, %q", exitCode(err), errOut)
	}
}

func TestScenarioCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "good.yaml"), "users: [{id: a}, {id: b}]\npushes:\n  - {at: 5s, friend_add: {user: a, friend: b}}\n")
	typo := writeFile(t, filepath.Join(dir, "typo.yaml"), "users: [{id: a}]\npushes:\n  - at: 5s\n    quit: {usr: a, group: g}\n")
	refused := writeFile(t, filepath.Join(dir, "refused.yaml"), `users: [{id: a}, {id: b}]
groups: [{id: g, type: Public, name: G, owner: a, members: [{user: b}]}]
pushes:
  - after: {command: openim/getlongpollingid}
    kick_member: {by: b, group: g, users: [a]}
`)
	out, errOut, err := execute(context.Background(), "scenario", "check", good, typo, refused)
	if exitCode(err) != 1 {
		t.Fatalf("exit %d (%v), want 1", exitCode(err), err)
	}
	if !strings.Contains(out, good+": ok (2 users, 0 groups, 0 fault rules, 1 pushes)") {
		t.Errorf("stdout %q", out)
	}
	for _, want := range []string{typo + `:4:12: pushes[0].quit.usr: unknown key "usr"`, refused + ":5:5: pushes[0].kick_member: refused: "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
	// Without the dry run the refusal (which needs the group model) is not found.
	if _, _, err := execute(context.Background(), "scenario", "check", "--no-dry-run", refused); err != nil {
		t.Errorf("--no-dry-run: %v", err)
	}
	_, errOut, err = execute(context.Background(), "scenario", "check", filepath.Join(dir, "missing.yaml"))
	if exitCode(err) != 1 || !strings.Contains(errOut, "missing.yaml: no such file") {
		t.Errorf("a missing file: exit %d, %q", exitCode(err), errOut)
	}
}

// serve prints each push as it fires, with its place in the file and what it did.
func TestServeTimeline(t *testing.T) {
	t.Parallel()
	file := writeFile(t, filepath.Join(t.TempDir(), "tl.yaml"), `users: [{id: a}, {id: b}]
groups: [{id: g, type: Public, name: G, owner: a, members: [{user: b}]}]
pushes:
  - {at: 0s, group_message: {from: a, group: g, text: hi}}
  - {at: 0s, quit: {user: b, group: g}}
`)
	_, out := startServe(t, "--scenario", file)
	for _, want := range []string{
		"push 0 (" + file + ":4:14, at 0s after load): group message a → g → seq 1",
		"push 1 (" + file + ":5:14, at 0s after load): b quits g → quit",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the timeline does not say %q:\n%s", want, out.String())
		}
	}
}
