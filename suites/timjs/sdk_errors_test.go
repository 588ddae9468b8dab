package timjs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// The seed's "common error codes" (常用错误状态码) as tim-js-sdk 2.x surfaces them (and, where
// examined, the WebSocket generation: docs/sdk-notes.md). 6004–6208 are
// codes of the native SDKs: no pinned 2.x bundle has them, and each spec proves what the Web SDK
// does in the same situation instead (its own code, or the server's). 10016–10034 and 60016 are
// server codes: the SDK passes them on with the text of its own code table, or the server's text
// for a code it does not know. Where a state of the server causes the code, the spec causes that
// state; otherwise it injects the reply (said in the catalogue).

// notReadyCode is tim-js-sdk's SDK_IS_NOT_READY: an API called outside SDK_READY.
const notReadyCode = 2999

// expectNotReady calls sendMessage and getConversationList on an SDK that is not ready: up to 2.7.7
// they return nothing and emit ERROR 2999 per call, from 2.7.8 they reject with 2999 (bisected on
// the published releases).
func expectNotReady(u *harness.User) {
	GinkgoHelper()
	u.Settle()
	_, sendErr := u.Send(harness.Ctx(), "createTextMessage", textTo("bob", "are you there?"))
	list, listErr := u.Call(harness.Ctx(), "getConversationList")
	if env.SDKBefore("2.7.8") {
		Expect(sendErr).NotTo(HaveOccurred())
		Expect(listErr).NotTo(HaveOccurred())
		Expect(string(list)).To(Equal("null"))
		for _, api := range []string{"sendMessage", "getConversationList"} {
			u.Await("ERROR", func(ev driver.Event) bool { return errorEvent(ev, notReadyCode, api) })
		}
		return
	}
	Expect(rejectCode(sendErr)).To(Equal(notReadyCode))
	Expect(rejectCode(listErr)).To(Equal(notReadyCode))
}

func textTo(to, text string) map[string]any {
	return map[string]any{"to": to, "conversationType": "$TYPES.CONV_C2C", "payload": map[string]any{"text": text}}
}

func errorEvent(ev driver.Event, code int, mentions string) bool {
	var e struct {
		Code    int
		Message string
	}
	return json.Unmarshal(ev.Data, &e) == nil && e.Code == code && strings.Contains(e.Message, mentions)
}

// sendmsgs counts the openim/sendmsg calls of a transcript connection ("" for every one).
func sendmsgs(t *harness.Tenant, conn string) int {
	n := 0
	for _, x := range t.Transcript() {
		if x.Command == "openim/sendmsg" && (conn == "" || x.Conn == conn) {
			n++
		}
	}
	return n
}

// WebSocket-generation codes for a refused API: before login, and after each kick.
const (
	wsNotLoggedIn       = 2024 // USER_NOT_LOGGED_IN
	wsKickedMultAccount = 3003 // KICKED_OUT_MULT_ACCOUNT
	wsKickedSigExpired  = 3004 // KICKED_OUT_USERSIG_EXPIRED
)

// expectRefused calls sendMessage and getConversationList on a WebSocket-generation SDK that is
// not logged in (or was kicked): both reject with code, the reason the SDK keeps.
func expectRefused(u *harness.User, code int) {
	GinkgoHelper()
	u.Settle()
	_, sendErr := u.Send(harness.Ctx(), "createTextMessage", textTo("bob", "are you there?"))
	_, listErr := u.Call(harness.Ctx(), "getConversationList")
	Expect(rejectCode(sendErr)).To(Equal(code))
	Expect(rejectCode(listErr)).To(Equal(code))
}

// notExamined skips a case on the WebSocket generation, naming why.
func notExamined(why string) {
	if env.WebSocket() {
		Skip(env.SDKName + ": " + why)
	}
}

