package state

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Groups: the four Tencent group types, their profile, members and roles, mute, join applications,
// group messages, group tips (Event 4) and group system notices (Event 5).
//
// Who may do what (owner/admin/member of the group; "root" is the app administrator, App.Admin(),
// who may do anything anywhere unless the row says otherwise). The rules follow the 2.x SDK manual
// (seed 003) and the 1.x manual (seed 002); where they name no code, the code is the real service's
// for that kind of failure.
//
//	operation            Private                  Public / ChatRoom                      AVChatRoom        refused with
//	invite (add member)  any member               root only                              nobody, not root  10007
//	kick                 owner                    owner; admin kicks plain members       nobody, not root  10007
//	set/cancel admin     not supported            owner                                  not supported     10007
//	mute / unmute        not supported            owner mutes admins+members, admin      as Public         10007
//	                                              mutes members; never yourself
//	modify profile       any member               owner, admin                           owner, admin      10007
//	ShutUpAllMember      not supported            owner, admin                           owner, admin      10007
//	dismiss              root only                owner                                  owner             10007
//	change owner         owner                    owner                                  not supported     10007
//	apply to join        not supported            by ApplyJoinOption                     always free       10007
//	quit                 anyone (owner too: the   members; the owner may not             as Public         10009
//	                     group becomes ownerless)
//	send a message       members                  members; muted → 10017, ShutUpAll      members           10007/10017
//	                                              mutes plain members
//	name card / custom   yourself; owner: anyone; admin: yourself and plain members                          10007
//	MsgFlag              yourself only                                                                       10007
//	read profile         members                  anyone                                 anyone            10007
//	read members/history members                  members                                members           10007
//	recall a message     its sender within 2 min; owner and admins any time              not supported     10031/10007/10033
//
// Codes: 10004 bad parameter (missing/invalid field, bad Role/MsgFlag/Type, name too long), 10007 no
// permission (also: operator not a member), 10009 the owner may not quit, 10010 no such group (or
// dismissed), 10013 already a member, 10014 group full, 10015 group id malformed, 10017 muted,
// 10019 no such account, 10021 custom group id taken, 10024 application already handled, 10025
// custom group id taken by a group you own, 10030 recalled message not found.
//
// Receivers of tips (Event 4; stored in the group's message sequence, so group_msg_get returns them)
// and system notices (Event 5; per user, outside the group sequence):
//
//	tip 1 join        all members after the join (operator and the new members included)
//	tip 2 quit        the remaining members (not the quitter)
//	tip 3 kick        the remaining members (not the kicked)
//	tip 4/5 admin     all members
//	tip 6 profile     all members (also for change of owner)
//	tip 7 mute        all members
//	notice 1 apply    owner and admins               notice 2/3 accepted/refused  the applicant
//	notice 4 kicked   each kicked user               notice 5 dismissed           all members
//	notice 6 created  the owner                      notice 7 invited             each invited user
//	notice 8 quit     the quitter                    notice 9/10 admin set/cancel the target
//	notice 11 reclaim all members                    notice 255 custom            all members or the listed ones
//
// Creating a group with initial members queues no tip and no notice 7 for them (seed 002 §11.7:
// initial members need no invitation); tim-js-sdk announces a new group itself with its automatic
// "group_create" message.

// GroupType is one of the four group types.
type GroupType string

const (
	GroupPrivate    GroupType = "Private"
	GroupPublic     GroupType = "Public"
	GroupChatRoom   GroupType = "ChatRoom"
	GroupAVChatRoom GroupType = "AVChatRoom"
)

func (t GroupType) valid() bool {
	switch t {
	case GroupPrivate, GroupPublic, GroupChatRoom, GroupAVChatRoom:
		return true
	}
	return false
}

// JoinOption says how users join a group by applying.
type JoinOption string

const (
	JoinFreeAccess     JoinOption = "FreeAccess"
	JoinNeedPermission JoinOption = "NeedPermission"
	JoinDisableApply   JoinOption = "DisableApply"
)

