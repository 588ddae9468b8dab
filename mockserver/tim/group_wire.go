package tim

import (
	"encoding/json"

	"github.com/imharness/imharness/mockserver/state"
)

// Wire shapes of group messages, tips and system notices. Both Tencent generations read them:
// tim-js-sdk 2.x wants GroupInfo.GroupId and UserDefinedField inside MsgBody; webim.js 1.x wants
// GroupInfo.GroupName/To_Account (its long poll dies without them), ClientSeq on notices and a
// top-level UserDefinedField on notice 1. Every item carries all of it.

// groupInfoOut is the GroupInfo object of group messages, tips and notices.
type groupInfoOut struct {
	GroupId             string `json:"GroupId"`
	GroupName           string `json:"GroupName"`
	From_Account        string `json:"From_Account,omitempty"`
	To_Account          string `json:"To_Account,omitempty"`
	From_AccountNick    string `json:"From_AccountNick"`
	From_AccountHeadurl string `json:"From_AccountHeadurl,omitempty"`
}

// GroupMsg is a group message (long-poll GroupMsgArray item, group_msg_get RspMsgList item) or, with
// Event 4, a tip in history.
type GroupMsg struct {
	From_Account string          `json:"From_Account"`
	ToGroupId    string          `json:"ToGroupId"`
	MsgSeq       uint64          `json:"MsgSeq"`
	MsgRandom    uint32          `json:"MsgRandom"`
	MsgTimeStamp int64           `json:"MsgTimeStamp"`
	ClientSeq    uint64          `json:"ClientSeq,omitempty"`
	MsgPriority  string          `json:"MsgPriority,omitempty"`
	NoticeSeq    uint64          `json:"NoticeSeq,omitempty"`
	Event        int             `json:"Event,omitempty"`
	IsPlaceMsg   int             `json:"IsPlaceMsg,omitempty"`
	MsgFlagBits  int             `json:"MsgFlagBits,omitempty"`
	GroupInfo    groupInfoOut    `json:"GroupInfo"`
	MsgBody      json.RawMessage `json:"MsgBody"`
	// CloudCustomData travels as the sender gave it; the SDK reads it as message.cloudCustomData.
	CloudCustomData string `json:"CloudCustomData,omitempty"`
	// The WebSocket generation names a message "<TinyId>-<MsgClientTime>-<MsgRandom>" on every side.
	TinyId        string `json:"TinyId,omitempty"`
	MsgClientTime int64  `json:"MsgClientTime,omitempty"`
}

// Placeholder kinds of group_msg_get items (IsPlaceMsg): tim-js-sdk skips 1 and shows 2 as recalled.
const (
	placeSkipped  = 1
	placeRecalled = 2
	msgFlagRevoke = 8
)

func groupMsgOut(m state.GroupMessage) GroupMsg {
	body, _ := json.Marshal(elemsOut(m.Body))
	w := GroupMsg{From_Account: m.From, ToGroupId: m.GroupID, MsgSeq: m.Seq, MsgRandom: m.Random,
		MsgTimeStamp: m.Time, ClientSeq: m.ClientSeq, MsgPriority: m.Priority, MsgBody: body, CloudCustomData: m.CloudCustomData,
		MsgClientTime: m.ClientTime,
		GroupInfo: groupInfoOut{GroupId: m.GroupID, GroupName: m.GroupName, From_AccountNick: m.FromNick,
			From_AccountHeadurl: m.FromFaceURL}}
	if m.ClientTime != 0 { // only this generation sends a client time; the older wire stays as it was
		w.TinyId = m.FromTinyID
	}
	if m.Revoked {
		w.MsgFlagBits = msgFlagRevoke
	}
	return w
}

// tipItem is a GroupTips item (Event 4 tips, Event 5 notices and recalls).
type tipItem struct {
	From_Account     string          `json:"From_Account"`
	ToGroupId        string          `json:"ToGroupId"`
	MsgSeq           uint64          `json:"MsgSeq"`
	MsgRandom        uint32          `json:"MsgRandom"`
	MsgTimeStamp     int64           `json:"MsgTimeStamp"`
	ClientSeq        uint64          `json:"ClientSeq,omitempty"`
	NoticeSeq        uint64          `json:"NoticeSeq,omitempty"`
	Event            int             `json:"Event,omitempty"`
	UserDefinedField *string         `json:"UserDefinedField,omitempty"`
	GroupInfo        groupInfoOut    `json:"GroupInfo"`
	MsgBody          json.RawMessage `json:"MsgBody"`
}

type kvOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func kvsOut(kvs []state.KV) []kvOut {
	out := make([]kvOut, len(kvs))
	for i, kv := range kvs {
		out[i] = kvOut{kv.Key, kv.Value}
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "On"
	}
	return "Off"
}

// tipBody is a tip's MsgBody object (tim-js-sdk §3.1, webim.js §4.1).
func tipBody(t state.GroupTip) map[string]any {
	b := map[string]any{"OpType": int(t.Type), "Operator_Account": t.Operator}
	if t.OperatorNick != "" || t.OperatorFaceURL != "" {
		b["MsgOperatorMemberExtraInfo"] = map[string]string{"NickName": t.OperatorNick, "ImageUrl": t.OperatorFaceURL}
	}
	switch t.Type {
	case state.TipJoin, state.TipQuit, state.TipKick:
		b["List_Account"] = t.Users
		b["MemberNum"] = t.MemberNum
	case state.TipSetAdmin, state.TipCancelAdmin:
		b["List_Account"] = t.Users
	case state.TipGroupInfo:
		// webim.js dereferences MsgGroupNewInfo for OpType 6: always an object.
		info := map[string]any{}
		if c := t.Change; c != nil {
			put := func(k string, v *string) {
				if v != nil {
					info[k] = *v
				}
			}
			put("GroupName", c.Name)
			put("GroupIntroduction", c.Introduction)
			put("GroupNotification", c.Notification)
			put("GroupFaceUrl", c.FaceURL)
			put("Owner_Account", c.Owner)
			if c.ApplyJoinOption != nil {
				info["GroupApplyJoinOption"] = string(*c.ApplyJoinOption)
			}
			if c.ShutUpAll != nil {
				info["ShutUpAllMember"] = onOff(*c.ShutUpAll)
			}
			if len(c.AppDefinedData) > 0 {
				info["MsgAppDefinedData"] = kvsOut(c.AppDefinedData)
			}
		}
		b["MsgGroupNewInfo"] = info
	case state.TipMemberInfo:
		b["List_Account"] = t.Users
		list := make([]map[string]any, len(t.Mutes))
		for i, m := range t.Mutes {
			list[i] = map[string]any{"User_Account": m.User, "ShutupTime": m.Seconds}
		}
		b["MsgMemberInfo"] = list
	}
	return b
}

func tipOut(t state.GroupTip, noticeSeq uint64) tipItem {
	body, _ := json.Marshal(tipBody(t))
	return tipItem{From_Account: t.Operator, ToGroupId: t.GroupID, MsgSeq: t.Seq, MsgRandom: t.Random,
		MsgTimeStamp: t.Time, NoticeSeq: noticeSeq, MsgBody: body,
		GroupInfo: groupInfoOut{GroupId: t.GroupID, GroupName: t.GroupName, From_Account: t.Operator,
			To_Account: t.To, From_AccountNick: t.OperatorNick}}
}

// noticeOut renders a system notice. tim-js-sdk reads UserDefinedField only inside MsgBody, webim.js
// reads it at the top level for notice 1: it goes in both places.
func noticeOut(n state.GroupNotice, noticeSeq uint64) tipItem {
	b := map[string]any{"ReportType": int(n.Type), "Operator_Account": n.Operator}
	if n.Remark != "" || n.Type == state.NoticeApply || n.Type == state.NoticeAccepted || n.Type == state.NoticeRefused {
		b["RemarkInfo"] = n.Remark
	}
	var udf *string
	switch n.Type {
	case state.NoticeApply:
		b["Authentication"], b["MsgKey"] = n.Authentication, n.MsgKey
		b["UserDefinedField"] = n.UserDefinedField
		udf = &n.UserDefinedField
	case state.NoticeCustom:
		b["UserDefinedField"] = n.UserDefinedField
		udf = &n.UserDefinedField
	}
	body, _ := json.Marshal(b)
	return tipItem{From_Account: n.Operator, ToGroupId: n.GroupID, MsgSeq: n.Seq, MsgRandom: n.Random,
		MsgTimeStamp: n.Time, ClientSeq: n.Seq, NoticeSeq: noticeSeq, UserDefinedField: udf, MsgBody: body,
		GroupInfo: groupInfoOut{GroupId: n.GroupID, GroupName: n.GroupName, From_Account: n.Operator,
			To_Account: n.To, From_AccountNick: n.OperatorNick}}
}

