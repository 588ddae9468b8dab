package state

import "sort"

// ConvType is a conversation's kind.
type ConvType int

const (
	ConvC2C   ConvType = 1
	ConvGroup ConvType = 2
)

// Conversation is one entry of a user's recent-contact list.
type Conversation struct {
	Type         ConvType
	Peer         string // user id (C2C) or group id
	Time         int64  // last message time
	LastC2C      *C2CMessage
	LastGroup    *GroupMessage
	Unread       int
	PeerReadTime int64  // C2C: up to when the peer read
	ReadSeq      uint64 // group: the user's read mark
}

// Conversations lists the user's conversations, newest first; deleted ones come back with their
// next message.
func (a *App) Conversations(userID string) ([]Conversation, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", userID)
	}
	unread := map[string]int{}
	for _, x := range a.unread(u, -1) {
		unread[x.Peer] = x.Count
	}
	var out []Conversation
	for peer := range u.convSet {
		if u.hidden[peer] {
			continue
		}
		list := a.pairs[pairKey(userID, peer)]
		if len(list) == 0 {
			continue
		}
		last := *list[len(list)-1]
		c := Conversation{Type: ConvC2C, Peer: peer, Time: last.Time, LastC2C: &last, Unread: unread[peer]}
		if p := a.users[peer]; p != nil {
			c.PeerReadTime = p.readTime[userID]
		}
		out = append(out, c)
	}
	out = append(out, a.groupConversations(u)...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Time != out[j].Time {
			return out[i].Time > out[j].Time
		}
		return out[i].Peer < out[j].Peer
	})
	return out, nil
}

// DeleteConversation hides a conversation from the user's list until its next message.
func (a *App) DeleteConversation(userID string, t ConvType, peer string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return errorf(InvalidAccount, "no user %q", userID)
	}
	key := peer
	if t == ConvGroup {
		key = "GROUP" + peer
	}
	u.hidden[key] = true
	return nil
}
