//go:build !linux

package httppark

// Without a watcher for this OS no request is held (Hold answers ErrUnsupported): a held client
// hanging up would go unnoticed until its answer.
type watcher struct{}

func newWatcher() (*watcher, error) { return nil, nil }
func (*watcher) start(func(*Conn))  {}
func (*watcher) add(*Conn) error    { return ErrUnsupported }
func (*watcher) remove(*Conn)       {}
func (*watcher) close()             {}
