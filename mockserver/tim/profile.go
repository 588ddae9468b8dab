package tim

import (
	"errors"
	"sort"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim/profiletag"
)

func profileRoutes(r routes) error {
	return errors.Join(
		r.add(authSession, map[string]func(*Call) (any, *Error){
			"profile/portrait_get_all": bind(openimBody, portraitGetAll),
			"profile/portrait_get":     bind(openimBody, portraitGetAll),
			"profile/portrait_set":     bind(openimBody, portraitSet),
			"sns/friend_get_all":       friendGetAll,
			"sns/black_list_get":       blackListGet,
		}),
	)
}

type profileItem struct {
	Tag   string `json:"Tag"`
	Value any    `json:"Value"`
}

// profileOut is the wire item of a domain profile item (Tag_Profile_* names and values).
func profileOut(it state.ProfileItem) profileItem {
	tag, v := profiletag.Out(it)
	return profileItem{tag, v}
}

// profileIn is the domain item of a wire one.
func profileIn(it profileItem) state.ProfileItem { return profiletag.In(it.Tag, it.Value) }

// codeAccountNotFound is the per-user ResultCode for an unknown account.
const codeAccountNotFound = 40003

type portraitGetAllReq struct {
	UserItem   []struct{ To_Account string }
	To_Account []string // webim.js 1.x shape
	TagList    []string
}

func portraitGetAll(c *Call, req *portraitGetAllReq) (any, error) {
	ids := req.To_Account
	for _, it := range req.UserItem {
		ids = append(ids, it.To_Account)
	}
	type userProfile struct {
		To_Account  string        `json:"To_Account"`
		ResultCode  int           `json:"ResultCode"`
		ResultInfo  string        `json:"ResultInfo"`
		ProfileItem []profileItem `json:"ProfileItem"`
	}
	want := map[string]bool{}
	for _, t := range req.TagList {
		want[t] = true
	}
	out := []userProfile{}
	failed := []string{}
	for _, id := range ids {
		items, ok := c.App.Profile(id)
		if !ok {
			out = append(out, userProfile{To_Account: id, ResultCode: codeAccountNotFound, ResultInfo: "account not found", ProfileItem: []profileItem{}})
			failed = append(failed, id)
			continue
		}
		up := userProfile{To_Account: id, ProfileItem: []profileItem{}}
		for _, it := range items {
			if w := profileOut(it); len(want) == 0 || want[w.Tag] {
				up.ProfileItem = append(up.ProfileItem, w)
			}
		}
		sort.Slice(up.ProfileItem, func(i, j int) bool { return up.ProfileItem[i].Tag < up.ProfileItem[j].Tag })
		out = append(out, up)
	}
	resp := map[string]any{"UserProfileItem": out}
	if len(failed) > 0 {
		// webim.js turns a non-empty Fail_Account into its own error 99999 (tim-js-sdk ignores it).
		resp["Fail_Account"] = failed
	}
	return resp, nil
}

type portraitSetReq struct {
	ProfileItem []profileItem
}

func portraitSet(c *Call, req *portraitSetReq) (any, error) {
	items := make([]state.ProfileItem, 0, len(req.ProfileItem))
	for i, it := range req.ProfileItem {
		if it.Tag == "" {
			return nil, fail(CodeMissingField, "ProfileItem[%d].Tag is missing", i)
		}
		items = append(items, profileIn(it))
	}
	if err := c.App.SetProfileFrom(c.Session.Instance, c.Session.User, items); err != nil {
		return nil, err
	}
	return nil, nil
}

// friendSNSItems are the relationship fields both friend-list commands carry per friend.
func friendSNSItems(f state.Friend) []profileItem {
	return []profileItem{{"Tag_SNS_IM_Remark", f.Remark}, {"Tag_SNS_IM_AddTime", f.AddTime}}
}

func friendGetAll(c *Call) (any, *Error) {
	type info struct {
		Info_Account   string        `json:"Info_Account"`
		SnsProfileItem []profileItem `json:"SnsProfileItem"`
	}
	list := []info{}
	for _, f := range c.App.Friends(c.Session.User) {
		list = append(list, info{f.User, friendSNSItems(f)})
	}
	return map[string]any{"FriendNum": len(list), "InfoItem": list, "CompleteFlag": 1,
		"NextStartIndex": 0, "StandardSequence": 0, "CustomSequence": 0}, nil
}

func blackListGet(c *Call) (any, *Error) {
	type item struct {
		To_Account        string `json:"To_Account"`
		AddBlackTimeStamp int64  `json:"AddBlackTimeStamp"`
	}
	list := []item{}
	for _, b := range c.App.Blacklist(c.Session.User) {
		list = append(list, item{b.User, b.Time})
	}
	return map[string]any{"BlackListItem": list, "StartIndex": 0, "CurruentSequence": 0}, nil
}
