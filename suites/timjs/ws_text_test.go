package timjs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/recorder"
	"github.com/imharness/imharness/suites/harness"
)

// The SDK's own devMode option (create({devMode: true})) makes the WebSocket generation connect to
// /info and speak text frames instead of binary ones on /binfo (as its Alipay and some mini-program
// builds always do). The server answers each socket in its own kind.
var _ = Describe("WebSocket text frames (/info)", Label("ws"), func() {
	BeforeEach(func() {
		if !env.WebSocket() {
			Skip(env.SDKName + " long-polls over HTTP: it has no WebSocket session")
		}
	})

	It("an SDK created with devMode talks to /info in text frames: it logs in, sends, gets pushes and acknowledges them",
		harness.Case("tim/ws/text-frames"), func() {
			t := env.NewTenant()
			bob := t.Login("bob")
			alice := t.Login("alice", "--dev-mode", "1")
			Expect(env.Server.SocketPaths(t.SDKAppID, "alice")).To(Equal([]string{"/info"}))
			Expect(env.Server.SocketPaths(t.SDKAppID, "bob")).To(Equal([]string{"/binfo"}))

			bob.SendText("alice", "to a text socket")
			alice.AwaitMessage("bob's", hasText("to a text socket"))
			Eventually(func() []recorder.Exchange { return ofCommand(t, "alice#1", "openim/ws_msg_push_ack") }).ShouldNot(BeEmpty())
			sent := alice.SendText("bob", "from a text socket")
			got := bob.AwaitMessage("alice's", hasText("from a text socket"))
			Expect(got.ID).To(Equal(sent.ID))
			Expect(receivedTexts(alice)).To(Equal([]string{"to a text socket"}))
		})
})
