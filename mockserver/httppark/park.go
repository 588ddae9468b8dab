// Package httppark holds HTTP requests whose answer comes later (long polls with no news) without
// a goroutine or buffers each. net/http serves every connection on a goroutine of its own with a
// read and a write buffer, all kept while a handler waits: about 20 KiB per held request. Hold
// takes the connection off net/http instead (http.Hijacker) and keeps a small struct: the
// connection, the bytes net/http had read past the request, and whether to keep it alive.
//
// While a connection is held, one watcher (epoll on Linux) notices a client hanging up and calls
// the holder's gone function. The answer is written by Reply, from a small pool of shared workers
// (Go); the connection then goes back to the http.Server through the listener Listener returns,
// so keep-alive works as before. Where the watcher is not available Hold refuses, and the caller
// answers on net/http's goroutine as usual.
package httppark

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Parker.
type Options struct {
	// Workers is how many goroutines write answers (default 4).
	Workers int
	// WriteTimeout bounds writing one answer to a client that does not read (default 10 s).
	WriteTimeout time.Duration
}

// Parker holds connections. Start it before the http.Server serves; Close it before the
// http.Server shuts down.
type Parker struct {
	o     Options
	work  *pool
	watch *watcher // nil where holding is not supported
	back  *listener

	mu      sync.Mutex
	closing bool
	held    map[*Conn]struct{}
	heldWG  sync.WaitGroup
}

// ErrUnsupported says Hold cannot take connections here (no watcher for this OS, a connection that
// is not TCP, or a ResponseWriter that cannot be hijacked); answer through the ResponseWriter.
var ErrUnsupported = errors.New("httppark: cannot hold this request")

var errNotWatchable = errors.New("httppark: connection has no file descriptor")

// ErrClosed says the Parker is closed (the server is stopping).
var ErrClosed = errors.New("httppark: closed")

// New starts a Parker's workers and watcher; addr is what its Listener reports as its address.
func New(addr net.Addr, o Options) (*Parker, error) {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	p := &Parker{o: o, held: map[*Conn]struct{}{}, back: newListener(addr)}
	w, err := newWatcher()
	if err != nil {
		return nil, err
	}
	p.watch = w
	p.work = newPool(o.Workers)
	p.watch.start(func(c *Conn) { p.Go(c.hangUp) })
	return p, nil
}

// Listener is where held connections come back once answered: serve it with the same
// http.Server (Serve may run on several listeners), whose ConnState must call ConnState.
func (p *Parker) Listener() net.Listener { return p.back }

// ConnState is the http.Server's ConnState hook (or must be called by it): it tells connections
// that came back and carry a new request from those still waiting for one, which Close closes.
func (p *Parker) ConnState(c net.Conn, s http.ConnState) { p.back.state(c, s) }

// Held is how many requests are held now.
func (p *Parker) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.held)
}

// Go runs f on a shared worker: what follows a wake-up (polling again, writing the answer) runs
// there, never on the goroutine that woke it.
func (p *Parker) Go(f func()) { p.work.run(f) }

// Observer is a ResponseWriter wrapper (a request log) that wants the answer of a request Hold
// took: Hold calls Held once, and the function it returns when the answer has been written.
type Observer interface {
	Held() func(status int, body []byte)
}

// Conn is a held request's connection: all that is kept while it waits.
type Conn struct {
	p        *Parker
	c        net.Conn
	fd       int    // the watcher's key; -1 while not watched
	pre      []byte // read by net/http past the request (a pipelined next one): served first
	closeReq bool   // the request asked for the connection to close after the answer
	gone     func()
	obs      func(status int, body []byte)
	once     sync.Once

	mu       sync.Mutex // orders the watcher's add against finish
	finished bool
}

// Hold takes the request's connection off net/http. gone is called once, on a worker, when the
// client hangs up or the Parker closes before an answer; it must lead to Reply (or Drop). The
// handler returns at once after a successful Hold. On an error nothing was taken.
func (p *Parker) Hold(w http.ResponseWriter, r *http.Request, gone func()) (*Conn, error) {
	if p.watch == nil || r.ProtoMajor != 1 {
		return nil, ErrUnsupported
	}
	var obs Observer
	for x := w; x != nil; {
		if o, ok := x.(Observer); ok {
			obs = o
			break
		}
		u, ok := x.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		x = u.Unwrap()
	}
	// Under the lock: Close either sees this connection held or Hold sees Close began.
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	raw, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		p.mu.Unlock()
		return nil, ErrUnsupported
	}
	c := &Conn{p: p, c: raw, fd: -1, gone: gone, closeReq: r.Close || !r.ProtoAtLeast(1, 1)}
	if n := rw.Reader.Buffered(); n > 0 {
		b, _ := rw.Reader.Peek(n)
		c.pre = bytes.Clone(b)
	}
	if obs != nil {
		c.obs = obs.Held()
	}
	p.held[c] = struct{}{}
	p.heldWG.Add(1)
	p.mu.Unlock()
	// A connection the watcher cannot take (none of this package's) is held unwatched: its holder
	// still answers it at its deadline.
	_ = p.watch.add(c)
	return c, nil
}

