package tim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/mockserver/usersig"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	appID  = 1400000001
	secret = "test-secret"
)

type apps map[int64]*state.App

func (a apps) App(id int64) *state.App { return a[id] }

type fixture struct {
	t    testing.TB
	srv  *httptest.Server
	app  *state.App
	stop func() // ends held long polls, as a server shutdown does
}

func newFixture(t testing.TB, o tim.Options) *fixture {
	t.Helper()
	app := state.NewApp(state.Options{SDKAppID: appID, Secret: secret})
	done := make(chan struct{})
	o.Done = done
	srv := httptest.NewServer(tim.New(apps{appID: app}, o))
	var once sync.Once
	f := &fixture{t: t, app: app}
	f.stop = func() { once.Do(func() { close(done) }) }
	t.Cleanup(func() { f.stop(); srv.Close() })
	f.srv = srv
	return f
}

type reply struct {
	ActionStatus string
	ErrorCode    *int
	ErrorInfo    string
	raw          map[string]any
}

func (f *fixture) post(path, query, body string) reply {
	f.t.Helper()
	resp, err := http.Post(f.srv.URL+path+"?"+query, "application/x-www-form-urlencoded;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		f.t.Fatalf("%s: HTTP %d", path, resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	var r reply
	if err := json.Unmarshal(b, &r); err != nil {
		f.t.Fatalf("%s: reply is not JSON: %s", path, b)
	}
	_ = json.Unmarshal(b, &r.raw)
	if r.ErrorCode == nil {
		f.t.Fatalf("%s: reply has no ErrorCode: %s", path, b)
	}
	return r
}

type session struct{ user, tinyID, a2 string }

func (s session) q() string {
	return fmt.Sprintf("sdkappid=%d&tinyid=%s&a2=%s&contentType=json", appID, s.tinyID, s.a2)
}

func (f *fixture) login(user string) session {
	f.t.Helper()
	sig, err := usersig.Generate(appID, secret, user, time.Hour, f.app.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	r := f.post("/v4/openim/login", fmt.Sprintf("identifier=%s&usersig=%s&sdkappid=%d", user, sig, appID), `{"State":"Online"}`)
	if *r.ErrorCode != 0 {
		f.t.Fatalf("login %s: %d %s", user, *r.ErrorCode, r.ErrorInfo)
	}
	return session{user, r.raw["TinyId"].(string), r.raw["A2Key"].(string)}
}

// Bad input gets HTTP 200 with a FAIL envelope and a meaningful code, never a panic or a hang.
func TestBadInput(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 50 * time.Millisecond, MaxBody: 4096})
	alice := f.login("alice")
	f.login("bob")
	sig, _ := usersig.Generate(appID, secret, "carol", time.Hour, f.app.Now())
	foreign, _ := usersig.Generate(appID+1, secret, "carol", time.Hour, f.app.Now())
	expired, _ := usersig.Generate(appID, secret, "carol", time.Minute, f.app.Now().Add(-time.Hour))
	loginQ := func(id, s string) string { return fmt.Sprintf("identifier=%s&usersig=%s&sdkappid=%d", id, s, appID) }
	cases := []struct {
		name, path, query, body string
		code                    int
		info                    string
	}{
		{"malformed JSON", "/v4/openim/sendmsg", alice.q(), `{"To_Account":`, tim.CodeJSONParse, "not valid JSON"},
		{"not an object", "/v4/openim/sendmsg", alice.q(), `[1,2]`, tim.CodeJSONParse, "want"},
		{"trailing data", "/v4/openim/sendmsg", alice.q(), `{} {}`, tim.CodeJSONParse, "after the JSON"},
		{"wrong type", "/v4/openim/sendmsg", alice.q(), `{"To_Account":42}`, tim.CodeJSONParse, "To_Account"},
		{"missing To_Account", "/v4/openim/sendmsg", alice.q(), `{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, tim.CodeInvalidAccount, "To_Account"},
		{"unknown To_Account", "/v4/openim/sendmsg", alice.q(), `{"To_Account":"nobody","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, tim.CodeInvalidAccount, "nobody"},
		{"empty MsgBody", "/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","MsgBody":[]}`, tim.CodeBadMsgBody, "empty"},
		{"MsgContent not object", "/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":"x"}]}`, tim.CodeBadMsgBody, "object"},
		{"MsgType missing", "/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","MsgBody":[{"MsgContent":{}}]}`, tim.CodeBadMsgBody, "MsgType"},
		{"From_Account spoofed", "/v4/openim/sendmsg", alice.q(), `{"From_Account":"bob","To_Account":"bob","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, tim.CodeInvalidPacket, "From_Account"},
		{"unknown command", "/v4/openim/nosuch", alice.q(), `{}`, tim.CodeUnknownCommand, "openim/nosuch"},
		{"bad path", "/v4/openim", alice.q(), `{}`, tim.CodeUnknownCommand, "want /v4"},
		{"unknown a2", "/v4/openim/getmsg", fmt.Sprintf("sdkappid=%d&tinyid=%s&a2=nope", appID, alice.tinyID), `{}`, tim.CodeAuthFailed, "session"},
		{"unknown tinyid", "/v4/openim/getmsg", fmt.Sprintf("sdkappid=%d&tinyid=1&a2=%s", appID, alice.a2), `{}`, tim.CodeAuthFailed, "session"},
		{"no sdkappid", "/v4/openim/getmsg", "tinyid=1&a2=2", `{}`, tim.CodeNoSuchApp, "sdkappid"},
		{"unknown sdkappid", "/v4/openim/getmsg", "sdkappid=99&tinyid=1&a2=2", `{}`, tim.CodeNoSuchApp, "99"},
		{"oversized body", "/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","Pad":"` + strings.Repeat("x", 5000) + `"}`, tim.CodeInvalidPacket, "exceeds"},
		{"bad cookie type", "/v4/openim/getmsg", alice.q(), `{"Cookie":{"a":1}}`, tim.CodeJSONParse, "Cookie"},
		{"foreign cookie", "/v4/openim/getmsg", alice.q(), `{"Cookie":"zzz"}`, tim.CodeInvalidPacket, "Cookie"},
		{"bad roam key", "/v4/openim/getroammsg", alice.q(), `{"Peer_Account":"bob","MsgKey":"nope"}`, tim.CodeInvalidPacket, "MsgKey"},
		{"roam without peer", "/v4/openim/getroammsg", alice.q(), `{}`, tim.CodeMissingField, "Peer_Account"},
		{"login garbage sig", "/v4/openim/login", loginQ("carol", "not-a-real-usersig"), `{}`, usersig.CodeMalformed, "malformed"},
		{"login no sig", "/v4/openim/login", loginQ("carol", ""), `{}`, usersig.CodeMalformed, "malformed"},
		{"login identifier mismatch", "/v4/openim/login", loginQ("dave", sig), `{}`, usersig.CodeIdentifierMismatch, "identifier"},
		{"login foreign app", "/v4/openim/login", loginQ("carol", foreign), `{}`, usersig.CodeSDKAppIDMismatch, "sdkappid"},
		{"login expired", "/v4/openim/login", loginQ("carol", expired), `{}`, usersig.CodeExpired, "expired"},
		{"login no identifier", "/v4/openim/login", fmt.Sprintf("usersig=%s&sdkappid=%d", sig, appID), `{}`, tim.CodeInvalidAccount, "identifier"},
		{"delete conv bad type", "/v4/recentcontact/delete", alice.q(), `{"Type":7}`, tim.CodeMissingField, "Type"},
		{"profile set no tag", "/v4/profile/portrait_set", alice.q(), `{"ProfileItem":[{"Value":"x"}]}`, tim.CodeMissingField, "Tag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.post(c.path, c.query, c.body)
			if r.ActionStatus != "FAIL" || *r.ErrorCode != c.code || !strings.Contains(r.ErrorInfo, c.info) {
				t.Errorf("got %s %d %q, want FAIL %d containing %q", r.ActionStatus, *r.ErrorCode, r.ErrorInfo, c.code, c.info)
			}
		})
	}
	// None of it changed state: carol has no account, nothing was stored, alice still works.
	if f.app.HasUser("carol") || f.app.HasUser("dave") || f.app.HasUser("nobody") {
		t.Error("a refused request created an account")
	}
	if h := f.app.C2CHistory("alice", "bob"); len(h) != 0 {
		t.Errorf("refused sends stored messages: %+v", h)
	}
	if r := f.post("/v4/openim/getmsg", alice.q(), `{}`); *r.ErrorCode != 0 {
		t.Errorf("session broken after bad input: %d %s", *r.ErrorCode, r.ErrorInfo)
	}
}

// The C2C chain: send → long poll delivers Event 9 → roaming pages → read marks and receipts.
func TestC2CFlow(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 2 * time.Second})
	alice, bob := f.login("alice"), f.login("bob")

	sync := f.post("/v4/openim/getmsg", bob.q(), `{"Cookie":"","SyncFlag":0,"NeedAbstract":1}`)
	if sync.raw["SyncFlag"].(float64) != 2 || sync.raw["Cookie"] == "" {
		t.Fatalf("first sync must end with SyncFlag 2 and a cookie: %v", sync.raw)
	}
	lp := f.post("/v4/openim/getlongpollingid", bob.q(), `{}`).raw["LongPollingId"].(string)

	polled := make(chan reply, 1)
	go func() {
		polled <- f.post("/v4/openim/longpolling", bob.q(), fmt.Sprintf(`{"Cookie":{"NotifySeq":0,"NoticeSeq":0,"LongPollingId":%q}}`, lp))
	}()
	send := f.post("/v4/openim/sendmsg", alice.q()+"&tjg_id=x", `{"From_Account":"alice","To_Account":"bob","MsgSeq":7,"MsgRandom":99,"MsgTimeStamp":1,"MsgBody":[{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"here","Latitude":31.2,"Longitude":121.5}}]}`)
	if *send.ErrorCode != 0 || send.raw["MsgTime"] == nil {
		t.Fatalf("sendmsg: %v", send.raw)
	}
	var got reply
	select {
	case got = <-polled:
	case <-time.After(5 * time.Second):
		t.Fatal("long poll was not woken by the message")
	}
	b, _ := json.Marshal(got.raw["EventArray"])
	want := `[{"C2cMsgArray":[{"From_Account":"alice","MsgBody":[{"MsgContent":{"Desc":"here","Latitude":31.2,"Longitude":121.5},"MsgType":"TIMLocationElem"}],"MsgKey":"1_99","MsgRandom":99,"MsgSeq":7,"MsgTimeStamp":` + fmt.Sprint(int64(send.raw["MsgTime"].(float64))) + `,"NoticeSeq":1,"To_Account":"bob"}],"Event":9}]`
	if string(b) != want {
		t.Fatalf("event:\n got %s\nwant %s", b, want)
	}
	// Nothing new after NoticeSeq 1: the poll is held for the hold time, then answers "no news".
	if r := f.post("/v4/openim/longpolling", bob.q(), fmt.Sprintf(`{"Cookie":{"NoticeSeq":1,"LongPollingId":%q}}`, lp)); r.raw["EventArray"] != nil {
		t.Fatalf("expected no news, got %v", r.raw)
	}

	for i := 0; i < 44; i++ {
		f.post("/v4/openim/sendmsg", bob.q(), fmt.Sprintf(`{"To_Account":"alice","MsgSeq":%d,"MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"m%d"}}]}`, i, 1000+i, i))
	}
	var texts []string
	key, pages := "", 0
	for {
		r := f.post("/v4/openim/getroammsg", alice.q(), fmt.Sprintf(`{"Peer_Account":"bob","MaxCnt":20,"MsgKey":%q}`, key))
		pages++
		list := r.raw["MsgList"].([]any)
		var page []string
		for _, m := range list {
			body := m.(map[string]any)["MsgBody"].([]any)[0].(map[string]any)
			if body["MsgType"] == "TIMTextElem" {
				page = append(page, body["MsgContent"].(map[string]any)["Text"].(string))
			} else {
				page = append(page, "loc")
			}
		}
		texts = append(page, texts...)
		if r.raw["Complete"].(float64) == 1 {
			break
		}
		key = r.raw["MsgKey"].(string)
		if pages > 5 {
			t.Fatal("roaming never completes")
		}
	}
	if pages != 3 || len(texts) != 45 || texts[0] != "loc" || texts[1] != "m0" || texts[44] != "m43" {
		t.Fatalf("roaming: %d pages, %d messages: %v", pages, len(texts), texts)
	}

	unread := f.app.UnreadC2C("alice")
	if len(unread) != 1 || unread[0].Count != 44 {
		t.Fatalf("alice unread: %+v", unread)
	}
	last := f.app.C2CHistory("alice", "bob")[44].Time
	f.post("/v4/openim/msgreaded", alice.q(), fmt.Sprintf(`{"C2CMsgReaded":{"Cookie":"","C2CMsgReadedItem":[{"To_Account":"bob","LastedMsgTime":%d,"Receipt":1}]}}`, last))
	if u := f.app.UnreadC2C("alice"); len(u) != 0 {
		t.Fatalf("unread after read: %+v", u)
	}
	rt := f.post("/v4/openim/get_peer_read_time", bob.q(), `{"To_Account":["alice","zed"]}`)
	if b, _ := json.Marshal(rt.raw["ReadTime"]); string(b) != fmt.Sprintf("[%d,0]", last) {
		t.Fatalf("peer read time: %s", b)
	}
	evs := f.app.EventsOf("bob")
	if e := evs[len(evs)-1]; e.Kind != state.EvReadReceipt || e.Receipt.Reader != "alice" {
		t.Fatalf("bob did not get a read receipt: %+v", e)
	}
	convs := f.post("/v4/recentcontact/get", alice.q(), `{"From_Account":"alice","Count":0}`)
	items := convs.raw["SessionItem"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["To_Account"] != "bob" {
		t.Fatalf("conversations: %v", items)
	}
}

// A held long poll ends when the server shuts down, with no goroutine left (TestMain checks).
func TestLongPollEndsOnShutdown(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: time.Hour})
	bob := f.login("bob")
	f.post("/v4/openim/getmsg", bob.q(), `{}`)
	lp := f.post("/v4/openim/getlongpollingid", bob.q(), `{}`).raw["LongPollingId"].(string)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.post("/v4/openim/longpolling", bob.q(), fmt.Sprintf(`{"Cookie":{"NoticeSeq":0,"LongPollingId":%q}}`, lp))
	}()
	time.Sleep(50 * time.Millisecond)
	f.stop()
	wg.Wait()
}

