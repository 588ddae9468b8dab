package state

import "sort"

// The relationship chain as clients drive it: friend requests (pendencies), friends, blacklist, and the notices each
// change pushes to the users concerned (EvFriend and, for profiles, EvProfile).

// maxRelationshipBatch is how many accounts one friend request may name.
const maxRelationshipBatch = 1000

// FriendNoticeKind says what changed in a user's relationship chain (each protocol has its own
// number for it: Tencent IM's PushType).
type FriendNoticeKind int

// Friend notice kinds.
const (
	FriendAdded FriendNoticeKind = iota + 1
	FriendDeleted
	PendencyAdded
	PendencyDeleted
	BlackAdded
	BlackDeleted
)

// FriendNotice is one relationship-chain change pushed to a user.
type FriendNotice struct {
	Kind       FriendNoticeKind
	Users      []string   // the other accounts (added, deleted, blocked…)
	Pendencies []Pendency // PendencyAdded: the new requests
}

// ProfileChange says a user changed profile items (pushed to the user's friends and other sessions).
type ProfileChange struct {
	User  string
	Items []ProfileItem
}

// Pendency is a friend request from From to To, waiting for To's answer.
type Pendency struct {
	From, To string
	Source   string // AddSource
	Wording  string // AddWording
	Remark   string // the requester's remark for To
	Time     int64
	Nick     string // the requester's nick (ComeIn) or the target's (SendOut)
}

// FriendRequest is one AddFriendItem.
type FriendRequest struct {
	To, Remark, Source, Wording string
}

// SNSResult is the per-account outcome of a relationship-chain call.
type SNSResult struct {
	User   string
	Reason Reason // "" ok, SNSPending for a request left to answer, other reasons failed
	Info   string
}

// Failed says whether the result counts as a failure (Fail_Account).
func (r SNSResult) Failed() bool { return r.Reason != "" && r.Reason != SNSPending }

func (a *App) pushFriend(u *user, n FriendNotice, except int) {
	a.push(u, Event{Kind: EvFriend, Friend: &n, ExceptInstance: except})
}

func (a *App) makeFriends(x, y *user, remarkForY string) {
	now := a.clock.Now()
	if x.friends[y.id] == nil {
		x.friends[y.id] = &friend{id: y.id, remark: remarkForY, addTime: now}
		a.pushFriend(x, FriendNotice{Kind: FriendAdded, Users: []string{y.id}}, 0)
	}
	if y.friends[x.id] == nil {
		y.friends[x.id] = &friend{id: x.id, addTime: now}
		a.pushFriend(y, FriendNotice{Kind: FriendAdded, Users: []string{x.id}}, 0)
	}
}

// relate is one relationship-chain change of the user towards each item, under the lock: step
// works out one item's outcome (Reason "" when it changed something), and the accounts changed are
// pushed to the user in one notice of kind batched (none when 0).
func relate[T any](a *App, userID string, items []T, batched FriendNoticeKind, step func(u *user, it T) SNSResult) ([]SNSResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", userID)
	}
	out := make([]SNSResult, 0, len(items))
	var done []string
	for _, it := range items {
		res := step(u, it)
		if res.Reason == "" {
			done = append(done, res.User)
		}
		out = append(out, res)
	}
	if len(done) > 0 && batched != 0 {
		a.pushFriend(u, FriendNotice{Kind: batched, Users: done}, 0)
	}
	return out, nil
}

// AddFriends asks to add each target as a friend. A target whose profile allows anyone becomes a
// friend of both at once; by default (need confirmation) a pendency is left for the target to
// answer (SNSPending) and pushed to it.
func (a *App) AddFriends(from string, reqs []FriendRequest) ([]SNSResult, error) {
	if len(reqs) == 0 || len(reqs) > maxRelationshipBatch {
		return nil, errorf(BadRequest, "AddFriendItem must hold 1 to %d items, got %d", maxRelationshipBatch, len(reqs))
	}
	return relate(a, from, reqs, 0, func(u *user, r FriendRequest) SNSResult {
		t := a.users[r.To]
		res := SNSResult{User: r.To}
		switch {
		case r.To == from:
			res.Reason, res.Info = SNSSelf, "cannot add yourself as a friend"
		case t == nil:
			res.Reason, res.Info = SNSNoAccount, "no such account"
		case !u.black[r.To].IsZero():
			res.Reason, res.Info = SNSInMyBlack, "the account is in your blacklist"
		case !t.black[from].IsZero():
			res.Reason, res.Info = SNSInTheirBlack, "you are in the account's blacklist"
		case u.friends[r.To] != nil:
			// already friends: nothing to do
		case t.profileString(FieldAllowType) == AllowDenyAny:
			res.Reason, res.Info = SNSDenyAny, "the account accepts no friend requests"
		case t.profileString(FieldAllowType) == AllowAny:
			a.makeFriends(u, t, r.Remark)
		default:
			p := Pendency{From: from, To: r.To, Source: r.Source, Wording: r.Wording, Remark: r.Remark,
				Time: a.clock.Now().Unix(), Nick: u.profileString(FieldNick)}
			t.pendIn[from] = &p
			a.pushFriend(t, FriendNotice{Kind: PendencyAdded, Pendencies: []Pendency{p}}, 0)
			res.Reason, res.Info = SNSPending, "waiting for the account to answer"
		}
		return res
	})
}

