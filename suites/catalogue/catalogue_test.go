package catalogue

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var root = filepath.Join("..", "..")

func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// The real thing: the catalogue, every spec every Ginkgo suite under suites/ registers (as a dry
// run reports them), and the seed items are in step.
func TestCatalogueMatchesRegisteredSpecs(t *testing.T) {
	repo := repoRoot(t)
	c, err := Load(filepath.Join(repo, "fixtures", "catalogue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	items, err := LoadItems(filepath.Join(repo, "fixtures", "seed-items.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := SuitePackages(repo)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pkgs, "suites/timjs") {
		t.Fatalf("suite discovery missed suites/timjs: %v", pkgs)
	}
	specs, err := DryRun(repo, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if !slices.ContainsFunc(specs, func(s Spec) bool { return s.Suite == p }) {
			t.Errorf("suite %s registered no spec", p)
		}
	}
	for _, p := range Check(c, specs, items) {
		t.Error(p)
	}
	t.Logf("%d suite(s) %v, %d specs, %d catalogue cases", len(pkgs), pkgs, len(specs), len(c.Cases))
}

func TestSeedItems(t *testing.T) {
	items, err := LoadItems(filepath.Join(root, "fixtures", "seed-items.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 182 {
		t.Errorf("seed-items.tsv has %d items, the seed documents name 182", len(items))
	}
	c, err := Load(filepath.Join(root, "fixtures", "catalogue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if covered, _ := c.Coverage(items); len(covered) == 0 {
		t.Error("the catalogue covers no seed item")
	}
}

// Each way the catalogue and the specs can drift apart is reported, naming the case; in-step
// input reports nothing.
func TestCheckFailureModes(t *testing.T) {
	items := []Item{{Seed: "003", Kind: "api", Name: "tim.login"}, {Seed: "002", Kind: "group-tip", Name: "1 JOIN"}}
	cat := func() *Catalogue {
		return &Catalogue{Cases: []Case{
			{ID: "tim/login/ready", Requirement: "r", Seed: "s", Covers: []string{"tim.login"}},
			{ID: "tim/group/tip_1", Requirement: "r", Seed: "s", Covers: []string{"1 JOIN", "group-tip 1 JOIN"}},
		}}
	}
	spec := func(suite, id string, line int) Spec {
		return Spec{Suite: suite, Text: "spec " + id, Location: "suites/x/a_test.go:" + string(rune('0'+line)),
			Labels: []string{"sdk:tim-js-sdk", "case:" + strings.ReplaceAll(id, "/", ".")}}
	}
	good := []Spec{spec("suites/timjs", "tim/login/ready", 1), spec("suites/timjs", "tim/group/tip_1", 2),
		spec("suites/timws", "tim/login/ready", 3)} // another suite, another SDK family: allowed
	if p := Check(cat(), good, items); len(p) != 0 {
		t.Fatalf("in-step input reported: %v", p)
	}
	for name, tc := range map[string]struct {
		cat   *Catalogue
		specs []Spec
		want  string // a regexp the one problem must match
	}{
		"catalogue case with no spec": {cat(), good[:1], `^case tim/group/tip_1 is in the catalogue but no spec carries it$`},
		"spec with no catalogue case": {cat(), append(slices.Clone(good), spec("suites/timjs", "tim/c2c/new", 4)),
			`^case tim/c2c/new \(spec "spec tim/c2c/new" \(suites/x/a_test.go:4\)\) has no entry in fixtures/catalogue.yaml$`},
		"two specs with one ID": {cat(), append(slices.Clone(good), spec("suites/timjs", "tim/login/ready", 5)),
			`^case tim/login/ready is the label of 2 specs in suites/timjs: .*a_test.go:1.*a_test.go:5`},
		"covers item not in the seed list": {func() *Catalogue { c := cat(); c.Cases[0].Covers = append(c.Cases[0].Covers, "tim.logn"); return c }(), good,
			`^case tim/login/ready covers "tim.logn", which is no item of fixtures/seed-items.tsv$`},
		"spec without a case label": {cat(), append(slices.Clone(good), Spec{Suite: "suites/timjs", Text: "orphan", Location: "a_test.go:9", Labels: []string{"sdk:x"}}),
			`^spec "orphan" \(a_test.go:9\) has no case label`},
		"case label breaking the grammar": {cat(), append(slices.Clone(good), Spec{Suite: "suites/timjs", Text: "bad", Location: "a_test.go:9", Labels: []string{"case:tim.Login"}}),
			`^spec "bad" \(a_test.go:9\): label "case:tim.Login": bad case ID "tim/Login"`},
		"two case labels on one spec": {cat(), append(slices.Clone(good), Spec{Suite: "suites/timjs", Text: "two", Location: "a_test.go:9", Labels: []string{"case:tim.login.ready", "case:tim.group.tip_1"}}),
			`^spec "two" \(a_test.go:9\) has 2 case labels`},
	} {
		p := Check(tc.cat, tc.specs, items)
		if len(p) != 1 || !regexp.MustCompile(tc.want).MatchString(p[0]) {
			t.Errorf("%s: got %q, want one problem matching %s", name, p, tc.want)
		}
	}
}

// The dry run reads what Ginkgo registers, not the source text: a case ID left in a comment is
// no spec, an ID with '_' is seen, and two specs with one ID stay two. (A throwaway Ginkgo suite
// in its own module, built with this module's go.mod so nothing is downloaded.)
func TestDryRunReadsRegisteredSpecs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Ginkgo suite")
	}
	repo := repoRoot(t)
	mod := t.TempDir()
	goMod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goSum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	goMod = regexp.MustCompile(`(?m)^module .*$`).ReplaceAll(goMod, []byte("module example.com/dry"))
	suite := `package dry

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
)

func TestDry(t *testing.T) { RunSpecs(t, "dry") }

var _ = Describe("things", Label("sdk:none"), func() {
	// It("was deleted", Label("case:tim.gone.deleted"), func() {})
	It("has an underscore", Label("case:tim.x.under_score"), func() {})
	It("is one", Label("case:tim.x.twice"), func() {})
	It("is another", Label("case:tim.x.twice"), func() {})
	DescribeTable("a table", func(int) {}, Entry("entry", Label("case:tim.x.entry"), 1))
})
`
	for name, body := range map[string][]byte{"go.mod": goMod, "go.sum": goSum, "suites/dry/dry_test.go": []byte(suite)} {
		p := filepath.Join(mod, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	pkgs, err := SuitePackages(mod)
	if err != nil || !slices.Equal(pkgs, []string{"suites/dry"}) {
		t.Fatalf("suites: %v %v", pkgs, err)
	}
	specs, err := DryRun(mod, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	cat := &Catalogue{Cases: []Case{{ID: "tim/gone/deleted"}, {ID: "tim/x/under_score"}, {ID: "tim/x/twice"}, {ID: "tim/x/entry"}}}
	got := Check(cat, specs, nil)
	want := []*regexp.Regexp{
		regexp.MustCompile(`^case tim/gone/deleted is in the catalogue but no spec carries it$`),
		regexp.MustCompile(`^case tim/x/twice is the label of 2 specs in suites/dry: "things is one" \(suites/dry/dry_test.go:14\), "things is another" \(suites/dry/dry_test.go:15\)$`),
	}
	if len(got) != len(want) {
		t.Fatalf("problems %q, want %d", got, len(want))
	}
	for i, re := range want {
		if !re.MatchString(got[i]) {
			t.Errorf("problem %q does not match %s", got[i], re)
		}
	}
}

func TestLoadRefusesBadCatalogues(t *testing.T) {
	for name, body := range map[string]string{
		"unknown key": "cases:\n  - id: tim/a/b\n    requirement: r\n    seed: s\n    colour: red\n",
		"duplicate":   "cases:\n  - {id: tim/a/b, requirement: r, seed: s}\n  - {id: tim/a/b, requirement: r, seed: s}\n",
		"bad id":      "cases:\n  - {id: b, requirement: r, seed: s}\n",
		"dot in id":   "cases:\n  - {id: tim/a/b.c, requirement: r, seed: s}\n",
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
