package harness

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"
)

// ginkgoGoroutines are Ginkgo's own: its output interceptor restarts them between specs.
var ginkgoGoroutines = []string{
	"github.com/onsi/ginkgo/v2/internal.(*genericOutputInterceptor).ResumeIntercepting.func1",
	"github.com/onsi/ginkgo/v2/internal.(*genericOutputInterceptor).ResumeIntercepting.func1.1",
}

// waitBound is how long an Eventually waits unless it says otherwise: SDK events, pushes and
// recordings arrive in tens of milliseconds on an idle machine, but a CI machine running four
// spec processes and node drivers on two cores can take seconds, and Gomega's 1 s default then
// fails a spec whose behaviour was right. It bounds a wait; it asserts no timing.
const waitBound = 15 * time.Second

// SetUpSuite is a suite's BeforeSuite: it starts the suite's environment and, when the suite
// ends, closes it and waits until every goroutine started since has ended (goleak): servers,
// driver readers and timers are owned by the environment. notOurs names functions of goroutines a
// library leaves running for a while after close (they end on their own). A failed start fails the
// suite with one line, which imharness run reports as the reason the run could not start.
func SetUpSuite[E any](start func() (E, error), close func(E), notOurs ...string) E {
	SetDefaultEventuallyTimeout(waitBound)
	ignore := []goleak.Option{goleak.IgnoreCurrent()}
	for _, f := range append(notOurs, ginkgoGoroutines...) {
		ignore = append(ignore, goleak.IgnoreAnyFunction(f))
	}
	e, err := start()
	if err != nil {
		Fail("setup: " + err.Error())
	}
	DeferCleanup(func() {
		close(e)
		Eventually(func() error { return goleak.Find(ignore...) }).Should(Succeed())
	})
	return e
}
