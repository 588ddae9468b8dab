package timjs

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// Group system notices (Event 5, TIMGroupSystemNoticeElem in the @TIM#SYSTEM conversation): every
// receiver's SDK payload is checked, and users who must not get a notice are checked after a
// barrier. Seed 002 §11, seed 003 (notice payloads), tim-js-2 §3.2.

// expectNotice awaits notice op about the scene's group on each user and checks what every notice
// carries.
func (s *scene) expectNotice(op int, operator string, ids ...string) map[string]harness.Message {
	GinkgoHelper()
	out := map[string]harness.Message{}
	for _, id := range ids {
		m := s.u[id].AwaitMessage("notice", isNotice(s.gid, op))
		Expect(m.ConversationID).To(Equal("@TIM#SYSTEM"), "%s", id)
		Expect(m.To).To(Equal(s.gid), "%s", id)
		Expect(m.Payload).To(HaveKeyWithValue("operatorID", operator), "%s", id)
		out[id] = m
	}
	return out
}

// adminREST calls a group_open_http_svc command as the app administrator over HTTP, as an app
// server would (identifier + usersig, no session).
func adminREST(t *harness.Tenant, cmd string, body any) map[string]any {
	GinkgoHelper()
	return adminRESTCall(t, "group_open_http_svc/"+cmd, body)
}

// adminRESTCall calls any service/cmd as the app administrator over HTTP.
func adminRESTCall(t *harness.Tenant, cmd string, body any) map[string]any {
	GinkgoHelper()
	b, err := json.Marshal(body)
	Expect(err).NotTo(HaveOccurred())
	url := fmt.Sprintf("%s/v4/%s?sdkappid=%d&identifier=%s&usersig=%s&random=42&contenttype=json",
		t.Env.Server.URL(), cmd, t.SDKAppID, state.DefaultAdminID, t.Sig(state.DefaultAdminID))
	resp, err := http.Post(url, "application/json", strings.NewReader(string(b)))
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	var r map[string]any
	Expect(json.Unmarshal(raw, &r)).To(Succeed(), "%s", raw)
	Expect(r).To(HaveKeyWithValue("ErrorCode", 0.0), "%s: %s", cmd, raw)
	return r
}

func anyGroup(sdkGroup) bool { return true }

// groupListWithout matches a GROUP_LIST_UPDATED event whose list lacks the group.
func groupListWithout(gid string) func(driver.Event) bool {
	return func(ev driver.Event) bool {
		var gs []sdkGroup
		if json.Unmarshal(ev.Data, &gs) != nil {
			return false
		}
		for _, g := range gs {
			if g.GroupID == gid {
				return false
			}
		}
		return true
	}
}

