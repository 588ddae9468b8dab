package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/usersig"
	"github.com/imharness/imharness/recorder"
)

// One scenario, one scripted client run, twice on fresh servers: the server's side of the traffic
// (TinyIds, A2Keys, cookies, long-poll ids, group ids, times, seqs) must be byte-identical. Only
// an SDK's own randomness could differ, and this script has none.
func TestScenarioTrafficIsByteIdentical(t *testing.T) {
	sc, err := scenario.Load(filepath.Join("..", "fixtures", "scenarios", "group", "team-with-muted-member.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	run := func() []recorder.Exchange {
		rec := recorder.New()
		srv := mockserver.New(mockserver.Options{Hold: 50 * time.Millisecond, Recorder: rec})
		if err := srv.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		app, err := srv.AddApp(scenarioTenant)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.LoadScenario(app.ID(), sc); err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, base: srv.URL(), app: app.ID(), now: app.Now()}
		alice, bob := c.login("alice"), c.login("bob")
		for _, s := range []scriptSession{alice, bob} {
			c.call(s, "openim/getmsg", `{"Cookie":"","SyncFlag":0,"NeedAbstract":1}`)
			c.call(s, "openim/getlongpollingid", `{}`)
			c.call(s, "group_open_http_svc/get_joined_group_list", `{"Member_Account":"`+s.user+`"}`)
		}
		c.call(alice, "openim/sendmsg", `{"To_Account":"bob","MsgSeq":1,"MsgRandom":11,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`)
		c.call(bob, "openim/longpolling", `{"Cookie":{"NoticeSeq":0}}`)
		c.call(alice, "group_open_http_svc/send_group_msg", `{"GroupId":"team","Random":22,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"team"}}]}`)
		c.call(alice, "group_open_http_svc/create_group", `{"Type":"Public","Name":"new","MemberList":[{"Member_Account":"bob"}]}`)
		c.call(bob, "openim/longpolling", `{"Cookie":{"NoticeSeq":1}}`)
		c.call(bob, "group_open_http_svc/group_msg_get", `{"GroupId":"team","ReqMsgNumber":20}`)
		return rec.ForApp(fmt.Sprint(app.ID()))
	}
	first, second := run(), run()
	strip := func(exs []recorder.Exchange) []recorder.Exchange {
		for i := range exs {
			exs[i].Start, exs[i].DurationMS = time.Time{}, 0
		}
		return exs
	}
	if d := cmp.Diff(strip(first), strip(second)); d != "" {
		t.Fatalf("the same scenario gave different traffic (-first +second):\n%s", d)
	}
	// And it is the server's real traffic: ids, times and group ids are there, not blanks.
	all, _ := json.Marshal(first)
	for _, want := range []string{`"TinyId"`, `"A2Key"`, `"LongPollingId"`, `@TGS#`, `"MsgTime":1714564800`} {
		if !strings.Contains(string(all), want) {
			t.Errorf("transcript lacks %s", want)
		}
	}
}

const scenarioSecret = "determinism-secret"

var scenarioTenant = state.Options{SDKAppID: 1400000777, Secret: scenarioSecret}

type client struct {
	t    *testing.T
	base string
	app  int64
	now  time.Time
}

type scriptSession struct{ user, tiny, a2 string }

func (c *client) post(cmd, query, body string) map[string]any {
	c.t.Helper()
	resp, err := http.Post(c.base+"/v4/"+cmd+"?"+query, "application/json", strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("%s: %s", cmd, b)
	}
	return m
}

func (c *client) login(user string) scriptSession {
	c.t.Helper()
	sig, err := usersig.Generate(c.app, scenarioSecret, user, time.Hour, c.now)
	if err != nil {
		c.t.Fatal(err)
	}
	m := c.post("openim/login", fmt.Sprintf("identifier=%s&usersig=%s&sdkappid=%d", user, sig, c.app), `{"State":"Online"}`)
	if m["ErrorCode"].(float64) != 0 {
		c.t.Fatalf("login %s: %v", user, m)
	}
	return scriptSession{user, m["TinyId"].(string), m["A2Key"].(string)}
}

func (c *client) call(s scriptSession, cmd, body string) map[string]any {
	c.t.Helper()
	m := c.post(cmd, fmt.Sprintf("sdkappid=%d&tinyid=%s&a2=%s", c.app, s.tiny, s.a2), body)
	if m["ErrorCode"].(float64) != 0 {
		c.t.Fatalf("%s %s: %v", s.user, cmd, m)
	}
	return m
}
