package tim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/imharness/imharness/mockserver/state"
)

// group_open_http_svc: every command takes a session (tim-js-sdk, webim.js) or the app
// administrator's REST identity. The state enforces who may do what; handlers decode, call it and
// encode. Request bodies that are not JSON answer 10011 and wrongly typed or missing fields 10004,
// as the real group service does.

func groupRoutes(r routes) error {
	return errors.Join(
		r.add(authSessionOrAdmin, map[string]func(*Call) (any, *Error){
			"group_open_http_svc/create_group":                    bind(groupBody, createGroup),
			"group_open_http_svc/get_joined_group_list":           bind(groupBody, getJoinedGroupList),
			"group_open_http_svc/get_group_info":                  bind(groupBody, getGroupInfo),
			"group_open_http_svc/get_group_public_info":           bind(groupBody, getGroupPublicInfo),
			"group_open_http_svc/get_group_member_info":           bind(groupBody, getGroupMemberInfo),
			"group_open_http_svc/get_specified_group_member_info": bind(groupBody, getSpecifiedGroupMemberInfo),
			"group_open_http_svc/modify_group_base_info":          bind(groupBody, modifyGroupBaseInfo),
			"group_open_http_svc/add_group_member":                bind(groupBody, addGroupMember),
			"group_open_http_svc/delete_group_member":             bind(groupBody, deleteGroupMember),
			"group_open_http_svc/modify_group_member_info":        bind(groupBody, modifyGroupMemberInfo),
			"group_open_http_svc/forbid_send_msg":                 bind(groupBody, forbidSendMsg),
			"group_open_http_svc/quit_group":                      bind(groupBody, quitGroup),
			"group_open_http_svc/destroy_group":                   bind(groupBody, destroyGroup),
			"group_open_http_svc/change_group_owner":              bind(groupBody, changeGroupOwner),
			"group_open_http_svc/apply_join_group":                bind(groupBody, applyJoinGroup),
			"group_open_http_svc/handle_apply_join_group":         bind(groupBody, handleApplyJoinGroup),
			"group_open_http_svc/get_pendency":                    bind(groupBody, getGroupPendency),
			"group_open_http_svc/send_group_msg":                  bind(groupBody, sendGroupMsg),
			"group_open_http_svc/group_msg_get":                   bind(groupBody, groupMsgGet),
			"group_open_http_svc/msg_read_report":                 bind(groupBody, groupMsgReadReport),
			"group_open_http_svc/group_msg_recall":                bind(groupBody, groupMsgRecall),
			"group_open_http_svc/send_group_system_notification":  bind(groupBody, sendGroupSystemNotification),
		}),
		r.add(authSession, map[string]func(*Call) (any, *Error){
			"openim/deletemsg": deleteSystemMsg,
		}),
	)
}

// decodeGroup reads a group command's body: 10011 for broken JSON, 10004 for a field of the wrong
// type (named) or any other unusable value.
func (c *Call) decodeGroup(v any) *Error {
	body := bytes.TrimSpace(c.Body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fail(CodeGroupJSON, "body is not valid JSON: %v (offset %d)", se, se.Offset)
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "(body)"
			}
			return fail(CodeGroupBadParam, "field %s: want %s, got JSON %s", field, te.Type, te.Value)
		case errors.Is(err, errBadAccounts):
			return fail(CodeGroupBadParam, "%v", err)
		}
		return fail(CodeGroupJSON, "body is not valid JSON: %v", err)
	}
	if d.More() {
		return fail(CodeGroupJSON, "body has data after the JSON object")
	}
	return nil
}

var errBadAccounts = errors.New("want an account id, a list of ids, or a list of {Member_Account}")

// memberList is a list of accounts as the SDKs send them: a single string (webim.js
// MemberToDel_Account), a list of strings, or a list of {"Member_Account", "Role",
// "AppMemberDefinedData"} objects.
type memberList []memberIn

