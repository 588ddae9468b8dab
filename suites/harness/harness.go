// Package harness is what the Ginkgo suites share: an Env (the embedded fake server with its
// recorder, one per test process), a Tenant per spec (its own SDKAppID and secret, so specs run in
// parallel without seeing each other) and Users (a real SDK in a driver process, logged in).
package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/internal/caseid"
	"github.com/imharness/imharness/mockserver"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/usersig"
	"github.com/imharness/imharness/recorder"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/sdks"
)

// Environment variables the suites read.
const (
	EnvSDK            = "IMHARNESS_SDK"              // npm package (alias) in suites/driver/node, or an absolute package directory, to drive; default tim-js-sdk
	EnvTranscriptDir  = "IMHARNESS_TRANSCRIPT_DIR"   // where spec transcripts go, default <repo>/out/transcripts
	EnvKeepTranscript = "IMHARNESS_KEEP_TRANSCRIPTS" // "1": keep passed specs' transcripts too
	EnvHold           = "IMHARNESS_HOLD"             // long-poll hold, default the server's (tim.DefaultHold)
)

// Env is one test process's fake server and recorder.
type Env struct {
	Server  *mockserver.Server
	Rec     *recorder.Recorder
	SDK     string // npm package name driven, e.g. tim-js-sdk-2.10.2
	SDKName string // "tim-js-sdk@2.7.0": what the package really is
	NodeDir string
	RepoDir string

	cancel  context.CancelFunc
	tenants atomic.Int64
}

// RepoRoot is the repository's root directory (found from this source file).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Start brings up the embedded server on a free loopback port, for the SDK $IMHARNESS_SDK names.
func Start() (*Env, error) { return StartSDK(os.Getenv(EnvSDK)) }

// StartSDK is Start for a given SDK: an npm package (alias), or a webim.js file (WebIMSDK).
func StartSDK(sdk string) (*Env, error) {
	e := &Env{Rec: recorder.New(), RepoDir: RepoRoot()}
	e.NodeDir = os.Getenv(driver.EnvNodeDir)
	if e.NodeDir == "" {
		e.NodeDir = filepath.Join(e.RepoDir, "suites", "driver", "node")
	}
	e.SDK = sdk
	if e.SDK == "" {
		e.SDK = "tim-js-sdk"
	}
	if err := driver.Preflight(e.NodeDir, e.SDK); err != nil {
		return nil, err
	}
	name, err := sdkName(e.NodeDir, e.SDK)
	if err != nil {
		return nil, err
	}
	e.SDKName = name
	var hold time.Duration // the server's default
	if v := os.Getenv(EnvHold); v != "" {
		if hold, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvHold, err)
		}
	}
	e.Server = mockserver.New(mockserver.Options{Hold: hold, Recorder: e.Rec})
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	if err := e.Server.Start(ctx); err != nil {
		cancel()
		return nil, err
	}
	return e, nil
}

// sdkName reads the real package name and version behind an npm alias.
func sdkName(nodeDir, pkg string) (string, error) {
	if file, ok := strings.CutPrefix(pkg, driver.WebIMPrefix); ok {
		return webimName(file)
	}
	b, err := os.ReadFile(filepath.Join(driver.PackageDir(nodeDir, pkg), "package.json"))
	if err != nil {
		return "", fmt.Errorf("SDK package %s is not installed in %s (run `make deps`): %w", pkg, nodeDir, err)
	}
	var p struct{ Name, Version string }
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("%s/package.json: %w", pkg, err)
	}
	return p.Name + "@" + p.Version, nil
}

// SDKBefore says whether the SDK driven is an older release than version ("2.5.0"). Specs use it
// only where a release is known to behave differently and no SDK constant tells (say so there).
func (e *Env) SDKBefore(version string) bool {
	_, have := e.nameVersion()
	return sdks.CompareVersions(have, version) < 0
}

// nameVersion splits SDKName ("tim-js-sdk@2.7.0", "@tencentcloud/chat@3.6.6"). @tencentcloud/chat
// continues tim-js-sdk's numbering (3.x after 2.x), so version comparisons hold across both.
func (e *Env) nameVersion() (name, version string) {
	at := strings.LastIndex(e.SDKName, "@")
	if at <= 0 {
		return e.SDKName, ""
	}
	return e.SDKName[:at], e.SDKName[at+1:]
}

// Close stops the server; held long polls end.
func (e *Env) Close() {
	if e == nil {
		return
	}
	_ = e.Server.Close()
	e.cancel()
}