func (o JoinOption) valid() bool {
	return o == JoinFreeAccess || o == JoinNeedPermission || o == JoinDisableApply
}

// Role is a member's role in a group.
type Role string

const (
	RoleOwner  Role = "Owner"
	RoleAdmin  Role = "Admin"
	RoleMember Role = "Member"
)

// MsgFlag is a member's message reminder setting.
type MsgFlag string

const (
	MsgAcceptAndNotify MsgFlag = "AcceptAndNotify"
	MsgAcceptNotNotify MsgFlag = "AcceptNotNotify"
	MsgDiscard         MsgFlag = "Discard"
)

func (f MsgFlag) valid() bool {
	return f == MsgAcceptAndNotify || f == MsgAcceptNotNotify || f == MsgDiscard
}

// KV is one custom field (AppDefinedData, AppMemberDefinedData).
type KV struct {
	Key, Value string
}

// DefaultAdminID is the app administrator's identifier unless SetAdmin changes it.
const DefaultAdminID = "administrator"

// Limits of the real service.
const (
	recallWindowSeconds     = 120
	maxGroupIDBytes         = 48
	maxGroupNameBytes       = 30
	maxIntroductionBytes    = 240
	maxNotificationBytes    = 300
	maxFaceURLBytes         = 100
	generatedGroupIDPrefix  = "@TGS#"
	defaultMaxMembersPriv   = 200
	defaultMaxMembersPublic = 2000
	defaultMaxMembersChat   = 10000
)

// GroupInfo is a group's profile (copy).
type GroupInfo struct {
	ID              string
	Type            GroupType
	Name            string
	Introduction    string
	Notification    string
	FaceURL         string
	Owner           string // "" for a group without owner (created by root, or a Private group its owner left)
	MaxMemberNum    int    // 0: no limit
	ApplyJoinOption JoinOption
	ShutUpAll       bool
	AppDefinedData  []KV
	CreateTime      int64
	InfoSeq         uint64 // bumped by every profile change
	LastInfoTime    int64
	LastMsgTime     int64
	NextMsgSeq      uint64 // the seq the next message or tip gets
	MemberNum       int
}

// Member is a group member (copy).
type Member struct {
	User                 string
	Role                 Role
	JoinTime             int64
	MsgFlag              MsgFlag
	NameCard             string
	ShutUpUntil          int64 // unix seconds on the tenant clock; muted while now < ShutUpUntil
	AppMemberDefinedData []KV
	ReadSeq              uint64 // the member's read mark in the group's sequence
	LastSendMsgTime      int64
}

// JoinedGroup is a group the user belongs to, with the user's own membership.
type JoinedGroup struct {
	GroupInfo
	Self   Member
	Unread int
}

// MemberSpec is one initial member of CreateGroup.
type MemberSpec struct {
	User                 string
	Role                 Role // "" or Member; Admin in Public/ChatRoom groups
	AppMemberDefinedData []KV
}

// GroupSpec describes a group to create.
type GroupSpec struct {
	ID              string // "" generates @TGS#…
	Type            GroupType
	Name            string
	Owner           string // "" means the operator (root: no owner); only root may name someone else
	Introduction    string
	Notification    string
	FaceURL         string
	MaxMemberNum    int
	ApplyJoinOption JoinOption // Public only; "" means the type's default
	AppDefinedData  []KV
	Members         []MemberSpec
}

// groupExtra is the part of the tenant's group model that is not in App.groups. Guarded by App.mu;
// the maps are made on first use so the zero value works.
type groupExtra struct {
	admin     string
	created   uint64                    // groups created so far: orders listings
	notices   map[string][]*GroupNotice // per user: stored system notices (deletemsg removes them)
	noticeSeq map[string]uint64         // per user: the last notice MsgSeq handed out
}

type member struct {
	Member
}

// groupItem is one entry of a group's sequence: a message or a tip.
type groupItem struct {
	msg *GroupMessage
	tip *GroupTip
}

