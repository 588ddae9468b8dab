package transcript_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imharness/imharness/mockserver/tim/transcript"
)

func TestQueryAndCommand(t *testing.T) {
	t.Parallel()
	q := transcript.Profile.Query("identifier=a+b&usersig=eJw*_-x&reqtime=1795462673.885&x=%41%zz&flag&a=1&a=2")
	want := map[string]string{"identifier": "a+b", "usersig": "eJw*_-x", "reqtime": "1795462673.885", "x": "A%zz", "flag": "", "a": "2"}
	if d := cmp.Diff(want, q); d != "" {
		t.Errorf("ParseQuery (-want +got):\n%s", d)
	}
	for in, want := range map[string]string{
		"/v4/openim/sendmsg": "openim/sendmsg", "/v1/group_open_http_noauth_svc/apply_join_group": "group_open_http_noauth_svc/apply_join_group",
		"/healthz": "healthz", "/vx/a/b": "vx/a/b",
	} {
		if got := transcript.Command(in); got != want {
			t.Errorf("CommandOf(%q) = %q, want %q", in, got, want)
		}
	}
}
