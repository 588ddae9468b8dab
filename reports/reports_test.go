package reports

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"
	"golang.org/x/net/html"
)

// A transcript diff as recorder.Result renders it.
const sampleDiff = `transcripts differ (want 14 exchanges, got 13): 1 changed, 1 missing

bob#1, exchange #6: openim/longpolling
    response.EventArray[0].C2cMsgArray[0].MsgBody[0].MsgContent.Text
        want: "hello bob"
        got:  (absent)
    response.EventArray[0].C2cMsgArray[0].MsgBody[0].MsgContent.Txt
        want: (absent)
        got:  "hello bob"

bob#1: missing exchanges (expected, not seen)
    #9         openim/msgreaded
`

func sampleRun() Run {
	const v27, v210 = "tim-js-sdk@2.7.0", "tim-js-sdk@2.10.2"
	tr := func(sdk, id string) string { return "transcripts/" + sdk + "/" + id + ".jsonl" }
	c := func(id, sdk, state, req, seed string, d time.Duration) Case {
		return Case{ID: id, Area: AreaOf(id), SDK: sdk, State: state, Requirement: req, Seed: seed, Duration: d,
			Title: "tim-js-sdk " + strings.ReplaceAll(id[strings.LastIndex(id, "/")+1:], "-", " "), TranscriptPath: tr(sdk, id)}
	}
	failed := func(cs Case, msg, loc, diff string) Case {
		cs.Failure, cs.Location, cs.Diff = msg, loc, diff
		if diff != "" {
			cs.DiffPath = "diffs/" + cs.SDK + "/" + cs.ID + ".diff"
		}
		return cs
	}
	return Run{
		Title: "imharness conformance", Started: time.Date(2026, 11, 24, 5, 10, 0, 0, time.UTC), Duration: 3*time.Minute + 12*time.Second,
		Cases: []Case{
			c("tim/login/ready", v27, Passed, "After login the SDK reaches SDK_READY and sees its own profile.", "001 §登录", 2100*time.Millisecond),
			c("tim/login/ready", v210, Passed, "After login the SDK reaches SDK_READY and sees its own profile.", "001 §登录", 1900*time.Millisecond),
			c("tim/login/bad-usersig", v27, Passed, "A malformed UserSig is refused with 70003 and login() rejects.", "001 §鉴权", 900*time.Millisecond),
			failed(c("tim/login/bad-usersig", v210, Failed, "A malformed UserSig is refused with 70003 and login() rejects.", "001 §鉴权", 40*time.Second),
				"Timed out after 40.000s.\nExpected login to reject with code 70003, got <nil>", "suites/timjs/login_test.go:38", ""),
			c("tim/c2c/send-text", v27, Passed, "A text message reaches its addressee's MESSAGE_RECEIVED with the same text & sender.", "002 §单聊", 3200*time.Millisecond),
			failed(c("tim/c2c/send-text", v210, Failed, "A text message reaches its addressee's MESSAGE_RECEIVED with the same text & sender.", "002 §单聊", 5100*time.Millisecond),
				"transcript of tim/c2c/send-text differs from golden fixtures/golden/tim/c2c/send-text.jsonl <script>alert(1)</script>",
				"suites/timjs/c2c_test.go:61", sampleDiff),
			c("tim/c2c/offline-unread", v27, Skipped, "Messages sent while offline arrive at the next login with unread counts.", "002 §离线", 0),
			c("tim/group/create", v27, Pending, "createGroup makes the creator the owner and sends the creation tip.", "003 §群组", 0),
			c("tim/group/create", v210, Passed, "createGroup makes the creator the owner and sends the creation tip.", "003 §群组", 4*time.Second),
			c("tim/errors/unknown-command", v27, Passed, "An unknown command gets 60002 in the Tencent envelope.", "004 §错误码", 120*time.Millisecond),
		},
	}
}

