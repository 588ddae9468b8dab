package recorder_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	. "github.com/imharness/imharness/recorder"
)

func post(h http.Handler, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestJSONLRoundTrip(t *testing.T) {
	t.Parallel()
	in := c2cTranscript()
	in[0].Note = "step: alice logs in — 登录"
	in[5].Request = Body([]byte("table=timwebii&x=<1>"), false) // not JSON: kept as a string
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, in); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\n"); n != len(in)+1 {
		t.Fatalf("%d lines for a header and %d exchanges", n, len(in))
	}
	if !strings.HasPrefix(buf.String(), `{"version":2}`+"\n") {
		t.Errorf("no version header:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), `"request":"table=timwebii&x=<1>"`) {
		t.Errorf("text body not kept as a JSON string:\n%s", buf.String())
	}
	out, err := ReadJSONL(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("round trip (-in +out):\n%s", d)
	}

	path := t.TempDir() + "/tim/c2c/x.jsonl"
	if err := Save(path, in); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, loaded, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("Save/Load (-in +out):\n%s", d)
	}
	if _, err := ReadJSONL(strings.NewReader("{\"seq\":1}\n\nnot json\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad line: %v", err)
	}
}

// echo answers with the SHA-256 and length of the body it read, as JSON.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Len":%d,"Sum":"%x"}`, len(b), sha256.Sum256(b))
})