type group struct {
	info    GroupInfo // MemberNum and NextMsgSeq are derived when copied out
	index   uint64    // creation order
	members map[string]*member
	order   []string    // member ids in join order
	items   []groupItem // items[i] has seq i+1
	apps    []*application
}

func (g *group) lastSeq() uint64 { return uint64(len(g.items)) }

// copyInfo returns the profile with its derived fields filled in. Lock held.
func (g *group) copyInfo() GroupInfo {
	in := g.info
	in.AppDefinedData = append([]KV(nil), g.info.AppDefinedData...)
	in.MemberNum = len(g.members)
	in.NextMsgSeq = g.lastSeq() + 1
	return in
}

func (m *member) copy() Member {
	c := m.Member
	c.AppMemberDefinedData = append([]KV(nil), m.AppMemberDefinedData...)
	return c
}

// memberIDs lists the members in join order. Lock held.
func (g *group) memberIDs() []string { return append([]string(nil), g.order...) }

func (g *group) removeMember(u string) {
	delete(g.members, u)
	for i, id := range g.order {
		if id == u {
			g.order = append(g.order[:i], g.order[i+1:]...)
			break
		}
	}
}

// Admin is the app administrator's identifier ("administrator" unless set).
func (a *App) Admin() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.adminID()
}

// SetAdmin changes the app administrator's identifier.
func (a *App) SetAdmin(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gx.admin = id
}

func (a *App) adminID() string {
	if a.gx.admin == "" {
		return DefaultAdminID
	}
	return a.gx.admin
}

func (a *App) isRoot(u string) bool { return u != "" && u == a.adminID() }

// findGroup looks a group up for an operation. Lock held.
func (a *App) findGroup(id string) (*group, error) {
	if id == "" {
		return nil, errorf(GroupBadParam, "GroupId is missing")
	}
	g := a.groups[id]
	if g == nil {
		return nil, errorf(GroupNotFound, "group %q does not exist or was dismissed", id)
	}
	return g, nil
}

// rank orders who is who in a group: root above the owner above admins above members above
// outsiders.
func (a *App) rank(g *group, u string) int {
	if a.isRoot(u) {
		return 4
	}
	m := g.members[u]
	if m == nil {
		return 0
	}
	switch m.Role {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	}
	return 1
}

const (
	rankNone = iota
	rankMember
	rankAdmin
	rankOwner
	rankRoot
)

// needMember refuses outsiders (root passes). Lock held.
func (a *App) needMember(g *group, op string) error {
	if a.rank(g, op) == rankNone {
		return errorf(GroupNoPermission, "%q is not a member of group %q", op, g.info.ID)
	}
	return nil
}

func (a *App) nick(u string) (nick, face string) {
	if x := a.users[u]; x != nil {
		nick, face = x.profileString(FieldNick), x.profileString(FieldAvatar)
	}
	return nick, face
}

// --- creating -----------------------------------------------------------------------------------

// CreateGroup creates a group on behalf of op (a user, or root for REST calls and seeding) and
// queues notice 6 for the owner. The same validation applies to every caller.
func (a *App) CreateGroup(op string, s GroupSpec) (GroupInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.createGroup(op, s)
	if err != nil {
		return GroupInfo{}, err
	}
	return g.copyInfo(), nil
}

func checkLen(field, v string, max int) error {
	if len(v) > max {
		return errorf(GroupBadParam, "%s is %d bytes, more than %d", field, len(v), max)
	}
	if !utf8.ValidString(v) {
		return errorf(GroupBadParam, "%s is not valid UTF-8", field)
	}
	return nil
}

func validGroupID(id string) error {
	if len(id) > maxGroupIDBytes {
		return errorf(GroupIDInvalid, "GroupId %q is longer than %d bytes", id, maxGroupIDBytes)
	}
	if strings.HasPrefix(id, generatedGroupIDPrefix) {
		return errorf(GroupIDInvalid, "GroupId %q: custom ids may not start with %s", id, generatedGroupIDPrefix)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return errorf(GroupIDInvalid, "GroupId %q: only printable ASCII is allowed", id)
		}
	}
	return nil
}

