package ws_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/imharness/imharness/mockserver/state"
)

// Each logged-in socket is listed under the endpoint it came to (/binfo binary frames, /info text
// frames); one that never logged in is not.
func TestSocketPathsNameEachSocketsEndpoint(t *testing.T) {
	f := newFixture(t)
	f.app.SetLoginPolicy(state.LoginPolicy{MultipleInstances: true}) // bob's two sockets both stay his
	f.login(f.dial("/binfo"), "alice")
	f.login(f.dial("/binfo"), "bob")
	f.dial("/info") // not logged in
	text := f.dial("/info")
	login, _ := json.Marshal(map[string]any{"head": map[string]any{"servcmd": "im_open_status.wslogin", "seq": 1,
		"sdkappid": appID, "identifier": "bob", "usersig": f.sig("bob")}, "body": map[string]any{"State": "Online"}})
	text.writeRaw(websocket.MessageText, login)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := text.c.Read(ctx)
	if err != nil || typ != websocket.MessageText || !strings.Contains(string(b), `"A2Key"`) {
		t.Fatalf("wslogin on /info: %v %s %v", typ, b, err)
	}
	if got := f.srv.SocketPaths(appID, "bob"); !slices.Equal(got, []string{"/binfo", "/info"}) {
		t.Fatalf("bob's sockets: %v", got)
	}
	if got := f.srv.SocketPaths(appID, "alice"); !slices.Equal(got, []string{"/binfo"}) {
		t.Fatalf("alice's sockets: %v", got)
	}
}
