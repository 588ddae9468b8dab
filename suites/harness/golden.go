package harness

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/tim/transcript"
	"github.com/imharness/imharness/recorder"
)

// ReferenceSDK is the pin whose traffic the goldens in fixtures/golden/<case-id>.jsonl record.
// Another SDK version is held to fixtures/golden/<sdk@version>/<case-id>.jsonl when that exists,
// else to the reference: a release that changes what it sends shows up as a diff.
const ReferenceSDK = "tim-js-sdk@2.7.0"

// ReferenceWebIM is the same for the webim.js generation (cases webim/*): its last release.
const ReferenceWebIM = "webim.js@1.7.3"

// ReferenceWS are the pins another release of the WebSocket generation is held to when it has no
// goldens of its own, by package: its traffic (frames, pushes, acks) is nothing like the long
// poll's, so a diff against the long-polling reference would say nothing about the release.
var ReferenceWS = map[string]string{"tim-js-sdk": "tim-js-sdk@2.27.6", "@tencentcloud/chat": "@tencentcloud/chat@3.6.6"}

// EnvDiffDir is where failed golden comparisons write their diff (default <repo>/out/diffs).
const EnvDiffDir = "IMHARNESS_DIFF_DIR"

// GoldenOptions is how suites compare traffic: read as Tencent IM's (transcript.Profile: volatile
// values renumbered by its default rules),
// idle long polls left out, order enforced per connection and command (calls the SDK issues at once
// may arrive in any order).
var GoldenOptions = []recorder.DiffOption{recorder.WithProfile(transcript.Profile), recorder.OrderPerCommand()}

// ExpectGolden waits for the tenant's traffic to settle, then compares it with the case's golden
// transcript (strict: a missing golden fails; IMHARNESS_UPDATE_GOLDEN=1 rewrites it). Call it at
// the end of a spec whose traffic is deterministic.
func (t *Tenant) ExpectGolden() {
	GinkgoHelper()
	Expect(t.CaseID).NotTo(BeEmpty(), "a golden needs a case ID (harness.Case)")
	got := t.quiesce()
	var summary strings.Builder
	g := recorder.Golden{Dir: t.goldenDir(), Options: GoldenOptions, Log: &summary}
	err := g.Check(t.CaseID, got)
	if summary.Len() > 0 {
		// A report entry is printed for passing specs too (GinkgoWriter output is not), so the
		// person who ran the update sees what changed before reading git diff.
		AddReportEntry("golden", strings.TrimSpace(summary.String()))
	}
	if err == nil {
		return
	}
	dir := os.Getenv(EnvDiffDir)
	if dir == "" {
		dir = filepath.Join(t.Env.RepoDir, "out", "diffs")
	}
	path := filepath.Join(dir, t.Env.SDKName, t.CaseID+".diff")
	if os.MkdirAll(filepath.Dir(path), 0o755) == nil && os.WriteFile(path, []byte(err.Error()+"\n"), 0o644) == nil {
		AddReportEntry("diff", path)
	}
	Fail(err.Error())
}

func (t *Tenant) goldenDir() string {
	root := filepath.Join(t.Env.RepoDir, "fixtures", "golden")
	if t.Env.SDKName == ReferenceSDK || t.Env.SDKName == ReferenceWebIM {
		return root
	}
	has := func(dir string) bool {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(t.CaseID)+".jsonl"))
		return err == nil
	}
	own := filepath.Join(root, t.Env.SDKName)
	if has(own) || (recorder.Golden{}).Updating() {
		return own
	}
	if name, _ := t.Env.nameVersion(); t.Env.WebSocket() && ReferenceWS[name] != "" {
		if ref := filepath.Join(root, ReferenceWS[name]); has(ref) {
			return ref
		}
	}
	return root
}

// quiesce waits until the tenant's traffic has been still for a second (the SDK fetches profiles
// and read times lazily after a message arrives; on a loaded machine a node process can stall for
// half a second between two of them) and returns it. Telemetry does not count.
func (t *Tenant) quiesce() []recorder.Exchange {
	count := func() int {
		n := 0
		for _, x := range t.Transcript() {
			if !strings.HasPrefix(x.Command, "imopenstat/") {
				n++
			}
		}
		return n
	}
	last, still := count(), 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && still < 10; {
		time.Sleep(100 * time.Millisecond)
		if n := count(); n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
	return t.Transcript()
}
