package webim

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/harness"
)

var _ = Describe("profile and relationship chain (WebIM 1.0 manual §6–§7)", func() {
	It("sets and reads profiles; friends hear of the change", harness.Case("webim/profile/portrait"), func() {
		t := env.NewTenant()
		Expect(t.App.AddFriend("alice", "bob", "")).To(Succeed())
		alice, bob := login(t, "alice"), login(t, "bob")
		alice.call("setProfilePortrait", map[string]any{"ProfileItem": []map[string]any{
			{"Tag": "Tag_Profile_IM_Nick", "Value": "Alice L."}, {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"}}})
		n := bob.awaitNotice("onProfileSystemNotifys.1", nil)
		Expect(n["Profile_Account"]).To(Equal("alice"))
		Expect(n["ProfileList"]).To(ContainElement(map[string]any{"Tag": "Tag_Profile_IM_Nick", "Value": "Alice L."}))

		got := bob.call("getProfilePortrait", map[string]any{"To_Account": []string{"alice"}, "TagList": []string{"Tag_Profile_IM_Nick", "Tag_Profile_IM_Gender"}})
		item := obj2(list(got["UserProfileItem"])[0])
		Expect(item["To_Account"]).To(Equal("alice"))
		Expect(item["ProfileItem"]).To(ConsistOf(
			map[string]any{"Tag": "Tag_Profile_IM_Nick", "Value": "Alice L."},
			map[string]any{"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"}))
		// An unknown account is a Fail_Account, which webim.js reports as its own 99999.
		Expect(*bob.fails("getProfilePortrait", map[string]any{"To_Account": []string{"ghost"}, "TagList": []string{"Tag_Profile_IM_Nick"}}).Code).To(Equal(99999))
		t.ExpectGolden()
	})

	It("adds a friend through a request: pendency, response, list, delete", harness.Case("webim/friends/request-chain"), func() {
		t := env.NewTenant()
		alice, bob, carol := login(t, "alice"), login(t, "bob"), login(t, "carol")
		r := alice.call("applyAddFriend", map[string]any{"AddFriendItem": []map[string]any{
			{"To_Account": "bob", "Remark": "Bobby", "AddSource": "AddSource_Type_Web", "AddWording": "hi, it's alice"}}})
		Expect(obj2(list(r["ResultItem"])[0])).To(HaveKeyWithValue("ResultCode", 30539.0), "waiting for bob")
		p := bob.awaitNotice("onFriendSystemNotifys.3", nil)
		Expect(p["Type"]).To(BeEquivalentTo(3))
		Expect(obj2(list(p["PendencyList"])[0])).To(And(HaveKeyWithValue("PendencyAdd_Account", "alice"), HaveKeyWithValue("AddWording", "hi, it's alice")))

		in := bob.call("getPendency", map[string]any{"PendencyType": "Pendency_Type_ComeIn", "StartTime": 0, "MaxLimited": 10, "LastSequence": 0})
		Expect(obj2(list(in["PendencyItem"])[0])).To(HaveKeyWithValue("To_Account", "alice"))

		bob.call("responseFriend", map[string]any{"ResponseFriendItem": []map[string]any{
			{"To_Account": "alice", "ResponseAction": "Response_Action_AgreeAndAdd"}}})
		Expect(alice.awaitNotice("onFriendSystemNotifys.1", nil)["Accounts"]).To(Equal([]any{"bob"}))
		Expect(bob.awaitNotice("onFriendSystemNotifys.4", nil)["Accounts"]).To(Equal([]any{"alice"}))
		all := alice.call("getAllFriend", map[string]any{"TimeStamp": 0, "StartIndex": 0, "GetCount": 100, "LastStandardSequence": 0,
			"TagList": []string{"Tag_Profile_IM_Nick", "Tag_SNS_IM_Remark"}})
		Expect(all["FriendNum"]).To(BeEquivalentTo(1))
		Expect(obj2(list(all["InfoItem"])[0])).To(HaveKeyWithValue("Info_Account", "bob"))

		// A request can be deleted instead of answered.
		carol.call("applyAddFriend", map[string]any{"AddFriendItem": []map[string]any{{"To_Account": "alice", "AddSource": "AddSource_Type_Web"}}})
		alice.awaitNotice("onFriendSystemNotifys.3", func(n map[string]any) bool {
			return obj2(list(n["PendencyList"])[0])["PendencyAdd_Account"] == "carol"
		})
		alice.call("deletePendency", map[string]any{"PendencyType": "Pendency_Type_ComeIn", "To_Account": []string{"carol"}})
		Expect(alice.awaitNotice("onFriendSystemNotifys.4", nil)["Accounts"]).To(Equal([]any{"carol"}))
		Expect(t.App.FriendPendencies("alice", true)).To(BeEmpty())

		alice.call("deleteFriend", map[string]any{"To_Account": []string{"bob"}, "DeleteType": "Delete_Type_Both"})
		Expect(bob.awaitNotice("onFriendSystemNotifys.2", nil)["Accounts"]).To(Equal([]any{"alice"}))
		Expect(t.App.Friends("alice")).To(BeEmpty())
		// Answering a request that no longer exists fails through Fail_Account (99999).
		Expect(*bob.fails("responseFriend", map[string]any{"ResponseFriendItem": []map[string]any{
			{"To_Account": "alice", "ResponseAction": "Response_Action_Agree"}}}).Code).To(Equal(99999))
		t.ExpectGolden()
	})

	It("keeps a blacklist that blocks friend requests", harness.Case("webim/friends/blacklist"), func() {
		t := env.NewTenant()
		alice, carol := login(t, "alice"), login(t, "carol")
		alice.call("addBlackList", map[string]any{"To_Account": []string{"carol"}})
		Expect(alice.awaitNotice("onFriendSystemNotifys.5", nil)["Accounts"]).To(Equal([]any{"carol"}))
		bl := alice.call("getBlackList", map[string]any{"StartIndex": 0, "MaxLimited": 30, "LastSequence": 0})
		Expect(obj2(list(bl["BlackListItem"])[0])).To(HaveKeyWithValue("To_Account", "carol"))
		blocked := carol.fails("applyAddFriend", map[string]any{"AddFriendItem": []map[string]any{{"To_Account": "alice", "AddSource": "AddSource_Type_Web"}}})
		Expect(*blocked.Code).To(Equal(99999))
		Expect(blocked.Message).To(ContainSubstring("[30525]"))
		alice.call("deleteBlackList", map[string]any{"To_Account": []string{"carol"}})
		Expect(alice.awaitNotice("onFriendSystemNotifys.6", nil)["Accounts"]).To(Equal([]any{"carol"}))
		Expect(t.App.Blacklist("alice")).To(BeEmpty())
		t.ExpectGolden()
	})
})
