package httppark

import (
	"sync"
	"syscall"
)

// watcher notices held clients hanging up: one goroutine waits in epoll_wait on every held
// connection's socket (one-shot, readable or peer closed). Go's own poller has the same sockets
// registered; a socket may sit in several epoll sets, and nothing here reads from it: a look with
// MSG_PEEK tells a hang-up (end of stream, reset) from a client that sent more (a pipelined
// request, left for net/http to read once the connection is back).
type watcher struct {
	epfd   int
	wakeR  int // a pipe's read end in the set: written to stop the loop
	wakeW  int
	mu     sync.Mutex
	byFD   map[int]*Conn
	closed bool
	done   chan struct{}
	hung   func(*Conn) // where hang-ups go (the Parker's workers)
}

func newWatcher() (*watcher, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		_ = syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p[0], &ev); err != nil {
		_ = syscall.Close(epfd)
		_ = syscall.Close(p[0])
		_ = syscall.Close(p[1])
		return nil, err
	}
	return &watcher{epfd: epfd, wakeR: p[0], wakeW: p[1], byFD: map[int]*Conn{}, done: make(chan struct{})}, nil
}

func (w *watcher) start(hung func(*Conn)) {
	w.hung = hung
	go w.loop()
}

const watchEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// add watches c (unless it is already finished). Lock order: c.mu, then w.mu.
func (w *watcher) add(c *Conn) error {
	sc, ok := c.c.(syscall.Conn)
	if !ok {
		return errNotWatchable
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finished {
		return nil
	}
	var cerr error
	err = rc.Control(func(fd uintptr) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.closed {
			cerr = ErrClosed
			return
		}
		w.byFD[int(fd)] = c
		ev := syscall.EpollEvent{Events: watchEvents, Fd: int32(fd)}
		if cerr = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev); cerr != nil {
			delete(w.byFD, int(fd))
			return
		}
		c.fd = int(fd)
	})
	if err != nil {
		return err
	}
	return cerr
}

// remove stops watching c. c.mu held (the socket is still open: it is closed after this).
func (w *watcher) remove(c *Conn) {
	if c.fd < 0 {
		return
	}
	w.mu.Lock()
	if w.byFD[c.fd] == c {
		delete(w.byFD, c.fd)
		_ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	}
	w.mu.Unlock()
	c.fd = -1
}

func (w *watcher) loop() {
	defer close(w.done)
	events := make([]syscall.EpollEvent, 128)
	var peek [1]byte
	for {
		n, err := syscall.EpollWait(w.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == w.wakeR {
				return
			}
			w.mu.Lock()
			c := w.byFD[fd]
			if c == nil {
				w.mu.Unlock()
				continue
			}
			// The socket stays open while it is in byFD (remove runs before any close), so the
			// look cannot reach another connection's socket.
			m, _, rerr := syscall.Recvfrom(fd, peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch {
			case rerr == syscall.EAGAIN || rerr == syscall.EINTR: // nothing after all: watch again
				ev := syscall.EpollEvent{Events: watchEvents, Fd: int32(fd)}
				_ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_MOD, fd, &ev)
				c = nil
			case rerr == nil && m > 0: // the client sent more: no longer a hang-up to watch for
				delete(w.byFD, fd)
				_ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
				c = nil
			default: // end of stream or an error: the client is gone
				delete(w.byFD, fd)
				_ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
			}
			w.mu.Unlock()
			if c != nil {
				w.hung(c)
			}
		}
	}
}

// close stops the loop and releases the epoll set (the sockets are not closed: they are not its).
func (w *watcher) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	_, _ = syscall.Write(w.wakeW, []byte{0})
	<-w.done
	_ = syscall.Close(w.epfd)
	_ = syscall.Close(w.wakeR)
	_ = syscall.Close(w.wakeW)
}
