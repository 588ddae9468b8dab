package timjs

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// scene is a group its owner created through the SDK (createGroup with a memberList) while the
// owner, the members and some outsiders were logged in and long-polling, as an app does it: the
// initial members' SDKs learn the group from the server (notice 7), not from a later login.
type scene struct {
	t   *harness.Tenant
	gid string
	u   map[string]*harness.User
	// created holds the creation notice each user's SDK reported: 6 for the owner, 7 for members.
	created map[string]harness.Message
}

// newScene logs in the owner, spec's members and the outsiders, lets the owner's SDK create the
// group (spec's type, name, texts, join option and members with their roles) and waits until every
// member's SDK has it in its group list. Then every user is settled: a spec sees only what its own
// steps cause.
func newScene(owner string, spec state.GroupSpec, outsiders ...string) *scene {
	GinkgoHelper()
	t := env.NewTenant()
	ids := []string{owner}
	for _, m := range spec.Members {
		ids = append(ids, m.User)
	}
	ids = append(ids, outsiders...)
	for _, id := range ids {
		t.App.EnsureUser(id)
	}
	s := &scene{t: t, u: loginAll(t, ids...), created: map[string]harness.Message{}}
	s.gid = s.create(owner, spec)
	for _, u := range s.u {
		u.Settle()
	}
	return s
}

// sdkTypes names group types and join options as TIM.TYPES keys.
var sdkTypes = map[string]string{
	string(state.GroupPrivate): "$TYPES.GRP_PRIVATE", string(state.GroupPublic): "$TYPES.GRP_PUBLIC",
	string(state.GroupChatRoom): "$TYPES.GRP_CHATROOM", string(state.GroupAVChatRoom): "$TYPES.GRP_AVCHATROOM",
	string(state.JoinFreeAccess): "$TYPES.JOIN_OPTIONS_FREE_ACCESS", string(state.JoinNeedPermission): "$TYPES.JOIN_OPTIONS_NEED_PERMISSION",
	string(state.JoinDisableApply): "$TYPES.JOIN_OPTIONS_DISABLE_APPLY",
}

// create has owner's SDK create spec's group and waits for what the creation tells each SDK: the
// owner notice 6; each member notice 7, the group in its list (GROUP_LIST_UPDATED) and the owner's
// SDK's own group_create message.
func (s *scene) create(owner string, spec state.GroupSpec) string {
	GinkgoHelper()
	opts := map[string]any{"type": sdkTypes[string(spec.Type)], "name": spec.Name}
	if spec.Introduction != "" {
		opts["introduction"] = spec.Introduction
	}
	if spec.Notification != "" {
		opts["notification"] = spec.Notification
	}
	if spec.ApplyJoinOption != "" {
		opts["joinOption"] = sdkTypes[string(spec.ApplyJoinOption)]
	}
	var list []map[string]any
	for _, m := range spec.Members {
		item := map[string]any{"userID": m.User}
		if m.Role != "" {
			item["role"] = string(m.Role)
		}
		list = append(list, item)
	}
	if len(list) > 0 {
		opts["memberList"] = list
	}
	res, err := s.u[owner].Call(harness.Ctx(), "createGroup", opts)
	Expect(err).NotTo(HaveOccurred(), "%s createGroup", owner)
	var r struct{ Data struct{ Group sdkGroup } }
	harness.Decode(res, &r)
	gid := r.Data.Group.GroupID
	Expect(gid).NotTo(BeEmpty())
	s.created[owner] = sawMessage(s.u[owner], "notice 6", isNotice(gid, 6))
	for _, m := range spec.Members {
		u := s.u[m.User]
		s.created[m.User] = sawMessage(u, "notice 7", isNotice(gid, 7))
		u.Await("GROUP_LIST_UPDATED", groupListUpdated(gid, anyGroup))
		sawMessage(u, "group_create", isGroupCreate(gid))
	}
	return gid
}

// sawMessage waits until the user's SDK has reported a message satisfying pred (since its last
// Settle) and returns the first; unlike AwaitMessage it consumes nothing, so messages that
// arrived in one MESSAGE_RECEIVED event can be looked for one by one.
func sawMessage(u *harness.User, desc string, pred func(harness.Message) bool) harness.Message {
	GinkgoHelper()
	var got []harness.Message
	Eventually(func() []harness.Message { got = received(u, pred); return got }).WithTimeout(20*time.Second).
		ShouldNot(BeEmpty(), "%s never reported %s", u.ID, desc)
	return got[0]
}

