package state

import "fmt"

// Audience polling of AVChatRoom groups: a viewer (logged in or anonymous) holds a key to the
// group and reads its messages and tips by sequence, without being a member whose queue gets
// them (Tencent's group_open_long_polling_http_noauth_svc).

type rooms struct {
	keys   map[string]string        // key → group id
	wake   map[string]chan struct{} // group id → closed when the group's sequence grows
	wakers map[string][]*waker      // group id → parked audience polls (RoomItemsNotify)
}

// wakeRoom tells the group's pollers its sequence grew. Lock held.
func (a *App) wakeRoom(groupID string) {
	if ch := a.rooms.wake[groupID]; ch != nil {
		close(ch)
		delete(a.rooms.wake, groupID)
	}
	if ws := a.rooms.wakers[groupID]; len(ws) > 0 {
		delete(a.rooms.wakers, groupID)
		for _, w := range ws {
			w.fn()
		}
	}
}

// RoomKey hands out a polling key for an AVChatRoom.
func (a *App) RoomKey(groupID string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return "", err
	}
	if g.info.Type != GroupAVChatRoom {
		return "", errorf(GroupBadParam, "group %q is %s: only AVChatRooms are polled with a key", groupID, g.info.Type)
	}
	if a.rooms.keys == nil {
		a.rooms.keys = map[string]string{}
	}
	k := fmt.Sprintf("avk-%s", a.ids.token(16))
	a.rooms.keys[k] = groupID
	return k, nil
}

// RoomPage is what one audience poll reads.
type RoomPage struct {
	GroupID string
	Items   []GroupItem // oldest first
	Next    uint64      // the StartSeq of the next poll
	Ended   bool        // the tenant closed (the server stops): RoomItemsNotify reads nothing more
}

// RoomItems reads the group's items from seq start on (0: from now, i.e. only what comes later),
// at most max. When there are none, wait on the returned channel and read again.
func (a *App) RoomItems(key string, start uint64, max int) (RoomPage, <-chan struct{}, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, err := a.roomPage(key, start, max)
	if err != nil {
		return p, nil, err
	}
	if a.rooms.wake == nil {
		a.rooms.wake = map[string]chan struct{}{}
	}
	ch := a.rooms.wake[p.GroupID]
	if ch == nil {
		ch = make(chan struct{})
		a.rooms.wake[p.GroupID] = ch
	}
	return p, ch, nil
}

// RoomItemsNotify is RoomItems for a caller that does not wait on a goroutine (as PollNotify is
// Poll's): when the page is empty it registers wake, which the group's next item (or the tenant's
// close) calls once under the tenant's lock, so it must only hand the work elsewhere. cancel
// withdraws wake if it has not been called. On a closed tenant the page says Ended.
func (a *App) RoomItemsNotify(key string, start uint64, max int, wake func()) (p RoomPage, cancel func(), err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return RoomPage{Ended: true}, func() {}, nil
	}
	if p, err = a.roomPage(key, start, max); err != nil || len(p.Items) > 0 {
		return p, func() {}, err
	}
	if a.rooms.wakers == nil {
		a.rooms.wakers = map[string][]*waker{}
	}
	w, id := &waker{fn: wake}, p.GroupID
	a.rooms.wakers[id] = append(a.rooms.wakers[id], w)
	return p, func() { a.unparkRoom(id, w) }, nil
}

func (a *App) unparkRoom(groupID string, w *waker) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ws := a.rooms.wakers[groupID]
	for i, x := range ws {
		if x == w {
			last := len(ws) - 1
			ws[i], ws[last] = ws[last], nil
			if last == 0 {
				delete(a.rooms.wakers, groupID)
			} else {
				a.rooms.wakers[groupID] = ws[:last]
			}
			return
		}
	}
}

// roomPage is one audience read. Lock held.
func (a *App) roomPage(key string, start uint64, max int) (RoomPage, error) {
	if a.closed {
		return RoomPage{}, errorf(AuthFailed, "the tenant is gone")
	}
	id, ok := a.rooms.keys[key]
	if !ok {
		return RoomPage{}, errorf(GroupBadParam, "Key %q is not a polling key of this server (apply_join_group hands one out)", key)
	}
	g, err := a.findGroup(id)
	if err != nil {
		delete(a.rooms.keys, key)
		return RoomPage{}, err
	}
	if start == 0 || start > g.lastSeq()+1 {
		start = g.lastSeq() + 1
	}
	p := RoomPage{GroupID: id, Next: start}
	for seq := start; seq <= g.lastSeq() && len(p.Items) < max; seq++ {
		it := g.items[seq-1]
		if it.msg != nil {
			c := *it.msg
			p.Items = append(p.Items, GroupItem{Msg: &c})
		} else {
			c := *it.tip
			p.Items = append(p.Items, GroupItem{Tip: &c})
		}
		p.Next = seq + 1
	}
	return p, nil
}

// DropRoomKey forgets a polling key (quit_group of a viewer).
func (a *App) DropRoomKey(groupID string, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rooms.keys[key] == groupID {
		delete(a.rooms.keys, key)
	}
}
