package state

import (
	"sort"
	"strings"
)

// ProfileField names a profile field in the domain: one of the standard fields below or a custom
// one (CustomField). Each protocol maps its own names onto these (Tencent IM: Tag_Profile_IM_*).
// The state reads only Nick, Avatar, SelfSignature, Location and AllowType; it keeps the others
// as it was given them.
type ProfileField string

// The standard profile fields.
const (
	FieldNick            ProfileField = "nick"
	FieldAvatar          ProfileField = "avatar" // the face (image) URL
	FieldGender          ProfileField = "gender" // GenderMale, GenderFemale, GenderUnknown
	FieldBirthday        ProfileField = "birthday"
	FieldLocation        ProfileField = "location"
	FieldSelfSignature   ProfileField = "self_signature"
	FieldAllowType       ProfileField = "allow_type" // AllowAny, AllowNeedConfirm, AllowDenyAny
	FieldLanguage        ProfileField = "language"
	FieldLevel           ProfileField = "level"
	FieldRole            ProfileField = "role"
	FieldMessageSettings ProfileField = "message_settings"
	FieldAdminForbidType ProfileField = "admin_forbid_type"
)

// StandardFields lists the standard profile fields.
var StandardFields = []ProfileField{FieldNick, FieldAvatar, FieldGender, FieldBirthday, FieldLocation,
	FieldSelfSignature, FieldAllowType, FieldLanguage, FieldLevel, FieldRole, FieldMessageSettings, FieldAdminForbidType}

// customPrefix starts the name of an application-defined field.
const customPrefix = "custom."

// CustomField is the application-defined profile field name.
func CustomField(name string) ProfileField { return ProfileField(customPrefix + name) }

// Custom says whether f is an application-defined field, and its name.
func (f ProfileField) Custom() (string, bool) {
	return strings.CutPrefix(string(f), customPrefix)
}

// Values of FieldAllowType: who may add the user as a friend.
const (
	AllowNeedConfirm = "need_confirm" // a request waits for the user's answer (the default)
	AllowAny         = "allow_any"
	AllowDenyAny     = "deny_any"
)

// Values of FieldGender.
const (
	GenderUnknown = "unknown"
	GenderMale    = "male"
	GenderFemale  = "female"
)

// ProfileItem is one profile field and its value.
type ProfileItem struct {
	Field ProfileField
	Value any // string or number, as the client set it
}

// Profile returns the user's profile items sorted by field, and whether the account exists.
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
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out, true
}

// SetProfile sets profile items of the user (seeding: nobody hears of it).
func (a *App) SetProfile(userID string, items []ProfileItem) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, err := a.setProfile(userID, items)
	return err
}

// setProfile sets profile items of the user. Lock held.
func (a *App) setProfile(userID string, items []ProfileItem) (*user, error) {
	u := a.users[userID]
	if u == nil {
		return nil, errorf(InvalidAccount, "no user %q", userID)
	}
	for _, it := range items {
		u.profile[it.Field] = it.Value
	}
	return u, nil
}

// profileString is a string field of the user's profile ("" when unset or not a string). Lock held.
func (u *user) profileString(f ProfileField) string {
	s, _ := u.profile[f].(string)
	return s
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
