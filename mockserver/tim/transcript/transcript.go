// Package transcript is how Tencent IM traffic reads in a transcript: the recorder.Profile with
// its command names, idle long polls, default normalisation rules and, for the recording proxy in
// front of a real server, who each exchange belongs to (sessions learned from login replies).
package transcript

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/imharness/imharness/internal/timurl"
	"github.com/imharness/imharness/recorder"
)

// Profile is Tencent IM's recorder profile.
var Profile = recorder.Profile{
	Name:        "tim",
	Rules:       DefaultRules(),
	SeqRules:    SeqRules(),
	IdlePoll:    IsIdlePoll,
	Poll:        func(e recorder.Exchange) bool { return e.Command == LongPoll },
	Command:     Command,
	Query:       timurl.Query,
	Attribution: func() func(*recorder.Exchange) { return (&learned{}).attribute },
}

// LongPoll is the long-poll command.
const LongPoll = "openim/longpolling"

// codeNoNews is the legacy "long poll timed out, nothing new" answer of older servers.
const codeNoNews = "60008"

// Command turns a URL path into a command: "/v4/openim/sendmsg" → "openim/sendmsg". Paths of
// another shape give the path without its leading slash.
func Command(path string) string {
	if cmd, ok := timurl.Command(path); ok {
		return cmd
	}
	return strings.Trim(path, "/")
}

// IsIdlePoll says whether e is a long poll that returned no events: no or an empty EventArray,
// and ErrorCode 0 or absent, or the legacy 60008.
func IsIdlePoll(e recorder.Exchange) bool {
	if e.Kind != recorder.KindCall || e.Command != LongPoll || len(e.Response) == 0 {
		return false
	}
	var rsp map[string]json.RawMessage
	if json.Unmarshal(e.Response, &rsp) != nil {
		return false
	}
	if ev, ok := rsp["EventArray"]; ok {
		var arr []json.RawMessage
		if json.Unmarshal(ev, &arr) != nil || len(arr) > 0 {
			return false
		}
	}
	code, ok := rsp["ErrorCode"]
	if !ok {
		return true
	}
	s := string(bytes.TrimSpace(code))
	return s == "0" || s == codeNoNews
}

