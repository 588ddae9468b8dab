package driver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sdks are the npm packages (see node/package.json) every behaviour test runs against.
var sdks = []string{"tim-js-sdk", "tim-js-sdk-2.10.2", "tim-js-sdk-2.4.1"}

const (
	appID   = 1400000001
	msgTime = 1700000123
)

// stub is a test double for the fake server: the least of the tim-js 2.x HTTP
// protocol (login, profile, sync, long poll, sendmsg) that gets one user to
// SDK_READY, sends C2C text, and delivers pushed long-poll events.
type stub struct {
	srv  *httptest.Server
	push chan any // long-poll EventArray items, delivered one per reply
	stop chan struct{}

	mu   sync.Mutex
	seen []string // "service/cmd" in arrival order
}

func newStub(t *testing.T) *stub {
	s := &stub{push: make(chan any, 16), stop: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.stop) // release a held long poll so Close does not wait for it
		s.srv.Close()
	})
	return s
}

func (s *stub) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *stub) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // v4/<service>/<cmd>
	if len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	call := parts[1] + "/" + parts[2]
	s.mu.Lock()
	s.seen = append(s.seen, call)
	s.mu.Unlock()

	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	resp := map[string]any{}
	switch call {
	case "webim/accesslayer":
		resp["WebImAccessLayer"] = 0
	case "openim/login":
		resp["A2Key"], resp["TinyId"] = "a2-"+r.URL.Query().Get("identifier"), "144115198000000001"
	case "recentcontact/page_get":
		resp["CompleteFlag"], resp["TimeStamp"], resp["SessionItem"] = 1, 0, []any{}
	case "recentcontact/get":
		resp["CompleteFlag"], resp["SessionItem"] = 1, []any{}
	case "profile/portrait_get_all":
		var items []any
		if list, ok := body["UserItem"].([]any); ok {
			for _, it := range list {
				id, _ := it.(map[string]any)["To_Account"].(string)
				items = append(items, map[string]any{"To_Account": id, "ResultCode": 0, "ProfileItem": []any{}})
			}
		}
		resp["UserProfileItem"] = items
	case "sns/friend_get_all":
		resp["FriendNum"], resp["InfoItem"], resp["CompleteFlag"] = 0, []any{}, 1
	case "sns/black_list_get":
		resp["BlackListItem"] = []any{}
	case "group_open_http_svc/get_joined_group_list":
		resp["TotalCount"], resp["GroupIdList"] = 0, []any{}
	case "group_open_http_svc/get_pendency":
		resp["PendencyList"], resp["NextStartTime"], resp["TotalPendencyNum"] = []any{}, 0, 0
	case "openim/getmsg":
		resp["Cookie"], resp["SyncFlag"], resp["MsgList"] = "cookie-1", 2, []any{}
	case "openim/getlongpollingid":
		resp["LongPollingId"] = "lp-1"
	case "openim/authkey":
		resp["AuthKey"], resp["ExpireTime"] = "ak", 3600
	case "openim/get_peer_read_time":
		resp["ReadTime"] = []any{0}
	case "openim/sendmsg":
		if body["To_Account"] == "nobody" {
			writeJSON(w, map[string]any{"ActionStatus": "FAIL", "ErrorCode": 20003, "ErrorInfo": "invalid To_Account"})
			return
		}
		resp["MsgTime"] = msgTime
	case "openim/longpolling":
		// Hold briefly: a pushed event is answered at once, otherwise "no news".
		select {
		case ev := <-s.push:
			resp["EventArray"] = []any{ev}
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
			return
		case <-s.stop:
		}
	}
	resp["ActionStatus"], resp["ErrorCode"], resp["ErrorInfo"] = "OK", 0, ""
	writeJSON(w, resp)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func start(t *testing.T, s *stub, sdk, user string) *Client {
	t.Helper()
	o := Options{SDK: sdk, ServerURL: s.srv.URL, SDKAppID: appID, UserID: user, Timeout: 10 * time.Second}
	if testing.Verbose() {
		o.Stderr = os.Stderr
	}
	c, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return c
}

func loginReady(t *testing.T, c *Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Login(ctx, "not-a-real-usersig"); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := c.WaitEvent(ctx, "SDK_READY", nil); err != nil {
		t.Fatal(err)
	}
}

// TestLifecycle drives each SDK version through login, send, receive and logout.
func TestLifecycle(t *testing.T) {
	for _, sdk := range sdks {
		t.Run(sdk, func(t *testing.T) {
			s := newStub(t)
			c := start(t, s, sdk, "alice")
			t.Logf("%s reports TIM.VERSION %s", sdk, c.SDKVersion())
			if !c.Declares("SDK_READY") || c.Declares("NO_SUCH_EVENT") {
				t.Errorf("Declares: SDK_READY %v, NO_SUCH_EVENT %v", c.Declares("SDK_READY"), c.Declares("NO_SUCH_EVENT"))
			}
			if kick := c.Type("KICKED_OUT_USERSIG_EXPIRED"); kick != "userSigExpired" || c.Type("NO_SUCH_TYPE") != "" {
				t.Errorf("Type: KICKED_OUT_USERSIG_EXPIRED %q, NO_SUCH_TYPE %q", kick, c.Type("NO_SUCH_TYPE"))
			}
			ctx := context.Background()
			loginReady(t, c)

			res, err := c.Send(ctx, "createTextMessage", map[string]any{
				"to": "bob", "conversationType": "$TYPES.CONV_C2C", "payload": map[string]any{"text": "hello bob"},
			})
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			var sent struct {
				Data struct {
					Message struct {
						ID, Status, ConversationID string
						Time                       int
						Payload                    struct{ Text string }
					}
				}
			}
			mustUnmarshal(t, res, &sent)
			if m := sent.Data.Message; m.Time != msgTime || m.Status != "success" || m.Payload.Text != "hello bob" || m.ConversationID != "C2Cbob" || m.ID == "" {
				t.Fatalf("send result: %s", res)
			}

			s.push <- map[string]any{"Event": 9, "C2cMsgArray": []any{map[string]any{
				"From_Account": "bob", "To_Account": "alice", "MsgSeq": 7, "MsgRandom": 4242, "MsgTimeStamp": msgTime + 1, "NoticeSeq": 1,
				"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "hi alice"}}},
			}}}
			ev, err := c.WaitEvent(ctx, "MESSAGE_RECEIVED", func(e Event) bool { return strings.Contains(string(e.Data), "hi alice") })
			if err != nil {
				t.Fatal(err)
			}
			var got []struct{ ID, From, Flow string }
			mustUnmarshal(t, ev.Data, &got)
			if len(got) != 1 || got[0].From != "bob" || got[0].Flow != "in" {
				t.Fatalf("MESSAGE_RECEIVED: %s", ev.Data)
			}

			if err := c.Logout(ctx); err != nil {
				t.Fatalf("logout: %v", err)
			}
			if _, err := c.WaitEvent(ctx, "SDK_NOT_READY", nil); err != nil {
				t.Fatal(err)
			}
			t.Logf("requests: %v", s.requests())
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			goleak.VerifyNone(t, goleak.IgnoreCurrent()) // nothing of the driver survives Close
		})
	}
}

