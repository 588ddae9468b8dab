package recorder

// JIMRules normalise the volatile fields of JMessage traffic: request ids, message and event ids,
// uids, times, the auth payload's random parts, upload tokens and the tenant's appkey.
func JIMRules() Rules {
	jim := []string{"jim/*"}
	return Rules{
		{Name: "tenant", Field: "app", Action: ActionRenumber, Class: "sdkappid"},
		{Name: "appkey", Keys: []string{"appkey", "from_appkey", "target_appkey"}, Commands: jim, Action: ActionRenumber, Class: "appkey"},
		{Name: "rid", Key: "rid", Commands: jim, Action: ActionRenumber, Class: "rid"},
		{Name: "msg id", Keys: []string{"msg_id"}, Commands: jim, Action: ActionRenumber, Class: "msgid"},
		{Name: "msg ids", Path: "**.msgid_list[*]", Commands: jim, Action: ActionRenumber, Class: "msgid"},
		{Name: "event id", Key: "event_id", Commands: jim, Action: ActionRenumber, Class: "eventid"},
		{Name: "uid", Keys: []string{"uid", "from_uid"}, Commands: jim, Action: ActionRenumber, Class: "uid"},
		{Name: "times", Keys: []string{"ctime_ms", "ctime", "create_time", "mtime", "utime", "timestamp"}, Commands: jim,
			Action: ActionMask, Class: "time"},
		{Name: "auth", Key: "random_str", Commands: jim, Action: ActionMask},
		{Name: "auth", Key: "signature", Commands: jim, Action: ActionMask},
		{Name: "upload token", Key: "uptoken", Commands: jim, Action: ActionMask},
		{Name: "media url", Key: "url", Commands: jim, Pattern: `^(http://[^/]+)/jim/media/([0-9a-f]{24})/`, Classes: []string{"host", "appkey"}, Action: ActionRenumber},
	}
}
