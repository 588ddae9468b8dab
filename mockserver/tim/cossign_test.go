package tim_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/mockserver/usersig"
)

// im_cos_sign_svr/cos answers the tenant's bucket and a key pair to a valid UserSig (the SDK
// sends it as userSig, with no session), and refuses a bad one with the UserSig codes.
func TestCOSSign(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: time.Second})
	sig, err := usersig.Generate(appID, secret, "alice", time.Hour, f.app.Now())
	if err != nil {
		t.Fatal(err)
	}
	body := `{"cmd":"open_im_cos_svc","sub_cmd":"get_cos_token","duration":300,"version":2}`
	r := f.post("/v4/im_cos_sign_svr/cos", fmt.Sprintf("sdkappid=%d&identifier=alice&userSig=%s", appID, sig), body)
	if *r.ErrorCode != 0 {
		t.Fatalf("cos sign: %v", r.raw)
	}
	b := f.app.Bucket()
	for k, want := range map[string]any{"bucket_name": b.Name, "appid": float64(b.AppID), "region": b.Region, "directory": b.Directory} {
		if r.raw[k] != want {
			t.Errorf("%s = %v, want %v", k, r.raw[k], want)
		}
	}
	if exp, now := r.raw["expired_time"].(float64), f.app.Now().Unix(); int64(exp) < now+299 || int64(exp) > now+300 {
		t.Errorf("expired_time %v, want now+300 (%d)", exp, now+300)
	}
	for _, k := range []string{"tmp_secret_id", "tmp_secret_key", "session_token"} {
		if s, _ := r.raw[k].(string); s == "" {
			t.Errorf("%s is empty", k)
		}
	}
	bad := f.post("/v4/im_cos_sign_svr/cos", fmt.Sprintf("sdkappid=%d&identifier=bob&userSig=%s", appID, sig), body)
	if *bad.ErrorCode != usersig.CodeIdentifierMismatch {
		t.Errorf("another user's UserSig: %v", bad.raw)
	}
}

// Image elements are relayed with their documented fields: tim-js-sdk 2.x adds "Url" (the
// sender's blob: URL) and "InstanceId" to each ImageInfoArray item.
func TestImageElemKeepsDocumentedFields(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: time.Second})
	alice, bob := f.login("alice"), f.login("bob")
	content := `{"ImageFormat":"png","UUID":"u1","ImageInfoArray":[{"InstanceId":1,"Type":3,"Size":86,"Width":7,"Height":5,"URL":"https://b/k.png","Url":"blob:nodedata:x"}]}`
	r := f.post("/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","MsgSeq":1,"MsgRandom":2,"MsgBody":[{"MsgType":"TIMImageElem","MsgContent":`+content+`}]}`)
	if *r.ErrorCode != 0 {
		t.Fatalf("sendmsg: %v", r.raw)
	}
	resp, err := http.Post(f.srv.URL+"/v4/openim/getmsg?"+bob.q(), "application/json", strings.NewReader(`{"Cookie":""}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	want := `"MsgContent":{"UUID":"u1","ImageFormat":"png","ImageInfoArray":[{"Type":3,"Size":86,"Width":7,"Height":5,"URL":"https://b/k.png"}]}`
	if !strings.Contains(string(got), want) {
		t.Errorf("getmsg does not carry %s:\n%s", want, got)
	}
	bad := f.post("/v4/openim/sendmsg", alice.q(), `{"To_Account":"bob","MsgSeq":2,"MsgRandom":3,"MsgBody":[{"MsgType":"TIMImageElem","MsgContent":{"ImageInfoArray":3}}]}`)
	if *bad.ErrorCode != tim.CodeBadMsgBody {
		t.Errorf("ImageInfoArray 3: %v", bad.raw)
	}
}

// im_cos_msg/pre_sig answers a presigned PUT URL and the download URL of one file in the tenant's
// bucket directory; a file name that is a path is refused.
func TestCOSPreSig(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: time.Second})
	sig, err := usersig.Generate(appID, secret, "alice", time.Hour, f.app.Now())
	if err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf("sdkappid=%d&identifier=alice&userSig=%s&platform=7", appID, sig)
	r := f.post("/v4/im_cos_msg/pre_sig", q, `{"file_type":1,"file_name":"abc-1","upload_method":0,"Duration":900}`)
	if *r.ErrorCode != 0 {
		t.Fatalf("pre_sig: %v", r.raw)
	}
	b := f.app.Bucket()
	obj := "https://" + b.Host() + "/" + b.Directory + "/abc-1"
	if r.raw["download_url"] != obj {
		t.Errorf("download_url %v, want %s", r.raw["download_url"], obj)
	}
	if up, _ := r.raw["upload_url"].(string); !strings.HasPrefix(up, obj+"?q-sign-algorithm=sha1&q-ak=") || !strings.Contains(up, "&x-cos-security-token=") {
		t.Errorf("upload_url %q", up)
	}
	if bad := f.post("/v4/im_cos_msg/pre_sig", q, `{"file_name":"../x"}`); *bad.ErrorCode != tim.CodeInvalidPacket {
		t.Errorf("a path as file_name: %v", bad.raw)
	}
}
