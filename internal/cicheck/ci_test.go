package cicheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// .ci/run fails when the run changed or added a golden transcript, and passes when it left them
// alone. The run itself is replaced by a stand-in ($MAKE) that does what a rogue update would.
func TestCIFailsWhenARunChangesGoldens(t *testing.T) {
	for _, tool := range []string{"git", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	script, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		make     string // the stand-in for `make test`
		fail     bool
		mentions string
	}{
		"goldens untouched": {make: "true", fail: false},
		"golden changed":    {make: "echo x >> fixtures/golden/tim/a.jsonl", fail: true, mentions: "fixtures/golden/tim/a.jsonl"},
		"golden added":      {make: "echo x > fixtures/golden/tim/b.jsonl", fail: true, mentions: "fixtures/golden/tim/b.jsonl"},
		"test failed":       {make: "exit 3", fail: true},
	} {
		t.Run(name, func(t *testing.T) {
			repo := t.TempDir()
			write := func(path, body string, mode os.FileMode) {
				p := filepath.Join(repo, filepath.FromSlash(path))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), mode); err != nil {
					t.Fatal(err)
				}
			}
			write(".ci/run", string(script), 0o755)
			write("fixtures/golden/tim/a.jsonl", "{}\n", 0o644)
			write("fake-make", "#!/bin/sh\n"+tc.make+"\n", 0o755)
			for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"}} {
				if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			c := exec.Command("bash", filepath.Join(repo, ".ci", "run"))
			c.Env = append(os.Environ(), "MAKE="+filepath.Join(repo, "fake-make"))
			out, err := c.CombinedOutput()
			if (err != nil) != tc.fail || !strings.Contains(string(out), tc.mentions) {
				t.Errorf("err %v, want failure %v mentioning %q:\n%s", err, tc.fail, tc.mentions, out)
			}
		})
	}
}
