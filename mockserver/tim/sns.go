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
			"sns/friend_add":        friendAdd,
			"sns/friend_response":   friendResponse,
			"sns/friend_delete":     friendDelete,
			"sns/pendency_get":      pendencyGet,
			"sns/pendency_delete":   pendencyDelete,
			"sns/PendencyReport":    pendencyReport,
			"sns/black_list_add":    blackListAdd,
			"sns/black_list_delete": blackListDelete,
		}),
	)
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

func friendAdd(c *Call) (any, *Error) {
	var req struct {
		From_Account  string
		AddFriendItem []struct {
			To_Account string
			Remark     string
			AddSource  string
			AddWording string
		}
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	if e := c.self(req.From_Account); e != nil {
		return nil, e
	}
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
	rs, err := c.App.AddFriends(c.Session.User, reqs)
	if err != nil {
		return nil, asError(err)
	}
	return snsReply(rs), nil
}

func friendResponse(c *Call) (any, *Error) {
	var req struct {
		From_Account       string
		ResponseFriendItem []struct {
			To_Account     string
			ResponseAction string
			Remark         string
		}
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	if e := c.self(req.From_Account); e != nil {
		return nil, e
	}
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
	rs, err := c.App.RespondFriends(c.Session.User, answers)
	if err != nil {
		return nil, asError(err)
	}
	return snsReply(rs), nil
}

func friendDelete(c *Call) (any, *Error) {
	var req struct {
		From_Account string
		To_Account   []string
		DeleteType   string
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	if e := c.self(req.From_Account); e != nil {
		return nil, e
	}
	if len(req.To_Account) == 0 {
		return nil, fail(CodeMissingField, "To_Account is empty")
	}
	rs, err := c.App.DeleteFriends(c.Session.User, req.To_Account, req.DeleteType != "Delete_Type_Single")
	if err != nil {
		return nil, asError(err)
	}
	return snsReply(rs), nil
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
func pendencyGet(c *Call) (any, *Error) {
	var req struct {
		From_Account string
		PendencyType string
		StartTime    int64
		MaxLimited   int
		LastSequence int64
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
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

func pendencyDelete(c *Call) (any, *Error) {
	var req struct {
		From_Account string
		PendencyType string
		To_Account   []string
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	if e := c.self(req.From_Account); e != nil {
		return nil, e
	}
	comeIn, e := pendencyType(req.PendencyType)
	if e != nil {
		return nil, e
	}
	if len(req.To_Account) == 0 {
		return nil, fail(CodeMissingField, "To_Account is empty")
	}
	rs, err := c.App.DeletePendencies(c.Session.User, comeIn, req.To_Account)
	if err != nil {
		return nil, asError(err)
	}
	return snsReply(rs), nil
}

// pendencyReport marks friend requests seen up to a time; the fake keeps no read mark on them.
func pendencyReport(c *Call) (any, *Error) {
	var req struct {
		From_Account            string
		LatestPendencyTimeStamp int64
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	return nil, c.self(req.From_Account)
}

func blackList(c *Call, apply func(string, []string) ([]state.SNSResult, error)) (any, *Error) {
	var req struct {
		From_Account string
		To_Account   []string
	}
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	if e := c.self(req.From_Account); e != nil {
		return nil, e
	}
	if len(req.To_Account) == 0 {
		return nil, fail(CodeMissingField, "To_Account is empty")
	}
	rs, err := apply(c.Session.User, req.To_Account)
	if err != nil {
		return nil, asError(err)
	}
	return snsReply(rs), nil
}

func blackListAdd(c *Call) (any, *Error)    { return blackList(c, c.App.BlockUsers) }
func blackListDelete(c *Call) (any, *Error) { return blackList(c, c.App.UnblockUsers) }
