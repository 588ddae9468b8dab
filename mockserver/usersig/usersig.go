// Package usersig generates and verifies Tencent Cloud IM UserSigs (TLS sig v2).
//
// A UserSig is the JSON document {"TLS.ver":"2.0","TLS.identifier",…,"TLS.sig"} deflated with zlib,
// base64-encoded and made URL-safe (+→*, /→-, =→_). TLS.sig is base64(HMAC-SHA256(secret, content))
// over the newline-terminated "TLS.<key>:<value>" lines. The npm package tls-sig-api-v2 is the
// reference; the tests cross-check against it.
package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Error codes the real service answers for a bad UserSig.
const (
	CodeExpired            = 70001
	CodeMalformed          = 70003
	CodeIdentifierMismatch = 70013
	CodeSDKAppIDMismatch   = 70014
)

// Error is a verification failure with the service's error code.
type Error struct {
	Code int
	Info string
}

func (e *Error) Error() string { return fmt.Sprintf("usersig: %s (%d)", e.Info, e.Code) }

// Sig is the decoded document.
type Sig struct {
	Ver        string `json:"TLS.ver"`
	Identifier string `json:"TLS.identifier"`
	SDKAppID   int64  `json:"TLS.sdkappid"`
	Expire     int64  `json:"TLS.expire"`
	Time       int64  `json:"TLS.time"`
	UserBuf    string `json:"TLS.userbuf,omitempty"`
	Sig        string `json:"TLS.sig"`
}

// ExpiresAt is the instant the sig stops being valid.
func (s Sig) ExpiresAt() time.Time { return time.Unix(s.Time+s.Expire, 0) }

var urlSafe = strings.NewReplacer("+", "*", "/", "-", "=", "_")
var urlUnsafe = strings.NewReplacer("*", "+", "-", "/", "_", "=")

func hmacSig(secret string, s Sig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "TLS.identifier:%s\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:%d\n", s.Identifier, s.SDKAppID, s.Time, s.Expire)
	if s.UserBuf != "" {
		fmt.Fprintf(&b, "TLS.userbuf:%s\n", s.UserBuf)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Generate makes a UserSig valid from now for expire.
func Generate(sdkappid int64, secret, identifier string, expire time.Duration, now time.Time) (string, error) {
	s := Sig{Ver: "2.0", Identifier: identifier, SDKAppID: sdkappid, Time: now.Unix(), Expire: int64(expire / time.Second)}
	s.Sig = hmacSig(secret, s)
	doc, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	if _, err := w.Write(doc); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return urlSafe.Replace(base64.StdEncoding.EncodeToString(z.Bytes())), nil
}

// Decode parses a UserSig without checking its signature.
func Decode(usersig string) (Sig, error) {
	var s Sig
	if usersig == "" {
		return s, errors.New("empty usersig")
	}
	raw, err := base64.StdEncoding.DecodeString(urlUnsafe.Replace(usersig))
	if err != nil {
		return s, fmt.Errorf("base64: %w", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return s, fmt.Errorf("zlib: %w", err)
	}
	defer zr.Close()
	doc, err := io.ReadAll(io.LimitReader(zr, 64<<10))
	if err != nil {
		return s, fmt.Errorf("zlib: %w", err)
	}
	// TLS.sdkappid and friends are numbers in v2 but some generators emit strings; accept both.
	var loose map[string]any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&loose); err != nil {
		return s, fmt.Errorf("json: %w", err)
	}
	str := func(k string) string {
		switch v := loose[k].(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		}
		return ""
	}
	num := func(k string) (int64, error) { return strconv.ParseInt(str(k), 10, 64) }
	s.Ver, s.Identifier, s.UserBuf, s.Sig = str("TLS.ver"), str("TLS.identifier"), str("TLS.userbuf"), str("TLS.sig")
	if s.SDKAppID, err = num("TLS.sdkappid"); err != nil {
		return s, errors.New("TLS.sdkappid missing or not a number")
	}
	if s.Time, err = num("TLS.time"); err != nil {
		return s, errors.New("TLS.time missing or not a number")
	}
	if s.Expire, err = num("TLS.expire"); err != nil {
		return s, errors.New("TLS.expire missing or not a number")
	}
	if s.Sig == "" {
		return s, errors.New("TLS.sig missing")
	}
	return s, nil
}

// Verify checks usersig for identifier in sdkappid at now. It returns *Error with the service's code.
func Verify(usersig, secret string, sdkappid int64, identifier string, now time.Time) (Sig, error) {
	s, err := Decode(usersig)
	if err != nil {
		return s, &Error{CodeMalformed, "usersig malformed: " + err.Error()}
	}
	// App and identifier first: a sig made for another app (with another key) should say so, not "bad signature".
	if s.SDKAppID != sdkappid {
		return s, &Error{CodeSDKAppIDMismatch, "usersig was made for another sdkappid"} // no numbers: tenants differ run to run
	}
	if s.Identifier != identifier {
		return s, &Error{CodeIdentifierMismatch, fmt.Sprintf("usersig identifier %q does not match %q", s.Identifier, identifier)}
	}
	if !hmac.Equal([]byte(hmacSig(secret, s)), []byte(s.Sig)) {
		return s, &Error{CodeMalformed, "usersig signature does not verify with this app's key"}
	}
	if !now.Before(s.ExpiresAt()) {
		return s, &Error{CodeExpired, fmt.Sprintf("usersig expired (valid for %ds from TLS.time)", s.Expire)}
	}
	return s, nil
}
