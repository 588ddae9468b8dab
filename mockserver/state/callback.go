package state

import (
	"net/url"
)

// The app backend's third-party callback URL: the service asks it before some operations (the
// protocols decide which and how) and refuses what it refuses. "" means no callbacks.

// SetCallbackURL sets (or with "" removes) the tenant's callback URL: an absolute http or https
// URL. Anything else is refused (BadRequest) and the URL stays as it was.
func (a *App) SetCallbackURL(u string) error {
	if err := CheckCallbackURL(u); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.callbackURL = u
	return nil
}

// CheckCallbackURL says why u cannot be a callback URL, or nil ("" is valid: no callbacks).
func CheckCallbackURL(u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return errorf(BadRequest, "callback URL %q: %v", u, err)
	case p.Scheme != "http" && p.Scheme != "https":
		return errorf(BadRequest, "callback URL %q: want an absolute http:// or https:// URL", u)
	case p.Host == "":
		return errorf(BadRequest, "callback URL %q: names no host", u)
	case p.User != nil:
		return errorf(BadRequest, "callback URL %q: user info is not allowed", u)
	case p.Fragment != "":
		return errorf(BadRequest, "callback URL %q: a fragment is never sent; leave it out", u)
	}
	return nil
}

// CallbackURL is the tenant's callback URL, "" for none.
func (a *App) CallbackURL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.callbackURL
}
