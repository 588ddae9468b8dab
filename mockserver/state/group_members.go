package state

import "math"

// AddResult is one invitee's outcome in AddMembers (Tencent's Result: 0 failed, 1 added, 2 already
// a member).
type AddResult struct {
	User   string
	Result int
}

// Add results.
const (
	AddFailed  = 0
	AddAdded   = 1
	AddAlready = 2
)

const maxMembersPerCall = 500

// AddMembers invites users into a group. Each new member gets notice 7; then every member gets
// tip 1 listing the new ones. silent (root only, as the real service's Silence) queues nothing.
func (a *App) AddMembers(op, groupID string, users []string, silent bool) ([]AddResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 || len(users) > maxMembersPerCall {
		return nil, errorf(GroupBadParam, "MemberList must name 1 to %d accounts, got %d", maxMembersPerCall, len(users))
	}
	switch g.info.Type {
	case GroupAVChatRoom:
		return nil, errorf(GroupNoPermission, "nobody can invite into an AVChatRoom")
	case GroupPrivate:
		if err := a.needMember(g, op); err != nil {
			return nil, err
		}
	default:
		if !a.isRoot(op) {
			return nil, errorf(GroupNoPermission, "only the app administrator may invite into a %s group", g.info.Type)
		}
	}
	silent = silent && a.isRoot(op)
	var out []AddResult
	var added []string
	seen := map[string]bool{}
	for _, u := range users {
		r := AddResult{User: u, Result: AddFailed}
		switch {
		case u == "" || a.users[u] == nil || a.isRoot(u) || seen[u]:
		case g.members[u] != nil:
			r.Result = AddAlready
		default:
			r.Result = AddAdded
			added = append(added, u)
		}
		seen[u] = true
		out = append(out, r)
	}
	if max := g.info.MaxMemberNum; max > 0 && len(g.members)+len(added) > max {
		return nil, errorf(GroupFull, "group %q has %d of %d members; %d more do not fit", groupID, len(g.members), max, len(added))
	}
	now := a.clock.Now().Unix()
	for _, u := range added {
		g.addMember(u, RoleMember, nil, now)
	}
	if len(added) > 0 && !silent {
		a.notify(g, GroupNotice{Type: NoticeInvited, Operator: op}, added)
		a.tip(g, GroupTip{Type: TipJoin, Operator: op, Users: added}, g.memberIDs())
		a.markJoinersRead(g, added)
	}
	return out, nil
}

// markJoinersRead puts new members' read marks at the end of the sequence, so what happened
// before they joined (their join tip included) is not unread for them. Lock held.
func (a *App) markJoinersRead(g *group, users []string) {
	for _, u := range users {
		if m := g.members[u]; m != nil {
			m.ReadSeq = g.lastSeq()
		}
	}
}

// RemoveMembers kicks members out. Each kicked user gets notice 4 (reason as RemarkInfo); the
// remaining members get tip 3. Nothing changes unless every target may be kicked.
func (a *App) RemoveMembers(op, groupID string, users []string, reason string, silent bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	if len(users) == 0 || len(users) > maxMembersPerCall {
		return errorf(GroupBadParam, "MemberToDel_Account must name 1 to %d accounts, got %d", maxMembersPerCall, len(users))
	}
	need := rankAdmin
	switch g.info.Type {
	case GroupAVChatRoom:
		return errorf(GroupNoPermission, "members cannot be kicked from an AVChatRoom")
	case GroupPrivate:
		need = rankOwner
	}
	if r := a.rank(g, op); r < need {
		return errorf(GroupNoPermission, "%q may not kick members of %s group %q", op, g.info.Type, groupID)
	}
	var kicked []string
	seen := map[string]bool{}
	for _, u := range users {
		m := g.members[u]
		switch {
		case u == "":
			return errorf(GroupBadParam, "MemberToDel_Account has an empty account")
		case u == op:
			return errorf(GroupBadParam, "%q cannot kick themselves: quit the group instead", op)
		case m == nil || seen[u]:
			continue // not a member: nothing to do
		case m.Role == RoleOwner:
			return errorf(GroupNoPermission, "the owner %q cannot be kicked", u)
		case a.rank(g, u) >= a.rank(g, op):
			return errorf(GroupNoPermission, "%q may not kick %s %q", op, m.Role, u)
		}
		seen[u] = true
		kicked = append(kicked, u)
	}
	for _, u := range kicked {
		g.removeMember(u)
	}
	if len(kicked) > 0 && !(silent && a.isRoot(op)) {
		a.notify(g, GroupNotice{Type: NoticeKicked, Operator: op, Remark: reason}, kicked)
		a.tip(g, GroupTip{Type: TipKick, Operator: op, Users: kicked}, g.memberIDs())
	}
	return nil
}

