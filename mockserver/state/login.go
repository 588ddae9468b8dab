package state

import (
	"fmt"
	"time"
)

// LoginPolicy is a tenant's rule for several instances of one account. The zero value is the real
// service's default: one instance per platform, a new login ends the earlier instance on the same
// platform (EndMultipleAccount).
type LoginPolicy struct {
	// MultipleInstances lets any number of instances of an account be online on one platform.
	MultipleInstances bool `json:"multiple_instances"`
	// HelloInterval is how often, in seconds, a signed-in client is asked to confirm its session
	// (Tencent IM over WebSocket: the wslogin reply's HelloInterval, the period of wshello);
	// 0 leaves it to the protocol's default. Kicks a client missed are answered to its next hello.
	HelloInterval int `json:"hello_interval,omitempty"`
}

// SetLoginPolicy replaces the tenant's login policy (it applies to later logins).
func (a *App) SetLoginPolicy(p LoginPolicy) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.policy = p
}

// LoginPolicy is the tenant's login policy.
func (a *App) LoginPolicy() LoginPolicy {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.policy
}

// LoginInfo is what a protocol knows about a login besides the account.
type LoginInfo struct {
	// Platform names the client's platform as the protocol does (tim: the platform query
	// parameter, 10 for the Web). Logins with the same Platform ("" included) share a platform.
	Platform string
	// SigExpires is when the credential the session logged in with expires on the tenant clock
	// (zero: never). The session ends with EndUserSigExpired once the clock passes it.
	SigExpires time.Time
}

// Why the server ended a session (Session.Kicked). Protocols map them to their own kick codes.
const (
	EndMultipleAccount = KickMultipleAccount // another instance logged in on the same platform
	EndMultipleDevice  = KickMultipleDevice  // told through an event: the client logs itself out
	EndUserSigExpired  = KickUserSigExpired  // the UserSig expired while the session was online
)

// LoginAs opens a session for userID (creating the account on first login) under the tenant's
// login policy, and returns it with the sessions the login ended (their next long poll answers
// EndMultipleAccount).
func (a *App) LoginAs(userID string, li LoginInfo) (Session, []Session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.ensureUser(userID)
	var ended []Session
	if !a.policy.MultipleInstances {
		for _, s := range a.sessions {
			if s.User == userID && !s.LoggedOut && s.Kicked == "" && s.platform == li.Platform {
				s.Kicked = EndMultipleAccount
				ended = append(ended, s.Session)
			}
		}
		if len(ended) > 0 {
			u.wakeAll()
		}
	}
	a.nextInst[userID]++
	n := a.nextInst[userID]
	s := &session{Session: Session{User: userID, TinyID: u.tinyID, A2: a.ids.token(32), Instance: n,
		Conn: fmt.Sprintf("%s#%d", userID, n)}, syncGen: u.syncGen, platform: li.Platform, sigExpires: li.SigExpires}
	a.sessions[s.A2] = s
	sortSessions(ended)
	return s.Session, ended
}

// expire ends the session if its UserSig has expired on the tenant clock. Lock held.
func (a *App) expire(s *session) {
	if s.Kicked == "" && !s.LoggedOut && !s.sigExpires.IsZero() && !a.clock.Now().Before(s.sigExpires) {
		s.Kicked = EndUserSigExpired
	}
}

func sortSessions(ss []Session) {
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && ss[j].Instance < ss[j-1].Instance; j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}

// SetDisabled disables or re-enables the tenant, as the console's switch does: a disabled app
// takes no calls (protocols answer their "app disabled" code) until it is enabled again.
func (a *App) SetDisabled(disabled bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.disabled = disabled
}

// Disabled says whether the tenant is disabled.
func (a *App) Disabled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.disabled
}

// ForgetSessions drops every session of the tenant without ending it, as a service that lost its
// session table (a restart) would: a client learns it from its next call, whose A2 names no
// session any more (AuthFailed), not from a kick. Held long polls are woken to find that out.
func (a *App) ForgetSessions() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.sessions)
	clear(a.sessions)
	for _, u := range a.users {
		u.wakeAll()
	}
	return n
}