func defaultJoinOption(t GroupType) JoinOption {
	switch t {
	case GroupPublic:
		return JoinNeedPermission
	case GroupPrivate:
		return JoinDisableApply
	}
	return JoinFreeAccess
}

func defaultMaxMembers(t GroupType) int {
	switch t {
	case GroupPrivate:
		return defaultMaxMembersPriv
	case GroupPublic:
		return defaultMaxMembersPublic
	case GroupChatRoom:
		return defaultMaxMembersChat
	}
	return 0
}

func validKVs(field string, kvs []KV) error {
	for i, kv := range kvs {
		if kv.Key == "" {
			return errorf(GroupBadParam, "%s[%d].Key is missing", field, i)
		}
	}
	return nil
}

// Validate checks a group spec on its own, before any tenant sees it: type, name and text
// lengths, custom data, member limits, the join option, the initial members and their roles, a
// custom id. The error is an *Error whose Field names the spec field ("Members[2].Role").
func (s GroupSpec) Validate() error {
	if !s.Type.valid() {
		return fieldErr(GroupBadParam, "Type", "Type %q is not Private, Public, ChatRoom or AVChatRoom", s.Type)
	}
	if strings.TrimSpace(s.Name) == "" {
		return fieldErr(GroupBadParam, "Name", "Name is missing")
	}
	for _, c := range []struct {
		f, v string
		n    int
	}{{"Name", s.Name, maxGroupNameBytes}, {"Introduction", s.Introduction, maxIntroductionBytes},
		{"Notification", s.Notification, maxNotificationBytes}, {"FaceUrl", s.FaceURL, maxFaceURLBytes}} {
		if err := checkLen(c.f, c.v, c.n); err != nil {
			return withField(err, c.f)
		}
	}
	if err := validKVs("AppDefinedData", s.AppDefinedData); err != nil {
		return withField(err, "AppDefinedData")
	}
	if s.MaxMemberNum < 0 {
		return fieldErr(GroupBadParam, "MaxMemberNum", "MaxMemberNum %d is negative", s.MaxMemberNum)
	}
	switch join := s.ApplyJoinOption; {
	case join == "":
	case !join.valid():
		return fieldErr(GroupBadParam, "ApplyJoinOption", "ApplyJoinOption %q is not FreeAccess, NeedPermission or DisableApply", join)
	case s.Type != GroupPublic && join != defaultJoinOption(s.Type):
		return fieldErr(GroupBadParam, "ApplyJoinOption", "ApplyJoinOption can only be set for Public groups")
	}
	if s.Type == GroupAVChatRoom && len(s.Members) > 0 {
		return fieldErr(GroupBadParam, "Members", "an AVChatRoom is created without MemberList: members join it")
	}
	for i, ms := range s.Members {
		f := fmt.Sprintf("Members[%d]", i)
		if ms.User == "" {
			return fieldErr(GroupBadParam, f+".User", "MemberList[%d].Member_Account is missing", i)
		}
		switch ms.Role {
		case "", RoleMember:
		case RoleAdmin:
			if s.Type != GroupPublic && s.Type != GroupChatRoom {
				return fieldErr(GroupBadParam, f+".Role", "MemberList[%d]: %s groups have no admins", i, s.Type)
			}
		default:
			return fieldErr(GroupBadParam, f+".Role", "MemberList[%d].Role %q is not Admin or Member", i, ms.Role)
		}
		if err := validKVs("AppMemberDefinedData", ms.AppMemberDefinedData); err != nil {
			return withField(err, f+".AppMemberDefinedData")
		}
	}
	if s.ID != "" {
		if err := validGroupID(s.ID); err != nil {
			return withField(err, "ID")
		}
	}
	return nil
}