// isGroupCreate matches the custom message tim-js-sdk sends to a group it has just created.
func isGroupCreate(gid string) func(harness.Message) bool {
	return func(m harness.Message) bool {
		if m.ConversationID != "GROUP"+gid || m.Type != "TIMCustomElem" {
			return false
		}
		// tim-js-sdk 2.x sends "group_create"; @tencentcloud/chat 3.x JSON with businessID group_create.
		data, _ := m.Payload["data"].(string)
		var v struct{ BusinessID string }
		return data == "group_create" || json.Unmarshal([]byte(data), &v) == nil && v.BusinessID == "group_create"
	}
}

// loginAll logs users in and waits until each has its long poll open: group events are only
// delivered through it (events queued before getlongpollingid count as already synced).
func loginAll(t *harness.Tenant, ids ...string) map[string]*harness.User {
	GinkgoHelper()
	out := map[string]*harness.User{}
	for _, id := range ids {
		out[id] = t.Login(id)
	}
	for _, id := range ids {
		Eventually(func() string { return sessionLongPoll(t, id) }).ShouldNot(BeEmpty(), "%s never opened its long poll", id)
	}
	return out
}

func (s *scene) users(ids ...string) []*harness.User {
	out := make([]*harness.User, len(ids))
	for i, id := range ids {
		out[i] = s.u[id]
	}
	return out
}

// call runs an SDK method for user id and fails the spec if it is rejected.
func (s *scene) call(id, method string, args ...any) json.RawMessage {
	GinkgoHelper()
	res, err := s.u[id].Call(harness.Ctx(), method, args...)
	Expect(err).NotTo(HaveOccurred(), "%s.%s", id, method)
	return res
}

// sendGroupText sends a text to the scene's group with id's SDK.
func (s *scene) sendGroupText(id, text string) harness.Message {
	GinkgoHelper()
	res, err := s.u[id].Send(harness.Ctx(), "createTextMessage", map[string]any{
		"to": s.gid, "conversationType": "$TYPES.CONV_GROUP", "payload": map[string]any{"text": text}})
	Expect(err).NotTo(HaveOccurred(), "%s sending %q to the group", id, text)
	return harness.Sent(res)
}

var barriers atomic.Int64

// barrier queues a C2C text from the server to each user behind everything queued so far and waits
// until every SDK reported it. Events reach an SDK in queue order, so by then each user has
// everything that was meant for them: an absence checked afterwards is real, with no sleeping.
func barrier(t *harness.Tenant, users ...*harness.User) {
	GinkgoHelper()
	n := barriers.Add(1)
	text := fmt.Sprintf("barrier %d", n)
	t.App.EnsureUser("zz-barrier")
	for i, u := range users {
		_, err := t.App.SendC2C(0, state.C2CMessage{From: "zz-barrier", To: u.ID, Seq: uint64(n), Random: uint32(900000 + 100*n + int64(i)),
			Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(fmt.Sprintf(`{"Text":%q}`, text))}}})
		Expect(err).NotTo(HaveOccurred())
	}
	for _, u := range users {
		u.AwaitMessage(text, hasText(text))
	}
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func groupIDOf(p map[string]any) string {
	gp, _ := p["groupProfile"].(map[string]any)
	id, _ := gp["groupID"].(string)
	return id
}

// isTip matches group tip op of group gid.
func isTip(gid string, op int) func(harness.Message) bool {
	return func(m harness.Message) bool {
		return m.Type == "TIMGroupTipElem" && m.ConversationID == "GROUP"+gid && num(m.Payload["operationType"]) == op
	}
}

// isNotice matches group system notice op about group gid.
func isNotice(gid string, op int) func(harness.Message) bool {
	return func(m harness.Message) bool {
		return m.Type == "TIMGroupSystemNoticeElem" && groupIDOf(m.Payload) == gid && num(m.Payload["operationType"]) == op
	}
}

