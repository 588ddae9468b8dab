package jim

import (
	"encoding/json"
	"errors"

	"github.com/imharness/imharness/mockserver/state"
)

// maxContent is the largest message content the server takes (7 KB).
const maxContent = 7 * 1024

// content is the request's message body, checked.
func content(x *call) (json.RawMessage, map[string]any, error) {
	m, ok := x.req["content"].(map[string]any)
	if !ok {
		return nil, nil, errf(CodeInvalidParam, "%s needs a content object", x.ev)
	}
	b := mustJSON(m)
	if len(b) > maxContent {
		return nil, nil, errf(CodeMsgTooLong, "content is %d bytes, more than %d", len(b), maxContent)
	}
	return b, m, nil
}

// sharedBody is the message as the shared state keeps it: text as a Tencent text element, anything
// else as a custom element carrying the JMessage content, so other protocols' clients see it too.
func sharedBody(c map[string]any, raw json.RawMessage) []state.Elem {
	if c["msg_type"] == "text" {
		if body, ok := c["msg_body"].(map[string]any); ok {
			if t, ok := body["text"].(string); ok {
				return []state.Elem{{Type: "TIMTextElem", Content: mustJSON(map[string]any{"Text": t})}}
			}
		}
	}
	return []state.Elem{{Type: "TIMCustomElem", Content: mustJSON(map[string]any{"Data": string(raw), "Desc": "jmessage", "Ext": ""})}}
}

// msgType is JMessage's number for a conversation type: 3 single, 4 group.
func msgType(t state.ConvType) int {
	if t == state.ConvGroup {
		return 4
	}
	return 3
}

// syncItem is a message as msg_sync (and sync_conversation) carry it.
func syncItem(m state.JIMMessage) map[string]any {
	level := 0
	if m.Type == state.ConvC2C && m.ToAppKey != m.FromAppKey {
		level = 1
	}
	var gid any = 0
	if m.Type == state.ConvGroup {
		gid = gidNum(m.GID)
	}
	var c any
	_ = json.Unmarshal(m.Content, &c)
	if cm, ok := c.(map[string]any); ok {
		if _, has := cm["from_appkey"]; !has {
			cm["from_appkey"] = m.FromAppKey
		}
	}
	return map[string]any{
		"msg_id": m.ID, "msg_type": msgType(m.Type), "from_uid": uidNum(m.FromUID), "from_gid": gid, "msg_level": level,
		"ctime_ms": m.CTimeMS, "ctime": m.CTimeMS / 1000, "content": c,
	}
}

// deliver pushes the message to the user's online JMessage clients or queues it for their next
// login (v1) or sync_check (v2).
func (a *Adapter) deliver(app *state.App, appKey, user string, m state.JIMMessage) {
	conns := a.online(appKey, user)
	if len(conns) == 0 {
		app.QueueJIM(user, m.ID)
		return
	}
	for _, c := range conns {
		c.push("msg_sync", map[string]any{"messages": []any{syncItem(m)}})
	}
}

// sendSingle serves s_single_text (v1: target_name) and s_across_single_text (v2: target_id).
func sendSingle(x *call) (map[string]any, error) {
	target := str(x.req, "target_id", "target_name", "target_username")
	key := str(x.req, "appkey", "target_appkey")
	if key == "" {
		key = x.key
	}
	raw, c, err := content(x)
	if err != nil {
		return nil, err
	}
	if target == "" {
		return nil, errf(CodeInvalidParam, "%s needs target_id (or target_name)", x.ev)
	}
	to := x.app
	if key != x.key {
		to, _ = x.c.a.apps.AppByKey(key)
	}
	if to == nil || !to.HasUser(target) {
		return nil, errf(CodeTargetNotExist, "user %q does not exist in %s", target, appName(x.key, key))
	}
	from := member{User: x.user, AppKey: x.key}
	if to.Blocks(target, localID(key, from)) {
		return nil, errf(CodeInBlacklist, "%q has %q on their blacklist", target, x.user)
	}
	if key == x.key { // the shared C2C store: Tencent clients of the same tenant see it
		if _, err := x.app.SendC2C(0, state.C2CMessage{From: x.user, To: target, Body: sharedBody(c, raw)}); err != nil {
			return nil, err
		}
	}
	m := x.app.LogJIM(state.JIMMessage{Type: state.ConvC2C, From: x.user, FromAppKey: x.key, To: target, ToAppKey: key, Content: raw})
	delivered := m
	if to != x.app { // the recipient's app keeps its own copy for its queue
		delivered = to.LogJIM(state.JIMMessage{Type: state.ConvC2C, From: localID(key, from), FromAppKey: x.key, To: target, ToAppKey: key, Content: raw})
		delivered.FromUID = m.FromUID
	}
	x.app.TouchJIMConv(x.user, state.JIMConv{Type: state.ConvC2C, Key: target, AppKey: key, MTime: m.CTimeMS})
	to.TouchJIMConv(target, state.JIMConv{Type: state.ConvC2C, Key: x.user, AppKey: x.key, MTime: m.CTimeMS})
	x.c.a.deliver(to, key, target, delivered)
	return map[string]any{"msg_id": m.ID, "ctime_ms": m.CTimeMS, "target_username": target, "appkey": key}, nil
}