var _ = Describe("common error codes (seed 003) through tim-js-sdk 2.x and the WebSocket generation", func() {

	It("6013/6014: an API called before login is refused by the SDK itself (2999; the WebSocket generation 2024) and nothing reaches the server", harness.Case("tim/errors/not-logged-in"), func() {
		t := env.NewTenant()
		t.App.EnsureUser("bob")
		alice := t.Start("alice")
		if env.WebSocket() { // its own "not logged in" code
			expectRefused(alice, wsNotLoggedIn)
			// Its socket is open from create on and keeps itself alive; nothing else is sent.
			for _, c := range commands(t) {
				Expect(c).To(Equal("heartbeat/alive"))
			}
			return
		}
		expectNotReady(alice)
		Expect(t.Transcript()).To(BeEmpty())
	})

	It("6208/6206/6014: after a kick by a second login or by UserSig expiry, the SDK refuses APIs itself (2999; the WebSocket generation the kick's code) and sends nothing", harness.Case("tim/errors/kicked-not-ready"), func() {
		t := env.NewTenant()
		t.Login("bob")
		first := t.Login("alice")
		t.Login("alice") // the same account again on the Web: the first instance is kicked (state)
		kickedAs(first, state.KickMultipleAccount)
		if env.WebSocket() {
			// The WebSocket generation rejects with the kick's own code.
			expectRefused(first, wsKickedMultAccount)
		} else {
			expectNotReady(first)
		}
		Expect(sendmsgs(t, "alice#1")).To(BeZero())

		expired := t.Login("carol")
		t.App.Clock().Advance(10*time.Minute + time.Second) // harness UserSigs last 10 minutes
		kickedAs(expired, state.KickUserSigExpired)
		if env.WebSocket() {
			expectRefused(expired, wsKickedSigExpired)
		} else {
			expectNotReady(expired)
		}
		Expect(sendmsgs(t, "")).To(BeZero())
	})

	It("6004: an invalid conversation ID is refused by the SDK's parameter check; a group conversation of no group gets the server's 10010 (the WebSocket generation asks nothing)", harness.Case("tim/errors/invalid-conversation"), func() {
		t := env.NewTenant()
		alice := t.Login("alice")
		for _, id := range []string{"nonsense", ""} {
			_, err := alice.Call(harness.Ctx(), "getConversationProfile", id)
			var se *driver.SDKError
			Expect(err).To(BeAssignableToTypeOf(se), "getConversationProfile(%q)", id)
			Expect(err.(*driver.SDKError).Message).To(Equal("Params validate failed."))
		}
		if env.WebSocket() {
			// The WebSocket generation asks the server nothing: it answers a placeholder group
			// conversation of its own.
			res, err := alice.Call(harness.Ctx(), "getConversationProfile", "GROUPnope")
			Expect(err).NotTo(HaveOccurred())
			var p struct {
				Data struct {
					Conversation struct {
						ConversationID string
						Type           string
						GroupProfile   struct{ GroupID string }
					}
				}
			}
			harness.Decode(res, &p)
			Expect(p.Data.Conversation.ConversationID).To(Equal("GROUPnope"))
			Expect(p.Data.Conversation.Type).To(Equal("GROUP"))
			Expect(p.Data.Conversation.GroupProfile.GroupID).To(Equal("nope"))
			Expect(commands(t)).NotTo(ContainElement("group_open_http_svc/get_group_info"))
			return
		}
		// The server's 10010 (no such group); up to 2.7.1 the SDK reports group-service codes of
		// this call with 50000000 added (2.7.5 does not; bisected on the published releases).
		_, err := alice.Call(harness.Ctx(), "getConversationProfile", "GROUPnope")
		if env.SDKBefore("2.7.5") {
			Expect(rejectCode(err)).To(Equal(50000000 + tim.CodeGroupNotFound))
		} else {
			Expect(rejectCode(err)).To(Equal(tim.CodeGroupNotFound))
		}
		Expect(commands(t)).To(ContainElement("group_open_http_svc/get_group_info"))
	})

	It("6010: (injected fault) sendmsg answered HTTP 502 every time: the SDK retries, then fails the message with 2100", harness.Case("tim/errors/http-failure"), func() {
		if env.WebSocket() {
			Skip(env.SDKName + " sends messages as socket frames, which have no HTTP status: the fault cannot apply (socket failures: tim/ws/*)")
		}
		t := env.NewTenant()
		t.Login("bob")
		alice := t.Login("alice")
		env.Server.Faults(t.SDKAppID).Add(fault.Rule{Match: fault.Match{Command: "openim/sendmsg", Transport: "http"}, Status: 502})
		_, err := alice.Send(harness.Ctx(), "createTextMessage", textTo("bob", "anyone?"))
		Expect(rejectCode(err)).To(Equal(2100))
		Expect(err.(*driver.SDKError).Message).To(Equal("Request failed with status code 502"))
		Expect(sendmsgs(t, "")).To(BeNumerically(">", 1), "the SDK retries a failed request")
		Expect(t.App.C2CHistory("alice", "bob")).To(BeEmpty())
	})

	It("60016: a disabled app (state) refuses logins with 60016, and an online SDK gets ERROR 60016 from its long poll", harness.Case("tim/errors/app-disabled"), func() {
		t := env.NewTenant()
		alice := t.Login("alice")
		alice.Settle()
		t.App.SetDisabled(true)
		if !env.WebSocket() { // an online socket raises no ERROR event (docs/sdk-notes.md)
			alice.Await("ERROR", func(ev driver.Event) bool { return errorEvent(ev, tim.CodeAppDisabled, "disabled") })
		}
		carol := t.Start("carol")
		_, err := carol.Login(harness.Ctx(), t.Sig("carol"))
		Expect(rejectCode(err)).To(Equal(tim.CodeAppDisabled))
		t.App.SetDisabled(false)
		t.Login("dave")
	})

	It("10033: revoking a message of an AVChatRoom (state) is refused with 10033 and the SDK's text for it", harness.Case("tim/errors/recall-avchatroom"), func() {
		notExamined("after joinGroup resolves, sending to the AVChatRoom fails locally with 2101 (MESSAGE_SEND_FAIL_NOT_IN_AVCHATROOM), so the recall is never reached; its AVChatRoom path (HTTP polling) was not followed")
		s := newScene("alice", state.GroupSpec{Type: state.GroupAVChatRoom, Name: "live"})
		_, err := s.u["alice"].Call(harness.Ctx(), "joinGroup", map[string]any{"groupID": s.gid, "type": "$TYPES.GRP_AVCHATROOM"})
		Expect(err).NotTo(HaveOccurred())
		sent := s.sendGroupText("alice", "hello room")
		_, err = s.u["alice"].Call(harness.Ctx(), "revokeMessage", map[string]any{"$message": sent.ID})
		Expect(rejectCode(err)).To(Equal(tim.CodeRecallNotSupported))
		Expect(err.(*driver.SDKError).Message).To(Equal("群组类型不支持消息撤回操作。"))
	})

	It("10016: the app backend's callback (state: the tenant's callback URL) refuses a group message; the SDK rejects with 10016 and its text, nothing is stored", harness.Case("tim/errors/callback-rejected"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "g", Members: members("bob")})
		var mu sync.Mutex
		var asked []string
		backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var cb struct {
				CallbackCommand string
				MsgBody         []struct{ MsgContent struct{ Text string } }
			}
			_ = json.NewDecoder(r.Body).Decode(&cb)
			code := 0
			if len(cb.MsgBody) > 0 && strings.Contains(cb.MsgBody[0].MsgContent.Text, "bad word") {
				code = 1
			}
			mu.Lock()
			asked = append(asked, cb.CallbackCommand)
			mu.Unlock()
			fmt.Fprintf(w, `{"ActionStatus":"OK","ErrorCode":%d,"ErrorInfo":""}`, code)
		}))
		DeferCleanup(backend.Close)
		Expect(s.t.App.SetCallbackURL(backend.URL)).To(Succeed())
		_, err := s.u["bob"].Send(harness.Ctx(), "createTextMessage", map[string]any{"to": s.gid, "conversationType": "$TYPES.CONV_GROUP", "payload": map[string]any{"text": "a bad word"}})
		Expect(rejectCode(err)).To(Equal(tim.CodeCallbackRejected))
		if env.WebSocket() { // the WebSocket generation passes the server's ErrorInfo on
			Expect(err.(*driver.SDKError).Message).To(Equal("the app backend's callback refused the message"))
		} else {
			Expect(err.(*driver.SDKError).Message).To(Equal("App 后台通过第三方回调拒绝本次操作。"))
		}
		s.sendGroupText("bob", "a kind word")
		s.u["alice"].AwaitMessage("the kind word", hasText("a kind word"))
		p, err := s.t.App.GroupHistory("alice", s.gid, 0, 10)
		Expect(err).NotTo(HaveOccurred())
		var texts []string
		for _, it := range p.Items {
			texts = append(texts, string(it.Msg.Body[0].Content))
		}
		Expect(texts).To(ContainElement(ContainSubstring("a kind word")))
		Expect(texts).NotTo(ContainElement(ContainSubstring("bad word")))
		mu.Lock()
		defer mu.Unlock()
		Expect(asked).To(Equal([]string{"Group.CallbackBeforeSendMsg", "Group.CallbackBeforeSendMsg"}))
	})

	It("10032, 10034: (injected fault) server codes the fake has no state for reach the app with the SDK's own text", harness.Case("tim/errors/server-code-texts"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "g", Members: members("bob")})
		bob := s.u["bob"]
		faults := env.Server.Faults(s.t.SDKAppID)
		// 10032: the message may not be recalled.
		sent := s.sendGroupText("bob", "keep me")
		// The WebSocket generation passes the server's ErrorInfo on instead of its own text.
		text := func(sdk, server string) string {
			if env.WebSocket() {
				return server
			}
			return sdk
		}
		faults.Add(fault.Rule{Match: fault.Match{Command: "group_open_http_svc/group_msg_recall"}, Count: 1, Reply: &fault.Reply{ErrorCode: 10032, ErrorInfo: "the server's text for 10032"}})
		_, err := bob.Call(harness.Ctx(), "revokeMessage", map[string]any{"$message": sent.ID})
		Expect(rejectCode(err)).To(Equal(10032))
		Expect(err.(*driver.SDKError).Message).To(Equal(text("请求撤回的消息不支持撤回操作。", "the server's text for 10032")))
		// 10034: no 2.x API deletes messages; the nearest is deleteConversation.
		awaitConversation(bob, "GROUP"+s.gid, func(conversation) bool { return true })
		deleteCmd := "recentcontact/delete"
		if env.WebSocket() {
			deleteCmd = "recentcontact/batch_delete" // this generation's deleteConversation
		}
		faults.Add(fault.Rule{Match: fault.Match{Command: deleteCmd}, Count: 1, Reply: &fault.Reply{ErrorCode: 10034, ErrorInfo: "the server's text for 10034"}})
		_, err = bob.Call(harness.Ctx(), "deleteConversation", "GROUP"+s.gid)
		Expect(rejectCode(err)).To(Equal(10034))
		Expect(err.(*driver.SDKError).Message).To(Equal(text("该消息类型不支持删除操作。", "the server's text for 10034")))
	})

	It("20001 from the server's size limit: a message whose request is over 1 MiB fails with 20001 and is not stored; 20 000 characters go through", harness.Case("tim/errors/oversized-message"), func() {
		t := env.NewTenant()
		bob := t.Login("bob")
		alice := t.Login("alice")
		long := strings.Repeat("x", 20000)
		alice.SendText("bob", long)
		bob.AwaitMessage("the long text", hasText(long))
		_, err := alice.Send(harness.Ctx(), "createCustomMessage", map[string]any{
			"to": "bob", "conversationType": "$TYPES.CONV_C2C", "payload": map[string]any{"data": strings.Repeat("y", 1100000)},
		})
		Expect(rejectCode(err)).To(Equal(tim.CodeInvalidPacket))
		Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(1))
	})

	It("20002 from a stale session: after the server forgets its sessions (restart), the SDK's long poll (the WebSocket generation: its next call) gets 20002 and it reports KICKED_OUT userSigExpired; a new login works", harness.Case("tim/errors/stale-session"), func() {
		t := env.NewTenant()
		alice := t.Login("alice")
		tiny := t.App.Sessions("alice")[0].TinyID
		Expect(t.App.ForgetSessions()).To(Equal(1))
		if env.WebSocket() {
			// No poll here: the socket stays open (heartbeats need no session) and the next call
			// carrying the forgotten a2 is answered 20002; the SDK rejects it and reports the same
			// kick as the long-polling generation.
			_, err := alice.Send(harness.Ctx(), "createTextMessage", textTo("bob", "still there?"))
			Expect(rejectCode(err)).To(Equal(tim.CodeAuthFailed))
			kickedAs(alice, state.KickUserSigExpired)
			var codes []int
			for _, x := range t.Transcript() {
				if x.Command == "openim/sendmsg" && x.Conn == "tinyid:"+tiny {
					var r struct{ ErrorCode int }
					harness.Decode(x.Response, &r)
					codes = append(codes, r.ErrorCode)
				}
			}
			Expect(codes).To(Equal([]int{tim.CodeAuthFailed}))
			t.Login("alice")
			return
		}
		kickedAs(alice, state.KickUserSigExpired)
		// The poll held at that moment answers it (alice#1), or the next one does, which is named
		// by its tinyid in the transcript since its session is unknown.
		Expect(append(longPollCodes(t, "alice#1"), longPollCodes(t, "tinyid:"+tiny)...)).To(ContainElement(tim.CodeAuthFailed))
		t.Login("alice")
	})
})
