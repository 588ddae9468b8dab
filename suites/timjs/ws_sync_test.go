package timjs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/suites/harness"
)

// The WebSocket generation's first C2C sync (openim.getmsg right after wslogin) answered with an
// error, injected by a fault rule on the command. Read in both bundles (tim-js-sdk 2.27.6,
// @tencentcloud/chat 3.6.6) and seen here: the sync module only logs a failed getmsg (no ERROR
// event, no retry); SDK_READY does not wait for it, and live messages still come as pushes. The
// sync runs again with the same cookie when the socket is reconnected, which is when the messages
// stored while the user was away arrive. Codes every reply is checked for come first: 20002 (like
// 70001) is an expired credential, KICKED_OUT userSigExpired and a new socket.
var _ = Describe("WebSocket: the first getmsg fails", Label("ws", "errors"), func() {
	BeforeEach(func() {
		if !env.WebSocket() {
			Skip(env.SDKName + " long-polls over HTTP: its failed getmsg is tim/errors/sync-*")
		}
	})

	It("answered 20005: silent, no retry; live messages still arrive, and the missed ones come with the sync after a reconnect",
		harness.Case("tim/ws/sync-first-getmsg-fails"), func() {
			t, bob, alice := awayAndFailedSync(20005)
			alice.Await("SDK_READY")
			// A live message is pushed whatever the sync did: it arrives, the stored one does not.
			bob.SendText("alice", "live")
			alice.AwaitMessage("the live message", hasText("live"))
			Expect(receivedTexts(alice)).To(Equal([]string{"live"}))
			Expect(ofCommand(t, "alice#1", "openim/getmsg")).To(HaveLen(1), "the SDK retried its failed sync")
			for _, name := range []string{"ERROR", "KICKED_OUT", "SDK_NOT_READY"} {
				Expect(alice.Events()).NotTo(ContainElement(HaveField("Name", name)), "%s after a failed getmsg", name)
			}
			Expect(t.App.Sessions("alice")).To(ConsistOf(HaveField("Kicked", "")))

			// A new socket: the same session logs in again and syncs from the start.
			Expect(env.Server.CloseSockets(t.SDKAppID, "alice")).To(Equal(1))
			alice.AwaitMessage("the stored message", hasText("while you were away"))
			bob.SendText("alice", "barrier")
			alice.AwaitMessage("barrier", hasText("barrier"))
			Expect(receivedTexts(alice)).To(ConsistOf("live", "while you were away", "barrier"), "each once")
			Expect(t.App.Sessions("alice")).To(ConsistOf(HaveField("Instance", 1)))
		})

	It("answered 20002: an expired credential, KICKED_OUT userSigExpired and SDK_NOT_READY",
		harness.Case("tim/ws/sync-first-getmsg-20002"), func() {
			t, _, alice := awayAndFailedSync(20002)
			kickedAs(alice, state.KickUserSigExpired)
			Expect(receivedTexts(alice)).To(BeEmpty())
			Expect(alice.Events()).NotTo(ContainElement(HaveField("Name", "ERROR")))
			Expect(replyCodes(t, "alice#1")).To(ContainElement(20002))
		})
})

// awayAndFailedSync stores a message for alice while she is away, then logs her in with her first
// getmsg answered code. It waits for the login's answer only: a code that ends the session may do
// so before SDK_READY.
func awayAndFailedSync(code int) (*harness.Tenant, *harness.User, *harness.User) {
	GinkgoHelper()
	t := env.NewTenant()
	bob := t.Login("bob")
	t.App.EnsureUser("alice")
	bob.SendText("alice", "while you were away")
	addFault(t, fault.Rule{Match: fault.Match{Command: "openim/getmsg", User: "alice"}, Nth: 1, Count: 1,
		Reply: &fault.Reply{ErrorCode: code, ErrorInfo: "injected by the spec"}})
	alice := t.LoginWithoutReady("alice")
	Eventually(func() int { return faultHits(t) }).Should(Equal(1))
	return t, bob, alice
}

// getmsgFailsOverWebSocket is tim/errors/sync-<code> for the WebSocket generation: 20002 is an
// expired credential (KICKED_OUT userSigExpired); every other code leaves the SDK ready and
// silent, with no retry, and live messages still arrive.
func getmsgFailsOverWebSocket(code int) {
	GinkgoHelper()
	t, bob, alice := awayAndFailedSync(code)
	if code == tim.CodeAuthFailed {
		kickedAs(alice, state.KickUserSigExpired)
		Expect(alice.Events()).NotTo(ContainElement(HaveField("Name", "ERROR")))
		return
	}
	alice.Await("SDK_READY")
	_, err := alice.Call(harness.Ctx(), "getUserProfile", map[string]any{"userIDList": []string{"bob"}})
	Expect(err).NotTo(HaveOccurred())
	bob.SendText("alice", "live")
	alice.AwaitMessage("the live message", hasText("live"))
	Expect(receivedTexts(alice)).To(Equal([]string{"live"}), "the message from while she was away needs a sync")
	Expect(ofCommand(t, "alice#1", "openim/getmsg")).To(HaveLen(1), "the SDK retried its failed sync")
	for _, name := range []string{"ERROR", "KICKED_OUT", "SDK_NOT_READY"} {
		Expect(alice.Events()).NotTo(ContainElement(HaveField("Name", name)), "%s after getmsg %d", name, code)
	}
}
