package scenario

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/imharness/imharness/internal/dur"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim/profiletag"
)

// Actions are the domain operations a push can carry out. Each goes through the state exactly as
// the client's (or the app server's) own call does, with the actor it names as the operator, so the
// same rules refuse it and the same tips, notices, unread counts and sequence numbers follow. They
// are protocol-neutral: whichever protocol a client speaks renders the resulting events.
//
// A refused action (a member kicking the owner, an unknown group…) is an error positioned at the
// action in the file: Apply fails for a push due at load (at: 0s), and a later push records the
// error in its PushStatus.
type Actions struct {
	GroupMessage    *GroupMessageAction `yaml:"group_message"`
	CreateGroup     *CreateGroupAction  `yaml:"create_group"`
	Invite          *MembersAction      `yaml:"invite"`
	Join            *JoinAction         `yaml:"join"`
	Approve         *HandleAction       `yaml:"approve"`
	Reject          *HandleAction       `yaml:"reject"`
	Quit            *QuitAction         `yaml:"quit"`
	KickMember      *MembersAction      `yaml:"kick_member"`
	SetAdmin        *MemberAction       `yaml:"set_admin"`
	UnsetAdmin      *MemberAction       `yaml:"unset_admin"`
	Mute            *MuteAction         `yaml:"mute"`
	Unmute          *MembersAction      `yaml:"unmute"`
	ModifyGroup     *ModifyGroupAction  `yaml:"modify_group"`
	ChangeOwner     *MemberAction       `yaml:"change_owner"`
	Dismiss         *GroupAction        `yaml:"dismiss"`
	GroupNotice     *GroupNoticeAction  `yaml:"group_notice"`
	Revoke          *RevokeAction       `yaml:"revoke"`
	Read            *ReadAction         `yaml:"read"`
	Profile         *ProfileAction      `yaml:"profile"`
	FriendAdd       *FriendAdd          `yaml:"friend_add"`
	FriendDelete    *FriendDelete       `yaml:"friend_delete"`
	BlacklistAdd    *Block              `yaml:"blacklist_add"`
	BlacklistDelete *Block              `yaml:"blacklist_delete"`
}

// GroupMessageAction is a group message From a member (text or body elements, as under messages).
type GroupMessageAction struct {
	From       string `yaml:"from"`
	Group      string `yaml:"group"`
	Text       string `yaml:"text"`
	Body       []Elem `yaml:"body"`
	OnlineOnly bool   `yaml:"online_only"`
}

// CreateGroupAction is a group created By a user (who owns it) or by the administrator.
type CreateGroupAction struct {
	By           string         `yaml:"by"`
	ID           string         `yaml:"id"`
	Type         string         `yaml:"type"`
	Name         string         `yaml:"name"`
	Introduction string         `yaml:"introduction"`
	Notification string         `yaml:"notification"`
	JoinOption   string         `yaml:"join_option"`
	MaxMembers   int            `yaml:"max_members"`
	Members      []CreateMember `yaml:"members"`
}

// CreateMember is an initial member of a created group.
type CreateMember struct {
	User string `yaml:"user"`
	Role string `yaml:"role"`
}

// GroupAction names a group and who acts on it.
type GroupAction struct {
	By    string `yaml:"by"`
	Group string `yaml:"group"`
}

// MembersAction acts By someone on Users of a Group (invite, kick_member, unmute).
type MembersAction struct {
	By     string   `yaml:"by"`
	Group  string   `yaml:"group"`
	Users  []string `yaml:"users"`
	Reason string   `yaml:"reason"` // kick_member: the notice's RemarkInfo
}

// MemberAction acts By someone on one member (set_admin, unset_admin; change_owner: the new owner).
type MemberAction struct {
	By    string `yaml:"by"`
	Group string `yaml:"group"`
	User  string `yaml:"user"`
}

// MuteAction mutes Users of Group for For.
type MuteAction struct {
	By    string       `yaml:"by"`
	Group string       `yaml:"group"`
	Users []string     `yaml:"users"`
	For   dur.Duration `yaml:"for"`
}

// JoinAction is User asking to join Group: a member at once (FreeAccess) or a pending application.
type JoinAction struct {
	User    string `yaml:"user"`
	Group   string `yaml:"group"`
	Message string `yaml:"message"`
}

