package tim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/usersig"
)

func openimRoutes(r routes) error {
	return errors.Join(
		r.add(authNone, map[string]func(*Call) (any, *Error){
			"webim/accesslayer": accessLayer,
			"openim/login":      login,
		}),
		r.add(authApp, map[string]func(*Call) (any, *Error){
			"openim/authkey":            authKey,
			"imopenstat/tim_web_report": telemetry,
		}),
		r.add(authSession, map[string]func(*Call) (any, *Error){
			"openim/logout":             logout,
			"openim/getmsg":             bind(openimBody, getMsg),
			"openim/getlongpollingid":   getLongPollingID,
			"openim/longpolling":        longPolling,
			"openim/longpollinglogout":  bind(openimBody, longPollingLogout),
			"openim/sendmsg":            bind(openimBody, sendMsg),
			"openim/getroammsg":         bind(openimBody, getRoamMsg),
			"openim/msgreaded":          bind(openimBody, msgReaded),
			"openim/msgwithdraw":        bind(openimBody, msgWithdraw),
			"openim/get_peer_read_time": bind(openimBody, getPeerReadTime),
		}),
	)
}

func accessLayer(c *Call) (any, *Error) {
	return map[string]int{"WebImAccessLayer": 0}, nil
}

func telemetry(c *Call) (any, *Error) { return nil, nil }

func login(c *Call) (any, *Error) {
	s, e := openSession(c)
	if e != nil {
		return nil, e
	}
	return struct {
		A2Key  string `json:"A2Key"`
		TinyId string `json:"TinyId"`
		InstId int    `json:"InstId"`
	}{s.A2, s.TinyID, s.Instance}, nil
}

// openSession checks the identifier and UserSig of a login and opens the session. The tenant's
// login policy may end earlier instances on this platform; their next long poll (or, over
// WebSocket, a push) says so. The session itself ends when the UserSig expires on the tenant clock.
func openSession(c *Call) (state.Session, *Error) {
	var req struct{ State string }
	if e := c.decode(&req); e != nil {
		return state.Session{}, e
	}
	if c.App == nil {
		return state.Session{}, fail(CodeNoSuchApp, "login needs the query parameter sdkappid")
	}
	id := c.Params["identifier"]
	if id == "" {
		return state.Session{}, fail(CodeInvalidAccount, "login needs the query parameter identifier")
	}
	sig, err := usersig.Verify(c.Params["usersig"], c.App.Secret(), c.App.ID(), id, c.App.Now())
	if err != nil {
		return state.Session{}, asError(err)
	}
	s, _ := c.App.LoginAs(id, state.LoginInfo{Platform: c.Params["platform"], SigExpires: sig.ExpiresAt()})
	c.loggedIn(s)
	return s, nil
}

func logout(c *Call) (any, *Error) {
	c.App.Logout(c.Session.A2)
	return nil, nil
}

func authKey(c *Call) (any, *Error) {
	// Only used to build download URLs of old file elements; stable per tenant so transcripts are too.
	return map[string]any{"AuthKey": fmt.Sprintf("authkey-%d", c.App.ID()), "ExpireTime": 86400}, nil
}

type getMsgReq struct {
	Cookie   json.RawMessage
	SyncFlag int
}

// getmsg: the offline C2C sync. The SDK opens its long poll only after SyncFlag 2 with a
// non-empty string Cookie.
func getMsg(c *Call, req *getMsgReq) (any, error) {
	cookie, e := stringish(req.Cookie, "Cookie")
	if e != nil {
		return nil, e
	}
	page, err := c.App.SyncC2C(c.Session.User, cookie)
	if err != nil {
		return nil, err
	}
	type unread struct {
		From_Account string `json:"From_Account"`
		Count        int    `json:"Count"`
		LastMsgTime  int64  `json:"LastMsgTime"`
	}
	type pairUnread struct {
		From_Account string `json:"From_Account"`
		UnreadCount  int    `json:"UnreadCount"`
		LastMsgTime  int64  `json:"LastMsgTime"`
	}
	resp := struct {
		Cookie                  string   `json:"Cookie"`
		SyncFlag                int      `json:"SyncFlag"`
		MsgList                 []C2CMsg `json:"MsgList"`
		C2CRemainingUnreadCount []unread `json:"C2CRemainingUnreadCount"`
		// The WebSocket generation's per-peer unread counts, on the last page: @tencentcloud/chat
		// 3.x counts none of the synced messages as unread itself and takes these instead.
		C2CPairUnreadCount []pairUnread `json:"C2CPairUnreadCount,omitempty"`
	}{Cookie: page.Cookie, SyncFlag: 1, MsgList: []C2CMsg{}, C2CRemainingUnreadCount: []unread{}}
	if page.Complete {
		resp.SyncFlag = 2
		if c.Transport == "ws" {
			for _, u := range c.App.UnreadC2C(c.Session.User) {
				resp.C2CPairUnreadCount = append(resp.C2CPairUnreadCount, pairUnread{u.Peer, u.Count, u.LastTime})
			}
		}
	}
	for _, m := range page.Messages {
		resp.MsgList = append(resp.MsgList, c2cOut(m))
	}
	for _, u := range page.Unread {
		resp.C2CRemainingUnreadCount = append(resp.C2CRemainingUnreadCount, unread{u.Peer, u.Count, u.LastTime})
	}
	return resp, nil
}

// stringish accepts a JSON string or number (webim.js sends numeric cookies) or null.
func stringish(raw json.RawMessage, field string) (string, *Error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), nil
	}
	return "", fail(CodeJSONParse, "field %s: want a string, got %s", field, raw)
}

