package timjs

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/recorder"
	"github.com/imharness/imharness/suites/harness"
)

// wshello: every HelloInterval seconds (the wslogin reply's) a logged-in SDK of the WebSocket
// generation says hello, and the server answers from the session's state. A session the server
// ended hears 1002 with the KickType; both SDKs read 1002 in any reply as a kick
// (KICKED_OUT by KickType; for KickType 1 and 2 they log out with wslogout_type 1 first). It is how
// an instance learns of a kick whose push it missed: here a fault rule drops every push to the
// account, so the hello is the only way the kick can reach it.
var _ = Describe("WebSocket wshello", Label("ws"), func() {
	BeforeEach(func() {
		if !env.WebSocket() {
			Skip(env.SDKName + " long-polls over HTTP: it has no WebSocket session")
		}
	})

	// helloKicked sets up alice with hellos every second (the tenant's login policy) and pushes to
	// her dropped, ends her session with kick, and checks that the SDK learns it from a wshello
	// answered 1002.
	helloKicked := func(kick func(t *harness.Tenant), kickType int, sdkType string) (*harness.Tenant, *harness.User) {
		GinkgoHelper()
		t := env.NewTenant()
		t.App.SetLoginPolicy(state.LoginPolicy{HelloInterval: 1})
		first := t.Login("alice")
		first.Settle()
		lost := addFault(t, fault.Rule{Match: fault.Match{Command: "im_open_push/msg_push", User: "alice"}, Drop: true})
		kick(t)

		ev := first.Await("KICKED_OUT")
		var data struct{ Type string }
		harness.Decode(ev.Data, &data)
		Expect(data.Type).To(Equal(first.Type(sdkType)))
		first.Await("SDK_NOT_READY")
		Expect(env.Server.Faults(t.SDKAppID).Remove(lost)).To(BeTrue())

		// The kick push was dropped (a note, no push); a hello answered 1002 with the KickType did it.
		Expect(string(pushes(t, "alice#1"))).NotTo(ContainSubstring("KickoutMsgNotify"))
		Expect(notes(t, "alice#1")).To(ContainElement(ContainSubstring("KickoutMsgNotify")))
		var kicked []int
		for _, x := range ofCommand(t, "alice#1", "im_open_status/wshello") {
			var r struct{ ErrorCode, KickType int }
			Expect(json.Unmarshal(x.Response, &r)).To(Succeed())
			if r.ErrorCode == 1002 {
				kicked = append(kicked, r.KickType)
			}
		}
		Expect(kicked).NotTo(BeEmpty(), "no wshello of alice#1 was answered 1002")
		Expect(kicked).To(HaveEach(kickType))
		return t, first
	}

	It("a second login on the same platform ends the first instance; its next wshello answers 1002 KickType 1: KICKED_OUT multipleAccount, then wslogout type 1",
		harness.Case("tim/ws/hello-kicked-multiple-account"), func() {
			var second *harness.User
			t, _ := helloKicked(func(t *harness.Tenant) { second = t.Login("alice") }, 1, "KICKED_OUT_MULT_ACCOUNT")
			Eventually(func() []int { return logoutTypes(t, "alice#1") }).Should(ContainElement(1))
			// The old socket's logout ends only its own session: the second instance lives on.
			bob := t.Login("bob")
			bob.SendText("alice", "to the second instance")
			second.AwaitMessage("bob's", hasText("to the second instance"))
			Expect(second.EventsSinceSettle()).NotTo(ContainElement(HaveField("Name", "KICKED_OUT")))
			Expect(t.App.Sessions("alice")).To(ConsistOf(And(HaveField("Instance", 2), HaveField("Kicked", ""))))
		})

	It("the app's REST kick (im_open_login_svc/kick) ends the session; its next wshello answers 1002 KickType 3: KICKED_OUT REST_API_Kick",
		harness.Case("tim/ws/hello-kicked-rest-api"), func() {
			t, _ := helloKicked(func(t *harness.Tenant) {
				adminRESTCall(t, "im_open_login_svc/kick", map[string]any{"UserID": "alice"})
			}, 3, "KICKED_OUT_REST_API")
			Expect(t.App.Sessions("alice")).To(ConsistOf(HaveField("Kicked", state.KickRESTAPI)))
		})
})

// notes lists the notes (what a fault did) filed under a connection.
func notes(t *harness.Tenant, conn string) []string {
	var out []string
	for _, x := range t.Transcript() {
		if x.Conn == conn && x.Kind == recorder.KindNote {
			out = append(out, x.Note)
		}
	}
	return out
}

// logoutTypes lists the wslogout_type of every wslogout a connection sent (1: after a kick).
func logoutTypes(t *harness.Tenant, conn string) []int {
	var out []int
	for _, x := range ofCommand(t, conn, "im_open_status/wslogout") {
		var r struct {
			Type int `json:"wslogout_type"`
		}
		if json.Unmarshal(x.Request, &r) == nil {
			out = append(out, r.Type)
		}
	}
	return out
}
