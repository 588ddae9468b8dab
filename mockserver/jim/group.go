package jim

import (
	"errors"

	"github.com/imharness/imharness/mockserver/state"
)

// Limits of group fields (bytes).
const (
	maxGroupName = 64
	maxGroupDesc = 250
)

// groupErr maps a state group failure; denied is the code for "not allowed" in this operation.
func groupErr(err error, denied int) error {
	var se *state.Error
	if errors.As(err, &se) {
		switch se.Reason {
		case state.GroupNotFound:
			return errf(CodeGroupNotExist, "%s", se.Info)
		case state.GroupNoPermission:
			return errf(denied, "%s", se.Info)
		case state.GroupMuted:
			return errf(CodeSilenced, "%s", se.Info)
		}
	}
	return err
}

// event builds an event_notification from the caller, with the given type and extra fields.
func (a *Adapter) event(x *call, typ int, extra map[string]any) map[string]any {
	ui, _ := x.app.JIMUser(x.user)
	now := x.app.Now()
	ev := map[string]any{
		"event_id": a.eventID(), "event_type": typ, "from_uid": uidNum(ui.UID), "from_username": x.user,
		"from_appkey": x.key, "from_nickname": ui.Nick, "gid": 0, "to_usernames": []any{}, "ctime": now.Unix(),
		"ctime_ms": now.UnixMilli(), "extra": 0, "return_code": 0, "description": "",
	}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

func (a *Adapter) eventID() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events++
	return a.events
}

// notifyGroup sends a group event to the members named (tenant-local ids).
func (a *Adapter) notifyGroup(x *call, ids []string, ev map[string]any) {
	for _, id := range ids {
		m := fromLocal(x.key, id)
		for _, c := range a.online(m.AppKey, m.User) {
			c.push("event_notification", ev)
		}
	}
}

func memberIDs(app *state.App, viewer, gid string) []string {
	list, _ := app.GroupMembers(viewer, gid)
	out := make([]string, 0, len(list))
	for _, m := range list {
		out = append(out, m.User)
	}
	return out
}

func toUsernames(key string, ids []string, app *state.App) []any {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		m := fromLocal(key, id)
		nick := ""
		if ui, err := app.JIMUser(id); err == nil {
			nick = ui.Nick
		}
		out = append(out, map[string]any{"username": m.User, "appkey": m.AppKey, "nickname": nick})
	}
	return out
}

func groupEntry(g state.GroupInfo, key string) map[string]any {
	return map[string]any{"gid": gidNum(g.ID), "name": g.Name, "desc": g.Introduction, "appkey": key,
		"ctime": g.CreateTime, "mtime": max(g.LastInfoTime, g.CreateTime), "avatar": g.FaceURL, "group_type": 1,
		"max_member_count": g.MaxMemberNum}
}

func createGroup(x *call) (map[string]any, error) {
	name, desc := str(x.req, "group_name"), str(x.req, "group_description")
	switch {
	case name == "":
		return nil, errf(CodeInvalidParam, "create_group needs group_name")
	case len(name) > maxGroupName:
		return nil, errf(CodeGroupNameLong, "group_name is %d bytes, more than %d", len(name), maxGroupName)
	case len(desc) > maxGroupDesc:
		return nil, errf(CodeGroupDescLong, "group_description is %d bytes, more than %d", len(desc), maxGroupDesc)
	}
	g, err := x.app.CreateGroup(x.user, state.GroupSpec{ID: x.app.NewGID(), Type: state.GroupPrivate, Name: name, Introduction: desc})
	if err != nil {
		return nil, groupErr(err, CodeInvalidParam)
	}
	x.c.a.notifyGroup(x, []string{x.user}, x.c.a.event(x, 8, map[string]any{"gid": gidNum(g.ID), "group_name": g.Name,
		"to_usernames": toUsernames(x.key, []string{x.user}, x.app)}))
	return map[string]any{"gid": gidNum(g.ID), "group_name": g.Name, "group_description": g.Introduction}, nil
}

func groupList(x *call) (map[string]any, error) {
	list := []any{}
	for _, g := range x.app.JoinedGroups(x.user) {
		list = append(list, groupEntry(g.GroupInfo, x.key))
	}
	return map[string]any{"group_list": list}, nil
}

func groupInfo(x *call) (map[string]any, error) {
	gid := str(x.req, "gid")
	g, _, err := x.app.Group(x.user, gid)
	if err != nil {
		return nil, groupErr(err, CodeNotInGroup)
	}
	return map[string]any{"group_info": groupEntry(g, x.key)}, nil
}

func groupMembers(x *call) (map[string]any, error) {
	gid := str(x.req, "gid")
	list, err := x.app.GroupMembers(x.user, gid)
	if err != nil {
		return nil, groupErr(err, CodeNotInGroup)
	}
	out := []any{}
	for _, m := range list {
		who := fromLocal(x.key, m.User)
		e := map[string]any{"username": who.User, "appkey": who.AppKey, "nickname": "", "avatar": "", "flag": 0,
			"keep_silence": 0, "uid": 0, "mtime": m.JoinTime}
		if ui, err := x.app.JIMUser(m.User); err == nil {
			e["nickname"], e["avatar"], e["uid"] = ui.Nick, ui.Avatar, uidNum(ui.UID)
		}
		if m.Role == state.RoleOwner {
			e["flag"] = 1
		}
		out = append(out, e)
	}
	return map[string]any{"member_list": out}, nil
}

