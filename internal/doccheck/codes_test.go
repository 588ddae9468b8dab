package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var root = filepath.Join("..", "..")

// Where the Tencent IM protocol's error codes are defined: every integer constant named Code… or
// code… in the non-test Go files under these directories is a code the server can send.
var codeDirs = []string{"mockserver/tim", "mockserver/state", "mockserver/usersig"}

// The README section whose table lists them, one row per code or "a / b / c" group.
const codeSection = "## Protocol errors the server answers"

var codeName = regexp.MustCompile(`^[Cc]ode[A-Z0-9]`)

// sourceCodes reads the code constants with go/ast: name → value, for names matching codeName
// whose value is an integer literal.
func sourceCodes(dirs ...string) (map[int][]string, error) {
	out := map[int][]string{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				g, ok := decl.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !codeName.MatchString(name.Name) || i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.INT {
							continue // an alias of another constant (codeX = usersig.CodeY): counted there
						}
						v, err := strconv.Atoi(lit.Value)
						if err != nil || v == 0 {
							continue
						}
						out[v] = append(out[v], filepath.ToSlash(path)+":"+name.Name)
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

var codeCell = regexp.MustCompile(`^\d+( / \d+)*$`)

// readmeCodes reads the codes in the first column of the table under heading.
func readmeCodes(readme, heading string) ([]int, error) {
	_, rest, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		return nil, fmt.Errorf("no section %q", heading)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	var out []int
	for _, line := range strings.Split(rest, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !codeCell.MatchString(strings.TrimSpace(cells[1])) {
			continue
		}
		for _, c := range strings.Split(strings.TrimSpace(cells[1]), " / ") {
			n, _ := strconv.Atoi(c)
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("section %q has no code table", heading)
	}
	return out, nil
}

// compareCodes lists what is wrong between the README's codes and the source's.
func compareCodes(readme []int, source map[int][]string) []string {
	var problems []string
	listed := map[int]int{}
	for _, c := range readme {
		listed[c]++
	}
	for c, n := range listed {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("README lists %d %d times", c, n))
		}
		if _, ok := source[c]; !ok {
			problems = append(problems, fmt.Sprintf("README lists %d, which no code constant defines", c))
		}
	}
	for c, where := range source {
		if listed[c] == 0 {
			problems = append(problems, fmt.Sprintf("%d (%s) is missing from the README's error table", c, strings.Join(where, ", ")))
		}
	}
	sort.Strings(problems)
	return problems
}

func TestReadmeListsEveryErrorCode(t *testing.T) {
	var dirs []string
	for _, d := range codeDirs {
		dirs = append(dirs, filepath.Join(root, filepath.FromSlash(d)))
	}
	source, err := sourceCodes(dirs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(source) < 20 {
		t.Fatalf("found only %d code constants in %v: has the naming changed?", len(source), codeDirs)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := readmeCodes(string(b), codeSection)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range compareCodes(readme, source) {
		t.Error(p)
	}
}

// The checker itself: it finds constants by name and literal only, reads grouped table rows, and
// reports each kind of mismatch.
func TestCodeCheckerFindsMismatches(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.go"), []byte(`package a
import "x/usersig"
const (
	CodeOne = 10001 // sent
	codeTwo = 10002
	codeAlias = usersig.CodeExpired
	notACode = 10003
	CodeOK = 0
)
const Codec = 5
`), 0o644)
	os.WriteFile(filepath.Join(dir, "a_test.go"), []byte("package a\nconst CodeTest = 10009\n"), 0o644)
	got, err := sourceCodes(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[10001] == nil || got[10002] == nil {
		t.Fatalf("source codes %v", got)
	}
	readme := "# x\n\n## Errors\n\n| code | when |\n|---|---|\n| 10001 / 10004 | a |\n| 10001 | again |\n\n## Next\n| 10002 | not this section |\n"
	codes, err := readmeCodes(readme, "## Errors")
	if err != nil || !slices.Equal(codes, []int{10001, 10004, 10001}) {
		t.Fatalf("readme codes %v %v", codes, err)
	}
	want := []string{
		"10002 (" + filepath.ToSlash(filepath.Join(dir, "a.go")) + ":codeTwo) is missing from the README's error table",
		"README lists 10001 2 times",
		"README lists 10004, which no code constant defines",
	}
	if p := compareCodes(codes, got); !slices.Equal(p, want) {
		t.Errorf("problems\n%q\nwant\n%q", p, want)
	}
	if _, err := readmeCodes(readme, "## Missing"); err == nil {
		t.Error("a missing section was not reported")
	}
}
