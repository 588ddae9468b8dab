package timjs

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// Group tips (Event 4, TIMGroupTipElem): every receiver's SDK payload is checked, and users who must
// not get a tip are checked after a barrier. Seed 002 §10, seed 003 (tips payload), tim-js-2 §3.1.

// expectTip awaits tip op of the scene's group on each user and checks what every tip carries.
func (s *scene) expectTip(op int, operator string, ids ...string) map[string]harness.Message {
	GinkgoHelper()
	out := map[string]harness.Message{}
	for _, id := range ids {
		m := s.u[id].AwaitMessage("tip", isTip(s.gid, op))
		Expect(m.ConversationType).To(Equal("GROUP"), "%s", id)
		Expect(m.To).To(Equal(s.gid), "%s", id)
		Expect(m.From).To(Equal(operator), "%s", id)
		Expect(m.Payload).To(HaveKeyWithValue("operatorID", operator), "%s", id)
		Expect(groupIDOf(m.Payload)).To(Equal(s.gid), "%s", id)
		out[id] = m
	}
	return out
}

func strs(v any) []string {
	var out []string
	b, _ := json.Marshal(v)
	_ = json.Unmarshal(b, &out)
	return out
}

// groupListUpdated matches a GROUP_LIST_UPDATED event whose list has the group satisfying pred.
func groupListUpdated(gid string, pred func(sdkGroup) bool) func(driver.Event) bool {
	return func(ev driver.Event) bool {
		var gs []sdkGroup
		if json.Unmarshal(ev.Data, &gs) != nil {
			return false
		}
		for _, g := range gs {
			if g.GroupID == gid {
				return pred(g)
			}
		}
		return false
	}
}