// TestWriteSample renders the sample report into $IMHARNESS_REPORT_SAMPLE (for looking at it).
func TestWriteSample(t *testing.T) {
	dir := os.Getenv("IMHARNESS_REPORT_SAMPLE")
	if dir == "" {
		t.Skip("set IMHARNESS_REPORT_SAMPLE=<dir> to write a sample report")
	}
	r := sampleRun()
	for _, c := range r.Cases {
		p := filepath.Join(dir, filepath.FromSlash(c.TranscriptPath))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"seq":1,"conn":"alice#1","kind":"http","command":"openim/login"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var h, j bytes.Buffer
	if err := WriteHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&j, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), h.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junit.xml"), j.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	// Well-formed from start to end.
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
		}
	}
	var got xSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Tests != 10 || got.Failures != 2 || got.Skipped != 2 || got.Errors != 0 {
		t.Errorf("totals: %d tests, %d failures, %d skipped", got.Tests, got.Failures, got.Skipped)
	}
	if len(got.Suites) != 2 || got.Suites[0].Name != "tim-js-sdk@2.7.0" || got.Suites[1].Name != "tim-js-sdk@2.10.2" {
		t.Fatalf("one suite per SDK, in version order: %+v", got.Suites)
	}
	s27, s210 := got.Suites[0], got.Suites[1]
	if s27.Tests != 6 || s27.Failures != 0 || s27.Skipped != 2 || s210.Tests != 4 || s210.Failures != 2 || s210.Skipped != 0 {
		t.Errorf("suite counts: 2.7.0 %d/%d/%d, 2.10.2 %d/%d/%d", s27.Tests, s27.Failures, s27.Skipped, s210.Tests, s210.Failures, s210.Skipped)
	}
	if len(s27.Props) != 1 || s27.Props[0].Value != "tim-js-sdk@2.7.0" {
		t.Errorf("properties: %+v", s27.Props)
	}
	found := false
	for _, c := range s210.Cases {
		if c.Name != "tim/c2c/send-text" {
			continue
		}
		found = true
		if c.Classname != "c2c" || c.Time != "5.100" || c.Failure == nil {
			t.Fatalf("send-text: %+v", c)
		}
		if !strings.HasPrefix(c.Failure.Message, "transcript of tim/c2c/send-text differs") || strings.Contains(c.Failure.Message, "\n") {
			t.Errorf("failure message: %q", c.Failure.Message)
		}
		for _, frag := range []string{"at suites/timjs/c2c_test.go:61", "response.EventArray[0].C2cMsgArray[0].MsgBody[0].MsgContent.Text", "<script>"} {
			if !strings.Contains(c.Failure.Text, frag) {
				t.Errorf("failure text lacks %q", frag)
			}
		}
		if !strings.Contains(c.SystemOut, "transcript: transcripts/tim-js-sdk@2.10.2/tim/c2c/send-text.jsonl") || !strings.Contains(c.SystemOut, "seed: 002 §单聊") {
			t.Errorf("system-out: %q", c.SystemOut)
		}
	}
	if !found {
		t.Error("send-text missing")
	}
	for _, c := range s27.Cases {
		if c.Name == "tim/group/create" && (c.Skipped == nil || !strings.HasPrefix(c.Skipped.Message, "pending")) {
			t.Errorf("pending case: %+v", c)
		}
	}
	if strings.Contains(buf.String(), "<script>") {
		t.Error("markup in a message is not escaped")
	}
}

func TestWriteJUnitCleansControlCharacters(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := Run{Cases: []Case{{ID: "tim/x/y", State: Failed, Failure: "\x1b[31mExpected\x1b[0m\x00 boom\x07"}}}
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var got xSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if f := got.Suites[0].Cases[0].Failure; f == nil || f.Message != "Expected boom" {
		t.Errorf("failure: %+v", f)
	}
	if got.Suites[0].Name != "unknown SDK" {
		t.Errorf("suite name: %q", got.Suites[0].Name)
	}
}

