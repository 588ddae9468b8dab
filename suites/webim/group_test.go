package webim

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/harness"
)

// tipOf is the group tip content of an onMsgNotify message (webim.Msg.Elem.GroupTip), or nil.
func tipOf(m map[string]any) map[string]any {
	if elemType(m, 0) != "TIMGroupTipElem" {
		return nil
	}
	return content(m, 0)
}

// awaitTip waits for a group tip of opType in group gid.
func (u *user) awaitTip(gid string, opType int) map[string]any {
	GinkgoHelper()
	m := u.awaitMsg("tip", func(m map[string]any) bool {
		t := tipOf(m)
		return t != nil && t["groupId"] == gid && t["opType"] == float64(opType)
	})
	Expect(m["subType"]).To(BeEquivalentTo(2), "webim.GROUP_MSG_SUB_TYPE.TIP")
	return tipOf(m)
}

// awaitNotify waits for onGroupSystemNotifys[reportType] about group gid.
func (u *user) awaitNotify(gid string, reportType int) map[string]any {
	GinkgoHelper()
	n := u.awaitNotice("onGroupSystemNotifys."+itoa(reportType), func(n map[string]any) bool { return n["GroupId"] == gid })
	Expect(n["ReportType"]).To(BeEquivalentTo(reportType))
	Expect(n["SrcFlag"]).To(BeEquivalentTo(0))
	return n
}