// resolve turns the request's member list into tenant-local ids; users of another app get a
// shadow account here (they must exist in their own app).
func resolve(x *call) ([]string, error) {
	ms := members(x.req, "member_usernames", x.key)
	if len(ms) == 0 {
		return nil, errf(CodeEmptyMembers, "member_usernames is empty")
	}
	var ids []string
	for _, m := range ms {
		app := x.app
		if m.AppKey != x.key {
			app, _ = x.c.a.apps.AppByKey(m.AppKey)
		}
		if m.User == "" || app == nil || !app.HasUser(m.User) {
			return nil, errf(CodeMembersNotAdded, "user %q does not exist in %s", m.User, appName(x.key, m.AppKey))
		}
		id := localID(x.key, m)
		if app != x.app {
			x.app.EnsureUser(id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func addMembers(x *call) (map[string]any, error) {
	gid := str(x.req, "gid")
	ids, err := resolve(x)
	if err != nil {
		return nil, err
	}
	have := memberIDs(x.app, x.user, gid)
	for _, id := range ids {
		for _, h := range have {
			if h == id {
				return nil, errf(CodeMemberAlready, "%q is already a member", id)
			}
		}
	}
	if _, err := x.app.AddMembers(x.user, gid, ids, false); err != nil {
		return nil, groupErr(err, CodeNoAddPermission)
	}
	// Event 10 goes to every member, the added and the existing ones.
	x.c.a.notifyGroup(x, memberIDs(x.app, x.user, gid), x.c.a.event(x, 10, map[string]any{"gid": gidNum(gid),
		"to_usernames": toUsernames(x.key, ids, x.app)}))
	return map[string]any{}, nil
}

func delMembers(x *call) (map[string]any, error) {
	gid := str(x.req, "gid")
	ms := members(x.req, "member_usernames", x.key)
	if len(ms) == 0 {
		return nil, errf(CodeEmptyMembers, "member_usernames is empty")
	}
	before := memberIDs(x.app, x.user, gid)
	var ids []string
	for _, m := range ms {
		id := localID(x.key, m)
		found := false
		for _, h := range before {
			found = found || h == id
		}
		if !found {
			return nil, errf(CodeMembersNotDeletable, "%q is not a member of group %s", m.User, gid)
		}
		ids = append(ids, id)
	}
	if err := x.app.RemoveMembers(x.user, gid, ids, "", false); err != nil {
		return nil, groupErr(err, CodeNoDelPermission)
	}
	x.c.a.notifyGroup(x, before, x.c.a.event(x, 11, map[string]any{"gid": gidNum(gid),
		"to_usernames": toUsernames(x.key, ids, x.app)}))
	return map[string]any{}, nil
}

func updateGroup(x *call) (map[string]any, error) {
	gid := str(x.req, "gid")
	var ch state.GroupChange
	if v, ok := x.req["group_name"].(string); ok {
		if len(v) > maxGroupName {
			return nil, errf(CodeGroupNameLong, "group_name is %d bytes, more than %d", len(v), maxGroupName)
		}
		ch.Name = &v
	}
	if v, ok := x.req["group_description"].(string); ok {
		if len(v) > maxGroupDesc {
			return nil, errf(CodeGroupDescLong, "group_description is %d bytes, more than %d", len(v), maxGroupDesc)
		}
		ch.Introduction = &v
	}
	if v := str(x.req, "media_id"); v != "" {
		ch.FaceURL = &v
	}
	if ch.Name == nil && ch.Introduction == nil && ch.FaceURL == nil {
		return nil, errf(CodeInvalidParam, "update_group_info changes nothing")
	}
	g, err := x.app.ModifyGroup(x.user, gid, ch)
	if err != nil {
		return nil, groupErr(err, CodeNotInGroup)
	}
	x.c.a.notifyGroup(x, memberIDs(x.app, x.user, gid), x.c.a.event(x, 12, map[string]any{"gid": gidNum(gid), "group_name": g.Name}))
	return map[string]any{}, nil
}

func exitGroup(x *call) (map[string]any, error) {
	gid := str(x.req, "gid")
	g, _, err := x.app.Group(x.user, gid)
	if err != nil {
		return nil, groupErr(err, CodeNotInGroup)
	}
	before := memberIDs(x.app, x.user, gid)
	if err := x.app.QuitGroup(x.user, gid); err != nil {
		return nil, groupErr(err, CodeNotInGroup)
	}
	x.c.a.notifyGroup(x, before, x.c.a.event(x, 9, map[string]any{"gid": gidNum(gid), "group_name": g.Name,
		"to_usernames": toUsernames(x.key, []string{x.user}, x.app)}))
	return map[string]any{"gid": gidNum(gid), "group_name": g.Name}, nil
}
