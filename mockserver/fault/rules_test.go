package fault_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/fault"
)

// The engine alone: which call a rule picks, counted per rule. (Rules applied to real calls over
// HTTP and other transports are tested in mockserver/tim and mockserver/call.)
func TestDecideCountsEveryRuleAndFiresTheFirstDue(t *testing.T) {
	rs := fault.NewRules(fault.Options{})
	a, _ := rs.Add(fault.Rule{Match: fault.Match{Command: "openim/sendmsg"}, Nth: 1, Count: 1, Reply: &fault.Reply{ErrorCode: 1}})
	b, _ := rs.Add(fault.Rule{Match: fault.Match{Command: "openim/*", User: "alice"}, Nth: 2, Count: 1, Reply: &fault.Reply{ErrorCode: 2}})
	var got []string
	for _, c := range []fault.Target{
		{Command: "openim/sendmsg", User: "alice"}, // a's 1st (fires), b's 1st
		{Command: "openim/sendmsg", User: "bob"},   // a's 2nd
		{Command: "openim/getmsg", User: "alice"},  // b's 2nd (fires)
		{Command: "openim/sendmsg", User: "alice"}, // a's 3rd, b's 3rd: both spent
	} {
		r := rs.Decide(c)
		if r == nil {
			got = append(got, "-")
		} else {
			got = append(got, r.ID)
		}
	}
	if strings.Join(got, ",") != a+",-,"+b+",-" {
		t.Fatalf("fired %v", got)
	}
	ea, _ := rs.Get(a)
	eb, _ := rs.Get(b)
	if ea.Seen != 3 || ea.Hits != 1 || eb.Seen != 3 || eb.Hits != 1 {
		t.Fatalf("counters %+v %+v", ea, eb)
	}
}

func TestMatchTransportAndGroup(t *testing.T) {
	rs := fault.NewRules(fault.Options{})
	_, _ = rs.Add(fault.Rule{Match: fault.Match{Group: "g1", Transport: "ws"}, Reply: &fault.Reply{ErrorCode: 1}})
	if !rs.WantsGroup() {
		t.Fatal("a group rule must ask for the call's groups")
	}
	for _, c := range []struct {
		t    fault.Target
		want bool
	}{
		{fault.Target{Command: "x/y", Groups: []string{"g0", "g1"}, Transport: "ws"}, true},
		{fault.Target{Command: "x/y", Groups: []string{"g1"}, Transport: "http"}, false},
		{fault.Target{Command: "x/y", Transport: "ws"}, false},
	} {
		if got := rs.Decide(c.t) != nil; got != c.want {
			t.Errorf("%+v: fired %v", c.t, got)
		}
	}
}

// A rule a mounted transport cannot carry out is refused when it is added, naming the transport.
func TestTransportAbilitiesAreCheckedAtLoad(t *testing.T) {
	o := fault.Options{Transports: []fault.Transport{
		{Name: "http", Actions: []string{fault.ActionDrop, fault.ActionStatus, fault.ActionBody, fault.ActionTruncate}},
		{Name: "ws", Actions: []string{fault.ActionDrop}},
	}}
	rs := fault.NewRules(o)
	body := "x"
	for _, c := range []struct {
		r     fault.Rule
		field string // "" accepted
		text  string
	}{
		{fault.Rule{Reply: &fault.Reply{ErrorCode: 20003}}, "", ""},
		{fault.Rule{Delay: 1}, "", ""},
		{fault.Rule{Drop: true}, "", ""},
		{fault.Rule{Hold: 1}, "", ""},
		{fault.Rule{Status: 502}, "status", "the ws transport cannot answer a status code; restrict the rule"},
		{fault.Rule{Body: &body}, "body", "the ws transport cannot answer arbitrary bytes"},
		{fault.Rule{Truncate: true}, "truncate", "the ws transport cannot"},
		{fault.Rule{Match: fault.Match{Transport: "http"}, Status: 502}, "", ""},
		{fault.Rule{Match: fault.Match{Transport: "ws"}, Status: 502}, "status", "the ws transport cannot"},
		{fault.Rule{Match: fault.Match{Transport: "smoke"}, Drop: true}, "match.transport", `no transport "smoke" here (there are: http, ws)`},
	} {
		_, err := rs.Add(c.r)
		var fe *fault.FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%+v refused: %v", c.r, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Msg, c.text)):
			t.Errorf("%+v: error %v, want one on %s saying %q", c.r, err, c.field, c.text)
		}
	}
}