func (a *App) createGroup(op string, s GroupSpec) (*group, error) {
	root := a.isRoot(op)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	owner := s.Owner
	switch {
	case owner == "" && !root:
		owner = op
	case owner != "" && owner != op && !root:
		return nil, errorf(GroupNoPermission, "only the app administrator may create a group owned by %q", owner)
	}
	if owner != "" && a.users[owner] == nil {
		return nil, errorf(GroupNoAccount, "owner %q is not an account of app %d", owner, a.id)
	}
	if owner != "" && a.isRoot(owner) {
		return nil, errorf(GroupBadParam, "the app administrator cannot own a group")
	}
	join := s.ApplyJoinOption
	if join == "" {
		join = defaultJoinOption(s.Type)
	}
	seen := map[string]bool{owner: true}
	var initial []MemberSpec
	for i, ms := range s.Members {
		if a.users[ms.User] == nil {
			return nil, errorf(GroupNoAccount, "MemberList[%d]: %q is not an account of app %d", i, ms.User, a.id)
		}
		if seen[ms.User] {
			continue
		}
		seen[ms.User] = true
		initial = append(initial, ms)
	}
	max := s.MaxMemberNum
	if max == 0 || (defaultMaxMembers(s.Type) > 0 && max > defaultMaxMembers(s.Type)) {
		max = defaultMaxMembers(s.Type)
	}
	count := len(initial)
	if owner != "" {
		count++
	}
	if max > 0 && count > max {
		return nil, errorf(GroupFull, "%d members exceed MaxMemberNum %d", count, max)
	}
	id := s.ID
	if id != "" {
		if old := a.groups[id]; old != nil {
			if old.info.Owner != "" && old.info.Owner == op {
				return nil, errorf(GroupIDTakenByYou, "group %q already exists and you own it", id)
			}
			return nil, errorf(GroupIDTaken, "group id %q is taken", id)
		}
	} else {
		id = a.newGroupID(s.Type)
	}
	now := a.clock.Now().Unix()
	a.gx.created++
	g := &group{index: a.gx.created, members: map[string]*member{}, info: GroupInfo{
		ID: id, Type: s.Type, Name: s.Name, Introduction: s.Introduction, Notification: s.Notification,
		FaceURL: s.FaceURL, Owner: owner, MaxMemberNum: max, ApplyJoinOption: join,
		AppDefinedData: setKVs(nil, s.AppDefinedData), CreateTime: now, LastInfoTime: now, InfoSeq: 1,
	}}
	if owner != "" {
		g.addMember(owner, RoleOwner, nil, now)
	}
	for _, ms := range initial {
		role := ms.Role
		if role == "" {
			role = RoleMember
		}
		g.addMember(ms.User, role, ms.AppMemberDefinedData, now)
	}
	a.groups[id] = g
	if owner != "" {
		a.notify(g, GroupNotice{Type: NoticeCreated, Operator: op}, []string{owner})
	}
	// Initial members hear of the group as invitees (notice 7): it is what makes tim-js-sdk 2.x
	// fetch the group and add it to its group list. Without it their SDK refuses quitGroup
	// locally (2.10.x: 2623) and drops profile-change tips for a group it does not know.
	var invited []string
	for _, ms := range initial {
		invited = append(invited, ms.User)
	}
	a.notify(g, GroupNotice{Type: NoticeInvited, Operator: op}, invited)
	return g, nil
}

// newGroupID makes a generated id in the real service's shape: @TGS#, a digit for the type, and
// eight upper-case letters and digits. Lock held.
func (a *App) newGroupID(t GroupType) string {
	kind := map[GroupType]string{GroupPrivate: "1", GroupPublic: "2", GroupChatRoom: "3", GroupAVChatRoom: "a"}[t]
	for {
		id := generatedGroupIDPrefix + kind + strings.ToUpper(a.ids.token(8))
		if a.groups[id] == nil {
			return id
		}
	}
}

func (g *group) addMember(u string, role Role, custom []KV, now int64) *member {
	m := &member{Member{User: u, Role: role, JoinTime: now, MsgFlag: MsgAcceptAndNotify,
		AppMemberDefinedData: setKVs(nil, custom), ReadSeq: g.lastSeq()}}
	g.members[u] = m
	g.order = append(g.order, u)
	return m
}