// Kicks answer the next long poll with the code the SDK turns into KICKED_OUT.
func TestKickInLongPoll(t *testing.T) {
	for _, c := range []struct {
		reason string
		code   int
		event  string
	}{
		{state.KickMultipleAccount, 91101, ""},
		{state.KickUserSigExpired, 70001, ""},
		{state.KickMultipleDevice, 0, "KickoutMsgNotify"},
	} {
		t.Run(c.reason, func(t *testing.T) {
			f := newFixture(t, tim.Options{Hold: time.Hour})
			bob := f.login("bob")
			lp := f.post("/v4/openim/getlongpollingid", bob.q(), `{}`).raw["LongPollingId"].(string)
			if _, err := f.app.Kick("bob", c.reason); err != nil {
				t.Fatal(err)
			}
			r := f.post("/v4/openim/longpolling", bob.q(), fmt.Sprintf(`{"Cookie":{"NoticeSeq":0,"LongPollingId":%q}}`, lp))
			if *r.ErrorCode != c.code {
				t.Fatalf("code %d, want %d (%s)", *r.ErrorCode, c.code, r.ErrorInfo)
			}
			if b, _ := json.Marshal(r.raw); c.event != "" && !strings.Contains(string(b), c.event) {
				t.Fatalf("reply lacks %s: %s", c.event, b)
			}
		})
	}
}

