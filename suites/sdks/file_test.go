package sdks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// webim.js is a file the user gives: --sdk webim.js@file:<path>, named after the version the file
// declares, never installed with npm.
func TestParseFileBuilds(t *testing.T) {
	work := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("new.js", "/* webim javascript SDK */\nvar Version = '1.7.3';\n")
	write("mid.js", "var SDK = {\n 'VERSION': '1.7.2', //sdk版本号\n};\n")
	write("old.js", "/* webim javascript SDK\n * VER 1.2\n */\n")
	write("none.js", "var x = 1;\n")
	for file, want := range map[string]string{"new.js": "1.7.3", "mid.js": "1.7.2", "old.js": "1.2"} {
		s, err := Parse("webim.js@file:"+file, nil, work)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		abs := filepath.Join(work, file)
		if s.Name != "webim.js@"+want || s.Version != want || s.Require != "webim.js@file:"+abs || !s.Family.File ||
			s.Family.Suite != "suites/webim" || s.Pinned() {
			t.Errorf("%s: %+v", file, s)
		}
		if err := Install(t.Context(), &s, nil); err != nil {
			t.Errorf("%s: Install of a file build: %v (it is used where it is)", file, err)
		}
	}
	for arg, msg := range map[string]string{
		"webim.js@1.7.3":          "give the file",
		"webim.js@file:gone.js":   "no file",
		"webim.js@file:none.js":   "declares no version",
		"webim.js@file:" + work:   "no file",
		"webim.js@file:../mid.js": "no file",
	} {
		if _, err := Parse(arg, nil, work); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", arg, err, msg)
		}
	}
	if f := FileFamilies(); len(f) != 2 || f[0].Package != "webim.js" || f[0].Cases != "webim/" || !strings.Contains(f[0].Help, "not run") ||
		f[1].Package != "jmessage-sdk-web" || f[1].Cases != "jim/" || !strings.Contains(f[1].Help, "not run: no SDK file given") {
		t.Errorf("FileFamilies() = %+v", f)
	}
}
