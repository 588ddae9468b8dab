package sdks

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFamilyOf(t *testing.T) {
	for _, v := range []string{"2.4.1", "2.7.0", "2.10.2", "2.12.9"} {
		if f, err := FamilyOf("tim-js-sdk", v); err != nil || f.Suite != "suites/timjs" {
			t.Errorf("%s: %v %v", v, f, err)
		}
	}
	// The WebSocket generation: tim-js-sdk from 2.13 and every @tencentcloud/chat, the same suite.
	for _, p := range [][2]string{{"tim-js-sdk", "2.13.0"}, {"tim-js-sdk", "2.27.6"}, {"@tencentcloud/chat", "3.6.6"}} {
		if f, err := FamilyOf(p[0], p[1]); err != nil || f.Suite != "suites/timjs" || f.Adapter != "adapters/timws.js" {
			t.Errorf("%s@%s (WebSocket): %v %v", p[0], p[1], f, err)
		}
	}
	if _, err := FamilyOf("left-pad", "1.0.0"); err == nil || !strings.Contains(err.Error(), "no SDK the suites drive") {
		t.Errorf("left-pad: %v", err)
	}
	if CompareVersions("2.10.2", "2.7.0") <= 0 || CompareVersions("2.7.0", "2.7") != 0 || CompareVersions("2.5.0-beta.1", "2.5.0") != 0 {
		t.Error("CompareVersions")
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPinned(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "package.json"), `{"dependencies":{"tim-js-sdk":"2.7.0","tim-js-sdk-2.10.2":"npm:tim-js-sdk@2.10.2",
		"tim-js-sdk-2.4.1":"npm:tim-js-sdk@2.4.1","xhr2":"0.2.1","odd":"npm:nothing"}}`)
	pins, err := Pinned(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pins {
		got = append(got, p.Name+"="+p.Require+"@"+p.Family.Suite)
	}
	want := "tim-js-sdk@2.4.1=tim-js-sdk-2.4.1@suites/timjs tim-js-sdk@2.7.0=tim-js-sdk@suites/timjs tim-js-sdk@2.10.2=tim-js-sdk-2.10.2@suites/timjs"
	if strings.Join(got, " ") != want {
		t.Errorf("pins %v, want %s", got, want)
	}
	// The repository's own pins include the reference version.
	real, err := Pinned(filepath.Join("..", "driver", "node"))
	if err != nil || len(real) == 0 {
		t.Fatalf("repository pins: %v %v", real, err)
	}
	// (Every release of a driven package has a family since the WebSocket generation joined, so no
	// pin can be refused for its version.)
}

func TestParse(t *testing.T) {
	pins := []SDK{{Name: "tim-js-sdk@2.7.0", Package: "tim-js-sdk", Version: "2.7.0", Require: "tim-js-sdk"},
		{Name: "tim-js-sdk@2.10.2", Package: "tim-js-sdk", Version: "2.10.2", Require: "tim-js-sdk-2.10.2"}}
	for _, arg := range []string{"tim-js-sdk@2.10.2", "tim-js-sdk-2.10.2"} {
		if s, err := Parse(arg, pins, "."); err != nil || !s.Pinned() || s.Require != "tim-js-sdk-2.10.2" {
			t.Errorf("%s: %+v %v", arg, s, err)
		}
	}
	if s, err := Parse("tim-js-sdk@2.5.0", pins, "."); err != nil || s.Pinned() || s.Spec != "2.5.0" || s.Package != "tim-js-sdk" {
		t.Errorf("2.5.0: %+v %v", s, err)
	}
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "my-build", "package.json"), `{"name":"tim-js-sdk","version":"2.7.1"}`)
	s, err := Parse("tim-js-sdk@file:my-build", pins, work)
	if err != nil || s.Spec != "file:"+filepath.Join(work, "my-build") || s.Name != "tim-js-sdk@file:my-build" {
		t.Errorf("file: %+v %v", s, err)
	}
	for arg, want := range map[string]string{
		"tim-js-sdk-2.5.0":          "want <package>@<version",
		"tim-js-sdk@":               "want <package>@<version",
		"@tencentcloud/chat":        "want <package>@<version",
		"left-pad@1.0.0":            "no SDK the suites drive",
		"tim-js-sdk@file:no-build":  "no package build at",
		"tim-js-sdk@file:my-build/": "",
	} {
		_, err := Parse(arg, pins, work)
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", arg, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", arg, err, want)
		}
	}
}

