package timjs

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/recorder"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// Error codes the server answers, through the real SDK (issue #4, label "errors"): the message
// send codes, injected with fault rules (a fault acts before the handler, so nothing is stored),
// and the kicks in the long poll. Each spec checks what the SDK surfaces and what the server holds
// afterwards. Elsewhere: login codes 70001/70003/70013/70014 in login_test.go; the group model's
// own 10017 (muted), 10007 (no permission) and 10010 (group gone) in group_test.go.

var _ = Describe("server error codes", Label("errors"), func() {
	// The message send/sync codes of the seeds (000 §8.1), on C2C and group sends.
	DescribeTable("a C2C send the server refuses rejects with its code, fails the message and delivers nothing",
		func(code int) {
			skipExpiryCode(code)
			t := env.NewTenant()
			alice, bob := t.Login("alice"), t.Login("bob")
			addFault(t, fault.Rule{Match: fault.Match{Command: "openim/sendmsg", User: "alice"}, Nth: 1, Count: 1,
				Reply: &fault.Reply{ErrorCode: code, ErrorInfo: "injected by the spec"}})

			se := sendFails(alice, "$TYPES.CONV_C2C", "bob", "refused")
			Expect(se.Code).To(HaveValue(Equal(code)))
			Expect(failedMessage(se).Status).To(Equal("fail"))
			Expect(t.App.C2CHistory("alice", "bob")).To(BeEmpty())

			// The next send goes through; it is all bob ever gets.
			alice.SendText("bob", "barrier")
			bob.AwaitMessage("barrier", hasText("barrier"))
			Expect(receivedTexts(bob)).To(Equal([]string{"barrier"}))
			Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(1))
			Expect(faultHits(t)).To(Equal(1))
		},
		Entry("20001 invalid packet", harness.Case("tim/errors/c2c-send-20001"), 20001),
		Entry("20002 signature auth failed", harness.Case("tim/errors/c2c-send-20002"), 20002),
		Entry("20003 invalid account", harness.Case("tim/errors/c2c-send-20003"), 20003),
		Entry("20004 network error", harness.Case("tim/errors/c2c-send-20004"), 20004),
		Entry("20005 service error", harness.Case("tim/errors/c2c-send-20005"), 20005),
		Entry("20006 blocked by the app's callback", harness.Case("tim/errors/c2c-send-20006"), 20006),
		Entry("80001 content security filter", harness.Case("tim/errors/c2c-send-80001"), 80001),
	)

	DescribeTable("a group send the server refuses rejects with its code, fails the message and delivers nothing",
		func(code int) {
			skipExpiryCode(code)
			t := env.NewTenant()
			gid := seedGroup(t, "alice", "bob")
			alice, bob := t.Login("alice"), t.Login("bob")
			awaitGroup(alice, gid)
			awaitGroup(bob, gid)
			next := nextSeq(t, gid)
			addFault(t, fault.Rule{Match: fault.Match{Command: "group_open_http_svc/send_group_msg", Group: gid}, Nth: 1, Count: 1,
				Reply: &fault.Reply{ErrorCode: code, ErrorInfo: "injected by the spec"}})

			se := sendFails(alice, "$TYPES.CONV_GROUP", gid, "refused")
			Expect(se.Code).To(HaveValue(Equal(code)))
			Expect(failedMessage(se).Status).To(Equal("fail"))
			Expect(nextSeq(t, gid)).To(Equal(next), "nothing was added to the group's sequence")

			sendGroupText(alice, gid, "barrier")
			bob.AwaitMessage("barrier", hasText("barrier"))
			Expect(receivedTexts(bob)).To(Equal([]string{"barrier"}))
			Expect(nextSeq(t, gid)).To(Equal(next + 1))
			Expect(faultHits(t)).To(Equal(1))
		},
		Entry("20001 invalid packet", harness.Case("tim/errors/group-send-20001"), 20001),
		Entry("20002 signature auth failed", harness.Case("tim/errors/group-send-20002"), 20002),
		Entry("20003 invalid account", harness.Case("tim/errors/group-send-20003"), 20003),
		Entry("20004 network error", harness.Case("tim/errors/group-send-20004"), 20004),
		Entry("20005 service error", harness.Case("tim/errors/group-send-20005"), 20005),
		Entry("20006 blocked by the app's callback", harness.Case("tim/errors/group-send-20006"), 20006),
		Entry("80001 content security filter", harness.Case("tim/errors/group-send-80001"), 80001),
	)

	DescribeTable("a kick in the long poll: KICKED_OUT with its type, then SDK_NOT_READY",
		func(kind string, wire int, viaScenario string) {
			t := env.NewTenant()
			var bob *harness.User
			if viaScenario != "" {
				loadScenario(t, viaScenario) // kicks bob as soon as he is online
				// so his long poll may be over before Login could see it open (2.4.1 is that quick),
				// or even before the SDK reports SDK_READY (seen on 2.10.2): as the library's kick specs.
				bob = t.LoginWithoutReady("bob")
			} else {
				bob = t.Login("bob")
				Eventually(func() string { return sessionLongPoll(t, "bob") }).ShouldNot(BeEmpty())
				n, err := t.App.Kick("bob", kind)
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(1))
			}
			ev := bob.Await("KICKED_OUT")
			var data struct{ Type string }
			harness.Decode(ev.Data, &data)
			Expect(data.Type).To(Equal(bob.Type(kickTypes[kind])), "TIM.TYPES.%s", kickTypes[kind])
			bob.Await("SDK_NOT_READY")

			if env.WebSocket() {
				// This generation learns of a kick from a push (KickType 1 multipleAccount, 2
				// multipleDevice), or of an expired UserSig from the next reply's 70001; the kicked
				// SDK logs out on its socket.
				if kind == state.KickUserSigExpired {
					Expect(replyCodes(t, "bob#1")).To(ContainElement(70001))
				} else {
					kickType := map[string]int{state.KickMultipleAccount: 1, state.KickMultipleDevice: 2}[kind]
					Expect(string(pushes(t, "bob#1"))).To(ContainSubstring(fmt.Sprintf(`"KickoutMsgNotify":{"KickType":%d`, kickType)))
					// Its wslogout ends the kicked session (and only that one).
					Eventually(func() []string { return commands(t) }).Should(ContainElement("im_open_status/wslogout"))
					Eventually(func() []state.Session { return t.App.Sessions("bob") }).Should(BeEmpty())
					return
				}
				Expect(t.App.Sessions("bob")).To(ConsistOf(HaveField("Kicked", kind)))
				return
			}
			// What the server holds: the long poll that carried the kick, and the session's end.
			if wire != 0 {
				Expect(longPollCodes(t, "bob#1")).To(ContainElement(wire))
				Expect(t.App.Sessions("bob")).To(ConsistOf(HaveField("Kicked", kind)))
			} else {
				Expect(string(longPollReplies(t, "bob#1"))).To(ContainSubstring(`"KickoutMsgNotify"`))
			}
			if kind != state.KickUserSigExpired { // 2.7.0 resets without a request on userSigExpired
				Eventually(func() []string { return commands(t) }).Should(ContainElement("openim/longpollinglogout"))
				Eventually(func() string { return sessionLongPoll(t, "bob") }).Should(BeEmpty())
			}
		},
		Entry("multipleAccount: 91101", harness.Case("tim/errors/kick-multiple-account"), state.KickMultipleAccount, 91101, ""),
		Entry("userSigExpired: 70001", harness.Case("tim/errors/kick-usersig-expired"), state.KickUserSigExpired, 70001, ""),
		Entry("multipleDevice: Event 10 KickoutMsgNotify (scenario kick/multiple-device.yaml)", harness.Case("tim/errors/kick-multiple-device"),
			state.KickMultipleDevice, 0, "kick/multiple-device.yaml"),
	)
})

