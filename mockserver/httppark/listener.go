package httppark

import (
	"net"
	"net/http"
	"sync"
	"syscall"
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

func newListener(addr net.Addr) *listener {
	return &listener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{}), waiting: map[net.Conn]struct{}{}}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close is called by the http.Server's Shutdown or Close.
func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *listener) Addr() net.Addr { return l.addr }

// put gives c back to the server; pre is what net/http had read of the next request.
func (l *listener) put(c net.Conn, pre []byte) {
	if len(pre) > 0 {
		c = &prefixConn{Conn: c, pre: pre}
	}
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

// prefixConn is a connection whose first bytes were already read (by net/http, before a hold).
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(b, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// SyscallConn lets a later hold watch the socket underneath.
func (c *prefixConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errNotWatchable
}

// SetLinger lets a drop reset the connection underneath.
func (c *prefixConn) SetLinger(sec int) error {
	if l, ok := c.Conn.(interface{ SetLinger(int) error }); ok {
		return l.SetLinger(sec)
	}
	return nil
}