// Tenant is one spec's own SDKAppID on the shared server.
type Tenant struct {
	Env      *Env
	App      *state.App
	SDKAppID int64
	Secret   string
	CaseID   string
}

// NewTenant creates a tenant for the running spec and registers its cleanup: the transcript is
// written (and kept for failed specs) and the tenant removed.
func (e *Env) NewTenant() *Tenant {
	n := e.tenants.Add(1)
	proc := int64(GinkgoParallelProcess())
	id := 1400000000 + proc*100000 + n
	secret := fmt.Sprintf("secret-%d-%d", proc, n)
	app, err := e.Server.AddApp(state.Options{SDKAppID: id, Secret: secret, Seed: uint64(n)})
	Expect(err).NotTo(HaveOccurred())
	t := &Tenant{Env: e, App: app, SDKAppID: id, Secret: secret, CaseID: CaseID()}
	DeferCleanup(func() {
		t.saveTranscript()
		e.Server.RemoveApp(id)
	})
	return t
}

// CaseID is the running spec's stable case ID (see Case).
func CaseID() string {
	for _, l := range CurrentSpecReport().Labels() {
		if id := CaseIDFromLabel(l); id != "" {
			return id
		}
	}
	return ""
}

// Sig makes a valid UserSig for user (10 minutes, the tenant's clock).
func (t *Tenant) Sig(user string) string {
	sig, err := usersig.Generate(t.SDKAppID, t.Secret, user, 10*time.Minute, t.App.Now())
	Expect(err).NotTo(HaveOccurred())
	return sig
}

// Transcript is the tenant's traffic so far.
func (t *Tenant) Transcript() []recorder.Exchange {
	return t.Env.Rec.ForApp(fmt.Sprint(t.SDKAppID))
}

func (t *Tenant) saveTranscript() {
	dir := os.Getenv(EnvTranscriptDir)
	if dir == "" {
		dir = filepath.Join(t.Env.RepoDir, "out", "transcripts")
	}
	name := t.CaseID
	if name == "" {
		name = "unlabelled/" + strings.NewReplacer(" ", "-", "/", "-").Replace(CurrentSpecReport().FullText())
	}
	failed := CurrentSpecReport().Failed()
	if !failed && os.Getenv(EnvKeepTranscript) != "1" {
		return
	}
	path := filepath.Join(dir, t.Env.SDKName, name+".jsonl")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		GinkgoWriter.Printf("transcript: %v\n", err)
		return
	}
	if err := recorder.Save(path, t.Transcript()); err != nil {
		GinkgoWriter.Printf("transcript: %v\n", err)
		return
	}
	AddReportEntry("transcript", path, ReportEntryVisibilityFailureOrVerbose) // in the JSON report for the matrix; on screen only when it matters
}

// User is a real SDK instance in a driver process, acting as one account of the tenant.
type User struct {
	*driver.Client
	ID      string
	Tenant  *Tenant
	settled int // events before this index belong to the spec's setup (Settle)
}

// Settle ends the user's setup: what its SDK reported so far is consumed and left out of
// EventsSinceSettle, so a spec's checks see only what its own steps caused.
func (u *User) Settle() { u.settled = u.Client.Settle() }

// EventsSinceSettle lists the events after the last Settle (all of them without one).
func (u *User) EventsSinceSettle() []driver.Event { return u.Events()[u.settled:] }

// Start launches a driver for user without logging in; it is closed when the spec ends. args are
// extra driver flags (e.g. "--dev-mode", "1").
func (t *Tenant) Start(user string, args ...string) *User {
	c, err := driver.Start(context.Background(), driver.Options{
		NodeDir: t.Env.NodeDir, SDK: t.Env.SDK, ServerURL: t.Env.Server.URL(), SDKAppID: int(t.SDKAppID), UserID: user,
		Stderr: GinkgoWriter, Args: args,
	})
	Expect(err).NotTo(HaveOccurred(), "starting the driver for %s", user)
	DeferCleanup(func() { _ = c.Close() })
	return &User{Client: c, ID: user, Tenant: t}
}

