package tim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/mockserver/usersig"
)

// The app server's REST kick ends the account's sessions; a long poll hears it as 91101 (the
// WebSocket push, KickType 3, is suites/timjs tim/ws/kick-rest-api).
func TestRESTKick(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 2 * time.Second})
	bob := f.login("bob")
	alice := f.login("alice")
	sig, err := usersig.Generate(appID, secret, state.DefaultAdminID, time.Hour, f.app.Now())
	if err != nil {
		t.Fatal(err)
	}
	admin := fmt.Sprintf("sdkappid=%d&identifier=%s&usersig=%s&contenttype=json", appID, state.DefaultAdminID, sig)
	for _, c := range []struct {
		name, query, body string
		code              int
	}{
		{"a session is not the administrator", alice.q(), `{"UserID":"bob"}`, tim.CodeRESTNotAdmin},
		{"no UserID", admin, `{}`, tim.CodeMissingField},
		{"no such account", admin, `{"UserID":"nobody"}`, tim.CodeInvalidAccount},
	} {
		if r := f.post("/v4/im_open_login_svc/kick", c.query, c.body); *r.ErrorCode != c.code {
			t.Errorf("%s: got %d %s, want %d", c.name, *r.ErrorCode, r.ErrorInfo, c.code)
		}
	}
	if ss := f.app.Sessions("bob"); len(ss) != 1 || ss[0].Kicked != "" {
		t.Fatalf("a refused kick ended the session: %+v", ss)
	}

	lp := f.post("/v4/openim/getlongpollingid", bob.q(), `{}`)
	if *lp.ErrorCode != 0 {
		t.Fatalf("getlongpollingid: %d %s", *lp.ErrorCode, lp.ErrorInfo)
	}
	if r := f.post("/v4/im_open_login_svc/kick", admin, `{"Identifier":"bob"}`); *r.ErrorCode != 0 {
		t.Fatalf("kick (older field name): %d %s", *r.ErrorCode, r.ErrorInfo)
	}
	poll := fmt.Sprintf(`{"Cookie":{"LongPollingId":%q,"NoticeSeq":0},"Timeout":1}`, lp.raw["LongPollingId"])
	if r := f.post("/v4/openim/longpolling", bob.q(), poll); *r.ErrorCode != 91101 {
		t.Fatalf("bob's long poll after the kick: got %d %s, want 91101", *r.ErrorCode, r.ErrorInfo)
	}
	if ss := f.app.Sessions("bob"); len(ss) != 1 || ss[0].Kicked != state.KickRESTAPI {
		t.Fatalf("bob's session: %+v", ss)
	}
	if ss := f.app.Sessions("alice"); len(ss) != 1 || ss[0].Kicked != "" {
		t.Fatalf("alice was kicked too: %+v", ss)
	}
}