// HandleAction approves or rejects User's pending application to Group, By its owner or an admin.
type HandleAction struct {
	By     string `yaml:"by"`
	Group  string `yaml:"group"`
	User   string `yaml:"user"`
	Remark string `yaml:"remark"`
}

// QuitAction is User leaving Group.
type QuitAction struct {
	User  string `yaml:"user"`
	Group string `yaml:"group"`
}

// ModifyGroupAction changes a group's profile; keys left out are unchanged.
type ModifyGroupAction struct {
	By           string            `yaml:"by"`
	Group        string            `yaml:"group"`
	Name         *string           `yaml:"name"`
	Introduction *string           `yaml:"introduction"`
	Notification *string           `yaml:"notification"`
	FaceURL      *string           `yaml:"face_url"`
	JoinOption   *string           `yaml:"join_option"`
	MuteAll      *bool             `yaml:"mute_all"`
	MaxMembers   *int              `yaml:"max_members"`
	Custom       map[string]string `yaml:"custom"` // AppDefinedData; "" deletes a key
}

// GroupNoticeAction is a custom group system notice (255) with Content, to every member or To the
// listed ones. Only the app administrator may send one; By defaults to it.
type GroupNoticeAction struct {
	By      string   `yaml:"by"`
	Group   string   `yaml:"group"`
	Content string   `yaml:"content"`
	To      []string `yaml:"to"`
}

// RevokeAction recalls group messages by their sequence numbers in the group (Group, Seqs), or By's
// C2C message to Peer named by its MsgSeq and MsgRandom (Peer, Seq, Random).
type RevokeAction struct {
	By     string   `yaml:"by"`
	Group  string   `yaml:"group"`
	Seqs   []uint64 `yaml:"seqs"`
	Peer   string   `yaml:"peer"`
	Seq    uint64   `yaml:"seq"`
	Random uint32   `yaml:"random"`
}

// ReadAction is User's read report from another device: the C2C conversation with Peer (that device
// syncs first, then reports it read, with a receipt to the peer), or Group, read up to now.
type ReadAction struct {
	User  string `yaml:"user"`
	Peer  string `yaml:"peer"`
	Group string `yaml:"group"`
}

// ProfileAction sets profile fields of User (keys as in users[].profile).
type ProfileAction struct {
	User string         `yaml:"user"`
	Set  map[string]any `yaml:"set"`
}

// FriendAdd is User's friend request to Friend (with User's Remark for Friend). It makes them friends
// at once when Friend accepts anyone; otherwise it waits for Friend, who answers it when Accept.
type FriendAdd struct {
	User   string `yaml:"user"`
	Friend string `yaml:"friend"`
	Remark string `yaml:"remark"`
	Accept bool   `yaml:"accept"`
}

// snsErr is the error of a one-account relationship-chain call.
func snsErr(res []state.SNSResult, err error) error {
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Failed() {
			return fmt.Errorf("%s: %s (%s)", r.User, r.Info, r.Reason)
		}
	}
	return nil
}

// FriendDelete ends User's friendship with Friend; Both ends it for Friend too.
type FriendDelete struct {
	User   string `yaml:"user"`
	Friend string `yaml:"friend"`
	Both   bool   `yaml:"both"`
}

// actionKeys are the keys of Actions, in declaration order (for messages).
var actionKeys = []string{"group_message", "create_group", "invite", "join", "approve", "reject", "quit",
	"kick_member", "set_admin", "unset_admin", "mute", "unmute", "modify_group", "change_owner", "dismiss",
	"group_notice", "revoke", "read", "profile", "friend_add", "friend_delete", "blacklist_add", "blacklist_delete"}

// set lists the keys of the actions given.
func (a Actions) set() []string {
	var out []string
	for i, p := range a.ptrs() {
		if p {
			out = append(out, actionKeys[i])
		}
	}
	return out
}

func (a Actions) ptrs() []bool {
	return []bool{a.GroupMessage != nil, a.CreateGroup != nil, a.Invite != nil, a.Join != nil, a.Approve != nil,
		a.Reject != nil, a.Quit != nil, a.KickMember != nil, a.SetAdmin != nil, a.UnsetAdmin != nil, a.Mute != nil,
		a.Unmute != nil, a.ModifyGroup != nil, a.ChangeOwner != nil, a.Dismiss != nil, a.GroupNotice != nil,
		a.Revoke != nil, a.Read != nil, a.Profile != nil, a.FriendAdd != nil, a.FriendDelete != nil,
		a.BlacklistAdd != nil, a.BlacklistDelete != nil}
}