type memberIn struct {
	Member_Account       string
	Role                 string
	AppMemberDefinedData []kvIn
}

type kvIn struct {
	Key   string
	Value string
}

func (l *memberList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*l = nil
		return nil
	}
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = memberList{{Member_Account: one}}
		return nil
	}
	var raw []json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return fmt.Errorf("%w, got %s", errBadAccounts, clip(b))
	}
	out := make(memberList, 0, len(raw))
	for _, r := range raw {
		var m memberIn
		if json.Unmarshal(r, &one) == nil {
			m.Member_Account = one
		} else if json.Unmarshal(r, &m) != nil {
			return fmt.Errorf("%w, got %s", errBadAccounts, clip(r))
		}
		out = append(out, m)
	}
	*l = out
	return nil
}

func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

func (l memberList) ids() []string {
	out := make([]string, len(l))
	for i, m := range l {
		out[i] = m.Member_Account
	}
	return out
}

func kvsIn(kvs []kvIn) []state.KV {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]state.KV, len(kvs))
	for i, kv := range kvs {
		out[i] = state.KV{Key: kv.Key, Value: kv.Value}
	}
	return out
}

func (c *Call) op() string { return c.Session.User }

// --- create, list, read ---------------------------------------------------------------------------

type createGroupReq struct {
	GroupId         string
	Type            string
	Name            string
	Owner_Account   string
	Introduction    string
	Notification    string
	FaceUrl         string
	MaxMemberCount  int // tim-js-sdk
	MaxMemberNum    int // REST
	ApplyJoinOption string
	AppDefinedData  []kvIn
	MemberList      memberList
}

func createGroup(c *Call, req *createGroupReq) (any, error) {
	spec := state.GroupSpec{ID: req.GroupId, Type: state.GroupType(req.Type), Name: req.Name, Owner: req.Owner_Account,
		Introduction: req.Introduction, Notification: req.Notification, FaceURL: req.FaceUrl,
		MaxMemberNum: max(req.MaxMemberCount, req.MaxMemberNum), ApplyJoinOption: state.JoinOption(req.ApplyJoinOption),
		AppDefinedData: kvsIn(req.AppDefinedData)}
	for _, m := range req.MemberList {
		spec.Members = append(spec.Members, state.MemberSpec{User: m.Member_Account, Role: state.Role(m.Role),
			AppMemberDefinedData: kvsIn(m.AppMemberDefinedData)})
	}
	g, err := c.App.CreateGroup(c.op(), spec)
	if err != nil {
		return nil, err
	}
	return map[string]any{"GroupId": g.ID}, nil
}

// groupFields are the base profile fields a filter may name, in the order "all" lists them.
var groupFields = []string{"Type", "Name", "Introduction", "Notification", "FaceUrl", "Owner_Account", "CreateTime",
	"InfoSeq", "LastInfoTime", "LastMsgTime", "NextMsgSeq", "MemberNum", "MaxMemberNum", "ApplyJoinOption", "ShutUpAllMember"}

// publicGroupFields are what get_group_public_info may show.
var publicGroupFields = []string{"Type", "Name", "Introduction", "Notification", "FaceUrl", "Owner_Account", "CreateTime",
	"LastInfoTime", "LastMsgTime", "NextMsgSeq", "MemberNum", "MaxMemberNum", "ApplyJoinOption"}

func groupField(in state.GroupInfo, name string) (any, bool) {
	switch name {
	case "Type":
		return string(in.Type), true
	case "Name":
		return in.Name, true
	case "Introduction":
		return in.Introduction, true
	case "Notification":
		return in.Notification, true
	case "FaceUrl":
		return in.FaceURL, true
	case "Owner_Account":
		return in.Owner, true
	case "CreateTime":
		return in.CreateTime, true
	case "InfoSeq":
		return in.InfoSeq, true
	case "LastInfoTime":
		return in.LastInfoTime, true
	case "LastMsgTime":
		return in.LastMsgTime, true
	case "NextMsgSeq":
		return in.NextMsgSeq, true
	case "MemberNum":
		return in.MemberNum, true
	case "MaxMemberNum":
		return in.MaxMemberNum, true
	case "ApplyJoinOption":
		return string(in.ApplyJoinOption), true
	case "ShutUpAllMember":
		return onOff(in.ShutUpAll), true
	}
	return nil, false
}

