package jmessage

import (
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/jim"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/suites/harness"
)

var _ = forEachClient(func(cl client) {
	Describe("accounts", func() {
		It("registers a user (md5 password), who can then log in; a taken name is refused with 882002", harness.Case("jim/user/register"), func() {
			t := newTenant(cl)
			u := t.start("erin")
			u.mustCall("init", map[string]any{"auth_payload": t.auth()})
			u.mustCall("register", map[string]any{"username": "erin", "password": "s3cret", "nickname": "Erin", "auth_payload": t.auth()})
			Expect(t.App.CheckPassword("erin", md5hex("s3cret"))).To(Succeed())
			u.expectCode(jim.CodeUserExists, "register", map[string]any{"username": "erin", "password": "other", "auth_payload": t.auth()})
			u.mustCall("login", map[string]any{"username": "erin", "password": "s3cret", "auth_payload": t.auth()})
			t.expectGolden()
		})

		It("reads a user's profile, also across apps; an unknown user is 880103", harness.Case("jim/user/info"), func() {
			t, other := newTenant(cl), newTenant(cl)
			t.seed("bob", "pw", "Bobby")
			other.seed("dave", "pw", "Dave of Other")
			alice := t.login("alice")
			info := alice.mustCall("getUserInfo", map[string]any{"username": "bob"})["user_info"]
			Expect(info).To(And(HaveKeyWithValue("username", "bob"), HaveKeyWithValue("nickname", "Bobby"), HaveKeyWithValue("appkey", t.AppKey)))
			info = alice.mustCall("getUserInfo", map[string]any{"username": "dave", "appkey": other.AppKey})["user_info"]
			Expect(info).To(And(HaveKeyWithValue("username", "dave"), HaveKeyWithValue("nickname", "Dave of Other"), HaveKeyWithValue("appkey", other.AppKey)))
			alice.expectCode(jim.CodeUserNotExist, "getUserInfo", map[string]any{"username": "nobody"})
			t.expectGolden()
		})

		It("logs out; messages sent meanwhile wait for the next login", harness.Case("jim/login/logout"), func() {
			t := newTenant(cl)
			alice, bob := t.login("alice"), t.login("bob")
			alice.mustCall("loginOut", nil)
			Eventually(func() []string { return onlineUsers(t) }).ShouldNot(ContainElement("alice"))
			bob.mustCall("sendSingleMsg", map[string]any{"target_username": "alice", "content": "while you were out"})
			Expect(alice.Events()).NotTo(ContainElement(HaveField("Name", "MSG_RECEIVE")))
			again := t.login("alice")
			m := again.await("MSG_RECEIVE")
			Expect(m["msg_body"]).To(Equal(map[string]any{"text": "while you were out"}))
			t.expectGolden()
		})

		It("a second login kicks the first client with event 1", harness.Case("jim/login/kick"), func() {
			t := newTenant(cl)
			first := t.login("alice")
			second := t.login("alice")
			ev := first.await("EVENT", eventType(1))
			Expect(usernames(ev["to_usernames"])).To(ConsistOf("alice"))
			Expect(second.Events()).NotTo(ContainElement(HaveField("Name", "EVENT")))
			if !cl.V2 { // 1.x stays connected: the server no longer serves it as alice
				first.expectCode(jim.CodeAuthFail, "getGroupList", nil)
			}
			second.mustCall("getGroupList", nil)
			t.expectGolden()
		})
	})

	Describe("conversations, no-disturb and blacklist", func() {
		It("lists single and group conversations", harness.Case("jim/conv/list"), func() {
			t := newTenant(cl)
			alice, _ := t.login("alice"), t.login("bob")
			r := alice.mustCall("createGroup", map[string]any{"group_name": "Team", "group_description": ""})
			gid := num(r["gid"])
			alice.mustCall("sendSingleMsg", map[string]any{"target_username": "bob", "content": "hi"})
			alice.mustCall("sendGroupMsg", map[string]any{"target_gid": gid, "content": "note to self"})
			convs := alice.mustCall("getConversations", nil)["conversations"].([]any)
			Expect(convs).To(HaveLen(2))
			Expect(convs).To(ContainElement(And(HaveKeyWithValue("type", BeNumerically("==", 3)), HaveKeyWithValue("username", "bob"), HaveKeyWithValue("nickname", "Bob"))))
			Expect(convs).To(ContainElement(And(HaveKeyWithValue("type", BeNumerically("==", 4)), HaveKeyWithValue("name", "Team"))))
			t.expectGolden()
		})

		It("sets and clears no-disturb for a user, a group and globally, refusing repeats", harness.Case("jim/nodisturb/all"), func() {
			t := newTenant(cl)
			alice, _ := t.login("alice"), t.login("bob")
			gid := num(alice.mustCall("createGroup", map[string]any{"group_name": "Team", "group_description": ""})["gid"])
			nd := alice.mustCall("getNoDisturb", nil)["no_disturb"]
			Expect(nd).To(Equal(map[string]any{"global": 0.0, "users": []any{}, "groups": []any{}}))
			alice.mustCall("addSingleNoDisturb", map[string]any{"target_name": "bob"})
			alice.expectCode(jim.CodeUserNDAlready, "addSingleNoDisturb", map[string]any{"target_name": "bob"})
			alice.mustCall("addGroupNoDisturb", map[string]any{"gid": gid})
			alice.expectCode(jim.CodeGroupNDAlready, "addGroupNoDisturb", map[string]any{"gid": gid})
			alice.mustCall("addGlobalNoDisturb", nil)
			alice.expectCode(jim.CodeGlobalNDAlready, "addGlobalNoDisturb", nil)
			nd = alice.mustCall("getNoDisturb", nil)["no_disturb"]
			Expect(nd).To(HaveKeyWithValue("global", 1.0))
			Expect(usernames(nd.(map[string]any)["users"])).To(ConsistOf("bob"))
			Expect(nd).To(HaveKeyWithValue("groups", ConsistOf(HaveKeyWithValue("name", "Team"))))
			alice.mustCall("deleteSingleNoDisturb", map[string]any{"target_name": "bob"})
			alice.expectCode(jim.CodeUserNDNotSet, "deleteSingleNoDisturb", map[string]any{"target_name": "bob"})
			alice.mustCall("deleteGroupNoDisturb", map[string]any{"gid": gid})
			alice.expectCode(jim.CodeGroupNDNotSet, "deleteGroupNoDisturb", map[string]any{"gid": gid})
			alice.mustCall("deleteGlobalNoDisturb", nil)
			alice.expectCode(jim.CodeGlobalNDNotSet, "deleteGlobalNoDisturb", nil)
			alice.expectCode(jim.CodeTargetNotExist, "addSingleNoDisturb", map[string]any{"target_name": "nobody"})
			Expect(alice.mustCall("getNoDisturb", nil)["no_disturb"]).To(Equal(map[string]any{"global": 0.0, "users": []any{}, "groups": []any{}}))
			t.expectGolden()
		})

		It("adds to and removes from the blacklist", harness.Case("jim/black/list"), func() {
			t := newTenant(cl)
			alice, _ := t.login("alice"), t.login("bob")
			Expect(alice.mustCall("getBlackList", nil)["black_list"]).To(BeEmpty())
			alice.mustCall("addBlackList", map[string]any{"member_list": []any{map[string]any{"username": "bob", "appkey": t.AppKey}}})
			list := alice.mustCall("getBlackList", nil)["black_list"]
			Expect(list).To(ConsistOf(And(HaveKeyWithValue("username", "bob"), HaveKeyWithValue("nickname", "Bob"))))
			Expect(t.App.Blocks("alice", "bob")).To(BeTrue())
			alice.expectCode(jim.CodeTargetNotExist, "addBlackList", map[string]any{"member_list": []any{map[string]any{"username": "nobody", "appkey": t.AppKey}}})
			alice.mustCall("delBlackList", map[string]any{"member_list": []any{map[string]any{"username": "bob", "appkey": t.AppKey}}})
			Expect(alice.mustCall("getBlackList", nil)["black_list"]).To(BeEmpty())
			t.expectGolden()
		})
	})
})

