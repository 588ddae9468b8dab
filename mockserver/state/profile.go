package state

import "sort"

// ProfileItem is one profile tag (Tag_Profile_IM_Nick, Tag_Profile_Custom_*, …) and its value.
type ProfileItem struct {
	Tag   string
	Value any // string or number, as the client set it
}

// Profile returns the user's profile items sorted by tag, and whether the account exists.
func (a *App) Profile(userID string) ([]ProfileItem, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil, false
	}
	out := make([]ProfileItem, 0, len(u.profile))
	for k, v := range u.profile {
		out = append(out, ProfileItem{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out, true
}

// SetProfile sets profile items of the user.
func (a *App) SetProfile(userID string, items []ProfileItem) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return errorf(InvalidAccount, "no user %q", userID)
	}
	for _, it := range items {
		u.profile[it.Tag] = it.Value
	}
	return nil
}

// Friend is a relationship-chain entry.
type Friend struct {
	User    string
	Remark  string
	AddTime int64
}

// Friends lists the user's friends sorted by id.
func (a *App) Friends(userID string) []Friend {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil
	}
	out := make([]Friend, 0, len(u.friends))
	for _, f := range u.friends {
		out = append(out, Friend{User: f.id, Remark: f.remark, AddTime: f.addTime.Unix()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// AddFriend makes x and y friends of each other (seeding).
func (a *App) AddFriend(x, y, remark string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	ux, uy := a.ensureUser(x), a.ensureUser(y)
	now := a.clock.Now()
	ux.friends[y] = &friend{id: y, remark: remark, addTime: now}
	uy.friends[x] = &friend{id: x, addTime: now}
	return nil
}

// BlackEntry is a blacklist entry.
type BlackEntry struct {
	User string
	Time int64
}

// Blacklist lists whom the user blocked, sorted by id.
func (a *App) Blacklist(userID string) []BlackEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return nil
	}
	out := make([]BlackEntry, 0, len(u.black))
	for id, t := range u.black {
		out = append(out, BlackEntry{id, t.Unix()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// AddBlack blocks other for the user.
func (a *App) AddBlack(userID, other string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.ensureUser(userID)
	a.ensureUser(other)
	u.black[other] = a.clock.Now()
	return nil
}
