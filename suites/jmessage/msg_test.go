package jmessage

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/jim"
	"github.com/imharness/imharness/suites/harness"
)

var _ = forEachClient(func(cl client) {
	Describe("single messages", func() {
		It("delivers a text message with msg_sync; the receiver confirms it", harness.Case("jim/msg/single-text"), func() {
			t := newTenant(cl)
			alice, bob := t.login("alice"), t.login("bob")
			r := alice.mustCall("sendSingleMsg", map[string]any{"target_username": "bob", "content": "Hi, JPush", "extras": map[string]any{"k": "v"}})
			Expect(num(r["msg_id"])).To(BeNumerically(">", 0))
			Expect(r["code"]).To(BeNumerically("==", 0))
			m := bob.await("MSG_RECEIVE")
			Expect(m["from_id"]).To(Equal("alice"))
			Expect(m["target_id"]).To(Equal("bob"))
			Expect(m["content_type"]).To(Equal("text"))
			Expect(m["msg_body"]).To(Equal(map[string]any{"text": "Hi, JPush", "extras": map[string]any{"k": "v"}}))
			Expect(num(m["msg_id"])).To(Equal(num(r["msg_id"])))
			Expect(m["msg_type"]).To(BeNumerically("==", 3))
			// The shared store holds it, so a Tencent client of the tenant sees it as well.
			Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(1))
			Expect(alice.Events()).NotTo(ContainElement(HaveField("Name", "MSG_RECEIVE")))
			t.expectGolden()
		})

		It("builds messages with createMsgBuilder (text with extras, custom)", harness.Case("jim/msg/builder"), func() {
			needs(cl, "createMsgBuilder")
			t := newTenant(cl)
			alice, bob := t.login("alice"), t.login("bob")
			alice.mustCall("createMsgBuilder", map[string]any{"type": "single", "target": "bob", "target_name": "Bob", "from_name": "Alice", "text": "built", "extras": map[string]any{"a": 1.0}})
			m := bob.await("MSG_RECEIVE")
			Expect(m["msg_body"]).To(Equal(map[string]any{"text": "built", "extras": map[string]any{"a": 1.0}}))
			alice.mustCall("createMsgBuilder", map[string]any{"type": "single", "target": "bob", "custom": map[string]any{"card": "x", "n": 2.0}})
			m = bob.await("MSG_RECEIVE")
			Expect(m["content_type"]).To(Equal("custom"))
			Expect(m["msg_body"]).To(Equal(map[string]any{"card": "x", "n": 2.0}))
			t.expectGolden()
		})

		It("keeps messages for an offline user and hands them over after login", harness.Case("jim/msg/offline"), func() {
			t := newTenant(cl)
			t.seed("bob", "bob-pass", "Bob")
			alice := t.login("alice")
			alice.mustCall("sendSingleMsg", map[string]any{"target_username": "bob", "content": "one"})
			alice.mustCall("sendSingleMsg", map[string]any{"target_username": "bob", "content": "two"})
			bob := t.login("bob")
			first := bob.await("MSG_RECEIVE")
			second := bob.await("MSG_RECEIVE")
			Expect([]any{first["msg_body"], second["msg_body"]}).To(Equal([]any{map[string]any{"text": "one"}, map[string]any{"text": "two"}}))
			if cl.V2 { // 2.x asks with sync_check and gets them as sync_conversation (one conversation)
				Expect(t.transcript()).To(ContainElement(And(HaveField("Command", "jim/push:sync_conversation"), HaveField("User", "bob"))))
				Expect(bob.Events()).To(ContainElement(HaveField("Name", "SYNC_CONVERSATION")))
			} else { // 1.x gets msg_sync right after login
				Expect(t.transcript()).To(ContainElement(And(HaveField("Command", "jim/push:msg_sync"), HaveField("User", "bob"))))
			}
			t.expectGolden()
		})

		It("refuses an unknown target (880203), oversized content (880206) and a sender the target blocked (880207)", harness.Case("jim/msg/single-errors"), func() {
			t := newTenant(cl)
			alice, bob := t.login("alice"), t.login("bob")
			alice.expectCode(jim.CodeTargetNotExist, "sendSingleMsg", map[string]any{"target_username": "nobody", "content": "x"})
			alice.expectCode(jim.CodeMsgTooLong, "sendSingleMsg", map[string]any{"target_username": "bob", "content": strings.Repeat("x", 8*1024)})
			bob.mustCall("addBlackList", map[string]any{"member_list": []any{map[string]any{"username": "alice", "appkey": t.AppKey}}})
			alice.expectCode(jim.CodeInBlacklist, "sendSingleMsg", map[string]any{"target_username": "bob", "content": "x"})
			Expect(bob.Events()).NotTo(ContainElement(HaveField("Name", "MSG_RECEIVE")))
			Expect(t.App.C2CHistory("alice", "bob")).To(BeEmpty())
			t.expectGolden()
		})
	})
})