// onlineUsers lists the tenant's users with a logged-in JMessage connection.
func onlineUsers(t *tenant) []string {
	var out []string
	for _, u := range t.App.Users() {
		if env.srv.JIMOnline(t.AppKey, u) > 0 {
			out = append(out, u)
		}
	}
	return out
}

var _ = forEachClient(func(cl client) {
	It("logs in users a scenario seeded with passwords, shows its group and applies its fault rule", harness.Case("scenario/jim/team-with-passwords"), func() {
		t := newTenant(cl)
		sc, err := scenario.Load(filepath.Join(env.repo, "fixtures", "scenarios", "jim", "team-with-passwords.yaml"))
		Expect(err).NotTo(HaveOccurred())
		_, err = env.srv.LoadScenario(t.ID, sc)
		Expect(err).NotTo(HaveOccurred())
		alice := t.loginWith("alice", "alice-secret")
		list := alice.mustCall("getGroupList", nil)["group_list"].([]any)
		Expect(list).To(ConsistOf(And(HaveKeyWithValue("gid", 20000001.0), HaveKeyWithValue("name", "Team"))))
		Expect(usernames(alice.mustCall("getGroupMembers", map[string]any{"gid": 20000001})["member_list"])).To(ConsistOf("alice", "bob"))
		bob := t.start("bob")
		bob.mustCall("init", map[string]any{"auth_payload": t.auth()})
		bob.expectCode(jim.CodeWrongPassword, "login", map[string]any{"username": "bob", "password": "bob-pass", "auth_payload": t.auth()})
		bob.mustCall("login", map[string]any{"username": "bob", "password": "bob-secret", "auth_payload": t.auth()})
		bob.expectCode(882005, "sendSingleMsg", map[string]any{"target_username": "alice", "content": "first"})
		bob.mustCall("sendSingleMsg", map[string]any{"target_username": "alice", "content": "second"})
		Expect(alice.await("MSG_RECEIVE")["msg_body"]).To(Equal(map[string]any{"text": "second"}))
		t.expectGolden()
	})
})
