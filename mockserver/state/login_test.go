package state_test

import (
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
)

func polled(t *testing.T, app *state.App, s state.Session) state.PollResult {
	t.Helper()
	lp, err := app.OpenLongPoll(s.A2)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := app.Poll(s.A2, lp, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// By default a second login on the same platform ends the first session (multipleAccount); other
// platforms and the new session are untouched.
func TestSecondLoginOnAPlatformEndsTheFirst(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	web1, ended := app.LoginAs("alice", state.LoginInfo{Platform: "10"})
	if len(ended) != 0 {
		t.Fatalf("first login ended %+v", ended)
	}
	phone, _ := app.LoginAs("alice", state.LoginInfo{Platform: "2"})
	web2, ended := app.LoginAs("alice", state.LoginInfo{Platform: "10"})
	if len(ended) != 1 || ended[0].A2 != web1.A2 || ended[0].Kicked != state.EndMultipleAccount {
		t.Fatalf("second web login ended %+v, want the first web session", ended)
	}
	if res := polled(t, app, web1); res.Kicked != state.EndMultipleAccount {
		t.Errorf("first web session's poll: %+v", res)
	}
	for _, s := range []state.Session{phone, web2} {
		if res := polled(t, app, s); res.Kicked != "" {
			t.Errorf("%s's poll: %+v", s.Conn, res)
		}
	}
}

// A policy allowing multiple instances ends nothing.
func TestMultipleInstancesPolicy(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s"})
	app.SetLoginPolicy(state.LoginPolicy{MultipleInstances: true})
	if !app.LoginPolicy().MultipleInstances {
		t.Fatal("policy not kept")
	}
	a, _ := app.LoginAs("alice", state.LoginInfo{Platform: "10"})
	if _, ended := app.LoginAs("alice", state.LoginInfo{Platform: "10"}); len(ended) != 0 {
		t.Fatalf("ended %+v", ended)
	}
	if res := polled(t, app, a); res.Kicked != "" {
		t.Errorf("first session's poll: %+v", res)
	}
}

// A session ends as userSigExpired on its first poll once the tenant clock passes its UserSig's
// expiry, not before.
func TestSessionEndsWhenItsUserSigExpires(t *testing.T) {
	clock := state.NewClock()
	clock.Freeze(time.Unix(1_800_000_000, 0))
	app := state.NewApp(state.Options{SDKAppID: 1, Secret: "s", Clock: clock})
	s, _ := app.LoginAs("alice", state.LoginInfo{SigExpires: clock.Now().Add(time.Minute)})
	forever, _ := app.LoginAs("bob", state.LoginInfo{})
	lp, _ := app.OpenLongPoll(s.A2)
	clock.Advance(59 * time.Second)
	if res, _, _ := app.Poll(s.A2, lp, 0, 50); res.Kicked != "" {
		t.Fatalf("ended before expiry: %+v", res)
	}
	clock.Advance(time.Second)
	if res, _, _ := app.Poll(s.A2, lp, 0, 50); res.Kicked != state.EndUserSigExpired {
		t.Fatalf("at expiry: %+v", res)
	}
	if ss := app.Sessions("alice"); len(ss) != 1 || ss[0].Kicked != state.EndUserSigExpired {
		t.Errorf("sessions %+v", ss)
	}
	clock.Advance(24 * time.Hour)
	if res := polled(t, app, forever); res.Kicked != "" {
		t.Errorf("a session without expiry ended: %+v", res)
	}
}

// ForgetSessions drops sessions without kicking them: their credentials name nothing any more, a
// held poll woken by it finds its session gone (AuthFailed), and a new login works.
func TestForgetSessions(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1400000001, Secret: "s"})
	s := app.Login("alice")
	lp, err := app.OpenLongPoll(s.A2)
	if err != nil {
		t.Fatal(err)
	}
	_, wake, err := app.Poll(s.A2, lp, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if n := app.ForgetSessions(); n != 1 {
		t.Fatalf("forgot %d sessions, want 1", n)
	}
	<-wake
	if _, _, err := app.Poll(s.A2, lp, 0, 10); err == nil {
		t.Fatal("a poll of a forgotten session succeeded")
	}
	if _, err := app.Auth(s.TinyID, s.A2); err == nil {
		t.Fatal("a forgotten session still authenticates")
	}
	if got := app.Sessions("alice"); len(got) != 0 {
		t.Fatalf("sessions after forgetting: %v", got)
	}
	again := app.Login("alice")
	if _, err := app.Auth(again.TinyID, again.A2); err != nil {
		t.Fatalf("a new login: %v", err)
	}
}
