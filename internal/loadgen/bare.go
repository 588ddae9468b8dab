package loadgen

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// Bare is the baseline the benchmark divides by: plain net/http on the same machine, doing the
// least each workload needs. sendmsg answers a fixed envelope; /bare/poll?user=U holds a request
// until /bare/send?to=U (one user) or /bare/fanout (every user seen so far) hands it a body, or
// the hold ends. Bodies sent while a user has no poll held wait for its next poll, so nothing is
// lost between polls (as in the real server).
type Bare struct {
	Hold time.Duration

	mu    sync.Mutex
	users map[string]*bareUser
}

type bareUser struct {
	pending [][]byte
	waiters []chan []byte
}

// NewBare makes the baseline handler.
func NewBare(hold time.Duration) *Bare {
	return &Bare{Hold: hold, users: map[string]*bareUser{}}
}

var fixedReply = []byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgTime":1700000000,"MsgKey":"1_1"}`)

func (b *Bare) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch r.URL.Path {
	case "/bare/poll":
		b.poll(w, r)
	case "/bare/send":
		b.wake(r.URL.Query().Get("to"), body)
		_, _ = w.Write(fixedReply)
	case "/bare/fanout":
		b.wake("", body)
		_, _ = w.Write(fixedReply)
	default: // /v4/openim/sendmsg and anything else
		_, _ = w.Write(fixedReply)
	}
}

func (b *Bare) user(id string) *bareUser {
	u := b.users[id]
	if u == nil {
		u = &bareUser{}
		b.users[id] = u
	}
	return u
}

func (b *Bare) poll(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("user")
	b.mu.Lock()
	u := b.user(id)
	if len(u.pending) > 0 {
		msg := u.pending[0]
		u.pending = u.pending[1:]
		b.mu.Unlock()
		_, _ = w.Write(msg)
		return
	}
	ch := make(chan []byte, 1)
	u.waiters = append(u.waiters, ch)
	b.mu.Unlock()
	t := time.NewTimer(b.Hold)
	defer t.Stop()
	select {
	case msg := <-ch:
		_, _ = w.Write(msg)
		return
	case <-t.C:
	case <-r.Context().Done():
	}
	b.mu.Lock()
	for i, c := range u.waiters {
		if c == ch {
			u.waiters = append(u.waiters[:i], u.waiters[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	select {
	case msg := <-ch: // handed a message while timing out: deliver it rather than lose it
		_, _ = w.Write(msg)
	default:
		_, _ = w.Write(fixedReply)
	}
}

// wake hands body to the held polls of a user ("" = every user), or queues it for the next poll.
func (b *Bare) wake(id string, body []byte) {
	b.mu.Lock()
	var chans []chan []byte
	give := func(u *bareUser) {
		if len(u.waiters) == 0 {
			u.pending = append(u.pending, body)
			return
		}
		chans = append(chans, u.waiters...)
		u.waiters = nil
	}
	if id == "" {
		for _, u := range b.users {
			give(u)
		}
	} else {
		give(b.user(id))
	}
	b.mu.Unlock()
	for _, c := range chans {
		c <- body
	}
}
