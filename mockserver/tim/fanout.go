package tim

import (
	"bytes"
	"encoding/json"
	"math"
	"runtime"
	"strconv"
	"sync"
	"weak"

	"github.com/imharness/imharness/mockserver/state"
)

// groupMsgCache renders a group message's long-poll event (Event 3) once for all members rather
// than once per member. Every member's queued event points at the same *state.GroupMessage, and
// their encodings differ only in NoticeSeq, the event's place in that member's own queue; the
// cache keeps the encoding split around that number. Entries are keyed weakly: one lives as long
// as the message does in some queue, with no size to tune.
type groupMsgCache struct {
	mu sync.Mutex
	m  map[weak.Pointer[state.GroupMessage]]*encodedGroupMsg
}

// encodedGroupMsg is one message's event, up to and including `"NoticeSeq":` (head) and after
// its value (tail). once keeps the lock off the encoding and encodes a message once however many
// members' polls ask for it at the same moment.
type encodedGroupMsg struct {
	once       sync.Once
	head, tail []byte
}

// event renders e (an EvGroupMessage with Group set) byte for byte as groupEventOut would.
func (c *groupMsgCache) event(e state.Event) []byte {
	if e.Seq == 0 { // NoticeSeq is omitted then: nothing to splice (queued events start at 1)
		raw, _ := groupEventOut(e)
		return raw
	}
	k := weak.Make(e.Group)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[weak.Pointer[state.GroupMessage]]*encodedGroupMsg{}
	}
	x := c.m[k]
	if x == nil {
		x = &encodedGroupMsg{}
		c.m[k] = x
		runtime.AddCleanup(e.Group, c.drop, k)
	}
	c.mu.Unlock()
	x.once.Do(func() { x.head, x.tail = splitGroupMsgEvent(*e.Group) })
	out := make([]byte, 0, len(x.head)+20+len(x.tail))
	out = append(out, x.head...)
	out = strconv.AppendUint(out, e.Seq, 10)
	return append(out, x.tail...)
}

func (c *groupMsgCache) drop(k weak.Pointer[state.GroupMessage]) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// size is the number of messages with an encoding kept (tests).
func (c *groupMsgCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// splitGroupMsgEvent encodes m's event with a marker NoticeSeq and cuts it at the marker's value.
// The first match is the field: the fields before it are numbers and escaped strings (a quote
// inside a string is written \"), so none of them can contain `"NoticeSeq":` followed by digits.
func splitGroupMsgEvent(m state.GroupMessage) (head, tail []byte) {
	const field = `"NoticeSeq":`
	marker := []byte(field + strconv.FormatUint(math.MaxUint64, 10))
	raw, _ := json.Marshal(groupMsgEvent(m, math.MaxUint64))
	i := bytes.Index(raw, marker)
	return raw[:i+len(field)], raw[i+len(marker):]
}
