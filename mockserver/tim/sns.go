package tim

import (
	"errors"
	"github.com/imharness/imharness/mockserver/state"
)

// The relationship chain (sns/*) as webim.js 1.x calls it: the REST bodies with From_Account = the
// caller. Per-account outcomes go in ResultItem; failed accounts are also listed in Fail_Account,
// which webim.js turns into its error 99999 with the ResultInfo texts. A request left for the other
// side to answer (ResultCode 30539) is not a failure.

func snsRoutes(r routes) error {
	return errors.Join(
		r.add(authSession, map[string]func(*Call) (any, *Error){
			"sns/friend_add":        bindSNS(friendAdd),
			"sns/friend_response":   bindSNS(friendResponse),
			"sns/friend_delete":     bindSNS(friendDelete),
			"sns/pendency_get":      bind(openimBody, pendencyGet),
			"sns/pendency_delete":   bindSNS(pendencyDelete),
			"sns/PendencyReport":    bind(openimBody, pendencyReport),
			"sns/black_list_add":    bindSNS(blackListAdd),
			"sns/black_list_delete": bindSNS(blackListDelete),
		}),
	)
}

// bindSNS makes a route of a relationship-chain change: decode, check From_Account, call fn, and
// answer its per-account results (snsReply). The request types keep their fields flat (no
// embedded struct) so a wrongly typed field is named in the error as the client wrote it.
func bindSNS[Req any](fn func(c *Call, req *Req) ([]state.SNSResult, error)) func(*Call) (any, *Error) {
	return bind(openimBody, func(c *Call, req *Req) (any, error) {
		var from struct{ From_Account string }
		if e := c.decode(&from); e != nil {
			return nil, e
		}
		if e := c.self(from.From_Account); e != nil {
			return nil, e
		}
		rs, err := fn(c, req)
		if err != nil {
			return nil, err
		}
		return snsReply(rs), nil
	})
}

type snsResult struct {
	To_Account string `json:"To_Account"`
	ResultCode int    `json:"ResultCode"`
	ResultInfo string `json:"ResultInfo"`
}

func snsReply(rs []state.SNSResult) map[string]any {
	items := make([]snsResult, 0, len(rs))
	failed := []string{}
	for _, r := range rs {
		items = append(items, snsResult{r.User, codeOf(r.Reason), r.Info})
		if r.Failed() {
			failed = append(failed, r.User)
		}
	}
	return map[string]any{"ResultItem": items, "Fail_Account": failed, "Invalid_Account": []string{}}
}

// self checks From_Account, when given, names the caller.
func (c *Call) self(from string) *Error {
	if from != "" && from != c.Session.User {
		return fail(CodeInvalidPacket, "From_Account %q is not the logged-in user %q", from, c.Session.User)
	}
	return nil
}

type friendAddReq struct {
	AddFriendItem []struct {
		To_Account string
		Remark     string
		AddSource  string
		AddWording string
	}
}

func friendAdd(c *Call, req *friendAddReq) ([]state.SNSResult, error) {
	if len(req.AddFriendItem) == 0 {
		return nil, fail(CodeMissingField, "AddFriendItem is empty")
	}
	reqs := make([]state.FriendRequest, len(req.AddFriendItem))
	for i, it := range req.AddFriendItem {
		if it.To_Account == "" {
			return nil, fail(CodeMissingField, "AddFriendItem[%d].To_Account is missing", i)
		}
		reqs[i] = state.FriendRequest{To: it.To_Account, Remark: it.Remark, Source: it.AddSource, Wording: it.AddWording}
	}
	return c.App.AddFriends(c.Session.User, reqs)
}

type friendResponseReq struct {
	ResponseFriendItem []struct {
		To_Account     string
		ResponseAction string
		Remark         string
	}
}

func friendResponse(c *Call, req *friendResponseReq) ([]state.SNSResult, error) {
	if len(req.ResponseFriendItem) == 0 {
		return nil, fail(CodeMissingField, "ResponseFriendItem is empty")
	}
	answers := make([]state.FriendResponse, len(req.ResponseFriendItem))
	for i, it := range req.ResponseFriendItem {
		if it.To_Account == "" {
			return nil, fail(CodeMissingField, "ResponseFriendItem[%d].To_Account is missing", i)
		}
		accept, ok := responseActions[it.ResponseAction]
		if !ok {
			return nil, fail(CodeInvalidPacket, "ResponseAction %q: want %s, %s or %s", it.ResponseAction,
				"Response_Action_Agree", "Response_Action_AgreeAndAdd", "Response_Action_Reject")
		}
		answers[i] = state.FriendResponse{To: it.To_Account, Accept: accept, Remark: it.Remark}
	}
	return c.App.RespondFriends(c.Session.User, answers)
}