func TestMiddlewareBodyReachesNextIntact(t *testing.T) {
	t.Parallel()
	rec := New(WithMaxBody(64))
	h := rec.Middleware(echo)
	small := `{"From_Account":"alice","To_Account":"bob","MsgRandom":3701533}`
	big := `{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"` + strings.Repeat("长", 100) + `"}}]}`
	for _, body := range []string{small, big} {
		w := post(h, "/v4/openim/sendmsg?sdkappid=1400000001&identifier=alice", body)
		var got struct {
			Len int
			Sum string
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Len != len(body) || got.Sum != fmt.Sprintf("%x", sha256.Sum256([]byte(body))) {
			t.Errorf("next read %d bytes (%s), want the %d sent", got.Len, got.Sum, len(body))
		}
	}
	exs := rec.Exchanges(nil)
	if len(exs) != 2 {
		t.Fatalf("%d exchanges", len(exs))
	}
	if string(exs[0].Request) != small {
		t.Errorf("small body captured as %s", exs[0].Request)
	}
	var s string
	if err := json.Unmarshal(exs[1].Request, &s); err != nil || !strings.HasSuffix(s, "…[truncated after 64 bytes]") {
		t.Errorf("big body capture: %s (%v)", exs[1].Request, err)
	}
	if exs[1].Response == nil || exs[1].Status != 200 {
		t.Errorf("response: %d %s", exs[1].Status, exs[1].Response)
	}
}

// Version 1 transcripts (no header, calls of kind "http") load as calls carried by HTTP; a
// version this package does not know is refused.
func TestReadsVersion1AndRefusesUnknownVersions(t *testing.T) {
	t.Parallel()
	v1 := `{"seq":1,"conn":"alice","kind":"http","command":"openim/login","method":"POST","status":200}
{"seq":2,"conn":"alice","kind":"note","command":"","note":"step"}
`
	got, err := ReadJSONL(strings.NewReader(v1))
	if err != nil {
		t.Fatal(err)
	}
	want := []Exchange{{Seq: 1, Conn: "alice", Kind: KindCall, Transport: "http", Command: "openim/login", Method: "POST", Status: 200},
		{Seq: 2, Conn: "alice", Kind: KindNote, Note: "step"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	v2 := `{"version":2}` + "\n" + `{"seq":1,"conn":"c","kind":"push","transport":"ws","command":"x"}` + "\n"
	if got, err := ReadJSONL(strings.NewReader(v2)); err != nil || len(got) != 1 || got[0].Kind != KindPush || got[0].Transport != "ws" {
		t.Errorf("v2: %v %+v", err, got)
	}
	if _, err := ReadJSONL(strings.NewReader(`{"version":3}` + "\n")); err == nil || !strings.Contains(err.Error(), "version 3") {
		t.Errorf("version 3: %v", err)
	}
}

func TestMiddlewareAttributesWithTheProfile(t *testing.T) {
	t.Parallel()
	rec := New(ForProtocol(tim))
	post(rec.Middleware(echo), "/v4/openim/login?websdkappid=537048168&identifier=alice&usersig=abc&sdkappid=1400000001&reqtime=1.5", `{"State":"Online"}`)
	e := rec.Exchanges(nil)[0]
	want := Exchange{Seq: 1, Conn: "alice", App: "1400000001", User: "alice", Kind: KindCall, Transport: "http", Command: "openim/login",
		Method: "POST", Path: "/v4/openim/login", Status: 200, Request: json.RawMessage(`{"State":"Online"}`),
		Query: map[string]string{"websdkappid": "537048168", "identifier": "alice", "usersig": "abc", "sdkappid": "1400000001", "reqtime": "1.5"}}
	if d := cmp.Diff(want, e, cmpopts.IgnoreFields(Exchange{}, "Start", "DurationMS", "Response")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if e.Start.IsZero() {
		t.Error("no start time")
	}
}

// The call pipeline's way in: Begin takes the Seq on arrival, End stores the exchange as built
// by the pipeline (kind, transport, who), and hooks see it.
func TestBeginEnd(t *testing.T) {
	t.Parallel()
	rec := New(ForProtocol(tim))
	var seen []Exchange
	var mu sync.Mutex
	rec.OnExchange(func(e Exchange) { mu.Lock(); seen = append(seen, e); mu.Unlock() })
	held := rec.Begin() // a long poll arrives first and is answered last
	quick := rec.Begin()
	quick.End(Exchange{Kind: KindCall, Transport: "ws", App: "1", User: "alice", Command: "openim/sendmsg",
		Request: rec.Capture([]byte(`{"MsgRandom":1}`))})
	rec.Reset()
	late := rec.Begin()
	held.End(Exchange{Kind: KindCall, Transport: "ws", App: "1", User: "bob", Conn: "bob#2", Command: "openim/longpolling"})
	late.End(Exchange{Kind: KindPush, Transport: "ws", App: "1", User: "bob", Conn: "bob#2", Command: "event"})
	exs := rec.ForApp("1")
	if len(exs) != 1 || exs[0].Seq != 1 || exs[0].Kind != KindPush || exs[0].Conn != "bob#2" || exs[0].Start.IsZero() {
		t.Fatalf("after Reset only the exchange begun since is kept, with Seq 1: %+v", exs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].Seq != 2 || seen[0].Conn != "alice" || string(seen[0].Request) != `{"MsgRandom":1}` {
		t.Errorf("hook saw %+v", seen)
	}
}

func TestMiddlewareLongHeldRequest(t *testing.T) {
	t.Parallel()
	rec := New(ForProtocol(tim))
	release := make(chan struct{})
	h := rec.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v4/openim/longpolling" {
			_, _ = io.ReadAll(r.Body)
			http.NewResponseController(w).Flush() // flushing through the capture writer works
			<-release
			_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","EventArray":[{"Event":9,"C2cMsgArray":[`+textMsg+`]}]}`)
			return
		}
		echo(w, r)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	done := make(chan error, 1)
	go func() {
		resp, err := client.Post(srv.URL+"/v4/openim/longpolling?identifier=bob&sdkappid=1", "text/plain",
			strings.NewReader(`{"Cookie":{"NotifySeq":0,"NoticeSeq":0,"LongPollingId":"lp-1"}}`))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, func() bool { return rec.SeqTaken() >= 1 })
	resp, err := client.Post(srv.URL+"/v4/openim/sendmsg?identifier=alice&sdkappid=1", "text/plain", strings.NewReader(`{"MsgRandom":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if exs := rec.Exchanges(nil); len(exs) != 1 || exs[0].Command != "openim/sendmsg" || exs[0].Seq != 2 {
		t.Fatalf("while the poll is held only sendmsg is complete: %+v", exs)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	exs := rec.Exchanges(nil)
	if len(exs) != 2 || exs[0].Command != "openim/longpolling" || exs[0].Seq != 1 || exs[1].Seq != 2 {
		t.Fatalf("the poll keeps the place it started in: %+v", exs)
	}
	if exs[0].DurationMS < 20 || !strings.Contains(string(exs[0].Response), "hello bob") || exs[0].Conn != "bob" {
		t.Errorf("poll: %.1f ms, %s", exs[0].DurationMS, exs[0].Response)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestResetDropsInFlight(t *testing.T) {
	t.Parallel()
	rec := New(ForProtocol(tim))
	started, release := make(chan struct{}), make(chan struct{})
	h := rec.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	}))
	done := make(chan struct{})
	go func() { post(h, "/v4/openim/longpolling?sdkappid=1", `{}`); close(done) }()
	<-started
	rec.AddNote("1", "alice#1", "before reset")
	rec.Reset()
	close(release)
	<-done
	n := rec.AddNote("1", "alice#1", "after reset")
	if exs := rec.Exchanges(nil); len(exs) != 1 || exs[0].Note != "after reset" || n.Seq != 1 {
		t.Errorf("after Reset: %+v", exs)
	}
}

func TestNotesPushesAndConcurrency(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := New(ForProtocol(tim), WithClock(func() time.Time { return clock }))
	h := rec.Middleware(echo)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := fmt.Sprint(1400000000 + i%2)
			switch i % 4 {
			case 0:
				rec.AddNote(app, "alice#1", "step")
			case 1:
				rec.AddPush("socket.io", app, "bob", "bob#1", "socket/message", []byte(`{"type":"msg"}`))
			default:
				post(h, "/v4/openim/sendmsg?sdkappid="+app+"&identifier=carol", `{"MsgRandom":1}`)
			}
		}()
	}
	wg.Wait()
	all := rec.Exchanges(nil)
	if len(all) != 40 {
		t.Fatalf("%d exchanges", len(all))
	}
	for i, e := range all {
		if e.Seq != i+1 || !e.Start.Equal(clock) {
			t.Errorf("exchange %d: seq %d start %v", i, e.Seq, e.Start)
		}
	}
	if n := len(rec.ForApp("1400000000")) + len(rec.ForApp("1400000001")); n != 40 {
		t.Errorf("ForApp split: %d", n)
	}
	push := rec.Exchanges(func(e Exchange) bool { return e.Kind == KindPush })
	if len(push) != 10 || string(push[0].Response) != `{"type":"msg"}` || push[0].Conn != "bob#1" || push[0].Transport != "socket.io" {
		t.Errorf("pushes: %+v", push)
	}
	// Snapshots are copies.
	all[0].Query = map[string]string{"x": "y"}
	if rec.Exchanges(nil)[0].Query["x"] == "y" {
		t.Error("snapshot shares maps with the recorder")
	}
}

func TestMiddlewarePanicIsRecordedAndRethrown(t *testing.T) {
	t.Parallel()
	rec := New(ForProtocol(tim))
	h := rec.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		post(h, "/v4/openim/login?identifier=alice", `{}`)
	}()
	if exs := rec.Exchanges(nil); len(exs) != 1 || !strings.Contains(exs[0].Note, "boom") {
		t.Errorf("%+v", exs)
	}
}