// groupOut renders a profile with the fields of filter (every field when filter is nil).
func groupOut(in state.GroupInfo, filter, allowed []string) map[string]any {
	if filter == nil {
		filter = allowed
	}
	ok := map[string]bool{}
	for _, f := range allowed {
		ok[f] = true
	}
	out := map[string]any{"GroupId": in.ID}
	for _, f := range filter {
		if v, has := groupField(in, f); has && ok[f] {
			out[f] = v
		}
	}
	return out
}

// memberOut renders a member with the fields of filter (every field when filter is nil) and the
// custom fields named by custom (all when nil).
func memberOut(m state.Member, filter, custom []string, now int64) map[string]any {
	out := map[string]any{"Member_Account": m.User}
	all := filter == nil
	want := map[string]bool{}
	for _, f := range filter {
		want[f] = true
	}
	put := func(k string, v any) {
		if all || want[k] {
			out[k] = v
		}
	}
	put("Role", string(m.Role))
	put("JoinTime", m.JoinTime)
	put("MsgSeq", m.ReadSeq)
	put("MsgFlag", string(m.MsgFlag))
	put("LastSendMsgTime", m.LastSendMsgTime)
	put("NameCard", m.NameCard)
	put("ShutUpUntil", shutUpUntil(m, now))
	if kvs := filterKVs(m.AppMemberDefinedData, custom); len(kvs) > 0 {
		out["AppMemberDefinedData"] = kvsOut(kvs)
	}
	return out
}

// shutUpUntil is 0 once a mute has run out on the tenant clock.
func shutUpUntil(m state.Member, now int64) int64 {
	if m.ShutUpUntil > now {
		return m.ShutUpUntil
	}
	return 0
}