// QuitGroup takes the user out of a group: notice 8 to the quitter, tip 2 to the rest. The owner
// may only leave a Private group, which then has no owner; an emptied Private group is gone.
func (a *App) QuitGroup(userID, groupID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	m := g.members[userID]
	if m == nil {
		return errorf(GroupNoPermission, "%q is not a member of group %q", userID, groupID)
	}
	if m.Role == RoleOwner && g.info.Type != GroupPrivate {
		return errorf(GroupOwnerCantQuit, "the owner cannot quit %s group %q: transfer or dismiss it", g.info.Type, groupID)
	}
	g.removeMember(userID)
	if m.Role == RoleOwner {
		g.info.Owner = ""
	}
	a.notify(g, GroupNotice{Type: NoticeQuit, Operator: userID}, []string{userID})
	if len(g.members) == 0 && g.info.Type == GroupPrivate {
		delete(a.groups, groupID)
		return nil
	}
	a.tip(g, GroupTip{Type: TipQuit, Operator: userID, Users: []string{userID}}, g.memberIDs())
	return nil
}

// DestroyGroup dismisses a group: notice 5 to every member, then the group is gone (10010 after).
func (a *App) DestroyGroup(op, groupID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	if g.info.Type == GroupPrivate && !a.isRoot(op) {
		return errorf(GroupNoPermission, "a Private group can only be dismissed by the app administrator")
	}
	if a.rank(g, op) < rankOwner {
		return errorf(GroupNoPermission, "only the owner may dismiss group %q", groupID)
	}
	a.notify(g, GroupNotice{Type: NoticeDismissed, Operator: op}, g.memberIDs())
	delete(a.groups, groupID)
	return nil
}

// ReclaimGroup is the service taking a group back (admin API): notice 11 to every member, then the
// group is gone.
func (a *App) ReclaimGroup(groupID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	a.notify(g, GroupNotice{Type: NoticeReclaimed, Operator: a.adminID()}, g.memberIDs())
	delete(a.groups, groupID)
	return nil
}

// ChangeOwner hands the group to another member; the old owner becomes a plain member. Every member
// gets tip 6 with the new owner.
func (a *App) ChangeOwner(op, groupID, newOwner string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	if newOwner == "" {
		return errorf(GroupBadParam, "NewOwner_Account is missing")
	}
	if g.info.Type == GroupAVChatRoom {
		return errorf(GroupNoPermission, "an AVChatRoom's owner cannot be changed")
	}
	if a.rank(g, op) < rankOwner {
		return errorf(GroupNoPermission, "only the owner may hand group %q over", groupID)
	}
	nm := g.members[newOwner]
	switch {
	case nm == nil:
		return errorf(GroupBadParam, "NewOwner_Account %q is not a member of group %q", newOwner, groupID)
	case nm.Role == RoleOwner:
		return errorf(GroupBadParam, "%q already owns group %q", newOwner, groupID)
	}
	if old := g.members[g.info.Owner]; old != nil {
		old.Role = RoleMember
	}
	nm.Role = RoleOwner
	g.info.Owner = newOwner
	a.touchInfo(g)
	owner := newOwner
	a.tip(g, GroupTip{Type: TipGroupInfo, Operator: op, Change: &GroupChange{Owner: &owner}}, g.memberIDs())
	return nil
}

func (a *App) touchInfo(g *group) {
	g.info.InfoSeq++
	g.info.LastInfoTime = a.clock.Now().Unix()
}

