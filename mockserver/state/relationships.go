package state

import "sort"

// The relationship chain as clients drive it: friend requests (pendencies), friends, blacklist, and the notices each
// change pushes to the users concerned (Tencent long-poll Event 7 and, for profiles, Event 8).

// Values of the Tencent profile fields the relationship chain reads and writes.
const (
	profileAllowType     = "Tag_Profile_IM_AllowType"
	allowTypeAllowAny    = "AllowType_Type_AllowAny"
	allowTypeDenyAny     = "AllowType_Type_DenyAny"
	pendencyComeIn       = "Pendency_Type_ComeIn"
	pendencySendOut      = "Pendency_Type_SendOut"
	responseAgreeAndAdd  = "Response_Action_AgreeAndAdd"
	responseAgree        = "Response_Action_Agree"
	responseReject       = "Response_Action_Reject"
	deleteTypeSingle     = "Delete_Type_Single"
	maxRelationshipBatch = 1000
)

// FriendNoticeKind is Tencent's PushType of a FriendListMod item.
type FriendNoticeKind int

// Friend notice kinds.
const (
	FriendAdded     FriendNoticeKind = 1
	FriendDeleted   FriendNoticeKind = 2
	PendencyAdded   FriendNoticeKind = 3
	PendencyDeleted FriendNoticeKind = 4
	BlackAdded      FriendNoticeKind = 5
	BlackDeleted    FriendNoticeKind = 6
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

func (a *App) profileString(u *user, tag string) string {
	s, _ := u.profile[tag].(string)
	return s
}

// AddFriends asks to add each target as a friend. A target whose profile allows anyone becomes a
// friend of both at once; by default (need confirmation) a pendency is left for the target to
// answer (SNSPending) and pushed to it.
func (a *App) AddFriends(from string, reqs []FriendRequest) ([]SNSResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[from]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", from)
	}
	if len(reqs) == 0 || len(reqs) > maxRelationshipBatch {
		return nil, errorf(BadRequest, "AddFriendItem must hold 1 to %d items, got %d", maxRelationshipBatch, len(reqs))
	}
	out := make([]SNSResult, 0, len(reqs))
	for _, r := range reqs {
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
		case a.profileString(t, profileAllowType) == allowTypeDenyAny:
			res.Reason, res.Info = SNSDenyAny, "the account accepts no friend requests"
		case a.profileString(t, profileAllowType) == allowTypeAllowAny:
			a.makeFriends(u, t, r.Remark)
		default:
			p := Pendency{From: from, To: r.To, Source: r.Source, Wording: r.Wording, Remark: r.Remark,
				Time: a.clock.Now().Unix(), Nick: a.profileString(u, "Tag_Profile_IM_Nick")}
			t.pendIn[from] = &p
			a.pushFriend(t, FriendNotice{Kind: PendencyAdded, Pendencies: []Pendency{p}}, 0)
			res.Reason, res.Info = SNSPending, "waiting for the account to answer"
		}
		out = append(out, res)
	}
	return out, nil
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
				q.Nick = a.profileString(o, "Tag_Profile_IM_Nick")
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

// PendencyType values of pendency_get and pendency_delete.
func IsPendencyComeIn(t string) (comeIn, ok bool) {
	switch t {
	case pendencyComeIn:
		return true, true
	case pendencySendOut:
		return false, true
	}
	return false, false
}

// RespondFriends answers friend requests to the user: action is Response_Action_Agree(AndAdd) or
// Response_Action_Reject. An answered request is deleted and the deletion pushed.
func (a *App) RespondFriends(userID string, answers []FriendResponse) ([]SNSResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", userID)
	}
	out := make([]SNSResult, 0, len(answers))
	var done []string
	for _, r := range answers {
		res := SNSResult{User: r.To}
		p := u.pendIn[r.To]
		switch {
		case r.Action != responseAgree && r.Action != responseAgreeAndAdd && r.Action != responseReject:
			return nil, errorf(BadRequest, "ResponseAction %q: want %s, %s or %s", r.Action, responseAgree, responseAgreeAndAdd, responseReject)
		case p == nil:
			res.Reason, res.Info = SNSNoPendency, "no friend request from the account"
		default:
			delete(u.pendIn, r.To)
			done = append(done, r.To)
			if r.Action != responseReject {
				if from := a.users[r.To]; from != nil {
					a.makeFriends(from, u, p.Remark)
					if f := u.friends[r.To]; f != nil && r.Remark != "" {
						f.remark = r.Remark
					}
				}
			}
		}
		out = append(out, res)
	}
	if len(done) > 0 {
		a.pushFriend(u, FriendNotice{Kind: PendencyDeleted, Users: done}, 0)
	}
	return out, nil
}

