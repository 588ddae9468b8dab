package state

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Elem is one message element. Content is opaque to the state: the adapter owns its wire shape.
type Elem struct {
	Type    string
	Content json.RawMessage
}

// C2CMessage is a one-to-one message.
type C2CMessage struct {
	From, To   string
	Seq        uint64 // the sender's MsgSeq (a client counter in Tencent's protocol)
	Random     uint32
	ClientTime int64  // the sender's MsgTimeStamp (MsgClientTime from the WebSocket generation)
	FromTinyID string // the sender's TinyId: WebSocket SDKs build message IDs from it
	Time       int64  // server time, unix seconds
	Body       []Elem
	Index      int  // 1-based position in the tenant's send order
	OnlineOnly bool // not stored for roaming or offline sync
	Revoked    bool
	// CloudCustomData is the sender's opaque extra data (tim-js-sdk ≥ 2.10), delivered as sent.
	CloudCustomData string
}

// Key is the message's roaming cursor value (Tencent's MsgKey): its place in the tenant's send
// order and its random.
func (m C2CMessage) Key() string {
	var buf [24]byte // "index_random" without fmt: every send answers one
	b := strconv.AppendInt(buf[:0], int64(m.Index), 10)
	b = append(b, '_')
	return string(strconv.AppendUint(b, uint64(m.Random), 10))
}

func pairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "\x00" + b
}

// SendC2C stores and delivers a C2C message from the session's user. The message is queued for
// every session of the receiver and for the sender's other sessions.
func (a *App) SendC2C(fromInstance int, m C2CMessage) (C2CMessage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	from := a.users[m.From]
	if from == nil {
		return m, errorf(InvalidAccount, "no sender %q", m.From)
	}
	to := a.users[m.To]
	if to == nil {
		return m, errorf(InvalidAccount, "To_Account %q is not an account of app %d", m.To, a.id)
	}
	if len(m.Body) == 0 {
		return m, errorf(BadRequest, "MsgBody is empty")
	}
	if dup := a.resent(m); dup != nil {
		return *dup, nil // a retry of a send whose answer the client lost: stored and delivered once
	}
	m.Time = a.clock.Now().Unix()
	m.Index = a.evictedC2C + len(a.c2c) + 1
	m.FromTinyID = from.tinyID
	cp := m
	a.c2c = append(a.c2c, &cp)
	if !m.OnlineOnly {
		k := pairKey(m.From, m.To)
		a.pairs[k] = append(a.pairs[k], &cp)
		to.mailbox = append(to.mailbox, &cp)
	}
	delete(to.hidden, m.From)
	delete(from.hidden, m.To)
	to.convSet[m.From] = true
	from.convSet[m.To] = true
	a.push(to, Event{Kind: EvC2CMessage, C2C: &cp})
	if m.To != m.From {
		a.push(from, Event{Kind: EvC2CMessage, C2C: &cp, ExceptInstance: fromInstance})
	}
	a.evictC2C()
	return cp, nil
}

// resendWindow is how far back in a conversation a resent message is recognised.
const resendWindow = 16

// resent finds the stored message m repeats: the same sender, receiver, MsgSeq and MsgRandom among
// the conversation's latest messages. SDKs resend a message whose reply they did not get with the
// same MsgSeq and MsgRandom, and the real service stores and delivers it once. Lock held.
func (a *App) resent(m C2CMessage) *C2CMessage {
	if m.Random == 0 && m.Seq == 0 {
		return nil // nothing identifies the message: every send is a new one
	}
	list := a.pairs[pairKey(m.From, m.To)]
	for i := len(list) - 1; i >= 0 && i >= len(list)-resendWindow; i-- {
		// The numbers first: they differ for nearly every message, the names for none in a pair.
		if p := list[i]; p.Random == m.Random && p.Seq == m.Seq && p.From == m.From && p.To == m.To {
			return p
		}
	}
	return nil
}

// mailboxEnd is the position after the user's newest mailbox entry.
func (u *user) mailboxEnd() int { return u.mailboxBase + len(u.mailbox) }

// markSynced records that a message reached the user, so a later offline sync skips it. The sync
// starts after the last message every earlier one of which reached the user too: a message stored
// while the user was away stays for the sync when a newer one is delivered first (the WebSocket
// generation is pushed to from its login on, before its first getmsg is answered, or when it failed).
// Lock held.
func (a *App) markSynced(u *user, m *C2CMessage) {
	if i := max(u.synced, u.mailboxBase); i < u.mailboxEnd() && u.mailbox[i-u.mailboxBase] == m {
		u.synced = i + 1
	}
}

// Unread is a per-peer unread count.
type Unread struct {
	Peer     string
	Count    int
	LastTime int64
}

// SyncPage is one page of the offline C2C sync (Tencent getmsg).
type SyncPage struct {
	Messages []C2CMessage
	Cookie   string // the cursor to send next; never empty
	Complete bool
	Unread   []Unread // on the first page: unread messages synced before, which the page does not carry
}

const syncPageSize = 20