func parseHTML(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

func find(n *html.Node, pred func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && pred(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func TestWriteHTML(t *testing.T) {
	t.Parallel()
	r := sampleRun()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{`src="http`, `href="http`, `src='http`, `href='http`, "<link", "<script src", "@import", "url(", "<script>alert(1)"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	doc := parseHTML(t, page)

	// Columns: one per SDK version, in version order.
	var sdks []string
	for _, th := range find(doc, func(n *html.Node) bool { return n.Data == "th" && hasClass(n, "sdk") }) {
		sdks = append(sdks, attr(th, "title"))
	}
	if strings.Join(sdks, ",") != "tim-js-sdk@2.7.0,tim-js-sdk@2.10.2" {
		t.Errorf("SDK columns: %v", sdks)
	}

	// Rows: every case ID once, grouped under area headers in the documented order.
	rows := find(doc, func(n *html.Node) bool { return n.Data == "tr" && (hasClass(n, "case") || hasClass(n, "area")) })
	var seq []string
	for _, tr := range rows {
		if hasClass(tr, "area") {
			seq = append(seq, "["+strings.Fields(textOf(tr))[0]+"]")
		} else {
			seq = append(seq, textOf(find(tr, func(n *html.Node) bool { return n.Data == "code" })[0]))
		}
	}
	want := "[login] tim/login/bad-usersig tim/login/ready [c2c] tim/c2c/offline-unread tim/c2c/send-text [group] tim/group/create [errors] tim/errors/unknown-command"
	if got := strings.Join(seq, " "); got != want {
		t.Errorf("rows:\n got %s\nwant %s", got, want)
	}
	for _, c := range r.Cases {
		if !strings.Contains(page, c.ID) {
			t.Errorf("case %s missing", c.ID)
		}
	}

	// Cells: a state per SDK, "not run" where a case did not run.
	sendText := find(doc, func(n *html.Node) bool {
		return n.Data == "tr" && hasClass(n, "case") && strings.Contains(textOf(n), "tim/c2c/send-text")
	})[0]
	cells := find(sendText, func(n *html.Node) bool { return n.Data == "td" && hasClass(n, "cell") })
	if len(cells) != 2 || !hasClass(cells[0], "passed") || !hasClass(cells[1], "failed") || !hasClass(sendText, "failing") {
		t.Fatalf("send-text cells: %d", len(cells))
	}
	offline := find(doc, func(n *html.Node) bool {
		return n.Data == "tr" && hasClass(n, "case") && strings.Contains(textOf(n), "offline-unread")
	})[0]
	if c := find(offline, func(n *html.Node) bool { return n.Data == "td" && hasClass(n, "cell") }); !hasClass(c[1], "notrun") {
		t.Error("a case not run for an SDK is not marked")
	}
	if !strings.Contains(textOf(sendText), "002 §单聊") || !strings.Contains(textOf(sendText), "same text & sender") {
		t.Error("requirement and seed not shown in the row")
	}

	// The failing cell's button reveals the embedded diff.
	btn := find(cells[1], func(n *html.Node) bool { return n.Data == "button" })
	if len(btn) != 1 {
		t.Fatal("no button on the failed cell")
	}
	detail := find(doc, func(n *html.Node) bool { return attr(n, "id") == attr(btn[0], "data-toggle") })
	if len(detail) != 1 || !hasClass(detail[0], "detail") {
		t.Fatalf("the button targets nothing: %q", attr(btn[0], "data-toggle"))
	}
	dt := textOf(detail[0])
	for _, frag := range []string{
		"response.EventArray[0].C2cMsgArray[0].MsgBody[0].MsgContent.Text",
		`want: "hello bob"`,
		"openim/msgreaded",
		"<script>alert(1)</script>", // as text, escaped in the markup
		"suites/timjs/c2c_test.go:61",
	} {
		if !strings.Contains(dt, frag) {
			t.Errorf("detail lacks %q", frag)
		}
	}
	if wants := find(detail[0], func(n *html.Node) bool { return n.Data == "span" && hasClass(n, "want") }); len(wants) != 2 {
		t.Errorf("want lines highlighted: %d", len(wants))
	}

	// Links are the relative paths given.
	var hrefs []string
	for _, a := range find(doc, func(n *html.Node) bool { return n.Data == "a" }) {
		h := attr(a, "href")
		hrefs = append(hrefs, h)
		if strings.Contains(h, "://") || strings.HasPrefix(h, "/") {
			t.Errorf("link %q is not relative", h)
		}
	}
	joined := strings.Join(hrefs, " ")
	for _, h := range []string{"transcripts/tim-js-sdk@2.10.2/tim/c2c/send-text.jsonl", "diffs/tim-js-sdk@2.10.2/tim/c2c/send-text.diff",
		"transcripts/tim-js-sdk@2.7.0/tim/login/ready.jsonl"} {
		if !strings.Contains(joined, h) {
			t.Errorf("no link to %s in %v", h, hrefs)
		}
	}

	// Summary counts.
	summary := textOf(find(doc, func(n *html.Node) bool { return hasClass(n, "summary") })[0])
	for _, frag := range []string{"10case runs", "6passed", "2failed", "1skipped", "1pending"} {
		if !strings.Contains(strings.Join(strings.Fields(summary), ""), strings.ReplaceAll(frag, " ", "")) {
			t.Errorf("summary lacks %q: %s", frag, summary)
		}
	}
}

func TestWriteHTMLEmptyRun(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, Run{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "No cases were run.") {
		t.Error("empty run")
	}
}

func entry(name string, v any) ginkgotypes.ReportEntry {
	return ginkgotypes.ReportEntry{Name: name, Value: ginkgotypes.WrapEntryValue(v)}
}

func TestFromGinkgo(t *testing.T) {
	t.Parallel()
	diffFile := filepath.Join(t.TempDir(), "send-text.diff")
	if err := os.WriteFile(diffFile, []byte(sampleDiff), 0o644); err != nil {
		t.Fatal(err)
	}
	loc := ginkgotypes.CodeLocation{FileName: "/repo/suites/timjs/c2c_test.go", LineNumber: 61}
	rep := ginkgotypes.Report{
		SuiteLabels: []string{"sdk:tim-js-sdk@2.7.0"},
		SpecReports: ginkgotypes.SpecReports{
			{LeafNodeType: ginkgotypes.NodeTypeIt, ContainerHierarchyTexts: []string{"C2C messages"}, LeafNodeText: "text",
				LeafNodeLabels: []string{"tim/c2c/send-text", "seed:002 §单聊"}, State: ginkgotypes.SpecStateFailed, RunTime: 5 * time.Second,
				Failure:       ginkgotypes.Failure{Message: "\x1b[1mtranscript differs\x1b[0m", Location: loc},
				ReportEntries: ginkgotypes.ReportEntries{entry("transcript", "/out/transcripts/send-text.jsonl"), entry("diff", diffFile), entry("requirement", "Text arrives.")}},
			{LeafNodeType: ginkgotypes.NodeTypeIt, LeafNodeText: "ready", ContainerHierarchyLabels: [][]string{{"sdk:tim-js-sdk@2.10.2"}},
				LeafNodeLabels: []string{"smoke", "case:tim.login.ready"}, State: ginkgotypes.SpecStatePassed, RunTime: time.Second},
			{LeafNodeType: ginkgotypes.NodeTypeIt, LeafNodeText: "offline", LeafNodeLabels: []string{"tim/c2c/offline-unread"},
				State: ginkgotypes.SpecStateSkipped, Failure: ginkgotypes.Failure{Message: "needs the clock", Location: loc}},
			{LeafNodeType: ginkgotypes.NodeTypeIt, LeafNodeText: "create", LeafNodeLabels: []string{"tim/group/create"}, State: ginkgotypes.SpecStatePending},
			{LeafNodeType: ginkgotypes.NodeTypeIt, LeafNodeText: "boom", LeafNodeLabels: []string{"tim/faults/drop"}, State: ginkgotypes.SpecStatePanicked,
				Failure:       ginkgotypes.Failure{Message: "Test Panicked", ForwardedPanic: "runtime error: index out of range", Location: loc},
				ReportEntries: ginkgotypes.ReportEntries{entry("diff", "inline\n-want\n+got"), entry("sdk", "tim-js-sdk@2.9.0")}},
			{LeafNodeType: ginkgotypes.NodeTypeIt, LeafNodeText: "no label", State: ginkgotypes.SpecStatePassed},
			{LeafNodeType: ginkgotypes.NodeTypeBeforeSuite, State: ginkgotypes.SpecStatePassed},
			{LeafNodeType: ginkgotypes.NodeTypeAfterSuite, State: ginkgotypes.SpecStateFailed, Failure: ginkgotypes.Failure{Message: "goroutines leaked"}},
		},
	}
	cases := FromGinkgo(rep, "")
	if len(cases) != 7 {
		t.Fatalf("%d cases: %+v", len(cases), cases)
	}
	c := cases[0]
	if c.ID != "tim/c2c/send-text" || c.Area != "c2c" || c.SDK != "tim-js-sdk@2.7.0" || c.State != Failed || c.Seed != "002 §单聊" ||
		c.Requirement != "Text arrives." || c.Title != "C2C messages text" || c.Duration != 5*time.Second {
		t.Errorf("send-text: %+v", c)
	}
	if c.Failure != "transcript differs" || c.Location != "/repo/suites/timjs/c2c_test.go:61" || c.TranscriptPath != "/out/transcripts/send-text.jsonl" {
		t.Errorf("failure fields: %+v", c)
	}
	if c.DiffPath != diffFile || c.Diff != sampleDiff {
		t.Errorf("diff: %q %q", c.DiffPath, c.Diff)
	}
	if c := cases[1]; c.ID != "tim/login/ready" || c.Area != "login" || c.SDK != "tim-js-sdk@2.10.2" || c.State != Passed || c.Location != "" {
		t.Errorf("ready (container SDK label beats the suite's): %+v", c)
	}
	if c := cases[2]; c.State != Skipped || c.Failure != "needs the clock" {
		t.Errorf("skipped: %+v", c)
	}
	if c := cases[3]; c.State != Pending || c.Area != "group" {
		t.Errorf("pending: %+v", c)
	}
	if c := cases[4]; c.State != Failed || !strings.HasPrefix(c.Failure, "panicked: Test Panicked") || !strings.Contains(c.Failure, "index out of range") ||
		c.Diff != "inline\n-want\n+got" || c.DiffPath != "" || c.SDK != "tim-js-sdk@2.9.0" {
		t.Errorf("panicked: %+v", c)
	}
	if c := cases[5]; c.ID != "no label" || c.Area != "unlabelled" {
		t.Errorf("unlabelled: %+v", c)
	}
	if c := cases[6]; c.ID != "suite/AfterSuite" || c.Area != "suite" || c.State != Failed || c.Failure != "goroutines leaked" {
		t.Errorf("failed setup node: %+v", c)
	}

	var buf bytes.Buffer
	if err := WriteHTML(&buf, Run{Cases: cases}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&buf, Run{Cases: cases}); err != nil {
		t.Fatal(err)
	}
}

func TestNaturalOrderAndAreas(t *testing.T) {
	t.Parallel()
	if !naturalLess("tim-js-sdk@2.7.0", "tim-js-sdk@2.10.2") || naturalLess("tim-js-sdk@2.10.2", "tim-js-sdk@2.7.0") {
		t.Error("natural order")
	}
	for id, want := range map[string]string{"tim/c2c/send-text": "c2c", "tim/group/create": "group", "tim/group/tip-1-join": "tips", "tim/group/notice-4-kicked": "notices", "x": "other", "a/b": "other"} {
		if got := AreaOf(id); got != want {
			t.Errorf("AreaOf(%q) = %q, want %q", id, got, want)
		}
	}
}
