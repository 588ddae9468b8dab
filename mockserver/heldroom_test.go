package mockserver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The legacy webim.js generation's AVChatRoom audience polls
// (group_open_long_polling_http_noauth_svc/get_msg) are held like the long polls: off net/http,
// no goroutine each, woken by the group's next message.

func (f *heldFixture) startRoomPoll(ctx context.Context, key string) <-chan answer {
	out := make(chan answer, 1)
	url := fmt.Sprintf("%s/v1/group_open_long_polling_http_noauth_svc/get_msg?sdkappid=%d&websdkappid=537048168&v=1.7.3&platform=10", f.srv.URL(), appID)
	req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(fmt.Sprintf(`{"USP":1,"StartSeq":0,"HoldTime":90,"Key":%q}`, key)))
	go func() {
		resp, err := f.client.Do(req)
		if err != nil {
			out <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- answer{status: resp.StatusCode, body: b, err: err}
	}()
	return out
}

// audience creates an AVChatRoom of alice's and hands out n anonymous viewers' polling keys.
func (f *heldFixture) audience(alice session, n int) (gid string, keys []string) {
	f.t.Helper()
	gid, _ = f.im("group_open_http_svc/create_group", alice.q(), `{"Type":"AVChatRoom","Name":"Stage"}`)["GroupId"].(string)
	for range n {
		j := f.im("group_open_http_noauth_svc/apply_join_group", fmt.Sprintf("sdkappid=%d", appID), fmt.Sprintf(`{"GroupId":%q}`, gid))
		key, _ := j["LongPollingKey"].(string)
		if key == "" {
			f.t.Fatalf("anonymous join: no LongPollingKey: %v", j)
		}
		keys = append(keys, key)
	}
	return gid, keys
}

func TestHeldAudiencePollsKeepNoGoroutine(t *testing.T) {
	f := newHeldFixture(t)
	alice := f.login(appID, "alice")
	const n = 12
	gid, keys := f.audience(alice, n)
	base := serverConnGoroutines()
	answers := make([]<-chan answer, n)
	for i, k := range keys {
		answers[i] = f.startRoomPoll(context.Background(), k)
	}
	eventually(t, "12 audience polls held with no goroutine each", func() bool {
		return f.srv.HeldRequests() == n && serverConnGoroutines() <= base
	})
	r := f.im("group_open_http_svc/send_group_msg", alice.q(), fmt.Sprintf(`{"GroupId":%q,"Random":7,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"to the room"}}]}`, gid))
	if code(r) != 0 {
		t.Fatalf("send_group_msg: %v", r)
	}
	for i, c := range answers {
		if a := <-c; a.err != nil || a.status != 200 || !strings.Contains(string(a.body), `"Text":"to the room"`) || !strings.Contains(string(a.body), `"NextSeq"`) {
			t.Fatalf("viewer %d: %d %s %v", i, a.status, a.body, a.err)
		}
	}
}

// A viewer that gives up ends its poll; closing the server answers the rest with an empty page
// (NextSeq, HoldTime and Key, as the hold running out would) and leaves no goroutine (TestMain).
func TestHeldAudiencePollEndsWhenTheClientLeavesAndOnClose(t *testing.T) {
	f := newHeldFixture(t)
	_, keys := f.audience(f.login(appID, "alice"), 2)
	ctx, cancel := context.WithCancel(context.Background())
	gone := f.startRoomPoll(ctx, keys[0])
	kept := f.startRoomPoll(context.Background(), keys[1])
	eventually(t, "both polls held", func() bool { return f.srv.HeldRequests() == 2 })
	cancel()
	if a := <-gone; a.err == nil {
		t.Fatalf("a cancelled poll answered: %s", a.body)
	}
	eventually(t, "the cancelled poll is no longer held", func() bool { return f.srv.HeldRequests() == 1 })
	if err := f.srv.Close(); err != nil {
		t.Fatal(err)
	}
	a := <-kept
	if a.err != nil || a.status != 200 || !strings.Contains(string(a.body), `"RspMsgList":[]`) || !strings.Contains(string(a.body), fmt.Sprintf(`"Key":%q`, keys[1])) {
		t.Fatalf("poll on close: %d %s %v", a.status, a.body, a.err)
	}
}
