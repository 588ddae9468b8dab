package tim

import (
	"fmt"
	"strings"
	"time"
)

// im_cos_sign_svr/cos (host yun.tim.qq.com): the temporary keys a client uploads message files
// to the tenant's bucket with. tim-js-sdk 2.x calls it after login when the COS upload plugin is
// registered, with the UserSig (no session), and renews the keys a minute before they expire.

func cosSignRoutes(r routes) error {
	return r.add(authUserSig, map[string]func(*Call) (any, *Error){
		"im_cos_sign_svr/cos": bind(openimBody, cosSign),
		"im_cos_msg/pre_sig":  bind(openimBody, cosPreSig),
	})
}

// cosKeyLifetime bounds what a client may ask for: the SDKs ask for 300 s.
const (
	cosKeyDefault = 300 * time.Second
	cosKeyMax     = 2 * time.Hour
)

type cosSignReq struct {
	Cmd      string `json:"cmd"`
	SubCmd   string `json:"sub_cmd"`
	Duration int    `json:"duration"`
	Version  int    `json:"version"`
}

// The reply's keys are snake_case: the SDK maps expired_time, bucket_name, session_token,
// tmp_secret_id and tmp_secret_key by name and reads appid, directory and (2.10.x) region as is.
func cosSign(c *Call, req *cosSignReq) (any, error) {
	if req.SubCmd != "" && req.SubCmd != "get_cos_token" {
		return nil, fail(CodeInvalidPacket, "sub_cmd %q: this service answers get_cos_token", req.SubCmd)
	}
	d := time.Duration(req.Duration) * time.Second
	if d <= 0 {
		d = cosKeyDefault
	}
	d = min(d, cosKeyMax)
	b := c.App.Bucket()
	k := c.App.IssueUploadCredential(c.Session.User, d)
	return map[string]any{
		"appid":          b.AppID,
		"bucket_name":    b.Name,
		"region":         b.Region,
		"directory":      b.Directory,
		"download_url":   "https://" + b.Host(),
		"upload_url":     "https://" + b.Host(),
		"ci_url":         "",
		"expired_time":   k.Expires.Unix(),
		"tmp_secret_id":  k.SecretID,
		"tmp_secret_key": k.SecretKey,
		"session_token":  k.SessionToken,
	}, nil
}

// im_cos_msg/pre_sig: tim-js-sdk 2.9.2 and later, with npm tim-upload-plugin registered, ask for
// one presigned PUT URL per file instead of keys: the upload URL carries a COS q-sign signature
// made with a key the server issues for that upload alone, and the download URL is where the
// object will be served.

type cosPreSigReq struct {
	FileType     int    `json:"file_type"`
	FileName     string `json:"file_name"`
	UploadMethod int    `json:"upload_method"`
	Duration     int    `json:"duration"`
}

func cosPreSig(c *Call, req *cosPreSigReq) (any, error) {
	if req.FileName == "" || strings.ContainsAny(req.FileName, "/?#") {
		return nil, fail(CodeInvalidPacket, "file_name %q: want a plain file name", req.FileName)
	}
	d := time.Duration(req.Duration) * time.Second
	if d <= 0 {
		d = cosKeyDefault
	}
	d = min(d, cosKeyMax)
	b := c.App.Bucket()
	key := b.Directory + "/" + req.FileName
	upload, exp := c.App.PresignPut(c.Session.User, key, d)
	return map[string]any{
		"upload_url":   upload,
		"download_url": "https://" + b.Host() + "/" + key,
		"head_url":     "",
		"ci_url":       "",
		"expired_time": exp.Unix(),
		"request_id":   fmt.Sprintf("%d-%s", c.App.ID(), req.FileName),
	}, nil
}