// SyncC2C returns the messages that reached the user since its last sync. cookie is the previous
// page's Cookie, or "" to start from where the user's last sync ended.
func (a *App) SyncC2C(userID, cookie string) (SyncPage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return SyncPage{}, errorf(InvalidAccount, "no user %q", userID)
	}
	start := u.synced
	if cookie != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(cookie, "c"))
		if err != nil || !strings.HasPrefix(cookie, "c") || n < 0 || n > u.mailboxEnd() {
			return SyncPage{}, errorf(BadRequest, "Cookie %q is not a sync cursor of this server", cookie)
		}
		start = n
	}
	start = max(start, u.mailboxBase) // messages evicted since are not synced any more
	end := min(start+syncPageSize, u.mailboxEnd())
	p := SyncPage{Cookie: fmt.Sprintf("c%d", end), Complete: end == u.mailboxEnd()}
	for _, m := range u.mailbox[start-u.mailboxBase : end-u.mailboxBase] {
		p.Messages = append(p.Messages, *m)
	}
	if p.Complete && end > u.synced {
		u.synced = end
	}
	if p.Complete {
		u.syncedEvents = u.eventEnd()
		u.syncGen++
	}
	if cookie == "" {
		// The SDK counts the messages of the sync itself; "remaining" are the unread ones it will
		// not see again, because an earlier session already synced them.
		p.Unread = a.unread(u, start)
	}
	return p, nil
}

// unread counts, per peer, the messages newer than the user's read mark among mailbox[:upto]
// (upto < 0: the whole mailbox). Lock held.
func (a *App) unread(u *user, upto int) []Unread {
	if upto < 0 || upto > u.mailboxEnd() {
		upto = u.mailboxEnd()
	}
	byPeer := map[string]*Unread{}
	for i := u.mailboxBase; i < upto; i++ {
		m := u.mailbox[i-u.mailboxBase]
		if m.From == u.id || m.Revoked || i < u.readUpTo[m.From] {
			continue
		}
		x := byPeer[m.From]
		if x == nil {
			x = &Unread{Peer: m.From}
			byPeer[m.From] = x
		}
		x.Count++
		x.LastTime = max(x.LastTime, m.Time)
	}
	out := make([]Unread, 0, len(byPeer))
	for _, x := range byPeer {
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out
}

// UnreadC2C is the user's unread counts per peer.
func (a *App) UnreadC2C(userID string) []Unread {
	a.mu.Lock()
	defer a.mu.Unlock()
	if u := a.users[userID]; u != nil {
		return a.unread(u, -1)
	}
	return nil
}

// RoamPage is one page of C2C history (Tencent getroammsg).
type RoamPage struct {
	Messages []C2CMessage // oldest → newest
	Complete bool
	LastTime int64  // the oldest message's time, the next request's LastMsgTime
	Key      string // the next request's MsgKey
}

// RoamC2C pages history between user and peer backwards from the cursor (key "" = newest).
func (a *App) RoamC2C(userID, peer string, max int, key string) (RoamPage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.users[userID] == nil {
		return RoamPage{}, errorf(InvalidAccount, "no user %q", userID)
	}
	if max <= 0 || max > 100 {
		max = 20
	}
	list := a.pairs[pairKey(userID, peer)]
	end := len(list)
	if key != "" {
		end = -1
		for i, m := range list {
			if m.Key() == key {
				end = i
				break
			}
		}
		if end < 0 && a.evictedBefore(list, key) {
			return RoamPage{Complete: true}, nil // the cursor's message was evicted: nothing older is kept
		}
		if end < 0 {
			return RoamPage{}, errorf(BadRequest, "MsgKey %q does not name a message of this conversation", key)
		}
	}
	start := end - max
	if start < 0 {
		start = 0
	}
	var p RoamPage
	for _, m := range list[start:end] {
		p.Messages = append(p.Messages, *m)
	}
	p.Complete = start == 0
	if len(p.Messages) > 0 {
		p.LastTime = p.Messages[0].Time
		p.Key = p.Messages[0].Key()
	}
	return p, nil
}

// MarkC2CRead records that the user read the conversation with peer up to t and, when receipt is
// asked, tells the peer.
func (a *App) MarkC2CRead(userID, peer string, t int64, receipt bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return errorf(InvalidAccount, "no user %q", userID)
	}
	if t > u.readTime[peer] {
		u.readTime[peer] = t
	}
	for j, m := range u.mailbox {
		if i := u.mailboxBase + j; m.From == peer && m.Time <= t && i+1 > u.readUpTo[peer] {
			u.readUpTo[peer] = i + 1
		}
	}
	if p := a.users[peer]; receipt && p != nil && peer != userID {
		a.push(p, Event{Kind: EvReadReceipt, Receipt: &ReadReceipt{Reader: userID, Time: u.readTime[peer]}})
	}
	return nil
}

// PeerReadTimes answers, for each peer, up to when that peer read its conversation with the user.
func (a *App) PeerReadTimes(userID string, peers []string) []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]int64, len(peers))
	for i, p := range peers {
		if pu := a.users[p]; pu != nil {
			out[i] = pu.readTime[userID]
		}
	}
	return out
}

// C2CHistory returns every stored C2C message between two users, oldest first (admin, tests).
func (a *App) C2CHistory(x, y string) []C2CMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []C2CMessage
	for _, m := range a.pairs[pairKey(x, y)] {
		out = append(out, *m)
	}
	return out
}
