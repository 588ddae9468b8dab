package cos_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/cos"
	"github.com/imharness/imharness/mockserver/state"
)

// rig is one tenant's bucket behind the COS handler, with a key its client would hold.
type rig struct {
	t    *testing.T
	app  *state.App
	srv  *httptest.Server
	host string
	dir  string
	cred state.UploadCredential
}

func newRig(t *testing.T, limits state.Limits) *rig {
	app := state.NewApp(state.Options{SDKAppID: 1400000010, Secret: "s", Limits: limits})
	srv := httptest.NewServer(cos.New(apps{app}))
	t.Cleanup(srv.Close)
	b := app.Bucket()
	return &rig{t: t, app: app, srv: srv, host: b.Host(), dir: b.Directory, cred: app.IssueUploadCredential("alice", 5*time.Minute)}
}

// enc is cos-js-sdk-v5's camSafeUrlEncode.
func enc(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

func signPairs(m map[string]string) (list, pairs string) {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var ps []string
	for _, k := range names {
		ps = append(ps, strings.ToLower(enc(k))+"="+enc(m[k]))
	}
	return strings.ToLower(strings.Join(names, ";")), strings.Join(ps, "&")
}

// do sends a request signed as cos-js-sdk-v5 signs it: every query parameter and the listed
// headers (content-md5, content-length) in the format string.
func (r *rig) do(method, key string, query map[string]string, body []byte, headers map[string]string) (int, http.Header, string) {
	r.t.Helper()
	signed := map[string]string{}
	if method == http.MethodPut || method == http.MethodPost {
		signed["content-length"] = fmt.Sprint(len(body))
	}
	for k, v := range headers {
		signed[strings.ToLower(k)] = v
	}
	keyTime := fmt.Sprintf("%d;%d", time.Now().Unix()-1, time.Now().Unix()+900)
	qList, qPairs := signPairs(query)
	hList, hPairs := signPairs(signed)
	sum := sha1.Sum([]byte(strings.ToLower(method) + "\n/" + key + "\n" + qPairs + "\n" + hPairs + "\n"))
	sig := hmacHex(hmacHex(r.cred.SecretKey, keyTime), "sha1\n"+keyTime+"\n"+hex.EncodeToString(sum[:])+"\n")
	var raw []string
	for k, v := range query {
		if v == "" {
			raw = append(raw, enc(k))
		} else {
			raw = append(raw, enc(k)+"="+enc(v))
		}
	}
	req, err := http.NewRequest(method, r.srv.URL+cos.PathPrefix+r.host+"/"+key+"?"+strings.Join(raw, "&"), bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("x-cos-security-token", r.cred.SessionToken)
	req.Header.Set("Authorization", "q-sign-algorithm=sha1&q-ak="+r.cred.SecretID+"&q-sign-time="+keyTime+"&q-key-time="+keyTime+
		"&q-header-list="+hList+"&q-url-param-list="+qList+"&q-signature="+sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func (r *rig) initiate(key string) string {
	r.t.Helper()
	code, _, body := r.do(http.MethodPost, key, map[string]string{"uploads": ""}, nil, map[string]string{"Content-Type": "application/pdf"})
	var got struct {
		Bucket   string
		Key      string
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal([]byte(body), &got); code != 200 || err != nil || got.UploadID == "" {
		r.t.Fatalf("InitiateMultipartUpload of %s: %d %s (%v)", key, code, body, err)
	}
	if got.Key != key || got.Bucket != strings.SplitN(r.host, ".", 2)[0] {
		r.t.Fatalf("InitiateMultipartUpload named %s/%s, want %s/%s", got.Bucket, got.Key, r.host, key)
	}
	return got.UploadID
}

func (r *rig) part(key, id string, n int, data []byte) (int, string, string) {
	r.t.Helper()
	code, h, body := r.do(http.MethodPut, key, map[string]string{"partNumber": fmt.Sprint(n), "uploadId": id}, data, nil)
	return code, h.Get("ETag"), body
}

func completeXML(parts ...[2]string) []byte {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for _, p := range parts {
		fmt.Fprintf(&b, "<Part><PartNumber>%s</PartNumber><ETag>%s</ETag></Part>", p[0], p[1])
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

func (r *rig) complete(key, id string, body []byte) (int, string) {
	r.t.Helper()
	sum := md5.Sum(body)
	code, _, msg := r.do(http.MethodPost, key, map[string]string{"uploadId": id}, body,
		map[string]string{"Content-Type": "application/xml", "Content-MD5": base64.StdEncoding.EncodeToString(sum[:])})
	return code, msg
}

func (r *rig) get(key string) (int, []byte, string) {
	res, err := http.Get(r.srv.URL + cos.PathPrefix + r.host + "/" + key)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header.Get("Content-Type")
}

func wantError(t *testing.T, what string, code int, body string, status int, cosCode string) {
	t.Helper()
	if code != status || !strings.Contains(body, "<Code>"+cosCode+"</Code>") {
		t.Errorf("%s: got %d %s, want %d %s", what, code, body, status, cosCode)
	}
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// The whole sliced upload as cos-js-sdk-v5 runs it: list the key's uploads (none), initiate,
// put the parts out of order, list them, complete; the object is the parts joined in order and
// is served back with the type given at initiation. The ETag is COS's multipart form.
func TestMultipartUpload(t *testing.T) {
	r := newRig(t, state.Limits{})
	key := r.dir + "/big.pdf"
	p1, p2, p3 := bytes.Repeat([]byte{1}, state.MinPartSize), bytes.Repeat([]byte{2}, state.MinPartSize), []byte("tail")

	code, _, body := r.do(http.MethodGet, "", map[string]string{"uploads": "", "prefix": key}, nil, nil)
	if code != 200 || strings.Contains(body, "<Upload>") || !strings.Contains(body, "<IsTruncated>false</IsTruncated>") {
		t.Fatalf("ListMultipartUploads before any: %d %s", code, body)
	}
	id := r.initiate(key)
	code, _, body = r.do(http.MethodGet, "", map[string]string{"uploads": "", "prefix": key}, nil, nil)
	if code != 200 || !strings.Contains(body, "<UploadId>"+id+"</UploadId>") || !strings.Contains(body, "<Key>"+key+"</Key>") {
		t.Fatalf("ListMultipartUploads after initiating: %d %s", code, body)
	}
	for _, p := range []struct {
		n    int
		data []byte
	}{{3, p3}, {1, p1}, {2, p2}} {
		code, tag, msg := r.part(key, id, p.n, p.data)
		if code != 200 || tag != `"`+md5hex(p.data)+`"` {
			t.Fatalf("UploadPart %d: %d ETag %s %s", p.n, code, tag, msg)
		}
	}
	code, _, body = r.do(http.MethodGet, key, map[string]string{"uploadId": id}, nil, nil)
	var lp struct {
		IsTruncated bool
		Part        []struct {
			PartNumber, Size int
			ETag             string
		}
	}
	if err := xml.Unmarshal([]byte(body), &lp); code != 200 || err != nil {
		t.Fatalf("ListParts: %d %s", code, body)
	}
	if len(lp.Part) != 3 || lp.Part[0].PartNumber != 1 || lp.Part[2].PartNumber != 3 || lp.Part[2].Size != 4 || lp.Part[1].ETag != `"`+md5hex(p2)+`"` || lp.IsTruncated {
		t.Fatalf("ListParts: %+v", lp)
	}
	code, _, body = r.do(http.MethodGet, key, map[string]string{"uploadId": id, "max-parts": "1", "part-number-marker": "1"}, nil, nil)
	if code != 200 || !strings.Contains(body, "<IsTruncated>true</IsTruncated>") || !strings.Contains(body, "<NextPartNumberMarker>2</NextPartNumberMarker>") || strings.Contains(body, "<PartNumber>3</PartNumber>") {
		t.Fatalf("ListParts page after part 1: %d %s", code, body)
	}

	code, body = r.complete(key, id, completeXML([2]string{"1", `"` + md5hex(p1) + `"`}, [2]string{"2", md5hex(p2)}, [2]string{"3", `"` + md5hex(p3) + `"`}))
	var cr struct {
		Location, Bucket, Key, ETag string
	}
	if err := xml.Unmarshal([]byte(body), &cr); code != 200 || err != nil {
		t.Fatalf("CompleteMultipartUpload: %d %s", code, body)
	}
	whole := append(append(append([]byte{}, p1...), p2...), p3...)
	sums, _ := hex.DecodeString(md5hex(p1) + md5hex(p2) + md5hex(p3))
	if cr.Location != r.host+"/"+key || cr.Key != key || cr.ETag != `"`+md5hex(sums)+`-3"` {
		t.Errorf("CompleteMultipartUpload answered %+v", cr)
	}
	code, got, ctype := r.get(key)
	if code != 200 || !bytes.Equal(got, whole) || ctype != "application/pdf" {
		t.Fatalf("GET the completed object: %d, %d bytes (want %d), %s", code, len(got), len(whole), ctype)
	}
	res, err := http.Head(r.srv.URL + cos.PathPrefix + r.host + "/" + key)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("ETag") != cr.ETag || res.ContentLength != int64(len(whole)) {
		t.Errorf("HEAD the completed object: ETag %s (want the completion's %s), %d bytes", res.Header.Get("ETag"), cr.ETag, res.ContentLength)
	}
	// The upload is over: its id is gone from the listing and takes no more parts.
	code, _, body = r.do(http.MethodGet, "", map[string]string{"uploads": "", "prefix": key}, nil, nil)
	if code != 200 || strings.Contains(body, id) {
		t.Errorf("ListMultipartUploads after completing: %d %s", code, body)
	}
	code, _, body = r.part(key, id, 4, []byte("late"))
	wantError(t, "a part after completion", code, body, 404, "NoSuchUpload")
}

// Bad completions and parts get COS's XML errors and leave the upload as it was: after each
// refusal the right completion still succeeds with every byte.
func TestMultipartRefusalsKeepTheUpload(t *testing.T) {
	r := newRig(t, state.Limits{})
	key := r.dir + "/kept.bin"
	p1, p2 := bytes.Repeat([]byte{'a'}, state.MinPartSize), []byte("end")
	id := r.initiate(key)
	for n, d := range map[int][]byte{1: p1, 2: p2} {
		if code, _, msg := r.part(key, id, n, d); code != 200 {
			t.Fatalf("UploadPart %d: %d %s", n, code, msg)
		}
	}
	e1, e2 := md5hex(p1), md5hex(p2)
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"parts out of order", completeXML([2]string{"2", e2}, [2]string{"1", e1}), 400, "InvalidPartOrder"},
		{"a part listed twice", completeXML([2]string{"1", e1}, [2]string{"1", e1}), 400, "InvalidPartOrder"},
		{"a wrong ETag", completeXML([2]string{"1", e1}, [2]string{"2", e1}), 400, "InvalidPart"},
		{"a part never uploaded", completeXML([2]string{"1", e1}, [2]string{"2", e2}, [2]string{"3", e2}), 400, "InvalidPart"},
		{"no part", completeXML(), 400, "InvalidArgument"},
		{"not XML", []byte("<CompleteMultipartUpload><Part>"), 400, "MalformedXML"},
	} {
		code, msg := r.complete(key, id, tc.body)
		wantError(t, tc.name, code, msg, tc.status, tc.code)
	}
	// A small part before the last one.
	if code, _, msg := r.part(key, id, 5, []byte("small")); code != 200 {
		t.Fatalf("UploadPart 5: %d %s", code, msg)
	}
	code, msg := r.complete(key, id, completeXML([2]string{"2", e2}, [2]string{"5", md5hex([]byte("small"))}))
	wantError(t, "a small part before the last", code, msg, 400, "EntityTooSmall")

	// A Content-MD5 that is not the body's.
	body := completeXML([2]string{"1", e1}, [2]string{"2", e2})
	code, _, msg = r.do(http.MethodPost, key, map[string]string{"uploadId": id}, body, map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(make([]byte, 16))})
	wantError(t, "a wrong Content-MD5", code, msg, 400, "BadDigest")

	for _, tc := range []struct {
		name   string
		method string
		key    string
		query  map[string]string
		status int
		code   string
	}{
		{"an unknown uploadId", http.MethodPut, key, map[string]string{"partNumber": "1", "uploadId": "nope"}, 404, "NoSuchUpload"},
		{"the uploadId of another key", http.MethodPut, r.dir + "/other.bin", map[string]string{"partNumber": "1", "uploadId": id}, 404, "NoSuchUpload"},
		{"part number 0", http.MethodPut, key, map[string]string{"partNumber": "0", "uploadId": id}, 400, "InvalidArgument"},
		{"part number 10001", http.MethodPut, key, map[string]string{"partNumber": "10001", "uploadId": id}, 400, "InvalidArgument"},
		{"a part number that is no number", http.MethodPut, key, map[string]string{"partNumber": "one", "uploadId": id}, 400, "InvalidArgument"},
		{"ListParts of an unknown uploadId", http.MethodGet, key, map[string]string{"uploadId": "nope"}, 404, "NoSuchUpload"},
		{"ListParts with max-parts 0", http.MethodGet, key, map[string]string{"uploadId": id, "max-parts": "0"}, 400, "InvalidArgument"},
		{"completing an unknown uploadId", http.MethodPost, key, map[string]string{"uploadId": "nope"}, 404, "NoSuchUpload"},
		{"aborting an unknown uploadId", http.MethodDelete, key, map[string]string{"uploadId": "nope"}, 404, "NoSuchUpload"},
		{"initiating outside the directory", http.MethodPost, "elsewhere/x.bin", map[string]string{"uploads": ""}, 403, "AccessDenied"},
		{"listing outside the directory", http.MethodGet, "", map[string]string{"uploads": "", "prefix": "elsewhere/"}, 403, "AccessDenied"},
	} {
		code, _, msg := r.do(tc.method, tc.key, tc.query, completeXML([2]string{"1", e1}), nil)
		wantError(t, tc.name, code, msg, tc.status, tc.code)
	}
	// Unsigned and wrongly signed calls.
	res, err := http.Post(r.srv.URL+cos.PathPrefix+r.host+"/"+key+"?uploads", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	wantError(t, "an unsigned InitiateMultipartUpload", res.StatusCode, string(b), 403, "AccessDenied")
	other := *r
	other.cred.SecretKey = "not-the-key"
	code, _, msg = other.part(key, id, 1, p1)
	wantError(t, "a part signed with another secret", code, msg, 403, "SignatureDoesNotMatch")

	// Nothing of the above touched the upload: it completes with both parts.
	code, msg = r.complete(key, id, completeXML([2]string{"1", e1}, [2]string{"2", e2}))
	if code != 200 {
		t.Fatalf("the right completion after the refusals: %d %s", code, msg)
	}
	if code, got, _ := r.get(key); code != 200 || !bytes.Equal(got, append(append([]byte{}, p1...), p2...)) {
		t.Fatalf("GET: %d, %d bytes", code, len(got))
	}
	if _, _, err := r.app.Object(r.dir + "/other.bin"); err == nil {
		t.Error("a refused part created another object")
	}
}

// A part put again replaces the earlier one; an aborted upload's parts are dropped and no
// object appears.
func TestMultipartReplaceAndAbort(t *testing.T) {
	r := newRig(t, state.Limits{MaxUploadBytes: 3 * state.MinPartSize})
	key := r.dir + "/again.bin"
	id := r.initiate(key)
	first, second := bytes.Repeat([]byte{'1'}, state.MinPartSize), bytes.Repeat([]byte{'2'}, state.MinPartSize)
	r.part(key, id, 1, first)
	// The replaced part's bytes are not counted twice against the limit.
	for range 3 {
		if code, _, msg := r.part(key, id, 1, second); code != 200 {
			t.Fatalf("putting part 1 again: %d %s", code, msg)
		}
	}
	code, msg := r.complete(key, id, completeXML([2]string{"1", md5hex(first)}))
	wantError(t, "the replaced part's ETag", code, msg, 400, "InvalidPart")
	code, msg = r.complete(key, id, completeXML([2]string{"1", md5hex(second)}))
	if _, got, _ := r.get(key); code != 200 || !bytes.Equal(got, second) {
		t.Fatalf("completing with the second part: %d %s", code, msg)
	}

	key2 := r.dir + "/dropped.bin"
	id2 := r.initiate(key2)
	r.part(key2, id2, 1, first)
	if code, _, msg := r.do(http.MethodDelete, key2, map[string]string{"uploadId": id2}, nil, nil); code != 204 {
		t.Fatalf("AbortMultipartUpload: %d %s", code, msg)
	}
	code, msg = r.complete(key2, id2, completeXML([2]string{"1", md5hex(first)}))
	wantError(t, "completing an aborted upload", code, msg, 404, "NoSuchUpload")
	if code, _, _ := r.get(key2); code != 404 {
		t.Errorf("GET the aborted upload's key: %d, want 404", code)
	}
}

// Parts in progress count against the tenant's upload limit: the part that would pass it is
// refused with a COS error naming the limit, the parts before it stay, and once an upload ends
// (completed or aborted) its bytes no longer count as in progress.
func TestMultipartTenantUploadLimit(t *testing.T) {
	r := newRig(t, state.Limits{MaxUploadBytes: 2*state.MinPartSize + 10})
	a, b := r.dir+"/a.bin", r.dir+"/b.bin"
	ida, idb := r.initiate(a), r.initiate(b)
	part := bytes.Repeat([]byte{'p'}, state.MinPartSize)
	if code, _, msg := r.part(a, ida, 1, part); code != 200 {
		t.Fatalf("part 1 of a: %d %s", code, msg)
	}
	if code, _, msg := r.part(b, idb, 1, part); code != 200 {
		t.Fatalf("part 1 of b: %d %s", code, msg)
	}
	code, _, msg := r.part(a, ida, 2, []byte("0123456789x"))
	wantError(t, "a part past the tenant's limit", code, msg, 400, "EntityTooLarge")
	if !strings.Contains(msg, "upload limit") {
		t.Errorf("the refusal does not name the limit: %s", msg)
	}
	// A single PUT over the limit is refused too, not stored and evicted at once.
	code, _, msg = r.do(http.MethodPut, r.dir+"/huge.bin", nil, bytes.Repeat([]byte{'h'}, 2*state.MinPartSize+11), nil)
	wantError(t, "a PUT past the tenant's limit", code, msg, 400, "EntityTooLarge")

	if code, _, msg := r.do(http.MethodDelete, b, map[string]string{"uploadId": idb}, nil, nil); code != 204 {
		t.Fatalf("abort b: %d %s", code, msg)
	}
	if code, _, msg := r.part(a, ida, 2, []byte("0123456789x")); code != 200 {
		t.Fatalf("part 2 of a after b was aborted: %d %s", code, msg)
	}
	code, msg = r.complete(a, ida, completeXML([2]string{"1", md5hex(part)}, [2]string{"2", md5hex([]byte("0123456789x"))}))
	if code != 200 {
		t.Fatalf("complete a: %d %s", code, msg)
	}
	if code, got, _ := r.get(a); code != 200 || len(got) != state.MinPartSize+11 {
		t.Fatalf("GET a: %d, %d bytes", code, len(got))
	}
	// a's bytes are stored now, not in progress: a new upload may put a part again.
	idc := r.initiate(r.dir + "/c.bin")
	if code, _, msg := r.part(r.dir+"/c.bin", idc, 1, part); code != 200 {
		t.Fatalf("a part of a new upload after a completed: %d %s", code, msg)
	}
}

// An expired key refuses every multipart call with ExpiredToken.
func TestMultipartExpiredKey(t *testing.T) {
	clock := state.NewClock()
	app := state.NewApp(state.Options{SDKAppID: 1400000011, Secret: "s", Clock: clock})
	srv := httptest.NewServer(cos.New(apps{app}))
	defer srv.Close()
	r := &rig{t: t, app: app, srv: srv, host: app.Bucket().Host(), dir: app.Bucket().Directory, cred: app.IssueUploadCredential("alice", time.Minute)}
	key := r.dir + "/late.bin"
	id := r.initiate(key)
	clock.Advance(2 * time.Minute)
	code, _, msg := r.part(key, id, 1, []byte("x"))
	wantError(t, "a part with an expired key", code, msg, 400, "ExpiredToken")
	code, msg = r.complete(key, id, completeXML([2]string{"1", md5hex([]byte("x"))}))
	wantError(t, "a completion with an expired key", code, msg, 400, "ExpiredToken")
}

// An object is at most 20 MiB however it is uploaded, and a tenant keeps at most
// MaxMultipartUploads uploads in progress: both refusals are COS errors, and ending an upload
// makes room for another.
func TestMultipartBounds(t *testing.T) {
	r := newRig(t, state.Limits{})
	key := r.dir + "/bounded.bin"
	id := r.initiate(key)
	if code, _, msg := r.part(key, id, 1, make([]byte, 20<<20)); code != 200 {
		t.Fatalf("a 20 MiB part: %d %s", code, msg)
	}
	code, _, msg := r.part(key, id, 2, []byte("one byte too many"))
	wantError(t, "a part past 20 MiB", code, msg, 400, "EntityTooLarge")

	for i := 1; i < state.MaxMultipartUploads; i++ {
		r.initiate(fmt.Sprintf("%s/u%d", r.dir, i))
	}
	code, _, msg = r.do(http.MethodPost, r.dir+"/one-more", map[string]string{"uploads": ""}, nil, nil)
	wantError(t, "an upload past the most in progress", code, msg, 400, "InvalidRequest")
	if code, _, msg := r.do(http.MethodDelete, key, map[string]string{"uploadId": id}, nil, nil); code != 204 {
		t.Fatalf("abort: %d %s", code, msg)
	}
	r.initiate(r.dir + "/one-more")
	if n := r.app.MultipartUploadsInProgress(r.dir + "/"); n != state.MaxMultipartUploads {
		t.Errorf("%d uploads in progress, want %d", n, state.MaxMultipartUploads)
	}
}
