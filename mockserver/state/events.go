package state

import "encoding/json"

// EventKind says what an Event carries.
type EventKind int

const (
	EvC2CMessage   EventKind = iota + 1 // a C2C message (Tencent Event 9)
	EvGroupMessage                      // a group message (Event 3)
	EvGroupTip                          // a group tip (Event 4)
	EvGroupNotice                       // a group system notice (Event 5)
	EvKickout                           // another device logged in (Event 10 KickoutMsgNotify)
	EvReadReceipt                       // the peer read up to a time (Event 10 C2cReadedReceipt)
	EvRaw                               // an adapter-specific event injected by a scenario
	EvGroupRecall                       // group messages were recalled (Event 5 GroupWithdrawInfoArray)
	EvFriend                            // a relationship-chain change (Event 7 FriendListMod)
	EvProfile                           // a user's profile changed (Event 8 ProfileDataMod)
	EvC2CRecall                         // a C2C message was recalled (Event 10 WithdrawC2cMsgNotify)
)

// Event is one item in a user's event queue. Seq numbers the user's queue from 1 (Tencent's
// NoticeSeq); every session of the user sees the same queue.
type Event struct {
	Seq  uint64
	Kind EventKind
	// ExceptInstance, when non-zero, hides the event from that instance of the user (the sender's
	// own session does not get its C2C message echoed back).
	ExceptInstance int
	// NotifyOnly (set by Poll in C2C-notify mode) asks the adapter to announce a C2C message
	// instead of carrying it (Tencent Event 1 then getmsg, rather than Event 9).
	NotifyOnly bool

	C2C     *C2CMessage
	Group   *GroupMessage
	Tip     *GroupTip
	Notice  *GroupNotice
	Receipt *ReadReceipt
	Kick    *Kickout
	Raw     *RawEvent
	Recall  *GroupRecall
	// C2CRecall: EvC2CRecall's recalled message.
	C2CRecall *C2CRecall
	Friend    *FriendNotice
	Profile   *ProfileChange

	// Origin, for a group tip or notice queued for several receivers, is the same pointer in every
	// receiver's copy (a *GroupTip or *GroupNotice, as sent before the receiver's own fields: To,
	// and a notice's Seq and Random): an adapter may encode what the copies share once per Origin.
	Origin any
}

// ReadReceipt says Reader read the conversation with the event's owner up to Time.
type ReadReceipt struct {
	Reader string
	Time   int64
}

// Kickout says the account was logged in on another device.
type Kickout struct {
	User     string
	SDKAppID int64
}

// RawEvent is a wire-shaped event for one protocol, pushed as is (scenario "deliver an arbitrary event").
type RawEvent struct {
	Protocol string          // "tim"
	Body     json.RawMessage // e.g. {"Event":9,"C2cMsgArray":[…]}
}

// push appends an event to the user's queue and wakes its long polls. Lock held.
func (a *App) push(u *user, e Event) {
	e.Seq = u.eventEnd() + 1
	u.events = append(u.events, e)
	a.trimEvents(u)
	u.wakeAll()
}

// eventEnd is the Seq of the user's newest event (0 before the first).
func (u *user) eventEnd() uint64 { return u.eventBase + uint64(len(u.events)) }

// PushRaw queues a protocol-specific event for every session of a user.
func (a *App) PushRaw(userID string, raw RawEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return errorf(InvalidAccount, "no user %q", userID)
	}
	a.push(u, Event{Kind: EvRaw, Raw: &raw})
	return nil
}

// PollResult is what a long poll should answer now.
type PollResult struct {
	Events []Event // deliverable events after the cursor
	Kicked string  // the server ended the session (EndMultipleAccount, EndUserSigExpired, …): answer with that
	Ended  bool    // the long poll was closed or the session logged out: answer "no news"
}

// Ready reports whether the poll should be answered now.
func (r PollResult) Ready() bool { return len(r.Events) > 0 || r.Kicked != "" || r.Ended }

// Poll looks at the session's queue after the client's cursor. When nothing is ready, wait on the
// returned channel (outside any lock) and poll again.
func (a *App) Poll(a2, longPollID string, after uint64, max int) (PollResult, <-chan struct{}, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res, u, err := a.poll(a2, longPollID, after, max)
	if err != nil {
		return res, nil, err
	}
	return res, u.waiter(), nil
}

// PollNotify is Poll for a caller that does not wait on a goroutine: when nothing is ready it
// registers wake, which the user's next event (or kick, logout, close) calls once, under the
// tenant's lock, so it must only hand the work elsewhere; the caller then polls again. cancel
// withdraws wake if it has not been called (a poll that timed out); it is a no-op otherwise.
func (a *App) PollNotify(a2, longPollID string, after uint64, max int, wake func()) (res PollResult, cancel func(), err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res, u, err := a.poll(a2, longPollID, after, max)
	if err != nil || res.Ready() {
		return res, func() {}, err
	}
	w := &waker{fn: wake}
	u.wakers = append(u.wakers, w)
	return res, func() { a.unpark(u, w) }, nil
}

// waker is a parked poll in a user's wake list.
type waker struct{ fn func() }

func (a *App) unpark(u *user, w *waker) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, x := range u.wakers {
		if x == w {
			last := len(u.wakers) - 1
			u.wakers[i] = u.wakers[last]
			u.wakers[last] = nil
			u.wakers = u.wakers[:last]
			return
		}
	}
}

// poll is Poll's look at the queue. Lock held.
func (a *App) poll(a2, longPollID string, after uint64, max int) (PollResult, *user, error) {
	s := a.sessions[a2]
	if s == nil {
		return PollResult{}, nil, errorf(AuthFailed, "no live session")
	}
	u := a.users[s.User]
	if a.closed {
		return PollResult{Ended: true}, u, nil
	}
	a.expire(s)
	if s.Kicked != "" {
		return PollResult{Kicked: s.Kicked}, u, nil
	}
	if s.LoggedOut || s.LongPoll == "" || (longPollID != "" && longPollID != s.LongPoll) {
		return PollResult{Ended: true}, u, nil
	}
	if after < s.watermark {
		after = s.watermark
	}
	if after < u.eventBase { // the events after the cursor were dropped: deliver from the oldest kept
		after = u.eventBase
	}
	var out []Event
	for i := int(after - u.eventBase); i < len(u.events) && len(out) < max; i++ {
		e := u.events[i]
		if e.ExceptInstance == s.Instance {
			continue
		}
		if e.Kind == EvC2CMessage && e.C2C != nil {
			if a.c2cNotify && e.C2C.From != u.id {
				// Event 1 only says "sync": the message stays for getmsg to fetch.
				e.NotifyOnly = true
			} else {
				a.markSynced(u, e.C2C)
			}
		}
		out = append(out, e)
	}
	return PollResult{Events: out}, u, nil
}

// EventsOf returns a copy of the user's whole queue (admin API, tests).
func (a *App) EventsOf(userID string) []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil
	}
	return append([]Event(nil), u.events...)
}

// SetC2CNotify chooses how the long poll hands C2C messages over: inline (false, the default;
// Tencent Event 9) or as a bare notification after which the client fetches them with its offline
// sync (true; Event 1 + getmsg, which webim.js 1.x also speaks).
func (a *App) SetC2CNotify(on bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.c2cNotify = on
}
