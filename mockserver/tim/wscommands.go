package tim

import "errors"

// Commands the WebSocket generation (tim-js-sdk 2.13+, @tencentcloud/chat 3.x) sends that the
// long-polling SDKs never did, answered from the tenant's state. Features this server does not
// model (conversation groups, per-peer mute, remote SDK config, purchased features) answer what a
// tenant that never used them has: empty lists, no config.

func wsRoutes(r routes) error {
	return errors.Join(r.add(authApp, map[string]func(*Call) (any, *Error){
		"imopenstat/tim_web_report_v2":                  telemetry,
		"im_sdk_config_mgr/fetch_config":                noRemoteConfig,
		"im_sdk_config_mgr/fetch_imsdk_purchase_bitsv2": noRemoteConfig,
	}), r.add(authSession, map[string]func(*Call) (any, *Error){
		"recentcontact/get_contact_group":                   contactGroups,
		"recentcontact/search_contact_group":                searchContactGroups,
		"openim/get_c2c_peer_mute_notifications":            peerMuteNotifications,
		"million_group_open_http_svc/get_joined_group_list": noCommunityGroups,
		"sns/friend_get":                                    friendGet,
		"sns/group_get":                                     friendGroups,
	}), r.add(authSessionOrAdmin, map[string]func(*Call) (any, *Error){
		// The group profile with the caller's own membership (SelfInfo): get_group_info answers both.
		"group_open_http_svc/get_group_self_member_info": bind(groupBody, getGroupInfo),
	}))
}

// noRemoteConfig: the SDK keeps its built-in defaults when the reply carries no config.
func noRemoteConfig(c *Call) (any, *Error) { return nil, nil }

// contactGroups pages the user's conversation groups (there are none): CompleteFlag 1 ends paging.
func contactGroups(c *Call) (any, *Error) {
	return map[string]any{"CompleteFlag": 1, "NextStartIndex": 0, "GroupItem": []any{}, "ContactItem": []any{}}, nil
}

func searchContactGroups(c *Call) (any, *Error) {
	return map[string]any{"ContactItem": []any{}}, nil
}

func peerMuteNotifications(c *Call) (any, *Error) {
	return map[string]any{"MuteNotificationsList": []any{}, "UpdateSeq": 0}, nil
}

// noCommunityGroups: this server has no community (million-member) groups.
func noCommunityGroups(c *Call) (any, *Error) {
	return map[string]any{"TotalCount": 0, "GroupIdList": []any{}}, nil
}

// friendGet is the paged friend list of the WebSocket generation (friend_get_all's successor).
func friendGet(c *Call) (any, *Error) {
	type item struct {
		To_Account string        `json:"To_Account"`
		ValueItem  []profileItem `json:"ValueItem"`
	}
	list := []item{}
	for _, f := range c.App.Friends(c.Session.User) {
		list = append(list, item{f.User, friendSNSItems(f)})
	}
	return map[string]any{"FriendNum": len(list), "UserDataItem": list, "CompleteFlag": 1,
		"NextStartIndex": 0, "StandardSequence": 0, "CustomSequence": 0}, nil
}

// friendGroups: friend groups are not modelled, so the user has none.
func friendGroups(c *Call) (any, *Error) {
	return map[string]any{"ResultItem": []any{}, "CurrentSequence": 0}, nil
}
