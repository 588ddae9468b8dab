package state

import "sort"

// Application is a request to join a group that needs approval (copy).
type Application struct {
	GroupID          string
	Applicant        string
	Message          string // ApplyMsg
	UserDefinedField string
	Authentication   string // tokens the handler echoes back, from notice 1
	MsgKey           string
	Time             int64
	Handled          bool
	Approved         bool
	Handler          string
	HandleTime       int64
}

type application struct {
	Application
}

// ApplyJoin asks to join a group. joined is true when the user is now a member (free join: tip 1
// to every member); otherwise the application waits, and the owner and admins get notice 1.
func (a *App) ApplyJoin(userID, groupID, message, userDefinedField string) (joined bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return false, err
	}
	if a.users[userID] == nil || a.isRoot(userID) {
		return false, errorf(GroupNoAccount, "%q cannot join groups", userID)
	}
	opt := g.info.ApplyJoinOption
	if g.info.Type == GroupAVChatRoom {
		opt = JoinFreeAccess
	}
	switch {
	case g.members[userID] != nil && g.info.Type == GroupAVChatRoom:
		return true, nil // joining an AVChatRoom again is how the SDK (re)enters it
	case g.members[userID] != nil:
		return false, errorf(GroupAlreadyMember, "%q is already a member of group %q", userID, groupID)
	case g.info.Type == GroupPrivate:
		return false, errorf(GroupNoPermission, "Private groups are joined by invitation only")
	case opt == JoinDisableApply:
		return false, errorf(GroupNoPermission, "group %q does not accept applications", groupID)
	case opt == JoinFreeAccess:
		if err := a.roomFor(g, 1); err != nil {
			return false, err
		}
		g.addMember(userID, RoleMember, nil, a.clock.Now().Unix())
		a.tip(g, GroupTip{Type: TipJoin, Operator: userID, Users: []string{userID}}, g.memberIDs())
		a.markJoinersRead(g, []string{userID})
		return true, nil
	}
	app := &application{Application{GroupID: groupID, Applicant: userID, Message: message,
		UserDefinedField: userDefinedField, Authentication: "auth-" + a.ids.token(24), MsgKey: "key-" + a.ids.token(16),
		Time: a.clock.Now().Unix()}}
	g.apps = append(g.apps, app)
	a.notify(g, GroupNotice{Type: NoticeApply, Operator: userID, Remark: message, Authentication: app.Authentication,
		MsgKey: app.MsgKey, UserDefinedField: userDefinedField}, a.handlers(g))
	return false, nil
}

// handlers lists who handles applications: the owner and the admins, in join order. Lock held.
func (a *App) handlers(g *group) []string {
	var out []string
	for _, u := range g.order {
		if r := g.members[u].Role; r == RoleOwner || r == RoleAdmin {
			out = append(out, u)
		}
	}
	return out
}

func (a *App) roomFor(g *group, n int) error {
	if max := g.info.MaxMemberNum; max > 0 && len(g.members)+n > max {
		return errorf(GroupFull, "group %q is full (%d members)", g.info.ID, max)
	}
	return nil
}

// HandleApplication approves or refuses the application named by applicant, authentication and
// msgKey (from notice 1). An application is handled once: 10024 afterwards. Approval makes the
// applicant a member: notice 2 to them, tip 1 to every member; refusal sends notice 3.
func (a *App) HandleApplication(op, groupID, applicant string, approve bool, remark, authentication, msgKey string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, err := a.findGroup(groupID)
	if err != nil {
		return err
	}
	if applicant == "" {
		return errorf(GroupBadParam, "Applicant_Account is missing")
	}
	if a.rank(g, op) < rankAdmin {
		return errorf(GroupNoPermission, "only the owner and admins of group %q handle applications", groupID)
	}
	var app *application
	for _, x := range g.apps {
		if x.Applicant == applicant && x.Authentication == authentication && x.MsgKey == msgKey {
			app = x
		}
	}
	switch {
	case app == nil:
		return errorf(GroupBadParam, "no application of %q to group %q with that Authentication and MsgKey", applicant, groupID)
	case app.Handled:
		return errorf(GroupHandled, "the application of %q was already handled by %q", applicant, app.Handler)
	}
	if approve {
		if g.members[applicant] != nil {
			a.handled(app, op, true)
			return errorf(GroupAlreadyMember, "%q is already a member of group %q", applicant, groupID)
		}
		if err := a.roomFor(g, 1); err != nil {
			return err
		}
	}
	a.handled(app, op, approve)
	if !approve {
		a.notify(g, GroupNotice{Type: NoticeRefused, Operator: op, Remark: remark}, []string{applicant})
		return nil
	}
	g.addMember(applicant, RoleMember, nil, a.clock.Now().Unix())
	a.notify(g, GroupNotice{Type: NoticeAccepted, Operator: op, Remark: remark}, []string{applicant})
	a.tip(g, GroupTip{Type: TipJoin, Operator: op, Users: []string{applicant}}, g.memberIDs())
	a.markJoinersRead(g, []string{applicant})
	return nil
}

func (a *App) handled(app *application, op string, approve bool) {
	app.Handled, app.Approved, app.Handler, app.HandleTime = true, approve, op, a.clock.Now().Unix()
}

// Pendencies lists the applications the user may handle (every one for root), handled ones
// included, oldest first.
func (a *App) Pendencies(userID string) []Application {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Application
	for _, g := range a.sortedGroups(func(*group) bool { return true }) {
		if a.rank(g, userID) < rankAdmin {
			continue
		}
		for _, x := range g.apps {
			out = append(out, x.Application)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time < out[j].Time })
	return out
}
