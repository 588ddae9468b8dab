package cos_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/cos"
	"github.com/imharness/imharness/mockserver/state"
)

type apps struct{ a *state.App }

func (x apps) AppByBucketHost(h string) *state.App {
	if x.a.Bucket().Host() == h {
		return x.a
	}
	return nil
}

func hmacHex(k, m string) string {
	h := hmac.New(sha1.New, []byte(k))
	h.Write([]byte(m))
	return hex.EncodeToString(h.Sum(nil))
}

// put signs a PUT of body to key as cos-js-sdk does (content-length and content-type signed).
func put(t *testing.T, srv *httptest.Server, host, key string, body []byte, c state.UploadCredential, tamper func(*http.Request)) (int, string) {
	t.Helper()
	keyTime := fmt.Sprintf("%d;%d", time.Now().Unix()-1, time.Now().Unix()+900)
	format := fmt.Sprintf("put\n/%s\n\ncontent-length=%d&content-type=image%%2Fpng\n", key, len(body))
	sum := sha1.Sum([]byte(format))
	sig := hmacHex(hmacHex(c.SecretKey, keyTime), "sha1\n"+keyTime+"\n"+hex.EncodeToString(sum[:])+"\n")
	req, _ := http.NewRequest(http.MethodPut, srv.URL+cos.PathPrefix+host+"/"+key, bytes.NewReader(body))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("x-cos-security-token", c.SessionToken)
	req.Header.Set("Authorization", "q-sign-algorithm=sha1&q-ak="+c.SecretID+"&q-sign-time="+keyTime+"&q-key-time="+keyTime+
		"&q-header-list=content-length;content-type&q-url-param-list=&q-signature="+sig)
	if tamper != nil {
		tamper(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestPutGetAndRefusals(t *testing.T) {
	clock := state.NewClock()
	app := state.NewApp(state.Options{SDKAppID: 1400000001, Secret: "s", Clock: clock})
	srv := httptest.NewServer(cos.New(apps{app}))
	defer srv.Close()
	b := app.Bucket()
	host, key := b.Host(), b.Directory+"/alice-bob-1-a.png"
	c := app.IssueUploadCredential("alice", 5*time.Minute)
	body := []byte("\x89PNG fake bytes")

	if code, msg := put(t, srv, host, key, body, c, nil); code != 200 {
		t.Fatalf("PUT: %d %s", code, msg)
	}
	res, err := http.Get(srv.URL + cos.PathPrefix + host + "/" + key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, body) || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET: %d %q %q", res.StatusCode, got, res.Header.Get("Content-Type"))
	}
	if sum := md5.Sum(body); res.Header.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("GET: ETag %s, want the body's MD5", res.Header.Get("ETag"))
	}

	other := c
	other.SecretKey = "not-the-key"
	for _, tc := range []struct {
		name   string
		host   string
		key    string
		cred   state.UploadCredential
		tamper func(*http.Request)
		status int
		code   string
	}{
		{"unknown bucket", "nobody-1250000000.cos.ap-shanghai.myqcloud.com", key, c, nil, 404, "NoSuchBucket"},
		{"no signature", host, key, c, func(r *http.Request) { r.Header.Del("Authorization") }, 403, "AccessDenied"},
		{"key never issued", host, key, state.UploadCredential{SecretID: "AKIDnope", SecretKey: "x", SessionToken: c.SessionToken}, nil, 403, "InvalidAccessKeyId"},
		{"wrong token", host, key, c, func(r *http.Request) { r.Header.Set("x-cos-security-token", "other") }, 400, "InvalidToken"},
		{"wrong secret", host, key, other, nil, 403, "SignatureDoesNotMatch"},
		{"body changed after signing", host, key, c, func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("xx")); r.ContentLength = 2 }, 403, "SignatureDoesNotMatch"},
		{"outside the directory", host, "elsewhere/a.png", c, nil, 403, "AccessDenied"},
		{"part of an upload never initiated", host, key, c, func(r *http.Request) { r.URL.RawQuery = "partNumber=1&uploadId=u" }, 404, "NoSuchUpload"},
		{"a sub-resource", host, key, c, func(r *http.Request) { r.URL.RawQuery = "acl" }, 501, "NotImplemented"},
	} {
		code, msg := put(t, srv, tc.host, tc.key, body, tc.cred, tc.tamper)
		if code != tc.status || !strings.Contains(msg, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%s: got %d %s, want %d %s", tc.name, code, msg, tc.status, tc.code)
		}
	}

	clock.Advance(6 * time.Minute)
	if code, msg := put(t, srv, host, key, body, c, nil); code != 400 || !strings.Contains(msg, "ExpiredToken") {
		t.Errorf("expired key: %d %s", code, msg)
	}
	res, _ = http.Get(srv.URL + cos.PathPrefix + host + "/" + b.Directory + "/missing.png")
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("GET of a missing object: %d", res.StatusCode)
	}
}

// Objects share the tenant's upload store: past MaxUploadBytes the oldest is evicted.
func TestObjectsAreBoundedByTheUploadLimit(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1400000002, Secret: "s", Limits: state.Limits{MaxUploadBytes: 100}})
	srv := httptest.NewServer(cos.New(apps{app}))
	defer srv.Close()
	b := app.Bucket()
	c := app.IssueUploadCredential("alice", time.Minute)
	for i := range 3 {
		if code, msg := put(t, srv, b.Host(), fmt.Sprintf("%s/f%d", b.Directory, i), bytes.Repeat([]byte{'x'}, 40), c, nil); code != 200 {
			t.Fatalf("PUT %d: %d %s", i, code, msg)
		}
	}
	if _, _, err := app.Object(b.Directory + "/f0"); err == nil {
		t.Error("the oldest object outlived the upload limit")
	}
	for _, k := range []string{"f1", "f2"} {
		if _, _, err := app.Object(b.Directory + "/" + k); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// A presigned PUT URL (the state's PresignPut, what im_cos_msg/pre_sig hands out) needs no
// header; it is bound to its key, and another query parameter is still refused.
func TestPresignedPut(t *testing.T) {
	app := state.NewApp(state.Options{SDKAppID: 1400000003, Secret: "s"})
	srv := httptest.NewServer(cos.New(apps{app}))
	defer srv.Close()
	b := app.Bucket()
	signed, _ := app.PresignPut("alice", b.Directory+"/p.png", time.Minute)
	local := srv.URL + cos.PathPrefix + strings.TrimPrefix(signed, "https://")
	do := func(u string) int {
		req, _ := http.NewRequest(http.MethodPut, u, strings.NewReader("bytes"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := do(local); code != 200 {
		t.Fatalf("presigned PUT: %d", code)
	}
	if got, _, err := app.Object(b.Directory + "/p.png"); err != nil || string(got) != "bytes" {
		t.Fatalf("stored %q %v", got, err)
	}
	if code := do(strings.Replace(local, "/p.png?", "/other.png?", 1)); code != 403 {
		t.Errorf("the URL put to another key: %d, want 403", code)
	}
	if code := do(local + "&partNumber=1"); code != 501 {
		t.Errorf("a sub-resource: %d, want 501", code)
	}
}
