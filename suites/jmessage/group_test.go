package jmessage

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/jim"
	"github.com/imharness/imharness/suites/harness"
)

// eventType matches an EVENT of the given event_type.
func eventType(n int) func(map[string]any) bool {
	return func(m map[string]any) bool { return num(m["event_type"]) == int64(n) }
}

func usernames(list any) []string {
	var out []string
	l, _ := list.([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m["username"].(string))
		}
	}
	return out
}

var _ = forEachClient(func(cl client) {
	Describe("groups", func() {
		// newGroup has alice create a group and returns its gid.
		newGroup := func(alice *user, name string) int64 {
			GinkgoHelper()
			r := alice.mustCall("createGroup", map[string]any{"group_name": name, "group_description": "about " + name})
			Expect(r["group_name"]).To(Equal(name))
			gid := num(r["gid"])
			Expect(gid).To(BeNumerically(">", 0))
			ev := alice.await("EVENT", eventType(8))
			Expect(num(ev["gid"])).To(Equal(gid))
			return gid
		}

		It("creates a group; list, info and members show it with the creator as owner", harness.Case("jim/group/create"), func() {
			t := newTenant(cl)
			alice := t.login("alice")
			gid := newGroup(alice, "Team")
			list := alice.mustCall("getGroupList", nil)["group_list"].([]any)
			Expect(list).To(HaveLen(1))
			Expect(list[0]).To(And(HaveKeyWithValue("name", "Team"), HaveKeyWithValue("desc", "about Team")))
			Expect(num(list[0].(map[string]any)["gid"])).To(Equal(gid))
			info := alice.mustCall("getGroupInfo", map[string]any{"gid": gid})["group_info"].(map[string]any)
			Expect(info).To(And(HaveKeyWithValue("name", "Team"), HaveKeyWithValue("appkey", t.AppKey)))
			members := alice.mustCall("getGroupMembers", map[string]any{"gid": gid})["member_list"].([]any)
			Expect(members).To(ConsistOf(And(HaveKeyWithValue("username", "alice"), HaveKeyWithValue("flag", BeNumerically("==", 1)))))
			alice.expectCode(jim.CodeGroupNameLong, "createGroup", map[string]any{"group_name": strings.Repeat("n", 65), "group_description": ""})
			alice.expectCode(jim.CodeGroupDescLong, "createGroup", map[string]any{"group_name": "ok", "group_description": strings.Repeat("d", 251)})
			alice.expectCode(jim.CodeGroupNotExist, "getGroupInfo", map[string]any{"gid": 999})
			t.expectGolden()
		})

		It("adds and removes members; every member gets event 10 and event 11", harness.Case("jim/group/members"), func() {
			t := newTenant(cl)
			alice, bob, carol := t.login("alice"), t.login("bob"), t.login("carol")
			gid := newGroup(alice, "Team")
			alice.mustCall("addGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"bob", "carol"}})
			for _, u := range []*user{alice, bob, carol} {
				ev := u.await("EVENT", eventType(10))
				Expect(num(ev["gid"])).To(Equal(gid))
				Expect(usernames(ev["to_usernames"])).To(ConsistOf("bob", "carol"))
				Expect(ev["from_username"]).To(Equal("alice"))
			}
			members := alice.mustCall("getGroupMembers", map[string]any{"gid": gid})["member_list"]
			Expect(usernames(members)).To(ConsistOf("alice", "bob", "carol"))
			alice.expectCode(jim.CodeMemberAlready, "addGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"bob"}})
			alice.expectCode(jim.CodeMembersNotAdded, "addGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"nobody"}})
			alice.expectCode(jim.CodeEmptyMembers, "addGroupMember", map[string]any{"gid": gid, "member_usernames": []any{}})
			bob.expectCode(jim.CodeNoDelPermission, "delGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"carol"}})
			alice.mustCall("delGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"carol"}})
			for _, u := range []*user{alice, bob, carol} {
				ev := u.await("EVENT", eventType(11))
				Expect(usernames(ev["to_usernames"])).To(ConsistOf("carol"))
			}
			Expect(usernames(alice.mustCall("getGroupMembers", map[string]any{"gid": gid})["member_list"])).To(ConsistOf("alice", "bob"))
			alice.expectCode(jim.CodeMembersNotDeletable, "delGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"carol"}})
			carol.expectCode(jim.CodeNoAddPermission, "addGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"carol"}})
			t.expectGolden()
		})

		It("fans a group message out to every other member", harness.Case("jim/group/send"), func() {
			t := newTenant(cl)
			alice, bob, carol, dave := t.login("alice"), t.login("bob"), t.login("carol"), t.login("dave")
			gid := newGroup(alice, "Team")
			alice.mustCall("addGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"bob", "carol"}})
			r := alice.mustCall("sendGroupMsg", map[string]any{"target_gid": gid, "content": "hello team"})
			Expect(num(r["target_gid"])).To(Equal(gid))
			for _, u := range []*user{bob, carol} {
				m := u.await("MSG_RECEIVE")
				Expect(m["msg_type"]).To(BeNumerically("==", 4))
				Expect(m["from_id"]).To(Equal("alice"))
				Expect(m["target_type"]).To(Equal("group"))
				Expect(m["msg_body"]).To(Equal(map[string]any{"text": "hello team"}))
				Expect(num(m["msg_id"])).To(Equal(num(r["msg_id"])))
			}
			dave.expectCode(jim.CodeNotInGroup, "sendGroupMsg", map[string]any{"target_gid": gid, "content": "let me in"})
			dave.expectCode(jim.CodeGroupNotExist, "sendGroupMsg", map[string]any{"target_gid": 12345, "content": "?"})
			Expect(alice.Events()).NotTo(ContainElement(HaveField("Name", "MSG_RECEIVE")))
			Expect(dave.Events()).NotTo(ContainElement(HaveField("Name", "MSG_RECEIVE")))
			t.expectGolden()
		})

		It("updates the group's name and description (event 12) and lets a member exit (event 9)", harness.Case("jim/group/update-exit"), func() {
			t := newTenant(cl)
			alice, bob := t.login("alice"), t.login("bob")
			gid := newGroup(alice, "Team")
			alice.mustCall("addGroupMember", map[string]any{"gid": gid, "member_usernames": []any{"bob"}})
			bob.await("EVENT", eventType(10))
			alice.mustCall("updateGroupInfo", map[string]any{"gid": gid, "group_name": "New Name", "group_description": "New Description"})
			ev := bob.await("EVENT", eventType(12))
			Expect(num(ev["gid"])).To(Equal(gid))
			info := bob.mustCall("getGroupInfo", map[string]any{"gid": gid})["group_info"]
			Expect(info).To(And(HaveKeyWithValue("name", "New Name"), HaveKeyWithValue("desc", "New Description")))
			alice.expectCode(jim.CodeGroupNameLong, "updateGroupInfo", map[string]any{"gid": gid, "group_name": strings.Repeat("n", 65)})
			r := bob.mustCall("exitGroup", map[string]any{"gid": gid})
			Expect(r).To(HaveKeyWithValue("group_name", "New Name"))
			Expect(num(r["gid"])).To(Equal(gid))
			ev = alice.await("EVENT", eventType(9))
			Expect(usernames(ev["to_usernames"])).To(ConsistOf("bob"))
			Expect(bob.mustCall("getGroupList", nil)["group_list"]).To(BeEmpty())
			bob.expectCode(jim.CodeNotInGroup, "exitGroup", map[string]any{"gid": gid})
			t.expectGolden()
		})

		It("adds, messages and removes a member of another app", harness.Case("jim/group/across-app"), func() {
			t, other := newTenant(cl), newTenant(cl)
			alice := t.login("alice")
			dave := other.login("dave")
			gid := newGroup(alice, "Partners")
			across := []any{map[string]any{"username": "dave", "appkey": other.AppKey}}
			alice.mustCall("addAcrossGroupMember", map[string]any{"gid": gid, "member_usernames": across})
			dave.await("EVENT", eventType(10))
			members := alice.mustCall("getGroupMembers", map[string]any{"gid": gid})["member_list"]
			Expect(members).To(ContainElement(And(HaveKeyWithValue("username", "dave"), HaveKeyWithValue("appkey", other.AppKey))))
			alice.mustCall("sendGroupMsg", map[string]any{"target_gid": gid, "content": "across"})
			m := dave.await("MSG_RECEIVE")
			Expect(m["msg_body"]).To(Equal(map[string]any{"text": "across"}))
			Expect(m["from_appkey"]).To(Equal(t.AppKey))
			alice.mustCall("delAcrossGroupMember", map[string]any{"gid": gid, "member_usernames": across})
			dave.await("EVENT", eventType(11))
			Expect(usernames(alice.mustCall("getGroupMembers", map[string]any{"gid": gid})["member_list"])).To(ConsistOf("alice"))
			alice.expectCode(jim.CodeMembersNotAdded, "addAcrossGroupMember", map[string]any{"gid": gid,
				"member_usernames": []any{map[string]any{"username": "nobody", "appkey": other.AppKey}}})
			t.expectGolden()
		})
	})
})