// FriendResponse is one ResponseFriendItem.
type FriendResponse struct {
	To, Action, Remark string
}

// DeletePendencies removes friend requests to (comeIn) or from the user.
func (a *App) DeletePendencies(userID string, comeIn bool, others []string) ([]SNSResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", userID)
	}
	out := make([]SNSResult, 0, len(others))
	var done []string
	for _, o := range others {
		res := SNSResult{User: o}
		var found bool
		if comeIn {
			_, found = u.pendIn[o]
			delete(u.pendIn, o)
		} else if ou := a.users[o]; ou != nil {
			_, found = ou.pendIn[userID]
			delete(ou.pendIn, userID)
		}
		if found {
			done = append(done, o)
		} else {
			res.Reason, res.Info = SNSNoPendency, "no such friend request"
		}
		out = append(out, res)
	}
	if len(done) > 0 {
		a.pushFriend(u, FriendNotice{Kind: PendencyDeleted, Users: done}, 0)
	}
	return out, nil
}

// DeleteFriends ends friendships; both (Delete_Type_Both) removes the user from the others' lists too.
func (a *App) DeleteFriends(userID string, others []string, deleteType string) ([]SNSResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", userID)
	}
	both := deleteType != deleteTypeSingle
	out := make([]SNSResult, 0, len(others))
	var done []string
	for _, o := range others {
		res := SNSResult{User: o}
		if u.friends[o] == nil {
			res.Reason, res.Info = SNSNotFriend, "not a friend"
			out = append(out, res)
			continue
		}
		delete(u.friends, o)
		done = append(done, o)
		if ou := a.users[o]; both && ou != nil && ou.friends[userID] != nil {
			delete(ou.friends, userID)
			a.pushFriend(ou, FriendNotice{Kind: FriendDeleted, Users: []string{userID}}, 0)
		}
		out = append(out, res)
	}
	if len(done) > 0 {
		a.pushFriend(u, FriendNotice{Kind: FriendDeleted, Users: done}, 0)
	}
	return out, nil
}

// BlockUsers adds accounts to the user's blacklist; blocking ends a friendship both ways, as the
// real service does.
func (a *App) BlockUsers(userID string, others []string) ([]SNSResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", userID)
	}
	out := make([]SNSResult, 0, len(others))
	var done []string
	for _, o := range others {
		res := SNSResult{User: o}
		ou := a.users[o]
		switch {
		case o == userID:
			res.Reason, res.Info = SNSSelf, "cannot block yourself"
		case ou == nil:
			res.Reason, res.Info = SNSNoAccount, "no such account"
		default:
			u.black[o] = a.clock.Now()
			done = append(done, o)
			if u.friends[o] != nil {
				delete(u.friends, o)
				delete(ou.friends, userID)
				a.pushFriend(u, FriendNotice{Kind: FriendDeleted, Users: []string{o}}, 0)
				a.pushFriend(ou, FriendNotice{Kind: FriendDeleted, Users: []string{userID}}, 0)
			}
		}
		out = append(out, res)
	}
	if len(done) > 0 {
		a.pushFriend(u, FriendNotice{Kind: BlackAdded, Users: done}, 0)
	}
	return out, nil
}

// UnblockUsers removes accounts from the user's blacklist.
func (a *App) UnblockUsers(userID string, others []string) ([]SNSResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", userID)
	}
	out := make([]SNSResult, 0, len(others))
	var done []string
	for _, o := range others {
		res := SNSResult{User: o}
		if u.black[o].IsZero() {
			res.Reason, res.Info = SNSNotInBlack, "not in the blacklist"
		} else {
			delete(u.black, o)
			done = append(done, o)
		}
		out = append(out, res)
	}
	if len(done) > 0 {
		a.pushFriend(u, FriendNotice{Kind: BlackDeleted, Users: done}, 0)
	}
	return out, nil
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
	u := a.users[userID]
	if u == nil {
		return errorf(InvalidAccount, "no user %q", userID)
	}
	for _, it := range items {
		u.profile[it.Tag] = it.Value
	}
	a.pushProfileChange(u, append([]ProfileItem(nil), items...), instance)
	return nil
}