func getLongPollingID(c *Call) (any, *Error) {
	id, err := c.App.OpenLongPoll(c.Session.A2)
	if err != nil {
		return nil, asError(err)
	}
	return map[string]any{"LongPollingId": id, "Timeout": 30}, nil
}

type longPollingLogoutReq struct {
	LongPollingId string
}

func longPollingLogout(c *Call, req *longPollingLogoutReq) (any, error) {
	c.App.CloseLongPoll(c.Session.A2, req.LongPollingId)
	return nil, nil
}

// Long-poll reply codes that make the SDK log out.
const (
	codeKickMultipleAccount = 91101
	codeUserSigExpired      = usersig.CodeExpired
	maxEventsPerPoll        = 50
)

// longPolling holds the request until the user's queue has news for this session, the session is
// kicked or closed, the hold time passes ("no news": OK without EventArray), or the server stops.
func longPolling(c *Call) (any, *Error) {
	var req struct {
		Cookie struct {
			NoticeSeq     uint64
			NotifySeq     uint64 // webim.js: the Event 1 watermark, kept apart from NoticeSeq
			LongPollingId string
		}
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	// Both watermarks index the user's one event queue; the client is past the larger one.
	return c.h.longPoll(c, req.Cookie.LongPollingId, max(req.Cookie.NoticeSeq, req.Cookie.NotifySeq))
}

// pollReply renders the events of one long-poll reply; group events come from groupEvents,
// encoded once for all their receivers.
func pollReply(events []state.Event) any {
	arr := make(eventArray, 0, len(events))
	for _, e := range events {
		if raw, ok := groupEvents.event(e); ok {
			arr = append(arr, raw)
		} else if raw, ok := eventOut(e); ok {
			arr = append(arr, raw)
		}
	}
	if len(arr) == 0 {
		return nil
	}
	return arr
}

type sendMsgReq struct {
	From_Account    string
	To_Account      string
	MsgSeq          uint64
	MsgRandom       uint32
	MsgTimeStamp    int64
	MsgClientTime   int64 // the WebSocket generation's name for MsgTimeStamp
	MsgLifeTime     *int
	MsgBody         []MsgElem
	CloudCustomData string
}

func sendMsg(c *Call, req *sendMsgReq) (any, error) {
	if e := c.self(req.From_Account); e != nil {
		return nil, e
	}
	if req.To_Account == "" {
		return nil, fail(CodeInvalidAccount, "To_Account is missing")
	}
	body, e := elemsIn(req.MsgBody)
	if e != nil {
		return nil, e
	}
	if req.MsgTimeStamp == 0 {
		req.MsgTimeStamp = req.MsgClientTime
	}
	m, err := c.App.SendC2C(c.Session.Instance, state.C2CMessage{
		From: c.Session.User, To: req.To_Account, Seq: req.MsgSeq, Random: req.MsgRandom,
		ClientTime: req.MsgTimeStamp, Body: body, CloudCustomData: req.CloudCustomData, OnlineOnly: req.MsgLifeTime != nil && *req.MsgLifeTime == 0,
	})
	if err != nil {
		return nil, err
	}
	return &sendReply{m.Time, m.Key()}, nil
}

type getRoamMsgReq struct {
	Peer_Account string
	MaxCnt       int
	LastMsgTime  int64
	MsgKey       string
}

func getRoamMsg(c *Call, req *getRoamMsgReq) (any, error) {
	if req.Peer_Account == "" {
		return nil, fail(CodeMissingField, "Peer_Account is missing")
	}
	page, err := c.App.RoamC2C(c.Session.User, req.Peer_Account, req.MaxCnt, req.MsgKey)
	if err != nil {
		return nil, err
	}
	resp := struct {
		Complete    int      `json:"Complete"`
		MsgCnt      int      `json:"MsgCnt"`
		LastMsgTime int64    `json:"LastMsgTime"`
		MsgKey      string   `json:"MsgKey"`
		MsgList     []C2CMsg `json:"MsgList"`
	}{MsgCnt: len(page.Messages), LastMsgTime: page.LastTime, MsgKey: page.Key, MsgList: []C2CMsg{}}
	if page.Complete {
		resp.Complete = 1
	}
	for _, m := range page.Messages {
		resp.MsgList = append(resp.MsgList, c2cOut(m))
	}
	return resp, nil
}

type msgReadedReq struct {
	C2CMsgReaded struct {
		C2CMsgReadedItem []struct {
			To_Account    string
			LastedMsgTime int64
			Receipt       int
		}
	}
}

func msgReaded(c *Call, req *msgReadedReq) (any, error) {
	for _, it := range req.C2CMsgReaded.C2CMsgReadedItem {
		if it.To_Account == "" {
			return nil, fail(CodeMissingField, "C2CMsgReadedItem.To_Account is missing")
		}
		if err := c.App.MarkC2CRead(c.Session.User, it.To_Account, it.LastedMsgTime, it.Receipt == 1); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

type getPeerReadTimeReq struct {
	To_Account []string
}

func getPeerReadTime(c *Call, req *getPeerReadTimeReq) (any, error) {
	return map[string]any{"ReadTime": c.App.PeerReadTimes(c.Session.User, req.To_Account)}, nil
}

// sendReply is sendmsg's answer: a struct, not a map, because it is the hottest reply there is.
type sendReply struct {
	MsgTime int64  `json:"MsgTime"`
	MsgKey  string `json:"MsgKey"`
}

// appendTo writes the reply as json.Marshal would, without its reflection: every sendmsg answers one.
func (r *sendReply) appendTo(b *bytes.Buffer) {
	b.WriteString(`,"MsgTime":`)
	b.Write(strconv.AppendInt(b.AvailableBuffer(), r.MsgTime, 10))
	b.WriteString(`,"MsgKey":`)
	appendQuoted(b, r.MsgKey)
}
