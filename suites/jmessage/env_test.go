package jmessage

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/recorder"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// Environment variables the suite reads.
const (
	// EnvClient picks the client the run drives: v1, v2 (default) or sdk.
	EnvClient = "IMHARNESS_JMESSAGE_CLIENT"
	// EnvSDKFile is the jmessage-sdk-web 2.x file the sdk client runs (never shipped with imharness).
	EnvSDKFile = "IMHARNESS_JMESSAGE_JS"
)

// client is what a run drives: a driver --sdk and the golden directory its traffic is held to.
type client struct {
	Name   string // v1, v2, sdk
	Title  string
	SDK    string // driver --sdk value; "" when the user gave no SDK file
	V2     bool
	Golden string // "" for the user's SDK file: its traffic is not held to a committed golden
}

// theClient is the run's client. IMHARNESS_SDK (what `imharness run` sets: a pinned
// socket.io-client alias) picks the wire generation by the client's version; otherwise
// IMHARNESS_JMESSAGE_CLIENT does (v1, v2 the default, or sdk). The wire clients are SDK-shaped
// clients on npm socket.io-client; sdk is the real jmessage-sdk-web file (IMHARNESS_JMESSAGE_JS).
func theClient() client {
	name, file := os.Getenv(EnvClient), os.Getenv(EnvSDKFile)
	if f, ok := strings.CutPrefix(os.Getenv("IMHARNESS_SDK"), "jmessage-sdk-web@file:"); ok { // imharness run --sdk
		name, file = "sdk", f
	}
	if pkg := os.Getenv("IMHARNESS_SDK"); strings.HasPrefix(pkg, "socket.io-client") {
		name = "v2"
		if v := npmVersion(pkg); v != "" && v < "1.5" {
			name = "v1"
		}
	}
	switch name {
	case "v1":
		return client{Name: "v1", Title: "1.x wire on socket.io-client 1.4.5", SDK: "socket.io-client-1.4.5", Golden: "jmessage/v1"}
	case "sdk":
		f := file
		if f == "" {
			return client{Name: "sdk", Title: "jmessage-sdk-web (no file given)", V2: true}
		}
		abs, _ := filepath.Abs(f)
		return client{Name: "sdk", Title: "jmessage-sdk-web " + filepath.Base(f), SDK: "file:" + abs, V2: true}
	}
	return client{Name: "v2", Title: "2.x wire on socket.io-client 1.7.4", SDK: "socket.io-client-1.7.4", V2: true, Golden: "jmessage/v2"}
}

