package tim

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/imharness/imharness/mockserver/state"
)

// MsgElem is one MsgBody element on the wire. MsgContent passes through byte for byte.
type MsgElem struct {
	MsgType    string          `json:"MsgType"`
	MsgContent json.RawMessage `json:"MsgContent"`
}

// elemsIn checks a request MsgBody and converts it for the state.
func elemsIn(body []MsgElem) ([]state.Elem, *Error) {
	if len(body) == 0 {
		return nil, fail(CodeBadMsgBody, "MsgBody is empty")
	}
	out := make([]state.Elem, len(body))
	for i, e := range body {
		if e.MsgType == "" {
			return nil, fail(CodeBadMsgBody, "MsgBody[%d].MsgType is missing", i)
		}
		c, ok := bytes.TrimSpace(e.MsgContent), true
		if len(c) == 0 || c[0] != '{' {
			return nil, fail(CodeBadMsgBody, "MsgBody[%d].MsgContent must be an object", i)
		}
		if e.MsgType == "TIMImageElem" {
			if c, ok = imageContent(c); !ok {
				return nil, fail(CodeBadMsgBody, "MsgBody[%d].MsgContent: ImageInfoArray must be a list of objects", i)
			}
		}
		out[i] = state.Elem{Type: e.MsgType, Content: append(json.RawMessage(nil), c...)}
	}
	return out, nil
}

// An image element is relayed with its documented fields only. tim-js-sdk 2.x adds to each
// ImageInfoArray item a "Url" holding the sender's own blob: URL beside the uploaded "URL"; the
// receiving SDK camel-cases both keys to "url", so relaying "Url" would hand receivers a URL that
// only exists in the sender's page.
func imageContent(c json.RawMessage) (json.RawMessage, bool) {
	var img map[string]json.RawMessage
	if json.Unmarshal(c, &img) != nil {
		return nil, false
	}
	var items []map[string]json.RawMessage
	if raw, ok := img["ImageInfoArray"]; ok && json.Unmarshal(raw, &items) != nil {
		return nil, false
	}
	out := documented(nil, img, "UUID", "ImageFormat")
	if items != nil {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, `"ImageInfoArray":[`...)
		for i, it := range items {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(documented(out, it, "Type", "Size", "Width", "Height", "URL"), '}')
		}
		out = append(out, ']')
	}
	return append(out, '}'), true
}

// documented appends '{' and the named keys of m that are present, in that order, to b (exact
// names: encoding/json would match "Url" to a field URL).
func documented(b []byte, m map[string]json.RawMessage, keys ...string) []byte {
	b = append(b, '{')
	n := 0
	for _, k := range keys {
		if v, ok := m[k]; ok {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(append(strconv.AppendQuote(b, k), ':'), v...)
			n++
		}
	}
	return b
}

func elemsOut(body []state.Elem) []MsgElem {
	out := make([]MsgElem, len(body))
	for i, e := range body {
		out[i] = MsgElem{MsgType: e.Type, MsgContent: e.Content}
	}
	return out
}

// C2CMsg is a C2C message as getmsg, the long poll and getroammsg carry it.
type C2CMsg struct {
	From_Account string    `json:"From_Account"`
	To_Account   string    `json:"To_Account"`
	MsgSeq       uint64    `json:"MsgSeq"`
	MsgRandom    uint32    `json:"MsgRandom"`
	MsgTimeStamp int64     `json:"MsgTimeStamp"`
	MsgFlagBits  int       `json:"MsgFlagBits,omitempty"`
	MsgKey       string    `json:"MsgKey,omitempty"`
	NoticeSeq    uint64    `json:"NoticeSeq,omitempty"`
	MsgBody      []MsgElem `json:"MsgBody"`
	// CloudCustomData travels as the sender gave it; the SDK reads it as message.cloudCustomData.
	CloudCustomData string `json:"CloudCustomData,omitempty"`
	// WebSocket pushes only: IsSyncMsg 1 says the owner sent it from another device; the SDK
	// builds the message ID from the sender's TinyId, MsgClientTime and MsgRandom.
	IsSyncMsg     int    `json:"IsSyncMsg,omitempty"`
	TinyId        string `json:"TinyId,omitempty"`
	MsgClientTime int64  `json:"MsgClientTime,omitempty"`
}

func c2cOut(m state.C2CMessage) C2CMsg {
	w := C2CMsg{From_Account: m.From, To_Account: m.To, MsgSeq: m.Seq, MsgRandom: m.Random,
		MsgTimeStamp: m.Time, MsgKey: m.Key(), MsgBody: elemsOut(m.Body), CloudCustomData: m.CloudCustomData}
	if m.Revoked {
		w.MsgFlagBits = 8
	}
	return w
}

// Event numbers of the long poll's EventArray.
const (
	eventGroupMsg    = 3
	eventGroupTip    = 4
	eventGroupSystem = 5
	eventC2CMsg      = 9
	eventC2CNotify   = 10
)

// eventOut renders a queued event for the long poll. ok is false for events this protocol does
// not carry.
func eventOut(e state.Event) (json.RawMessage, bool) {
	var v any
	switch e.Kind {
	case state.EvC2CMessage:
		if e.NotifyOnly {
			return c2cNotifyOut(e), true
		}
		m := c2cOut(*e.C2C)
		m.NoticeSeq = e.Seq
		v = map[string]any{"Event": eventC2CMsg, "C2cMsgArray": []C2CMsg{m}}
	case state.EvReadReceipt:
		v = map[string]any{"Event": eventC2CNotify, "C2cNotifyMsgArray": []any{map[string]any{
			"NoticeSeq": e.Seq,
			"C2cReadedReceipt": map[string]any{
				"To_Account":       e.Receipt.Reader,
				"UinPairReadArray": []any{map[string]any{"LastReadTime": e.Receipt.Time, "Peer_Account": e.Receipt.Reader}},
			},
		}}}
	case state.EvC2CRecall:
		r := e.C2CRecall
		v = map[string]any{"Event": eventC2CNotify, "C2cNotifyMsgArray": []any{map[string]any{
			"NoticeSeq": e.Seq,
			"WithdrawC2cMsgNotify": map[string]any{"C2cWithdrawInfoArray": []any{map[string]any{
				"From_Account": r.From, "To_Account": r.To, "MsgSeq": r.Seq, "MsgRandom": r.Random,
			}}},
		}}}
	case state.EvKickout:
		v = map[string]any{"Event": eventC2CNotify, "C2cNotifyMsgArray": []any{map[string]any{
			"SubMsgType": 96, "NoticeSeq": e.Seq,
			"KickoutMsgNotify": map[string]any{"To_Account": e.Kick.User, "SdkAppid": e.Kick.SDKAppID, "Instid": 0},
		}}}
	case state.EvRaw:
		if e.Raw.Protocol != "" && e.Raw.Protocol != "tim" {
			return nil, false
		}
		v = e.Raw.Body // through json.Marshal: compact and escaped like the events encoded here
	case state.EvFriend, state.EvProfile:
		return legacyEventOut(e)
	default:
		return groupEventOut(e)
	}
	raw, err := json.Marshal(v)
	return raw, err == nil
}
