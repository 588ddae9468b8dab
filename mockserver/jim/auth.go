package jim

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/imharness/imharness/mockserver/state"
)

// SignatureWindow is how long a c_init signature is accepted after its timestamp.
const SignatureWindow = 10 * time.Minute

// Signature is the auth_payload signature for an app: upper-case hex md5 of
// "appkey=…&timestamp=…&random_str=…&key=<master secret>" (the docs show upper case; both are taken).
func Signature(appKey, timestamp, randomStr, secret string) string {
	sum := md5.Sum([]byte(fmt.Sprintf("appkey=%s&timestamp=%s&random_str=%s&key=%s", appKey, timestamp, randomStr, secret)))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// cInit checks the auth payload and binds the connection to the app.
func cInit(x *call) (map[string]any, error) {
	key := str(x.req, "appkey")
	app, rules := x.c.a.apps.AppByKey(key)
	if app == nil {
		return nil, errf(CodeAppKeyNotExist, "appkey %q is not an app of this server", key)
	}
	ts, rnd, sig := str(x.req, "timestamp"), str(x.req, "random_str"), str(x.req, "signature")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(rnd) < 20 || len(rnd) > 36 || sig == "" {
		return nil, errf(CodeInvalidParam, "auth payload needs timestamp (ms), random_str (20-36 characters) and signature")
	}
	if !strings.EqualFold(sig, Signature(key, ts, rnd, app.Secret())) {
		return nil, errf(CodeSignatureFail, "signature does not match md5(appkey=…&timestamp=…&random_str=…&key=<master secret>)")
	}
	if age := app.Now().Sub(time.UnixMilli(ms)); age > SignatureWindow || age < -SignatureWindow {
		return nil, errf(CodeSignatureExpired, "the signature's timestamp is more than %v away from now", SignatureWindow)
	}
	c := x.c
	c.mu.Lock()
	if c.app != nil && c.app != app && c.user != "" {
		c.mu.Unlock()
		return nil, errf(CodeAlreadyLoggedIn, "this connection is logged in to another app")
	}
	named := c.appKey == key
	c.app, c.rules, c.appKey = app, rules, key
	c.mu.Unlock()
	if !named {
		name := c.a.anonName(key)
		c.mu.Lock()
		if c.user == "" {
			c.name = name
		}
		c.mu.Unlock()
	}
	return map[string]any{}, nil
}

func register(x *call) (map[string]any, error) {
	user, pass := str(x.req, "username"), str(x.req, "password")
	if user == "" || pass == "" || strings.Contains(user, "/") {
		return nil, errf(CodeInvalidParam, "register needs username and password (md5)")
	}
	if err := x.app.Register(user, strings.ToLower(pass), str(x.req, "nickname")); err != nil {
		if errors.Is(err, state.ErrUserExists) {
			return nil, errf(CodeUserExists, "user %q already exists", user)
		}
		return nil, err
	}
	return map[string]any{}, nil
}

func login(x *call) (map[string]any, error) {
	user, pass := str(x.req, "username"), str(x.req, "password")
	if x.user != "" {
		return nil, errf(CodeAlreadyLoggedIn, "this connection is already logged in as %q", x.user)
	}
	if user == "" || pass == "" {
		return nil, errf(CodeInvalidParam, "login needs username and password (md5)")
	}
	switch err := x.app.CheckPassword(user, strings.ToLower(pass)); {
	case errors.Is(err, state.ErrNoUser):
		return nil, errf(CodeUserNotExist, "user %q does not exist", user)
	case errors.Is(err, state.ErrWrongPass):
		return nil, errf(CodeWrongPassword, "wrong password for %q", user)
	case err != nil:
		return nil, err
	}
	c := x.c
	name, old := c.a.bind(c, x.key, user)
	c.mu.Lock()
	c.user, c.name, c.v2 = user, name, str(x.req, "version") != ""
	c.mu.Unlock()
	x.user = user
	ui, _ := x.app.JIMUser(user)
	for _, o := range old { // logged in elsewhere: the old client is told (event 1) and loses its session
		o.mu.Lock()
		o.kicked, o.user = true, ""
		o.mu.Unlock()
		o.push("event_notification", map[string]any{
			"event_id": x.c.a.eventID(), "event_type": 1, "from_uid": 0, "from_username": "", "gid": 0,
			"to_usernames": []any{map[string]any{"username": user, "appkey": x.key}}, "ctime": x.app.Now().Unix(),
			"ctime_ms": x.app.Now().UnixMilli(), "extra": 0, "return_code": 0, "description": "logged in elsewhere",
			"uid": uidNum(ui.UID),
		})
		o.mu.Lock()
		o.name = o.name + "(kicked)"
		o.mu.Unlock()
	}
	return map[string]any{"username": user}, nil
}

// afterLogin hands a v1 client the messages that arrived while it was away (v2 asks with sync_check).
func afterLogin(x *call, _ map[string]any) {
	x.c.mu.Lock()
	v2 := x.c.v2
	x.c.mu.Unlock()
	if v2 {
		return
	}
	msgs := x.app.TakeJIM(x.user)
	if len(msgs) == 0 {
		return
	}
	items := make([]any, 0, len(msgs))
	for _, m := range msgs {
		items = append(items, syncItem(m))
	}
	x.c.push("msg_sync", map[string]any{"messages": items})
}