// actor checks an operator: a declared user or the app administrator.
func actor(known func(string, string) error, path, id string) error {
	if id == state.DefaultAdminID {
		return nil
	}
	return known(path, id)
}

func needGroup(path, g string) error {
	if g == "" {
		return errAt(path, "is required")
	}
	return nil
}

func usersList(known func(string, string) error, path string, users []string) error {
	if len(users) == 0 {
		return errAt(path, "name at least one user")
	}
	for i, u := range users {
		if err := known(fmt.Sprintf("%s[%d]", path, i), u); err != nil {
			return err
		}
	}
	return nil
}

// check validates the action given (p is the push's path, key the action's key).
func (a Actions) check(p string, known func(string, string) error) error {
	keys := a.set()
	if len(keys) != 1 {
		return nil // the caller counts actions
	}
	q := p + "." + keys[0]
	by := func(id string) error { return actor(known, q+".by", id) }
	switch {
	case a.GroupMessage != nil:
		m := a.GroupMessage
		if err := firstErr(actor(known, q+".from", m.From), needGroup(q+".group", m.Group)); err != nil {
			return err
		}
		return checkBody(q, m.Text, m.Body)
	case a.CreateGroup != nil:
		c := a.CreateGroup
		if err := by(c.By); err != nil {
			return err
		}
		g := Group{ID: c.ID, Type: c.Type, Name: c.Name, JoinOption: c.JoinOption, MaxMembers: c.MaxMembers}
		if c.By != state.DefaultAdminID {
			g.Owner = c.By
		}
		for _, m := range c.Members {
			g.Members = append(g.Members, Member{User: m.User, Role: m.Role})
		}
		return g.check(q, known)
	case a.Invite != nil, a.KickMember != nil, a.Unmute != nil:
		m := firstOf(a.Invite, a.KickMember, a.Unmute)
		return firstErr(by(m.By), needGroup(q+".group", m.Group), usersList(known, q+".users", m.Users))
	case a.Join != nil:
		return firstErr(known(q+".user", a.Join.User), needGroup(q+".group", a.Join.Group))
	case a.Approve != nil, a.Reject != nil:
		h := firstOf(a.Approve, a.Reject)
		return firstErr(by(h.By), needGroup(q+".group", h.Group), known(q+".user", h.User))
	case a.Quit != nil:
		return firstErr(known(q+".user", a.Quit.User), needGroup(q+".group", a.Quit.Group))
	case a.SetAdmin != nil, a.UnsetAdmin != nil, a.ChangeOwner != nil:
		m := firstOf(a.SetAdmin, a.UnsetAdmin, a.ChangeOwner)
		return firstErr(by(m.By), needGroup(q+".group", m.Group), known(q+".user", m.User))
	case a.Mute != nil:
		m := a.Mute
		if err := firstErr(by(m.By), needGroup(q+".group", m.Group), usersList(known, q+".users", m.Users)); err != nil {
			return err
		}
		if m.For.D() < time.Second || m.For.D().Seconds() > math.MaxUint32 {
			return errAt(q+".for", "want a mute length from 1s to about 136 years (unmute ends a mute)")
		}
	case a.ModifyGroup != nil:
		m := a.ModifyGroup
		if err := firstErr(by(m.By), needGroup(q+".group", m.Group)); err != nil {
			return err
		}
		if m.JoinOption != nil {
			if err := oneOf(q+".join_option", *m.JoinOption, joinOptions); err != nil {
				return err
			}
		}
		if m.Name == nil && m.Introduction == nil && m.Notification == nil && m.FaceURL == nil && m.JoinOption == nil &&
			m.MuteAll == nil && m.MaxMembers == nil && len(m.Custom) == 0 {
			return errAt(q, "change something: name, introduction, notification, face_url, join_option, mute_all, max_members or custom")
		}
	case a.Dismiss != nil:
		return firstErr(by(a.Dismiss.By), needGroup(q+".group", a.Dismiss.Group))
	case a.GroupNotice != nil:
		n := a.GroupNotice
		if n.By != "" {
			if err := by(n.By); err != nil {
				return err
			}
		}
		if err := needGroup(q+".group", n.Group); err != nil {
			return err
		}
		if n.Content == "" {
			return errAt(q+".content", "is required")
		}
		for i, u := range n.To {
			if err := known(fmt.Sprintf("%s.to[%d]", q, i), u); err != nil {
				return err
			}
		}
	case a.Revoke != nil:
		r := a.Revoke
		if err := by(r.By); err != nil {
			return err
		}
		if (r.Group == "") == (r.Peer == "") {
			return errAt(q, "give either group (with seqs) or peer (with seq and random)")
		}
		if r.Peer != "" {
			if err := known(q+".peer", r.Peer); err != nil {
				return err
			}
			if r.Seq == 0 || len(r.Seqs) > 0 {
				return errAt(q+".seq", "a C2C message is named by its seq and random (seqs is for groups)")
			}
			return nil
		}
		if len(r.Seqs) == 0 {
			return errAt(q+".seqs", "name at least one message by its sequence number in the group")
		}
	case a.Read != nil:
		r := a.Read
		if err := known(q+".user", r.User); err != nil {
			return err
		}
		if (r.Peer == "") == (r.Group == "") {
			return errAt(q, "give either peer (a C2C conversation) or group")
		}
		if r.Peer != "" {
			return known(q+".peer", r.Peer)
		}
	case a.Profile != nil:
		pr := a.Profile
		if err := known(q+".user", pr.User); err != nil {
			return err
		}
		if len(pr.Set) == 0 {
			return errAt(q+".set", "set at least one profile field")
		}
		_, err := profileItems(q+".set", pr.Set)
		return err
	case a.FriendAdd != nil:
		f := a.FriendAdd
		if err := firstErr(known(q+".user", f.User), known(q+".friend", f.Friend)); err != nil {
			return err
		}
		if f.User == f.Friend {
			return errAt(q+".friend", "a user cannot befriend itself")
		}
	case a.FriendDelete != nil:
		return firstErr(known(q+".user", a.FriendDelete.User), known(q+".friend", a.FriendDelete.Friend))
	case a.BlacklistAdd != nil, a.BlacklistDelete != nil:
		b := firstOf(a.BlacklistAdd, a.BlacklistDelete)
		return firstErr(known(q+".user", b.User), known(q+".blocks", b.Blocks))
	}
	return nil
}

