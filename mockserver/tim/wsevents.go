package tim

import (
	"encoding/json"

	"github.com/imharness/imharness/mockserver/state"
)

// The WebSocket generation (tim-js-sdk 2.13+, @tencentcloud/chat 3.x) gets the long poll's event
// items inside im_open_push.msg_push frames. Two things differ: a C2C message the user sent from
// another device says so (IsSyncMsg 1, the SDK then files it under the peer), and a kick names its
// reason with KickType instead of a long-poll error code.
// (The sender's TinyId and MsgClientTime also ride along: the SDK names messages by them.)

// Kick types of KickoutMsgNotify.
const (
	kickTypeMultipleAccount = 1
	kickTypeMultipleDevice  = 2
	kickTypeRESTAPI         = 3
)

// WSEvents renders queued events for a push to owner; events this protocol does not carry are left out.
func WSEvents(owner string, events []state.Event) []json.RawMessage {
	var out []json.RawMessage
	for _, e := range events {
		var raw json.RawMessage
		var ok bool
		switch {
		case e.Kind == state.EvC2CMessage:
			m := c2cOut(*e.C2C)
			m.NoticeSeq, m.TinyId, m.MsgClientTime = e.Seq, e.C2C.FromTinyID, e.C2C.ClientTime
			if e.C2C.From == owner && e.C2C.To != owner {
				// The SDK swaps From and To of a sync message back (2.27.6 _c2cMessageArrayHandler):
				// on the wire it reads as the peer's, to the owner.
				m.IsSyncMsg = 1
				m.From_Account, m.To_Account = m.To_Account, m.From_Account
			}
			raw, _ = json.Marshal(map[string]any{"Event": eventC2CMsg, "C2cMsgArray": []C2CMsg{m}})
			ok = true
		case e.Kind == state.EvKickout:
			raw, ok = kickEvent(kickTypeMultipleDevice), true
		default:
			if raw, ok = groupEvents.event(e); !ok {
				raw, ok = eventOut(e)
			}
		}
		if ok {
			out = append(out, raw)
		}
	}
	return out
}

func kickEvent(kickType int) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{"Event": eventC2CMsg, "C2cNotifyMsgArray": []any{map[string]any{
		"KickoutMsgNotify": map[string]any{"KickType": kickType, "NewInstInfo": map[string]any{}},
	}}})
	return raw
}

// WSKick is the push body that ends a session kicked for reason (a state.Kick* value).
func WSKick(reason string) []byte {
	t := kickTypeRESTAPI
	switch reason {
	case state.KickMultipleAccount:
		t = kickTypeMultipleAccount
	case state.KickMultipleDevice:
		t = kickTypeMultipleDevice
	}
	raw, _ := json.Marshal(map[string]any{"EventArray": []json.RawMessage{kickEvent(t)}})
	return raw
}
