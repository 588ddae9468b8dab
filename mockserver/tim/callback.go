package tim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/imharness/imharness/mockserver/state"
)

// Third-party callbacks (第三方回调): before a group message is stored, the service POSTs it to
// the tenant's callback URL (state.App.CallbackURL) as Group.CallbackBeforeSendMsg, and the app
// backend answers {"ActionStatus":"OK","ErrorCode":0} to let it through or ErrorCode 1 to refuse
// it: the sender gets 10016. A callback that does not answer in time, answers a non-2xx status or
// something that is not JSON lets the message through, as the service does by default.

const callbackTimeout = 2 * time.Second

// callbackClient keeps no idle connections: nothing of a callback outlives the call.
var callbackClient = &http.Client{Timeout: callbackTimeout, Transport: &http.Transport{DisableKeepAlives: true}}

// Callback answers: 0 lets the operation through, 1 refuses it.
const callbackRefuse = 1

func beforeSendGroupMsg(c *Call, req *sendGroupMsgReq, body []state.Elem) *Error {
	target := c.App.CallbackURL()
	if target == "" {
		return nil
	}
	from := req.From_Account
	if from == "" {
		from = c.op()
	}
	info, _, gerr := c.App.Group(c.App.Admin(), req.GroupId)
	if gerr != nil {
		return nil // no such group: the state refuses the send itself
	}
	payload, err := json.Marshal(map[string]any{
		"CallbackCommand": "Group.CallbackBeforeSendMsg", "GroupId": req.GroupId, "Type": string(info.Type),
		"From_Account": from, "Operator_Account": c.op(), "Random": req.Random,
		"OnlineOnlyFlag": req.OnlineOnlyFlag, "MsgBody": elemsOut(body), "CloudCustomData": req.CloudCustomData,
	})
	if err != nil {
		return fail(CodeInternal, "callback body: %v", err)
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil // an unusable URL is a failed callback: let it through
	}
	q := u.Query()
	q.Set("SdkAppid", fmt.Sprint(c.App.ID()))
	q.Set("CallbackCommand", "Group.CallbackBeforeSendMsg")
	q.Set("contenttype", "json")
	q.Set("OptPlatform", "Web")
	u.RawQuery = q.Encode()
	r, err := http.NewRequestWithContext(c.Context(), http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return nil
	}
	r.Header.Set("Content-Type", "application/json")
	res, err := callbackClient.Do(r)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	var ans struct{ ErrorCode int }
	if res.StatusCode/100 != 2 || json.Unmarshal(b, &ans) != nil {
		return nil
	}
	if ans.ErrorCode == callbackRefuse {
		return fail(CodeCallbackRejected, "the app backend's callback refused the message")
	}
	return nil
}
