package tim

import "github.com/imharness/imharness/mockserver/state"

// group_open_http_svc: placeholder until the group model lands.

func init() {
	register(authSession, map[string]func(*Call) (any, *Error){
		"group_open_http_svc/get_joined_group_list": getJoinedGroupList,
		"group_open_http_svc/get_pendency":          getGroupPendency,
	})
}

func getJoinedGroupList(c *Call) (any, *Error) {
	return map[string]any{"TotalCount": 0, "GroupIdList": []any{}}, nil
}

func getGroupPendency(c *Call) (any, *Error) {
	return map[string]any{"PendencyList": []any{}, "NextStartTime": 0, "TotalPendencyNum": 0}, nil
}

func groupEventOut(e state.Event) ([]byte, bool) { return nil, false }