func filterKVs(kvs []state.KV, keys []string) []state.KV {
	if keys == nil {
		return kvs
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	var out []state.KV
	for _, kv := range kvs {
		if want[kv.Key] {
			out = append(out, kv)
		}
	}
	return out
}

// selfOut is the SelfInfo object: the caller's own membership.
func selfOut(m state.Member, unread int, filter []string, now int64) map[string]any {
	out := map[string]any{}
	all := filter == nil
	want := map[string]bool{}
	for _, f := range filter {
		want[f] = true
	}
	put := func(k string, v any) {
		if all || want[k] {
			out[k] = v
		}
	}
	put("Role", string(m.Role))
	put("JoinTime", m.JoinTime)
	put("MsgFlag", string(m.MsgFlag))
	put("NameCard", m.NameCard)
	put("ShutUpUntil", shutUpUntil(m, now))
	put("UnreadMsgNum", unread)
	put("MsgSeq", m.ReadSeq)
	return out
}

// whose is the account a per-user query is about: the caller's own, unless the caller is root.
func (c *Call) whose(named, field string) (string, *Error) {
	switch {
	case named == "" && c.Admin:
		return "", fail(CodeGroupBadParam, "%s is missing", field)
	case named == "" || named == c.op():
		return c.op(), nil
	case c.op() == c.App.Admin():
		return named, nil
	}
	return "", fail(CodeGroupNoPermission, "%s %q is not the logged-in user %q", field, named, c.op())
}

type getJoinedGroupListFilters struct {
	GroupBaseInfoFilter []string
	SelfInfoFilter      []string
}

type getJoinedGroupListReq struct {
	Member_Account            string
	Limit                     int
	Offset                    int
	GroupType                 string
	WithHugeGroups            int
	ResponseFilter            *getJoinedGroupListFilters
	getJoinedGroupListFilters // webim.js 1.x sends the filters at the top level
}

func getJoinedGroupList(c *Call, req *getJoinedGroupListReq) (any, error) {
	user, e := c.whose(req.Member_Account, "Member_Account")
	if e != nil {
		return nil, e
	}
	f := req.getJoinedGroupListFilters
	if req.ResponseFilter != nil {
		f = *req.ResponseFilter
	}
	now := c.App.Now().Unix()
	var list []map[string]any
	for _, jg := range c.App.JoinedGroups(user) {
		if req.GroupType != "" && string(jg.Type) != req.GroupType {
			continue
		}
		if jg.Type == state.GroupAVChatRoom && req.WithHugeGroups != 1 && req.GroupType != string(state.GroupAVChatRoom) {
			continue // the real service lists AVChatRooms only when asked
		}
		// Without a filter the real service answers bare group ids.
		g := groupOut(jg.GroupInfo, emptyIfNil(f.GroupBaseInfoFilter), groupFields)
		if len(f.SelfInfoFilter) > 0 {
			g["SelfInfo"] = selfOut(jg.Self, jg.Unread, f.SelfInfoFilter, now)
		}
		list = append(list, g)
	}
	total := len(list)
	list = page(list, req.Offset, req.Limit)
	if list == nil {
		list = []map[string]any{}
	}
	return map[string]any{"TotalCount": total, "GroupIdList": list}, nil
}

func emptyIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// page cuts a list by Offset/Limit (Limit <= 0: no limit).
func page[T any](list []T, offset, limit int) []T {
	if offset < 0 {
		offset = 0
	}
	if offset >= len(list) {
		return nil
	}
	list = list[offset:]
	if limit > 0 && limit < len(list) {
		list = list[:limit]
	}
	return list
}

const maxGroupsPerQuery = 50

func groupIDList(ids []string) *Error {
	if len(ids) == 0 || len(ids) > maxGroupsPerQuery {
		return fail(CodeGroupBadParam, "GroupIdList must name 1 to %d groups, got %d", maxGroupsPerQuery, len(ids))
	}
	return nil
}

// groupErrorItem is a per-group failure inside a GroupInfo list.
func groupErrorItem(id string, err error) map[string]any {
	e := asError(err)
	return map[string]any{"GroupId": id, "ErrorCode": e.Code, "ErrorInfo": e.Info}
}

type getGroupInfoFilters struct {
	GroupBaseInfoFilter              []string
	MemberInfoFilter                 []string
	AppDefinedDataFilter_Group       []string
	AppDefinedDataFilter_GroupMember []string
}

type getGroupInfoReq struct {
	GroupIdList         []string
	ResponseFilter      *getGroupInfoFilters
	getGroupInfoFilters // webim.js 1.x sends the filters at the top level
}

func getGroupInfo(c *Call, req *getGroupInfoReq) (any, error) {
	if e := groupIDList(req.GroupIdList); e != nil {
		return nil, e
	}
	f := req.getGroupInfoFilters
	if req.ResponseFilter != nil {
		f = *req.ResponseFilter
	}
	now := c.App.Now().Unix()
	out := []map[string]any{}
	for _, id := range req.GroupIdList {
		in, self, err := c.App.Group(c.op(), id)
		if err != nil {
			out = append(out, groupErrorItem(id, err))
			continue
		}
		g := groupOut(in, f.GroupBaseInfoFilter, groupFields)
		g["ErrorCode"], g["ErrorInfo"] = 0, ""
		g["AppDefinedData"] = kvsOut(filterKVs(in.AppDefinedData, f.AppDefinedDataFilter_Group))
		if self != nil {
			g["SelfInfo"] = selfOut(*self, 0, nil, now)
		}
		if f.MemberInfoFilter != nil {
			if members, err := c.App.GroupMembers(c.op(), id); err == nil {
				list := make([]map[string]any, len(members))
				for i, m := range members {
					list[i] = memberOut(m, f.MemberInfoFilter, f.AppDefinedDataFilter_GroupMember, now)
				}
				g["MemberList"] = list
			}
		}
		out = append(out, g)
	}
	return map[string]any{"GroupInfo": out}, nil
}

type getGroupPublicInfoReq struct {
	GroupIdList               []string
	ResponseFilter            *struct{ GroupBasePublicInfoFilter []string }
	GroupBasePublicInfoFilter []string // webim.js 1.x
}

func getGroupPublicInfo(c *Call, req *getGroupPublicInfoReq) (any, error) {
	if e := groupIDList(req.GroupIdList); e != nil {
		return nil, e
	}
	filter := req.GroupBasePublicInfoFilter
	if req.ResponseFilter != nil {
		filter = req.ResponseFilter.GroupBasePublicInfoFilter
	}
	out := []map[string]any{}
	for _, id := range req.GroupIdList {
		in, _, err := c.App.Group(c.op(), id)
		if err != nil {
			out = append(out, groupErrorItem(id, err))
			continue
		}
		g := groupOut(in, filter, publicGroupFields)
		g["ErrorCode"], g["ErrorInfo"] = 0, ""
		out = append(out, g)
	}
	return map[string]any{"GroupInfo": out}, nil
}

type getGroupMemberInfoReq struct {
	GroupId                          string
	Limit                            int
	Offset                           int
	MemberInfoFilter                 []string
	MemberRoleFilter                 []string
	AppDefinedDataFilter_GroupMember []string
}

func getGroupMemberInfo(c *Call, req *getGroupMemberInfoReq) (any, error) {
	members, err := c.App.GroupMembers(c.op(), req.GroupId)
	if err != nil {
		return nil, err
	}
	roles := map[string]bool{}
	for _, r := range req.MemberRoleFilter {
		roles[r] = true
	}
	now := c.App.Now().Unix()
	var list []map[string]any
	for _, m := range members {
		if len(roles) == 0 || roles[string(m.Role)] {
			list = append(list, memberOut(m, req.MemberInfoFilter, req.AppDefinedDataFilter_GroupMember, now))
		}
	}
	list = page(list, req.Offset, req.Limit)
	if list == nil {
		list = []map[string]any{}
	}
	return map[string]any{"MemberNum": len(members), "MemberList": list}, nil
}

type getSpecifiedGroupMemberInfoReq struct {
	GroupId                          string
	Member_List_Account              []string
	MemberInfoFilter                 []string
	AppDefinedDataFilter_GroupMember []string
}

func getSpecifiedGroupMemberInfo(c *Call, req *getSpecifiedGroupMemberInfoReq) (any, error) {
	if len(req.Member_List_Account) == 0 {
		return nil, fail(CodeGroupBadParam, "Member_List_Account is empty")
	}
	members, err := c.App.GroupMembers(c.op(), req.GroupId)
	if err != nil {
		return nil, err
	}
	byID := map[string]state.Member{}
	for _, m := range members {
		byID[m.User] = m
	}
	now := c.App.Now().Unix()
	list := []map[string]any{}
	for _, u := range req.Member_List_Account {
		if m, ok := byID[u]; ok {
			list = append(list, memberOut(m, req.MemberInfoFilter, req.AppDefinedDataFilter_GroupMember, now))
		}
	}
	return map[string]any{"MemberList": list}, nil
}

// --- changing the group -----------------------------------------------------------------------------

type modifyGroupBaseInfoReq struct {
	GroupId         string
	Name            *string
	Introduction    *string
	Notification    *string
	FaceUrl         *string
	MaxMemberNum    *int
	MaxMemberCount  *int // tim-js-sdk
	ApplyJoinOption *string
	ShutUpAllMember *string
	AppDefinedData  []kvIn
}

func modifyGroupBaseInfo(c *Call, req *modifyGroupBaseInfoReq) (any, error) {
	ch := state.GroupChange{Name: req.Name, Introduction: req.Introduction, Notification: req.Notification,
		FaceURL: req.FaceUrl, MaxMemberNum: req.MaxMemberNum, AppDefinedData: kvsIn(req.AppDefinedData)}
	if req.MaxMemberCount != nil {
		ch.MaxMemberNum = req.MaxMemberCount
	}
	if req.ApplyJoinOption != nil {
		o := state.JoinOption(*req.ApplyJoinOption)
		ch.ApplyJoinOption = &o
	}
	if s := req.ShutUpAllMember; s != nil {
		if *s != "On" && *s != "Off" {
			return nil, fail(CodeGroupBadParam, "ShutUpAllMember %q is not On or Off", *s)
		}
		on := *s == "On"
		ch.ShutUpAll = &on
	}
	if _, err := c.App.ModifyGroup(c.op(), req.GroupId, ch); err != nil {
		return nil, err
	}
	return nil, nil
}

type addGroupMemberReq struct {
	GroupId    string
	MemberList memberList
	Silence    int
}

func addGroupMember(c *Call, req *addGroupMemberReq) (any, error) {
	res, err := c.App.AddMembers(c.op(), req.GroupId, req.MemberList.ids(), req.Silence == 1)
	if err != nil {
		return nil, err
	}
	type result struct {
		Member_Account string `json:"Member_Account"`
		Result         int    `json:"Result"`
	}
	list := make([]result, len(res))
	for i, r := range res {
		list[i] = result{r.User, r.Result}
	}
	return map[string]any{"MemberList": list}, nil
}

type deleteGroupMemberReq struct {
	GroupId             string
	MemberToDel_Account memberList
	Silence             int
	Reason              string
}

func deleteGroupMember(c *Call, req *deleteGroupMemberReq) (any, error) {
	return nil, c.App.RemoveMembers(c.op(), req.GroupId, req.MemberToDel_Account.ids(), req.Reason, req.Silence == 1)
}

type modifyGroupMemberInfoReq struct {
	GroupId              string
	Member_Account       string
	Role                 *string
	MsgFlag              *string
	NameCard             *string
	ShutUpTime           *int64
	AppMemberDefinedData []kvIn
}

func modifyGroupMemberInfo(c *Call, req *modifyGroupMemberInfoReq) (any, error) {
	ch := state.MemberChange{NameCard: req.NameCard, ShutUpSeconds: req.ShutUpTime,
		AppMemberDefinedData: kvsIn(req.AppMemberDefinedData)}
	if req.Role != nil {
		r := state.Role(*req.Role)
		ch.Role = &r
	}
	if req.MsgFlag != nil {
		f := state.MsgFlag(*req.MsgFlag)
		ch.MsgFlag = &f
	}
	if _, err := c.App.ModifyMember(c.op(), req.GroupId, req.Member_Account, ch); err != nil {
		return nil, err
	}
	return nil, nil
}

type forbidSendMsgReq struct {
	GroupId         string
	Members_Account memberList
	ShutUpTime      *int64
}

func forbidSendMsg(c *Call, req *forbidSendMsgReq) (any, error) {
	if req.ShutUpTime == nil {
		return nil, fail(CodeGroupBadParam, "ShutUpTime is missing")
	}
	return nil, c.App.MuteMembers(c.op(), req.GroupId, req.Members_Account.ids(), *req.ShutUpTime)
}

type groupIDReq struct{ GroupId string }

func quitGroup(c *Call, req *groupIDReq) (any, error) {
	return nil, c.App.QuitGroup(c.op(), req.GroupId)
}

func destroyGroup(c *Call, req *groupIDReq) (any, error) {
	return nil, c.App.DestroyGroup(c.op(), req.GroupId)
}

type changeGroupOwnerReq struct {
	GroupId          string
	NewOwner_Account string
}

func changeGroupOwner(c *Call, req *changeGroupOwnerReq) (any, error) {
	return nil, c.App.ChangeOwner(c.op(), req.GroupId, req.NewOwner_Account)
}

// --- applications ---------------------------------------------------------------------------------

type applyJoinGroupReq struct {
	GroupId          string
	ApplyMsg         string
	UserDefinedField string
}

func applyJoinGroup(c *Call, req *applyJoinGroupReq) (any, error) {
	joined, err := c.App.ApplyJoin(c.op(), req.GroupId, req.ApplyMsg, req.UserDefinedField)
	if err != nil {
		return nil, err
	}
	status := "WaitAdminApproval"
	if joined {
		status = "JoinedSuccess"
	}
	reply := map[string]any{"JoinedStatus": status}
	if joined {
		c.roomKeyFor(req.GroupId, reply)
	}
	return reply, nil
}

type handleApplyJoinGroupReq struct {
	GroupId           string
	Applicant_Account string
	HandleMsg         string
	ApprovalMsg       string
	Authentication    string
	MsgKey            string
	UserDefinedField  string
}

func handleApplyJoinGroup(c *Call, req *handleApplyJoinGroupReq) (any, error) {
	if req.HandleMsg != "Agree" && req.HandleMsg != "Reject" {
		return nil, fail(CodeGroupBadParam, "HandleMsg %q is not Agree or Reject", req.HandleMsg)
	}
	err := c.App.HandleApplication(c.op(), req.GroupId, req.Applicant_Account, req.HandleMsg == "Agree",
		req.ApprovalMsg, req.Authentication, req.MsgKey)
	if err != nil {
		return nil, err
	}
	return nil, nil
}

// getGroupPendency lists the join applications the user handles, all in one page: tim-js-sdk
// pages on as long as NextStartTime is not 0, and deletes the notices of handled ones.
type getGroupPendencyReq struct {
	StartTime      int64
	Limit          int
	Handle_Account string
}

func getGroupPendency(c *Call, req *getGroupPendencyReq) (any, error) {
	user, e := c.whose(req.Handle_Account, "Handle_Account")
	if e != nil {
		return nil, e
	}
	list := []map[string]any{}
	unread := 0
	for _, p := range c.App.Pendencies(user) {
		handled, result := 0, 0
		if p.Handled {
			handled, result = 1, 2
			if p.Approved {
				result = 1
			}
		} else {
			unread++
		}
		list = append(list, map[string]any{"GroupId": p.GroupID, "From_Account": p.Applicant, "To_Account": user,
			"Pendency_Type": "apply", "AddTime": p.Time, "ApplyInviteMsg": p.Message, "UserDefinedField": p.UserDefinedField,
			"Authentication": p.Authentication, "MsgKey": p.MsgKey, "Handled": handled, "HandleResult": result})
	}
	return map[string]any{"PendencyList": list, "NextStartTime": 0, "TotalPendencyNum": len(list),
		"UnReadPendencyCount": unread}, nil
}

// --- messages -------------------------------------------------------------------------------------

type sendGroupMsgReq struct {
	GroupId         string
	From_Account    string
	Random          uint32
	ClientSeq       uint64
	MsgPriority     json.RawMessage // tim-js-sdk: "High"…; webim.js: "COMMON"…; REST: string
	MsgBody         []MsgElem
	OnlineOnlyFlag  int
	CloudCustomData string
	MsgClientTime   int64 // the WebSocket generation's client time
}

func sendGroupMsg(c *Call, req *sendGroupMsgReq) (any, error) {
	if req.GroupId == "" {
		return nil, fail(CodeGroupBadParam, "GroupId is missing")
	}
	body, e := elemsIn(req.MsgBody)
	if e != nil {
		return nil, e
	}
	prio, e := stringish(req.MsgPriority, "MsgPriority")
	if e != nil {
		return nil, fail(CodeGroupBadParam, "%s", e.Info)
	}
	if e := beforeSendGroupMsg(c, req, body); e != nil {
		return nil, e
	}
	m, err := c.App.SendGroupMessage(c.op(), state.GroupMessage{GroupID: req.GroupId, From: req.From_Account,
		Random: req.Random, ClientSeq: req.ClientSeq, ClientTime: req.MsgClientTime, Priority: prio, Body: body, OnlineOnly: req.OnlineOnlyFlag == 1, CloudCustomData: req.CloudCustomData})
	if err != nil {
		return nil, err
	}
	return map[string]any{"MsgSeq": m.Seq, "MsgTime": m.Time}, nil
}

type groupMsgGetReq struct {
	GroupId         string
	ReqMsgSeq       uint64
	ReqMsgNumber    int
	WithRecalledMsg int
}

func groupMsgGet(c *Call, req *groupMsgGetReq) (any, error) {
	p, err := c.App.GroupHistory(c.op(), req.GroupId, req.ReqMsgSeq, req.ReqMsgNumber)
	if err != nil {
		return nil, err
	}
	list := make([]GroupMsg, len(p.Items))
	for i, it := range p.Items {
		list[i] = historyOut(it, req.WithRecalledMsg == 1)
	}
	finished := 0
	if p.Finished {
		finished = 1
	}
	// NextSequence is where the next page starts: @tencentcloud/chat 3.x pages by it and stops
	// below 1, whatever IsFinished says.
	next := uint64(0)
	for _, m := range list {
		if next == 0 || m.MsgSeq-1 < next {
			next = m.MsgSeq - 1
		}
	}
	return map[string]any{"GroupId": req.GroupId, "IsFinished": finished, "NextSequence": next, "RspMsgList": list}, nil
}

type groupMsgReadReportReq struct {
	GroupId      string
	MsgReadedSeq uint64
}

func groupMsgReadReport(c *Call, req *groupMsgReadReportReq) (any, error) {
	return nil, c.App.MarkGroupRead(c.op(), req.GroupId, req.MsgReadedSeq)
}

type groupMsgRecallReq struct {
	GroupId    string
	MsgSeqList []struct{ MsgSeq uint64 }
}

func groupMsgRecall(c *Call, req *groupMsgRecallReq) (any, error) {
	seqs := make([]uint64, len(req.MsgSeqList))
	for i, s := range req.MsgSeqList {
		seqs[i] = s.MsgSeq
	}
	res, err := c.App.RecallGroupMessages(c.op(), req.GroupId, seqs)
	if err != nil {
		return nil, err
	}
	type ret struct {
		MsgSeq  uint64 `json:"MsgSeq"`
		RetCode int    `json:"RetCode"`
	}
	list := make([]ret, len(res))
	for i, r := range res {
		list[i] = ret{r.Seq, codeOf(r.Reason)}
	}
	return map[string]any{"RecallRetList": list}, nil
}

type sendGroupSystemNotificationReq struct {
	GroupId           string
	ToMembers_Account memberList
	Content           string
}

func sendGroupSystemNotification(c *Call, req *sendGroupSystemNotificationReq) (any, error) {
	return nil, c.App.SendCustomNotice(c.op(), req.GroupId, req.ToMembers_Account.ids(), req.Content)
}

// deleteSystemMsg removes handled group system notices (tim-js-sdk after handleGroupApplication,
// webim.js deleteApplyJoinGroupPendency).
func deleteSystemMsg(c *Call) (any, *Error) {
	var req struct {
		DelMsgList []struct {
			From_Account string
			MsgSeq       uint64
			MsgRandom    uint32
		}
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	if len(req.DelMsgList) == 0 {
		return nil, fail(CodeMissingField, "DelMsgList is empty")
	}
	keys := make([]state.NoticeKey, len(req.DelMsgList))
	for i, d := range req.DelMsgList {
		keys[i] = state.NoticeKey{Seq: d.MsgSeq, Random: d.MsgRandom}
	}
	c.App.DeleteNotices(c.op(), keys)
	return nil, nil
}
