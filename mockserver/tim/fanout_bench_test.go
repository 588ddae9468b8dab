package tim

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/imharness/imharness/mockserver/state"
)

// BenchmarkGroupFanoutEncode measures what one group message costs the long poll of a 1,000-member
// group: the message is queued for every member, then each member's poll reply is rendered the way
// the long poll renders it (event, then envelope). Queue reads are outside the timer. Allocations
// (-benchmem) show whether the message is encoded once or once per member.
func BenchmarkGroupFanoutEncode(b *testing.B) {
	const n = 1000
	app := state.NewApp(state.Options{SDKAppID: 1400000000})
	defer app.Close()
	members := make([]state.MemberSpec, n)
	for i := range members {
		id := fmt.Sprintf("u%d", i)
		app.EnsureUser(id)
		members[i] = state.MemberSpec{User: id}
	}
	g, err := app.CreateGroup("u0", state.GroupSpec{ID: "big", Name: "everyone", Type: state.GroupPublic, MaxMemberNum: 2 * n, Members: members[1:]})
	if err != nil {
		b.Fatal(err)
	}
	body := []state.Elem{{Type: "TIMTextElem", Content: json.RawMessage(`{"Text":"hello, everyone in the group"}`)}}
	evs := make([]state.Event, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if _, err := app.SendGroupMessage("u0", state.GroupMessage{GroupID: g.ID, Random: uint32(i), Body: body}); err != nil {
			b.Fatal(err)
		}
		for k := range evs {
			q := app.EventsOf(members[k].User)
			evs[k] = q[len(q)-1]
		}
		b.StartTimer()
		for _, e := range evs {
			if out := encode(pollReply([]state.Event{e}), nil); len(out) == 0 {
				b.Fatal("empty reply")
			}
		}
	}
}
