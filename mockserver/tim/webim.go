package tim

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/imharness/imharness/mockserver/state"
)

// Commands only the legacy webim.js 1.x generation sends (its login chain's quality report, group
// calls tim-js-sdk 2.x never makes), and its long-poll events: Event 1 (new C2C messages, fetch
// them with getmsg), Event 7 (relationship chain) and Event 8 (profile changes).

func webimRoutes(r routes) error {
	return errors.Join(
		r.add(authApp, map[string]func(*Call) (any, *Error){
			"imopenstat/web_report": telemetry, // webim.js 1.7 reports login quality; a failure is ignored
		}),
		r.add(authSessionOrAdmin, map[string]func(*Call) (any, *Error){
			"group_open_http_svc/get_role_in_group":        bind(groupBody, getRoleInGroup),
			"group_open_http_svc/search_group":             bind(groupBody, searchGroup),
			"group_open_http_svc/handle_invite_join_group": bind(groupBody, handleInviteJoinGroup),
			"group_open_http_svc/report_pendency":          bind(groupBody, reportGroupPendency),
		}),
	)
}

const eventC2CNotify1 = 1 // "new C2C messages": the client syncs with getmsg

// Long-poll events of the relationship chain and profiles.
const (
	eventFriend  = 7
	eventProfile = 8
)

// legacyEventOut renders the events webim.js 1.x reads and the group renderer does not know.
func legacyEventOut(e state.Event) ([]byte, bool) {
	var v any
	switch {
	case e.Kind == state.EvFriend && e.Friend != nil:
		v = map[string]any{"Event": eventFriend, "FriendListMod": []any{friendNoticeOut(*e.Friend, e.Seq)}}
	case e.Kind == state.EvProfile && e.Profile != nil:
		items := make([]profileItem, len(e.Profile.Items))
		for i, it := range e.Profile.Items {
			items[i] = profileOut(it)
		}
		v = map[string]any{"Event": eventProfile, "ProfileDataMod": []any{map[string]any{
			"PushType": 1, "NoticeSeq": e.Seq, "Profile_Account": e.Profile.User, "ProfileList": items}}}
	default:
		return nil, false
	}
	raw, err := json.Marshal(v)
	return raw, err == nil
}

// c2cNotifyOut is Event 1: only the watermark, in NotifySeq (the client keeps it apart from
// NoticeSeq and sends it back in Cookie.NotifySeq).
func c2cNotifyOut(e state.Event) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{"Event": eventC2CNotify1, "NotifySeq": e.Seq})
	return raw
}

// friendPushType is the PushType of each kind of relationship-chain notice.
var friendPushType = map[state.FriendNoticeKind]int{
	state.FriendAdded: 1, state.FriendDeleted: 2, state.PendencyAdded: 3, state.PendencyDeleted: 4,
	state.BlackAdded: 5, state.BlackDeleted: 6,
}

// friendNoticeOut is one FriendListMod item. Each PushType carries its accounts under its own key
// (webim.js reads exactly these, the misspelt FrienPencydDel_Account included).
func friendNoticeOut(n state.FriendNotice, seq uint64) map[string]any {
	out := map[string]any{"PushType": friendPushType[n.Kind], "NoticeSeq": seq}
	users := n.Users
	if users == nil {
		users = []string{}
	}
	switch n.Kind {
	case state.FriendAdded:
		out["FriendAdd_Account"] = users
	case state.FriendDeleted:
		out["FriendDel_Account"] = users
	case state.PendencyAdded:
		list := make([]map[string]any, len(n.Pendencies))
		for i, p := range n.Pendencies {
			list[i] = map[string]any{"PendencyAdd_Account": p.From, "ProfileImNick": p.Nick,
				"AddSource": p.Source, "AddWording": p.Wording}
		}
		out["PendencyAdd"] = list
	case state.PendencyDeleted:
		out["FrienPencydDel_Account"] = users
	case state.BlackAdded:
		out["BlackListAdd_Account"] = users
	case state.BlackDeleted:
		out["BlackListDel_Account"] = users
	}
	return out
}

type getRoleInGroupReq struct {
	GroupId      string
	User_Account []string
}

