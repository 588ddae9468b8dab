package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/imharness/imharness/reports"
	"github.com/imharness/imharness/suites/catalogue"
	"github.com/imharness/imharness/suites/sdks"
)

// Without a webim.js file, the chosen webim cases are reported as not run (skipped, with the one
// line of help), never as passed; with one, they are left to its suite.
func TestWebIMCasesNotRunWithoutAFile(t *testing.T) {
	cat, err := catalogue.Load(filepath.Join("..", "..", "fixtures", "catalogue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	all, _ := cat.Match("")
	pins := []sdks.SDK{{Name: "tim-js-sdk@2.7.0", Package: "tim-js-sdk", Family: sdks.Families[0]}}
	var got, jim []reports.Case
	for _, c := range notRun(pins, all, cat) {
		if c.SDK == "jmessage-sdk-web" { // the other file family: its own rows
			jim = append(jim, c)
			continue
		}
		got = append(got, c)
	}
	if len(jim) == 0 || !strings.HasPrefix(jim[0].Failure, "not run: no SDK file given") {
		t.Errorf("jmessage-sdk-web rows %v, want the jim cases as not run", jim)
	}
	webim := 0
	for _, c := range all {
		if strings.HasPrefix(c.ID, "webim/") {
			webim++
		}
	}
	if webim == 0 || len(got) != webim {
		t.Fatalf("%d not-run rows for %d webim cases", len(got), webim)
	}
	for _, c := range got {
		if c.State != reports.Skipped || c.SDK != "webim.js" || !strings.HasPrefix(c.Failure, "not run: no webim.js given") ||
			!strings.HasPrefix(c.ID, "webim/") || c.Requirement == "" {
			t.Errorf("not-run row %+v", c)
		}
	}
	tim, _ := cat.Match("tim/c2c/*")
	if n := notRun(pins, tim, cat); len(n) != 0 {
		t.Errorf("tim cases reported as not run: %v", n)
	}
	file := sdks.SDK{Name: "webim.js@1.7.3", Package: "webim.js", Family: sdks.FileFamilies()[0]}
	jimFile := sdks.SDK{Name: "jmessage-sdk-web@2.5.0", Package: "jmessage-sdk-web", Family: sdks.FileFamilies()[1]}
	if n := notRun(append(pins, file, jimFile), all, cat); len(n) != 0 {
		t.Errorf("with a webim.js and a jmessage-sdk-web build given, %d cases still reported as not run", len(n))
	}
}
