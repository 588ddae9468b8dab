package tim

import (
	"time"

	"github.com/imharness/imharness/mockserver/state"
)

// AVChatRoom audiences (webim.js applyJoinBigGroup / quitBigGroup): joining hands out a
// LongPollingKey, with which the viewer, logged in or not, polls the group's messages and tips
// (v1/group_open_long_polling_http_noauth_svc/get_msg). Without a login, joining and quitting go
// to group_open_http_noauth_svc and make the viewer no member.

func roomRoutes(r routes) error {
	return r.add(authApp, map[string]func(*Call) (any, *Error){
		"group_open_http_noauth_svc/apply_join_group":     applyJoinRoomAnonymously,
		"group_open_http_noauth_svc/quit_group":           quitRoomAnonymously,
		"group_open_long_polling_http_noauth_svc/get_msg": roomGetMsg,
	})
}

// roomHoldTime is the HoldTime the reply hands back (the client's next XHR timeout, in seconds);
// the server answers long before, after its own hold.
const (
	roomHoldTime    = 90
	maxItemsPerPoll = 50
)

func applyJoinRoomAnonymously(c *Call) (any, *Error) {
	var req struct {
		GroupId          string
		ApplyMsg         string
		UserDefinedField string
	}
	if e := c.decodeGroup(&req); e != nil {
		return nil, e
	}
	if req.GroupId == "" {
		return nil, fail(CodeGroupBadParam, "GroupId is missing")
	}
	key, err := c.App.RoomKey(req.GroupId)
	if err != nil {
		return nil, asError(err)
	}
	return map[string]any{"JoinedStatus": "JoinedSuccess", "LongPollingKey": key}, nil
}

func quitRoomAnonymously(c *Call) (any, *Error) {
	var req struct{ GroupId string }
	if e := c.decodeGroup(&req); e != nil {
		return nil, e
	}
	if req.GroupId == "" {
		return nil, fail(CodeGroupBadParam, "GroupId is missing")
	}
	if _, _, err := c.App.Group("", req.GroupId); err != nil {
		return nil, asError(err)
	}
	return nil, nil
}

// roomKeyFor adds the LongPollingKey to a logged-in join of an AVChatRoom (webim.js needs it to
// start polling; without it the SDK reports -12 "not AVChatRoom").
func (c *Call) roomKeyFor(groupID string, reply map[string]any) {
	if in, _, err := c.App.Group(c.op(), groupID); err == nil && in.Type == state.GroupAVChatRoom {
		if key, err := c.App.RoomKey(groupID); err == nil {
			reply["LongPollingKey"] = key
		}
	}
}

// roomGetMsg holds until the group has items from StartSeq on (0: whatever comes next), the hold
// passes, or the server stops; the items go newest first (webim.js walks the list backwards).
func roomGetMsg(c *Call) (any, *Error) {
	var req struct {
		USP      int
		StartSeq uint64
		HoldTime int
		Key      string
	}
	if e := c.decodeGroup(&req); e != nil {
		return nil, e
	}
	if req.Key == "" {
		return nil, fail(CodeGroupBadParam, "Key is missing (apply_join_group hands one out)")
	}
	hold := time.NewTimer(c.h.o.Hold)
	defer hold.Stop()
	for {
		page, wake, err := c.App.RoomItems(req.Key, req.StartSeq, maxItemsPerPoll)
		if err != nil {
			return nil, asError(err)
		}
		if len(page.Items) > 0 {
			return roomReply(page, req.Key), nil
		}
		req.StartSeq = page.Next
		select {
		case <-wake:
		case <-hold.C:
			return roomReply(page, req.Key), nil
		case <-c.Context().Done():
			return roomReply(page, req.Key), nil
		case <-c.h.o.Done:
			return roomReply(page, req.Key), nil
		}
	}
}

func roomReply(p state.RoomPage, key string) map[string]any {
	list := make([]GroupMsg, 0, len(p.Items))
	for i := len(p.Items) - 1; i >= 0; i-- {
		m := historyOut(p.Items[i], false)
		if m.Event == 0 {
			m.Event = eventGroupMsg
		}
		list = append(list, m)
	}
	return map[string]any{"NextSeq": p.Next, "HoldTime": roomHoldTime, "Key": key, "RspMsgList": list}
}