// Login starts a driver for user, logs in with a valid UserSig, waits for SDK_READY and then for
// the SDK to open its long poll: from then on, whatever the server queues reaches it as an event.
// (SDK_READY fires before the C2C sync; a message stored in between arrives through the sync,
// which raises no MESSAGE_RECEIVED.)
func (t *Tenant) Login(user string, args ...string) *User {
	GinkgoHelper()
	u := t.LoginWithoutPoll(user, args...)
	Eventually(func() bool { return t.listening(user) }).WithTimeout(20*time.Second).
		Should(BeTrue(), "%s reached SDK_READY but never opened its long poll", user)
	if t.Env.WebSocket() {
		// The joined-group list answered is not yet the list applied: the SDK says so with
		// GROUP_LIST_UPDATED, and only then are its groups' pushes and member calls served.
		Eventually(func() bool {
			for _, ev := range u.Events() {
				if ev.Name == "GROUP_LIST_UPDATED" {
					return true
				}
			}
			return false
		}).WithTimeout(20*time.Second).Should(BeTrue(), "%s never applied its joined-group list", user)
	}
	return u
}

// LoginWithoutPoll logs in and waits for SDK_READY only (for specs that break the long poll's setup).
func (t *Tenant) LoginWithoutPoll(user string, args ...string) *User {
	GinkgoHelper()
	u := t.LoginWithoutReady(user, args...)
	u.Await("SDK_READY")
	return u
}

// LoginWithoutReady logs in and waits for the login call's answer only, for specs whose scenario
// may end the session (a kick, 20002 on the first long poll) before the SDK gets to SDK_READY.
func (t *Tenant) LoginWithoutReady(user string, args ...string) *User {
	GinkgoHelper()
	u := t.Start(user, args...)
	_, err := u.Login(Ctx(), t.Sig(user))
	Expect(err).NotTo(HaveOccurred(), "login %s", user)
	return u
}

// listening says whether the user's newest session has an open long poll. The WebSocket generation
// is pushed to from its wslogin on, but only knows its groups (and so accepts their pushes) once
// its joined-group list and C2C sync are answered: that is its "listening".
func (t *Tenant) listening(user string) bool {
	ss := t.App.Sessions(user)
	if len(ss) == 0 || ss[len(ss)-1].LongPoll == "" {
		return false
	}
	if !t.Env.WebSocket() {
		return true
	}
	conn, seen := ss[len(ss)-1].Conn, map[string]bool{}
	for _, x := range t.Transcript() {
		if x.Conn == conn {
			seen[x.Command] = true
		}
	}
	return seen["group_open_http_svc/get_joined_group_list"] && seen["openim/getmsg"]
}

// Ctx is a context for one SDK step: generous, because the SDK's own retries take seconds.
func Ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	DeferCleanup(cancel)
	return ctx
}

// Await waits for the next event called name that matches (all of) match, and returns its data.
func (u *User) Await(name string, match ...func(driver.Event) bool) driver.Event {
	GinkgoHelper()
	ev, err := u.WaitEvent(Ctx(), name, func(e driver.Event) bool {
		for _, m := range match {
			if !m(e) {
				return false
			}
		}
		return true
	})
	Expect(err).NotTo(HaveOccurred(), "%s waiting for %s", u.ID, name)
	return ev
}

// Case labels a spec with its stable case ID (tim/c2c/send-text). Ginkgo labels cannot hold '/',
// so the label spells it with '.' (internal/caseid); CaseID and the reports turn it back, and the
// catalogue check (suites/catalogue) refuses IDs that break the grammar.
func Case(id string) Labels { return Label(caseid.Label(id)) }

// CaseLabelPrefix marks a case-ID label among a spec's labels (the reports read the same).
const CaseLabelPrefix = caseid.LabelPrefix

// CaseIDFromLabel turns a case label back into the case ID ("" when it is no case label).
func CaseIDFromLabel(l string) string {
	id, ok, _ := caseid.FromLabel(l)
	if !ok {
		return ""
	}
	return id
}

// WebSocket says whether the SDK driven is of the WebSocket generation (tim-js-sdk 2.13 and later,
// every @tencentcloud/chat): it talks to /binfo instead of /v4 and gets pushes instead of long
// polls. The driver picks the transport the same way (adapters/timws.js).
func (e *Env) WebSocket() bool {
	name, version := e.nameVersion()
	return name == "@tencentcloud/chat" || name == "tim-js-sdk" && sdks.CompareVersions(version, "2.13.0") >= 0
}

// SkipUnlessLongPolling skips a spec about the long poll itself for the WebSocket generation, naming why.
func (e *Env) SkipUnlessLongPolling(what string) {
	if e.WebSocket() {
		Skip(e.SDKName + " has no long poll (pushes over its WebSocket instead): " + what)
	}
}
