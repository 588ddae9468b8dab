package main

import (
	"bytes"
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Every server, proxy and signal watcher a command starts must be gone when it returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// execute runs the CLI in-process with args and returns its stdout, stderr and error.
func execute(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output matches re (or errc reports the command ended) and returns the
// first group of the match.
func waitFor(t *testing.T, out *syncBuffer, re string, errc <-chan error) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if m := rx.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-errc:
			t.Fatalf("the command ended early: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no %q in the output:\n%s", re, out.String())
	return ""
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	_, _, err := execute(context.Background(), "diff", "only-one-arg")
	if err == nil || exitCode(err) != 2 {
		t.Errorf("diff with one argument: %v (exit %d), want a usage error (exit 2)", err, exitCode(err))
	}
	out, _, err := execute(context.Background(), "version")
	if err != nil || !regexp.MustCompile(`^imharness \S+\n$`).MatchString(out) {
		t.Errorf("version: %q, %v", out, err)
	}
}
