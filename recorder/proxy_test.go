package recorder_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	. "github.com/imharness/imharness/recorder"
)

// fakeTencent is a mock upstream on its own transport (no global state: tests stay parallel).
func fakeTencent(t *testing.T, pollRelease <-chan struct{}) *httpmock.MockTransport {
	t.Helper()
	mt := httpmock.NewMockTransport()
	const base = "https://webim.tim.qq.com/v4/"
	mt.RegisterResponder("POST", base+"openim/login", func(r *http.Request) (*http.Response, error) {
		if r.Host != "" && r.Host != "webim.tim.qq.com" || r.URL.Host != "webim.tim.qq.com" || r.Header.Get("Accept-Encoding") != "" {
			t.Errorf("upstream saw host %q (%s), accept-encoding %q", r.Host, r.URL.Host, r.Header.Get("Accept-Encoding"))
		}
		if !strings.Contains(r.URL.RawQuery, "identifier=alice&usersig=eJw*_-sig") {
			t.Errorf("query not relayed verbatim: %s", r.URL.RawQuery)
		}
		return httpmock.NewStringResponse(200, loginReply(aliceA2, aliceTiny)), nil
	})
	mt.RegisterResponder("POST", base+"openim/sendmsg", func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(b), `"MsgRandom":3701533`) {
			t.Errorf("upstream got body %s", b)
		}
		return httpmock.NewStringResponse(200, `{`+ok+`,"MsgTime":1795462675}`), nil
	})
	mt.RegisterResponder("POST", base+"openim/longpolling", func(r *http.Request) (*http.Response, error) {
		select {
		case <-pollRelease:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
		return httpmock.NewStringResponse(200, `{`+ok+`,"EventArray":[{"Event":9,"C2cMsgArray":[`+textMsg+`]}]}`), nil
	})
	mt.RegisterResponder("POST", base+"imopenstat/tim_web_report", httpmock.NewStringResponder(200, "ok, thanks\n"))
	mt.RegisterResponder("POST", base+"openim/authkey", httpmock.NewErrorResponder(errors.New("connection reset by peer")))
	return mt
}

func TestProxyRecordsRealTraffic(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	mt := fakeTencent(t, release)
	up, _ := url.Parse("https://webim.tim.qq.com")
	rec := New(ForProtocol(tim))
	srv := httptest.NewServer(NewProxy(up, rec, ProxyTransport(mt)))
	defer srv.Close()
	client := srv.Client()
	call := func(path, query, body string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+path+"?"+query, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if code, body := call("/v4/openim/login", "websdkappid=537048168&identifier=alice&usersig=eJw*_-sig&sdkappid="+app, `{"State":"Online"}`); code != 200 || !strings.Contains(body, aliceA2) {
		t.Fatalf("login through the proxy: %d %s", code, body)
	}
	sess := "a2=" + aliceA2 + "&tinyid=" + aliceTiny + "&sdkappid=" + app

	// A long poll is held upstream while other calls go through.
	var wg sync.WaitGroup
	wg.Add(1)
	var pollBody string
	go func() {
		defer wg.Done()
		_, pollBody = call("/v4/openim/longpolling", sess+"&accounttype=8723", `{"Cookie":{"NotifySeq":0,"NoticeSeq":0,"LongPollingId":"lp-1"}}`)
	}()
	waitFor(t, func() bool { return rec.SeqTaken() >= 2 })
	if code, _ := call("/v4/openim/sendmsg", sess+"&tjg_id="+aliceTiny+"-3701533", `{"From_Account":"alice","To_Account":"bob","MsgRandom":3701533}`); code != 200 {
		t.Errorf("sendmsg: %d", code)
	}
	if code, body := call("/v4/imopenstat/tim_web_report", "sdkappid="+app, "table=timwebii&report=[1,2]"); code != 200 || body != "ok, thanks\n" {
		t.Errorf("telemetry: %d %q", code, body)
	}
	if code, body := call("/v4/openim/authkey", "sdkappid="+app, `{}`); code != http.StatusBadGateway || !strings.Contains(body, "connection reset") {
		t.Errorf("upstream failure: %d %q", code, body)
	}
	time.Sleep(10 * time.Millisecond)
	close(release)
	wg.Wait()
	if !strings.Contains(pollBody, "hello bob") {
		t.Errorf("poll reply relayed: %s", pollBody)
	}

	exs := rec.ForApp(app)
	if len(exs) != 5 {
		t.Fatalf("%d exchanges: %+v", len(exs), exs)
	}
	cmds := []string{"openim/login", "openim/longpolling", "openim/sendmsg", "imopenstat/tim_web_report", "openim/authkey"}
	for i, e := range exs {
		if e.Command != cmds[i] || e.Seq != i+1 {
			t.Errorf("exchange %d: seq %d %s, want %s", i, e.Seq, e.Command, cmds[i])
		}
	}
	// Learned from the login reply: a2/tinyid calls are alice's first connection.
	for _, e := range exs[:3] {
		if e.User != "alice" || e.Conn != "alice#1" {
			t.Errorf("%s attributed to %q/%q", e.Command, e.User, e.Conn)
		}
	}
	if poll := exs[1]; !strings.Contains(string(poll.Response), `"C2cMsgArray"`) || poll.DurationMS < 10 {
		t.Errorf("poll: %.1f ms %s", poll.DurationMS, poll.Response)
	}
	if tel := exs[3]; string(tel.Request) != `"table=timwebii&report=[1,2]"` || string(tel.Response) != `"ok, thanks\n"` {
		t.Errorf("non-JSON bodies: %s → %s", tel.Request, tel.Response)
	}
	if fail := exs[4]; fail.Status != http.StatusBadGateway || !strings.Contains(string(fail.Response), "imharness proxy") {
		t.Errorf("upstream failure recorded as %d %s", fail.Status, fail.Response)
	}
	if q := exs[2].Query; q["tjg_id"] != aliceTiny+"-3701533" {
		t.Errorf("query: %v", q)
	}
	n := normalized(t, exs, nil)
	if len(n) != 4 || n[2].Query["tjg_id"] != "<tinyid-1>-<random-1>" {
		t.Errorf("normalised proxy transcript: %+v", n)
	}
	if info := mt.GetCallCountInfo(); info["POST https://webim.tim.qq.com/v4/openim/longpolling"] != 1 {
		t.Errorf("upstream calls: %v", info)
	}
}
