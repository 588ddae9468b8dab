package state

// SendGroupMessage stores a message from m.From (op itself when empty; only root may send as
// another member) and queues it for every member, the sender's sessions included: webim.js shows
// its own group messages only from that echo, and tim-js-sdk drops it by MsgRandom.
func (a *App) SendGroupMessage(op string, m GroupMessage) (GroupMessage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(m.GroupID)
	if err != nil {
		return GroupMessage{}, err
	}
	if m.From == "" {
		m.From = op
	}
	if m.From != op && !a.isRoot(op) {
		return GroupMessage{}, errorf(GroupNoPermission, "%q may not send as %q", op, m.From)
	}
	fm := g.members[m.From]
	if fm == nil && !a.isRoot(m.From) {
		return GroupMessage{}, errorf(GroupNoPermission, "%q is not a member of group %q", m.From, g.info.ID)
	}
	if len(m.Body) == 0 {
		return GroupMessage{}, errorf(GroupBadParam, "MsgBody is empty")
	}
	now := a.clock.Now().Unix()
	if fm != nil {
		if fm.ShutUpUntil > now {
			return GroupMessage{}, errorf(GroupMuted, "%q is muted in group %q for %d more seconds", m.From, g.info.ID, fm.ShutUpUntil-now)
		}
		if g.info.ShutUpAll && fm.Role == RoleMember {
			return GroupMessage{}, errorf(GroupMuted, "group %q is muted for members", g.info.ID)
		}
	}
	m.GroupName = g.info.Name
	m.FromNick, m.FromFaceURL = a.nick(m.From)
	if u := a.users[m.From]; u != nil {
		m.FromTinyID = u.tinyID
	}
	m.Seq = g.lastSeq() + 1
	m.Time = now
	m.Revoked = false
	stored := m
	g.items = append(g.items, groupItem{msg: &stored})
	a.wakeRoom(g.info.ID)
	g.info.LastMsgTime = now
	if fm != nil {
		fm.LastSendMsgTime = now
		fm.ReadSeq = m.Seq
	}
	// Every member's event points at one copy, apart from the history item (a recall marks that
	// one): queued payloads are never changed, so an adapter may encode a message once for all.
	queued := stored
	for _, u := range g.order {
		x := a.users[u]
		if x == nil {
			continue
		}
		delete(x.hidden, "GROUP"+g.info.ID)
		a.push(x, Event{Kind: EvGroupMessage, Group: &queued})
	}
	return stored, nil
}

// GroupItem is one entry of a group's history: a message or a tip.
type GroupItem struct {
	Msg *GroupMessage
	Tip *GroupTip
}

// Seq is the item's place in the group's sequence.
func (it GroupItem) Seq() uint64 {
	if it.Msg != nil {
		return it.Msg.Seq
	}
	return it.Tip.Seq
}

// GroupPage is one page of group history, newest first.
type GroupPage struct {
	Items    []GroupItem
	Finished bool // the page reaches the group's first item
}

const (
	defaultHistoryPage = 20
	maxHistoryPage     = 100
)

// GroupHistory returns up to n items with seq <= upTo (0: from the newest), newest first.
func (a *App) GroupHistory(viewer, groupID string, upTo uint64, n int) (GroupPage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return GroupPage{}, err
	}
	if err := a.needMember(g, viewer); err != nil {
		return GroupPage{}, err
	}
	if n <= 0 {
		n = defaultHistoryPage
	}
	n = min(n, maxHistoryPage)
	top := g.lastSeq()
	if upTo > 0 && upTo < top {
		top = upTo
	}
	var p GroupPage
	seq := top
	for ; seq >= 1 && len(p.Items) < n; seq-- {
		it := g.items[seq-1]
		if it.msg != nil {
			c := *it.msg
			p.Items = append(p.Items, GroupItem{Msg: &c})
		} else {
			c := *it.tip
			c.To = viewer
			p.Items = append(p.Items, GroupItem{Tip: &c})
		}
	}
	p.Finished = seq == 0
	return p, nil
}

// MarkGroupRead moves the user's read mark in the group up to seq (never back, never past the end).
func (a *App) MarkGroupRead(userID, groupID string, seq uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	m := g.members[userID]
	if m == nil {
		return errorf(GroupNoPermission, "%q is not a member of group %q", userID, groupID)
	}
	seq = min(seq, g.lastSeq())
	if seq > m.ReadSeq {
		m.ReadSeq = seq
	}
	return nil
}

// RecallResult is one message's outcome in RecallGroupMessages ("" recalled, else why not).
type RecallResult struct {
	Seq    uint64
	Reason Reason
}

// RecallGroupMessages recalls messages: a sender within 2 minutes, the owner and admins any time.
// Every member gets one recall event listing what was recalled.
func (a *App) RecallGroupMessages(op, groupID string, seqs []uint64) ([]RecallResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return nil, err
	}
	if len(seqs) == 0 {
		return nil, errorf(GroupBadParam, "MsgSeqList is empty")
	}
	if g.info.Type == GroupAVChatRoom {
		return nil, errorf(RecallNotSupported, "AVChatRoom messages cannot be recalled")
	}
	if err := a.needMember(g, op); err != nil {
		return nil, err
	}
	now := a.clock.Now().Unix()
	var out []RecallResult
	var done []uint64
	for _, s := range seqs {
		r := RecallResult{Seq: s}
		var m *GroupMessage
		if s >= 1 && s <= g.lastSeq() {
			m = g.items[s-1].msg
		}
		switch {
		case m == nil || m.Revoked:
			r.Reason = RecallNotFound
		case a.rank(g, op) >= rankAdmin:
		case m.From != op:
			r.Reason = GroupNoPermission
		case now-m.Time > recallWindowSeconds:
			r.Reason = RecallTooLate
		}
		if r.Reason == "" {
			m.Revoked = true
			done = append(done, s)
		}
		out = append(out, r)
	}
	if len(done) > 0 {
		for _, u := range g.order {
			if x := a.users[u]; x != nil {
				a.push(x, Event{Kind: EvGroupRecall, Recall: &GroupRecall{GroupID: groupID, Operator: op,
					Seqs: append([]uint64(nil), done...), Time: now}})
			}
		}
	}
	return out, nil
}

// SendCustomNotice sends notice 255 with content as UserDefinedField to every member, or to the
// listed members only (non-members are skipped). The owner and admins may, from their own
// sessions (webim.js sendCustomGroupNotify, as the 1.3 manual shows it), and root (the REST API).
func (a *App) SendCustomNotice(op, groupID string, to []string, content string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	if a.rank(g, op) < rankAdmin {
		return errorf(GroupNoPermission, "only the group owner, its admins or the app administrator may send group system notifications")
	}
	if content == "" {
		return errorf(GroupBadParam, "Content is missing")
	}
	receivers := g.memberIDs()
	if len(to) > 0 {
		receivers = nil
		seen := map[string]bool{}
		for _, u := range to {
			if g.members[u] != nil && !seen[u] {
				seen[u] = true
				receivers = append(receivers, u)
			}
		}
	}
	a.notify(g, GroupNotice{Type: NoticeCustom, Operator: op, UserDefinedField: content}, receivers)
	return nil
}