// kickTypes names the TIM.TYPES constant of each kick type: KICKED_OUT carries the SDK's own value,
// which is not always the wire name (tim-js-sdk 2.4.1 spells "mutipleAccount").
var kickTypes = map[string]string{
	state.KickMultipleAccount: "KICKED_OUT_MULT_ACCOUNT",
	state.KickMultipleDevice:  "KICKED_OUT_MULT_DEVICE",
	state.KickUserSigExpired:  "KICKED_OUT_USERSIG_EXPIRED",
}

// addFault adds a rule to the spec's tenant through the in-process API.
func addFault(t *harness.Tenant, r fault.Rule) string {
	GinkgoHelper()
	id, err := env.Server.Faults(t.SDKAppID).Add(r)
	Expect(err).NotTo(HaveOccurred())
	return id
}

// faultHits is how often the tenant's rules acted.
func faultHits(t *harness.Tenant) int {
	n := 0
	for _, e := range env.Server.Faults(t.SDKAppID).List() {
		n += e.Hits
	}
	return n
}

// loadScenario applies a fixtures/scenarios file to the spec's tenant.
func loadScenario(t *harness.Tenant, name string) *scenario.Run {
	GinkgoHelper()
	sc, err := scenario.Load(filepath.Join(t.Env.RepoDir, "fixtures", "scenarios", name))
	Expect(err).NotTo(HaveOccurred())
	run, err := env.Server.LoadScenario(t.SDKAppID, sc)
	Expect(err).NotTo(HaveOccurred())
	return run
}