// accounts checks the accounts a request names (To_Account).
func accounts(to []string) ([]string, *Error) {
	if len(to) == 0 {
		return nil, fail(CodeMissingField, "To_Account is empty")
	}
	return to, nil
}

type friendDeleteReq struct {
	To_Account []string
	DeleteType string
}

// friendDelete ends friendships; Delete_Type_Both (the default) both ways.
func friendDelete(c *Call, req *friendDeleteReq) ([]state.SNSResult, error) {
	to, e := accounts(req.To_Account)
	if e != nil {
		return nil, e
	}
	return c.App.DeleteFriends(c.Session.User, to, req.DeleteType != "Delete_Type_Single")
}

// responseActions are the answers to a friend request: Agree and AgreeAndAdd both make the two
// friends of each other (true).
var responseActions = map[string]bool{"Response_Action_Agree": true, "Response_Action_AgreeAndAdd": true, "Response_Action_Reject": false}

// The directions of friend requests; pendencyBoth asks pendency_get for both at once.
const (
	pendencyComeIn  = "Pendency_Type_ComeIn"
	pendencySendOut = "Pendency_Type_SendOut"
	pendencyBoth    = "Pendency_Type_Both"
)

// pendencyType says whether a PendencyType asks for requests to the caller (ComeIn).
func pendencyType(t string) (bool, *Error) {
	switch t {
	case pendencyComeIn:
		return true, nil
	case pendencySendOut:
		return false, nil
	}
	return false, fail(CodeMissingField, "PendencyType %q: want %s or %s", t, pendencyComeIn, pendencySendOut)
}

// pendencyGet lists friend requests in one page (webim.js passes StartTime, MaxLimited and
// LastSequence through; the fake answers everything at once).
func pendencyGet(c *Call, req *struct {
	From_Account string
	PendencyType string
	StartTime    int64
	MaxLimited   int
	LastSequence int64
}) (any, error) {
	if e := c.self(req.From_Account); e != nil {
		return nil, e
	}
	// @tencentcloud/chat 3.x asks for both directions at once after login; each item then says
	// its own (PendencyType).
	dirs := []bool{true, false}
	if req.PendencyType != pendencyBoth {
		comeIn, e := pendencyType(req.PendencyType)
		if e != nil {
			return nil, e
		}
		dirs = []bool{comeIn}
	}
	type item struct {
		To_Account    string `json:"To_Account"`
		AddTime       int64  `json:"AddTime"`
		AddSource     string `json:"AddSource"`
		AddWording    string `json:"AddWording"`
		ProfileImNick string `json:"ProfileImNick"`
		PendencyType  string `json:"PendencyType,omitempty"`
	}
	list := []item{}
	for _, comeIn := range dirs {
		for _, p := range c.App.FriendPendencies(c.Session.User, comeIn) {
			other, dir := p.From, pendencyComeIn
			if !comeIn {
				other, dir = p.To, pendencySendOut
			}
			it := item{other, p.Time, p.Source, p.Wording, p.Nick, ""}
			if len(dirs) > 1 {
				it.PendencyType = dir
			}
			list = append(list, it)
		}
	}
	return map[string]any{"PendencyItem": list, "StartTime": 0, "TotalCount": len(list), "CompleteFlag": 1,
		"UnreadPendencyCount": len(list), "LastSequence": 0}, nil
}

type pendencyDeleteReq struct {
	PendencyType string
	To_Account   []string
}

func pendencyDelete(c *Call, req *pendencyDeleteReq) ([]state.SNSResult, error) {
	comeIn, e := pendencyType(req.PendencyType)
	if e != nil {
		return nil, e
	}
	to, e := accounts(req.To_Account)
	if e != nil {
		return nil, e
	}
	return c.App.DeletePendencies(c.Session.User, comeIn, to)
}

// pendencyReport marks friend requests seen up to a time; the fake keeps no read mark on them.
func pendencyReport(c *Call, req *struct {
	From_Account            string
	LatestPendencyTimeStamp int64
}) (any, error) {
	return nil, c.self(req.From_Account)
}

func blackListAdd(c *Call, req *struct{ To_Account []string }) ([]state.SNSResult, error) {
	to, e := accounts(req.To_Account)
	if e != nil {
		return nil, e
	}
	return c.App.BlockUsers(c.Session.User, to)
}

func blackListDelete(c *Call, req *struct{ To_Account []string }) ([]state.SNSResult, error) {
	to, e := accounts(req.To_Account)
	if e != nil {
		return nil, e
	}
	return c.App.UnblockUsers(c.Session.User, to)
}
