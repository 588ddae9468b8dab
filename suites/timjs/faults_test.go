package timjs

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// Network faults under the real SDK (issue #4, label "faults"): the SDK must notice, retry and
// recover, with no message lost or duplicated; the server must hold each message exactly once.

var _ = Describe("network faults", Label("faults"), func() {
	DescribeTable("a failing long poll: NET_STATE_CHANGE, retries, then every message arrives exactly once",
		func(action fault.Rule) {
			env.SkipUnlessLongPolling("its socket faults are tim/ws/faults-*")
			t := env.NewTenant()
			alice, bob := t.Login("alice"), t.Login("bob")
			Eventually(func() string { return sessionLongPoll(t, "bob") }).ShouldNot(BeEmpty())
			action.Match = fault.Match{Command: "openim/longpolling", User: "bob", Transport: "http"}
			action.Count = 3
			addFault(t, action)

			// m1 answers the poll bob holds now; his next three polls fail while m2 is sent.
			alice.SendText("bob", "m1")
			bob.AwaitMessage("m1", hasText("m1"))
			alice.SendText("bob", "m2")
			if bob.Declares("NET_STATE_CHANGE") {
				bob.Await("NET_STATE_CHANGE", netTrouble)
			}
			bob.AwaitMessage("m2", hasText("m2"))
			alice.SendText("bob", "m3")
			bob.AwaitMessage("m3", hasText("m3"))

			GinkgoWriter.Printf("bob's network states: %v\n", netStates(bob))
			Expect(receivedTexts(bob)).To(Equal([]string{"m1", "m2", "m3"}))
			Expect(faultHits(t)).To(Equal(3))
			Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(3))
			Expect(t.App.UnreadC2C("bob")).To(ConsistOf(HaveField("Count", 3)))
			skipUnless(bob, "NET_STATE_CHANGE", "the network-state step")
		},
		Entry("connection dropped three times", harness.Case("tim/faults/longpoll-dropped"), fault.Rule{Drop: true}),
		Entry("HTTP 502 three times", harness.Case("tim/faults/longpoll-502"), fault.Rule{Status: 502}),
	)

	It("a long poll held past the SDK's 30 s timeout, then dropped, then 502: it recovers and the message arrives once",
		harness.Case("tim/faults/longpoll-held"), func() {
			env.SkipUnlessLongPolling("its socket faults are tim/ws/faults-*")
			t := env.NewTenant()
			run := loadScenario(t, "network/flaky-long-poll.yaml") // hold 35s, drop, 502; alice writes at 40s
			alice, bob := t.Login("alice"), t.Login("bob")
			start := time.Now()
			if bob.Declares("NET_STATE_CHANGE") {
				bob.Await("NET_STATE_CHANGE", netTrouble)
				Expect(time.Since(start)).To(BeNumerically(">", 25*time.Second), "the SDK gives up on a held poll at its 30 s timeout")
			}
			m := bob.AwaitMessage("the message sent at 40s", hasText("still there?"))
			Expect(m.From).To(Equal("alice"))
			Expect(run.Pushes()[0].Fired).To(BeTrue())

			// A barrier: once bob has this, anything else for him has arrived too.
			alice.SendText("bob", "barrier")
			bob.AwaitMessage("barrier", hasText("barrier"))
			Expect(receivedTexts(bob)).To(Equal([]string{"still there?", "barrier"}))
			for _, e := range env.Server.Faults(t.SDKAppID).List() {
				Expect(e.Hits).To(Equal(1), "rule %s", e.ID)
			}
			Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(2))
			skipUnless(bob, "NET_STATE_CHANGE", "the network-state step (the SDK reporting the held poll it gave up on)")
		})

	It("a send answered 502, then dropped, is retried by the SDK and stored once", harness.Case("tim/faults/send-retried"), func() {
		if env.WebSocket() {
			Skip(env.SDKName + " sends over its WebSocket: a request has no HTTP status of its own, and a dropped socket is tim/ws/faults-close-socket")
		}
		t := env.NewTenant()
		alice, bob := t.Login("alice"), t.Login("bob")
		addFault(t, fault.Rule{Match: fault.Match{Command: "openim/sendmsg", Transport: "http"}, Nth: 1, Count: 1, Status: 502})
		addFault(t, fault.Rule{Match: fault.Match{Command: "openim/sendmsg"}, Nth: 2, Count: 1, Drop: true})
		sent := alice.SendText("bob", "third time lucky")
		Expect(sent.Status).To(Equal("success"))
		bob.AwaitMessage("it", hasText("third time lucky"))
		alice.SendText("bob", "barrier")
		bob.AwaitMessage("barrier", hasText("barrier"))
		Expect(receivedTexts(bob)).To(Equal([]string{"third time lucky", "barrier"}))
		Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(2))
		Expect(faultHits(t)).To(Equal(2))
		Expect(commandCount(t, "openim/sendmsg")).To(Equal(4), "three attempts for the first send, one for the barrier")
	})

	It("getlongpollingid failing: ERROR and NET_STATE_CHANGE disconnected, and no long poll opens", harness.Case("tim/faults/getlongpollingid-fails"), func() {
		env.SkipUnlessLongPolling("it never calls getlongpollingid")
		t := env.NewTenant()
		t.App.EnsureUser("bob")
		addFault(t, fault.Rule{Match: fault.Match{Command: "openim/getlongpollingid", User: "bob"}, Nth: 1, Count: 1,
			Reply: &fault.Reply{ErrorCode: 20005, ErrorInfo: "injected by the spec"}})
		alice, bob := t.Login("alice"), t.LoginWithoutPoll("bob")
		ev := bob.Await("ERROR")
		var e struct{ Code int }
		harness.Decode(ev.Data, &e)
		if env.SDKBefore("2.5.0") {
			// 2.2.x–2.4.x report their own GET_LONGPOLL_ID_FAILED and drop the server's code;
			// 2.5.0 passes the server's code on.
			Expect(e.Code).To(Equal(2904))
		} else {
			Expect(e.Code).To(Equal(20005))
		}
		if bob.Declares("NET_STATE_CHANGE") {
			bob.Await("NET_STATE_CHANGE", netState("disconnected"))
		}

		// 2.7.0 does not retry by itself: the server holds what alice sends, undelivered.
		alice.SendText("bob", "unheard")
		Consistently(func() []string { return receivedTexts(bob) }, 3*time.Second).Should(BeEmpty())
		Expect(sessionLongPoll(t, "bob")).To(BeEmpty())
		Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(1))
		Expect(t.App.UnreadC2C("bob")).To(ConsistOf(HaveField("Count", 1)))
		Expect(faultHits(t)).To(Equal(1))
		skipUnless(bob, "NET_STATE_CHANGE", "the network-state step")
	})
})