// FuzzRequest throws arbitrary bodies at every command: the reply is always a JSON envelope.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{`{}`, `{"To_Account":"bob","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`,
		`{"Cookie":{"NoticeSeq":1}}`, `{"C2CMsgReaded":{"C2CMsgReadedItem":[{"To_Account":"bob"}]}}`, `{"UserItem":[{"To_Account":"bob"}]}`, "\x00", `[`} {
		f.Add(s, 0)
	}
	app := state.NewApp(state.Options{SDKAppID: appID, Secret: secret})
	done := make(chan struct{})
	defer close(done)
	h := tim.New(apps{appID: app}, tim.Options{Hold: time.Millisecond, Done: done})
	s := app.Login("alice")
	app.Login("bob")
	cmds := []string{"openim/sendmsg", "openim/getmsg", "openim/longpolling", "openim/getroammsg", "openim/msgreaded",
		"openim/get_peer_read_time", "recentcontact/get", "recentcontact/delete", "profile/portrait_get_all",
		"profile/portrait_set", "openim/longpollinglogout", "openim/login", "group_open_http_svc/get_joined_group_list"}
	fuzzEnvelope(f, h, cmds, fmt.Sprintf("sdkappid=%d&tinyid=%s&a2=%s&identifier=alice&usersig=x", appID, s.TinyID, s.A2))
}

