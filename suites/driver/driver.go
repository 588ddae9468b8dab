// Package driver runs one real JavaScript IM SDK instance per simulated user in
// its own Node process (suites/driver/node/driver.js) and talks to it over JSON
// lines on stdin/stdout:
//
//	→ {"id":N,"cmd":"login|logout|call|send|exit","args":{...}}
//	← {"id":N,"ok":true,"result":...} | {"id":N,"ok":false,"error":{"code":...,"message":...,"data":...}}
//	← {"event":"<TIM.EVENT key>","data":...,"t":<ms since the process started>}
//
// Arguments may use "$TYPES.<KEY>" for TIM.TYPES values and {"$message": "<ID>"} for
// a live SDK Message the process has already reported (e.g. to revoke it).
//
// The Node dependencies are installed by `npm ci` in suites/driver/node (make deps).
package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// EnvNodeDir overrides the directory holding driver.js and node_modules.
const EnvNodeDir = "IMHARNESS_NODE_DIR"

// Options configure one driver process.
type Options struct {
	NodeDir   string    // directory holding driver.js and node_modules; default $IMHARNESS_NODE_DIR, else ./node next to this source file
	SDK       string    // npm package to require, e.g. "tim-js-sdk" or the alias "tim-js-sdk-2.10.2", or an absolute package directory (a build installed elsewhere); default "tim-js-sdk"
	ServerURL string    // base URL of the fake server, http://127.0.0.1:PORT; every https://*.tim.qq.com request is sent there
	SDKAppID  int       // the tenant's SDKAppID
	UserID    string    // the simulated user; used by Login, in log prefixes and in failure messages
	Stderr    io.Writer // receives the process's stderr, each line prefixed with "[UserID] "; default discards (the tail is kept for errors)
	LogLevel  int       // TIM log level 1 (release) … 4 (none); -1 for 0 (everything); 0 keeps the driver default, 2 (warnings and errors)

	// Script is the driver program relative to NodeDir; default driver.js (tim-js-sdk). Another
	// family's adapter (adapters/jmessage.js) speaks the same protocol.
	Script string
	// Args are extra flags for the script (e.g. --transports polling).
	Args []string

	// Timeout bounds Start's wait for the process and any Login/Logout/Call/Send/WaitEvent
	// whose ctx has no deadline. Default 15s.
	Timeout time.Duration
}

// Event is something the SDK emitted: Name is the TIM.EVENT key (SDK_READY,
// MESSAGE_RECEIVED, …) or a driver event (UNHANDLED_REJECTION, UNCAUGHT_EXCEPTION).
type Event struct {
	Name string
	Data json.RawMessage
	T    float64 // ms since the driver process started
}

// SDKError is a rejected SDK promise (or a driver-side failure of a command).
type SDKError struct {
	Code    *int // nil when the rejection had no numeric code
	Message string
	Data    json.RawMessage // e.g. {"message":{...,"status":"fail"}} for a failed send
}

func (e *SDKError) Error() string {
	code := "none"
	if e.Code != nil {
		code = strconv.Itoa(*e.Code)
	}
	return fmt.Sprintf("SDK error (code %s): %s", code, e.Message)
}

// Client is one running driver process.
type Client struct {
	o        Options
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	version  string                     // SDK version from the hello line
	declared map[string]bool            // TIM.EVENT keys the SDK declares (hello line)
	types    map[string]json.RawMessage // TIM.TYPES as the SDK defines it (hello line)

	writeMu sync.Mutex
	nextID  atomic.Int64

	mu       sync.Mutex
	pending  map[int64]chan reply
	events   []Event
	consumed []bool
	changed  chan struct{} // closed and replaced whenever an event arrives
	stderr   []string      // ring of the last stderrLines lines
	stderrAt int

	hello     chan struct{} // closed by the hello line
	helloOnce sync.Once
	done      chan struct{} // closed after the process has been waited for
	waitErr   error         // valid after done
	closeOnce sync.Once
	killed    atomic.Bool
}

