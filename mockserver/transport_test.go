package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/call"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/usersig"
	"github.com/imharness/imharness/recorder"
)

// testTransport carries Tencent IM calls as plain function calls: no HTTP anywhere. It is what a
// WebSocket or socket.io adapter does once it has decoded a frame: build a call.Call and hand it
// to the server's pipeline.
type testTransport struct {
	t     *testing.T
	calls call.Handler
	conn  string
}

// testTransportAbilities: it can drop its "connection", nothing else transport-only.
var testTransportAbilities = fault.Transport{Name: "test", Actions: []string{fault.ActionDrop}}

func (tt *testTransport) send(cmd string, params map[string]string, body string) (map[string]any, call.Result) {
	tt.t.Helper()
	res := tt.calls((&call.Call{Protocol: "tim", Transport: "test", Command: cmd, ConnID: tt.conn,
		Params: params, Body: []byte(body)}).WithContext(context.Background()))
	var m map[string]any
	if !res.Drop && json.Unmarshal(res.Body, &m) != nil {
		tt.t.Fatalf("%s: answer is not JSON: %q", cmd, res.Body)
	}
	return m, res
}

// login logs user in over the test transport and answers the params of its later calls.
func (tt *testTransport) login(app *state.App, user string) map[string]string {
	tt.t.Helper()
	sig, err := usersig.Generate(app.ID(), secret, user, time.Hour, app.Now())
	if err != nil {
		tt.t.Fatal(err)
	}
	id := fmt.Sprint(app.ID())
	m, _ := tt.send("openim/login", map[string]string{"sdkappid": id, "identifier": user, "usersig": sig}, `{"State":"Online"}`)
	if m["ErrorCode"] != float64(0) {
		tt.t.Fatalf("login %s: %v", user, m)
	}
	return map[string]string{"sdkappid": id, "tinyid": fmt.Sprint(m["TinyId"]), "a2": fmt.Sprint(m["A2Key"])}
}

const sendText = `{"To_Account":"bob","MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"%s"}}]}`

// A fault rule, a scenario trigger and the recorder apply to calls that never touched HTTP,
// unchanged: they live in the call pipeline, not in a transport.
func TestPipelineAppliesToANonHTTPTransport(t *testing.T) {
	rec := recorder.New()
	srv := mockserver.New(mockserver.Options{Recorder: rec})
	srv.AddTransport(testTransportAbilities)
	t.Cleanup(func() { _ = srv.Close() })
	app, err := srv.AddApp(state.Options{SDKAppID: appID, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	tt := &testTransport{t: t, calls: srv.TimCalls(), conn: "t1"}
	alice, bob := tt.login(app, "alice"), tt.login(app, "bob")

	// A fault rule: alice's first sendmsg is refused with 20003, the handler never runs.
	rules := srv.Faults(appID)
	if _, err := rules.Add(fault.Rule{ID: "refuse", Match: fault.Match{Command: "openim/sendmsg", User: "alice"},
		Nth: 1, Count: 1, Reply: &fault.Reply{ErrorCode: 20003, ErrorInfo: "injected"}}); err != nil {
		t.Fatal(err)
	}
	// A scenario trigger: right after alice's 2nd sendmsg, carol's message reaches bob.
	sc, err := scenario.Parse("trigger.yaml", []byte(`
users: [{id: alice}, {id: bob}, {id: carol}]
pushes:
  - after: {command: openim/sendmsg, user: alice, nth: 2}
    message: {from: carol, to: bob, text: "triggered"}
`))
	if err != nil {
		t.Fatal(err)
	}
	run, err := srv.LoadScenario(appID, sc)
	if err != nil {
		t.Fatal(err)
	}

	m, res := tt.send("openim/sendmsg", alice, fmt.Sprintf(sendText, 1, "first"))
	if m["ErrorCode"] != float64(20003) || m["ErrorInfo"] != "injected" || res.Fault != "refuse" {
		t.Fatalf("the fault rule did not answer the first sendmsg: %v %+v", m, res)
	}
	if run.Pushes()[0].Fired {
		t.Fatal("the trigger fired after one call")
	}
	if m, _ = tt.send("openim/sendmsg", alice, fmt.Sprintf(sendText, 2, "second")); m["ErrorCode"] != float64(0) {
		t.Fatalf("second sendmsg: %v", m)
	}
	// The trigger ran before the second call's answer came back.
	if st := run.Pushes()[0]; !st.Fired || st.Error != "" {
		t.Fatalf("the trigger did not fire on the second sendmsg: %+v", st)
	}
	m, _ = tt.send("openim/getmsg", bob, `{"Cookie":"","SyncFlag":0}`)
	var texts []string
	for _, msg := range m["MsgList"].([]any) {
		mm := msg.(map[string]any)
		body := mm["MsgBody"].([]any)[0].(map[string]any)["MsgContent"].(map[string]any)
		texts = append(texts, mm["From_Account"].(string)+":"+body["Text"].(string))
	}
	if strings.Join(texts, ",") != "alice:second,carol:triggered" {
		t.Fatalf("bob got %v; want alice's second message (the first was refused) and carol's", texts)
	}

	// Recording: every call, filed under its caller, with the transport that carried it and the
	// answer the client got (the injected one included).
	var got []string
	for _, e := range rec.ForApp(fmt.Sprint(appID)) {
		var r struct{ ErrorCode int }
		_ = json.Unmarshal(e.Response, &r)
		got = append(got, fmt.Sprintf("%s %s %s %s %d", e.Kind, e.Transport, e.Conn, e.Command, r.ErrorCode))
	}
	want := []string{
		"call test alice#1 openim/login 0",
		"call test bob#1 openim/login 0",
		"call test alice#1 openim/sendmsg 20003",
		"call test alice#1 openim/sendmsg 0",
		"call test bob#1 openim/getmsg 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("transcript:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A rule the test transport cannot carry out is refused when it is loaded, by the admin API's
// path (Faults().Add) and by a scenario alike, unless it is restricted to HTTP.
func TestRuleATransportCannotApplyIsRefusedAtLoad(t *testing.T) {
	srv := mockserver.New(mockserver.Options{})
	srv.AddTransport(testTransportAbilities)
	t.Cleanup(func() { _ = srv.Close() })
	if _, err := srv.AddApp(state.Options{SDKAppID: appID, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	_, err := srv.Faults(appID).Add(fault.Rule{Match: fault.Match{Command: "openim/longpolling"}, Status: 502})
	if err == nil || err.Error() != "status: the ws transport cannot answer a status code; restrict the rule to a transport that can with match.transport" {
		t.Fatalf("got %v", err)
	}
	if _, err := srv.Faults(appID).Add(fault.Rule{Match: fault.Match{Command: "openim/longpolling", Transport: "http"}, Status: 502}); err != nil {
		t.Fatalf("restricted to http: %v", err)
	}
	sc, err := scenario.Parse("s.yaml", []byte("faults:\n  - match: {command: openim/sendmsg}\n    truncate: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.LoadScenario(appID, sc); err == nil || !strings.Contains(err.Error(), "the test transport cannot answer a truncated reply") {
		t.Fatalf("scenario: %v", err)
	}
}
