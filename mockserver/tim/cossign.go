package tim

import (
	"time"
)

// im_cos_sign_svr/cos (host yun.tim.qq.com): the temporary keys a client uploads message files
// to the tenant's bucket with. tim-js-sdk 2.x calls it after login when the COS upload plugin is
// registered, with the UserSig (no session), and renews the keys a minute before they expire.

func cosSignRoutes(r routes) error {
	return r.add(authUserSig, map[string]func(*Call) (any, *Error){
		"im_cos_sign_svr/cos": bind(openimBody, cosSign),
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