func TestKey(t *testing.T) {
	a := SDK{Package: "tim-js-sdk", Spec: "2.5.0"}.Key()
	b := SDK{Package: "tim-js-sdk", Spec: "file:/home/x/my build"}.Key()
	c := SDK{Package: "tim-js-sdk", Spec: "file:/home/x/my_build"}.Key()
	if !strings.HasPrefix(a, "tim-js-sdk@2.5.0-") || strings.ContainsAny(b, "/ :") || b == c {
		t.Errorf("keys %q %q %q", a, b, c)
	}
}

// Without npm (or node) on PATH, installing says in one line what to install.
func TestEnsurePinnedNeedsNodeAndNPM(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "package-lock.json"), `{}`)
	onlyNode := t.TempDir()
	if err := os.Symlink(node, filepath.Join(onlyNode, "node")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", onlyNode)
	err = EnsurePinned(context.Background(), dir, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "npm is not on PATH: install npm") || strings.Contains(err.Error(), "\n") {
		t.Errorf("no npm: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	err = EnsurePinned(context.Background(), dir, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "node is not on PATH: install Node.js 20") {
		t.Errorf("no node: %v", err)
	}
	// Up to date: nothing to install, so npm is not needed.
	writeFile(t, filepath.Join(dir, "node_modules", ".package-lock.json"), `{}`)
	t.Setenv("PATH", onlyNode)
	if err := EnsurePinned(context.Background(), dir, io.Discard); err != nil {
		t.Errorf("fresh node_modules: %v", err)
	}
}

// Local builds install into the cache with npm (no network: file: specs), and the installed
// package decides the family; a build of another package or of an uncovered version is refused.
func TestInstallLocalBuilds(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	cache := t.TempDir()
	t.Setenv(EnvCache, cache)
	work := t.TempDir()
	build := func(name, pkg, version string) SDK {
		writeFile(t, filepath.Join(work, name, "package.json"), `{"name":"`+pkg+`","version":"`+version+`","main":"index.js"}`)
		writeFile(t, filepath.Join(work, name, "index.js"), `module.exports = {};`)
		s, err := Parse("tim-js-sdk@file:"+name, nil, work)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := build("good", "tim-js-sdk", "2.7.1")
	if err := Install(context.Background(), &s, io.Discard); err != nil {
		t.Fatal(err)
	}
	if s.Version != "2.7.1" || s.Family.Suite != "suites/timjs" || !strings.HasPrefix(s.Require, cache) ||
		s.Name != "tim-js-sdk@file:good" {
		t.Errorf("installed %+v", s)
	}
	if _, err := os.Stat(filepath.Join(s.Require, "index.js")); err != nil {
		t.Errorf("the build is not loadable from the cache: %v", err)
	}
	// (Every tim-js-sdk release has a family since the WebSocket generation joined: 2.13 and later.)
	for name, want := range map[string]string{"other": `the build is the package "left-pad"`} {
		s := build(name, map[string]string{"other": "left-pad"}[name], map[string]string{"other": "1.0.0"}[name])
		if err := Install(context.Background(), &s, io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
	// A spec npm cannot install fails with one line, npm's own output going to the log.
	broken := SDK{Name: "tim-js-sdk@file:broken", Package: "tim-js-sdk", Spec: "file:" + filepath.Join(work, "broken")}
	os.MkdirAll(filepath.Join(work, "broken"), 0o755)
	var log strings.Builder
	err := Install(context.Background(), &broken, &log)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "npm install") {
		t.Errorf("broken build: %v", err)
	}
}

// The Makefile's FAMILY_SUITES (kept out of `make unit`, run per pin by `make suites`) are the
// families' suites: a family's suite left in unit would run once with the default SDK, and a
// suite in FAMILY_SUITES that no family names would run nowhere.
func TestMakefileFamilySuites(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "FAMILY_SUITES := "); ok {
			listed = strings.Fields(rest)
		}
	}
	want := map[string]bool{}
	for _, f := range Families {
		want[f.Suite] = true
	}
	got := map[string]bool{}
	for _, s := range listed {
		got[s] = true
	}
	if len(got) != len(want) {
		t.Errorf("Makefile FAMILY_SUITES %v, families' suites %v", listed, want)
	}
	for s := range want {
		if !got[s] {
			t.Errorf("the suite %s of a family is missing from the Makefile's FAMILY_SUITES", s)
		}
	}
}
