// Package timjs drives the real npm tim-js-sdk (long-polling generation) against the embedded fake
// server. Every spec gets its own tenant and its own driver processes, so specs run in parallel
// (`ginkgo -p`). Every spec carries its stable case ID as a label (tim/c2c/send-text).
package timjs

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/harness"
)

var env *harness.Env

func TestTimJS(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tim-js-sdk conformance")
}

var _ = BeforeSuite(func() {
	env = harness.SetUpSuite(harness.Start, (*harness.Env).Close)
})
