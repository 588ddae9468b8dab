package caseid

import "testing"

func TestCheck(t *testing.T) {
	for _, good := range []string{"tim/c2c/send-text", "tim/group/tip_1-join", "jim/single/text/2", "webim/login/ready"} {
		if err := Check(good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	for _, bad := range []string{"", "tim", "tim/c2c", "/etc/passwd", "tim/../../x", "tim//x", "tim/c2c/", `tim\c2c\x`,
		"tim/c2c/send text", "tim/c2c/send.text", "Tim/c2c/x", "tim/c2c/-x"} {
		if err := Check(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestLabelRoundTrip(t *testing.T) {
	l := Label("tim/c2c/send_text")
	if l != "case:tim.c2c.send_text" {
		t.Fatalf("label %q", l)
	}
	id, ok, err := FromLabel(l)
	if !ok || err != nil || id != "tim/c2c/send_text" {
		t.Errorf("FromLabel(%q) = %q %v %v", l, id, ok, err)
	}
	if _, ok, _ := FromLabel("sdk:tim-js-sdk@2.7.0"); ok {
		t.Error("an sdk label read as a case label")
	}
	if _, ok, err := FromLabel("case:tim.c2c"); !ok || err == nil {
		t.Errorf("short case label: ok=%v err=%v", ok, err)
	}
}
