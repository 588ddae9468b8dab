// Package timjs drives the real npm tim-js-sdk (long-polling generation) against the embedded fake
// server. Every spec gets its own tenant and its own driver processes, so specs run in parallel
// (`ginkgo -p`). Every spec carries its stable case ID as a label (tim/c2c/send-text).
package timjs

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"

	"github.com/imharness/imharness/suites/harness"
)

var env *harness.Env

func TestTimJS(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tim-js-sdk conformance")
}

var _ = BeforeSuite(func() {
	ignore := goleak.IgnoreCurrent()
	var err error
	env, err = harness.Start()
	if err != nil {
		Fail("setup: " + err.Error()) // one line: imharness run reports it as the reason the run could not start
	}
	DeferCleanup(func() {
		env.Close()
		// Every server goroutine and driver reader must be gone once the server is closed.
		// (Ginkgo's own output interceptor restarts its goroutines between specs; they are not ours.)
		Eventually(func() error {
			return goleak.Find(ignore,
				goleak.IgnoreAnyFunction("github.com/onsi/ginkgo/v2/internal.(*genericOutputInterceptor).ResumeIntercepting.func1"),
				goleak.IgnoreAnyFunction("github.com/onsi/ginkgo/v2/internal.(*genericOutputInterceptor).ResumeIntercepting.func1.1"))
		}).Should(Succeed())
	})
})