// ModifyGroup changes the group's profile; every member gets tip 6 with the fields that changed
// (a change of MaxMemberNum alone makes no tip).
func (a *App) ModifyGroup(op, groupID string, ch GroupChange) (GroupInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return GroupInfo{}, err
	}
	need := rankAdmin
	if g.info.Type == GroupPrivate {
		need = rankMember
	}
	if a.rank(g, op) < need {
		return GroupInfo{}, errorf(GroupNoPermission, "%q may not modify %s group %q", op, g.info.Type, groupID)
	}
	if err := a.checkChange(g, ch); err != nil {
		return GroupInfo{}, err
	}
	tip := &GroupChange{}
	changed, visible := false, false
	str := func(cur *string, v *string, out **string) {
		if v != nil && *v != *cur {
			*cur = *v
			s := *v
			*out = &s
			changed, visible = true, true
		}
	}
	str(&g.info.Name, ch.Name, &tip.Name)
	str(&g.info.Introduction, ch.Introduction, &tip.Introduction)
	str(&g.info.Notification, ch.Notification, &tip.Notification)
	str(&g.info.FaceURL, ch.FaceURL, &tip.FaceURL)
	if v := ch.ApplyJoinOption; v != nil && *v != g.info.ApplyJoinOption {
		g.info.ApplyJoinOption = *v
		o := *v
		tip.ApplyJoinOption, changed, visible = &o, true, true
	}
	if v := ch.ShutUpAll; v != nil && *v != g.info.ShutUpAll {
		g.info.ShutUpAll = *v
		b := *v
		tip.ShutUpAll, changed, visible = &b, true, true
	}
	if v := ch.MaxMemberNum; v != nil && *v != g.info.MaxMemberNum {
		g.info.MaxMemberNum = *v
		changed = true
	}
	if len(ch.AppDefinedData) > 0 {
		g.info.AppDefinedData = setKVs(g.info.AppDefinedData, ch.AppDefinedData)
		tip.AppDefinedData = append([]KV(nil), ch.AppDefinedData...)
		changed, visible = true, true
	}
	if changed {
		a.touchInfo(g)
	}
	if visible {
		a.tip(g, GroupTip{Type: TipGroupInfo, Operator: op, Change: tip}, g.memberIDs())
	}
	return g.copyInfo(), nil
}

func (a *App) checkChange(g *group, ch GroupChange) error {
	if ch.Owner != nil {
		return errorf(GroupBadParam, "the owner is changed with change_group_owner")
	}
	if ch.Name != nil && *ch.Name == "" {
		return errorf(GroupBadParam, "Name cannot be empty")
	}
	for _, c := range []struct {
		f string
		v *string
		n int
	}{{"Name", ch.Name, maxGroupNameBytes}, {"Introduction", ch.Introduction, maxIntroductionBytes},
		{"Notification", ch.Notification, maxNotificationBytes}, {"FaceUrl", ch.FaceURL, maxFaceURLBytes}} {
		if c.v != nil {
			if err := checkLen(c.f, *c.v, c.n); err != nil {
				return err
			}
		}
	}
	if v := ch.ApplyJoinOption; v != nil {
		if !v.valid() {
			return errorf(GroupBadParam, "ApplyJoinOption %q is not FreeAccess, NeedPermission or DisableApply", *v)
		}
		if g.info.Type != GroupPublic && *v != g.info.ApplyJoinOption {
			return errorf(GroupBadParam, "ApplyJoinOption can only be changed for Public groups")
		}
	}
	if ch.ShutUpAll != nil && g.info.Type == GroupPrivate {
		return errorf(GroupNoPermission, "Private groups cannot be muted")
	}
	if v := ch.MaxMemberNum; v != nil {
		lim := defaultMaxMembers(g.info.Type)
		if *v <= 0 || (lim > 0 && *v > lim) || *v < len(g.members) {
			return errorf(GroupBadParam, "MaxMemberNum %d: want %d..%d", *v, len(g.members), lim)
		}
	}
	return validKVs("AppDefinedData", ch.AppDefinedData)
}

// MemberChange is a change of one member: nil fields are unchanged.
type MemberChange struct {
	Role                 *Role
	MsgFlag              *MsgFlag
	NameCard             *string
	ShutUpSeconds        *int64 // mute for this long from now; 0 unmutes
	AppMemberDefinedData []KV
}

const (
	maxNameCardBytes = 50
	maxMuteSeconds   = math.MaxUint32
)

