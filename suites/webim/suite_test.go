// Package webim drives a real webim.js 1.x file (the legacy generation the WebIM 1.0 and 1.3
// manuals describe) against the embedded fake server, through the same driver protocol as the
// tim-js-sdk suites (suites/driver/node/adapters/legacy-webim.js). webim.js is on no package registry:
// the file comes from IMHARNESS_WEBIM_JS; without it every case is skipped as "not run" with one
// line of help, and CI covers this generation with the protocol replay tests of mockserver/tim.
package webim

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/harness"
)

var env *harness.Env

func TestWebIM(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "webim.js conformance")
}

var _ = BeforeSuite(func() {
	file := harness.WebIMFile()
	if file == "" {
		Skip(harness.WebIMHelp)
	}
	env = harness.SetUpSuite(func() (*harness.Env, error) { return harness.StartSDK(harness.WebIMSDK(file)) }, (*harness.Env).Close)
})
