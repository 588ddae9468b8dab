package state

// Groups: a placeholder model, to be filled out (group lifecycle, members, roles, mute,
// applications, tips and notices).

// GroupMessage is a message in a group.
type GroupMessage struct {
	GroupID string
	From    string
	Seq     uint64 // the group's MsgSeq
	Random  uint32
	Time    int64
	Body    []Elem
}

// GroupTip is a group tip (join, quit, kick, admin set/cancel, profile change, member change).
type GroupTip struct {
	GroupID string
}

// GroupNotice is a group system notice.
type GroupNotice struct {
	GroupID string
}

type group struct {
	id string
}

// groupConversations lists the user's group conversations. Lock held.
func (a *App) groupConversations(u *user) []Conversation { return nil }

// JoinedGroup is a group the user belongs to, with the user's own membership.
type JoinedGroup struct {
	ID string
}

// JoinedGroups lists the groups the user belongs to.
func (a *App) JoinedGroups(userID string) []JoinedGroup { return nil }