// fuzzEnvelope sends each fuzzed body to one of cmds (chosen by the fuzzed number) with query:
// whatever the body, the reply is HTTP 200 with a JSON envelope carrying an ErrorCode.
func fuzzEnvelope(f *testing.F, h http.Handler, cmds []string, query string) {
	f.Fuzz(func(t *testing.T, body string, which int) {
		if which < 0 {
			which = -which
		}
		cmd := cmds[which%len(cmds)]
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, "POST", "/v4/"+cmd+"?"+query, strings.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var r map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || r["ErrorCode"] == nil || w.Code != 200 {
			t.Fatalf("%s %q: reply %d %q", cmd, body, w.Code, w.Body.String())
		}
	})
}

// Every element type of the blueprint passes through byte for byte: to the peer's long poll, to
// roaming history and to the offline sync.
func TestElementsPassThrough(t *testing.T) {
	elems := map[string]string{
		"TIMTextElem":      `{"Text":"hi \u003cb\u003e 你好"}`,
		"TIMFaceElem":      `{"Index":3,"Data":"tt03"}`,
		"TIMCustomElem":    `{"Data":"{\"order\":42}","Desc":"d","Ext":"e","Sound":""}`,
		"TIMLocationElem":  `{"Desc":"Shenzhen","Latitude":22.543,"Longitude":113.934}`,
		"TIMImageElem":     `{"UUID":"u1","ImageFormat":1,"ImageInfoArray":[{"Type":1,"Size":1024,"Width":64,"Height":48,"URL":"https://x/1.jpg"}]}`,
		"TIMSoundElem":     `{"UUID":"s1","Url":"https://x/1.mp3","Size":2048,"Second":3,"Download_Flag":2}`,
		"TIMFileElem":      `{"UUID":"f1","Url":"https://x/f.pdf","FileName":"f.pdf","FileSize":4096,"Download_Flag":2}`,
		"TIMVideoFileElem": `{"VideoUUID":"v1","VideoUrl":"https://x/v.mp4","VideoSize":9,"VideoSecond":2,"VideoFormat":"mp4","ThumbUUID":"t1","ThumbUrl":"https://x/t.jpg","ThumbSize":1,"ThumbWidth":2,"ThumbHeight":3,"ThumbFormat":"jpg"}`,
	}
	f := newFixture(t, tim.Options{Hold: time.Second})
	alice, bob := f.login("alice"), f.login("bob")
	var body []string
	for typ, content := range elems {
		body = append(body, fmt.Sprintf(`{"MsgType":%q,"MsgContent":%s}`, typ, content))
	}
	msgBody := "[" + strings.Join(body, ",") + "]"
	if r := f.post("/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","MsgSeq":1,"MsgRandom":2,"MsgBody":`+msgBody+`}`); *r.ErrorCode != 0 {
		t.Fatalf("sendmsg: %v", r.raw)
	}
	raw := func(path, q, req string) string {
		resp, err := http.Post(f.srv.URL+path+"?"+q, "application/json", strings.NewReader(req))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for name, reply := range map[string]string{
		"offline sync": raw("/v4/openim/getmsg", bob.q(), `{"Cookie":""}`),
		"roaming":      raw("/v4/openim/getroammsg", bob.q(), `{"Peer_Account":"alice","MaxCnt":20}`),
	} {
		if !strings.Contains(reply, `"MsgBody":`+msgBody) {
			t.Errorf("%s does not carry the MsgBody byte for byte:\n%s", name, reply)
		}
	}
	lp := f.post("/v4/openim/getlongpollingid", bob.q(), `{}`).raw["LongPollingId"].(string)
	f.post("/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","MsgSeq":3,"MsgRandom":4,"MsgBody":`+msgBody+`}`)
	if reply := raw("/v4/openim/longpolling", bob.q(), fmt.Sprintf(`{"Cookie":{"NoticeSeq":0,"LongPollingId":%q}}`, lp)); !strings.Contains(reply, `"MsgBody":`+msgBody) {
		t.Errorf("long poll does not carry the MsgBody byte for byte:\n%s", reply)
	}
}