func recallOut(r state.GroupRecall, noticeSeq uint64) tipItem {
	type withdrawn struct {
		GroupId string `json:"GroupId"`
		MsgSeq  uint64 `json:"MsgSeq"`
	}
	list := make([]withdrawn, len(r.Seqs))
	for i, s := range r.Seqs {
		list[i] = withdrawn{r.GroupID, s}
	}
	body, _ := json.Marshal(map[string]any{"GroupWithdrawInfoArray": list})
	return tipItem{From_Account: r.Operator, ToGroupId: r.GroupID, MsgTimeStamp: r.Time, NoticeSeq: noticeSeq,
		MsgBody: body, GroupInfo: groupInfoOut{GroupId: r.GroupID, From_Account: r.Operator}}
}

// groupEventOut renders a queued group event for the long poll: one item per event, because
// tim-js-sdk 2.7.0 dispatches an Event 5 array once per item, the whole array each time.
func groupEventOut(e state.Event) ([]byte, bool) {
	var v any
	switch {
	case e.Kind == state.EvGroupMessage && e.Group != nil:
		v = groupMsgEvent(*e.Group, e.Seq)
	case e.Kind == state.EvGroupTip && e.Tip != nil:
		v = tipEvent(*e.Tip, e.Seq)
	case e.Kind == state.EvGroupNotice && e.Notice != nil:
		v = noticeEvent(*e.Notice, e.Seq)
	case e.Kind == state.EvGroupRecall && e.Recall != nil:
		v = map[string]any{"Event": eventGroupSystem, "GroupTips": []tipItem{recallOut(*e.Recall, e.Seq)}}
	default:
		return nil, false
	}
	raw, err := json.Marshal(v)
	return raw, err == nil
}

// tipEvent and noticeEvent are the long-poll events of a tip and a system notice (groupEvents
// relies on their receivers' copies differing only in the fields it splices).
func tipEvent(t state.GroupTip, noticeSeq uint64) any {
	return map[string]any{"Event": eventGroupTip, "GroupTips": []tipItem{tipOut(t, noticeSeq)}}
}

func noticeEvent(n state.GroupNotice, noticeSeq uint64) any {
	return map[string]any{"Event": eventGroupSystem, "GroupTips": []tipItem{noticeOut(n, noticeSeq)}}
}

// groupMsgEvent is the long-poll event of one group message, noticeSeq being its place in the
// recipient's queue: the only part that differs between members (groupEvents relies on it).
func groupMsgEvent(g state.GroupMessage, noticeSeq uint64) any {
	m := groupMsgOut(g)
	m.NoticeSeq = noticeSeq
	return map[string]any{"Event": eventGroupMsg, "GroupMsgArray": []GroupMsg{m}}
}

// historyOut renders a group_msg_get item: messages with their MsgBody array (recalled ones as
// placeholders), tips with Event 4 and their MsgBody object.
func historyOut(it state.GroupItem, withRecalled bool) GroupMsg {
	if t := it.Tip; t != nil {
		ti := tipOut(*t, 0)
		return GroupMsg{From_Account: ti.From_Account, ToGroupId: ti.ToGroupId, MsgSeq: ti.MsgSeq,
			MsgRandom: ti.MsgRandom, MsgTimeStamp: ti.MsgTimeStamp, Event: eventGroupTip, GroupInfo: ti.GroupInfo,
			MsgBody: ti.MsgBody}
	}
	m := groupMsgOut(*it.Msg)
	switch {
	case it.Msg.OnlineOnly, it.Msg.Revoked && !withRecalled:
		m.IsPlaceMsg, m.MsgBody = placeSkipped, json.RawMessage("[]")
	case it.Msg.Revoked:
		m.IsPlaceMsg = placeRecalled
	}
	return m
}