// sendGroup serves send_group_msg: stored in the shared group, pushed to every other member.
func sendGroup(x *call) (map[string]any, error) {
	gid := str(x.req, "target_gid", "gid")
	raw, c, err := content(x)
	if err != nil {
		return nil, err
	}
	if gid == "" {
		return nil, errf(CodeInvalidParam, "send_group_msg needs target_gid")
	}
	if _, err := x.app.SendGroupMessage(x.user, state.GroupMessage{GroupID: gid, From: x.user, Body: sharedBody(c, raw)}); err != nil {
		return nil, groupErr(err, CodeNotInGroup)
	}
	m := x.app.LogJIM(state.JIMMessage{Type: state.ConvGroup, From: x.user, FromAppKey: x.key, GID: gid, Content: raw})
	list, _ := x.app.GroupMembers(x.user, gid)
	for _, mem := range list {
		x.app.TouchJIMConv(mem.User, state.JIMConv{Type: state.ConvGroup, Key: gid, MTime: m.CTimeMS})
		if mem.User == x.user {
			continue
		}
		who := fromLocal(x.key, mem.User)
		if who.AppKey == x.key {
			x.c.a.deliver(x.app, x.key, who.User, m)
			continue
		}
		for _, oc := range x.c.a.online(who.AppKey, who.User) { // another app's member: online only
			oc.push("msg_sync", map[string]any{"messages": []any{syncItem(m)}})
		}
	}
	return map[string]any{"msg_id": m.ID, "ctime_ms": m.CTimeMS, "target_gid": gidNum(gid)}, nil
}

// retract serves msg_retract: the sender takes a message back; the peers get event 55.
func retract(x *call) (map[string]any, error) {
	id, ok := num(x.req, "msg_id")
	if !ok {
		return nil, errf(CodeInvalidParam, "msg_retract needs msg_id")
	}
	m, err := x.app.RetractJIM(x.user, id)
	switch {
	case errors.Is(err, state.ErrNoMessage):
		return nil, errf(CodeRetractNoMsg, "message %d does not exist", id)
	case errors.Is(err, state.ErrNotSender):
		return nil, errf(CodeRetractNotSender, "message %d was not sent by %q", id, x.user)
	case errors.Is(err, state.ErrRetracted):
		return nil, errf(CodeRetractAlready, "message %d is already retracted", id)
	case errors.Is(err, state.ErrRetractLate):
		return nil, errf(CodeRetractTimeout, "message %d is older than the retract window", id)
	case err != nil:
		return nil, err
	}
	var gid any = 0
	var to []member
	if m.Type == state.ConvGroup {
		gid = gidNum(m.GID)
		list, _ := x.app.GroupMembers(x.user, m.GID)
		for _, mem := range list {
			if mem.User != x.user {
				to = append(to, fromLocal(x.key, mem.User))
			}
		}
	} else {
		to = []member{{User: m.To, AppKey: m.ToAppKey}}
	}
	ev := x.c.a.event(x, 55, map[string]any{"msgid_list": []any{m.ID}, "from_gid": gid})
	for _, t := range to {
		for _, oc := range x.c.a.online(t.AppKey, t.User) {
			oc.push("event_notification", ev)
		}
	}
	return map[string]any{}, nil
}

// syncCheck echoes the client's sync keys (the v2 SDK stores them).
func syncCheck(x *call) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range []string{"sync_key", "sync_type", "sync_event_key", "msg_receipt_key"} {
		if v, ok := x.req[k]; ok {
			out[k] = v
		} else {
			out[k] = 0
		}
	}
	return out, nil
}

// afterSyncCheck hands a v2 client its offline messages, one entry per conversation.
func afterSyncCheck(x *call, _ map[string]any) {
	msgs := x.app.TakeJIM(x.user)
	if len(msgs) == 0 {
		return
	}
	type conv struct {
		entry map[string]any
		msgs  []any
	}
	var order []string
	convs := map[string]*conv{}
	for _, m := range msgs {
		k := "4/" + m.GID
		from := fromLocal(x.key, m.From)
		if m.Type == state.ConvC2C {
			k = "3/" + from.AppKey + "/" + from.User
		}
		cv := convs[k]
		if cv == nil {
			var gid any = 0
			if m.Type == state.ConvGroup {
				gid = gidNum(m.GID)
			}
			cv = &conv{entry: map[string]any{"msg_type": msgType(m.Type), "from_appkey": from.AppKey, "from_username": from.User, "from_gid": gid}}
			if m.Type == state.ConvGroup {
				cv.entry["from_appkey"], cv.entry["from_username"] = x.key, ""
			}
			convs[k] = cv
			order = append(order, k)
		}
		cv.msgs = append(cv.msgs, syncItem(m))
	}
	entries := make([]any, 0, len(order))
	for _, k := range order {
		cv := convs[k]
		cv.entry["unsync_count"] = len(cv.msgs)
		cv.entry["msgs"] = cv.msgs
		entries = append(entries, cv.entry)
	}
	x.c.push("sync_conversation", map[string]any{"sync_key": len(msgs), "messages": entries})
}