// A user's events fan out to every one of its sessions' long polls; a sender's own message is
// echoed to its other sessions only.
func TestFanOutToEverySession(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 200 * time.Millisecond})
	f.app.SetLoginPolicy(state.LoginPolicy{MultipleInstances: true}) // by default the laptop's login would end the phone's session
	phone, laptop, bob := f.login("alice"), f.login("alice"), f.login("bob")
	lp := map[string]string{}
	for name, s := range map[string]session{"phone": phone, "laptop": laptop} {
		f.post("/v4/openim/getmsg", s.q(), `{}`)
		lp[name] = f.post("/v4/openim/getlongpollingid", s.q(), `{}`).raw["LongPollingId"].(string)
	}
	poll := func(s session, id string) string {
		r := f.post("/v4/openim/longpolling", s.q(), fmt.Sprintf(`{"Cookie":{"NoticeSeq":0,"LongPollingId":%q}}`, id))
		b, _ := json.Marshal(r.raw["EventArray"])
		return string(b)
	}
	f.post("/v4/openim/sendmsg", bob.q(), `{"To_Account":"alice","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"to both"}}]}`)
	f.post("/v4/openim/sendmsg", phone.q(), `{"To_Account":"bob","MsgRandom":2,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"from phone"}}]}`)
	onPhone, onLaptop := poll(phone, lp["phone"]), poll(laptop, lp["laptop"])
	if !strings.Contains(onPhone, "to both") || !strings.Contains(onLaptop, "to both") {
		t.Errorf("bob's message did not reach both sessions:\nphone  %s\nlaptop %s", onPhone, onLaptop)
	}
	if strings.Contains(onPhone, "from phone") || !strings.Contains(onLaptop, "from phone") {
		t.Errorf("the phone's own message must be echoed to the laptop only:\nphone  %s\nlaptop %s", onPhone, onLaptop)
	}
}

