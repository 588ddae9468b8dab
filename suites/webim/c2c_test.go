package webim

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/suites/harness"
)

var _ = Describe("login and C2C messages (WebIM 1.0 manual §3–§5)", func() {
	It("logs in, reaches the long poll, and goes offline", harness.Case("webim/login/init-offline"), func() {
		t := env.NewTenant()
		alice := login(t, "alice")
		alice.Await("onConnNotify") // INIT->ON after the first long-poll answer
		Expect(alice.SDKVersion()).NotTo(BeEmpty())
		_, err := alice.Do(harness.Ctx(), "logout", nil) // webim.logout == webim.offline
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() string {
			ss := t.App.Sessions("alice")
			if len(ss) == 0 {
				return ""
			}
			return ss[len(ss)-1].LongPoll
		}).Should(BeEmpty(), "offline closes the long poll (longpollinglogout)")
		t.ExpectGolden()
	})

	It("a kick on the long poll (91101) reaches onKickedEventCall", harness.Case("webim/login/kicked"), func() {
		t := env.NewTenant()
		alice := login(t, "alice")
		_, err := t.App.Kick("alice", state.KickMultipleAccount)
		Expect(err).NotTo(HaveOccurred())
		alice.Await("onKickedEventCall")
		t.ExpectGolden()
	})

	It("sends text, face and custom elements and the peer's onMsgNotify renders them", harness.Case("webim/c2c/send-elements"), func() {
		t := env.NewTenant()
		alice, bob := login(t, "alice"), login(t, "bob")
		msg, resp, err := alice.send("C2C", "bob", text("hello 你好"),
			map[string]any{"type": "face", "index": 3, "data": "[微笑]"},
			map[string]any{"type": "custom", "data": `{"order":42}`, "desc": "an order", "ext": "ext-1"})
		Expect(err).NotTo(HaveOccurred())
		Expect(resp["ActionStatus"]).To(Equal("OK"))
		stored := t.App.C2CHistory("alice", "bob")
		Expect(stored).To(HaveLen(1))
		Expect(stored[0].Seq).To(BeEquivalentTo(msg["seq"]))

		got := bob.awaitMsg("alice's message", func(m map[string]any) bool { return m["fromAccount"] == "alice" })
		Expect(got["isSend"]).To(BeFalse())
		Expect(obj2(got["session"])).To(HaveKeyWithValue("id", "alice"))
		Expect(obj2(got["session"])).To(HaveKeyWithValue("type", "C2C"))
		Expect(got["seq"]).To(Equal(msg["seq"]))
		Expect(got["random"]).To(Equal(msg["random"]))
		Expect(elemType(got, 0)).To(Equal("TIMTextElem"))
		Expect(content(got, 0)).To(HaveKeyWithValue("text", "hello 你好"))
		Expect(elemType(got, 1)).To(Equal("TIMFaceElem"))
		Expect(content(got, 1)).To(HaveKeyWithValue("index", 3.0))
		Expect(content(got, 1)).To(HaveKeyWithValue("data", "[微笑]"))
		Expect(elemType(got, 2)).To(Equal("TIMCustomElem"))
		Expect(content(got, 2)).To(And(HaveKeyWithValue("data", `{"order":42}`), HaveKeyWithValue("desc", "an order"), HaveKeyWithValue("ext", "ext-1")))
		t.ExpectGolden()
	})

	DescribeTable("syncMsgs fetches what arrived while offline",
		func(notify bool) {
			t := env.NewTenant()
			t.App.SetC2CNotify(notify)
			alice := login(t, "alice")
			t.App.EnsureUser("bob")
			bob := login(t, "bob")
			_, err := bob.Do(harness.Ctx(), "logout", nil)
			Expect(err).NotTo(HaveOccurred())
			for _, s := range []string{"one", "two", "three"} {
				_, _, err := alice.send("C2C", "bob", text(s))
				Expect(err).NotTo(HaveOccurred())
			}
			bob2 := login(t, "bob")
			res, err := bob2.Call(harness.Ctx(), "syncMsgs")
			Expect(err).NotTo(HaveOccurred())
			var texts []any
			for _, m := range list(raw(res)) {
				texts = append(texts, content(obj2(m), 0)["text"])
			}
			Expect(texts).To(Equal([]any{"one", "two", "three"}))
			if notify {
				// Online now: Event 1 makes the SDK fetch with getmsg, and onMsgNotify gets it.
				_, _, err := alice.send("C2C", "bob", text("four"))
				Expect(err).NotTo(HaveOccurred())
				got := bob2.awaitMsg("four", func(m map[string]any) bool { return content(m, 0)["text"] == "four" })
				Expect(got["fromAccount"]).To(Equal("alice"))
			}
			// (No golden: the logout may go out before the SDK has its long-poll id.)
		},
		Entry("C2C pushed inline (Event 9)", harness.Case("webim/c2c/sync-msgs"), false),
		Entry("C2C announced by Event 1, fetched by getmsg", harness.Case("webim/c2c/sync-msgs-event1"), true),
	)

	It("keeps sessions and unread counts in MsgStore, and setAutoRead reports them read", harness.Case("webim/c2c/sessions-unread"), func() {
		t := env.NewTenant()
		alice, bob := login(t, "alice"), login(t, "bob")
		for _, s := range []string{"a", "b"} { // one at a time: each arrives in a long poll of its own
			_, _, err := alice.send("C2C", "bob", text(s))
			Expect(err).NotTo(HaveOccurred())
			bob.awaitMsg(s, func(m map[string]any) bool { return content(m, 0)["text"] == s })
		}
		Eventually(func() any { return bob.sync("MsgStore.sessCount") }).Should(BeEquivalentTo(1))
		st := bob.store()
		s := obj2(list(st["sessions"])[0])
		Expect(s["id"]).To(Equal("alice"))
		Expect(s["unread"]).To(BeEquivalentTo(2))
		Expect(list(s["msgs"])).To(HaveLen(2))
		Expect(obj2(bob.sync("MsgStore.sessByTypeId", "C2C", "alice"))).To(HaveKeyWithValue("unread", 2.0))
		Expect(obj2(bob.sync("MsgStore.sessMap"))).To(HaveKey("C2Calice"))

		Expect(t.App.UnreadC2C("bob")).To(HaveLen(1))
		bob.sync("setAutoRead", session("C2C", "alice"), true, true)
		Eventually(func() int { return len(t.App.UnreadC2C("bob")) }).WithTimeout(10*time.Second).Should(Equal(0), "setAutoRead sends msgreaded")
		Expect(obj2(bob.sync("MsgStore.sessByTypeId", "C2C", "alice"))).To(HaveKeyWithValue("unread", 0.0))

		bob.sync("MsgStore.resetCookieAndSyncFlag")
		Expect(bob.sync("MsgStore.delSessByTypeId", "C2C", "alice")).To(BeTrue())
		Expect(bob.sync("MsgStore.sessByTypeId", "C2C", "alice")).To(BeNil())
		Expect(bob.sync("MsgStore.sessMap")).NotTo(HaveKey("C2Calice"))
		// (sessCount counts the SDK's session timeline, which delSessByTypeId leaves alone.)
		t.ExpectGolden()
	})

	It("uploads a picture in base64 and sends it as an image element", harness.Case("webim/c2c/send-image"), func() {
		t := env.NewTenant()
		alice, bob := login(t, "alice"), login(t, "bob")
		pic := tinyPNG()
		up := alice.call("uploadPicByBase64", map[string]any{"toAccount": "bob", "businessType": 2, "File_Type": 1,
			"fileMd5": md5hex(pic), "totalSize": len(pic), "base64Str": b64(pic)})
		Expect(up["File_UUID"]).To(Equal(md5hex(pic)))
		infos := list(up["URL_INFO"])
		Expect(infos).To(HaveLen(3))
		var imgs []map[string]any
		for _, x := range infos {
			i := obj2(x)
			typ := map[float64]int{1: 1, 2: 3, 4: 2}[i["PIC_TYPE"].(float64)]
			imgs = append(imgs, map[string]any{"type": typ, "size": i["PIC_Size"], "width": i["PIC_Width"], "height": i["PIC_Height"], "url": i["DownUrl"]})
		}
		_, _, err := alice.send("C2C", "bob", map[string]any{"type": "image", "uuid": up["File_UUID"], "format": 3, "infos": imgs})
		Expect(err).NotTo(HaveOccurred())
		got := bob.awaitMsg("the image", func(m map[string]any) bool { return elemType(m, 0) == "TIMImageElem" })
		c := content(got, 0)
		Expect(c["UUID"]).To(Equal(md5hex(pic)))
		Expect(list(c["ImageInfoArray"])).To(HaveLen(3))
		url := obj2(list(c["ImageInfoArray"])[0])["url"].(string)
		Expect(fetch(url)).To(Equal(pic), "the image URL serves the uploaded bytes")
		t.ExpectGolden()
	})
})
