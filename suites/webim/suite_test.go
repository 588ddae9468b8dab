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
	"go.uber.org/goleak"

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
	ignore := goleak.IgnoreCurrent()
	var err error
	env, err = harness.StartSDK(harness.WebIMSDK(file))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		env.Close()
		Eventually(func() error {
			return goleak.Find(ignore,
				goleak.IgnoreAnyFunction("github.com/onsi/ginkgo/v2/internal.(*genericOutputInterceptor).ResumeIntercepting.func1"),
				goleak.IgnoreAnyFunction("github.com/onsi/ginkgo/v2/internal.(*genericOutputInterceptor).ResumeIntercepting.func1.1"))
		}).Should(Succeed())
	})
})
