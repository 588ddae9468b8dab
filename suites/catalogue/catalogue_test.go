package catalogue

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var root = filepath.Join("..", "..")

// specLabels collects every case ID given to harness.Case in the suites' spec files.
func specLabels(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(root, "suites", "*", "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`Case\("([a-z0-9-]+/[a-z0-9-]+/[a-z0-9-]+)"\)`)
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
	}
	var out []string
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// The catalogue and the suites name the same cases: a spec without an entry has no requirement in
// the report, an entry without a spec claims coverage nobody proves.
func TestCatalogueMatchesSpecs(t *testing.T) {
	c, err := Load(filepath.Join(root, "fixtures", "catalogue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range c.Cases {
		ids = append(ids, k.ID)
	}
	sort.Strings(ids)
	if d := cmp.Diff(ids, specLabels(t)); d != "" {
		t.Errorf("catalogue (-) vs spec labels (+):\n%s", d)
	}
}

func TestCoversNameRealItems(t *testing.T) {
	c, err := Load(filepath.Join(root, "fixtures", "catalogue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	itemsFile := filepath.Join(root, "..", "shared", "seeds", "items.tsv")
	items, err := LoadItems(itemsFile)
	if err != nil {
		t.Fatalf("the seeds' items.tsv must sit beside the repo (../shared): %v", err)
	}
	if len(items) != 182 {
		t.Errorf("items.tsv has %d items, the seeds' README says 182", len(items))
	}
	if u := c.Unknown(items); len(u) != 0 {
		t.Errorf("covers name no item of items.tsv: %v", u)
	}
	covered, _ := c.Coverage(items)
	if len(covered) == 0 {
		t.Error("the catalogue covers no seed item")
	}
}

func TestLoadRefusesBadCatalogues(t *testing.T) {
	for name, body := range map[string]string{
		"unknown key": "cases:\n  - id: tim/a/b\n    requirement: r\n    seed: s\n    colour: red\n",
		"duplicate":   "cases:\n  - {id: tim/a/b, requirement: r, seed: s}\n  - {id: tim/a/b, requirement: r, seed: s}\n",
		"bad id":      "cases:\n  - {id: b, requirement: r, seed: s}\n",
		"no seed":     "cases:\n  - {id: tim/a/b, requirement: r}\n",
	} {
		f := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(f, []byte(body), 0o644)
		if _, err := Load(f); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMatch(t *testing.T) {
	c := &Catalogue{Cases: []Case{{ID: "tim/c2c/a"}, {ID: "tim/c2c/b"}, {ID: "tim/login/x"}}}
	got, err := c.Match("tim/c2c/*")
	if err != nil || len(got) != 2 || got[1].ID != "tim/c2c/b" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := c.Match("["); err == nil {
		t.Error("bad glob accepted")
	}
}
