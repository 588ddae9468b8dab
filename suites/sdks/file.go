package sdks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Builds of file families (webim.js 1.x): one JavaScript file the user gives, run by the family's
// node adapter. The driver is told "<Package>@file:/abs/path" (IMHARNESS_SDK).

func fileFamily(pkg string) (Family, bool) {
	for _, f := range Families {
		if f.Package == pkg && f.File {
			return f, true
		}
	}
	return Family{}, false
}

// FileFamilies are the families whose SDK is a user-given file.
func FileFamilies() []Family {
	var out []Family
	for _, f := range Families {
		if f.File {
			out = append(out, f)
		}
	}
	return out
}

func parseFile(arg string, f Family, spec, dir string) (SDK, error) {
	path, ok := strings.CutPrefix(spec, "file:")
	if !ok || path == "" {
		return SDK{}, fmt.Errorf("--sdk %q: %s is on no package registry; give the file: %s@file:/path/%s", arg, f.Package, f.Package, f.Package)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	path = filepath.Clean(path)
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return SDK{}, fmt.Errorf("--sdk %q: no file %s", arg, path)
	}
	v, err := FileVersion(path)
	if err != nil {
		return SDK{}, fmt.Errorf("--sdk %q: %w", arg, err)
	}
	return SDK{Name: f.Package + "@" + v, Package: f.Package, Version: v, Require: f.Package + "@file:" + path,
		Family: f, Spec: "file:" + path}, nil
}

// The version a webim.js file declares about itself: Version = '1.7.3' (1.7.3), 'VERSION': '1.7.2'
// (1.7.2 and earlier 1.7), or the "VER 1.7.0" header comment.
var fileVersionRes = []*regexp.Regexp{
	regexp.MustCompile(`\bVersion\s*=\s*['"](\d+\.\d+(?:\.\d+)?)['"]`),
	regexp.MustCompile(`['"]VERSION['"]\s*:\s*['"](\d+\.\d+(?:\.\d+)?)['"]`),
	regexp.MustCompile(`\bVER\s+(\d+\.\d+(?:\.\d+)?)`),
	regexp.MustCompile(`\bSDK_VERSION\s*:\s*['"](\d+\.\d+(?:\.\d+)?)['"]`), // jmessage-sdk-web 2.x
}

// FileVersion reads the release a webim.js file declares: it names the build's report column.
func FileVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, re := range fileVersionRes {
		if m := re.FindSubmatch(b); m != nil {
			return string(m[1]), nil
		}
	}
	return "", fmt.Errorf("%s declares no version (no Version = '…', 'VERSION': '…' or VER header)", path)
}
