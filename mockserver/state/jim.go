package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// The JMessage side of a tenant: its appkey, account passwords, no-disturb settings, uploaded
// media, upload tokens, the JMessage message log with the queue of messages a user's JMessage
// clients have not received yet, and the JMessage conversation list. Users, groups, blacklists and
// the C2C/group message stores are the shared ones above; this file only adds what the other
// protocols do not have. Guarded by App.mu like everything else.

// Errors of the JMessage-side operations; the adapter maps them to its codes.
var (
	ErrUserExists   = errors.New("user already exists")
	ErrNoUser       = errors.New("no such user")
	ErrWrongPass    = errors.New("wrong password")
	ErrAlreadySet   = errors.New("already set")
	ErrNotSet       = errors.New("not set")
	ErrNoMessage    = errors.New("no such message")
	ErrNotSender    = errors.New("not the sender")
	ErrRetracted    = errors.New("already retracted")
	ErrRetractLate  = errors.New("too late to retract")
	ErrNoMedia      = errors.New("no such media")
	ErrBadUploadTok = errors.New("unknown upload token")
)

// RetractWindow is how long after sending a JMessage message may be retracted.
const RetractWindow = 3 * 60 * 1000 // ms

type jimExtra struct {
	appKey    string
	passwords map[string]string // user → lower-case hex md5 of the password
	noDisturb map[string]*NoDisturb
	media     map[string]*Media
	tokens    map[string]string // upload token → user
	msgs      []*JIMMessage     // index = ID - 1
	offline   map[string][]int64
	convs     map[string]map[string]*JIMConv
	gids      int64
}

func (a *App) jx() *jimExtra {
	x := &a.jim
	if x.passwords == nil {
		x.passwords, x.noDisturb, x.media = map[string]string{}, map[string]*NoDisturb{}, map[string]*Media{}
		x.tokens, x.offline, x.convs = map[string]string{}, map[string][]int64{}, map[string]map[string]*JIMConv{}
	}
	return x
}

// DefaultAppKey is the appkey of a tenant created without one: its SDKAppID as 24 hex digits
// (JMessage appkeys are 24 hex characters).
func DefaultAppKey(sdkAppID int64) string { return fmt.Sprintf("%024x", sdkAppID) }

// AppKey is the tenant's JMessage appkey; its master secret is Secret.
func (a *App) AppKey() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.jim.appKey == "" {
		return DefaultAppKey(a.id)
	}
	return a.jim.appKey
}

// SetAppKey names the tenant's JMessage appkey ("" restores the default).
func (a *App) SetAppKey(k string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.jim.appKey = k
}

// --- accounts ----------------------------------------------------------------------------------

// Register creates an account with a password (md5 hex) and a nickname; an existing account is
// ErrUserExists.
func (a *App) Register(user, passMD5, nick string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.users[user] != nil {
		return ErrUserExists
	}
	u := a.ensureUser(user)
	a.jx().passwords[user] = passMD5
	if nick != "" {
		u.profile[FieldNick] = nick
	}
	return nil
}

// SetPassword sets an account's password (md5 hex), creating the account (seeding).
func (a *App) SetPassword(user, passMD5 string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ensureUser(user)
	a.jx().passwords[user] = passMD5
}

// CheckPassword verifies a login: ErrNoUser for an account without a password (it cannot log in
// with one), ErrWrongPass for a mismatch.
func (a *App) CheckPassword(user, passMD5 string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.jx().passwords[user]
	switch {
	case !ok || a.users[user] == nil:
		return ErrNoUser
	case p != passMD5:
		return ErrWrongPass
	}
	return nil
}

// UserInfo is what JMessage shows of an account.
type UserInfo struct {
	User, Nick, Avatar, UID string
	MTime                   int64 // unix seconds the account was created
	Gender                  int
	Signature, Region       string
}

// JIMUser describes an account (ErrNoUser when there is none).
func (a *App) JIMUser(user string) (UserInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[user]
	if u == nil {
		return UserInfo{}, ErrNoUser
	}
	return UserInfo{User: user, Nick: u.profileString(FieldNick), Avatar: u.profileString(FieldAvatar), UID: u.tinyID,
		MTime: u.created.Unix(), Signature: u.profileString(FieldSelfSignature), Region: u.profileString(FieldLocation)}, nil
}

// DelBlack unblocks other for the user (ErrNotSet when other was not blocked).
func (a *App) DelBlack(user, other string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[user]
	if u == nil {
		return ErrNoUser
	}
	if _, ok := u.black[other]; !ok {
		return ErrNotSet
	}
	delete(u.black, other)
	return nil
}

// Blocks reports whether user has blocked other.
func (a *App) Blocks(user, other string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[user]
	if u == nil {
		return false
	}
	_, ok := u.black[other]
	return ok
}

// --- no-disturb --------------------------------------------------------------------------------

// NoDisturb is a user's no-disturb settings (copy): single peers, groups and the global switch.
type NoDisturb struct {
	Users  []string
	Groups []string
	Global bool
}

// No-disturb kinds.
const (
	NoDisturbUser   = "user"
	NoDisturbGroup  = "group"
	NoDisturbGlobal = "global"
)

// NoDisturbOf returns the user's settings, lists sorted.
func (a *App) NoDisturbOf(user string) NoDisturb {
	a.mu.Lock()
	defer a.mu.Unlock()
	nd := a.jx().noDisturb[user]
	if nd == nil {
		return NoDisturb{Users: []string{}, Groups: []string{}}
	}
	out := NoDisturb{Users: append([]string{}, nd.Users...), Groups: append([]string{}, nd.Groups...), Global: nd.Global}
	sort.Strings(out.Users)
	sort.Strings(out.Groups)
	return out
}