// skipUnless ends a spec as skipped, once every other step has been checked, when u's SDK does not
// declare the event a step needed (the step was left out): tim-js-sdk before 2.5.0 has no
// NET_STATE_CHANGE.
func skipUnless(u *harness.User, event, step string) {
	GinkgoHelper()
	if !u.Declares(event) {
		Skip(fmt.Sprintf("%s declares no TIM.EVENT.%s: %s was left out; the rest passed", env.SDKName, event, step))
	}
}

// commandCount is how many exchanges of the tenant's transcript have the command.
func commandCount(t *harness.Tenant, cmd string) int {
	n := 0
	for _, c := range commands(t) {
		if c == cmd {
			n++
		}
	}
	return n
}

// netState matches a NET_STATE_CHANGE event to one of the states.
func netState(states ...string) func(driver.Event) bool {
	return func(ev driver.Event) bool {
		var d struct{ State string }
		return json.Unmarshal(ev.Data, &d) == nil && slices.Contains(states, d.State)
	}
}

// netTrouble matches the SDK reporting a lost connection. Which of the two states 2.7.0 reports
// depends on its own network probe (outside the fake's control): "connecting" when it thinks the
// network is fine and retries, "disconnected" otherwise.
var netTrouble = netState("connecting", "disconnected")

// netStates lists the states of the user's NET_STATE_CHANGE events so far.
func netStates(u *harness.User) []string {
	var out []string
	for _, ev := range u.Events() {
		var d struct{ State string }
		if ev.Name == "NET_STATE_CHANGE" && json.Unmarshal(ev.Data, &d) == nil {
			out = append(out, d.State)
		}
	}
	return out
}
