package jim

import (
	"errors"
	"strings"

	"github.com/imharness/imharness/mockserver/state"
)

// routes is the event catalogue: every request event the SDK generations emit. v1 and v2 names
// of one operation share a handler.
var routes map[string]route

// afterReply runs once the reply is out (pushes that must follow it).
var afterReply map[string]func(*call, map[string]any)

func init() {
	login := route{login, needInit}
	routes = map[string]route{
		"c_init":   {cInit, needNothing},
		"register": {register, needInit},
		"login":    login,

		"get_user_info":        {getUserInfo, needLogin},
		"get_across_user_info": {getUserInfo, needLogin},
		"update_user_inf":      {updateUser, needLogin},
		"update_user_pwd":      {updatePassword, needLogin},

		"s_single_text":        {sendSingle, needLogin},
		"s_across_single_text": {sendSingle, needLogin},
		"send_group_msg":       {sendGroup, needLogin},
		"msg_retract":          {retract, needLogin},
		"get_upload_token":     {uploadToken, needLogin},
		"get_resource":         {getResource, needLogin},
		"sync_check":           {syncCheck, needLogin},
		"sync_event_check":     {syncCheck, needLogin},
		"receipt_report":       {nothing, needLogin},
		"unread_group_count":   {unreadCount, needLogin},
		"unread_single_count":  {unreadCount, needLogin},

		"create_group":            {createGroup, needLogin},
		"get_groups_list":         {groupList, needLogin},
		"get_group_info":          {groupInfo, needLogin},
		"get_group_members":       {groupMembers, needLogin},
		"add_group_member":        {addMembers, needLogin},
		"add_across_group_member": {addMembers, needLogin},
		"del_group_member":        {delMembers, needLogin},
		"del_across_group_member": {delMembers, needLogin},
		"update_group_info":       {updateGroup, needLogin},
		"exit_group":              {exitGroup, needLogin},

		"get_conversations": {conversations, needLogin},

		"no_disturb":                   {noDisturb, needLogin},
		"add_msg_no_disturb_single":    {setNoDisturb(state.NoDisturbUser, true), needLogin},
		"delete_msg_no_disturb_single": {setNoDisturb(state.NoDisturbUser, false), needLogin},
		"add_msg_no_disturb_group":     {setNoDisturb(state.NoDisturbGroup, true), needLogin},
		"delete_msg_no_disturb_group":  {setNoDisturb(state.NoDisturbGroup, false), needLogin},
		"add_msg_no_disturb_global":    {setNoDisturb(state.NoDisturbGlobal, true), needLogin},
		"delete_msg_no_disturb_global": {setNoDisturb(state.NoDisturbGlobal, false), needLogin},
		"get_black_list":               {blackList, needLogin},
		"add_black_list":               {editBlackList(true), needLogin},
		"del_black_list":               {editBlackList(false), needLogin},
		"get_friend_list":              {friendList, needLogin},
		"list_shield_group":            {emptyGroupList, needLogin},
		"public_group_list":            {emptyGroupList, needLogin},
		"room_list":                    {emptyRoomList, needLogin},
		"room_list_self":               {emptyRoomList, needLogin},
	}
	// The rest of the 2.x catalogue is answered in the envelope with "not supported here", never
	// left unanswered (v2 would resend it five times and then time out).
	for _, ev := range []string{"add_friend", "del_friend", "update_friend_memo", "add_msg_shield_group",
		"del_msg_shield_group", "msg_unread_list", "trans_msg_single", "trans_msg_group", "trans_msg_platform",
		"join_room", "exit_room", "room_info", "send_room_msg", "room_msg_sync_his", "admin_add_group_member",
		"apply_join_group", "group_mem_silence", "dissolve_group", "add_group_keeper", "del_group_keeper",
		"change_group_admin"} {
		routes[ev] = route{unsupported, needLogin}
	}
	afterReply = map[string]func(*call, map[string]any){
		"login":      afterLogin,
		"sync_check": afterSyncCheck,
	}
}

func nothing(*call) (map[string]any, error) { return map[string]any{}, nil }