// SetNoDisturb turns one setting on or off: ErrAlreadySet / ErrNotSet when it already is so.
func (a *App) SetNoDisturb(user, kind, key string, on bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	nd := x.noDisturb[user]
	if nd == nil {
		nd = &NoDisturb{}
		x.noDisturb[user] = nd
	}
	toggle := func(list *[]string) error {
		for i, v := range *list {
			if v == key {
				if on {
					return ErrAlreadySet
				}
				*list = append((*list)[:i], (*list)[i+1:]...)
				return nil
			}
		}
		if !on {
			return ErrNotSet
		}
		*list = append(*list, key)
		return nil
	}
	switch kind {
	case NoDisturbUser:
		return toggle(&nd.Users)
	case NoDisturbGroup:
		return toggle(&nd.Groups)
	case NoDisturbGlobal:
		if nd.Global == on {
			if on {
				return ErrAlreadySet
			}
			return ErrNotSet
		}
		nd.Global = on
		return nil
	}
	return fmt.Errorf("unknown no-disturb kind %q", kind)
}

// --- media -------------------------------------------------------------------------------------

// Media is an uploaded file.
type Media struct {
	ID    string
	Owner string
	Type  string // the upload's type parameter: image or file
	Name  string
	CType string
	Data  []byte
}

// UploadToken hands the user a token for one or more uploads.
func (a *App) UploadToken(user string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.ids.token(24)
	a.jx().tokens[t] = user
	return t
}

// PutMedia stores an upload made with token by user; the id is "qiniu/<type>/j/<n>" style text
// the SDK keeps as an opaque key.
func (a *App) PutMedia(user, token string, m Media) (Media, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	if x.tokens[token] != user || user == "" {
		return Media{}, ErrBadUploadTok
	}
	m.ID = fmt.Sprintf("jim/%s/%d", m.Type, len(x.media)+1)
	m.Owner = user
	m.Data = append([]byte(nil), m.Data...)
	x.media[m.ID] = &m
	return m, nil
}

// MediaByID finds an upload.
func (a *App) MediaByID(id string) (Media, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.jx().media[id]
	if m == nil {
		return Media{}, ErrNoMedia
	}
	return *m, nil
}

// --- messages ----------------------------------------------------------------------------------

// JIMMessage is a JMessage chat message as its recipients get it.
type JIMMessage struct {
	ID         int64
	Type       ConvType // ConvC2C (JMessage: single) or ConvGroup
	From       string
	FromAppKey string
	FromUID    string
	To         string // single: target username
	ToAppKey   string
	GID        string // group: its gid
	Content    json.RawMessage
	CTimeMS    int64
	Retracted  bool
}

// NewGID hands out a numeric group id (JMessage gids are numbers).
func (a *App) NewGID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	for {
		x.gids++
		id := strconv.FormatInt(10000000+x.gids, 10)
		if a.groups[id] == nil {
			return id
		}
	}
}

// LogJIM stores a message, giving it its id and time.
func (a *App) LogJIM(m JIMMessage) JIMMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	m.ID = int64(len(x.msgs) + 1)
	m.CTimeMS = a.clock.Now().UnixMilli()
	if u := a.users[m.From]; u != nil {
		m.FromUID = u.tinyID
	}
	cp := m
	x.msgs = append(x.msgs, &cp)
	return m
}

// JIMByID finds a message.
func (a *App) JIMByID(id int64) (JIMMessage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	if id < 1 || id > int64(len(x.msgs)) {
		return JIMMessage{}, ErrNoMessage
	}
	return *x.msgs[id-1], nil
}

// RetractJIM marks the user's message retracted.
func (a *App) RetractJIM(user string, id int64) (JIMMessage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	if id < 1 || id > int64(len(x.msgs)) {
		return JIMMessage{}, ErrNoMessage
	}
	m := x.msgs[id-1]
	switch {
	case m.From != user:
		return JIMMessage{}, ErrNotSender
	case m.Retracted:
		return JIMMessage{}, ErrRetracted
	case a.clock.Now().UnixMilli()-m.CTimeMS > RetractWindow:
		return JIMMessage{}, ErrRetractLate
	}
	m.Retracted = true
	return *m, nil
}

// QueueJIM keeps a message for a user none of whose JMessage clients is online.
func (a *App) QueueJIM(user string, id int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	x.offline[user] = append(x.offline[user], id)
}

// TakeJIM hands out (and forgets) the user's queued messages, oldest first, retracted ones left out.
func (a *App) TakeJIM(user string) []JIMMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	var out []JIMMessage
	for _, id := range x.offline[user] {
		if m := x.msgs[id-1]; !m.Retracted {
			out = append(out, *m)
		}
	}
	delete(x.offline, user)
	return out
}

// --- conversations -----------------------------------------------------------------------------

// JIMConv is one entry of a user's JMessage conversation list.
type JIMConv struct {
	Type   ConvType // ConvC2C (JMessage: single) or ConvGroup
	Key    string   // single: the peer's username; group: the gid
	AppKey string   // single: the peer's appkey
	MTime  int64    // ms of the last message
}

// TouchJIMConv records activity in a conversation of the user.
func (a *App) TouchJIMConv(user string, c JIMConv) {
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.jx()
	m := x.convs[user]
	if m == nil {
		m = map[string]*JIMConv{}
		x.convs[user] = m
	}
	k := fmt.Sprintf("%d/%s/%s", c.Type, c.AppKey, c.Key)
	m[k] = &c
}

// JIMConvs lists the user's conversations, latest first.
func (a *App) JIMConvs(user string) []JIMConv {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []JIMConv{}
	for _, c := range a.jx().convs[user] {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].MTime != out[j].MTime {
			return out[i].MTime > out[j].MTime
		}
		return out[i].Key < out[j].Key
	})
	return out
}
