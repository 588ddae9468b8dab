package timurl

import (
	"reflect"
	"testing"
)

func TestCommand(t *testing.T) {
	for path, want := range map[string]string{"/v4/openim/sendmsg": "openim/sendmsg", "/v1/a/b/": "a/b", "/v4/openim": "", "/x4/a/b": "", "/v/a/b": "", "/vx/a/b": ""} {
		got, ok := Command(path)
		if got != want || ok != (want != "") {
			t.Errorf("Command(%q) = %q, %v", path, got, ok)
		}
	}
}

func TestQueryKeepsPlus(t *testing.T) {
	got := Query("usersig=eJx+ab*c_&identifier=a%2Bb&empty=&flag&x=%zz&x=2&tail=%4")
	want := map[string]string{"usersig": "eJx+ab*c_", "identifier": "a+b", "empty": "", "flag": "", "x": "2", "tail": "%4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}
