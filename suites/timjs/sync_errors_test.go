package timjs

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/suites/harness"
)

// The sync side of the message codes 20001-20006 and 80001 (seed 000 §8.1 names them for the sync
// as well as the send): what the SDK does when its C2C sync (openim/getmsg) or its long poll
// answers one of them. The codes are injected with fault rules (the server's own paths do not
// fail a sync with these codes). Found identical on tim-js-sdk 2.4.1, 2.7.0 and 2.10.2:
//   - a failed getmsg is silent: no ERROR, no retry, and the long poll is never opened, so the
//     session receives nothing until it logs in again;
//   - a failed long poll raises ERROR with the server's code and polls on (what was queued arrives),
//     except 20002, which the SDK treats as an expired UserSig: KICKED_OUT userSigExpired.
// The WebSocket generation has no long poll: its getmsg side is getmsgFailsOverWebSocket.

// connCommands lists the commands one connection ("alice#1") sent, in order, without telemetry.
func connCommands(t *harness.Tenant, conn string) []string {
	var out []string
	for _, x := range t.Transcript() {
		if x.Conn == conn && x.Command != "imopenstat/tim_web_report" {
			out = append(out, x.Command)
		}
	}
	return out
}

var _ = Describe("sync error codes", Label("errors"), func() {
	DescribeTable("a code in getmsg stops the sync silently; in the long poll it is an ERROR and polling goes on (20002: KICKED_OUT)",
		func(code int) {
			if env.WebSocket() { // no long poll: only the getmsg side applies (ws_sync_test.go)
				getmsgFailsOverWebSocket(code)
				return
			}
			t := env.NewTenant()
			bob := t.Login("bob")
			addFault(t, fault.Rule{Match: fault.Match{Command: "openim/getmsg", User: "alice"}, Nth: 1, Count: 1,
				Reply: &fault.Reply{ErrorCode: code, ErrorInfo: "injected by the spec"}})
			addFault(t, fault.Rule{Match: fault.Match{Command: "openim/longpolling", User: "carol"}, Nth: 1, Count: 1,
				Reply: &fault.Reply{ErrorCode: code, ErrorInfo: "injected by the spec"}})

			// The long poll side.
			carol := t.Login("carol")
			if code == tim.CodeAuthFailed {
				kickedAs(carol, state.KickUserSigExpired)
			} else {
				ev := carol.Await("ERROR")
				var e struct{ Code int }
				harness.Decode(ev.Data, &e)
				Expect(e.Code).To(Equal(code))
				bob.SendText("carol", "after the error")
				carol.AwaitMessage("bob's", hasText("after the error"))
				Expect(carol.EventsSinceSettle()).NotTo(ContainElement(HaveField("Name", "KICKED_OUT")))
			}

			// The getmsg side: once the failed sync is answered, an SDK call that reaches the server
			// (getUserProfile → portrait_get_all) is sent after whatever the reply made the SDK do.
			alice := t.LoginWithoutPoll("alice")
			Eventually(func() int { return faultHits(t) }).WithTimeout(20 * time.Second).Should(Equal(2))
			_, err := alice.Call(harness.Ctx(), "getUserProfile", map[string]any{"userIDList": []string{"bob"}})
			Expect(err).NotTo(HaveOccurred())
			cmds := connCommands(t, "alice#1")
			Expect(cmds).To(ContainElement("profile/portrait_get_all"))
			Expect(cmds).NotTo(ContainElement("openim/getlongpollingid"), "the SDK opened its long poll after a failed sync")
			Expect(cmds).To(HaveEach(Not(Equal("openim/longpolling"))))
			Expect(t.App.Sessions("alice")).To(ConsistOf(HaveField("LongPoll", "")))
			for _, name := range []string{"ERROR", "KICKED_OUT", "SDK_NOT_READY"} {
				Expect(alice.EventsSinceSettle()).NotTo(ContainElement(HaveField("Name", name)), "%s after getmsg %d", name, code)
			}
		},
		func(code int) string { return fmt.Sprintf("%d", code) },
		Entry(nil, harness.Case("tim/errors/sync-20001"), 20001),
		Entry(nil, harness.Case("tim/errors/sync-20002"), 20002),
		Entry(nil, harness.Case("tim/errors/sync-20003"), 20003),
		Entry(nil, harness.Case("tim/errors/sync-20004"), 20004),
		Entry(nil, harness.Case("tim/errors/sync-20005"), 20005),
		Entry(nil, harness.Case("tim/errors/sync-20006"), 20006),
		Entry(nil, harness.Case("tim/errors/sync-80001"), 80001),
	)

	It("a C2C send to an account the tenant does not have is refused by the server's state with 20003",
		harness.Case("tim/errors/c2c-send-unknown-account"), func() {
			t := env.NewTenant()
			alice := t.Login("alice")
			se := sendFails(alice, "$TYPES.CONV_C2C", "nobody", "hello?")
			Expect(se.Code).To(HaveValue(Equal(tim.CodeInvalidAccount)))
			Expect(failedMessage(se).Status).To(Equal("fail"))
			Expect(t.App.HasUser("nobody")).To(BeFalse())
			Expect(faultHits(t)).To(Equal(0)) // from state, not from a fault rule
		})
})