// received lists the messages the user's SDK reported received that satisfy pred.
func received(u *harness.User, pred func(harness.Message) bool) []harness.Message {
	var out []harness.Message
	for _, ev := range u.EventsSinceSettle() {
		if ev.Name != "MESSAGE_RECEIVED" {
			continue
		}
		for _, m := range harness.Messages(ev) {
			if pred(m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// expectNone checks, after a barrier, that none of users got a message satisfying pred.
func expectNone(t *harness.Tenant, what string, pred func(harness.Message) bool, users ...*harness.User) {
	GinkgoHelper()
	barrier(t, users...)
	for _, u := range users {
		Expect(received(u, pred)).To(BeEmpty(), "%s must not get %s", u.ID, what)
	}
}

type sdkGroup struct {
	GroupID      string
	Type         string
	Name         string
	Introduction string
	Notification string
	OwnerID      string
	MemberNum    any // getGroupList leaves profile fields it did not ask for as ""
	MemberCount  any // its name from tim-js-sdk 2.8.0 (memberNum is a deprecated getter there, not serialised)
	JoinOption   string
	SelfInfo     struct {
		Role              string
		MessageRemindType string
	}
	GroupCustomField []struct{ Key, Value string }
}

// groupList is the user's local group list after a refresh from the server (getGroupList).
func groupList(u *harness.User) []sdkGroup {
	GinkgoHelper()
	res, err := u.Call(harness.Ctx(), "getGroupList")
	Expect(err).NotTo(HaveOccurred())
	var r struct {
		Data struct{ GroupList []sdkGroup }
	}
	harness.Decode(res, &r)
	return r.Data.GroupList
}

// memberCount is the group's member count under whichever name the SDK keeps it.
func (g sdkGroup) memberCount() int {
	if g.MemberCount != nil {
		return num(g.MemberCount)
	}
	return num(g.MemberNum)
}

func groupIDs(gs []sdkGroup) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.GroupID)
	}
	return out
}

func groupProfile(u *harness.User, gid string) sdkGroup {
	GinkgoHelper()
	res, err := u.Call(harness.Ctx(), "getGroupProfile", map[string]any{"groupID": gid})
	Expect(err).NotTo(HaveOccurred(), "%s getGroupProfile %s", u.ID, gid)
	var r struct{ Data struct{ Group sdkGroup } }
	harness.Decode(res, &r)
	return r.Data.Group
}

// rejectCode is the code of an SDK rejection.
func rejectCode(err error) int {
	GinkgoHelper()
	var se *driver.SDKError
	Expect(err).To(BeAssignableToTypeOf(se), "want an SDK rejection, got %v", err)
	se = err.(*driver.SDKError)
	Expect(se.Code).NotTo(BeNil(), "rejection without a code: %v", err)
	return *se.Code
}

func members(ids ...string) []state.MemberSpec {
	out := make([]state.MemberSpec, len(ids))
	for i, id := range ids {
		out[i] = state.MemberSpec{User: id}
	}
	return out
}

var _ = Describe("groups", func() {
	It("createGroup: the group exists with its members, whose SDKs add it to their list at once (notice 7) and can quit it",
		harness.Case("tim/group/create"), func() {
			t := env.NewTenant()
			for _, id := range []string{"alice", "bob", "carol"} {
				t.App.EnsureUser(id)
			}
			u := loginAll(t, "alice", "bob", "carol")
			res, err := u["alice"].Call(harness.Ctx(), "createGroup", map[string]any{
				"type": "$TYPES.GRP_PUBLIC", "name": "weekend", "introduction": "hikes", "joinOption": "$TYPES.JOIN_OPTIONS_FREE_ACCESS",
				"memberList": []map[string]any{{"userID": "bob"}, {"userID": "carol", "role": "Admin"}}})
			Expect(err).NotTo(HaveOccurred())
			var created struct{ Data struct{ Group sdkGroup } }
			harness.Decode(res, &created)
			g := created.Data.Group
			Expect(g.GroupID).To(HavePrefix("@TGS#2"))
			Expect(g.Name).To(Equal("weekend"))
			Expect(g.Type).To(Equal("Public"))
			Expect(g.SelfInfo.Role).To(Equal("Owner"))
			Expect(g.memberCount()).To(Equal(3))
			Expect(g.JoinOption).To(Equal("FreeAccess"))

			in, _, err := t.App.Group("alice", g.GroupID)
			Expect(err).NotTo(HaveOccurred())
			Expect(in.Owner).To(Equal("alice"))
			Expect(in.MemberNum).To(Equal(3))
			ms, err := t.App.GroupMembers("alice", g.GroupID)
			Expect(err).NotTo(HaveOccurred())
			Expect(ms).To(ContainElement(And(HaveField("User", "carol"), HaveField("Role", state.RoleAdmin))))

			for _, id := range []string{"bob", "carol"} {
				// The server tells each initial member (notice 7, from the creator); the SDK fetches the
				// group and lists it, with no refresh and no new login.
				n := sawMessage(u[id], "notice 7", isNotice(g.GroupID, 7))
				Expect(n.Payload).To(HaveKeyWithValue("operatorID", "alice"))
				Expect(n.Payload["groupProfile"]).To(HaveKeyWithValue("name", "weekend"))
				u[id].Await("GROUP_LIST_UPDATED", groupListUpdated(g.GroupID, func(sg sdkGroup) bool { return sg.Name == "weekend" }))
				// tim-js-sdk announces the group itself with a custom message; members get it via Event 3.
				m := sawMessage(u[id], "group_create", isGroupCreate(g.GroupID))
				Expect(m.From).To(Equal("alice"))
				Expect(m.Sequence).To(Equal(uint64(1)))
			}
			Expect(t.App.JoinedGroups("bob")).To(ConsistOf(HaveField("Self.Role", state.RoleMember)))

			// An initial member can quit right away (tim-js-sdk 2.10.x refuses locally with 2623 for a
			// group missing from its list): the rest get tip 2, the quitter notice 8 and loses the group.
			_, err = u["bob"].Call(harness.Ctx(), "quitGroup", g.GroupID)
			Expect(err).NotTo(HaveOccurred())
			for _, id := range []string{"alice", "carol"} {
				tip := u[id].AwaitMessage("tip 2", isTip(g.GroupID, 2))
				Expect(strs(tip.Payload["userIDList"])).To(Equal([]string{"bob"}))
			}
			u["bob"].AwaitMessage("notice 8", isNotice(g.GroupID, 8))
			Expect(t.App.JoinedGroups("bob")).To(BeEmpty())
		})

	It("send_group_msg: every member gets the message once, with the sender's sequence and nick; outsiders nothing",
		harness.Case("tim/group/send-text"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "g", Members: members("bob", "carol")}, "dave")
			Expect(s.t.App.SetProfile("bob", []state.ProfileItem{{Field: state.FieldNick, Value: "Bobby"}})).To(Succeed())
			sent := s.sendGroupText("bob", "hello group")
			Expect(sent.Status).To(Equal("success"))
			Expect(sent.Sequence).To(Equal(uint64(2))) // 1 is the creator's SDK's group_create message
			for _, id := range []string{"alice", "carol"} {
				m := s.u[id].AwaitMessage("bob's", hasText("hello group"))
				Expect(m.From).To(Equal("bob"))
				Expect(m.To).To(Equal(s.gid))
				Expect(m.ConversationID).To(Equal("GROUP" + s.gid))
				Expect(m.ConversationType).To(Equal("GROUP"))
				Expect(m.Flow).To(Equal("in"))
				Expect(m.Sequence).To(Equal(sent.Sequence))
				Expect(m.Random).To(Equal(sent.Random))
				Expect(m.Time).To(Equal(sent.Time))
				Expect(m.Nick).To(Equal("Bobby"))
				if env.WebSocket() { // named alike on both sides (sender's TinyId, client time, random)
					Expect(m.ID).To(Equal(sent.ID))
				} else {
					Expect(m.ID).To(Equal(fmt.Sprintf("GROUP%s-%d-%d-0", s.gid, sent.Sequence, sent.Random)))
				}
			}
			// The echo to the sender (which webim.js needs) is dropped by tim-js-sdk: no duplicate.
			barrier(s.t, s.users("alice", "bob", "carol", "dave")...)
			Expect(received(s.u["bob"], hasText("hello group"))).To(BeEmpty())
			Expect(received(s.u["dave"], hasText("hello group"))).To(BeEmpty())
			Expect(received(s.u["alice"], hasText("hello group"))).To(HaveLen(1))
			Expect(commands(s.t)).To(ContainElement("group_open_http_svc/send_group_msg"))
		})

	It("send_group_msg is refused for a muted member (10017) and works again once the mute runs out on the tenant clock",
		harness.Case("tim/group/send-muted"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "g", Members: members("bob", "carol")})
			Expect(s.t.App.MuteMembers("alice", s.gid, []string{"carol"}, 60)).To(Succeed())
			_, err := s.u["carol"].Send(harness.Ctx(), "createTextMessage", map[string]any{
				"to": s.gid, "conversationType": "$TYPES.CONV_GROUP", "payload": map[string]any{"text": "shh"}})
			Expect(rejectCode(err)).To(Equal(tim.CodeGroupMuted))
			s.t.App.Clock().Advance(61e9)
			s.sendGroupText("carol", "free again")
			s.u["bob"].AwaitMessage("carol's", hasText("free again"))
		})

	It("getMessageList pages group history newest first, tips included", harness.Case("tim/group/history"), func() {
		t := env.NewTenant()
		for _, id := range []string{"alice", "bob"} {
			t.App.EnsureUser(id)
		}
		g, err := t.App.CreateGroup("alice", state.GroupSpec{Type: state.GroupPublic, Name: "g", Members: members("bob")})
		Expect(err).NotTo(HaveOccurred())
		for i := range 30 {
			if i == 10 {
				_, err := t.App.ModifyGroup("alice", g.ID, state.GroupChange{Notification: ptr("rules")})
				Expect(err).NotTo(HaveOccurred())
			}
			from := []string{"alice", "bob"}[i%2]
			_, err := t.App.SendGroupMessage(from, state.GroupMessage{GroupID: g.ID, Random: uint32(7000 + i),
				Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(fmt.Sprintf(`{"Text":"g%02d"}`, i))}}})
			Expect(err).NotTo(HaveOccurred())
		}
		bob := t.Login("bob")
		msgs, _ := bob.History("GROUP"+g.ID, 15)
		var items []string
		for _, m := range msgs {
			if m.Type == "TIMGroupTipElem" {
				items = append(items, fmt.Sprintf("tip%d", num(m.Payload["operationType"])))
				continue
			}
			items = append(items, m.Payload["text"].(string))
		}
		want := []string{}
		for i := range 30 {
			if i == 10 {
				want = append(want, "tip6")
			}
			want = append(want, fmt.Sprintf("g%02d", i))
		}
		Expect(items).To(Equal(want))
		Expect(commands(t)).To(ContainElement("group_open_http_svc/group_msg_get"))
	})

	It("revokeMessage: the sender recalls, every other member's SDK marks it revoked", harness.Case("tim/group/recall"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "g", Members: members("bob", "carol")})
		sent := s.sendGroupText("bob", "oops")
		var seen harness.Message
		for _, id := range []string{"alice", "carol"} {
			seen = s.u[id].AwaitMessage("oops", hasText("oops"))
		}
		_, err := s.u["bob"].Call(harness.Ctx(), "revokeMessage", map[string]any{"$message": sent.ID})
		Expect(err).NotTo(HaveOccurred())
		for _, id := range []string{"alice", "carol"} {
			ev := s.u[id].Await("MESSAGE_REVOKED")
			ms := harness.Messages(ev)
			Expect(ms).To(HaveLen(1))
			Expect(ms[0].ID).To(Equal(seen.ID))
			Expect(ms[0].IsRevoked).To(BeTrue())
		}
		p, err := s.t.App.GroupHistory("alice", s.gid, 0, 5)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Items[0].Msg.Revoked).To(BeTrue())
	})

	It("revokeMessage after the 2-minute window is refused with 10031; an admin may still recall",
		harness.Case("tim/group/recall-too-late"), func() {
			s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "g",
				Members: []state.MemberSpec{{User: "bob", Role: state.RoleAdmin}, {User: "carol"}}})
			sent := s.sendGroupText("carol", "old news")
			seen := s.u["bob"].AwaitMessage("old news", hasText("old news"))
			s.t.App.Clock().Advance(3 * 60e9)
			_, err := s.u["carol"].Call(harness.Ctx(), "revokeMessage", map[string]any{"$message": sent.ID})
			Expect(rejectCode(err)).To(Equal(tim.CodeRecallTooLate))
			_, err = s.u["bob"].Call(harness.Ctx(), "revokeMessage", map[string]any{"$message": seen.ID})
			Expect(err).NotTo(HaveOccurred())
			ev := s.u["carol"].Await("MESSAGE_REVOKED")
			Expect(harness.Messages(ev)[0].Sequence).To(Equal(sent.Sequence))
		})

	It("members, roles and profile as the SDK reads them", harness.Case("tim/group/members"), func() {
		s := newScene("alice", state.GroupSpec{Type: state.GroupPublic, Name: "g", Notification: "be nice",
			Members: []state.MemberSpec{{User: "bob", Role: state.RoleAdmin}, {User: "carol"}}})
		res := s.call("carol", "getGroupMemberList", map[string]any{"groupID": s.gid, "count": 30, "offset": 0})
		var r struct {
			Data struct {
				MemberList []struct{ UserID, Role string }
			}
		}
		harness.Decode(res, &r)
		roles := map[string]string{}
		for _, m := range r.Data.MemberList {
			roles[m.UserID] = m.Role
		}
		Expect(roles).To(Equal(map[string]string{"alice": "Owner", "bob": "Admin", "carol": "Member"}))
		p := groupProfile(s.u["carol"], s.gid)
		Expect(p.Notification).To(Equal("be nice"))
		Expect(p.OwnerID).To(Equal("alice"))
		Expect(p.memberCount()).To(Equal(3))
		Expect(p.SelfInfo.Role).To(Equal("Member"))

		s.call("carol", "setGroupMemberNameCard", map[string]any{"groupID": s.gid, "nameCard": "CC"})
		s.call("carol", "setMessageRemindType", map[string]any{"groupID": s.gid, "messageRemindType": "$TYPES.MSG_REMIND_ACPT_NOT_NOTE"})
		s.call("carol", "setGroupMemberCustomField", map[string]any{"groupID": s.gid, "memberCustomField": []map[string]any{{"key": "seat", "value": "12A"}}})
		ms, err := s.t.App.GroupMembers("alice", s.gid)
		Expect(err).NotTo(HaveOccurred())
		Expect(ms[2]).To(And(HaveField("User", "carol"), HaveField("NameCard", "CC"), HaveField("MsgFlag", state.MsgAcceptNotNotify),
			HaveField("AppMemberDefinedData", []state.KV{{Key: "seat", Value: "12A"}})))
		// A plain member may not set another member's name card (10007); the owner may.
		_, err = s.u["carol"].Call(harness.Ctx(), "setGroupMemberNameCard", map[string]any{"groupID": s.gid, "userID": "bob", "nameCard": "B"})
		Expect(rejectCode(err)).To(Equal(tim.CodeGroupNoPermission))
		s.call("alice", "setGroupMemberNameCard", map[string]any{"groupID": s.gid, "userID": "carol", "nameCard": "Carol C."})
		// A plain member may not rename the group (10007).
		_, err = s.u["carol"].Call(harness.Ctx(), "updateGroupProfile", map[string]any{"groupID": s.gid, "name": "mine"})
		Expect(rejectCode(err)).To(Equal(tim.CodeGroupNoPermission))
	})

	It("searchGroupByID finds a Public group; a Private one of others is not found", harness.Case("tim/group/search"), func() {
		t := env.NewTenant()
		for _, id := range []string{"alice", "bob", "dave"} {
			t.App.EnsureUser(id)
		}
		pub, err := t.App.CreateGroup("alice", state.GroupSpec{Type: state.GroupPublic, Name: "open", Members: members("bob")})
		Expect(err).NotTo(HaveOccurred())
		priv, err := t.App.CreateGroup("alice", state.GroupSpec{Type: state.GroupPrivate, Name: "closed", Members: members("bob")})
		Expect(err).NotTo(HaveOccurred())
		dave := t.Login("dave")
		res, err := dave.Call(harness.Ctx(), "searchGroupByID", pub.ID)
		Expect(err).NotTo(HaveOccurred())
		var r struct{ Data struct{ Group sdkGroup } }
		harness.Decode(res, &r)
		Expect(r.Data.Group.Name).To(Equal("open"))
		Expect(r.Data.Group.memberCount()).To(Equal(2))
		_, err = dave.Call(harness.Ctx(), "searchGroupByID", priv.ID)
		Expect(rejectCode(err)).To(Equal(tim.CodeGroupNoPermission))
		_, err = dave.Call(harness.Ctx(), "searchGroupByID", "no-such-group")
		Expect(rejectCode(err)).To(Equal(tim.CodeGroupNotFound))
	})
})

func ptr[T any](v T) *T { return &v }
