package tim

import (
	"sync"
	"time"

	"github.com/imharness/imharness/mockserver/call"
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
// Like a long poll, a held audience poll keeps no goroutine (roomWait).
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
	h := c.h
	w := &roomWait{app: c.App, key: req.Key, start: req.StartSeq}
	w.wake = func() { h.run(w.retry) }
	w.mu.Lock()
	defer w.mu.Unlock()
	if reply, err, ready := w.look(); ready {
		return reply, err
	}
	w.p = call.NewPending(func() { h.run(w.stop) })
	w.timer = time.AfterFunc(h.o.Hold, func() { h.run(w.stop) })
	return w.p, nil
}

// roomWait is an audience poll with nothing new yet, parked as a long poll is (pollWait): the
// group's next item calls wake (from the state's room wake list), the hold timer and the
// transport's Stop (client gone, server stopping) call stop, each on the transport's workers.
type roomWait struct {
	app  *state.App
	key  string
	p    *call.Pending
	wake func()

	mu     sync.Mutex
	start  uint64         // the next seq to read: the client's StartSeq, then where the last read ended
	page   state.RoomPage // the last (empty) read, answered when the hold ends
	done   bool
	cancel func() // withdraws wake from the room's list
	timer  *time.Timer
}

// look reads the room; when nothing is there it has registered wake. w.mu held.
func (w *roomWait) look() (reply any, err *Error, ready bool) {
	page, cancel, serr := w.app.RoomItemsNotify(w.key, w.start, maxItemsPerPoll, w.wake)
	w.cancel = cancel
	switch {
	case serr != nil:
		return nil, asError(serr), true
	case page.Ended && w.p == nil: // a request to a tenant already gone
		return nil, fail(CodeAuthFailed, "the tenant is gone"), true
	case page.Ended: // the server stops: the poll answers what it had, as when the hold ends
		return roomReply(w.page, w.key), nil, true
	case len(page.Items) > 0:
		return roomReply(page, w.key), nil, true
	}
	w.start, w.page = page.Next, page
	return nil, nil, false
}

// retry reads again after a wake-up.
func (w *roomWait) retry() {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return
	}
	reply, err, ready := w.look()
	if ready {
		w.done = true
		w.timer.Stop()
	}
	w.mu.Unlock()
	if ready {
		w.p.Finish(call.Result{Body: encode(reply, err)})
	}
}

// stop answers the empty page: the hold ran out, the client went away or the server stops.
func (w *roomWait) stop() {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return
	}
	w.cancel()
	w.done = true
	w.timer.Stop()
	page := w.page
	w.mu.Unlock()
	w.p.Finish(call.Result{Body: encode(roomReply(page, w.key), nil)})
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
