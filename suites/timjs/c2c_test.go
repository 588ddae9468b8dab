package timjs

import (
	"encoding/json"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// c2cKind is one message element kind: how the SDK builds it and what the receiver's payload holds.
type c2cKind struct {
	create  string
	payload map[string]any // what the sender passes
	want    map[string]any // what the receiver's payload must hold, field by field
	elem    string         // the wire MsgType
	wire    string         // MsgContent, for kinds the SDK cannot create
}

var c2cKinds = map[string]c2cKind{
	"text": {"createTextMessage", map[string]any{"text": "hello 你好 <b>&"},
		map[string]any{"text": "hello 你好 <b>&"}, "TIMTextElem", ""},
	"face": {"createFaceMessage", map[string]any{"index": 3, "data": "tt03"},
		map[string]any{"index": 3.0, "data": "tt03"}, "TIMFaceElem", ""},
	"custom": {"createCustomMessage", map[string]any{"data": `{"order":42}`, "description": "an order", "extension": "ext-1"},
		map[string]any{"data": `{"order":42}`, "description": "an order", "extension": "ext-1"}, "TIMCustomElem", ""},
	"location": {"", nil, map[string]any{"description": "Shenzhen", "longitude": 113.934, "latitude": 22.543},
		"TIMLocationElem", `{"Desc":"Shenzhen","Latitude":22.543,"Longitude":113.934}`},
}

var _ = Describe("C2C messages", func() {
	It("revokeMessage: the sender recalls a C2C message; the peer's SDK marks it revoked", harness.Case("tim/c2c/revoke"), func() {
		t := env.NewTenant()
		alice, bob := t.Login("alice"), t.Login("bob")
		sent := alice.SendText("bob", "oops")
		seen := bob.AwaitMessage("oops", hasText("oops"))
		_, err := alice.Call(harness.Ctx(), "revokeMessage", map[string]any{"$message": sent.ID})
		Expect(err).NotTo(HaveOccurred())
		ms := harness.Messages(bob.Await("MESSAGE_REVOKED"))
		Expect(ms).To(HaveLen(1))
		Expect(ms[0].ID).To(Equal(seen.ID))
		Expect(ms[0].IsRevoked).To(BeTrue())
		h := t.App.C2CHistory("alice", "bob")
		Expect(h).To(HaveLen(1))
		Expect(h[0].Revoked).To(BeTrue())
		if env.WebSocket() { // it reached bob as a push, not in a long poll
			// (recorded once written: the SDK may report it first)
			Eventually(func() string { return string(pushes(t, "bob#1")) }).Should(ContainSubstring(`"WithdrawC2cMsgNotify"`))
		}
		// Once only: a second recall of the same message is refused.
		_, err = alice.Call(harness.Ctx(), "revokeMessage", map[string]any{"$message": sent.ID})
		Expect(err).To(HaveOccurred())
	})

	It("setMessageRead by the receiver: the sender's SDK gets the read receipt and marks its message read by the peer",
		harness.Case("tim/c2c/read-by-peer"), func() {
			if env.SDKBefore("2.7.0") {
				Skip(env.SDKName + " has no MESSAGE_READ_BY_PEER (read receipts arrive in 2.7.0)")
			}
			t := env.NewTenant()
			alice, bob := t.Login("alice"), t.Login("bob")
			sent := alice.SendText("bob", "read me")
			bob.AwaitMessage("read me", hasText("read me"))
			_, err := bob.Call(harness.Ctx(), "setMessageRead", map[string]any{"conversationID": "C2Calice"})
			Expect(err).NotTo(HaveOccurred())
			ms := harness.Messages(alice.Await("MESSAGE_READ_BY_PEER"))
			Expect(ms).To(ContainElement(And(HaveField("ID", sent.ID), HaveField("IsPeerRead", true))))
			// The receipt names the reader; over WebSocket it is a push, over HTTP a long-poll event.
			// (an exchange is recorded once its answer is written: the SDK may report it first)
			if env.WebSocket() {
				Eventually(func() string { return string(pushes(t, "alice#1")) }).Should(ContainSubstring(`"C2cReadedReceipt":{"To_Account":"bob"`))
			} else {
				Eventually(func() string { return string(longPollReplies(t, "alice#1")) }).Should(ContainSubstring(`"C2cReadedReceipt":{"To_Account":"bob"`))
			}
		})

	DescribeTable("are delivered both ways with the payload intact",
		func(kind string) {
			k := c2cKinds[kind]
			t := env.NewTenant()
			alice, bob := t.Login("alice"), t.Login("bob")
			var n uint64
			for _, dir := range [][2]*harness.User{{alice, bob}, {bob, alice}} {
				from, to := dir[0], dir[1]
				var seq uint64
				var random uint32
				var at int64
				var sentID string
				if k.create != "" {
					res, err := from.Send(harness.Ctx(), k.create, map[string]any{
						"to": to.ID, "conversationType": "$TYPES.CONV_C2C", "payload": k.payload})
					Expect(err).NotTo(HaveOccurred())
					sent := harness.Sent(res)
					Expect(sent.Status).To(Equal("success"))
					Expect(sent.Type).To(Equal(k.elem))
					seq, random, at, sentID = sent.Sequence, sent.Random, sent.Time, sent.ID
				} else {
					// No 2.x SDK has a factory for this kind (e.g. createLocationMessage): the server
					// sends it on the peer's behalf, as the REST API would, and the SDK must render it.
					n++ // SDKs drop a message whose random they have seen: each direction gets its own
					m, err := t.App.SendC2C(0, state.C2CMessage{From: from.ID, To: to.ID, Seq: 770 + n, Random: 424240 + uint32(n),
						Body: []state.Elem{{Type: k.elem, Content: []byte(k.wire)}}})
					Expect(err).NotTo(HaveOccurred())
					seq, random, at = m.Seq, m.Random, m.Time
				}

				// The sender's promise carries the server's time for the stored message.
				stored := t.App.C2CHistory(from.ID, to.ID)
				last := stored[len(stored)-1]
				Expect(last.From).To(Equal(from.ID))
				Expect(last.Body).To(HaveLen(1))
				Expect(last.Body[0].Type).To(Equal(k.elem))
				Expect(at).To(Equal(last.Time))

				got := to.AwaitMessage("from "+from.ID, func(m harness.Message) bool { return m.From == from.ID && m.Random == random })
				Expect(got.Type).To(Equal(k.elem))
				Expect(got.Payload).To(Equal(k.want))
				Expect(got.From).To(Equal(from.ID))
				Expect(got.To).To(Equal(to.ID))
				Expect(got.ConversationType).To(Equal("C2C"))
				Expect(got.ConversationID).To(Equal("C2C" + from.ID))
				Expect(got.Flow).To(Equal("in"))
				Expect(got.Time).To(Equal(at))
				Expect(got.Sequence).To(Equal(seq))
				Expect(got.Random).To(Equal(random))
				if env.WebSocket() {
					// This generation names a message alike on both sides: the sender's TinyId, its
					// client time and the random.
					Expect(got.ID).To(MatchRegexp(`^144115\d+-\d+-%d$`, random))
					if sentID != "" {
						Expect(got.ID).To(Equal(sentID))
					}
				} else {
					Expect(got.ID).To(Equal(fmt.Sprintf("C2C%s-%d-%d-0", from.ID, seq, random)))
				}
			}
			t.ExpectGolden()
		},
		Entry("text", harness.Case("tim/c2c/send-text"), "text"),
		Entry("face", harness.Case("tim/c2c/send-face"), "face"),
		Entry("custom", harness.Case("tim/c2c/send-custom"), "custom"),
		Entry("location (server-sent: 2.x SDKs cannot create one)", harness.Case("tim/c2c/receive-location"), "location"),
	)

	It("carry cloudCustomData to the peer as sent", harness.Case("tim/c2c/cloud-custom-data"), func() {
		t := env.NewTenant()
		alice, bob := t.Login("alice"), t.Login("bob")
		const data = `{"order":7,"note":"中文"}`
		res, err := alice.Send(harness.Ctx(), "createTextMessage", map[string]any{
			"to": "bob", "conversationType": "$TYPES.CONV_C2C", "payload": map[string]any{"text": "with data"}, "cloudCustomData": data})
		Expect(err).NotTo(HaveOccurred())
		var sent struct {
			Data struct{ Message map[string]any }
		}
		harness.Decode(res, &sent)
		if _, ok := sent.Data.Message["cloudCustomData"]; !ok {
			Skip(env.SDKName + " has no cloudCustomData on its messages: nothing to carry")
		}
		Expect(t.App.C2CHistory("alice", "bob")).To(ConsistOf(HaveField("CloudCustomData", data)))
		ev := bob.Await("MESSAGE_RECEIVED", harness.Received(hasText("with data")))
		var got []map[string]any
		harness.Decode(ev.Data, &got)
		Expect(got[0]).To(HaveKeyWithValue("cloudCustomData", data))
	})

	It("reach only their addressee among three users", harness.Case("tim/c2c/three-users"), func() {
		t := env.NewTenant()
		alice, bob, carol := t.Login("alice"), t.Login("bob"), t.Login("carol")
		alice.SendText("bob", "for bob")
		alice.SendText("carol", "for carol")
		bob.SendText("carol", "bob to carol")
		Expect(carol.AwaitMessage("alice's", hasText("for carol")).From).To(Equal("alice"))
		Expect(carol.AwaitMessage("bob's", hasText("bob to carol")).From).To(Equal("bob"))
		Expect(bob.AwaitMessage("alice's", hasText("for bob")).From).To(Equal("alice"))
		// A barrier: once bob has this later message, anything meant for him has arrived.
		alice.SendText("bob", "barrier")
		bob.AwaitMessage("barrier", hasText("barrier"))
		Expect(receivedTexts(bob)).To(Equal([]string{"for bob", "barrier"}))
		Expect(receivedTexts(carol)).To(ConsistOf("for carol", "bob to carol"))
		Expect(receivedTexts(alice)).To(BeEmpty())
	})

	It("sync after login: offline messages and unread counts, then setMessageRead clears them",
		harness.Case("tim/c2c/offline-unread"), func() {
			t := env.NewTenant()
			bob := t.Login("bob")
			t.App.EnsureUser("alice")
			for i := range 25 { // more than one getmsg page (20)
				bob.SendText("alice", fmt.Sprintf("offline %d", i))
			}
			alice := t.Login("alice")
			conv := awaitConversation(alice, "C2Cbob", func(c conversation) bool { return c.UnreadCount == 25 })
			// The SDK announced the synced conversation itself, with the unread count.
			alice.Await("CONVERSATION_LIST_UPDATED", func(ev driver.Event) bool {
				var cs []conversation
				_ = json.Unmarshal(ev.Data, &cs)
				for _, c := range cs {
					if c.ConversationID == "C2Cbob" && c.UnreadCount == 25 {
						return true
					}
				}
				return false
			})
			Expect(conv.LastMessage.Payload).To(HaveKeyWithValue("text", "offline 24"))
			Expect(t.App.UnreadC2C("alice")).To(Equal([]state.Unread{{Peer: "bob", Count: 25, LastTime: conv.LastMessage.LastTime}}))

			_, err := alice.Call(harness.Ctx(), "setMessageRead", map[string]any{"conversationID": "C2Cbob"})
			Expect(err).NotTo(HaveOccurred())
			Eventually(func() []state.Unread { return t.App.UnreadC2C("alice") }).Should(BeEmpty())
			Expect(conversations(alice)).To(ContainElement(And(HaveField("ConversationID", "C2Cbob"), HaveField("UnreadCount", 0))))

			// A new message counts as unread again, on the server and in the SDK.
			bob.SendText("alice", "one more")
			alice.AwaitMessage("one more", hasText("one more"))
			Eventually(func() int { return conversationByID(alice, "C2Cbob").UnreadCount }).Should(Equal(1))
			Expect(t.App.UnreadC2C("alice")).To(HaveLen(1))
		})

	It("history pages backwards through getMessageList over 40 messages", harness.Case("tim/c2c/history-paging"), func() {
		t := env.NewTenant()
		t.App.EnsureUser("alice")
		t.App.EnsureUser("bob")
		for i := range 40 { // history made before either logs in: the SDK has nothing cached
			from, to := "alice", "bob"
			if i%3 == 0 {
				from, to = to, from
			}
			_, err := t.App.SendC2C(0, state.C2CMessage{From: from, To: to, Seq: uint64(i + 1), Random: uint32(5000 + i),
				Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(fmt.Sprintf(`{"Text":"h%02d"}`, i))}}})
			Expect(err).NotTo(HaveOccurred())
		}
		alice := t.Login("alice")
		msgs, pages := alice.History("C2Cbob", 15)
		var texts []string
		for _, m := range msgs {
			texts = append(texts, m.Payload["text"].(string))
			Expect(m.ConversationID).To(Equal("C2Cbob"))
			if m.From == "alice" {
				Expect(m.Flow).To(Equal("out"))
			} else {
				Expect(m.Flow).To(Equal("in"))
			}
		}
		want := make([]string, 40)
		for i := range want {
			want[i] = fmt.Sprintf("h%02d", i)
		}
		Expect(texts).To(Equal(want))
		Expect(pages).To(BeNumerically(">=", 3))
		Expect(commands(t)).To(ContainElement("openim/getroammsg"))
		t.ExpectGolden()
	})

	It("getConversationList lists every peer with its last message, newest first", harness.Case("tim/conv/list"), func() {
		t := env.NewTenant()
		alice, bob, carol := t.Login("alice"), t.Login("bob"), t.Login("carol")
		bob.SendText("alice", "from bob")
		alice.AwaitMessage("bob's", hasText("from bob"))
		t.App.Clock().Advance(2e9) // a later second, so the order is unambiguous
		carol.SendText("alice", "from carol")
		alice.AwaitMessage("carol's", hasText("from carol"))
		Eventually(func() []string {
			var ids []string
			for _, c := range conversations(alice) {
				ids = append(ids, c.ConversationID)
			}
			return ids
		}).Should(Equal([]string{"C2Ccarol", "C2Cbob"}))
		Expect(conversationByID(alice, "C2Cbob").LastMessage.Payload).To(HaveKeyWithValue("text", "from bob"))
		Expect(conversationByID(alice, "C2Ccarol").LastMessage.Payload).To(HaveKeyWithValue("text", "from carol"))
	})
})

