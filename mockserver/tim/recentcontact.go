package tim

import (
	"errors"
	"github.com/imharness/imharness/mockserver/state"
)

func recentContactRoutes(r routes) error {
	return errors.Join(
		r.add(authSession, map[string]func(*Call) (any, *Error){
			"recentcontact/page_get": bind(openimBody, recentContacts),
			"recentcontact/get":      bind(openimBody, recentContacts),
			"recentcontact/delete":   bind(openimBody, deleteRecentContact),
			// The WebSocket generation deletes conversations in batches.
			"recentcontact/batch_delete": bind(openimBody, batchDeleteRecentContacts),
		}),
	)
}

type lastMsg struct {
	MsgBody []MsgElem `json:"MsgBody"`
}

// sessionItem covers both C2C (Type 1) and group (Type 2) entries; omitempty keeps each to its own keys.
type sessionItem struct {
	Type                  int     `json:"Type"`
	To_Account            string  `json:"To_Account,omitempty"`
	ToAccount             string  `json:"ToAccount,omitempty"`
	MsgTimeStamp          int64   `json:"MsgTimeStamp"`
	MsgSeq                uint64  `json:"MsgSeq"`
	MsgRandom             uint32  `json:"MsgRandom,omitempty"`
	MsgShow               string  `json:"MsgShow"`
	C2cNick               *string `json:"C2cNick,omitempty"`
	C2cImage              *string `json:"C2cImage,omitempty"`
	LastC2CMsgFromAccount string  `json:"LastC2CMsgFromAccount,omitempty"`
	MsgGroupFrom_Account  string  `json:"MsgGroupFrom_Account,omitempty"`
	UnreadMsgCount        int     `json:"UnreadMsgCount"`
	C2cPeerReadTime       *int64  `json:"C2cPeerReadTime,omitempty"`
	MsgGroupReadedSeq     *uint64 `json:"MsgGroupReadedSeq,omitempty"`
	LastMsg               lastMsg `json:"LastMsg"`
}

type recentContactsReq struct {
	From_Account string
	TimeStamp    int64
}

// recentContacts answers page_get (login) and get (getConversationList) in one complete page.
func recentContacts(c *Call, req *recentContactsReq) (any, error) {
	convs, err := c.App.Conversations(c.Session.User)
	if err != nil {
		return nil, err
	}
	items := []sessionItem{}
	for _, cv := range convs {
		items = append(items, c.sessionItem(cv))
	}
	return map[string]any{"CompleteFlag": 1, "TimeStamp": c.App.Now().Unix(), "SessionItem": items}, nil
}

func (c *Call) sessionItem(cv state.Conversation) sessionItem {
	it := sessionItem{UnreadMsgCount: cv.Unread, MsgTimeStamp: cv.Time}
	switch cv.Type {
	case state.ConvC2C:
		m := cv.LastC2C
		nick, image := c.profileString(cv.Peer, state.FieldNick), c.profileString(cv.Peer, state.FieldAvatar)
		it.Type, it.To_Account, it.C2cNick, it.C2cImage = 1, cv.Peer, &nick, &image
		it.MsgSeq, it.MsgRandom, it.LastC2CMsgFromAccount = m.Seq, m.Random, m.From
		it.C2cPeerReadTime = &cv.PeerReadTime
		it.LastMsg = lastMsg{MsgBody: elemsOut(m.Body)}
	case state.ConvGroup:
		it.Type, it.ToAccount = 2, cv.Peer
		seq := cv.ReadSeq
		it.MsgGroupReadedSeq = &seq
		if m := cv.LastGroup; m != nil {
			it.MsgSeq, it.MsgRandom, it.MsgGroupFrom_Account = m.Seq, m.Random, m.From
			it.LastMsg = lastMsg{MsgBody: elemsOut(m.Body)}
		} else {
			it.LastMsg = lastMsg{MsgBody: []MsgElem{}}
		}
	}
	return it
}

func (c *Call) profileString(user string, f state.ProfileField) string {
	items, _ := c.App.Profile(user)
	for _, it := range items {
		if it.Field == f {
			if s, ok := it.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

type deleteRecentContactReq struct {
	To_Account string
	ToGroupid  string
	Type       int
}

func deleteRecentContact(c *Call, req *deleteRecentContactReq) (any, error) {
	var err error
	switch req.Type {
	case 1:
		if req.To_Account == "" {
			return nil, fail(CodeMissingField, "To_Account is missing")
		}
		err = c.App.DeleteConversation(c.Session.User, state.ConvC2C, req.To_Account)
	case 2:
		if req.ToGroupid == "" {
			return nil, fail(CodeMissingField, "ToGroupid is missing")
		}
		err = c.App.DeleteConversation(c.Session.User, state.ConvGroup, req.ToGroupid)
	default:
		return nil, fail(CodeMissingField, "Type must be 1 (C2C) or 2 (group), got %d", req.Type)
	}
	if err != nil {
		return nil, err
	}
	return nil, nil
}

// batchDeleteRecentContacts deletes each ContactItem ({To_Account|ToGroupid, Type}) as
// recentcontact/delete does and answers one ResultItem per item; the SDK drops from its list the
// conversations whose ResultCode is 0.
type batchDeleteRecentContactsReq struct {
	ContactItem []deleteRecentContactReq
}

func batchDeleteRecentContacts(c *Call, req *batchDeleteRecentContactsReq) (any, error) {
	if len(req.ContactItem) == 0 {
		return nil, fail(CodeMissingField, "ContactItem is missing or empty")
	}
	type result struct {
		To_Account string `json:"To_Account,omitempty"`
		ToGroupid  string `json:"ToGroupid,omitempty"`
		Type       int    `json:"Type"`
		ResultCode int    `json:"ResultCode"`
		ResultInfo string `json:"ResultInfo"`
	}
	out := []result{}
	for _, it := range req.ContactItem {
		r := result{To_Account: it.To_Account, ToGroupid: it.ToGroupid, Type: it.Type}
		if _, err := deleteRecentContact(c, &it); err != nil {
			e := asError(err)
			r.ResultCode, r.ResultInfo = e.Code, e.Info
		}
		out = append(out, r)
	}
	return map[string]any{"ResultItem": out}, nil
}
