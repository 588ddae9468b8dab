package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a server under measurement: where it listens, how to read its resource use, how to stop it.
type Server struct {
	URL   string
	Stats func() (Stats, error)
	Stop  func() error
}

// Stats is a server's resource use at one instant.
type Stats struct {
	RSS        int64 // bytes resident; 0 when unknown (in-process servers)
	Goroutines int
}

var servingLine = regexp.MustCompile(`serving (http://\S+)`)

// StartProcess runs a server command (imharness serve or bench-bare) as its own process, waits for
// its "serving http://…" line and reads its RSS from /proc and its goroutines from /debug/pprof.
func StartProcess(ctx context.Context, name string, args ...string) (*Server, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = nil // request logs, if the server writes any, go to /dev/null
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			return nil
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return errors.New(name + " did not stop on SIGTERM")
		}
	}
	var url string
	select {
	case url = <-urlc:
	case err := <-exited:
		return nil, fmt.Errorf("%s %s exited before serving: %v", name, strings.Join(args, " "), err)
	case <-time.After(30 * time.Second):
		_ = stop()
		return nil, fmt.Errorf("%s did not say where it serves within 30s", name)
	case <-ctx.Done():
		_ = stop()
		return nil, ctx.Err()
	}
	pid := cmd.Process.Pid
	return &Server{URL: url, Stop: stop, Stats: func() (Stats, error) {
		rss, err := ProcRSS(pid)
		if err != nil {
			return Stats{}, err
		}
		g, err := Goroutines(url)
		return Stats{RSS: rss, Goroutines: g}, err
	}}, nil
}

// ProcRSS reads a process's resident set size (Linux /proc).
func ProcRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// Goroutines asks a server's /debug/pprof how many goroutines it runs.
func Goroutines(base string) (int, error) {
	resp, err := http.Get(base + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("goroutine profile: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	var n int
	if _, err := fmt.Sscanf(line, "goroutine profile: total %d", &n); err != nil {
		return 0, fmt.Errorf("goroutine profile: %q", line)
	}
	return n, nil
}