// getRoleInGroup answers each account's role; accounts outside the group are "NotMember".
func getRoleInGroup(c *Call, req *getRoleInGroupReq) (any, error) {
	if req.GroupId == "" {
		return nil, fail(CodeGroupBadParam, "GroupId is missing")
	}
	if len(req.User_Account) == 0 {
		return nil, fail(CodeGroupBadParam, "User_Account is empty")
	}
	members, err := c.App.GroupMembers(c.op(), req.GroupId)
	if err != nil {
		return nil, err
	}
	roles := map[string]state.Role{}
	for _, m := range members {
		roles[m.User] = m.Role
	}
	type role struct {
		Member_Account string `json:"Member_Account"`
		Role           string `json:"Role"`
	}
	out := make([]role, 0, len(req.User_Account))
	for _, u := range req.User_Account {
		r := string(roles[u])
		if r == "" {
			r = "NotMember"
		}
		out = append(out, role{u, r})
	}
	return map[string]any{"UserIdList": out}, nil
}

type searchGroupReq struct {
	Content        string
	PageNum        int
	GroupPerPage   int
	ResponseFilter *struct{ GroupBasePublicInfoFilter []string }
}

// searchGroup finds Public and ChatRoom groups whose name contains Content (Private groups and
// AVChatRooms are not searchable), in creation order, one page of GroupPerPage from PageNum.
func searchGroup(c *Call, req *searchGroupReq) (any, error) {
	if strings.TrimSpace(req.Content) == "" {
		return nil, fail(CodeGroupBadParam, "Content (the name to search) is missing")
	}
	if req.PageNum < 0 || req.GroupPerPage < 0 {
		return nil, fail(CodeGroupBadParam, "PageNum and GroupPerPage must not be negative")
	}
	per := req.GroupPerPage
	if per == 0 {
		per = 20
	}
	var filter []string
	if req.ResponseFilter != nil {
		filter = req.ResponseFilter.GroupBasePublicInfoFilter
	}
	var found []map[string]any
	for _, id := range c.App.GroupIDs() {
		in, _, err := c.App.Group(c.op(), id)
		if err != nil || (in.Type != state.GroupPublic && in.Type != state.GroupChatRoom) || !strings.Contains(in.Name, req.Content) {
			continue
		}
		g := groupOut(in, filter, publicGroupFields)
		g["ErrorCode"], g["ErrorInfo"] = 0, ""
		found = append(found, g)
	}
	return map[string]any{"TotalCount": len(found), "GroupInfo": emptyIfNilMaps(page(found, req.PageNum*per, per))}, nil
}

func emptyIfNilMaps(l []map[string]any) []map[string]any {
	if l == nil {
		return []map[string]any{}
	}
	return l
}

type handleInviteJoinGroupReq struct {
	GroupId         string
	Inviter_Account string
	HandleMsg       string
	Authentication  string
	MsgKey          string
}

// handleInviteJoinGroup answers an invitation that needs the invitee's consent (notice 12). This
// server adds invitees at once (notice 7), so no such invitation ever waits: every answer is
// refused with the group service's bad-parameter code, naming why.
func handleInviteJoinGroup(c *Call, req *handleInviteJoinGroupReq) (any, error) {
	if req.GroupId == "" || req.Inviter_Account == "" {
		return nil, fail(CodeGroupBadParam, "GroupId and Inviter_Account are required")
	}
	if req.HandleMsg != "Agree" && req.HandleMsg != "Reject" {
		return nil, fail(CodeGroupBadParam, "HandleMsg %q is not Agree or Reject", req.HandleMsg)
	}
	if _, _, err := c.App.Group(c.op(), req.GroupId); err != nil {
		return nil, err
	}
	return nil, fail(CodeGroupBadParam, "no invitation from %q to group %q waits for %q's answer (this server adds invitees directly)",
		req.Inviter_Account, req.GroupId, c.op())
}

type reportGroupPendencyReq struct {
	ReportTime   int64
	From_Account string
}

// reportGroupPendency marks the join applications seen (webim.getPendencyGroupRead). The fake keeps
// no read mark on applications: get_pendency counts the unhandled ones as unread.
func reportGroupPendency(c *Call, req *reportGroupPendencyReq) (any, error) {
	if _, e := c.whose(req.From_Account, "From_Account"); e != nil {
		return nil, e
	}
	return nil, nil
}