// Pendencies lists friend requests to the user (comeIn) or from the user (!comeIn), oldest first.
func (a *App) FriendPendencies(userID string, comeIn bool) []Pendency {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil
	}
	var out []Pendency
	if comeIn {
		for _, p := range u.pendIn {
			out = append(out, *p)
		}
	} else {
		for _, o := range a.users {
			if p := o.pendIn[userID]; p != nil {
				q := *p
				q.Nick = o.profileString(FieldNick)
				out = append(out, q)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Time != out[j].Time {
			return out[i].Time < out[j].Time
		}
		return out[i].From+out[i].To < out[j].From+out[j].To
	})
	return out
}

// RespondFriends answers friend requests to the user, accepting or rejecting each. An answered
// request is deleted and the deletion pushed.
func (a *App) RespondFriends(userID string, answers []FriendResponse) ([]SNSResult, error) {
	return relate(a, userID, answers, PendencyDeleted, func(u *user, r FriendResponse) SNSResult {
		p := u.pendIn[r.To]
		if p == nil {
			return SNSResult{User: r.To, Reason: SNSNoPendency, Info: "no friend request from the account"}
		}
		delete(u.pendIn, r.To)
		if r.Accept {
			if from := a.users[r.To]; from != nil {
				a.makeFriends(from, u, p.Remark)
				if f := u.friends[r.To]; f != nil && r.Remark != "" {
					f.remark = r.Remark
				}
			}
		}
		return SNSResult{User: r.To}
	})
}

// FriendResponse is the answer to one friend request: Accept makes both friends (with the
// answerer's Remark for the requester), else the request is rejected.
type FriendResponse struct {
	To     string
	Accept bool
	Remark string
}

// DeletePendencies removes friend requests to (comeIn) or from the user.
func (a *App) DeletePendencies(userID string, comeIn bool, others []string) ([]SNSResult, error) {
	return relate(a, userID, others, PendencyDeleted, func(u *user, o string) SNSResult {
		var found bool
		if comeIn {
			_, found = u.pendIn[o]
			delete(u.pendIn, o)
		} else if ou := a.users[o]; ou != nil {
			_, found = ou.pendIn[userID]
			delete(ou.pendIn, userID)
		}
		if !found {
			return SNSResult{User: o, Reason: SNSNoPendency, Info: "no such friend request"}
		}
		return SNSResult{User: o}
	})
}

// DeleteFriends ends friendships; both removes the user from the others' lists too.
func (a *App) DeleteFriends(userID string, others []string, both bool) ([]SNSResult, error) {
	return relate(a, userID, others, FriendDeleted, func(u *user, o string) SNSResult {
		if u.friends[o] == nil {
			return SNSResult{User: o, Reason: SNSNotFriend, Info: "not a friend"}
		}
		delete(u.friends, o)
		if ou := a.users[o]; both && ou != nil && ou.friends[userID] != nil {
			delete(ou.friends, userID)
			a.pushFriend(ou, FriendNotice{Kind: FriendDeleted, Users: []string{userID}}, 0)
		}
		return SNSResult{User: o}
	})
}

// BlockUsers adds accounts to the user's blacklist; blocking ends a friendship both ways, as the
// real service does.
func (a *App) BlockUsers(userID string, others []string) ([]SNSResult, error) {
	return relate(a, userID, others, BlackAdded, func(u *user, o string) SNSResult {
		ou := a.users[o]
		switch {
		case o == userID:
			return SNSResult{User: o, Reason: SNSSelf, Info: "cannot block yourself"}
		case ou == nil:
			return SNSResult{User: o, Reason: SNSNoAccount, Info: "no such account"}
		}
		u.black[o] = a.clock.Now()
		if u.friends[o] != nil {
			delete(u.friends, o)
			delete(ou.friends, userID)
			a.pushFriend(u, FriendNotice{Kind: FriendDeleted, Users: []string{o}}, 0)
			a.pushFriend(ou, FriendNotice{Kind: FriendDeleted, Users: []string{userID}}, 0)
		}
		return SNSResult{User: o}
	})
}

// UnblockUsers removes accounts from the user's blacklist.
func (a *App) UnblockUsers(userID string, others []string) ([]SNSResult, error) {
	return relate(a, userID, others, BlackDeleted, func(u *user, o string) SNSResult {
		if u.black[o].IsZero() {
			return SNSResult{User: o, Reason: SNSNotInBlack, Info: "not in the blacklist"}
		}
		delete(u.black, o)
		return SNSResult{User: o}
	})
}

// pushProfileChange tells the user's other sessions and friends about changed profile items. Lock held.
func (a *App) pushProfileChange(u *user, items []ProfileItem, exceptInstance int) {
	ch := &ProfileChange{User: u.id, Items: items}
	a.push(u, Event{Kind: EvProfile, Profile: ch, ExceptInstance: exceptInstance})
	ids := make([]string, 0, len(u.friends))
	for id := range u.friends {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if f := a.users[id]; f != nil {
			a.push(f, Event{Kind: EvProfile, Profile: ch})
		}
	}
}

// SetProfileFrom sets profile items of the session's user and pushes the change (portrait_set).
func (a *App) SetProfileFrom(instance int, userID string, items []ProfileItem) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, err := a.setProfile(userID, items)
	if err != nil {
		return err
	}
	a.pushProfileChange(u, append([]ProfileItem(nil), items...), instance)
	return nil
}
