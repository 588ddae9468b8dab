package state

import (
	"strconv"
	"strings"
	"time"
)

// Limits bound what a tenant keeps, so that a long-running server's memory levels off under a
// steady load instead of growing with every message. Eviction is what the real service does too:
// roaming history and offline messages are kept for a while and up to a count, and a client that
// comes back after its notices expired gets the newest ones, not every one.
type Limits struct {
	// MaxMessages is how many C2C messages the tenant keeps for roaming (getroammsg) and offline
	// sync (getmsg); past it the oldest are evicted. 0 means DefaultMaxMessages, negative no limit.
	MaxMessages int
	// MessageAge evicts C2C messages older than this by the tenant's clock (the real service keeps
	// roaming history for 7 days on its basic plan). 0 keeps them regardless of age.
	MessageAge time.Duration
	// MaxEvents is how many long-poll events each user's queue keeps; past it the oldest are
	// dropped, and a poll whose cursor points before them gets the oldest kept. 0 means
	// DefaultMaxEvents, negative no limit.
	MaxEvents int
	// MaxUploadBytes bounds the bytes of uploaded files the tenant stores; past it the oldest
	// finished files are evicted, and slices that would take uploads in progress past it are
	// refused. 0 means DefaultMaxUploadBytes, negative no limit.
	MaxUploadBytes int
}

// Defaults: generous for any test, bounded for a server that runs for days.
const (
	DefaultMaxMessages = 100_000
	DefaultMaxEvents   = 1_000
	// DefaultMaxUploadBytes is 256 MiB per tenant.
	DefaultMaxUploadBytes = 256 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxMessages == 0 {
		l.MaxMessages = DefaultMaxMessages
	}
	if l.MaxEvents == 0 {
		l.MaxEvents = DefaultMaxEvents
	}
	if l.MaxUploadBytes == 0 {
		l.MaxUploadBytes = DefaultMaxUploadBytes
	}
	return l
}

// Limits are the tenant's limits (defaults filled in).
func (a *App) Limits() Limits {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limits
}

// SetLimits changes the tenant's limits (zero fields: the defaults) and evicts what the new ones
// exclude at once; event queues shrink on their next event.
func (a *App) SetLimits(l Limits) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limits = l.withDefaults()
	a.evictC2C()
	a.evictFiles()
}

// evictC2C drops the oldest stored C2C messages beyond the count and age limits. Messages are
// stored in send order everywhere (a.c2c, each pair's history, each mailbox), so the oldest of the
// tenant is also the first of its conversation and of its receiver's mailbox. Lock held.
func (a *App) evictC2C() {
	n := 0
	if a.limits.MaxMessages > 0 && len(a.c2c) > a.limits.MaxMessages {
		n = len(a.c2c) - a.limits.MaxMessages
	}
	if a.limits.MessageAge > 0 {
		oldest := a.clock.Now().Add(-a.limits.MessageAge).Unix()
		for n < len(a.c2c) && a.c2c[n].Time < oldest {
			n++
		}
	}
	if n == 0 {
		return
	}
	for _, m := range a.c2c[:n] {
		if m.OnlineOnly {
			continue
		}
		k := pairKey(m.From, m.To)
		if list := a.pairs[k]; len(list) > 0 && list[0] == m {
			list[0] = nil
			if len(list) == 1 {
				delete(a.pairs, k)
			} else {
				a.pairs[k] = list[1:]
			}
		}
		if u := a.users[m.To]; u != nil && len(u.mailbox) > 0 && u.mailbox[0] == m {
			u.mailbox[0] = nil
			u.mailbox = u.mailbox[1:]
			u.mailboxBase++
		}
	}
	clear(a.c2c[:n]) // the backing array's head would otherwise keep them alive until it regrows
	a.c2c = a.c2c[n:]
	a.evictedC2C += n
}

// trimEvents drops the oldest events of a queue past MaxEvents. It trims a quarter more than
// needed at a time so that a busy queue is copied once per MaxEvents/4 pushes. Lock held.
func (a *App) trimEvents(u *user) {
	max := a.limits.MaxEvents
	if max <= 0 || len(u.events) <= max+max/4 {
		return
	}
	drop := len(u.events) - max
	u.events = append([]Event(nil), u.events[drop:]...) // a fresh array: the old one is freed whole
	u.eventBase += uint64(drop)
}

// evictedBefore reports whether a roaming cursor (MsgKey "index_random") names a message older
// than the conversation's oldest kept one, i.e. one that was evicted. Lock held.
func (a *App) evictedBefore(list []*C2CMessage, key string) bool {
	idx, _, ok := strings.Cut(key, "_")
	n, err := strconv.Atoi(idx)
	if !ok || err != nil || n < 1 || n > a.evictedC2C+len(a.c2c) {
		return false
	}
	return len(list) == 0 || n < list[0].Index
}
