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

// groupEvents renders the long-poll (and push) event of a group message, tip or notice once for
// all its receivers rather than once per receiver. The receivers' copies differ only in a few
// fields of their own: their queue position (NoticeSeq), and for tips and notices the receiver
// (To_Account) and a notice's MsgSeq/MsgRandom/ClientSeq. The cache keeps each event's encoding
// cut around those fields and splices each receiver's values in. Entries are keyed weakly by
// what the copies share (the message; a tip's or notice's Origin): one lives as long as that
// does, with no size to tune.
var groupEvents eventCache

type eventCache struct {
	mu      sync.Mutex
	msgs    map[weak.Pointer[state.GroupMessage]]*template
	tips    map[weak.Pointer[state.GroupTip]]*template
	notices map[weak.Pointer[state.GroupNotice]]*template
}

// template is one event's encoding cut at the receiver's own values: parts[0] v[0] parts[1] …
// once keeps the lock off the encoding and encodes an event once however many polls ask at once.
type template struct {
	once  sync.Once
	parts [][]byte
}

func (t *template) render(vals ...[]byte) []byte {
	n := 0
	for _, p := range t.parts {
		n += len(p)
	}
	for _, v := range vals {
		n += len(v)
	}
	out := make([]byte, 0, n)
	for i, p := range t.parts {
		out = append(out, p...)
		if i < len(vals) {
			out = append(out, vals[i]...)
		}
	}
	return out
}

// Markers stand in for the receiver's values while the shared encoding is made. A field is found
// by its name and marker in field order: the fields before it are numbers and escaped strings (a
// quote inside a string is written \"), so `"Name":` with its marker cannot occur earlier.
const markerTo = "\x00imharness-receiver\x00"

var (
	markU64 = strconv.FormatUint(math.MaxUint64, 10)
	markU32 = strconv.FormatUint(math.MaxUint32, 10)
	markStr = string(quoteJSON(markerTo))
)

// cut splits raw at the values of fields (`"Name":` prefixes, each with its marker), in order.
func cut(raw []byte, fields ...[2]string) [][]byte {
	parts := make([][]byte, 0, len(fields)+1)
	pos := 0
	for _, f := range fields {
		key, mark := []byte(f[0]), []byte(f[0]+f[1])
		i := bytes.Index(raw[pos:], mark)
		if i < 0 {
			return nil
		}
		parts = append(parts, raw[pos:pos+i+len(key)])
		pos += i + len(mark)
	}
	return append(parts, raw[pos:])
}

func quoteJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

func u64(n uint64) []byte { return strconv.AppendUint(nil, n, 10) }

// event renders e (a group message, tip or notice queued for a receiver) byte for byte as
// groupEventOut would; ok is false for events it does not cache (render them directly).
func (c *eventCache) event(e state.Event) (raw []byte, ok bool) {
	if e.Seq == 0 { // NoticeSeq is omitted then: nothing to splice (queued events start at 1)
		return nil, false
	}
	switch {
	case e.Kind == state.EvGroupMessage && e.Group != nil:
		t := lookup(c, &c.msgs, e.Group, func() [][]byte {
			raw, _ := json.Marshal(groupMsgEvent(*e.Group, math.MaxUint64))
			return cut(raw, [2]string{`"NoticeSeq":`, markU64})
		})
		if t == nil {
			return nil, false
		}
		return t.render(u64(e.Seq)), true
	case e.Kind == state.EvGroupTip && e.Tip != nil && e.Tip.To != "":
		origin, _ := e.Origin.(*state.GroupTip)
		if origin == nil {
			return nil, false
		}
		t := lookup(c, &c.tips, origin, func() [][]byte {
			tip := *origin
			tip.To = markerTo
			raw, _ := json.Marshal(tipEvent(tip, math.MaxUint64))
			return cut(raw, [2]string{`"NoticeSeq":`, markU64}, [2]string{`"To_Account":`, markStr})
		})
		if t == nil {
			return nil, false
		}
		return t.render(u64(e.Seq), quoteJSON(e.Tip.To)), true
	case e.Kind == state.EvGroupNotice && e.Notice != nil && e.Notice.To != "" && e.Notice.Seq != 0:
		origin, _ := e.Origin.(*state.GroupNotice)
		if origin == nil {
			return nil, false
		}
		t := lookup(c, &c.notices, origin, func() [][]byte {
			n := *origin
			n.To, n.Seq, n.Random = markerTo, math.MaxUint64, math.MaxUint32
			raw, _ := json.Marshal(noticeEvent(n, math.MaxUint64))
			return cut(raw, [2]string{`"MsgSeq":`, markU64}, [2]string{`"MsgRandom":`, markU32},
				[2]string{`"ClientSeq":`, markU64}, [2]string{`"NoticeSeq":`, markU64}, [2]string{`"To_Account":`, markStr})
		})
		if t == nil {
			return nil, false
		}
		n := e.Notice
		return t.render(u64(n.Seq), u64(uint64(n.Random)), u64(n.Seq), u64(e.Seq), quoteJSON(n.To)), true
	}
	return nil, false
}

// lookup finds or makes the template of key; nil when the encoding could not be cut.
func lookup[T any](c *eventCache, m *map[weak.Pointer[T]]*template, key *T, encode func() [][]byte) *template {
	k := weak.Make(key)
	c.mu.Lock()
	if *m == nil {
		*m = map[weak.Pointer[T]]*template{}
	}
	t := (*m)[k]
	if t == nil {
		t = &template{}
		(*m)[k] = t
		runtime.AddCleanup(key, func(k weak.Pointer[T]) {
			c.mu.Lock()
			delete(*m, k)
			c.mu.Unlock()
		}, k)
	}
	c.mu.Unlock()
	t.once.Do(func() { t.parts = encode() })
	if t.parts == nil {
		return nil
	}
	return t
}

// size is the number of events with an encoding kept (tests).
func (c *eventCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs) + len(c.tips) + len(c.notices)
}