var _ = Describe("group tips", func() {
	It("tip 1: an invitation into a Private group reaches every member, the invitee included",
		harness.Case("tim/group/tip-1-join-invite"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPrivate, Name: "work", Members: members("bob", "carol")}, "dave", "erin")
			res := s.call("bob", "addGroupMember", map[string]any{"groupID": s.gid, "userIDList": []string{"dave"}})
			var r struct {
				Data struct{ SuccessUserIDList, FailureUserIDList, ExistedUserIDList []string }
			}
			harness.Decode(res, &r)
			Expect(r.Data.SuccessUserIDList).To(Equal([]string{"dave"}))
			Expect(r.Data.FailureUserIDList).To(BeEmpty())
			for id, m := range s.expectTip(1, "bob", "alice", "bob", "carol", "dave") {
				Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"dave"}), "%s", id)
				Expect(num(m.Payload["memberNum"])).To(Equal(4), "%s", id)
			}
			expectNone(s.t, "tip 1", isTip(s.gid, 1), s.u["erin"])
		})

	It("tip 1: a free join (joinGroup → JoinedSuccess) reaches every member, the joiner included",
		harness.Case("tim/group/tip-1-join-free"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupChatRoom, Name: "lounge", Members: members("bob", "carol")}, "dave", "erin")
			res := s.call("erin", "joinGroup", map[string]any{"groupID": s.gid, "type": "$TYPES.GRP_CHATROOM"})
			var r struct{ Data struct{ Status string } }
			harness.Decode(res, &r)
			Expect(r.Data.Status).To(Equal("JoinedSuccess"))
			for id, m := range s.expectTip(1, "erin", "alice", "bob", "carol", "erin") {
				Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"erin"}), "%s", id)
				Expect(num(m.Payload["memberNum"])).To(Equal(4), "%s", id)
			}
			Expect(groupIDs(groupList(s.u["erin"]))).To(ContainElement(s.gid))
			expectNone(s.t, "tip 1", isTip(s.gid, 1), s.u["dave"])
		})

	It("tip 1: an approved application reaches every member, the applicant included, from the approver",
		harness.Case("tim/group/tip-1-join-approved"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave", "erin")
			res := s.call("dave", "joinGroup", map[string]any{"groupID": s.gid, "applyMessage": "hi", "type": "$TYPES.GRP_PUBLIC"})
			var r struct{ Data struct{ Status string } }
			harness.Decode(res, &r)
			Expect(r.Data.Status).To(Equal("WaitAdminApproval"))
			apply := s.u["alice"].AwaitMessage("application", isNotice(s.gid, 1))
			s.call("alice", "handleGroupApplication", map[string]any{"handleAction": "Agree", "handleMessage": "welcome", "message": map[string]any{"$message": apply.ID}})
			for id, m := range s.expectTip(1, "alice", "alice", "bob", "carol", "dave") {
				Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"dave"}), "%s", id)
				Expect(num(m.Payload["memberNum"])).To(Equal(4), "%s", id)
			}
			expectNone(s.t, "tip 1", isTip(s.gid, 1), s.u["erin"])
		})

	It("tip 2: a quit reaches the remaining members, not the quitter", harness.Case("tim/group/tip-2-quit"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave")
		s.call("carol", "quitGroup", s.gid)
		for id, m := range s.expectTip(2, "carol", "alice", "bob") {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"carol"}), "%s", id)
			Expect(num(m.Payload["memberNum"])).To(Equal(2), "%s", id)
		}
		expectNone(s.t, "tip 2", isTip(s.gid, 2), s.u["carol"], s.u["dave"])
	})

	It("tip 3: a kick reaches the remaining members, not the kicked", harness.Case("tim/group/tip-3-kick"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club",
			Members: []state.MemberSpec{{User: "bob", Role: state.RoleAdmin}, {User: "carol"}, {User: "dave"}}}, "erin")
		s.call("bob", "deleteGroupMember", map[string]any{"groupID": s.gid, "userIDList": []string{"carol"}, "reason": "spam"})
		for id, m := range s.expectTip(3, "bob", "alice", "bob", "dave") {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"carol"}), "%s", id)
			Expect(num(m.Payload["memberNum"])).To(Equal(3), "%s", id)
		}
		expectNone(s.t, "tip 3", isTip(s.gid, 3), s.u["carol"], s.u["erin"])
		// An admin may not kick the owner (10007).
		_, err := s.u["bob"].Call(harness.Ctx(), "deleteGroupMember", map[string]any{"groupID": s.gid, "userIDList": []string{"alice"}})
		Expect(rejectCode(err)).To(Equal(tim.CodeGroupNoPermission))
	})

	It("tip 4: set admin reaches every member", harness.Case("tim/group/tip-4-set-admin"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave")
		s.call("alice", "setGroupMemberRole", map[string]any{"groupID": s.gid, "userID": "carol", "role": "$TYPES.GRP_MBR_ROLE_ADMIN"})
		for id, m := range s.expectTip(4, "alice", "alice", "bob", "carol") {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"carol"}), "%s", id)
		}
		expectNone(s.t, "tip 4", isTip(s.gid, 4), s.u["dave"])
		ms, err := s.t.App.GroupMembers("alice", s.gid)
		Expect(err).NotTo(HaveOccurred())
		Expect(ms).To(ContainElement(And(HaveField("User", "carol"), HaveField("Role", state.RoleAdmin))))
	})

	It("tip 5: cancel admin reaches every member", harness.Case("tim/group/tip-5-cancel-admin"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club",
			Members: []state.MemberSpec{{User: "bob", Role: state.RoleAdmin}, {User: "carol"}}}, "dave")
		s.call("alice", "setGroupMemberRole", map[string]any{"groupID": s.gid, "userID": "bob", "role": "$TYPES.GRP_MBR_ROLE_MEMBER"})
		for id, m := range s.expectTip(5, "alice", "alice", "bob", "carol") {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"bob"}), "%s", id)
		}
		expectNone(s.t, "tip 5", isTip(s.gid, 5), s.u["dave"])
	})

	It("tip 6: a profile change reaches every member with the changed fields, and the SDK applies it",
		harness.Case("tim/group/tip-6-profile"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club",
				Members: []state.MemberSpec{{User: "bob", Role: state.RoleAdmin}, {User: "carol"}}}, "dave")
			s.call("bob", "updateGroupProfile", map[string]any{"groupID": s.gid, "name": "renamed", "introduction": "new intro",
				"notification": "new rules", "groupCustomField": []map[string]any{{"key": "level", "value": "gold"}}})
			// The custom fields are MsgAppDefinedData on the wire. tim-js-sdk names them groupCustomField
			// from 2.6.2; before, its tip decoder has no name for them and they keep the generic camel case.
			custom := "groupCustomField"
			if env.SDKBefore("2.6.2") {
				custom = "msgAppDefinedData"
			}
			// The WebSocket generation's tip decoder calls the new name groupName (2.27.6, 3.6.6).
			name := "name"
			if env.WebSocket() {
				name = "groupName"
			}
			for id, m := range s.expectTip(6, "bob", "alice", "bob", "carol") {
				Expect(m.Payload["newGroupProfile"]).To(Equal(map[string]any{name: "renamed", "introduction": "new intro",
					"notification": "new rules", custom: []any{map[string]any{"key": "level", "value": "gold"}}}), "%s", id)
			}
			s.u["carol"].Await("GROUP_LIST_UPDATED", groupListUpdated(s.gid, func(g sdkGroup) bool {
				return g.Name == "renamed" && g.Notification == "new rules"
			}))
			expectNone(s.t, "tip 6", isTip(s.gid, 6), s.u["dave"])
			in, _, err := s.t.App.Group("alice", s.gid)
			Expect(err).NotTo(HaveOccurred())
			Expect(in.Name).To(Equal("renamed"))
			Expect(in.AppDefinedData).To(Equal([]state.KV{{Key: "level", Value: "gold"}}))
		})

	It("tip 6: a change of owner reaches every member, and the new owner's SDK becomes Owner",
		harness.Case("tim/group/tip-6-owner"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave")
			s.call("alice", "changeGroupOwner", map[string]any{"groupID": s.gid, "newOwnerID": "bob"})
			for id, m := range s.expectTip(6, "alice", "alice", "bob", "carol") {
				Expect(m.Payload["newGroupProfile"]).To(Equal(map[string]any{"ownerID": "bob"}), "%s", id)
			}
			s.u["bob"].Await("GROUP_LIST_UPDATED", groupListUpdated(s.gid, func(g sdkGroup) bool { return g.SelfInfo.Role == "Owner" }))
			expectNone(s.t, "tip 6", isTip(s.gid, 6), s.u["dave"])
			// The old owner is a plain member now: quitting works (an owner of a Public group gets 10009).
			s.call("alice", "quitGroup", s.gid)
			_, err := s.u["bob"].Call(harness.Ctx(), "quitGroup", s.gid)
			Expect(rejectCode(err)).To(Equal(tim.CodeGroupOwnerCantQuit))
		})

	It("tip 7: mute and unmute reach every member with the member's muteTime", harness.Case("tim/group/tip-7-mute"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "club", Members: members("bob", "carol")}, "dave")
		s.call("alice", "setGroupMemberMuteTime", map[string]any{"groupID": s.gid, "userID": "carol", "muteTime": 600})
		for id, m := range s.expectTip(7, "alice", "alice", "bob", "carol") {
			Expect(m.Payload["memberList"]).To(Equal([]any{map[string]any{"userID": "carol", "muteTime": 600.0}}), "%s", id)
		}
		_, err := s.u["carol"].Send(harness.Ctx(), "createTextMessage", map[string]any{
			"to": s.gid, "conversationType": "$TYPES.CONV_GROUP", "payload": map[string]any{"text": "can I?"}})
		Expect(rejectCode(err)).To(Equal(tim.CodeGroupMuted))

		s.call("alice", "setGroupMemberMuteTime", map[string]any{"groupID": s.gid, "userID": "carol", "muteTime": 0})
		// Awaiting consumes events in order: these are the unmute tips.
		for id, m := range s.expectTip(7, "alice", "alice", "bob", "carol") {
			Expect(m.Payload["memberList"]).To(Equal([]any{map[string]any{"userID": "carol", "muteTime": 0.0}}), "%s", id)
		}
		s.sendGroupText("carol", "thanks")
		s.u["bob"].AwaitMessage("carol's", hasText("thanks"))
		expectNone(s.t, "tip 7", isTip(s.gid, 7), s.u["dave"])
	})
})
