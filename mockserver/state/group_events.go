package state

// GroupMessage is a message in a group. Every receiver's event holds its own copy.
type GroupMessage struct {
	GroupID     string
	GroupName   string // the group's name when the message was sent
	From        string
	FromNick    string // the sender's nick when the message was sent
	FromFaceURL string // the sender's avatar when the message was sent
	FromTinyID  string // the sender's TinyId: WebSocket SDKs build message IDs from it
	ClientTime  int64  // the sender's MsgClientTime (WebSocket generation), 0 when not sent
	Seq         uint64 // the group's MsgSeq
	Random      uint32
	ClientSeq   uint64
	Priority    string // as the client sent it (High, Normal, …; webim.js: COMMON, REDPACKET, …)
	Time        int64
	Body        []Elem
	OnlineOnly  bool // pushed to online members only; history keeps a placeholder
	Revoked     bool
	// CloudCustomData is the sender's opaque extra data (tim-js-sdk ≥ 2.10), delivered as sent.
	CloudCustomData string
}

// TipType is a group tip's OpType.
type TipType int

const (
	TipJoin        TipType = 1 // members joined: invited, application approved, or free join
	TipQuit        TipType = 2
	TipKick        TipType = 3
	TipSetAdmin    TipType = 4
	TipCancelAdmin TipType = 5
	TipGroupInfo   TipType = 6 // profile changed, owner changed included
	TipMemberInfo  TipType = 7 // members muted or unmuted
)

// GroupChange is a change of group profile: nil fields are unchanged. It is both the input of
// ModifyGroup and what a TipGroupInfo says changed.
type GroupChange struct {
	Name            *string
	Introduction    *string
	Notification    *string
	FaceURL         *string
	Owner           *string // only in tips (ChangeOwner)
	MaxMemberNum    *int
	ApplyJoinOption *JoinOption
	ShutUpAll       *bool
	AppDefinedData  []KV // the changed keys; an empty Value deletes
}

// MemberMute is one entry of a TipMemberInfo: the member and the mute length set (0: unmuted).
type MemberMute struct {
	User    string
	Seconds int64
}

// GroupTip is a group tip as one receiver gets it. Tips take a place in the group's sequence.
type GroupTip struct {
	GroupID         string
	GroupName       string
	Type            TipType
	Operator        string
	OperatorNick    string
	OperatorFaceURL string
	Users           []string // List_Account: who joined, quit, was kicked, made or unmade admin
	MemberNum       int      // members after the change
	Change          *GroupChange
	Mutes           []MemberMute
	Seq             uint64
	Random          uint32
	Time            int64
	To              string // the receiver ("" in history read by root)
}

// NoticeType is a group system notice's ReportType.
type NoticeType int

const (
	NoticeApply       NoticeType = 1
	NoticeAccepted    NoticeType = 2
	NoticeRefused     NoticeType = 3
	NoticeKicked      NoticeType = 4
	NoticeDismissed   NoticeType = 5
	NoticeCreated     NoticeType = 6
	NoticeInvited     NoticeType = 7
	NoticeQuit        NoticeType = 8
	NoticeSetAdmin    NoticeType = 9
	NoticeCancelAdmin NoticeType = 10
	NoticeReclaimed   NoticeType = 11
	NoticeCustom      NoticeType = 255
)

// GroupNotice is a group system notice to one user. Notices live outside the group's sequence:
// Seq numbers the receiver's notices.
type GroupNotice struct {
	GroupID          string
	GroupName        string
	Type             NoticeType
	Operator         string
	OperatorNick     string
	To               string // the receiver
	Seq              uint64
	Random           uint32
	Time             int64
	Remark           string // RemarkInfo: the application's or the handler's message, the kick reason
	Authentication   string // NoticeApply: what handle_apply_join_group must echo
	MsgKey           string // NoticeApply: likewise
	UserDefinedField string // NoticeApply: the applicant's; NoticeCustom: the content
}

// GroupRecall says messages of a group were recalled.
type GroupRecall struct {
	GroupID  string
	Operator string
	Seqs     []uint64
	Time     int64
}

// tip stores a tip in the group's sequence and queues a copy for each receiver. The operator's
// read mark moves past it. Lock held.
func (a *App) tip(g *group, t GroupTip, to []string) {
	t.GroupID, t.GroupName = g.info.ID, g.info.Name
	t.Seq = g.lastSeq() + 1
	t.Random = a.ids.random32()
	t.Time = a.clock.Now().Unix()
	t.OperatorNick, t.OperatorFaceURL = a.nick(t.Operator)
	t.MemberNum = len(g.members)
	t.To = ""
	stored := t
	g.items = append(g.items, groupItem{tip: &stored})
	a.wakeRoom(g.info.ID)
	if m := g.members[t.Operator]; m != nil && m.ReadSeq < t.Seq {
		m.ReadSeq = t.Seq
	}
	for _, u := range to {
		if x := a.users[u]; x != nil {
			c := stored
			c.To = u
			a.push(x, Event{Kind: EvGroupTip, Tip: &c, Origin: &stored})
		}
	}
}

// notify stores a system notice for each receiver and queues it. Lock held.
func (a *App) notify(g *group, n GroupNotice, to []string) {
	if a.gx.notices == nil {
		a.gx.notices, a.gx.noticeSeq = map[string][]*GroupNotice{}, map[string]uint64{}
	}
	n.GroupID, n.GroupName = g.info.ID, g.info.Name
	n.Time = a.clock.Now().Unix()
	n.OperatorNick, _ = a.nick(n.Operator)
	origin := &GroupNotice{}
	*origin = n
	for _, u := range to {
		x := a.users[u]
		if x == nil {
			continue
		}
		c := n
		c.To = u
		a.gx.noticeSeq[u]++
		c.Seq = a.gx.noticeSeq[u]
		// tim-js-sdk replaces MsgSeq/MsgRandom pairs 1/1 and 2/2 with random ones, which would make
		// the notice impossible to delete; keep the random out of that range.
		if c.Random = a.ids.random32(); c.Random <= 2 {
			c.Random += 3
		}
		stored := c
		a.gx.notices[u] = append(a.gx.notices[u], &stored)
		a.push(x, Event{Kind: EvGroupNotice, Notice: &c, Origin: origin})
	}
}

// NoticeKey names a stored notice as the client sees it.
type NoticeKey struct {
	Seq    uint64
	Random uint32
}

// Notices lists the user's stored system notices, oldest first.
func (a *App) Notices(userID string) []GroupNotice {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []GroupNotice
	for _, n := range a.gx.notices[userID] {
		out = append(out, *n)
	}
	return out
}

// DeleteNotices removes the user's stored notices named by keys (openim/deletemsg after a join
// application was handled). Unknown keys are ignored; it returns how many were removed.
func (a *App) DeleteNotices(userID string, keys []NoticeKey) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	del := map[NoticeKey]bool{}
	for _, k := range keys {
		del[k] = true
	}
	var keep []*GroupNotice
	for _, n := range a.gx.notices[userID] {
		if !del[NoticeKey{n.Seq, n.Random}] {
			keep = append(keep, n)
		}
	}
	removed := len(a.gx.notices[userID]) - len(keep)
	if removed > 0 {
		a.gx.notices[userID] = keep
	}
	return removed
}