type reply struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    *float64        `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

const (
	stderrLines    = 200
	defaultTimeout = 15 * time.Second
	closeGrace     = 3 * time.Second
)

// Start launches `node driver.js` for one user and waits for its hello line.
// ctx bounds the life of the process: cancelling it kills the process.
func Start(ctx context.Context, o Options) (*Client, error) {
	if o.SDK == "" {
		o.SDK = "tim-js-sdk"
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.NodeDir == "" {
		o.NodeDir = defaultNodeDir()
	}
	if o.ServerURL == "" || o.SDKAppID <= 0 {
		return nil, fmt.Errorf("driver[%s]: ServerURL and SDKAppID are required", o.UserID)
	}
	if err := Preflight(o.NodeDir, o.SDK); err != nil {
		return nil, fmt.Errorf("driver[%s]: %w", o.UserID, err)
	}
	if o.Script == "" {
		o.Script = "driver.js"
	}
	script := filepath.Join(o.NodeDir, o.Script)
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("driver[%s]: %s not found: %w", o.UserID, script, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}

	args := []string{script, "--sdk", o.SDK, "--server", strings.TrimRight(o.ServerURL, "/"), "--sdkappid", strconv.Itoa(o.SDKAppID)}
	if o.LogLevel != 0 {
		args = append(args, "--log-level", strconv.Itoa(max(o.LogLevel, 0)))
	}
	args = append(args, o.Args...)
	c := &Client{
		o:       o,
		pending: map[int64]chan reply{},
		changed: make(chan struct{}),
		stderr:  make([]string, 0, stderrLines),
		hello:   make(chan struct{}),
		done:    make(chan struct{}),
	}
	c.cmd = exec.CommandContext(ctx, node, args...)
	c.cmd.Dir = o.NodeDir
	c.cmd.Env = os.Environ()
	c.cmd.Cancel = func() error { c.killed.Store(true); return c.cmd.Process.Kill() }
	c.cmd.WaitDelay = closeGrace // don't hang on pipes if something inherited them
	// exec copies both pipes in its own goroutines and Wait waits for them, so
	// the only goroutine we own is the waiter below.
	c.cmd.Stdout = &lineWriter{fn: c.onStdout}
	c.cmd.Stderr = &lineWriter{fn: c.onStderr}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("driver[%s]: %w", o.UserID, err)
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("driver[%s]: start node: %w", o.UserID, err)
	}
	go func() {
		err := c.cmd.Wait()
		c.mu.Lock()
		c.waitErr = err
		c.mu.Unlock()
		close(c.done)
	}()

	timer := time.NewTimer(o.Timeout)
	defer timer.Stop()
	select {
	case <-c.hello:
		return c, nil
	case <-c.done:
		err = fmt.Errorf("driver[%s]: node exited before it was ready: %v%s", o.UserID, c.exitErr(), c.stderrTail())
	case <-ctx.Done():
		err = fmt.Errorf("driver[%s]: start: %w%s", o.UserID, ctx.Err(), c.stderrTail())
	case <-timer.C:
		err = fmt.Errorf("driver[%s]: no hello line from node within %v%s", o.UserID, o.Timeout, c.stderrTail())
	}
	c.kill()
	return nil, err
}

// Preflight checks what every driver process needs, so a suite can refuse to start (a setup
// error) instead of failing each spec: driver.js, node on PATH, the SDK and the driver's own
// npm packages. nodeDir "" is the default.
func Preflight(nodeDir, sdk string) error {
	if nodeDir == "" {
		nodeDir = defaultNodeDir()
	}
	if sdk == "" {
		sdk = "tim-js-sdk"
	}
	script := filepath.Join(nodeDir, "driver.js")
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("the node driver %s is missing (set Options.NodeDir or $IMHARNESS_NODE_DIR)", script)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not on PATH: install Node.js 20 or later")
	}
	pkgs := []string{sdk, "xhr2"}
	if file, ok := strings.CutPrefix(sdk, WebIMPrefix); ok {
		// A user-given webim.js 1.x file, run by adapters/legacy-webim.js: no npm package to look for.
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("the webim.js file %s is missing", file)
		}
		pkgs = pkgs[1:]
	}
	for _, pkg := range pkgs {
		if strings.HasPrefix(pkg, "file:") { // a user-given SDK file (jmessage-sdk-web), not an npm package
			continue
		}
		dir := PackageDir(nodeDir, pkg)
		if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
			return fmt.Errorf("npm package %s is not installed (no %s): run `npm ci` in suites/driver/node (make deps), or imharness run, which installs it",
				pkg, filepath.Join(dir, "package.json"))
		}
	}
	return nil
}

// PackageDir is where the SDK (or any package) the driver requires lives: pkg itself when it is an
// absolute directory, else nodeDir/node_modules/pkg.
func PackageDir(nodeDir, pkg string) string {
	if filepath.IsAbs(pkg) {
		return pkg
	}
	if nodeDir == "" {
		nodeDir = defaultNodeDir()
	}
	return filepath.Join(nodeDir, "node_modules", filepath.FromSlash(pkg))
}

func defaultNodeDir() string {
	if d := os.Getenv(EnvNodeDir); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "node")
}

// SDKVersion is TIM.VERSION as reported by the running SDK.
func (c *Client) SDKVersion() string { return c.version }

// Declares says whether the running SDK declares the TIM.EVENT key (NET_STATE_CHANGE, for one,
// first appears in tim-js-sdk 2.5.0).
func (c *Client) Declares(event string) bool { return c.declared[event] }

// Type is TIM.TYPES[key] as the running SDK defines it, "" when it has no such string constant.
// Compare SDK output with it rather than with a literal: values differ between releases
// (KICKED_OUT_MULT_ACCOUNT is "mutipleAccount" in tim-js-sdk 2.4.1, "multipleAccount" later).
func (c *Client) Type(key string) string {
	var v string
	if json.Unmarshal(c.types[key], &v) != nil {
		return ""
	}
	return v
}

// Login calls tim.login({userID: Options.UserID, userSig}) and returns its resolved value.
func (c *Client) Login(ctx context.Context, userSig string) (json.RawMessage, error) {
	return c.do(ctx, "login", map[string]any{"userID": c.o.UserID, "userSig": userSig})
}

// Logout calls tim.logout().
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.do(ctx, "logout", nil)
	return err
}

// Call invokes tim[method](args...) and returns the resolved value (serialised safely).
func (c *Client) Call(ctx context.Context, method string, args ...any) (json.RawMessage, error) {
	if args == nil {
		args = []any{}
	}
	return c.do(ctx, "call", map[string]any{"method": method, "args": args})
}

// Send builds a message with the SDK factory named by create (e.g. "createTextMessage")
// from options ({to, conversationType, payload, …}), sends it with tim.sendMessage and
// returns the resolved value ({code, data:{message:{ID, status, time, sequence, random, …}}}).
func (c *Client) Send(ctx context.Context, create string, options any) (json.RawMessage, error) {
	return c.do(ctx, "send", map[string]any{"create": create, "options": options})
}

// Do sends any driver command (adapters add their own, e.g. webim.js "sync", "store").
func (c *Client) Do(ctx context.Context, cmd string, args any) (json.RawMessage, error) {
	return c.do(ctx, cmd, args)
}

// WebIMPrefix names a webim.js 1.x file as the SDK: "webim.js@file:/path/webim.js".
const WebIMPrefix = "webim.js@file:"

func (c *Client) do(ctx context.Context, cmd string, args any) (json.RawMessage, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	id := c.nextID.Add(1)
	line, err := json.Marshal(map[string]any{"id": id, "cmd": cmd, "args": args})
	if err != nil {
		return nil, fmt.Errorf("driver[%s]: %s: encode args: %w", c.o.UserID, cmd, err)
	}
	ch := make(chan reply, 1)
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()

	c.writeMu.Lock()
	_, err = c.stdin.Write(append(line, '\n'))
	c.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("driver[%s]: %s: write to node: %w%s", c.o.UserID, cmd, err, c.stderrTail())
	}

	select {
	case r := <-ch:
		if r.OK {
			return r.Result, nil
		}
		e := &SDKError{Message: "malformed error reply"}
		if r.Error != nil {
			e.Message, e.Data = r.Error.Message, r.Error.Data
			if r.Error.Code != nil {
				code := int(*r.Error.Code)
				e.Code = &code
			}
		}
		return nil, e
	case <-c.done:
		return nil, fmt.Errorf("driver[%s]: %s: node exited: %v%s", c.o.UserID, cmd, c.exitErr(), c.stderrTail())
	case <-ctx.Done():
		return nil, fmt.Errorf("driver[%s]: %s %s: no reply: %w\nevents so far:%s%s",
			c.o.UserID, cmd, line, ctx.Err(), c.describeEvents(), c.stderrTail())
	}
}

// WaitEvent returns the first event named name (any name if "") for which match
// is true (nil matches all), considering in order every event received so far
// that no earlier WaitEvent has returned; the returned event is marked consumed.
// It waits for new events until ctx (or Options.Timeout) expires; the error then
// lists the events seen and the tail of stderr.
func (c *Client) WaitEvent(ctx context.Context, name string, match func(Event) bool) (Event, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	next := 0
	for {
		c.mu.Lock()
		for ; next < len(c.events); next++ {
			e := c.events[next]
			if !c.consumed[next] && (name == "" || e.Name == name) && (match == nil || match(e)) {
				c.consumed[next] = true
				c.mu.Unlock()
				return e, nil
			}
		}
		changed := c.changed
		c.mu.Unlock()

		select {
		case <-changed:
		case <-c.done:
			// Drain anything that arrived with the exit before giving up.
			c.mu.Lock()
			more := next < len(c.events)
			c.mu.Unlock()
			if more {
				continue
			}
			return Event{}, fmt.Errorf("driver[%s]: waiting for event %s: node exited: %v\nevents so far:%s%s",
				c.o.UserID, orAny(name), c.exitErr(), c.describeEvents(), c.stderrTail())
		case <-ctx.Done():
			return Event{}, fmt.Errorf("driver[%s]: waiting for event %s: %w\nevents so far:%s%s",
				c.o.UserID, orAny(name), ctx.Err(), c.describeEvents(), c.stderrTail())
		}
	}
}

// Settle marks every event received so far consumed, so later WaitEvents only see what comes
// after (a spec's setup is done), and returns how many there were.
func (c *Client) Settle() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.consumed {
		c.consumed[i] = true
	}
	return len(c.events)
}

// Events returns a snapshot of every event received so far, in order.
func (c *Client) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// Close asks the process to exit, kills it after a grace period and waits for
// it; afterwards no goroutine of this Client is left. Safe to call repeatedly.
// It returns the process's exit error, if it failed on its own.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.writeMu.Lock()
		_, _ = c.stdin.Write([]byte(`{"id":0,"cmd":"exit"}` + "\n"))
		_ = c.stdin.Close() // driver.js also exits on stdin EOF
		c.writeMu.Unlock()
		select {
		case <-c.done:
		case <-time.After(closeGrace):
			c.kill()
		}
	})
	<-c.done
	if c.killed.Load() {
		return nil
	}
	return c.exitErr()
}

func (c *Client) kill() {
	c.killed.Store(true)
	_ = c.cmd.Process.Kill()
	<-c.done
}

func (c *Client) exitErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waitErr
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.o.Timeout)
}

// onStdout handles one protocol line from node.
func (c *Client) onStdout(line []byte) {
	var m struct {
		ID    *int64          `json:"id"`
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
		T     float64         `json:"t"`
	}
	if err := json.Unmarshal(line, &m); err != nil || (m.ID == nil && m.Event == "") {
		c.onStderr(append([]byte("[non-protocol stdout] "), line...))
		return
	}
	if m.ID != nil {
		var r reply
		if err := json.Unmarshal(line, &r); err != nil {
			c.onStderr(append([]byte("[bad reply] "), line...))
			return
		}
		c.mu.Lock()
		ch := c.pending[*m.ID]
		c.mu.Unlock()
		if ch != nil {
			ch <- r // buffered, one reply per id
		}
		return
	}
	if m.Event == "ready" {
		c.helloOnce.Do(func() {
			var h struct {
				Version string
				Events  []string
				Types   map[string]json.RawMessage
			}
			_ = json.Unmarshal(m.Data, &h)
			c.version, c.types = h.Version, h.Types
			c.declared = make(map[string]bool, len(h.Events))
			for _, e := range h.Events {
				c.declared[e] = true
			}
			close(c.hello)
		})
		return
	}
	c.mu.Lock()
	c.events = append(c.events, Event{Name: m.Event, Data: m.Data, T: m.T})
	c.consumed = append(c.consumed, false)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *Client) onStderr(line []byte) {
	s := string(line)
	c.mu.Lock()
	if len(c.stderr) < stderrLines {
		c.stderr = append(c.stderr, s)
	} else {
		c.stderr[c.stderrAt] = s
		c.stderrAt = (c.stderrAt + 1) % stderrLines
	}
	c.mu.Unlock()
	if c.o.Stderr != nil {
		fmt.Fprintf(c.o.Stderr, "[%s] %s\n", c.o.UserID, s)
	}
}

// Stderr returns the kept tail of the process's stderr (SDK logs), oldest first.
func (c *Client) Stderr() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(append([]string(nil), c.stderr[c.stderrAt:]...), c.stderr[:c.stderrAt]...)
}

// stderrTail formats the kept stderr lines for an error message.
func (c *Client) stderrTail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stderr) == 0 {
		return "\nstderr: (empty)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nstderr (last %d lines):", len(c.stderr))
	for i := range c.stderr {
		b.WriteString("\n  ")
		b.WriteString(c.stderr[(c.stderrAt+i)%len(c.stderr)])
	}
	return b.String()
}

// describeEvents lists every event so far, marking consumed ones, data abbreviated.
func (c *Client) describeEvents() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) == 0 {
		return " (none)"
	}
	var b strings.Builder
	for i, e := range c.events {
		mark := ""
		if c.consumed[i] {
			mark = " (consumed)"
		}
		data := string(e.Data)
		if len(data) > 300 {
			data = strings.ToValidUTF8(data[:300], "") + "…"
		}
		fmt.Fprintf(&b, "\n  t=%.0fms %s%s %s", e.T, e.Name, mark, data)
	}
	return b.String()
}

func orAny(name string) string {
	if name == "" {
		return "(any)"
	}
	return name
}

// lineWriter splits a byte stream into lines and hands each to fn.
// exec calls Write from a single copying goroutine.
type lineWriter struct {
	fn  func([]byte)
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if line := bytes.TrimRight(w.buf[:i], "\r"); len(line) > 0 {
			w.fn(bytes.Clone(line))
		}
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}