// hangUp is the watcher's (or Close's) word that the client is gone.
func (c *Conn) hangUp() {
	if c.gone != nil {
		c.gone()
	}
}

// Reply writes the answer (status, the header net/http would have written, body) and returns the
// connection to the server, or closes it when the request asked for that or the Parker is closing.
// Call it once, on a worker (Go).
func (c *Conn) Reply(status int, h http.Header, body []byte) {
	c.finish(response(status, h, body, c.closeAfter()), func() {
		if c.obs != nil {
			c.obs(status, body)
		}
	}, false)
}

// Drop closes the connection without an answer, with a reset (as a dying proxy would).
func (c *Conn) Drop() {
	c.finish(nil, func() {
		if c.obs != nil {
			c.obs(0, nil)
		}
	}, true)
}

// Close closes the connection without an answer (the client went away: nobody to answer).
func (c *Conn) Close() { c.finish(nil, nil, true) }

func (c *Conn) closeAfter() bool {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.closeReq || c.p.closing
}

// finish writes head+body (when head is set), then hands the connection back or closes it.
func (c *Conn) finish(head []byte, after func(), reset bool) {
	c.once.Do(func() {
		c.mu.Lock()
		c.finished = true
		c.p.watch.remove(c)
		c.mu.Unlock()
		keep := false
		if head != nil {
			_ = c.c.SetWriteDeadline(time.Now().Add(c.p.o.WriteTimeout))
			_, err := c.c.Write(head)
			_ = c.c.SetWriteDeadline(time.Time{})
			keep = err == nil && !c.closeAfter()
		}
		if after != nil {
			after()
		}
		switch {
		case keep:
			c.p.back.put(c.c, c.pre)
		default:
			if l, ok := c.c.(interface{ SetLinger(int) error }); ok && reset {
				_ = l.SetLinger(0)
			}
			_ = c.c.Close()
		}
		c.p.mu.Lock()
		if _, ok := c.p.held[c]; ok {
			delete(c.p.held, c)
			c.p.heldWG.Done()
		}
		c.p.mu.Unlock()
	})
}

// response is the bytes net/http would write for this answer: status line, the header (sorted,
// with Content-Length and Date), the body. Written out directly: a group message has a thousand
// of these to write at once.
func response(status int, h http.Header, body []byte, closing bool) []byte {
	b := make([]byte, 0, 256+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	keys := make([]string, 0, len(h)+3)
	for k := range h {
		switch k {
		case "Content-Length", "Date", "Connection":
		default:
			keys = append(keys, k)
		}
	}
	keys = append(keys, "Content-Length", "Date")
	if closing {
		keys = append(keys, "Connection")
	}
	slices.Sort(keys)
	for _, k := range keys {
		var vs []string
		switch k {
		case "Content-Length":
			vs = []string{strconv.Itoa(len(body))}
		case "Date":
			vs = []string{httpDate()}
		case "Connection":
			vs = []string{"close"}
		default:
			vs = h[k]
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, headerValue.Replace(v)...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

// headerValue keeps a header value on its line, as Header.Write does.
var headerValue = strings.NewReplacer("\n", " ", "\r", " ")

var dateCache struct {
	mu   sync.Mutex
	sec  int64
	text string
}

// httpDate is the Date header's value, formatted once a second.
func httpDate() string {
	now := time.Now()
	dateCache.mu.Lock()
	defer dateCache.mu.Unlock()
	if s := now.Unix(); s != dateCache.sec {
		dateCache.sec, dateCache.text = s, now.UTC().Format(http.TimeFormat)
	}
	return dateCache.text
}

// Close ends every held request (their gone functions answer them), waits until each is answered
// and stops the workers and the watcher. From now on answers close their connection, and
// connections that came back but carry no new request yet are closed: the http.Server's Shutdown
// that follows then has nothing to wait for.
func (p *Parker) Close() {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return
	}
	p.closing = true
	held := make([]*Conn, 0, len(p.held))
	for c := range p.held {
		held = append(held, c)
	}
	p.mu.Unlock()
	for _, c := range held {
		p.Go(c.hangUp)
	}
	p.heldWG.Wait()
	p.work.close()
	p.watch.close()
	p.back.closeWaiting()
}
