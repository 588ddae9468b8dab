package sdks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// SDK is one build of a family's package that a run drives: one column of the report.
type SDK struct {
	Name    string // the column: "tim-js-sdk@2.10.2", or the --sdk text for unpinned builds ("tim-js-sdk@file:../my-build")
	Package string // npm package name, "tim-js-sdk"
	Version string // the release, from its package.json (for unpinned builds known after Install)
	// Require is what the node driver loads: a package name or alias installed in
	// suites/driver/node/node_modules (pins), or an absolute directory (unpinned builds).
	Require string
	Family  Family
	Spec    string // the npm version spec of an unpinned build ("2.5.0", "file:/abs/build"); "" for a pin
}

// Pinned reports whether the SDK is one of the versions pinned in suites/driver/node.
func (s SDK) Pinned() bool { return s.Spec == "" }

// Pinned lists the SDK builds pinned in nodeDir/package.json: every dependency (or npm: alias)
// whose package a family drives, in the versions that family covers. The list is the data CI
// iterates: pinning another version adds a column everywhere.
func Pinned(nodeDir string) ([]SDK, error) {
	b, err := os.ReadFile(filepath.Join(nodeDir, "package.json"))
	if err != nil {
		return nil, err
	}
	var p struct{ Dependencies map[string]string }
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(nodeDir, "package.json"), err)
	}
	var out []SDK
	for alias, spec := range p.Dependencies {
		pkg, version := alias, spec
		if rest, ok := strings.CutPrefix(spec, "npm:"); ok {
			at := strings.LastIndex(rest, "@")
			if at <= 0 {
				continue
			}
			pkg, version = rest[:at], rest[at+1:]
		}
		if !Supports(pkg) {
			continue // the driver's own dependencies (xhr2, …)
		}
		f, err := FamilyOf(pkg, version)
		if err != nil {
			return nil, fmt.Errorf("suites/driver/node/package.json pins %s, but %w: add its family to suites/sdks/families.go", alias, err)
		}
		out = append(out, SDK{Name: pkg + "@" + version, Package: pkg, Version: version, Require: alias, Family: f})
	}
	sort.Slice(out, func(i, j int) bool { // the report orders columns by package, then version
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return CompareVersions(out[i].Version, out[j].Version) < 0
	})
	return out, nil
}

// Parse reads one --sdk value: the name or alias of a pin (tim-js-sdk@2.7.0, tim-js-sdk-2.10.2),
// or <package>@<npm spec> for any other build of a supported package: a version or range
// (tim-js-sdk@2.5.0) or a local build (tim-js-sdk@file:../my-build, relative to dir).
func Parse(arg string, pins []SDK, dir string) (SDK, error) {
	for _, p := range pins {
		if arg == p.Name || arg == p.Require {
			return p, nil
		}
	}
	at := strings.LastIndex(arg, "@")
	if at <= 0 || at == len(arg)-1 { // at 0 is a scope (@tencentcloud/chat) without a version
		return SDK{}, fmt.Errorf("--sdk %q: want <package>@<version or npm spec>, e.g. tim-js-sdk@2.5.0 or tim-js-sdk@file:../my-build (pinned: %s)", arg, names(pins))
	}
	pkg, spec := arg[:at], arg[at+1:]
	if !Supports(pkg) {
		return SDK{}, fmt.Errorf("--sdk %q: %s is no SDK the suites drive (supported: %s)", arg, pkg, supported())
	}
	if f, ok := fileFamily(pkg); ok {
		return parseFile(arg, f, spec, dir)
	}
	if path, ok := strings.CutPrefix(spec, "file:"); ok {
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if _, err := os.Stat(filepath.Join(path, "package.json")); err != nil {
			if _, err2 := os.Stat(path); err2 != nil || !strings.HasSuffix(path, ".tgz") {
				return SDK{}, fmt.Errorf("--sdk %q: no package build at %s (a directory with package.json, or a .tgz)", arg, path)
			}
		}
		spec = "file:" + filepath.Clean(path)
	}
	return SDK{Name: arg, Package: pkg, Spec: spec}, nil
}

func names(pins []SDK) string {
	var n []string
	for _, p := range pins {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}

var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9._@-]+`)

// Key names the cache directory of an unpinned build: readable, and unique per package and spec.
func (s SDK) Key() string {
	sum := sha256.Sum256([]byte(s.Package + "@" + s.Spec))
	k := unsafeKey.ReplaceAllString(s.Package+"@"+s.Spec, "_")
	if len(k) > 60 {
		k = k[:60]
	}
	return k + "-" + hex.EncodeToString(sum[:5])
}
