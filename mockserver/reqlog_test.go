package mockserver_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/imharness/imharness/mockserver"
)

// With the request log on (serve's default), both socket transports still upgrade: the log's
// writer hands the connection on to socket.io and to the WebSocket endpoint.
func TestSocketsUpgradeWithTheRequestLogOn(t *testing.T) {
	srv := mockserver.New(mockserver.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Log: mockserver.LogAll})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct{ path, first string }{
		{"/socket.io/?EIO=3&transport=websocket", "0{"}, // Engine.IO's open packet
		{"/binfo?sdkappid=1400000001", ""},
	} {
		ws, resp, err := websocket.Dial(ctx, "ws://"+srv.Addr()+c.path, nil)
		if err != nil {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Fatalf("%s: %v (HTTP %d)", c.path, err, status)
		}
		if c.first != "" {
			_, b, err := ws.Read(ctx)
			if err != nil || !strings.HasPrefix(string(b), c.first) {
				t.Errorf("%s: first frame %q %v, want %s…", c.path, b, err, c.first)
			}
		}
		_ = ws.Close(websocket.StatusNormalClosure, "")
	}
}