func TestCallsAndErrors(t *testing.T) {
	s := newStub(t)
	c := start(t, s, "tim-js-sdk", "alice")
	ctx := context.Background()
	loginReady(t, c)

	if _, err := c.Call(ctx, "getConversationList"); err != nil {
		t.Fatalf("getConversationList: %v", err)
	}
	for create, payload := range map[string]any{
		"createFaceMessage":   map[string]any{"index": 1, "data": "[smile]"},
		"createCustomMessage": map[string]any{"data": "d", "description": "desc", "extension": "ext"},
	} {
		if _, err := c.Send(ctx, create, map[string]any{"to": "bob", "conversationType": "$TYPES.CONV_C2C", "payload": payload}); err != nil {
			t.Fatalf("%s: %v", create, err)
		}
	}
	// A message seen in a result can be passed back by ID: revoke the text just sent.
	res, err := c.Send(ctx, "createTextMessage", map[string]any{"to": "bob", "conversationType": "$TYPES.CONV_C2C", "payload": map[string]any{"text": "oops"}})
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Data struct{ Message struct{ ID string } }
	}
	mustUnmarshal(t, res, &sent)
	if res, err = c.Call(ctx, "revokeMessage", map[string]any{"$message": sent.Data.Message.ID}); err != nil || !strings.Contains(string(res), `"isRevoked":true`) {
		t.Fatalf("revokeMessage: %s %v", res, err)
	}
	// A server error rejects sendMessage with the server's code and the failed message.
	_, err = c.Send(ctx, "createTextMessage", map[string]any{
		"to": "nobody", "conversationType": "$TYPES.CONV_C2C", "payload": map[string]any{"text": "x"},
	})
	var se *SDKError
	if !errors.As(err, &se) || se.Code == nil || *se.Code != 20003 || !strings.Contains(string(se.Data), `"status":"fail"`) {
		t.Fatalf("want SDKError 20003 with a failed message, got %v (data %s)", err, dataOf(se))
	}
	if _, err := c.Call(ctx, "noSuchMethod"); !errors.As(err, &se) || !strings.Contains(se.Message, "not a function") {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := c.Send(ctx, "createTextMessage", map[string]any{"to": "bob", "conversationType": "$TYPES.NOPE"}); !errors.As(err, &se) || !strings.Contains(se.Message, "NOPE") {
		t.Fatalf("unknown TYPES key: %v", err)
	}
}

func TestWaitEventTimeoutListsEvents(t *testing.T) {
	s := newStub(t)
	c := start(t, s, "tim-js-sdk", "alice")
	loginReady(t, c)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.WaitEvent(ctx, "KICKED_OUT", nil)
	if err == nil {
		t.Fatal("WaitEvent returned without a KICKED_OUT event")
	}
	msg := err.Error()
	for _, want := range []string{"driver[alice]", "KICKED_OUT", "deadline exceeded", "SDK_READY (consumed)", "stderr"} {
		if !strings.Contains(msg, want) {
			t.Errorf("timeout error lacks %q:\n%s", want, msg)
		}
	}
}

func TestMissingNodeModules(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "driver.js"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{NodeDir: dir, ServerURL: "http://127.0.0.1:1", SDKAppID: appID, UserID: "alice"})
	if err == nil || !strings.Contains(err.Error(), "run `npm ci` in suites/driver/node (make deps)") {
		t.Fatalf("want a hint to run npm ci, got %v", err)
	}
}

func TestStartReportsNodeFailure(t *testing.T) {
	// xhr2 is installed but is not an SDK: TIM.create throws during startup.
	_, err := Start(context.Background(), Options{SDK: "xhr2", ServerURL: "http://127.0.0.1:1", SDKAppID: appID, UserID: "alice"})
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "TypeError") {
		t.Fatalf("want the crash with its stderr, got %v", err)
	}
}

func TestCancelKillsProcess(t *testing.T) {
	s := newStub(t)
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Start(ctx, Options{ServerURL: s.srv.URL, SDKAppID: appID, UserID: "alice", Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := c.WaitEvent(context.Background(), "SDK_READY", nil); err == nil || !strings.Contains(err.Error(), "node exited") {
		t.Fatalf("want node exited, got %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("close after kill: %v", err)
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func dataOf(e *SDKError) string {
	if e == nil {
		return ""
	}
	return string(e.Data)
}
