package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/imharness/imharness/recorder"
)

// tencent is a mock upstream on its own transport (not http.DefaultTransport: tests stay parallel).
// Its long poll signals polling, then holds until the caller goes away, as a real one with no news does.
func tencent(polling chan<- struct{}) *httpmock.MockTransport {
	mt := httpmock.NewMockTransport()
	const base = "https://webim.tim.qq.com/v4/"
	mt.RegisterResponder("POST", base+"openim/login", httpmock.NewStringResponder(200,
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","A2Key":"a2-alice","TinyId":"144115212"}`))
	mt.RegisterResponder("POST", base+"openim/sendmsg", httpmock.NewStringResponder(200,
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgTime":1714564800,"MsgKey":"1_7_3701533"}`))
	mt.RegisterResponder("POST", base+"openim/longpolling", func(r *http.Request) (*http.Response, error) {
		polling <- struct{}{}
		<-r.Context().Done()
		return nil, r.Context().Err()
	})
	return mt
}

func TestRecord(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "rec", "login.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, log syncBuffer
	errc := make(chan error, 1)
	polling := make(chan struct{}, 1)
	o := recordOptions{upstream: "https://webim.tim.qq.com", out: file, addr: "127.0.0.1:0",
		transport: tencent(polling), grace: 200 * time.Millisecond}
	go func() { errc <- record(ctx, o, &out, &log) }()
	base := waitFor(t, &out, `recording on (http://\S+),`, errc)

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	post := func(path, query, body string) string {
		t.Helper()
		resp, err := client.Post(base+path+"?"+query, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := post("/v4/openim/login", "sdkappid=1400000001&identifier=alice&usersig=eJw*sig", `{"State":"Online"}`); !strings.Contains(got, "a2-alice") {
		t.Fatalf("login through the proxy: %s", got)
	}
	sess := "sdkappid=1400000001&a2=a2-alice&tinyid=144115212"
	post("/v4/openim/sendmsg", sess, `{"From_Account":"alice","To_Account":"bob","MsgRandom":3701533,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`)

	// Both are in the file before the end: a crash would not lose them.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if exs, _ := recorder.Load(file); len(exs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the exchanges did not reach the file while recording")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A long poll held upstream when the recording stops is left out, and does not hold it up.
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		if resp, err := client.Post(base+"/v4/openim/longpolling?"+sess, "application/json", strings.NewReader(`{"Timeout":30000}`)); err == nil {
			resp.Body.Close()
		}
	}()
	<-polling
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("record did not stop")
	}
	<-polled

	exs, err := recorder.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range exs {
		got = append(got, e.Conn+" "+e.Command)
	}
	if want := "alice#1 openim/login,alice#1 openim/sendmsg"; strings.Join(got, ",") != want {
		t.Errorf("recorded %q, want %q", strings.Join(got, ","), want)
	}
	if len(exs) == 2 && (exs[0].Seq != 1 || exs[1].Seq != 2 || !strings.Contains(string(exs[1].Request), `"Text":"hi"`) || exs[1].Status != 200) {
		t.Errorf("sendmsg recorded as %+v", exs[1])
	}
	if !strings.Contains(out.String(), "wrote 2 exchange(s)") || !strings.Contains(log.String(), "alice#1 POST openim/sendmsg 200") {
		t.Errorf("stdout %q, log %q", out.String(), log.String())
	}
}

func TestRecordErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"record", "--out", filepath.Join(dir, "x.jsonl")}, `"upstream" not set`},
		{[]string{"record", "--upstream", "https://webim.tim.qq.com"}, `"out" not set`},
		{[]string{"record", "--upstream", "webim.tim.qq.com", "--out", filepath.Join(dir, "x.jsonl")}, "--upstream"},
		{[]string{"record", "--upstream", "https://webim.tim.qq.com", "--out", filepath.Join(dir, "x.jsonl"), "--addr", "256.0.0.1:1"}, "256.0.0.1"},
	} {
		_, _, err := execute(context.Background(), tc.args...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, %v; want exit 2 naming %q", tc.args, exitCode(err), err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a failed start wrote the transcript file (%v)", err)
	}
}
