package state

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Options configures a tenant.
type Options struct {
	SDKAppID int64
	Secret   string
	Seed     uint64 // for reproducible ids; 0 means derive from SDKAppID
	Clock    *Clock // nil means a real-time clock
	Limits   Limits // what the tenant keeps (limits.go); the zero value is the defaults
	AppKey   string // the JMessage appkey; "" means DefaultAppKey(SDKAppID)
}

// App is one tenant: an SDKAppID with its secret, users, sessions, messages and groups.
type App struct {
	mu sync.Mutex

	id     int64
	secret string
	clock  *Clock
	ids    *ids

	users    map[string]*user
	sessions map[string]*session // by A2Key
	nextInst map[string]int      // per user: instance counter for connection names

	c2c []*C2CMessage // the C2C messages kept (Limits), in send order
	// evictedC2C counts messages evicted from the head of c2c: a message's Index is its place in
	// the tenant's whole send order, evicted ones included.
	evictedC2C int
	limits     Limits
	pairs      map[string][]*C2CMessage // by pairKey, in send order
	groups     map[string]*group
	gx         groupExtra // the rest of the group model (group.go)
	policy     LoginPolicy
	jim        jimExtra // the JMessage side (jim.go)

	closed      bool
	disabled    bool   // SetDisabled: the tenant takes no calls
	callbackURL string // the app backend's third-party callbacks (callback.go)
	c2cNotify   bool   // C2C messages reach the long poll as notifications only (SetC2CNotify)
	files       files  // uploads (files.go)
	rooms       rooms  // AVChatRoom audience polling (rooms.go)
}

// NewApp creates a tenant.
func NewApp(o Options) *App {
	seed := o.Seed
	if seed == 0 {
		seed = uint64(o.SDKAppID)
	}
	c := o.Clock
	if c == nil {
		c = NewClock()
	}
	return &App{
		id: o.SDKAppID, secret: o.Secret, clock: c, ids: newIDs(seed),
		users: map[string]*user{}, sessions: map[string]*session{}, nextInst: map[string]int{},
		pairs: map[string][]*C2CMessage{}, groups: map[string]*group{}, limits: o.Limits.withDefaults(),
		jim: jimExtra{appKey: o.AppKey},
	}
}

// ID is the tenant's SDKAppID.
func (a *App) ID() int64 { return a.id }

// Secret is the key UserSigs are signed with.
func (a *App) Secret() string { return a.secret }

// Clock is the tenant's clock.
func (a *App) Clock() *Clock { return a.clock }

// Now is the tenant's current time.
func (a *App) Now() time.Time { return a.clock.Now() }

// Close wakes every waiter; later waits return at once. Called when the server stops.
func (a *App) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	for _, u := range a.users {
		u.wakeAll()
	}
	for id := range a.rooms.wake {
		a.wakeRoom(id)
	}
	for id := range a.rooms.wakers {
		a.wakeRoom(id)
	}
}

// --- users -------------------------------------------------------------------------------------

type user struct {
	id      string
	tinyID  string
	created time.Time
	profile map[ProfileField]any
	friends map[string]*friend
	black   map[string]time.Time
	pendIn  map[string]*Pendency // friend requests to this user, by requester

	mailbox []*C2CMessage // C2C messages to this user kept (Limits), in arrival order
	// mailboxBase is how many mailbox entries were evicted from its head: positions (synced,
	// readUpTo, sync cookies) count from the user's first message, evicted ones included.
	mailboxBase int
	synced      int              // mailbox positions already synced or pushed
	readTime    map[string]int64 // peer → last read message time (unix seconds)
	// readUpTo: peer → mailbox length already read. Times have second granularity, so a message
	// arriving in the second of the read mark must not count as read: the mark is positional.
	readUpTo map[string]int

	events    []Event // per-user event queue kept (Limits); Event.Seq == eventBase+index+1
	eventBase uint64  // events dropped from the head of the queue
	// syncedEvents is how many events were queued when the user's last C2C sync completed (the
	// syncGen-th one): a long poll opened after it delivers what came later, even before
	// getlongpollingid.
	syncedEvents uint64
	syncGen      uint64
	wake         chan struct{}   // nil until a poll waits (waiter)
	wakers       []*waker        // parked polls to call at the next wakeAll (PollNotify)
	hidden       map[string]bool // conversations deleted by the user until their next message
	convSet      map[string]bool // conversation keys the user has (C2C peer ids)
}

type friend struct {
	id      string
	remark  string
	addTime time.Time
}

func newUser(id, tinyID string, now time.Time) *user {
	return &user{id: id, tinyID: tinyID, created: now, profile: map[ProfileField]any{},
		friends: map[string]*friend{}, black: map[string]time.Time{}, pendIn: map[string]*Pendency{}, readTime: map[string]int64{}, readUpTo: map[string]int{},
		hidden: map[string]bool{}, convSet: map[string]bool{}}
}

// wakeAll wakes the user's waiting long polls. The channel is made only when a poll asks for it
// (waiter): most pushes reach users with no poll waiting, and a send should not allocate for them.
func (u *user) wakeAll() {
	if u.wake != nil {
		close(u.wake)
		u.wake = nil
	}
	if len(u.wakers) > 0 {
		for _, w := range u.wakers {
			w.fn()
		}
		clear(u.wakers)
		u.wakers = u.wakers[:0]
	}
}

