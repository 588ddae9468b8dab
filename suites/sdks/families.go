// Package sdks knows which client SDKs the suites can drive and where a build of one comes from:
// the versions pinned in suites/driver/node (installed there with npm ci), or any other npm
// version spec or local build, installed with npm into a cache outside the repository.
package sdks

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Family is one SDK family: an npm package (within a version range) and the suite that drives it.
// Adding a family is adding one entry to Families.
type Family struct {
	Package    string // npm package name, e.g. "tim-js-sdk"
	Generation string // what the family speaks, for people
	Suite      string // the Ginkgo suite package that drives it, relative to the repository
	Adapter    string // the node side that runs it: driver.js, or adapters/<name>.js in suites/driver/node
	// From and Before bound the releases of Package this family covers (From ≤ v < Before; ""
	// leaves that side open). A package split across generations gets one entry per range.
	From, Before string
	// File families are no npm package: the user gives the SDK's one file (--sdk
	// <Package>@file:/path), whose own version string names the build. Without one, the family's
	// cases (IDs starting with Cases) are reported as not run, with Help.
	File  bool
	Cases string
	Help  string
}

// Families are the SDK families the suites drive, first match wins.
var Families = []Family{
	{Package: "tim-js-sdk", Generation: "Tencent IM v4 JSON over HTTP long polling", Suite: "suites/timjs", Adapter: "driver.js",
		Before: "2.13.0"}, // 2.13 moved to WebSocket
	{Package: "webim.js", Generation: "legacy webim.js 1.x, the same v4 family (a file you give)", Suite: "suites/webim", Adapter: "webim",
		File: true, Cases: "webim/",
		Help: "not run: no webim.js given (imharness run --sdk webim.js@file:/path/webim.js, or IMHARNESS_WEBIM_JS=/path/webim.js for the suite)"},
	// The same commands as WebSocket frames with pushes; the same specs (the driver picks the
	// transport from the package, suites/driver/node/adapters/timws.js).
	{Package: "tim-js-sdk", Generation: "Tencent IM v4 commands over WebSocket", Suite: "suites/timjs", Adapter: "adapters/timws.js",
		From: "2.13.0"},
	{Package: "@tencentcloud/chat", Generation: "Tencent IM v4 commands over WebSocket", Suite: "suites/timjs", Adapter: "adapters/timws.js"},
	// JMessage web: the event flow of jmessage-sdk-web (on no registry) re-enacted on npm
	// socket.io-client. 1.4.5 is what the 1.x guide loads; 2.x bundles a later 1.x client.
	{Package: "socket.io-client", Generation: "JMessage 1.x wire (rid counter, v1 events) over socket.io 1.x", Suite: "suites/jmessage",
		Adapter: "jmessage", From: "1.0.0", Before: "1.5.0"},
	{Package: "socket.io-client", Generation: "JMessage 2.x wire (random rids resent until acked, v2 events, sync_check) over socket.io 1.x",
		Suite: "suites/jmessage", Adapter: "jmessage", From: "1.5.0", Before: "2.0.0"},
	{Package: "jmessage-sdk-web", Generation: "JMessage web 2.x (a file you give)", Suite: "suites/jmessage", Adapter: "jmessage",
		File: true, Cases: "jim/",
		Help: "not run: no SDK file given (imharness run --sdk jmessage-sdk-web@file:/path/jmessage-sdk-web.js, or IMHARNESS_JMESSAGE_JS=/path/jmessage-sdk-web.js with IMHARNESS_JMESSAGE_CLIENT=sdk for the suite)"},
}

// Covers says whether version (a release like 2.10.2) belongs to the family.
func (f Family) Covers(version string) bool {
	return (f.From == "" || CompareVersions(version, f.From) >= 0) && (f.Before == "" || CompareVersions(version, f.Before) < 0)
}

func (f Family) String() string {
	r := ""
	switch {
	case f.From != "" && f.Before != "":
		r = " " + f.From + "–<" + f.Before
	case f.From != "":
		r = " ≥" + f.From
	case f.Before != "":
		r = " <" + f.Before
	}
	return f.Package + r + " (" + f.Generation + ", " + f.Suite + ")"
}

// FamilyOf finds the family of a package release.
func FamilyOf(pkg, version string) (Family, error) {
	known := false
	for _, f := range Families {
		if f.Package == pkg {
			known = true
			if f.Covers(version) {
				return f, nil
			}
		}
	}
	if !known {
		return Family{}, fmt.Errorf("%s is no SDK the suites drive (supported: %s)", pkg, supported())
	}
	return Family{}, fmt.Errorf("%s@%s: no suite drives this version (supported: %s)", pkg, version, supported())
}

// Supports says whether pkg is the package of some family.
func Supports(pkg string) bool {
	for _, f := range Families {
		if f.Package == pkg {
			return true
		}
	}
	return false
}

func supported() string {
	var s []string
	for _, f := range Families {
		s = append(s, f.String())
	}
	return strings.Join(s, "; ")
}

// CompareVersions compares dotted release numbers numerically (2.10.2 > 2.7.0); a pre-release
// suffix is ignored.
func CompareVersions(a, b string) int {
	num := func(s string) []string { s, _, _ = strings.Cut(s, "-"); return strings.Split(s, ".") }
	as, bs := num(a), num(b)
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	return 0
}
