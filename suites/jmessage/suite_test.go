// Package jmessage drives JiGuang JMessage web clients against the embedded fake server's socket.io
// endpoint. Each spec runs once per client: the 1.x wire generation on npm socket.io-client 1.4.5,
// the 2.x generation on socket.io-client 1.7.4 (both SDK-shaped clients in
// suites/driver/node/adapters/jmessage.js), and the real jmessage-sdk-web file when the user gives
// one (IMHARNESS_JMESSAGE_JS). Every spec has its own tenant (appkey + master secret), so specs run
// in parallel; every spec carries its case ID as a label (jim/login/ok).
package jmessage

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/harness"
)

func TestJMessage(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "JMessage conformance")
}

// The socket.io library's engine timers (ping, polling close) run out on their own within their
// timeouts (at most 45 s) after the server closed the connection; they are not ours.
var _ = BeforeSuite(func() {
	env = harness.SetUpSuite(start, (*envT).close, "github.com/zishang520/engine.io/v2/utils.SetTimeout.func1")
})
