package jim

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/imharness/imharness/mockserver/state"
)

// str is the first of the keys that holds a non-empty string (numbers are written out: v1 sends
// gids as strings, v2 as numbers).
func str(req map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := req[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case float64:
			if v == math.Trunc(v) {
				return strconv.FormatInt(int64(v), 10)
			}
			return strconv.FormatFloat(v, 'f', -1, 64)
		case json.Number:
			return v.String()
		}
	}
	return ""
}

// num parses a numeric field (number or numeric string).
func num(req map[string]any, key string) (int64, bool) {
	s := str(req, key)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// gidNum writes a gid as the number JMessage clients expect (text when it is not numeric, as for
// groups made by another protocol).
func gidNum(gid string) any {
	if n, err := strconv.ParseInt(gid, 10, 64); err == nil {
		return n
	}
	return gid
}

// uidNum turns a shared-state TinyId into a JMessage uid: a number the browser can hold exactly.
func uidNum(tinyID string) int64 {
	if len(tinyID) > 9 {
		tinyID = tinyID[len(tinyID)-9:]
	}
	n, _ := strconv.ParseInt(tinyID, 10, 64)
	return n
}

// member is a user named in a request: a username in v1 lists, {username, appkey} in v2 lists.
type member struct {
	User   string
	AppKey string
}

func members(req map[string]any, key, ownKey string) []member {
	list, _ := req[key].([]any)
	var out []member
	for _, v := range list {
		switch m := v.(type) {
		case string:
			out = append(out, member{User: m, AppKey: ownKey})
		case map[string]any:
			k := str(m, "appkey")
			if k == "" {
				k = ownKey
			}
			out = append(out, member{User: str(m, "username"), AppKey: k})
		}
	}
	return out
}

// localID is how a user of appKey is named inside the tenant ownKey: the username itself for its
// own users, "<appkey>/<username>" for another app's (JMessage usernames cannot contain '/').
func localID(ownKey string, m member) string {
	if m.AppKey == ownKey || m.AppKey == "" {
		return m.User
	}
	return m.AppKey + "/" + m.User
}

// fromLocal splits a tenant-local id back into the member.
func fromLocal(ownKey, id string) member {
	if k, u, ok := strings.Cut(id, "/"); ok {
		return member{User: u, AppKey: k}
	}
	return member{User: id, AppKey: ownKey}
}

// userInfo is the user_info / member / black_list entry shape.
func userInfo(ui state.UserInfo, appKey string) map[string]any {
	return map[string]any{
		"username": ui.User, "appkey": appKey, "nickname": ui.Nick, "avatar": ui.Avatar, "birthday": "",
		"gender": ui.Gender, "signature": ui.Signature, "region": ui.Region, "address": "", "mtime": ui.MTime,
		"uid": uidNum(ui.UID),
	}
}

// appName says which app a message is about without its appkey (which differs per tenant):
// "this app" or "another app".
func appName(own, key string) string {
	if key == "" || key == own {
		return "this app"
	}
	return "another app"
}
