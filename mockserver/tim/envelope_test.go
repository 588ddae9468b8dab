package tim

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Replies that write their own fields must read exactly as json.Marshal would write them: the
// goldens and the SDKs see the bytes.
func TestHandWrittenRepliesMatchJSONMarshal(t *testing.T) {
	for _, r := range []sendReply{{1700000000, "12_4294967295"}, {0, ""}, {-5, `odd"key\<&>` + "\x01é"}} {
		want, _ := json.Marshal(r)
		got := encode(&r, nil)
		wantEnv := append([]byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"",`), want[1:]...)
		if !bytes.Equal(got, wantEnv) {
			t.Errorf("sendReply %+v:\n got %s\nwant %s", r, got, wantEnv)
		}
	}
	for _, s := range []string{"", "plain_1", `q"uote`, `back\slash`, "<html>&", "ctl\n\t\x00", "naïve", "\u2028"} {
		var b bytes.Buffer
		appendQuoted(&b, s)
		if want, _ := json.Marshal(s); b.String() != string(want) {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, b.String(), want)
		}
	}
}
