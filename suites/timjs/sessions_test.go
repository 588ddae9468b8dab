package timjs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/suites/harness"
)

// Sessions the server ends by its own state, with no admin call: the tenant's login policy (a
// second login on the same platform ends the first instance) and the UserSig's expiry on the
// tenant clock. Seed 003 登录 / KICKED_OUT; the admin kicks stay in errors_test.go.

// kickedAs awaits KICKED_OUT on u, checks its type against the SDK's own TIM.TYPES constant, and
// awaits SDK_NOT_READY.
func kickedAs(u *harness.User, kind string) {
	GinkgoHelper()
	ev := u.Await("KICKED_OUT")
	var data struct{ Type string }
	harness.Decode(ev.Data, &data)
	Expect(data.Type).To(Equal(u.Type(kickTypes[kind])), "%s: TIM.TYPES.%s", u.ID, kickTypes[kind])
	u.Await("SDK_NOT_READY")
}

var _ = Describe("sessions ended by the server's state", func() {
	It("a second login of the account on the Web ends the first instance: KICKED_OUT multipleAccount; the second works on",
		harness.Case("tim/login/second-login-kicks"), func() {
			t := env.NewTenant()
			bob := t.Login("bob")
			first := t.Login("alice")
			second := t.Login("alice") // another SDK instance, same account, same platform
			kickedAs(first, state.KickMultipleAccount)
			if env.WebSocket() { // no long poll: a KickType 1 push
				Expect(string(pushes(t, "alice#1"))).To(ContainSubstring(`"KickoutMsgNotify":{"KickType":1`))
			} else {
				Expect(longPollCodes(t, "alice#1")).To(ContainElement(91101))
			}
			Eventually(func() []state.Session { return t.App.Sessions("alice") }).Should(ContainElement(
				And(HaveField("Instance", 2), HaveField("Kicked", ""))))
			for _, s := range t.App.Sessions("alice") {
				if s.Instance == 1 {
					Expect(s.Kicked).To(Equal(state.KickMultipleAccount))
				}
			}
			// The second instance is not kicked and gets what is sent to the account.
			bob.SendText("alice", "still there?")
			second.AwaitMessage("bob's", hasText("still there?"))
			Expect(second.EventsSinceSettle()).NotTo(ContainElement(HaveField("Name", "KICKED_OUT")))
		})

	It("with the tenant's policy allowing multiple instances (scenario login.multiple_instances), both instances stay and both receive",
		harness.Case("scenario/login/multiple-instances"), func() {
			t := env.NewTenant()
			loadLibrary(t, "login/multiple-instances")
			bob := t.Login("bob")
			first := t.Login("alice")
			second := t.Login("alice")
			bob.SendText("alice", "to both")
			first.AwaitMessage("bob's", hasText("to both"))
			second.AwaitMessage("bob's", hasText("to both"))
			Expect(t.App.Sessions("alice")).To(ConsistOf(HaveField("Kicked", ""), HaveField("Kicked", "")))
			Expect(first.EventsSinceSettle()).NotTo(ContainElement(HaveField("Name", "KICKED_OUT")))
		})

	It("an online session whose UserSig expires on the tenant clock ends on its next long poll: KICKED_OUT userSigExpired",
		harness.Case("tim/login/usersig-expires-online"), func() {
			t := env.NewTenant()
			alice := t.Login("alice") // harness UserSigs last 10 minutes of the tenant clock
			t.App.Clock().Advance(10*time.Minute + time.Second)
			kickedAs(alice, state.KickUserSigExpired)
			if env.WebSocket() { // no long poll: the socket's next reply (a heartbeat at the latest)
				Expect(replyCodes(t, "alice#1")).To(ContainElement(70001))
			} else {
				Expect(longPollCodes(t, "alice#1")).To(ContainElement(70001))
			}
			Expect(t.App.Sessions("alice")).To(ConsistOf(HaveField("Kicked", state.KickUserSigExpired)))
			// A fresh UserSig (made on the moved clock) logs in again.
			again := t.Login("alice")
			Expect(again.EventsSinceSettle()).To(ContainElement(HaveField("Name", "SDK_READY")))
		})
})