// DefaultRules normalise the volatile fields of Tencent IM v4 traffic (tim-js-sdk, webim.js):
// credentials, client randoms and counters, times, cursors, tenant IDs and telemetry. Server
// sequence numbers (group MsgSeq, NoticeSeq) are kept: they are part of the protocol the fake
// must get right. Add SeqRules to normalise them too.
func DefaultRules() recorder.Rules {
	c2cSeq := func(p string, cmds ...string) recorder.Rule {
		return recorder.Rule{Name: "client MsgSeq (C2C)", Path: p, Commands: cmds, Action: recorder.ActionMask, Class: "clientseq"}
	}
	return recorder.Rules{
		{Name: "telemetry", Command: "imopenstat/tim_web_report", Action: recorder.ActionDrop},
		{Name: "telemetry", Command: "imopenstat/web_report", Action: recorder.ActionDrop}, // webim.js 1.7
		// The WebSocket generation's timer-driven frames: how many a spec sees depends on its length.
		{Name: "telemetry", Command: "imopenstat/tim_web_report_v2", Action: recorder.ActionDrop},
		{Name: "heartbeat", Command: "heartbeat/alive", Action: recorder.ActionDrop},
		{Name: "hello", Command: "im_open_status/wshello", Action: recorder.ActionDrop},
		{Name: "purchase bits", Command: "im_sdk_config_mgr/fetch_imsdk_purchase_bitsv2", Action: recorder.ActionDrop},

		{Name: "tenant", Field: "app", Action: recorder.ActionRenumber, Class: "sdkappid"},
		{Name: "tenant", Query: "sdkappid", Action: recorder.ActionRenumber, Class: "sdkappid"},
		{Name: "tenant", Keys: []string{"SdkAppid", "SdkAppId", "SDKAppID", "uint32_sdkappid"}, Action: recorder.ActionRenumber, Class: "sdkappid"},

		{Name: "usersig", Query: "usersig", Action: recorder.ActionMask, Class: "usersig"},
		{Name: "usersig", Keys: []string{"UserSig", "usersig"}, Action: recorder.ActionMask, Class: "usersig"},
		{Name: "a2", Query: "a2", Action: recorder.ActionRenumber, Class: "a2"},
		{Name: "a2", Key: "A2Key", Action: recorder.ActionRenumber, Class: "a2"},
		{Name: "tinyid", Query: "tinyid", Action: recorder.ActionRenumber, Class: "tinyid"},
		{Name: "tinyid", Key: "TinyId", Action: recorder.ActionRenumber, Class: "tinyid"},
		{Name: "tjg_id", Query: "tjg_id", Pattern: `^(.+)-([^-]+)$`, Classes: []string{"tinyid", "random"}, Action: recorder.ActionRenumber},
		{Name: "tjg_id", Query: "tjg_id", Action: recorder.ActionMask, Class: "tjg_id"},
		{Name: "reqtime", Query: "reqtime", Action: recorder.ActionMask, Class: "reqtime"},
		{Name: "accounttype", Query: "accounttype", Action: recorder.ActionMask, Class: "accounttype"},
		{Name: "instance", Keys: []string{"InstId", "Instid"}, Action: recorder.ActionRenumber, Class: "instid"},
		// tim-js-sdk 2.10.x names its instance (a random hex ID) on getlongpollingid and longpolling.
		{Name: "SDK instance", Query: "instanceid", Action: recorder.ActionRenumber, Class: "instanceid"},

		{Name: "random", Keys: []string{"MsgRandom", "Random"}, Action: recorder.ActionRenumber, Class: "random"},
		{Name: "client seq", Key: "ClientSeq", Action: recorder.ActionMask, Class: "clientseq"},
		// A C2C message's MsgSeq is the sender's counter (3HHMMSS0001…), wherever it shows up. It is
		// masked, not renumbered: two users' counters coincide or not depending on the second they
		// send in, which would shift every placeholder after it. MsgRandom keeps the correlation.
		c2cSeq("request.MsgSeq", "openim/sendmsg"),
		c2cSeq("**.C2cMsgArray[*].MsgSeq"),
		c2cSeq("response.MsgList[*].MsgSeq", "openim/getmsg", "openim/getroammsg"),
		c2cSeq("**.C2cWithdrawInfoArray[*].MsgSeq"),
		{Name: "client MsgSeq (C2C session)", Path: "response.SessionItem[*].MsgSeq", Where: map[string]string{"Type": "1"},
			Action: recorder.ActionMask, Class: "clientseq"},
		{Name: "C2C MsgKey", Key: "MsgKey", Commands: []string{"openim/*"}, Pattern: `^(\d+)_(\d+)$`,
			Classes: []string{"", "random"}, Action: recorder.ActionRenumber},
		{Name: "MsgKey", Key: "MsgKey", Action: recorder.ActionRenumber, Class: "msgkey"},

		{Name: "times", Keys: []string{"MsgTimeStamp", "MsgTime", "LastMsgTime", "TimeStamp", "ExpireTime",
			"LastedMsgTime", "LastReadTime", "C2cPeerReadTime", "ReadTime", "CreateTime", "LastInfoTime", "JoinTime",
			"ShutUpUntil", "AddBlackTimeStamp", "AddTime", "StartTime", "MsgClientTime"}, Action: recorder.ActionMask, Class: "time"},

		{Name: "sync cookie", Key: "Cookie", Action: recorder.ActionRenumber, Class: "cookie"},
		{Name: "long poll", Key: "LongPollingId", Action: recorder.ActionRenumber, Class: "longpollingid"},
		{Name: "auth key", Key: "AuthKey", Action: recorder.ActionMask, Class: "authkey"},
		{Name: "group IDs", Regex: `@TGS#[0-9A-Za-z_]+`, Action: recorder.ActionRenumber, Class: "groupid"},

		// webim.js 1.7: the first long poll carries Timeout 60 (built before getlongpollingid
		// answered), later ones the server's; which poll is the first non-idle one varies.
		{Name: "long-poll timeout", Path: "request.Timeout", Commands: []string{"openim/longpolling"}, Action: recorder.ActionMask, Class: "timeout"},
		{Name: "join tokens", Key: "Authentication", Action: recorder.ActionRenumber, Class: "authentication"},
		{Name: "report times", Keys: []string{"ReportTime", "LatestPendencyTimeStamp"}, Action: recorder.ActionMask, Class: "time"},
		{Name: "friend add time", Path: "response.InfoItem[*].SnsProfileItem[*].Value", Where: map[string]string{"Tag": "Tag_SNS_IM_AddTime"},
			Action: recorder.ActionMask, Class: "time"},
		{Name: "upload", Paths: []string{"request.Seq", "request.Timestamp", "request.Random", "request.Auth_Key"}, Commands: []string{"openpic/*"},
			Action: recorder.ActionMask, Class: "upload"},
		{Name: "room key", Key: "LongPollingKey", Action: recorder.ActionRenumber, Class: "roomkey"},
		{Name: "room key", Key: "Key", Commands: []string{"group_open_long_polling_http_noauth_svc/*"}, Action: recorder.ActionRenumber, Class: "roomkey"},
		// The fake's own URLs (uploaded files) hold its port and the tenant's SDKAppID.
		{Name: "fake's address", Regex: `https?://127\.0\.0\.1:\d+(?:/openpic/files/\d+)?`, Action: recorder.ActionMask, Class: "server"},
	}
}

