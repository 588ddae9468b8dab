package recorder_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	. "github.com/imharness/imharness/recorder"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Realistic tim-js-sdk 2.7.0 traffic: alice logs in and sends bob a text; bob receives it on his
// long poll. Values are what the SDK and the fake server put on the wire.

const (
	aliceTiny = "144115212345678"
	bobTiny   = "144115298765432"
	aliceA2   = "7a2f6c0d9e8b4a1f3c5d7e9f0a1b2c3d"
	bobA2     = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
	app       = "1400100001"
)

var t0 = time.Date(2026, 11, 24, 4, 51, 0, 0, time.UTC)

func x(seq int, conn, cmd, query, req, rsp string) Exchange {
	user, _, _ := strings.Cut(conn, "#")
	e := Exchange{Seq: seq, Conn: conn, App: app, User: user, Kind: KindCall, Transport: "http", Command: cmd, Method: "POST",
		Path: "/v4/" + cmd, Query: parseQuery(query), Status: 200, Start: t0.Add(time.Duration(seq) * 37 * time.Millisecond),
		DurationMS: float64(seq%7) + 0.25}
	if req != "" {
		e.Request = Body([]byte(req), false)
	}
	if rsp != "" {
		e.Response = Body([]byte(rsp), false)
	}
	return e
}

func loginQuery(user string) string {
	return "websdkappid=537048168&v=1.7.3&platform=10&identifier=" + user +
		"&usersig=eJwtjEEOgjAURO-StQm0UKXs3BhXJhp0Dy2f8tWYCaUmKfe9*7eKQmKfe9*" + user +
		"&sdkappid=" + app + "&accounttype=8723&contentType=json&apn=1&reqtime=1795462673.885"
}

func sessQuery(a2, tiny, extra string) string {
	return "websdkappid=537048168&v=1.7.3&platform=10&a2=" + a2 + "&tinyid=" + tiny +
		"&sdkappid=" + app + "&contentType=json&apn=1&reqtime=1795462674021" + extra
}

const ok = `"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""`

func loginReply(a2, tiny string) string {
	return `{` + ok + `,"A2Key":"` + a2 + `","TinyId":` + tiny + `,"InstId":537048168}`
}

const textMsg = `{"From_Account":"alice","To_Account":"bob","MsgSeq":1937530001,"MsgRandom":3701533,` +
	`"MsgTimeStamp":1795462674,"MsgKey":"1_3701533","NoticeSeq":1,` +
	`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello bob"}}]}`

// c2cTranscript is alice sending bob a text, with alice's and bob's calls interleaved as seq says.
func c2cTranscript() []Exchange {
	return []Exchange{
		x(1, "alice#1", "openim/login", loginQuery("alice"), `{"State":"Online"}`, loginReply(aliceA2, aliceTiny)),
		x(2, "bob#1", "openim/login", loginQuery("bob"), `{"State":"Online"}`, loginReply(bobA2, `"`+bobTiny+`"`)),
		x(3, "alice#1", "openim/getmsg", sessQuery(aliceA2, aliceTiny, ""), `{"Cookie":"","SyncFlag":0,"NeedAbstract":1}`,
			`{`+ok+`,"Cookie":"c2c-sync-1-0","SyncFlag":2,"MsgList":[],"C2CRemainingUnreadCount":[]}`),
		x(4, "bob#1", "openim/getlongpollingid", sessQuery(bobA2, bobTiny, ""), `{}`, `{`+ok+`,"LongPollingId":"lp-6d3a","Timeout":30}`),
		x(5, "bob#1", "openim/longpolling", sessQuery(bobA2, bobTiny, "&accounttype=8723"),
			`{"Cookie":{"NotifySeq":0,"NoticeSeq":0,"LongPollingId":"lp-6d3a"}}`, `{`+ok+`}`),
		x(6, "imopenstat", "imopenstat/tim_web_report", "sdkappid="+app+"&reqtime=1795462674100",
			`{"table":"timwebii","report":[{"uint1":1,"msg":"login"}]}`, `{`+ok+`}`),
		x(7, "bob#1", "openim/longpolling", sessQuery(bobA2, bobTiny, "&accounttype=8723"),
			`{"Cookie":{"NotifySeq":0,"NoticeSeq":0,"LongPollingId":"lp-6d3a"}}`,
			`{`+ok+`,"EventArray":[{"Event":9,"C2cMsgArray":[`+textMsg+`]}]}`),
		x(8, "alice#1", "openim/sendmsg", sessQuery(aliceA2, aliceTiny, "&tjg_id="+aliceTiny+"-3701533"),
			`{"From_Account":"alice","To_Account":"bob","MsgTimeStamp":1795462674,"MsgSeq":1937530001,"MsgRandom":3701533,`+
				`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello bob"}}],"OfflinePushInfo":{"PushFlag":0,"Title":"","Desc":""}}`,
			`{`+ok+`,"MsgTime":1795462675,"MsgKey":"1_3701533"}`),
		x(9, "bob#1", "openim/longpolling", sessQuery(bobA2, bobTiny, "&accounttype=8723"),
			`{"Cookie":{"NotifySeq":0,"NoticeSeq":1,"LongPollingId":"lp-6d3a"}}`, `{`+ok+`}`),
	}
}

// rerun is the same conversation as another run would record it: other credentials, randoms,
// times and tenant, and another interleaving of alice's and bob's calls.
func rerun() []Exchange {
	r := strings.NewReplacer(aliceTiny, "144115200000001", bobTiny, "144115200000002", aliceA2, "ffffeeee",
		bobA2, "ddddcccc", "3701533", "88124", "1937530001", "1205960001", "1795462674", "1795469999",
		"1795462675", "1795470000", app, "1400200007", "lp-6d3a", "lp-0001", "c2c-sync-1-0", "c2c-sync-9-0",
		"reqtime=1795462674021", "reqtime=1795469999000", "eJwtjEEOgjAURO", "eJyrVkrOzytJ")
	var out []Exchange
	for _, e := range c2cTranscript() {
		b, _ := json.Marshal(e)
		var n Exchange
		if err := json.Unmarshal([]byte(r.Replace(string(b))), &n); err != nil {
			panic(err)
		}
		out = append(out, n)
	}
	// bob's calls now start before alice's.
	order := map[int]int{1: 2, 2: 1, 3: 4, 4: 3, 5: 5, 6: 6, 7: 8, 8: 7, 9: 9}
	for i := range out {
		out[i].Seq = order[out[i].Seq] + 100
		out[i].Start = out[i].Start.Add(time.Hour)
	}
	return out
}

func jsonOf(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s: %v", raw, err)
	}
	return m
}

func byCommand(exs []Exchange, conn, cmd string) []Exchange {
	var out []Exchange
	for _, e := range exs {
		if e.Conn == conn && e.Command == cmd {
			out = append(out, e)
		}
	}
	return out
}