var _ = Describe("groups and members (WebIM 1.3 manual §8–§11)", func() {
	It("manages a group: create, list, profile, members, roles, mute, kick, quit, destroy, with tips and notices",
		harness.Case("webim/group/manage"), func() {
			t := env.NewTenant()
			alice, bob, carol, dave := login(t, "alice"), login(t, "bob"), login(t, "carol"), login(t, "dave")

			created := alice.call("createGroup", map[string]any{"Type": "Public", "Name": "Teahouse", "MemberList": []string{"bob", "carol", "dave"}})
			gid, _ := created["GroupId"].(string)
			Expect(gid).NotTo(BeEmpty())
			alice.awaitNotify(gid, 6) // CREATE, to the creator

			joined := alice.call("getJoinedGroupListHigh", map[string]any{"Member_Account": "alice", "Limit": 10, "Offset": 0,
				"GroupBaseInfoFilter": []string{"Type", "Name", "MemberNum"}, "SelfInfoFilter": []string{"Role"}})
			Expect(joined["TotalCount"]).To(BeEquivalentTo(1))
			g0 := obj2(list(joined["GroupIdList"])[0])
			Expect(g0).To(And(HaveKeyWithValue("GroupId", gid), HaveKeyWithValue("Name", "Teahouse"), HaveKeyWithValue("MemberNum", 4.0)))
			Expect(obj2(g0["SelfInfo"])).To(HaveKeyWithValue("Role", "Owner"))

			info := bob.call("getGroupInfo", map[string]any{"GroupIdList": []string{gid}, "GroupBaseInfoFilter": []string{"Name", "Owner_Account"},
				"MemberInfoFilter": []string{"Role"}})
			gi := obj2(list(info["GroupInfo"])[0])
			Expect(gi).To(And(HaveKeyWithValue("Name", "Teahouse"), HaveKeyWithValue("Owner_Account", "alice")))
			pub := bob.call("getGroupPublicInfo", map[string]any{"GroupIdList": []string{gid}, "GroupBasePublicInfoFilter": []string{"Name", "MemberNum"}})
			Expect(obj2(list(pub["GroupInfo"])[0])).To(HaveKeyWithValue("MemberNum", 4.0))

			// Public groups take no invitations from members (they join by applying); a Private
			// group's members invite: the invitee gets notice 7 and everyone tip 1 JOIN.
			Expect(*alice.fails("addGroupMember", map[string]any{"GroupId": gid, "MemberList": []map[string]any{{"Member_Account": "erin"}}}).Code).To(Equal(10007))
			attic := alice.call("createGroup", map[string]any{"Type": "Private", "Name": "Attic", "MemberList": []string{"bob"}})["GroupId"].(string)
			bob.call("addGroupMember", map[string]any{"GroupId": attic, "MemberList": []map[string]any{{"Member_Account": "carol"}}})
			carol.awaitNotify(attic, 7)
			join := alice.awaitTip(attic, 1)
			Expect(join["opUserId"]).To(Equal("bob"))
			Expect(join["userIdList"]).To(Equal([]any{"carol"}))
			Expect(join["groupMemberNum"]).To(BeEquivalentTo(3))

			// Profile change: tip 6 with the new values, and onGroupInfoChangeNotify.
			alice.call("modifyGroupBaseInfo", map[string]any{"GroupId": gid, "Name": "Teahouse II", "Notification": "be kind"})
			mod := bob.awaitTip(gid, 6)
			Expect(mod["groupInfoList"]).To(ContainElement(HaveKeyWithValue("value", "Teahouse II")))
			Expect(mod["groupInfoList"]).To(ContainElement(HaveKeyWithValue("value", "be kind")))
			ch := bob.awaitNotice("onGroupInfoChangeNotify", func(n map[string]any) bool { return n["GroupId"] == gid })
			Expect(ch).To(And(HaveKeyWithValue("GroupName", "Teahouse II"), HaveKeyWithValue("GroupNotification", "be kind")))

			// Roles: tips 4/5, notices 9/10 to the member concerned.
			alice.call("modifyGroupMember", map[string]any{"GroupId": gid, "Member_Account": "bob", "Role": "Admin"})
			Expect(carol.awaitTip(gid, 4)["userIdList"]).To(Equal([]any{"bob"}))
			bob.awaitNotify(gid, 9)
			roles := carol.call("getRoleInGroup", map[string]any{"GroupId": gid, "User_Account": []string{"alice", "bob", "carol"}})
			Expect(roles["UserIdList"]).To(Equal([]any{
				map[string]any{"Member_Account": "alice", "Role": "Owner"},
				map[string]any{"Member_Account": "bob", "Role": "Admin"},
				map[string]any{"Member_Account": "carol", "Role": "Member"}}))
			alice.call("modifyGroupMember", map[string]any{"GroupId": gid, "Member_Account": "bob", "Role": "Member"})
			Expect(carol.awaitTip(gid, 5)["userIdList"]).To(Equal([]any{"bob"}))
			bob.awaitNotify(gid, 10)

			// Mute: tip 7 with the member's mute time; a muted member's send fails with 10017.
			alice.call("forbidSendMsg", map[string]any{"GroupId": gid, "Members_Account": []string{"carol"}, "ShutUpTime": 600})
			mute := bob.awaitTip(gid, 7)
			Expect(mute["memberInfoList"]).To(ConsistOf(And(HaveKeyWithValue("userId", "carol"), HaveKeyWithValue("shutupTime", 600.0))))
			_, _, err := carol.send("GROUP", gid, text("can I speak?"))
			Expect(err).To(HaveOccurred())
			Expect(*sdkErr(err).Code).To(Equal(10017))

			members := bob.call("getGroupMemberInfo", map[string]any{"GroupId": gid, "Offset": 0, "Limit": 10, "MemberInfoFilter": []string{"Role", "ShutUpUntil"}})
			Expect(members["MemberNum"]).To(BeEquivalentTo(4))
			Expect(list(members["MemberList"])).To(HaveLen(4))

			// Kick: tip 3, notice 4 to the kicked. Quit: tip 2 to the rest, notice 8 to the quitter.
			alice.call("deleteGroupMember", map[string]any{"GroupId": gid, "MemberToDel_Account": []string{"carol"}, "Reason": "spam"})
			Expect(bob.awaitTip(gid, 3)["userIdList"]).To(Equal([]any{"carol"}))
			carol.awaitNotify(gid, 4)
			bob.call("quitGroup", map[string]any{"GroupId": gid})
			quit := alice.awaitTip(gid, 2)
			Expect(quit["userIdList"]).To(Equal([]any{"bob"}))
			Expect(quit["groupMemberNum"]).To(BeEquivalentTo(2))
			bob.awaitNotify(gid, 8)

			// Errors reach cbErr unchanged.
			Expect(*bob.fails("quitGroup", map[string]any{"GroupId": gid}).Code).To(Equal(10007), "no longer a member")
			Expect(*dave.fails("destroyGroup", map[string]any{"GroupId": gid}).Code).To(Equal(10007))
			// A missing group is a per-item ErrorCode: getGroupInfo hands it over, getGroupPublicInfo
			// (which checks the items) fails.
			gone := dave.call("getGroupInfo", map[string]any{"GroupIdList": []string{"@TGS#nope"}, "GroupBaseInfoFilter": []string{"Name"}})
			Expect(obj2(list(gone["GroupInfo"])[0])).To(HaveKeyWithValue("ErrorCode", 10010.0))
			Expect(dave.fails("getGroupPublicInfo", map[string]any{"GroupIdList": []string{"@TGS#nope"}, "GroupBasePublicInfoFilter": []string{"Name"}}).Message).To(ContainSubstring("[10010]"))

			// Destroy: notice 5 to every member.
			alice.call("destroyGroup", map[string]any{"GroupId": gid})
			dave.awaitNotify(gid, 5)

			// Reclaimed by the service (notice 11, REVOKE in the 1.3 manual).
			Expect(t.App.ReclaimGroup(attic)).To(Succeed())
			carol.awaitNotify(attic, 11)
			// (No golden: how many of these pushes share a long poll depends on timing.)
		})

	It("handles join requests: notices 1, 2, 3 and deleting the handled request", harness.Case("webim/group/apply-join"), func() {
		t := env.NewTenant()
		alice, bob, carol := login(t, "alice"), login(t, "bob"), login(t, "carol")
		gid := alice.call("createGroup", map[string]any{"Type": "Public", "Name": "Club", "MemberList": []string{},
			"ApplyJoinOption": "NeedPermission"})["GroupId"].(string)
		found := bob.call("searchGroupByName", map[string]any{"Content": "Club", "PageNum": 0, "GroupPerPage": 20,
			"ResponseFilter": map[string]any{"GroupBasePublicInfoFilter": []string{"Name", "Owner_Account"}}})
		Expect(obj2(list(found["GroupInfo"])[0])).To(HaveKeyWithValue("GroupId", gid))

		applied := bob.call("applyJoinGroup", map[string]any{"GroupId": gid, "ApplyMsg": "let me in", "UserDefinedField": "udf-1"})
		Expect(applied["JoinedStatus"]).To(Equal("WaitAdminApproval"))
		req := alice.awaitNotify(gid, 1)
		Expect(req).To(And(HaveKeyWithValue("Operator_Account", "bob"), HaveKeyWithValue("RemarkInfo", "let me in"),
			HaveKeyWithValue("UserDefinedField", "udf-1"), HaveKeyWithValue("GroupName", "Club")))
		Expect(req["MsgKey"]).NotTo(BeNil())
		Expect(req["Authentication"]).NotTo(BeNil())
		pend := alice.call("getPendencyGroup", map[string]any{"StartTime": 0, "Limit": 10})
		Expect(list(pend["PendencyList"])).To(HaveLen(1))
		alice.call("getPendencyGroupRead", map[string]any{"ReportTime": t.App.Now().Unix()})

		// handleApplyJoinGroupPendency (1.3: handleApplyJoinGroup) echoes Authentication and MsgKey.
		alice.call("handleApplyJoinGroupPendency", map[string]any{"GroupId": gid, "Applicant_Account": "bob", "HandleMsg": "Agree",
			"Authentication": req["Authentication"], "MsgKey": req["MsgKey"], "ApprovalMsg": "welcome", "UserDefinedField": ""})
		Expect(bob.awaitNotify(gid, 2)).To(HaveKeyWithValue("RemarkInfo", "welcome"))
		Expect(bob.awaitTip(gid, 1)["userIdList"]).To(Equal([]any{"bob"}))
		// Handled twice: the server's 10024 becomes success inside the SDK.
		again := alice.call("handleApplyJoinGroupPendency", map[string]any{"GroupId": gid, "Applicant_Account": "bob", "HandleMsg": "Agree",
			"Authentication": req["Authentication"], "MsgKey": req["MsgKey"], "ApprovalMsg": "", "UserDefinedField": ""})
		Expect(again["ActionStatus"]).To(Equal("OK"))
		alice.call("deleteApplyJoinGroupPendency", map[string]any{"DelMsgList": []map[string]any{
			{"From_Account": "bob", "MsgSeq": req["MsgSeq"], "MsgRandom": req["MsgRandom"]}}})
		for _, n := range t.App.Notices("alice") {
			Expect(n.Type).NotTo(BeEquivalentTo(1), "the handled request's notice is deleted")
		}

		carol.call("applyJoinGroup", map[string]any{"GroupId": gid, "ApplyMsg": "me too", "UserDefinedField": ""})
		req2 := alice.awaitNotify(gid, 1)
		alice.call("handleApplyJoinGroupPendency", map[string]any{"GroupId": gid, "Applicant_Account": "carol", "HandleMsg": "Reject",
			"Authentication": req2["Authentication"], "MsgKey": req2["MsgKey"], "ApprovalMsg": "full", "UserDefinedField": ""})
		Expect(carol.awaitNotify(gid, 3)).To(HaveKeyWithValue("RemarkInfo", "full"))
		t.ExpectGolden()
	})

	It("sends group messages, syncs group history, marks them read and sends custom notices", harness.Case("webim/group/messages"), func() {
		t := env.NewTenant()
		alice, bob := login(t, "alice"), login(t, "bob")
		gid := alice.call("createGroup", map[string]any{"Type": "Private", "Name": "Pair", "MemberList": []string{"bob"}})["GroupId"].(string)
		_, resp, err := alice.send("GROUP", gid, text("first"), map[string]any{"type": "custom", "data": "d", "desc": "x", "ext": "e"})
		Expect(err).NotTo(HaveOccurred())
		Expect(resp["MsgSeq"]).NotTo(BeNil())
		// The sender sees its own message only through the server's echo.
		for _, u := range []*user{alice, bob} {
			got := u.awaitMsg("first", func(m map[string]any) bool {
				return elemType(m, 0) == "TIMTextElem" && content(m, 0)["text"] == "first"
			})
			Expect(got["fromAccount"]).To(Equal("alice"))
			Expect(got["isSend"]).To(Equal(u == alice))
			Expect(obj2(got["session"])).To(And(HaveKeyWithValue("type", "GROUP"), HaveKeyWithValue("id", gid), HaveKeyWithValue("name", "Pair")))
			Expect(got["seq"]).To(Equal(resp["MsgSeq"]))
			Expect(elemType(got, 1)).To(Equal("TIMCustomElem"))
		}
		_, _, err = bob.send("GROUP", gid, text("second"))
		Expect(err).NotTo(HaveOccurred())
		alice.awaitMsg("second", func(m map[string]any) bool { return content(m, 0)["text"] == "second" })

		// syncGroupMsgs hands over only what the SDK has not stored yet: ask from a fresh instance.
		bob2 := login(t, "bob") // a second login: the server ends bob's first session (multipleAccount)
		hist, err := bob2.Call(harness.Ctx(), "syncGroupMsgs", map[string]any{"GroupId": gid, "ReqMsgSeq": resp["MsgSeq"].(float64) + 1, "ReqMsgNumber": 10})
		Expect(err).NotTo(HaveOccurred())
		var texts []any
		for _, m := range list(raw(hist)) {
			if elemType(obj2(m), 0) == "TIMTextElem" {
				texts = append(texts, content(obj2(m), 0)["text"])
			}
		}
		Expect(texts).To(Equal([]any{"first", "second"}))

		bob2.call("groupMsgReaded", map[string]any{"GroupId": gid, "MsgReadedSeq": resp["MsgSeq"].(float64) + 1})
		Eventually(func() int {
			for _, g := range t.App.JoinedGroups("bob") {
				if g.ID == gid {
					return g.Unread
				}
			}
			return -1
		}).Should(Equal(0))

		// sendCustomGroupNotify from the owner's session: notice 255 with the content.
		alice.call("sendCustomGroupNotify", map[string]any{"GroupId": gid, "Content": "party at 8"})
		n := bob2.awaitNotify(gid, 255)
		Expect(n["UserDefinedField"]).To(Equal("party at 8"))
		Expect(*bob2.fails("sendCustomGroupNotify", map[string]any{"GroupId": gid, "Content": "me too"}).Code).To(Equal(10007),
			"a plain member may not")
		t.ExpectGolden()
	})
})
