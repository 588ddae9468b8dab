package catalogue

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The real library and catalogue are in step: every fixtures/scenarios file is a case (and, by
// TestCatalogueMatchesRegisteredSpecs, carried by a spec).
func TestScenarioLibraryIsCatalogued(t *testing.T) {
	c, err := Load(filepath.Join(root, "fixtures", "catalogue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	problems, err := CheckScenarios(c, filepath.Join(root, "fixtures", "scenarios"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func TestCheckScenariosFailureModes(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"tips/tip-1.yaml", "tips/tip-2.yaml"} {
		if err := os.MkdirAll(filepath.Join(dir, "tips"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("name: x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &Catalogue{Cases: []Case{{ID: "scenario/tips/tip-1"}, {ID: "scenario/tips/tip-3"}, {ID: "tim/c2c/send-text"}}}
	got, err := CheckScenarios(c, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "tips", "tip-2.yaml") + " is no catalogue case scenario/tips/tip-2 (every library file is proven by a spec)",
		"case scenario/tips/tip-3 names no file " + filepath.Join(dir, "tips", "tip-3.yaml"),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("problems (-want +got):\n%s", d)
	}
	c.Cases = []Case{{ID: "scenario/tips/tip-1"}, {ID: "scenario/tips/tip-2"}}
	if got, _ := CheckScenarios(c, dir); len(got) != 0 {
		t.Fatalf("in step, got %v", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckScenarios(c, dir); err == nil {
		t.Fatal("a non-YAML file in the library is an error")
	}
}
