package tim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
)

// Group.CallbackBeforeSendMsg: the app backend sees the message and decides; ErrorCode 1 refuses it
// with 10016 and nothing is stored; a backend that fails lets it through.
func TestCallbackBeforeSendGroupMsg(t *testing.T) {
	var mu sync.Mutex
	var seen []map[string]any
	var queries []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		seen, queries = append(seen, m), append(queries, r.URL.RawQuery)
		mu.Unlock()
		switch {
		case strings.Contains(string(b), "broken"):
			http.Error(w, "oops", http.StatusInternalServerError)
		case strings.Contains(string(b), "bad word"):
			_, _ = w.Write([]byte(`{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":""}`))
		default:
			_, _ = w.Write([]byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`))
		}
	}))
	defer backend.Close()
	f := newFixture(t, tim.Options{Hold: time.Second})
	alice := f.login("alice")
	if _, err := f.app.CreateGroup("alice", state.GroupSpec{ID: "g1", Type: state.GroupPublic, Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := f.app.SetCallbackURL(backend.URL + "/im?token=t"); err != nil {
		t.Fatal(err)
	}
	send := func(text string) int {
		r := f.post("/v4/group_open_http_svc/send_group_msg", alice.q(),
			`{"GroupId":"g1","Random":7,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"`+text+`"}}]}`)
		return *r.ErrorCode
	}
	if code := send("bad word"); code != tim.CodeCallbackRejected {
		t.Fatalf("refused by the callback: %d", code)
	}
	if code := send("hello"); code != 0 {
		t.Fatalf("let through: %d", code)
	}
	if code := send("broken backend"); code != 0 {
		t.Fatalf("a failed callback lets the message through: %d", code)
	}
	p, err := f.app.GroupHistory("alice", "g1", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 {
		t.Fatalf("stored %d messages, want the 2 let through", len(p.Items))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || seen[0]["CallbackCommand"] != "Group.CallbackBeforeSendMsg" || seen[0]["GroupId"] != "g1" ||
		seen[0]["From_Account"] != "alice" || seen[0]["Type"] != "Public" {
		t.Fatalf("callback bodies: %v", seen)
	}
	if !strings.Contains(queries[0], "CallbackCommand=Group.CallbackBeforeSendMsg") || !strings.Contains(queries[0], "token=t") ||
		!strings.Contains(queries[0], "SdkAppid=") {
		t.Fatalf("callback query: %s", queries[0])
	}
}