// waiter is the channel the next wakeAll closes. Lock held.
func (u *user) waiter() <-chan struct{} {
	if u.wake == nil {
		u.wake = make(chan struct{})
	}
	return u.wake
}

// ensureUser returns the user, creating the account (as the real service does on first login).
func (a *App) ensureUser(id string) *user {
	u := a.users[id]
	if u == nil {
		u = newUser(id, a.ids.tinyID(), a.clock.Now())
		a.users[id] = u
	}
	return u
}

// EnsureUser creates the account if it does not exist yet (seeding, imports).
func (a *App) EnsureUser(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ensureUser(id)
}

// HasUser reports whether the account exists.
func (a *App) HasUser(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.users[id] != nil
}

// Users lists account ids, sorted.
func (a *App) Users() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.users))
	for id := range a.users {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// --- sessions ----------------------------------------------------------------------------------

// Session is a logged-in client instance (copy).
type Session struct {
	User      string
	TinyID    string
	A2        string
	Instance  int    // 1 for the user's first login, 2 for the second, …
	Conn      string // stable connection name for transcripts: "alice#1"
	LongPoll  string // current long-poll id, "" before getlongpollingid
	Kicked    string // why the server ended the session ("" while live): EndMultipleAccount, EndUserSigExpired, …
	LoggedOut bool
}

type session struct {
	Session
	watermark  uint64 // events with Seq <= watermark were already synced when the long poll opened
	syncGen    uint64 // the user's syncGen when the session logged in
	platform   string
	sigExpires time.Time
}

// Kick reasons.
const (
	KickMultipleAccount = "multipleAccount"
	KickMultipleDevice  = "multipleDevice"
	KickUserSigExpired  = "userSigExpired"
	KickRESTAPI         = "restAPI" // the app's server ended the sessions (a REST call)
)

// Login opens a session for userID on an unnamed platform with a credential that never expires,
// under the tenant's login policy (see LoginAs).
func (a *App) Login(userID string) Session {
	s, _ := a.LoginAs(userID, LoginInfo{})
	return s
}

// Auth finds the live session for a2 and tinyid.
func (a *App) Auth(tinyID, a2 string) (Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[a2]
	if s == nil || s.TinyID != tinyID || s.LoggedOut {
		return Session{}, errorf(AuthFailed, "a2/tinyid do not name a live session")
	}
	// A socket transport has no long poll to notice an expired UserSig: its next call does.
	a.expire(s)
	return s.Session, nil
}

// Sessions lists the user's live sessions.
func (a *App) Sessions(userID string) []Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Session
	for _, s := range a.sessions {
		if s.User == userID && !s.LoggedOut {
			out = append(out, s.Session)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Instance < out[j].Instance })
	return out
}

// Logout ends a session and wakes its long poll.
func (a *App) Logout(a2 string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.sessions[a2]; s != nil {
		s.LoggedOut = true
		s.LongPoll = ""
		a.users[s.User].wakeAll()
	}
}

// Kick marks the user's live sessions as kicked for reason and wakes their long polls; the
// adapter answers the next long poll accordingly. It returns how many sessions were kicked.
func (a *App) Kick(userID, reason string) (int, error) {
	switch reason {
	case KickMultipleAccount, KickMultipleDevice, KickUserSigExpired, KickRESTAPI:
	default:
		return 0, fmt.Errorf("unknown kick type %q (want %s, %s, %s or %s)", reason, KickMultipleAccount, KickMultipleDevice, KickUserSigExpired, KickRESTAPI)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return 0, errorf(InvalidAccount, "no user %q", userID)
	}
	n := 0
	for _, s := range a.sessions {
		if s.User != userID || s.LoggedOut || s.Kicked != "" {
			continue
		}
		n++
		if reason != KickMultipleDevice { // a device kick travels as an event; the SDK logs itself out
			s.Kicked = reason
		}
	}
	if reason == KickMultipleDevice {
		a.push(u, Event{Kind: EvKickout, Kick: &Kickout{User: userID, SDKAppID: a.id}})
	}
	u.wakeAll()
	return n, nil
}

// OpenLongPoll gives the session a long-poll id. Events queued before the user's last complete C2C
// sync count as synced (before now, if the session has not synced).
func (a *App) OpenLongPoll(a2 string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[a2]
	if s == nil || s.LoggedOut {
		return "", errorf(AuthFailed, "no live session")
	}
	s.LongPoll = fmt.Sprintf("%d-%s", s.Instance, a.ids.token(16))
	// After a sync, not len(events): a message stored between the client's last getmsg and this
	// call would reach neither the sync nor the long poll. A client that did not sync since it
	// logged in sees what happens from now on.
	u := a.users[s.User]
	s.watermark = u.eventEnd()
	if u.syncGen > s.syncGen {
		s.watermark = u.syncedEvents
	}
	return s.LongPoll, nil
}

// CloseLongPoll ends the session's long poll (longpollinglogout) and wakes it.
func (a *App) CloseLongPoll(a2, id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s := a.sessions[a2]; s != nil && (id == "" || s.LongPoll == id) {
		s.LongPoll = ""
		a.users[s.User].wakeAll()
	}
}