// sendFails sends a text the server is expected to refuse and returns the SDK's rejection.
func sendFails(u *harness.User, convType, to, text string) *driver.SDKError {
	GinkgoHelper()
	_, err := u.Send(harness.Ctx(), "createTextMessage", map[string]any{
		"to": to, "conversationType": convType, "payload": map[string]any{"text": text}})
	Expect(err).To(HaveOccurred(), "%s's send of %q was not refused", u.ID, text)
	se, ok := err.(*driver.SDKError)
	Expect(ok).To(BeTrue(), "not an SDK rejection: %v", err)
	return se
}

// failedMessage is the message a rejected sendMessage carries in its data.
func failedMessage(se *driver.SDKError) harness.Message {
	GinkgoHelper()
	var d struct{ Message harness.Message }
	harness.Decode(se.Data, &d)
	return d.Message
}

func sendGroupText(u *harness.User, gid, text string) harness.Message {
	GinkgoHelper()
	res, err := u.Send(harness.Ctx(), "createTextMessage", map[string]any{
		"to": gid, "conversationType": "$TYPES.CONV_GROUP", "payload": map[string]any{"text": text}})
	Expect(err).NotTo(HaveOccurred(), "%s sending %q to %s", u.ID, text, gid)
	return harness.Sent(res)
}

// seedGroup creates a Public group "team" owned by owner with the members, before anyone logs in
// (so it is in their joined-group list from the start).
func seedGroup(t *harness.Tenant, owner string, members ...string) string {
	GinkgoHelper()
	t.App.EnsureUser(owner)
	spec := state.GroupSpec{Type: state.GroupPublic, Name: "team", Owner: owner}
	for _, m := range members {
		t.App.EnsureUser(m)
		spec.Members = append(spec.Members, state.MemberSpec{User: m})
	}
	info, err := t.App.CreateGroup(t.App.Admin(), spec)
	Expect(err).NotTo(HaveOccurred())
	return info.ID
}

// awaitGroup waits until the SDK lists the group locally: sending to a group needs it there.
func awaitGroup(u *harness.User, gid string) {
	GinkgoHelper()
	Eventually(func() []string {
		res, err := u.Call(harness.Ctx(), "getGroupList")
		Expect(err).NotTo(HaveOccurred())
		var r struct {
			Data struct{ GroupList []struct{ GroupID string } }
		}
		harness.Decode(res, &r)
		var ids []string
		for _, g := range r.Data.GroupList {
			ids = append(ids, g.GroupID)
		}
		return ids
	}).Should(ContainElement(gid))
}

// nextSeq is the sequence number the group's next message would get.
func nextSeq(t *harness.Tenant, gid string) uint64 {
	GinkgoHelper()
	info, _, err := t.App.Group(t.App.Admin(), gid)
	Expect(err).NotTo(HaveOccurred())
	return info.NextMsgSeq
}

// longPollReplies concatenates the long-poll responses of a connection in the transcript.
func longPollReplies(t *harness.Tenant, conn string) []byte {
	var out []byte
	for _, x := range t.Transcript() {
		if x.Conn == conn && x.Command == "openim/longpolling" {
			out = append(out, x.Response...)
		}
	}
	return out
}

// longPollCodes lists the ErrorCode of each long-poll response of a connection.
func longPollCodes(t *harness.Tenant, conn string) []int {
	var out []int
	for _, x := range t.Transcript() {
		if x.Conn == conn && x.Command == "openim/longpolling" {
			var r struct{ ErrorCode int }
			if json.Unmarshal(x.Response, &r) == nil {
				out = append(out, r.ErrorCode)
			}
		}
	}
	return out
}

// skipExpiryCode skips the send-refused cases whose code means "your credentials expired" to the
// WebSocket generation: on 20002 (or 70001) in any reply it reports KICKED_OUT userSigExpired and
// reconnects, so the refused send is not the end of the story (tim/errors/kick-usersig-expired).
func skipExpiryCode(code int) {
	if code == 20002 && env.WebSocket() {
		Skip(env.SDKName + " treats 20002 in any reply as an expired UserSig (KICKED_OUT userSigExpired), not as a failed send")
	}
}

// pushes concatenates the WebSocket pushes a connection received.
func pushes(t *harness.Tenant, conn string) []byte {
	var out []byte
	for _, x := range t.Transcript() {
		if x.Conn == conn && x.Kind == recorder.KindPush {
			out = append(out, x.Response...)
		}
	}
	return out
}

// replyCodes lists the ErrorCode of every WebSocket reply a connection got.
func replyCodes(t *harness.Tenant, conn string) []int {
	var out []int
	for _, x := range t.Transcript() {
		if x.Conn == conn && x.Kind == recorder.KindCall && x.Transport == "ws" {
			var r struct{ ErrorCode int }
			if json.Unmarshal(x.Response, &r) == nil {
				out = append(out, r.ErrorCode)
			}
		}
	}
	return out
}
