package httppark

import (
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// listener hands answered connections back to the http.Server, which serves them as accepted
// ones: the client's next request on the same connection (keep-alive) is read by net/http again.
type listener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	waiting map[net.Conn]struct{} // back with the server, no new request read yet
}

// backlog is how many answered connections may wait for the server's accept loop: a group
// message wakes a thousand polls at once, and the workers that answer them should not queue on
// that one goroutine.
const backlog = 4096

func newListener(addr net.Addr) *listener {
	return &listener{addr: addr, ch: make(chan net.Conn, backlog), done: make(chan struct{}), waiting: map[net.Conn]struct{}{}}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close is called by the http.Server's Shutdown or Close; connections still queued for it are
// closed.
func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	for {
		select {
		case c := <-l.ch:
			l.state(c, http.StateClosed)
			_ = c.Close()
		default:
			return nil
		}
	}
}

func (l *listener) Addr() net.Addr { return l.addr }

// put gives c back to the server; pre is what net/http had read of the next request.
func (l *listener) put(c net.Conn, pre []byte) {
	c = newReturnedConn(c, pre)
	l.mu.Lock()
	l.waiting[c] = struct{}{}
	l.mu.Unlock()
	select {
	case l.ch <- c:
	case <-l.done:
		l.state(c, http.StateClosed)
		_ = c.Close()
	}
}

// state follows the server's connection states: a connection that came back leaves the waiting
// set when it reads a request (or closes).
func (l *listener) state(c net.Conn, s http.ConnState) {
	if s == http.StateNew {
		return
	}
	l.mu.Lock()
	delete(l.waiting, c)
	l.mu.Unlock()
}

// closeWaiting closes the connections that came back and have not started a new request: the
// server's Shutdown counts a fresh connection as busy for its first 5 seconds and would wait.
func (l *listener) closeWaiting() {
	l.mu.Lock()
	cs := make([]net.Conn, 0, len(l.waiting))
	for c := range l.waiting {
		cs = append(cs, c)
	}
	l.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
}

// returnedConn is a connection given back to the server. net/http serves it as a new connection,
// whose first request it must read within ReadHeaderTimeout from the moment it is accepted; on a
// kept-alive connection that clock starts only once the next request's first bytes arrive. So
// read deadlines are held back until the first byte is read, as for any kept-alive connection:
// a client that waits before its next request keeps its connection. Bytes net/http had read past
// the held request come first.
type returnedConn struct {
	net.Conn
	mu       sync.Mutex
	pre      []byte
	started  bool      // a byte has been read: deadlines apply
	deadline time.Time // the read deadline asked for before that
}

func newReturnedConn(c net.Conn, pre []byte) *returnedConn {
	if rc, ok := c.(*returnedConn); ok { // back once more: keep what it still had unread
		rc.mu.Lock()
		pre = append(pre, rc.pre...)
		rc.mu.Unlock()
		c = rc.Conn
	}
	return &returnedConn{Conn: c, pre: pre}
}

func (c *returnedConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	if len(c.pre) > 0 {
		n := copy(b, c.pre)
		c.pre = c.pre[n:]
		c.start()
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		c.start()
		c.mu.Unlock()
	}
	return n, err
}

// start applies the deadline held back. c.mu held.
func (c *returnedConn) start() {
	if !c.started {
		c.started = true
		_ = c.Conn.SetReadDeadline(c.deadline)
	}
}

func (c *returnedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		c.deadline = t
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *returnedConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// SyscallConn lets a later hold watch the socket underneath.
func (c *returnedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errNotWatchable
}

// SetLinger lets a drop reset the connection underneath.
func (c *returnedConn) SetLinger(sec int) error {
	if l, ok := c.Conn.(interface{ SetLinger(int) error }); ok {
		return l.SetLinger(sec)
	}
	return nil
}

// CloseWrite lets net/http close its side politely, as on the connection underneath.
func (c *returnedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}