func hasText(s string) func(harness.Message) bool {
	return func(m harness.Message) bool { return m.Payload["text"] == s }
}

// receivedTexts lists the texts of every message the user's SDK reported received.
func receivedTexts(u *harness.User) []string {
	var out []string
	for _, ev := range u.Events() {
		if ev.Name != "MESSAGE_RECEIVED" {
			continue
		}
		for _, m := range harness.Messages(ev) {
			if s, ok := m.Payload["text"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

type conversation struct {
	ConversationID string
	Type           string
	UnreadCount    int
	LastMessage    struct {
		LastTime int64
		Payload  map[string]any
	}
}

func conversations(u *harness.User) []conversation {
	GinkgoHelper()
	res, err := u.Call(harness.Ctx(), "getConversationList")
	Expect(err).NotTo(HaveOccurred())
	var r struct {
		Data struct{ ConversationList []conversation }
	}
	harness.Decode(res, &r)
	return r.Data.ConversationList
}

func conversationByID(u *harness.User, id string) conversation {
	GinkgoHelper()
	for _, c := range conversations(u) {
		if c.ConversationID == id {
			return c
		}
	}
	return conversation{}
}

func awaitConversation(u *harness.User, id string, pred func(conversation) bool) conversation {
	GinkgoHelper()
	var found conversation
	Eventually(func() bool {
		found = conversationByID(u, id)
		return found.ConversationID == id && pred(found)
	}).WithTimeout(10*time.Second).Should(BeTrue(), "%s: conversation %s never matched; last seen %+v", u.ID, id, found)
	return found
}
