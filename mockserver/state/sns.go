package state

// Removing relationship-chain entries. Adding is in profile.go (AddFriend, AddBlack).

// DeleteFriend ends user's friendship with other; both ends it for other too (Tencent's
// Delete_Type_Both), otherwise other keeps user in its list (Delete_Type_Single).
func (a *App) DeleteFriend(userID, other string, both bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, o := a.users[userID], a.users[other]
	if u == nil {
		return errorf(CodeInvalidAccount, "no user %q", userID)
	}
	if o == nil {
		return errorf(CodeInvalidAccount, "no user %q", other)
	}
	if u.friends[other] == nil {
		return errorf(CodeBadRequest, "%q and %q are not friends", userID, other)
	}
	delete(u.friends, other)
	if both {
		delete(o.friends, userID)
	}
	return nil
}

// DeleteBlack takes other off the user's blacklist.
func (a *App) DeleteBlack(userID, other string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[userID]
	if u == nil {
		return errorf(CodeInvalidAccount, "no user %q", userID)
	}
	if _, ok := u.black[other]; !ok {
		return errorf(CodeBadRequest, "%q has not blocked %q", userID, other)
	}
	delete(u.black, other)
	return nil
}
