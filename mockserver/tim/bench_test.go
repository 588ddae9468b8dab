package tim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/tim"
)

// BenchmarkSendToLongPoll measures one C2C message from sendmsg to the peer's long-poll reply,
// through real HTTP on loopback (timings live here, not in assertions).
func BenchmarkSendToLongPoll(b *testing.B) {
	f := newFixture(b, tim.Options{Hold: time.Second})
	alice, bob := f.login("alice"), f.login("bob")
	f.post("/v4/openim/getmsg", bob.q(), `{}`)
	lp := f.post("/v4/openim/getlongpollingid", bob.q(), `{}`).raw["LongPollingId"].(string)
	b.ResetTimer()
	for i := range b.N {
		f.post("/v4/openim/sendmsg", alice.q(), fmt.Sprintf(`{"To_Account":"bob","MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"m"}}]}`, i))
		r := f.post("/v4/openim/longpolling", bob.q(), fmt.Sprintf(`{"Cookie":{"NoticeSeq":%d,"LongPollingId":%q}}`, i, lp))
		if r.raw["EventArray"] == nil {
			b.Fatalf("poll %d: no event: %v", i, r.raw)
		}
	}
}