func firstOf[T any](ps ...*T) *T {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

// profileItems checks and converts profile fields (users[].profile, profile.set): keys are the
// state's field names (nick, gender, custom.level…) or Tencent IM's tags (Tag_Profile_IM_Nick,
// Tag_Profile_Custom_level…, the form older scenarios use); values are strings or numbers, and an
// enumerated field takes either its domain value (female) or the Tencent one (Gender_Type_Female).
// Items come sorted by field.
func profileItems(p string, set map[string]any) ([]state.ProfileItem, error) {
	items := make([]state.ProfileItem, 0, len(set))
	for _, key := range sortedKeys(set) {
		v := set[key]
		switch v.(type) {
		case string, int, int64, uint64, float64:
		default:
			return nil, errAt(p+"."+key, "a profile value is a string or a number")
		}
		var it state.ProfileItem
		f := state.ProfileField(key)
		switch _, custom := f.Custom(); {
		case strings.HasPrefix(key, "Tag_Profile_"):
			it = profiletag.In(key, v)
		case slices.Contains(state.StandardFields, f), custom && len(key) > len("custom."):
			it = state.ProfileItem{Field: f, Value: v}
			if s, ok := v.(string); ok {
				it.Value = profiletag.Value(f, s)
			}
		default:
			return nil, errAt(p+"."+key, "profile keys are %s or custom.<name> (or Tencent IM tags Tag_Profile_*)", fieldNames())
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Field < items[j].Field })
	return items, nil
}

func fieldNames() string {
	names := make([]string, len(state.StandardFields))
	for i, f := range state.StandardFields {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// describe says what the action does, for listings and the timeline.
func (a Actions) describe() string {
	switch {
	case a.GroupMessage != nil:
		return fmt.Sprintf("group message %s → %s", a.GroupMessage.From, a.GroupMessage.Group)
	case a.CreateGroup != nil:
		return fmt.Sprintf("%s creates %s group %q", a.CreateGroup.By, a.CreateGroup.Type, a.CreateGroup.Name)
	case a.Invite != nil:
		return fmt.Sprintf("%s invites %v into %s", a.Invite.By, a.Invite.Users, a.Invite.Group)
	case a.Join != nil:
		return fmt.Sprintf("%s asks to join %s", a.Join.User, a.Join.Group)
	case a.Approve != nil:
		return fmt.Sprintf("%s approves %s's application to %s", a.Approve.By, a.Approve.User, a.Approve.Group)
	case a.Reject != nil:
		return fmt.Sprintf("%s rejects %s's application to %s", a.Reject.By, a.Reject.User, a.Reject.Group)
	case a.Quit != nil:
		return fmt.Sprintf("%s quits %s", a.Quit.User, a.Quit.Group)
	case a.KickMember != nil:
		return fmt.Sprintf("%s kicks %v out of %s", a.KickMember.By, a.KickMember.Users, a.KickMember.Group)
	case a.SetAdmin != nil:
		return fmt.Sprintf("%s makes %s an admin of %s", a.SetAdmin.By, a.SetAdmin.User, a.SetAdmin.Group)
	case a.UnsetAdmin != nil:
		return fmt.Sprintf("%s takes admin from %s in %s", a.UnsetAdmin.By, a.UnsetAdmin.User, a.UnsetAdmin.Group)
	case a.Mute != nil:
		return fmt.Sprintf("%s mutes %v in %s for %s", a.Mute.By, a.Mute.Users, a.Mute.Group, a.Mute.For)
	case a.Unmute != nil:
		return fmt.Sprintf("%s unmutes %v in %s", a.Unmute.By, a.Unmute.Users, a.Unmute.Group)
	case a.ModifyGroup != nil:
		return fmt.Sprintf("%s modifies the profile of %s", a.ModifyGroup.By, a.ModifyGroup.Group)
	case a.ChangeOwner != nil:
		return fmt.Sprintf("%s hands %s to %s", a.ChangeOwner.By, a.ChangeOwner.Group, a.ChangeOwner.User)
	case a.Dismiss != nil:
		return fmt.Sprintf("%s dismisses %s", a.Dismiss.By, a.Dismiss.Group)
	case a.GroupNotice != nil:
		to := "every member"
		if len(a.GroupNotice.To) > 0 {
			to = fmt.Sprint(a.GroupNotice.To)
		}
		return fmt.Sprintf("custom notice in %s to %s", a.GroupNotice.Group, to)
	case a.Revoke != nil && a.Revoke.Peer != "":
		return fmt.Sprintf("%s revokes message %d/%d to %s", a.Revoke.By, a.Revoke.Seq, a.Revoke.Random, a.Revoke.Peer)
	case a.Revoke != nil:
		return fmt.Sprintf("%s revokes %v in %s", a.Revoke.By, a.Revoke.Seqs, a.Revoke.Group)
	case a.Read != nil:
		if a.Read.Peer != "" {
			return fmt.Sprintf("%s reads the conversation with %s", a.Read.User, a.Read.Peer)
		}
		return fmt.Sprintf("%s reads %s", a.Read.User, a.Read.Group)
	case a.Profile != nil:
		return fmt.Sprintf("%s sets %v", a.Profile.User, sortedKeys(a.Profile.Set))
	case a.FriendAdd != nil:
		return fmt.Sprintf("%s and %s become friends", a.FriendAdd.User, a.FriendAdd.Friend)
	case a.FriendDelete != nil:
		return fmt.Sprintf("%s unfriends %s", a.FriendDelete.User, a.FriendDelete.Friend)
	case a.BlacklistAdd != nil:
		return fmt.Sprintf("%s blocks %s", a.BlacklistAdd.User, a.BlacklistAdd.Blocks)
	case a.BlacklistDelete != nil:
		return fmt.Sprintf("%s unblocks %s", a.BlacklistDelete.User, a.BlacklistDelete.Blocks)
	}
	return ""
}

// do carries the action out on the tenant (root: the administrator's id there).
func (a Actions) do(app *state.App, msgs *messenger) (string, error) {
	root := app.Admin()
	op := func(by string) string {
		if by == "" || by == state.DefaultAdminID {
			return root
		}
		return by
	}
	switch {
	case a.GroupMessage != nil:
		m := a.GroupMessage
		body, err := elems(m.Text, m.Body)
		if err != nil {
			return "", err
		}
		from := op(m.From)
		gm, err := app.SendGroupMessage(from, state.GroupMessage{GroupID: m.Group, From: from, Random: msgs.random(),
			ClientSeq: msgs.nextSeq(from), Priority: "Normal", Body: body, OnlineOnly: m.OnlineOnly})
		return fmt.Sprintf("seq %d", gm.Seq), err
	case a.CreateGroup != nil:
		c := a.CreateGroup
		spec := state.GroupSpec{ID: c.ID, Type: state.GroupType(c.Type), Name: c.Name, Introduction: c.Introduction,
			Notification: c.Notification, MaxMemberNum: c.MaxMembers, ApplyJoinOption: state.JoinOption(c.JoinOption)}
		for _, m := range c.Members {
			spec.Members = append(spec.Members, state.MemberSpec{User: m.User, Role: state.Role(m.Role)})
		}
		info, err := app.CreateGroup(op(c.By), spec)
		return "created " + info.ID, err
	case a.Invite != nil:
		res, err := app.AddMembers(op(a.Invite.By), a.Invite.Group, a.Invite.Users, false)
		if err != nil {
			return "", err
		}
		for _, r := range res {
			if r.Result != state.AddAdded {
				return "", fmt.Errorf("%q was not added (result %d: %s)", r.User, r.Result,
					map[int]string{state.AddFailed: "failed", state.AddAlready: "already a member"}[r.Result])
			}
		}
		return fmt.Sprintf("%d invited", len(res)), nil
	case a.Join != nil:
		joined, err := app.ApplyJoin(a.Join.User, a.Join.Group, a.Join.Message, "")
		if joined {
			return "joined", err
		}
		return "application pending", err
	case a.Approve != nil, a.Reject != nil:
		h := firstOf(a.Approve, a.Reject)
		by := op(h.By)
		var found *state.Application
		for _, x := range app.Pendencies(by) {
			if x.GroupID == h.Group && x.Applicant == h.User && !x.Handled {
				found = &x
			}
		}
		if found == nil {
			return "", fmt.Errorf("%q has no pending application to group %q that %q may handle", h.User, h.Group, by)
		}
		err := app.HandleApplication(by, h.Group, h.User, a.Approve != nil, h.Remark, found.Authentication, found.MsgKey)
		return "handled", err
	case a.Quit != nil:
		return "quit", app.QuitGroup(a.Quit.User, a.Quit.Group)
	case a.KickMember != nil:
		k := a.KickMember
		return "kicked", app.RemoveMembers(op(k.By), k.Group, k.Users, k.Reason, false)
	case a.SetAdmin != nil, a.UnsetAdmin != nil:
		m := firstOf(a.SetAdmin, a.UnsetAdmin)
		role := state.RoleAdmin
		if a.UnsetAdmin != nil {
			role = state.RoleMember
		}
		_, err := app.ModifyMember(op(m.By), m.Group, m.User, state.MemberChange{Role: &role})
		return "role " + string(role), err
	case a.Mute != nil:
		m := a.Mute
		return "muted", app.MuteMembers(op(m.By), m.Group, m.Users, int64(m.For.D().Seconds()))
	case a.Unmute != nil:
		return "unmuted", app.MuteMembers(op(a.Unmute.By), a.Unmute.Group, a.Unmute.Users, 0)
	case a.ModifyGroup != nil:
		m := a.ModifyGroup
		ch := state.GroupChange{Name: m.Name, Introduction: m.Introduction, Notification: m.Notification,
			FaceURL: m.FaceURL, ShutUpAll: m.MuteAll, MaxMemberNum: m.MaxMembers}
		if m.JoinOption != nil {
			o := state.JoinOption(*m.JoinOption)
			ch.ApplyJoinOption = &o
		}
		for _, k := range sortedKeys(m.Custom) {
			ch.AppDefinedData = append(ch.AppDefinedData, state.KV{Key: k, Value: m.Custom[k]})
		}
		_, err := app.ModifyGroup(op(m.By), m.Group, ch)
		return "modified", err
	case a.ChangeOwner != nil:
		return "owner " + a.ChangeOwner.User, app.ChangeOwner(op(a.ChangeOwner.By), a.ChangeOwner.Group, a.ChangeOwner.User)
	case a.Dismiss != nil:
		return "dismissed", app.DestroyGroup(op(a.Dismiss.By), a.Dismiss.Group)
	case a.GroupNotice != nil:
		n := a.GroupNotice
		return "sent", app.SendCustomNotice(op(n.By), n.Group, n.To, n.Content)
	case a.Revoke != nil && a.Revoke.Peer != "":
		r := a.Revoke
		return "recalled", app.RecallC2C(0, op(r.By), r.Peer, r.Seq, r.Random)
	case a.Revoke != nil:
		r := a.Revoke
		res, err := app.RecallGroupMessages(op(r.By), r.Group, r.Seqs)
		if err != nil {
			return "", err
		}
		for _, x := range res {
			if x.Reason != "" {
				return "", fmt.Errorf("message %d of %s was not recalled (%s)", x.Seq, r.Group, x.Reason)
			}
		}
		return fmt.Sprintf("%d recalled", len(res)), nil
	case a.Read != nil:
		r := a.Read
		if r.Peer != "" {
			// The reading device synced first (getmsg, to the end), as a client does before it can
			// read: the user's other devices' offline sync then starts after these messages.
			for cookie := ""; ; {
				p, err := app.SyncC2C(r.User, cookie)
				if err != nil {
					return "", err
				}
				if p.Complete {
					break
				}
				cookie = p.Cookie
			}
			return "read", app.MarkC2CRead(r.User, r.Peer, app.Now().Unix(), true)
		}
		return "read", app.MarkGroupRead(r.User, r.Group, math.MaxUint64)
	case a.Profile != nil:
		items, err := profileItems("set", a.Profile.Set)
		if err != nil {
			return "", err
		}
		// Instance 0 is no session: every session of the user and its friends hear of the change.
		return "set", app.SetProfileFrom(0, a.Profile.User, items)
	case a.FriendAdd != nil:
		f := a.FriendAdd
		res, err := app.AddFriends(f.User, []state.FriendRequest{{To: f.Friend, Remark: f.Remark, Source: "AddSource_Type_Scenario"}})
		if err = snsErr(res, err); err != nil {
			return "", err
		}
		if res[0].Reason != state.SNSPending {
			return "friends", nil
		}
		if !f.Accept {
			return "request pending", nil
		}
		res, err = app.RespondFriends(f.Friend, []state.FriendResponse{{To: f.User, Accept: true}})
		return "friends", snsErr(res, err)
	case a.FriendDelete != nil:
		f := a.FriendDelete
		res, err := app.DeleteFriends(f.User, []string{f.Friend}, f.Both)
		return "unfriended", snsErr(res, err)
	case a.BlacklistAdd != nil:
		res, err := app.BlockUsers(a.BlacklistAdd.User, []string{a.BlacklistAdd.Blocks})
		return "blocked", snsErr(res, err)
	case a.BlacklistDelete != nil:
		res, err := app.UnblockUsers(a.BlacklistDelete.User, []string{a.BlacklistDelete.Blocks})
		return "unblocked", snsErr(res, err)
	}
	return "", fmt.Errorf("no action")
}

// elems turns text or wire elements into message elements.
func elems(text string, body []Elem) ([]state.Elem, error) {
	var out []state.Elem
	if text != "" {
		c, _ := json.Marshal(map[string]string{"Text": text})
		out = []state.Elem{{Type: "TIMTextElem", Content: c}}
	}
	for _, e := range body {
		c, err := json.Marshal(e.MsgContent)
		if err != nil {
			return nil, err
		}
		out = append(out, state.Elem{Type: e.MsgType, Content: c})
	}
	return out, nil
}

// checkBody checks a message's content: text, or body elements as on the wire.
func checkBody(p, text string, body []Elem) error {
	if (text == "") == (len(body) == 0) {
		return errAt(p, "give either text or body")
	}
	for i, e := range body {
		if e.MsgType == "" {
			return errAt(fmt.Sprintf("%s.body[%d].MsgType", p, i), "is required (TIMTextElem, TIMCustomElem…)")
		}
		if e.MsgContent == nil {
			return errAt(fmt.Sprintf("%s.body[%d].MsgContent", p, i), "is required (a mapping)")
		}
	}
	return nil
}