// CloudCustomData (tim-js-sdk ≥ 2.10) reaches the peer as the sender gave it.
func TestCloudCustomDataTravels(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: time.Second})
	alice, bob := f.login("alice"), f.login("bob")
	f.post("/v4/openim/getmsg", bob.q(), `{}`)
	lp := f.post("/v4/openim/getlongpollingid", bob.q(), `{}`).raw["LongPollingId"].(string)
	f.post("/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","MsgRandom":5,"CloudCustomData":"{\"k\":1}","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`)
	r := f.post("/v4/openim/longpolling", bob.q(), fmt.Sprintf(`{"Cookie":{"NoticeSeq":0,"LongPollingId":%q}}`, lp))
	msg := r.raw["EventArray"].([]any)[0].(map[string]any)["C2cMsgArray"].([]any)[0].(map[string]any)
	if msg["CloudCustomData"] != `{"k":1}` {
		t.Fatalf("CloudCustomData: %v", msg)
	}
}

// Dispatch is the transport-neutral entry: a frame-based transport hands it the command, the
// identity it carries and the body, and sends back the envelope.
func TestDispatchWithoutHTTP(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: appID, Secret: secret})
	h := tim.New(apps{appID: app}, tim.Options{Hold: time.Millisecond})
	sig, _ := usersig.Generate(appID, secret, "alice", time.Hour, app.Now())
	var login map[string]any
	raw := h.Dispatch(context.Background(), "openim/login", map[string]string{"sdkappid": fmt.Sprint(appID), "identifier": "alice", "usersig": sig}, []byte(`{"State":"Online"}`))
	if err := json.Unmarshal(raw, &login); err != nil || login["ErrorCode"] != 0.0 {
		t.Fatalf("login: %s", raw)
	}
	q := map[string]string{"sdkappid": fmt.Sprint(appID), "tinyid": login["TinyId"].(string), "a2": login["A2Key"].(string)}
	if raw := h.Dispatch(context.Background(), "openim/getmsg", q, []byte(`{}`)); !strings.Contains(string(raw), `"SyncFlag":2`) {
		t.Fatalf("getmsg: %s", raw)
	}
	if raw := h.Dispatch(context.Background(), "openim/nosuch", q, nil); !strings.Contains(string(raw), `"ErrorCode":60002`) {
		t.Fatalf("unknown command: %s", raw)
	}
}
