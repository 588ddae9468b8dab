package state

import "fmt"

// Audience polling of AVChatRoom groups: a viewer (logged in or anonymous) holds a key to the
// group and reads its messages and tips by sequence, without being a member whose queue gets
// them (Tencent's group_open_long_polling_http_noauth_svc).

type rooms struct {
	keys map[string]string        // key → group id
	wake map[string]chan struct{} // group id → closed when the group's sequence grows
}

// wakeRoom tells the group's pollers its sequence grew. Lock held.
func (a *App) wakeRoom(groupID string) {
	if ch := a.rooms.wake[groupID]; ch != nil {
		close(ch)
		delete(a.rooms.wake, groupID)
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
}

// RoomItems reads the group's items from seq start on (0: from now, i.e. only what comes later),
// at most max. When there are none, wait on the returned channel and read again.
func (a *App) RoomItems(key string, start uint64, max int) (RoomPage, <-chan struct{}, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return RoomPage{}, nil, errorf(AuthFailed, "the tenant is gone")
	}
	id, ok := a.rooms.keys[key]
	if !ok {
		return RoomPage{}, nil, errorf(GroupBadParam, "Key %q is not a polling key of this server (apply_join_group hands one out)", key)
	}
	g, err := a.findGroup(id)
	if err != nil {
		delete(a.rooms.keys, key)
		return RoomPage{}, nil, err
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
	if a.rooms.wake == nil {
		a.rooms.wake = map[string]chan struct{}{}
	}
	ch := a.rooms.wake[id]
	if ch == nil {
		ch = make(chan struct{})
		a.rooms.wake[id] = ch
	}
	return p, ch, nil
}

// DropRoomKey forgets a polling key (quit_group of a viewer).
func (a *App) DropRoomKey(groupID string, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rooms.keys[key] == groupID {
		delete(a.rooms.keys, key)
	}
}
