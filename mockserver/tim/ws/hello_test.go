package ws_test

import (
	"fmt"
	"testing"

	"github.com/imharness/imharness/mockserver/state"
)

// wshello is answered from the session's state: 0 while it lives, 1002 with the KickType once the
// server ended it (a second login on the same platform under the default login policy: 1; the app's
// REST kick: 3), so a client that missed the kick push still learns why. A socket that logged its
// session out, and a socket before wslogin, get 0.
func TestHelloAnswersAKickedSessionWith1002(t *testing.T) {
	for _, tc := range []struct {
		name     string
		kick     func(f *fixture)
		kickType float64
	}{
		{"second login", func(f *fixture) { f.login(f.dial("/binfo"), "alice") }, 1},
		{"REST kick", func(f *fixture) {
			if _, err := f.app.Kick("alice", state.KickRESTAPI); err != nil {
				f.t.Fatal(err)
			}
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.dial("/binfo")
			if r, _ := c.call("im_open_status.wshello", nil, map[string]any{"is_web_uniapp": 0}); code(r) != 0 {
				t.Fatalf("wshello before wslogin: %v", r.Body)
			}
			a2, tinyID := f.login(c, "alice")
			head := map[string]any{"a2": a2, "tinyid": tinyID}
			if r, _ := c.call("im_open_status.wshello", head, map[string]any{"is_web_uniapp": 0}); code(r) != 0 {
				t.Fatalf("wshello of a live session: %v", r.Body)
			}
			tc.kick(f)
			r, _ := c.call("im_open_status.wshello", head, map[string]any{"is_web_uniapp": 0})
			if code(r) != 1002 || r.Body["KickType"] != tc.kickType {
				t.Fatalf("wshello after the kick: got %v, want ErrorCode 1002, KickType %v", r.Body, tc.kickType)
			}
			if _, ok := r.Body["NewInstInfo"].(map[string]any); !ok {
				t.Fatalf("wshello after the kick has no NewInstInfo object: %v", r.Body)
			}
			// The head may also leave a2 out: the socket is the session's.
			if r, _ := c.call("im_open_status.wshello", nil, map[string]any{}); code(r) != 1002 {
				t.Fatalf("wshello without a2 on the kicked session's socket: %v", r.Body)
			}
			// The SDK logs out (wslogout_type 1) on its old socket: then its hellos are plain again.
			if r, _ := c.call("im_open_status.wslogout", head, map[string]any{"wslogout_type": 1}); code(r) != 0 {
				t.Fatalf("wslogout of the kicked session: %v", r.Body)
			}
			if r, _ := c.call("im_open_status.wshello", head, map[string]any{"is_web_uniapp": 0}); code(r) != 0 {
				t.Fatalf("wshello after wslogout: %v", r.Body)
			}
		})
	}
}

// The second login's own session is live: its hello is answered 0, and the first socket's 1002
// does not touch it.
func TestHelloOfTheNewerInstanceIsPlain(t *testing.T) {
	f := newFixture(t)
	first, second := f.dial("/binfo"), f.dial("/binfo")
	a1, t1 := f.login(first, "alice")
	a2, t2 := f.login(second, "alice")
	if r, _ := first.call("im_open_status.wshello", map[string]any{"a2": a1, "tinyid": t1}, map[string]any{}); code(r) != 1002 || r.Body["KickType"] != float64(1) {
		t.Fatalf("first instance: %v", r.Body)
	}
	if r, _ := second.call("im_open_status.wshello", map[string]any{"a2": a2, "tinyid": t2}, map[string]any{}); code(r) != 0 {
		t.Fatalf("second instance: %v", r.Body)
	}
	ss := f.app.Sessions("alice")
	if len(ss) != 2 || ss[0].Kicked != state.KickMultipleAccount || ss[1].Kicked != "" {
		t.Fatalf("sessions: %+v", ss)
	}
}

// With the tenant's login policy allowing several instances, a second login ends nothing and
// both hellos are plain; the policy's hello_interval is what wslogin asks the client for.
func TestHelloUnderTheLoginPolicy(t *testing.T) {
	f := newFixture(t)
	f.app.SetLoginPolicy(state.LoginPolicy{MultipleInstances: true, HelloInterval: 2})
	first, second := f.dial("/binfo"), f.dial("/binfo")
	a1, t1 := f.login(first, "alice")
	f.login(second, "alice")
	if r, _ := first.call("im_open_status.wshello", map[string]any{"a2": a1, "tinyid": t1}, map[string]any{}); code(r) != 0 {
		t.Fatalf("first instance with multiple instances allowed: %v", r.Body)
	}
	c := f.dial("/binfo")
	sig := f.sig("bob")
	r, _ := c.call("im_open_status.wslogin", map[string]any{"identifier": "bob", "usersig": sig}, map[string]any{"State": "Online"})
	if got := fmt.Sprint(r.Body["HelloInterval"]); got != "2" {
		t.Fatalf("wslogin HelloInterval under the policy: got %s, want 2 (%v)", got, r.Body)
	}
	f.app.SetLoginPolicy(state.LoginPolicy{})
	r, _ = f.dial("/binfo").call("im_open_status.wslogin", map[string]any{"identifier": "bob", "usersig": sig}, map[string]any{"State": "Online"})
	if got := fmt.Sprint(r.Body["HelloInterval"]); got != "120" {
		t.Fatalf("wslogin HelloInterval by default: got %s, want the transport's 120 (%v)", got, r.Body)
	}
}