// SeqRules renumber server-assigned sequence numbers ("seq where asked"): group MsgSeq and its
// relatives, and the per-user NoticeSeq/NotifySeq. Append them after DefaultRules, whose C2C rules
// must see the client's MsgSeq first.
func SeqRules() recorder.Rules {
	return recorder.Rules{
		{Name: "server seq", Keys: []string{"MsgSeq", "NextMsgSeq", "ReqMsgSeq", "MsgReadedSeq", "MsgGroupReadedSeq"},
			Action: recorder.ActionRenumber, Class: "msgseq"},
		{Name: "notice seq", Keys: []string{"NoticeSeq", "NotifySeq"}, Action: recorder.ActionRenumber, Class: "noticeseq"},
		{Name: "info seq", Key: "InfoSeq", Action: recorder.ActionRenumber, Class: "infoseq"},
	}
}

// learned maps the session credentials seen in login replies (a real server behind the proxy) to
// users and connections, so later calls that carry only a2/tinyid are attributed.
type learned struct {
	byA2     map[string]string // app|a2 → conn
	byTinyID map[string]string // app|tinyid → user
	logins   map[string]int    // app|user → logins seen
}

// attribute fills App from the sdkappid query, User from identifier or a learned tinyid, and Conn
// from a learned a2 ("alice#1" for alice's first login), else the user or "tinyid:<id>".
func (l *learned) attribute(e *recorder.Exchange) {
	app, user := e.Query["sdkappid"], e.Query["identifier"]
	if e.App == "" {
		e.App = app
	} else {
		app = e.App
	}
	if e.User != "" {
		user = e.User
	}
	e.User, e.Conn = l.derive(e, app, user)
}

func (l *learned) derive(e *recorder.Exchange, app, user string) (string, string) {
	if l.byA2 == nil {
		l.byA2, l.byTinyID, l.logins = map[string]string{}, map[string]string{}, map[string]int{}
	}
	if e.Command == "openim/login" && user != "" {
		var rsp struct {
			A2Key  string
			TinyId json.RawMessage
		}
		if json.Unmarshal(e.Response, &rsp) == nil && rsp.A2Key != "" && len(rsp.TinyId) > 0 {
			l.logins[app+"|"+user]++
			conn := fmt.Sprintf("%s#%d", user, l.logins[app+"|"+user])
			l.byA2[app+"|"+rsp.A2Key] = conn
			l.byTinyID[app+"|"+trimQuotes(string(rsp.TinyId))] = user
			return user, conn
		}
	}
	if user == "" {
		user = l.byTinyID[app+"|"+e.Query["tinyid"]]
	}
	if conn := l.byA2[app+"|"+e.Query["a2"]]; conn != "" {
		return user, conn
	}
	if user == "" && e.Query["tinyid"] != "" {
		return "", "tinyid:" + e.Query["tinyid"]
	}
	return user, user
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		var u string
		if json.Unmarshal([]byte(s), &u) == nil {
			return u
		}
	}
	return s
}