var _ = Describe("group system notices", func() {
	// A Public group that needs approval: alice owns, bob is an admin, carol a member; dave applies.
	applyScene := func() *scene {
		GinkgoHelper()
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club",
			Members: []state.MemberSpec{{User: "bob", Role: state.RoleAdmin}, {User: "carol"}}}, "dave", "erin")
		res := s.call("dave", "joinGroup", map[string]any{"groupID": s.gid, "applyMessage": "let me in",
			"type": "$TYPES.GRP_PUBLIC", "userDefinedField": "from-dave"})
		var r struct{ Data struct{ Status string } }
		harness.Decode(res, &r)
		Expect(r.Data.Status).To(Equal("WaitAdminApproval"))
		return s
	}

	It("notice 1: an application reaches the owner and the admins, with the tokens to handle it",
		harness.Case("tim/group/notice-1-apply"), func() {
			s := applyScene()
			for id, m := range s.expectNotice(1, "dave", "alice", "bob") {
				Expect(m.Payload).To(HaveKeyWithValue("handleMessage", "let me in"), "%s", id)
				Expect(m.Payload).To(HaveKeyWithValue("userDefinedField", "from-dave"), "%s", id)
				Expect(m.Payload["authentication"]).NotTo(BeEmpty(), "%s", id)
				Expect(m.Payload["messageKey"]).NotTo(BeEmpty(), "%s", id)
				Expect(m.Payload["groupProfile"]).To(HaveKeyWithValue("name", "club"), "%s", id)
				Expect(m.Payload["groupProfile"]).To(HaveKeyWithValue("to", id), "%s", id)
			}
			expectNone(s.t, "notice 1", isNotice(s.gid, 1), s.u["carol"], s.u["dave"], s.u["erin"])
		})

	It("notice 2: an accepted application reaches the applicant, whose SDK adds the group; handled once",
		harness.Case("tim/group/notice-2-accepted"), func() {
			s := applyScene()
			apply := s.u["alice"].AwaitMessage("application", isNotice(s.gid, 1))
			bobsCopy := s.u["bob"].AwaitMessage("application", isNotice(s.gid, 1))
			s.call("alice", "handleGroupApplication", map[string]any{"handleAction": "Agree", "handleMessage": "welcome",
				"message": map[string]any{"$message": apply.ID}})
			m := s.expectNotice(2, "alice", "dave")["dave"]
			Expect(m.Payload).To(HaveKeyWithValue("handleMessage", "welcome"))
			s.u["dave"].Await("GROUP_LIST_UPDATED", groupListUpdated(s.gid, anyGroup))
			// The SDK deleted the handled notice on the server (openim/deletemsg).
			Eventually(func() []state.GroupNotice { return s.t.App.Notices("alice") }).ShouldNot(
				ContainElement(HaveField("Type", state.NoticeApply)))
			Expect(commands(s.t)).To(ContainElement("openim/deletemsg"))
			// The other admin's copy is stale now: 10024.
			_, err := s.u["bob"].Call(harness.Ctx(), "handleGroupApplication", map[string]any{"handleAction": "Reject",
				"message": map[string]any{"$message": bobsCopy.ID}})
			Expect(rejectCode(err)).To(Equal(tim.CodeGroupHandled))
			expectNone(s.t, "notice 2", isNotice(s.gid, 2), s.users("alice", "bob", "carol", "erin")...)
			Expect(s.t.App.JoinedGroups("dave")).To(ContainElement(HaveField("Self.Role", state.RoleMember)))
		})

	It("notice 3: a refused application reaches the applicant only", harness.Case("tim/group/notice-3-refused"), func() {
		s := applyScene()
		apply := s.u["bob"].AwaitMessage("application", isNotice(s.gid, 1))
		s.call("bob", "handleGroupApplication", map[string]any{"handleAction": "Reject", "handleMessage": "not now",
			"message": map[string]any{"$message": apply.ID}})
		m := s.expectNotice(3, "bob", "dave")["dave"]
		Expect(m.Payload).To(HaveKeyWithValue("handleMessage", "not now"))
		expectNone(s.t, "notice 3", isNotice(s.gid, 3), s.users("alice", "bob", "carol", "erin")...)
		Expect(s.t.App.JoinedGroups("dave")).To(BeEmpty())
	})

	It("notice 4: the kicked user is told, and the SDK drops the group", harness.Case("tim/group/notice-4-kicked"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave")
		s.call("alice", "deleteGroupMember", map[string]any{"groupID": s.gid, "userIDList": []string{"carol"}})
		s.expectNotice(4, "alice", "carol")
		s.u["carol"].Await("GROUP_LIST_UPDATED", groupListWithout(s.gid))
		Expect(groupIDs(groupList(s.u["carol"]))).NotTo(ContainElement(s.gid))
		expectNone(s.t, "notice 4", isNotice(s.gid, 4), s.users("alice", "bob", "dave")...)
	})

	It("notice 5: a dismissal reaches every member", harness.Case("tim/group/notice-5-dismissed"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave")
		s.call("alice", "dismissGroup", s.gid)
		s.expectNotice(5, "alice", "alice", "bob", "carol")
		expectNone(s.t, "notice 5", isNotice(s.gid, 5), s.u["dave"])
		for _, id := range []string{"bob", "carol"} {
			Expect(groupIDs(groupList(s.u[id]))).NotTo(ContainElement(s.gid))
		}
		_, _, err := s.t.App.Group("alice", s.gid)
		Expect(err).To(MatchError(ContainSubstring("does not exist")))
	})

	It("notice 6 and 7 at creation: the creator is told of the creation, each initial member of the invitation; nobody else",
		harness.Case("tim/group/notice-6-created"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPrivate, Name: "work", Members: members("bob")}, "carol")
			Expect(s.created["alice"].ConversationID).To(Equal("@TIM#SYSTEM"))
			Expect(s.created["alice"].Payload).To(HaveKeyWithValue("operatorID", "alice"))
			Expect(s.created["bob"].ConversationID).To(Equal("@TIM#SYSTEM"))
			Expect(s.created["bob"].Payload).To(HaveKeyWithValue("operatorID", "alice"))
			Expect(s.created["bob"].Payload["groupProfile"]).To(HaveKeyWithValue("name", "work"))
			// Nothing about the group reached the outsider, and each notice came once.
			barrier(s.t, s.users("alice", "bob", "carol")...)
			for _, id := range []string{"alice", "bob", "carol"} {
				Expect(received(s.u[id], isNotice(s.gid, 6))).To(BeEmpty(), "%s", id) // after the setup
			}
			var carolSaw []harness.Message
			for _, ev := range s.u["carol"].Events() {
				if ev.Name == "MESSAGE_RECEIVED" {
					for _, m := range harness.Messages(ev) {
						if m.ConversationID == "GROUP"+s.gid || groupIDOf(m.Payload) == s.gid {
							carolSaw = append(carolSaw, m)
						}
					}
				}
			}
			Expect(carolSaw).To(BeEmpty())
			Expect(s.t.App.Notices("bob")).To(ConsistOf(HaveField("Type", state.NoticeInvited)))
		})

	It("notice 7: an invitation reaches the invitee, whose SDK adds the group", harness.Case("tim/group/notice-7-invited"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPrivate, Name: "work", Members: members("bob", "carol")}, "dave", "erin")
		s.call("bob", "addGroupMember", map[string]any{"groupID": s.gid, "userIDList": []string{"dave"}})
		m := s.expectNotice(7, "bob", "dave")["dave"]
		Expect(m.Payload["groupProfile"]).To(HaveKeyWithValue("name", "work"))
		s.u["dave"].Await("GROUP_LIST_UPDATED", groupListUpdated(s.gid, anyGroup))
		// Being in the local list lets the invitee send right away.
		s.sendGroupText("dave", "thanks for the invite")
		s.u["alice"].AwaitMessage("dave's", hasText("thanks for the invite"))
		expectNone(s.t, "notice 7", isNotice(s.gid, 7), s.users("alice", "bob", "carol", "erin")...)
	})

	It("notice 8: the quitter is told; nobody else", harness.Case("tim/group/notice-8-quit"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")})
		s.call("carol", "quitGroup", s.gid)
		s.expectNotice(8, "carol", "carol")
		expectNone(s.t, "notice 8", isNotice(s.gid, 8), s.users("alice", "bob")...)
	})

	It("notice 9: the new admin is told; nobody else", harness.Case("tim/group/notice-9-set-admin"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")})
		s.call("alice", "setGroupMemberRole", map[string]any{"groupID": s.gid, "userID": "carol", "role": "$TYPES.GRP_MBR_ROLE_ADMIN"})
		m := s.expectNotice(9, "alice", "carol")["carol"]
		Expect(m.Payload["groupProfile"]).To(HaveKeyWithValue("to", "carol"))
		expectNone(s.t, "notice 9", isNotice(s.gid, 9), s.users("alice", "bob")...)
	})

	It("notice 10: the former admin is told; nobody else", harness.Case("tim/group/notice-10-cancel-admin"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club",
			Members: []state.MemberSpec{{User: "bob", Role: state.RoleAdmin}, {User: "carol"}}})
		s.call("alice", "setGroupMemberRole", map[string]any{"groupID": s.gid, "userID": "bob", "role": "$TYPES.GRP_MBR_ROLE_MEMBER"})
		s.expectNotice(10, "alice", "bob")
		expectNone(s.t, "notice 10", isNotice(s.gid, 10), s.users("alice", "carol")...)
	})

	It("notice 11: a reclaimed group is announced to every member", harness.Case("tim/group/notice-11-reclaimed"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupChatRoom, Name: "lounge", Members: members("bob", "carol")}, "dave")
		Expect(s.t.App.ReclaimGroup(s.gid)).To(Succeed())
		s.expectNotice(11, state.DefaultAdminID, "alice", "bob", "carol")
		expectNone(s.t, "notice 11", isNotice(s.gid, 11), s.u["dave"])
		// tim-js-sdk keeps the group locally on notice 11; the server refuses it from now on (10010).
		_, err := s.u["bob"].Send(harness.Ctx(), "createTextMessage", map[string]any{
			"to": s.gid, "conversationType": "$TYPES.CONV_GROUP", "payload": map[string]any{"text": "hello?"}})
		Expect(rejectCode(err)).To(Equal(tim.CodeGroupNotFound))
	})

	It("notice 255: the administrator's custom notice (REST) reaches every member with its content",
		harness.Case("tim/group/notice-255-custom"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave")
			adminREST(s.t, "send_group_system_notification", map[string]any{"GroupId": s.gid, "Content": "maintenance at 2am"})
			for id, m := range s.expectNotice(255, state.DefaultAdminID, "alice", "bob", "carol") {
				Expect(m.Payload).To(HaveKeyWithValue("userDefinedField", "maintenance at 2am"), "%s", id)
			}
			expectNone(s.t, "notice 255", isNotice(s.gid, 255), s.u["dave"])
		})

	It("notice 255: ToMembers_Account limits the custom notice to the listed members",
		harness.Case("tim/group/notice-255-listed"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave")
			adminREST(s.t, "send_group_system_notification", map[string]any{"GroupId": s.gid, "Content": "just you",
				"ToMembers_Account": []string{"carol", "dave"}})
			m := s.expectNotice(255, state.DefaultAdminID, "carol")["carol"]
			Expect(m.Payload).To(HaveKeyWithValue("userDefinedField", "just you"))
			expectNone(s.t, "notice 255", isNotice(s.gid, 255), s.users("alice", "bob", "dave")...)
		})
})