func unsupported(x *call) (map[string]any, error) {
	return nil, errf(CodeUnknown, "%s is not supported by this server", x.ev)
}

func unreadCount(*call) (map[string]any, error) { return map[string]any{"count": 0}, nil }

func emptyGroupList(*call) (map[string]any, error) { return map[string]any{"group_list": []any{}}, nil }

func emptyRoomList(*call) (map[string]any, error) {
	return map[string]any{"result": map[string]any{"rooms": []any{}, "total": 0}}, nil
}

// target resolves a (username, appkey) pair to its app.
func (x *call) target(user, key string) (*state.App, string, error) {
	if key == "" {
		key = x.key
	}
	app := x.app
	if key != x.key {
		app, _ = x.c.a.apps.AppByKey(key)
	}
	if app == nil || user == "" || !app.HasUser(user) {
		return nil, key, errf(CodeTargetNotExist, "user %q does not exist in %s", user, appName(x.key, key))
	}
	return app, key, nil
}

// getUserInfo serves get_user_info {key} (v1) and get_across_user_info {username|key, appkey}.
func getUserInfo(x *call) (map[string]any, error) {
	user := str(x.req, "username", "key")
	app, key, err := x.target(user, str(x.req, "appkey"))
	if err != nil {
		return nil, errf(CodeUserNotExist, "user %q does not exist in %s", user, appName(x.key, key))
	}
	ui, err := app.JIMUser(user)
	if err != nil {
		return nil, err
	}
	return map[string]any{"user_info": userInfo(ui, key)}, nil
}

// userFields are the profile fields update_user_inf sets, by JMessage's names.
var userFields = map[string]state.ProfileField{"nickname": state.FieldNick, "avatar": state.FieldAvatar,
	"signature": state.FieldSelfSignature, "region": state.FieldLocation}

func updateUser(x *call) (map[string]any, error) {
	var items []state.ProfileItem
	for k, f := range userFields {
		if v, ok := x.req[k].(string); ok {
			items = append(items, state.ProfileItem{Field: f, Value: v})
		}
	}
	if len(items) == 0 {
		return nil, errf(CodeInvalidParam, "update_user_inf changes nothing")
	}
	return map[string]any{}, x.app.SetProfile(x.user, items)
}

func updatePassword(x *call) (map[string]any, error) {
	old, nw := strings.ToLower(str(x.req, "old_pwd")), strings.ToLower(str(x.req, "new_pwd"))
	if nw == "" {
		return nil, errf(CodeInvalidParam, "update_user_pwd needs new_pwd")
	}
	if err := x.app.CheckPassword(x.user, old); err != nil {
		return nil, errf(CodeWrongPassword, "old_pwd is wrong")
	}
	x.app.SetPassword(x.user, nw)
	return map[string]any{}, nil
}

func conversations(x *call) (map[string]any, error) {
	out := []any{}
	for _, c := range x.app.JIMConvs(x.user) {
		e := map[string]any{"type": msgType(c.Type), "mtime": c.MTime, "utime": c.MTime, "avatar": ""}
		if c.Type == state.ConvGroup {
			e["key"], e["gid"], e["name"], e["appkey"] = gidNum(c.Key), gidNum(c.Key), "", x.key
			if g, _, err := x.app.Group(x.user, c.Key); err == nil {
				e["name"], e["avatar"] = g.Name, g.FaceURL
			}
		} else {
			e["key"], e["username"], e["appkey"], e["nickname"], e["name"] = c.Key, c.Key, c.AppKey, "", c.Key
			if app, _, err := x.target(c.Key, c.AppKey); err == nil {
				if ui, err := app.JIMUser(c.Key); err == nil {
					e["nickname"], e["avatar"] = ui.Nick, ui.Avatar
					if ui.Nick != "" {
						e["name"] = ui.Nick
					}
				}
			}
		}
		out = append(out, e)
	}
	return map[string]any{"conversations": out}, nil
}

