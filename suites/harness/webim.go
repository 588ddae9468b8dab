package harness

import (
	"fmt"
	"os"
	"regexp"

	"github.com/imharness/imharness/suites/driver"
)

// EnvWebIM names the webim.js 1.x file the webim suites drive. webim.js is on no package registry,
// so it comes from the user (an SDK author may point it at a private build).
const EnvWebIM = "IMHARNESS_WEBIM_JS"

// WebIMHelp is the one line shown where webim cases did not run.
const WebIMHelp = "not run: no webim.js given (set " + EnvWebIM + "=/path/webim.js, or imharness run --sdk webim.js@file:/path/webim.js)"

// WebIMSDK is the driver SDK name of a webim.js file.
func WebIMSDK(file string) string { return driver.WebIMPrefix + file }

// The version a webim.js file declares about itself: Version = '1.7.3' (1.7.3), 'VERSION': '1.7.2'
// (1.7.2 and earlier 1.7), or the "VER 1.7.0" header comment.
var webimVersionRes = []*regexp.Regexp{
	regexp.MustCompile(`\bVersion\s*=\s*['"](\d+\.\d+(?:\.\d+)?)['"]`),
	regexp.MustCompile(`['"]VERSION['"]\s*:\s*['"](\d+\.\d+(?:\.\d+)?)['"]`),
	regexp.MustCompile(`\bVER\s+(\d+\.\d+(?:\.\d+)?)`),
}

// webimName is "webim.js@<version>" for a webim.js file: the matrix column of its runs.
func webimName(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("webim.js file: %w", err)
	}
	for _, re := range webimVersionRes {
		if m := re.FindSubmatch(b); m != nil {
			return "webim.js@" + string(m[1]), nil
		}
	}
	return "", fmt.Errorf("%s declares no webim.js version (no Version = '…', 'VERSION': '…' or VER header)", file)
}
