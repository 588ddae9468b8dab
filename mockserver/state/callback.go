package state

// The app backend's third-party callback URL: the service asks it before some operations (the
// protocols decide which and how) and refuses what it refuses. "" means no callbacks.

// SetCallbackURL sets (or with "" removes) the tenant's callback URL.
func (a *App) SetCallbackURL(u string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.callbackURL = u
}

// CallbackURL is the tenant's callback URL, "" for none.
func (a *App) CallbackURL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.callbackURL
}