func noDisturb(x *call) (map[string]any, error) {
	nd := x.app.NoDisturbOf(x.user)
	users, groups := []any{}, []any{}
	for _, id := range nd.Users {
		m := fromLocal(x.key, id)
		e := map[string]any{"username": m.User, "appkey": m.AppKey, "nickname": ""}
		if app, _, err := x.target(m.User, m.AppKey); err == nil {
			if ui, err := app.JIMUser(m.User); err == nil {
				e["nickname"] = ui.Nick
			}
		}
		users = append(users, e)
	}
	for _, gid := range nd.Groups {
		e := map[string]any{"gid": gidNum(gid), "appkey": x.key, "name": "", "desc": ""}
		if g, _, err := x.app.Group(x.user, gid); err == nil {
			e["name"], e["desc"] = g.Name, g.Introduction
		}
		groups = append(groups, e)
	}
	global := 0
	if nd.Global {
		global = 1
	}
	return map[string]any{"no_disturb": map[string]any{"global": global, "users": users, "groups": groups}}, nil
}

func setNoDisturb(kind string, on bool) handler {
	codes := map[string][2]int{
		state.NoDisturbUser:   {CodeUserNDAlready, CodeUserNDNotSet},
		state.NoDisturbGroup:  {CodeGroupNDAlready, CodeGroupNDNotSet},
		state.NoDisturbGlobal: {CodeGlobalNDAlready, CodeGlobalNDNotSet},
	}[kind]
	return func(x *call) (map[string]any, error) {
		key := ""
		switch kind {
		case state.NoDisturbUser:
			user := str(x.req, "target_name")
			_, appKey, err := x.target(user, str(x.req, "appkey"))
			if err != nil {
				return nil, err
			}
			key = localID(x.key, member{User: user, AppKey: appKey})
		case state.NoDisturbGroup:
			key = str(x.req, "gid")
			if _, _, err := x.app.Group(x.user, key); err != nil {
				return nil, groupErr(err, CodeNotInGroup)
			}
		}
		switch err := x.app.SetNoDisturb(x.user, kind, key, on); {
		case errors.Is(err, state.ErrAlreadySet):
			return nil, errf(codes[0], "no-disturb is already set")
		case errors.Is(err, state.ErrNotSet):
			return nil, errf(codes[1], "no-disturb is not set")
		case err != nil:
			return nil, err
		}
		return map[string]any{}, nil
	}
}

func blackList(x *call) (map[string]any, error) {
	out := []any{}
	for _, b := range x.app.Blacklist(x.user) {
		m := fromLocal(x.key, b.User)
		e := map[string]any{"username": m.User, "appkey": m.AppKey}
		if app, _, err := x.target(m.User, m.AppKey); err == nil {
			if ui, err := app.JIMUser(m.User); err == nil {
				e = userInfo(ui, m.AppKey)
			}
		}
		out = append(out, e)
	}
	return map[string]any{"black_list": out}, nil
}

func editBlackList(add bool) handler {
	return func(x *call) (map[string]any, error) {
		ms := members(x.req, "member_usernames", x.key)
		if len(ms) == 0 {
			return nil, errf(CodeEmptyMembers, "member_usernames is empty")
		}
		for _, m := range ms {
			if _, _, err := x.target(m.User, m.AppKey); err != nil {
				return nil, err
			}
		}
		for _, m := range ms {
			id := localID(x.key, m)
			if add {
				_ = x.app.AddBlack(x.user, id)
			} else {
				_ = x.app.DelBlack(x.user, id) // removing someone not listed is not an error
			}
		}
		return map[string]any{}, nil
	}
}

func friendList(x *call) (map[string]any, error) {
	out := []any{}
	for _, f := range x.app.Friends(x.user) {
		m := fromLocal(x.key, f.User)
		e := map[string]any{"username": m.User, "appkey": m.AppKey, "memo_name": f.Remark, "mtime": f.AddTime}
		if ui, err := x.app.JIMUser(f.User); err == nil {
			e["nickname"], e["avatar"], e["uid"] = ui.Nick, ui.Avatar, uidNum(ui.UID)
		}
		out = append(out, e)
	}
	return map[string]any{"friend_list": out}, nil
}