// ModifyMember changes one member. A role change queues tip 4/5 for every member and notice 9/10
// for the target; a mute change queues tip 7 for every member.
func (a *App) ModifyMember(op, groupID, target string, ch MemberChange) (Member, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return Member{}, err
	}
	if target == "" {
		return Member{}, errorf(GroupBadParam, "Member_Account is missing")
	}
	if err := a.needMember(g, op); err != nil {
		return Member{}, err
	}
	m := g.members[target]
	if m == nil {
		return Member{}, errorf(GroupBadParam, "%q is not a member of group %q", target, groupID)
	}
	self := op == target
	// Everyone may edit themselves; above that, only someone of a higher rank.
	overTarget := self || a.rank(g, op) > a.rank(g, target)
	if r := ch.Role; r != nil {
		switch {
		case *r != RoleAdmin && *r != RoleMember:
			return Member{}, errorf(GroupBadParam, "Role %q is not Admin or Member", *r)
		case g.info.Type != GroupPublic && g.info.Type != GroupChatRoom:
			return Member{}, errorf(GroupNoPermission, "%s groups have no admins", g.info.Type)
		case a.rank(g, op) < rankOwner:
			return Member{}, errorf(GroupNoPermission, "only the owner may set roles in group %q", groupID)
		case self:
			return Member{}, errorf(GroupNoPermission, "%q cannot change their own role", op)
		case m.Role == RoleOwner:
			return Member{}, errorf(GroupNoPermission, "the owner's role is changed with change_group_owner")
		}
	}
	if f := ch.MsgFlag; f != nil {
		if !f.valid() {
			return Member{}, errorf(GroupBadParam, "MsgFlag %q is not AcceptAndNotify, AcceptNotNotify or Discard", *f)
		}
		if !self && !a.isRoot(op) {
			return Member{}, errorf(GroupNoPermission, "only %q may set their own MsgFlag", target)
		}
	}
	if ch.NameCard != nil || len(ch.AppMemberDefinedData) > 0 {
		if ch.NameCard != nil {
			if err := checkLen("NameCard", *ch.NameCard, maxNameCardBytes); err != nil {
				return Member{}, err
			}
		}
		if err := validKVs("AppMemberDefinedData", ch.AppMemberDefinedData); err != nil {
			return Member{}, err
		}
		if !overTarget {
			return Member{}, errorf(GroupNoPermission, "%q may not edit %s %q", op, m.Role, target)
		}
	}
	if s := ch.ShutUpSeconds; s != nil {
		if err := a.canMute(g, op, target, *s); err != nil {
			return Member{}, err
		}
	}
	if ch.MsgFlag != nil {
		m.MsgFlag = *ch.MsgFlag
	}
	if ch.NameCard != nil {
		m.NameCard = *ch.NameCard
	}
	if len(ch.AppMemberDefinedData) > 0 {
		m.AppMemberDefinedData = setKVs(m.AppMemberDefinedData, ch.AppMemberDefinedData)
	}
	if r := ch.Role; r != nil && *r != m.Role {
		m.Role = *r
		tt, nt := TipSetAdmin, NoticeSetAdmin
		if *r == RoleMember {
			tt, nt = TipCancelAdmin, NoticeCancelAdmin
		}
		a.tip(g, GroupTip{Type: tt, Operator: op, Users: []string{target}}, g.memberIDs())
		a.notify(g, GroupNotice{Type: nt, Operator: op}, []string{target})
	}
	if s := ch.ShutUpSeconds; s != nil {
		a.mute(g, op, []string{target}, *s)
	}
	return m.copy(), nil
}

// canMute checks one mute or unmute. Lock held.
func (a *App) canMute(g *group, op, target string, seconds int64) error {
	switch {
	case seconds < 0 || seconds > maxMuteSeconds:
		return errorf(GroupBadParam, "ShutUpTime %d is out of range 0..%d", seconds, int64(maxMuteSeconds))
	case g.info.Type == GroupPrivate:
		return errorf(GroupNoPermission, "members of a Private group cannot be muted")
	case g.members[target] == nil:
		return errorf(GroupBadParam, "%q is not a member of group %q", target, g.info.ID)
	case op == target:
		return errorf(GroupNoPermission, "%q cannot mute themselves", op)
	case a.rank(g, op) < rankAdmin || a.rank(g, op) <= a.rank(g, target):
		return errorf(GroupNoPermission, "%q may not mute %s %q", op, g.members[target].Role, target)
	}
	return nil
}

// mute sets the members' mute and queues tip 7. Lock held; checked by canMute.
func (a *App) mute(g *group, op string, users []string, seconds int64) {
	now := a.clock.Now().Unix()
	var mutes []MemberMute
	for _, u := range users {
		m := g.members[u]
		m.ShutUpUntil = 0
		if seconds > 0 {
			m.ShutUpUntil = now + seconds
		}
		mutes = append(mutes, MemberMute{User: u, Seconds: seconds})
	}
	a.tip(g, GroupTip{Type: TipMemberInfo, Operator: op, Users: users, Mutes: mutes}, g.memberIDs())
}

// MuteMembers mutes (seconds > 0) or unmutes (0) members on the tenant clock: one tip 7 for all.
func (a *App) MuteMembers(op, groupID string, users []string, seconds int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	if len(users) == 0 || len(users) > maxMembersPerCall {
		return errorf(GroupBadParam, "Members_Account must name 1 to %d accounts, got %d", maxMembersPerCall, len(users))
	}
	var list []string
	seen := map[string]bool{}
	for _, u := range users {
		if err := a.canMute(g, op, u, seconds); err != nil {
			return err
		}
		if !seen[u] {
			seen[u] = true
			list = append(list, u)
		}
	}
	a.mute(g, op, list, seconds)
	return nil
}