// npmVersion is the version of an installed package (or alias) of the driver, "" if unknown.
func npmVersion(pkg string) string {
	b, err := os.ReadFile(filepath.Join(repoRoot(), "suites", "driver", "node", "node_modules", pkg, "package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	_ = json.Unmarshal(b, &p)
	return p.Version
}

// forEachClient declares body's specs for the run's client, in a container titled with it.
func forEachClient(body func(cl client)) bool {
	cl := theClient()
	Describe(cl.Title, Label("jim-client:"+cl.Name), func() {
		BeforeEach(func() {
			if cl.SDK == "" {
				Skip("not run: no SDK file given (set " + EnvSDKFile + ")")
			}
		})
		body(cl)
	})
	return true
}

type envT struct {
	srv     *mockserver.Server
	rec     *recorder.Recorder
	nodeDir string
	repo    string
	cancel  context.CancelFunc
	tenants atomic.Int64
}

var env *envT

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func start() (*envT, error) {
	e := &envT{rec: recorder.New(), repo: repoRoot()}
	e.nodeDir = filepath.Join(e.repo, "suites", "driver", "node")
	e.srv = mockserver.New(mockserver.Options{Recorder: e.rec})
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	if err := e.srv.Start(ctx); err != nil {
		cancel()
		return nil, err
	}
	return e, nil
}

func (e *envT) close() {
	if e == nil {
		return
	}
	_ = e.srv.Close()
	e.cancel()
}

// tenant is one spec's JMessage app.
type tenant struct {
	cl     client
	App    *state.App
	ID     int64
	AppKey string
	Secret string
	CaseID string
}

func newTenant(cl client) *tenant {
	n := env.tenants.Add(1)
	proc := int64(GinkgoParallelProcess())
	id := 1600000000 + proc*100000 + n
	secret := fmt.Sprintf("master-%d-%d", proc, n)
	app, err := env.srv.AddApp(state.Options{SDKAppID: id, Secret: secret, Seed: uint64(n)})
	Expect(err).NotTo(HaveOccurred())
	t := &tenant{cl: cl, App: app, ID: id, AppKey: app.AppKey(), Secret: secret, CaseID: harness.CaseID()}
	DeferCleanup(func() {
		t.saveTranscript()
		env.srv.RemoveApp(id)
	})
	return t
}

// transcript is the tenant's traffic.
func (t *tenant) transcript() []recorder.Exchange { return env.rec.ForApp(strconv.FormatInt(t.ID, 10)) }

func (t *tenant) saveTranscript() {
	if !CurrentSpecReport().Failed() || t.CaseID == "" {
		return
	}
	dir := filepath.Join(env.repo, "out", "transcripts", "jmessage-"+t.cl.Name)
	path := filepath.Join(dir, t.CaseID+".jsonl")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = recorder.WriteJSONL(f, t.transcript())
	AddReportEntry("transcript", path)
}

// goldenOptions compare JMessage transcripts: JIM rules, order per connection and event.
var goldenOptions = []recorder.DiffOption{recorder.WithRules(recorder.JIMRules()), recorder.OrderPerCommand()}

// expectGolden waits for the traffic to settle and compares it with the case's golden for this
// client generation (the user's SDK file has none: its traffic is only checked by the spec).
func (t *tenant) expectGolden() {
	GinkgoHelper()
	if t.cl.Golden == "" {
		return
	}
	Expect(t.CaseID).NotTo(BeEmpty(), "a golden needs a case ID")
	got := t.quiesce()
	g := recorder.Golden{Dir: filepath.Join(env.repo, "fixtures", "golden", t.cl.Golden), Options: goldenOptions, Log: GinkgoWriter}
	if err := g.Check(t.CaseID, got); err != nil {
		Fail(err.Error())
	}
}

// quiesce waits for a second without new traffic, as harness's does, and returns the transcript.
func (t *tenant) quiesce() []recorder.Exchange {
	last, still := len(t.transcript()), 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && still < 10; {
		time.Sleep(100 * time.Millisecond)
		if n := len(t.transcript()); n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
	return t.transcript()
}

// seed makes an account with a password (as registered elsewhere) and a nickname.
func (t *tenant) seed(user, pass, nick string) {
	GinkgoHelper()
	Expect(t.App.Register(user, md5hex(pass), nick)).To(Succeed())
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// auth is a signed auth_payload, as the developer's server makes it (the guide's algorithm,
// computed here independently of the server's code).
func (t *tenant) auth() map[string]any { return t.authAt(time.Now(), t.Secret) }

func (t *tenant) authAt(now time.Time, secret string) map[string]any {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	rnd := "022cd9fd995849b58b3ef0e943421ed9"
	sig := strings.ToUpper(md5hex("appkey=" + t.AppKey + "&timestamp=" + ts + "&random_str=" + rnd + "&key=" + secret))
	return map[string]any{"appkey": t.AppKey, "random_str": rnd, "signature": sig, "timestamp": ts}
}

// user is one client process.
type user struct {
	*driver.Client
	ID string
	t  *tenant
}

// start launches a client for name (not connected in v1, connected but not initialised in v2).
func (t *tenant) start(name string, transports ...string) *user {
	GinkgoHelper()
	tr := "websocket"
	if len(transports) > 0 {
		tr = transports[0]
	}
	c, err := driver.Start(context.Background(), driver.Options{
		NodeDir: env.nodeDir, Script: filepath.Join("adapters", "jmessage.js"), SDK: t.cl.SDK, ServerURL: env.srv.URL(),
		SDKAppID: int(t.ID), UserID: name, Stderr: GinkgoWriter, Args: []string{"--transports", tr}, Timeout: 30 * time.Second,
	})
	Expect(err).NotTo(HaveOccurred(), "starting the client for %s", name)
	DeferCleanup(func() { _ = c.Close() })
	return &user{Client: c, ID: name, t: t}
}

// login starts a client for a user (seeded with password <name>-pass and a capitalised nickname
// unless the account exists), initialises it and logs in.
func (t *tenant) login(name string, transports ...string) *user {
	GinkgoHelper()
	if !t.App.HasUser(name) {
		t.seed(name, name+"-pass", strings.ToUpper(name[:1])+name[1:])
	}
	return t.loginWith(name, name+"-pass", transports...)
}

// loginWith starts a client, initialises it and logs in with the password given.
func (t *tenant) loginWith(name, pass string, transports ...string) *user {
	GinkgoHelper()
	u := t.start(name, transports...)
	u.mustCall("init", map[string]any{"auth_payload": t.auth()})
	u.mustCall("login", map[string]any{"username": name, "password": pass, "auth_payload": t.auth()})
	return u
}

func ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	DeferCleanup(cancel)
	return c
}

// call invokes an API with its one object argument.
func (u *user) call(method string, arg map[string]any) (map[string]any, error) {
	res, err := u.Call(ctx(), method, arg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	_ = json.Unmarshal(res, &m)
	return m, nil
}

func (u *user) mustCall(method string, arg map[string]any) map[string]any {
	GinkgoHelper()
	m, err := u.call(method, arg)
	Expect(err).NotTo(HaveOccurred(), "%s %s", u.ID, method)
	return m
}

// expectCode calls and expects a failure with code.
func (u *user) expectCode(code int, method string, arg map[string]any) {
	GinkgoHelper()
	_, err := u.call(method, arg)
	Expect(err).To(HaveOccurred(), "%s %s should fail with %d", u.ID, method, code)
	se, ok := err.(*driver.SDKError)
	Expect(ok).To(BeTrue(), "%v", err)
	Expect(se.Code).NotTo(BeNil(), "failure without a code: %v", err)
	Expect(*se.Code).To(Equal(code), "%v", err)
}

// await waits for the next event name matching all of match and returns its data decoded.
func (u *user) await(name string, match ...func(map[string]any) bool) map[string]any {
	GinkgoHelper()
	var data map[string]any
	_, err := u.WaitEvent(ctx(), name, func(e driver.Event) bool {
		var m map[string]any
		if json.Unmarshal(e.Data, &m) != nil {
			return false
		}
		for _, f := range match {
			if !f(m) {
				return false
			}
		}
		data = m
		return true
	})
	Expect(err).NotTo(HaveOccurred(), "%s waiting for %s", u.ID, name)
	return data
}

// num reads a JSON number as int64.
func num(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	}
	return 0
}

// sdkLacks are driver APIs the real 2.x SDK file cannot serve in Node, and why.
var sdkLacks = map[string]string{
	"raw":              "the SDK has no call that emits an arbitrary event",
	"transport":        "the SDK does not say which transport its socket uses",
	"uploadImg":        "the SDK uploads with the browser's FormData and XMLHttpRequest",
	"createMsgBuilder": "createMsgBuilder is a 1.x API; 2.x builds messages inside sendSingleMsg",
}

// needs skips the spec for the real SDK when it lacks one of the APIs (a "not run", never a pass).
func needs(cl client, apis ...string) {
	if cl.Name != "sdk" {
		return
	}
	for _, api := range apis {
		if why, ok := sdkLacks[api]; ok {
			Skip("not run with jmessage-sdk-web: " + why)
		}
	}
}
