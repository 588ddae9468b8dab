package jmessage

import (
	"encoding/base64"
	"io"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/internal/dur"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/jim"
	"github.com/imharness/imharness/suites/harness"
)

// png is a 1×1 PNG.
var png, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func fetch(url string) []byte {
	GinkgoHelper()
	res, err := http.Get(url)
	Expect(err).NotTo(HaveOccurred())
	defer res.Body.Close()
	Expect(res.StatusCode).To(Equal(http.StatusOK), url)
	b, err := io.ReadAll(res.Body)
	Expect(err).NotTo(HaveOccurred())
	return b
}

var _ = forEachClient(func(cl client) {
	Describe("images", func() {
		It("uploads an image (upload token, Basic auth) and sends it; the bytes are stored and served", harness.Case("jim/msg/upload-image"), func() {
			needs(cl, "uploadImg")
			t := newTenant(cl)
			alice, bob := t.login("alice"), t.login("bob")
			file := map[string]any{"name": "dot.png", "contentType": "image/png", "base64": base64.StdEncoding.EncodeToString(png)}
			r := alice.mustCall("uploadImg", map[string]any{"type": "single", "target_username": "bob", "appkey": t.AppKey, "file": file})
			media := r["media"].(map[string]any)
			Expect(media).To(And(HaveKeyWithValue("fsize", BeNumerically("==", len(png))), HaveKeyWithValue("format", "png")))
			m := bob.await("MSG_RECEIVE")
			Expect(m["content_type"]).To(Equal("image"))
			Expect(m["msg_body"]).To(HaveKeyWithValue("media_id", media["media_id"]))
			Expect(fetch(env.srv.URL() + jim.MediaPath + t.AppKey + "/" + media["media_id"].(string))).To(Equal(png))
			if cl.V2 { // 2.x asks for the download URL
				u := bob.mustCall("getResource", map[string]any{"media_id": media["media_id"]})["url"].(string)
				Expect(fetch(u)).To(Equal(png))
			}
			gid := num(alice.mustCall("createGroup", map[string]any{"group_name": "Pics", "group_description": ""})["gid"])
			alice.mustCall("addGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"bob"}})
			alice.mustCall("uploadImg", map[string]any{"type": "group", "target_gid": gid, "file": file})
			m = bob.await("MSG_RECEIVE", func(m map[string]any) bool { return m["target_type"] == "group" })
			Expect(m["content_type"]).To(Equal("image"))
			t.expectGolden()
		})
	})

	Describe("the wire", func() {
		It("answers an unknown event with 880002 in the envelope", harness.Case("jim/wire/unknown-event"), func() {
			needs(cl, "raw")
			t := newTenant(cl)
			alice := t.login("alice")
			alice.expectCode(jim.CodeInvalidParam, "raw", map[string]any{"event": "no_such_event", "payload": map[string]any{"x": 1}})
			alice.expectCode(jim.CodeUnknown, "raw", map[string]any{"event": "dissolve_group", "payload": map[string]any{"gid": 1}})
			t.expectGolden()
		})

		DescribeTable("works over every transport",
			func(transports string) {
				needs(cl, "transport")
				t := newTenant(cl)
				alice, bob := t.login("alice", transports), t.login("bob", transports)
				alice.mustCall("sendSingleMsg", map[string]any{"target_username": "bob", "content": "over " + transports})
				Expect(bob.await("MSG_RECEIVE")["msg_body"]).To(Equal(map[string]any{"text": "over " + transports}))
				bob.mustCall("sendSingleMsg", map[string]any{"target_username": "alice", "content": "back"})
				alice.await("MSG_RECEIVE")
				want := map[string]string{"websocket": "websocket", "polling": "polling", "upgrade": "websocket"}[transports]
				Eventually(func() string { return alice.mustCall("transport", nil)["name"].(string) }).Should(Equal(want))
				t.expectGolden()
			},
			Entry("websocket", harness.Case("jim/transport/websocket"), "websocket"),
			Entry("long polling", harness.Case("jim/transport/polling"), "polling"),
			Entry("polling upgraded to websocket", harness.Case("jim/transport/upgrade"), "upgrade"),
		)
	})

	Describe("faults", func() {
		It("answers a send with the fault's code once, then normally; the transcript shows both", harness.Case("jim/faults/reply"), func() {
			t := newTenant(cl)
			alice, bob := t.login("alice"), t.login("bob")
			ev := "s_single_text"
			if cl.V2 {
				ev = "s_across_single_text"
			}
			_, err := env.srv.Faults(t.ID).Add(fault.Rule{Match: fault.Match{Command: "jim/" + ev}, Count: 1, Reply: &fault.Reply{ErrorCode: 882005, ErrorInfo: "busy"}})
			Expect(err).NotTo(HaveOccurred())
			alice.expectCode(882005, "sendSingleMsg", map[string]any{"target_username": "bob", "content": "first"})
			alice.mustCall("sendSingleMsg", map[string]any{"target_username": "bob", "content": "second"})
			Expect(bob.await("MSG_RECEIVE")["msg_body"]).To(Equal(map[string]any{"text": "second"}))
			Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(1))
			t.expectGolden()
		})
	})

	if cl.V2 {
		Describe("2.x only", func() {
			It("retracts a message: the peer gets event 55; repeats, strangers and unknown ids are refused", harness.Case("jim/msg/retract"), func() {
				t := newTenant(cl)
				alice, bob := t.login("alice"), t.login("bob")
				id := num(alice.mustCall("sendSingleMsg", map[string]any{"target_username": "bob", "content": "oops"})["msg_id"])
				bob.await("MSG_RECEIVE")
				bob.expectCode(jim.CodeRetractNotSender, "msgRetract", map[string]any{"msg_id": id})
				alice.mustCall("msgRetract", map[string]any{"msg_id": id})
				ev := bob.await("EVENT", eventType(55))
				Expect(ev["msgid_list"]).To(Equal([]any{float64(id)}))
				alice.expectCode(jim.CodeRetractAlready, "msgRetract", map[string]any{"msg_id": id})
				alice.expectCode(jim.CodeRetractNoMsg, "msgRetract", map[string]any{"msg_id": 9999})
				t.expectGolden()
			})

			It("resends an unacknowledged request with the same rid; the server answers and stores it once", harness.Case("jim/wire/resend-idempotent"), func() {
				t := newTenant(cl)
				alice, bob := t.login("alice"), t.login("bob")
				// Held past the 2.x SDK's 5 s ack timer: it resends with the same rid meanwhile.
				_, err := env.srv.Faults(t.ID).Add(fault.Rule{Match: fault.Match{Command: "jim/s_across_single_text"}, Count: 1, Delay: dur.Duration(6 * time.Second)})
				Expect(err).NotTo(HaveOccurred())
				alice.mustCall("sendSingleMsg", map[string]any{"target_username": "bob", "content": "once"})
				Expect(bob.await("MSG_RECEIVE")["msg_body"]).To(Equal(map[string]any{"text": "once"}))
				sent := 0
				for _, x := range t.transcript() {
					if x.Command == "jim/s_across_single_text" {
						sent++
					}
				}
				Expect(sent).To(Equal(2), "the first send and its resend")
				Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(1))
				t.expectGolden() // waits for the traffic to settle
				received := 0
				for _, e := range bob.Events() {
					if e.Name == "MSG_RECEIVE" {
						received++
					}
				}
				Expect(received).To(Equal(1))
			})
		})
	}
})
