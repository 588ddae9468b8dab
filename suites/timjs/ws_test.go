package timjs

import (
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/internal/dur"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/recorder"
	"github.com/imharness/imharness/suites/harness"
)

// What only the WebSocket generation (tim-js-sdk 2.13+, @tencentcloud/chat 3.x) has: pushes the
// client acknowledges, a socket that can break and be resumed, heartbeats, kicks as pushes.
var _ = Describe("WebSocket session and pushes", Label("ws"), func() {
	BeforeEach(func() {
		if !env.WebSocket() {
			Skip(env.SDKName + " long-polls over HTTP: it has no WebSocket session")
		}
	})

	It("opens the socket with a heartbeat, then logs in with wslogin", harness.Case("tim/ws/heartbeat"), func() {
		t := env.NewTenant()
		before := t.App.Now().Unix()
		t.Login("alice")
		cmds := commands(t)
		Expect(cmds).To(ContainElement("heartbeat/alive"))
		Expect(cmds).To(ContainElement("im_open_status/wslogin"))
		login := frame(t, "alice#1", "im_open_status/wslogin")
		var r struct {
			A2Key, TinyId         string
			InstId, HelloInterval int
			TimeStamp             int64
		}
		Expect(json.Unmarshal(login.Response, &r)).To(Succeed())
		s := t.App.Sessions("alice")[0]
		Expect(r.A2Key).To(Equal(s.A2))
		Expect(r.TinyId).To(Equal(s.TinyID))
		Expect(r.InstId).To(Equal(s.Instance))
		Expect(r.HelloInterval).To(BeNumerically(">", 0))
		Expect(r.TimeStamp).To(BeNumerically(">=", before), "the server's clock: the SDK sets its own from it")
		Expect(r.TimeStamp).To(BeNumerically("<=", t.App.Now().Unix()))
	})

	It("pushes a message with NeedAck; the SDK acknowledges its SessionData", harness.Case("tim/ws/push-ack"), func() {
		t := env.NewTenant()
		alice, bob := t.Login("alice"), t.Login("bob")
		alice.SendText("bob", "ack me")
		bob.AwaitMessage("ack me", hasText("ack me"))
		var push struct {
			NeedAck     int
			SessionData string
		}
		Eventually(func() []recorder.Exchange { return ofCommand(t, "bob#1", "openim/ws_msg_push_ack") }).ShouldNot(BeEmpty())
		p := ofCommand(t, "bob#1", "im_open_push/msg_push")
		Expect(p).NotTo(BeEmpty())
		Expect(json.Unmarshal(p[0].Response, &push)).To(Succeed())
		Expect(push.NeedAck).To(Equal(1))
		Expect(ofCommand(t, "bob#1", "openim/ws_msg_push_ack")[0].Request).To(MatchJSON(`{"SessionData":"` + push.SessionData + `"}`))
	})

	It("redelivers a push that was never acknowledged, and the SDK shows the message once", harness.Case("tim/ws/push-redelivered"), func() {
		t := env.NewTenant()
		alice, bob := t.Login("alice"), t.Login("bob")
		addFault(t, fault.Rule{Match: fault.Match{Command: "im_open_push/msg_push", User: "bob"}, Nth: 1, Count: 1, Drop: true})
		alice.SendText("bob", "lost once")
		bob.AwaitMessage("lost once", hasText("lost once"))
		alice.SendText("bob", "barrier")
		bob.AwaitMessage("barrier", hasText("barrier"))
		Expect(receivedTexts(bob)).To(Equal([]string{"lost once", "barrier"}))
		Expect(faultHits(t)).To(Equal(1))
	})

	It("delays a push: the message still arrives once and in order", harness.Case("tim/ws/push-delayed"), func() {
		t := env.NewTenant()
		alice, bob := t.Login("alice"), t.Login("bob")
		addFault(t, fault.Rule{Match: fault.Match{Command: "im_open_push/msg_push", User: "bob"}, Nth: 1, Count: 1,
			Delay: dur.Duration(2 * time.Second)})
		alice.SendText("bob", "late")
		alice.SendText("bob", "barrier")
		bob.AwaitMessage("barrier", hasText("barrier"))
		Expect(receivedTexts(bob)).To(Equal([]string{"late", "barrier"}))
	})

	It("resumes the session after the server closes the socket: nothing lost, nothing twice", harness.Case("tim/ws/reconnect"), func() {
		t := env.NewTenant()
		alice, bob := t.Login("alice"), t.Login("bob")
		alice.SendText("bob", "before")
		bob.AwaitMessage("before", hasText("before"))
		Expect(env.Server.CloseSockets(t.SDKAppID, "bob")).To(Equal(1))
		alice.SendText("bob", "while away")
		bob.AwaitMessage("while away", hasText("while away"))
		alice.SendText("bob", "barrier")
		bob.AwaitMessage("barrier", hasText("barrier"))
		Expect(receivedTexts(bob)).To(Equal([]string{"before", "while away", "barrier"}))
		// The same session on a new socket: logged in again with its a2, no second instance.
		Expect(t.App.Sessions("bob")).To(ConsistOf(HaveField("Instance", 1)))
		Expect(ofCommand(t, "bob#1", "im_open_status/wslogin")).To(HaveLen(2))
	})

	It("a socket closed by a fault in the middle of a send: the SDK sends again and the message is stored once",
		harness.Case("tim/ws/faults-close-socket"), func() {
			t := env.NewTenant()
			alice, bob := t.Login("alice"), t.Login("bob")
			addFault(t, fault.Rule{Match: fault.Match{Command: "openim/sendmsg", User: "alice"}, Nth: 1, Count: 1, Drop: true})
			alice.SendText("bob", "through a broken socket")
			bob.AwaitMessage("through a broken socket", hasText("through a broken socket"))
			alice.SendText("bob", "barrier")
			bob.AwaitMessage("barrier", hasText("barrier"))
			Expect(receivedTexts(bob)).To(Equal([]string{"through a broken socket", "barrier"}))
			Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(2))
			Expect(faultHits(t)).To(Equal(1))
		})

	It("a frame refused with a code: the call rejects with it and the session goes on", harness.Case("tim/ws/faults-refuse-frame"), func() {
		t := env.NewTenant()
		alice := t.Login("alice")
		addFault(t, fault.Rule{Match: fault.Match{Command: "profile/portrait_get_all", User: "alice"}, Nth: 1, Count: 1,
			Reply: &fault.Reply{ErrorCode: 20005, ErrorInfo: "injected by the spec"}})
		_, err := alice.Call(harness.Ctx(), "getUserProfile", map[string]any{"userIDList": []string{"nobody-cached"}})
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("20005"))
		_, err = alice.Call(harness.Ctx(), "getUserProfile", map[string]any{"userIDList": []string{"nobody-cached"}})
		Expect(err).NotTo(HaveOccurred())
	})

	It("another device logging in: KICKED_OUT multipleDevice from a KickType 2 push", harness.Case("tim/ws/kick-multiple-device"), func() {
		t := env.NewTenant()
		bob := t.Login("bob")
		n, err := t.App.Kick("bob", state.KickMultipleDevice)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(1))
		ev := bob.Await("KICKED_OUT")
		var data struct{ Type string }
		harness.Decode(ev.Data, &data)
		Expect(data.Type).To(Equal(bob.Type("KICKED_OUT_MULT_DEVICE")))
		bob.Await("SDK_NOT_READY")
		Expect(string(pushes(t, "bob#1"))).To(ContainSubstring(`"KickoutMsgNotify":{"KickType":2`))
	})

	It("the app's server kicks the account (REST im_open_login_svc/kick): KICKED_OUT REST_API_Kick from a KickType 3 push",
		harness.Case("tim/ws/kick-rest-api"), func() {
			t := env.NewTenant()
			bob := t.Login("bob")
			adminRESTCall(t, "im_open_login_svc/kick", map[string]any{"UserID": "bob"})
			ev := bob.Await("KICKED_OUT")
			var data struct{ Type string }
			harness.Decode(ev.Data, &data)
			Expect(data.Type).To(Equal(bob.Type("KICKED_OUT_REST_API")))
			bob.Await("SDK_NOT_READY")
			Expect(string(pushes(t, "bob#1"))).To(ContainSubstring(`"KickoutMsgNotify":{"KickType":3`))
			Expect(t.App.Sessions("bob")).To(ConsistOf(HaveField("Kicked", state.KickRESTAPI)))
		})

	It("echoes a message sent on one device to the sender's other device as its own (IsSyncMsg)", harness.Case("tim/ws/sync-other-device"), func() {
		t := env.NewTenant()
		// Both instances are Web ones: by default the second login would end the first
		// (multipleAccount), so the tenant allows several, as the real service's option does.
		t.App.SetLoginPolicy(state.LoginPolicy{MultipleInstances: true})
		t.Login("bob")
		phone := t.Login("alice")
		laptop := t.Login("alice")
		sent := phone.SendText("bob", "from my phone")
		got := laptop.AwaitMessage("own message", hasText("from my phone"))
		Expect(got.Flow).To(Equal("out"))
		Expect(got.ConversationID).To(Equal("C2Cbob"))
		Expect(got.ID).To(Equal(sent.ID))
		Expect(receivedTexts(phone)).To(BeEmpty(), "the sending device gets no echo")
	})
})

// frame is the first frame exchange of a command on a connection.
func frame(t *harness.Tenant, conn, command string) recorder.Exchange {
	GinkgoHelper()
	xs := ofCommand(t, conn, command)
	Expect(xs).NotTo(BeEmpty(), "%s sent no %s", conn, command)
	return xs[0]
}

func ofCommand(t *harness.Tenant, conn, command string) []recorder.Exchange {
	var out []recorder.Exchange
	for _, x := range t.Transcript() {
		if x.Conn == conn && x.Command == command {
			out = append(out, x)
		}
	}
	return out
}