func TestCommandNamingComesFromTheProfile(t *testing.T) {
	rs := fault.NewRules(fault.Options{Profile: fault.Profile{Commands: func(c string) error {
		if !strings.HasPrefix(c, "s_") {
			return fmt.Errorf("want s_<name>, got %q", c)
		}
		return nil
	}}})
	if _, err := rs.Add(fault.Rule{Match: fault.Match{Command: "s_single_text"}, Drop: true}); err != nil {
		t.Fatal(err)
	}
	_, err := rs.Add(fault.Rule{Match: fault.Match{Command: "openim/sendmsg"}, Drop: true})
	if err == nil || err.Error() != `match.command: want s_<name>, got "openim/sendmsg"` {
		t.Fatalf("got %v", err)
	}
	if _, err := rs.Watch(fault.Match{Command: "sendmsg"}, 1, func() {}); err == nil {
		t.Fatal("a watch with a bad command was accepted")
	}
}

func TestValidate(t *testing.T) {
	s := "x"
	for _, c := range []struct {
		r     fault.Rule
		field string
	}{
		{fault.Rule{}, "action"},
		{fault.Rule{Match: fault.Match{Command: "send msg"}, Drop: true}, "match.command"},
		{fault.Rule{Nth: -1, Drop: true}, "nth"},
		{fault.Rule{Count: -1, Drop: true}, "count"},
		{fault.Rule{Drop: true, Reply: &fault.Reply{}}, "drop"},
		{fault.Rule{Body: &s, Truncate: true}, "truncate"},
		{fault.Rule{Status: 200}, "status"},
		{fault.Rule{Status: 502, Drop: true}, "status"},
		{fault.Rule{Delay: -1}, "delay"},
		{fault.Rule{Reply: &fault.Reply{ErrorCode: -5}}, "reply.ErrorCode"},
	} {
		err := c.r.Validate()
		var fe *fault.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: error %v, want one on %s", c.r, err, c.field)
		}
	}
	rs := fault.NewRules(fault.Options{})
	if _, err := rs.Add(fault.Rule{ID: "a", Drop: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Add(fault.Rule{ID: "a", Drop: true}); err == nil {
		t.Fatal("duplicate id accepted")
	}
	if id, _ := rs.Add(fault.Rule{Drop: true}); id != "f1" {
		t.Fatalf("generated id %s", id)
	}
}

// The admin API's JSON shape round-trips.
func TestJSON(t *testing.T) {
	in := `{"match":{"command":"openim/sendmsg","user":"alice"},"nth":1,"count":1,"reply":{"ErrorCode":20003,"ErrorInfo":"invalid account"},"delay":"1m30s"}`
	var r fault.Rule
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Delay.D() != 90*time.Second || r.Reply.ErrorCode != 20003 || r.Match.User != "alice" {
		t.Fatalf("%+v", r)
	}
	out, _ := json.Marshal(r)
	if string(out) != in {
		t.Fatalf("round trip:\n%s\n%s", out, in)
	}
	if err := json.Unmarshal([]byte(`{"delay":"2 parsecs"}`), &r); err == nil || !strings.Contains(err.Error(), "invalid duration") {
		t.Fatalf("bad duration: %v", err)
	}
}

// Moment watches count only the moments announced for them, never calls; call watches never
// count moments.
func TestMomentWatches(t *testing.T) {
	rules := fault.NewRules(fault.Options{})
	var got []string
	rules.WatchMoment("online", "bob", 2, func() { got = append(got, "bob online #2") })
	if _, err := rules.Watch(fault.Match{}, 1, func() { got = append(got, "any call") }); err != nil {
		t.Fatal(err)
	}
	rules.Reached("online", "bob")
	rules.Reached("online", "alice")
	rules.Reached("delivered", "bob")
	if len(got) != 0 {
		t.Fatalf("fired early: %v", got)
	}
	rules.Done(fault.Target{Command: "openim/getlongpollingid", User: "bob"})
	rules.Reached("online", "bob")
	rules.Reached("online", "bob")
	if want := []string{"any call", "bob online #2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v (each watch once)", got, want)
	}
	if !rules.Idle() {
		t.Fatal("fired watches stay registered")
	}
}
