package harness

import (
	"os"
	"strings"

	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/sdks"
)

// EnvWebIM names the webim.js 1.x file the webim suites drive. webim.js is on no package registry,
// so it comes from the user (an SDK author may point it at a private build). imharness run passes
// it as IMHARNESS_SDK=webim.js@file:/path instead.
const EnvWebIM = "IMHARNESS_WEBIM_JS"

// WebIMHelp is the one line shown where webim cases did not run.
const WebIMHelp = "not run: no webim.js given (set " + EnvWebIM + "=/path/webim.js, or imharness run --sdk webim.js@file:/path/webim.js)"

// WebIMSDK is the driver SDK name of a webim.js file.
func WebIMSDK(file string) string { return driver.WebIMPrefix + file }

// WebIMFile is the webim.js file the environment names ("" for none).
func WebIMFile() string {
	if f, ok := strings.CutPrefix(os.Getenv(EnvSDK), driver.WebIMPrefix); ok {
		return f
	}
	return os.Getenv(EnvWebIM)
}

// webimName is "webim.js@<version>" for a webim.js file: the matrix column of its runs.
func webimName(file string) (string, error) {
	v, err := sdks.FileVersion(file)
	if err != nil {
		return "", err
	}
	return "webim.js@" + v, nil
}