// setKVs applies custom-field changes: a new key is added, an existing one replaced, and an empty
// value deletes the key (the real service's rule).
func setKVs(old, change []KV) []KV {
	out := append([]KV(nil), old...)
	for _, kv := range change {
		i := sort.Search(len(out), func(i int) bool { return out[i].Key >= kv.Key })
		switch {
		case i < len(out) && out[i].Key == kv.Key && kv.Value == "":
			out = append(out[:i], out[i+1:]...)
		case i < len(out) && out[i].Key == kv.Key:
			out[i].Value = kv.Value
		case kv.Value != "":
			out = append(out, KV{})
			copy(out[i+1:], out[i:])
			out[i] = kv
		}
	}
	return out
}

// --- reading ------------------------------------------------------------------------------------

// Group returns a group's profile as viewer sees it, and viewer's membership when viewer is a member.
func (a *App) Group(viewer, id string) (GroupInfo, *Member, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(id)
	if err != nil {
		return GroupInfo{}, nil, err
	}
	if g.info.Type == GroupPrivate && a.rank(g, viewer) == rankNone {
		return GroupInfo{}, nil, errorf(GroupNoPermission, "group %q is Private and %q is not a member", id, viewer)
	}
	var self *Member
	if m := g.members[viewer]; m != nil {
		c := m.copy()
		self = &c
	}
	return g.copyInfo(), self, nil
}

// GroupMembers lists the members in join order (viewer must be a member, or root).
func (a *App) GroupMembers(viewer, id string) ([]Member, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(id)
	if err != nil {
		return nil, err
	}
	if err := a.needMember(g, viewer); err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(g.order))
	for _, u := range g.order {
		out = append(out, g.members[u].copy())
	}
	return out, nil
}

// GroupIDs lists every group of the tenant in creation order (admin API, tests).
func (a *App) GroupIDs() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	gs := a.sortedGroups(func(*group) bool { return true })
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.info.ID
	}
	return out
}

func (a *App) sortedGroups(keep func(*group) bool) []*group {
	var gs []*group
	for _, g := range a.groups {
		if keep(g) {
			gs = append(gs, g)
		}
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].index < gs[j].index })
	return gs
}

// JoinedGroups lists the groups the user belongs to, in creation order.
func (a *App) JoinedGroups(userID string) []JoinedGroup {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []JoinedGroup
	for _, g := range a.sortedGroups(func(g *group) bool { return g.members[userID] != nil }) {
		m := g.members[userID]
		out = append(out, JoinedGroup{GroupInfo: g.copyInfo(), Self: m.copy(), Unread: g.unread(m)})
	}
	return out
}

// unread counts the items after the member's read mark (the member's own messages and tips move
// the mark, so they never count).
func (g *group) unread(m *member) int {
	if n := g.lastSeq(); n > m.ReadSeq {
		return int(n - m.ReadSeq)
	}
	return 0
}

// groupConversations lists the user's group conversations: groups the user belongs to that have a
// message (tips alone make no conversation), unless deleted until the next message. Lock held.
func (a *App) groupConversations(u *user) []Conversation {
	var out []Conversation
	for _, g := range a.sortedGroups(func(g *group) bool { return g.members[u.id] != nil }) {
		if u.hidden["GROUP"+g.info.ID] {
			continue
		}
		var last *GroupMessage
		for i := len(g.items) - 1; i >= 0; i-- {
			if m := g.items[i].msg; m != nil && !m.OnlineOnly {
				c := *m
				last = &c
				break
			}
		}
		if last == nil {
			continue
		}
		m := g.members[u.id]
		out = append(out, Conversation{Type: ConvGroup, Peer: g.info.ID, Time: last.Time, LastGroup: last,
			Unread: g.unread(m), ReadSeq: m.ReadSeq})
	}
	return out
}
