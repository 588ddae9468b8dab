package tim

type msgWithdrawReq struct {
	MsgInfo struct {
		From_Account string
		To_Account   string
		MsgSeq       uint64
		MsgRandom    uint32
	}
}

// msgWithdraw is the sender recalling a C2C message (tim-js-sdk revokeMessage): MsgInfo names it by
// its receiver, MsgSeq and MsgRandom. The receiver hears of it through Event 10
// WithdrawC2cMsgNotify (wire.go).
func msgWithdraw(c *Call, req *msgWithdrawReq) (any, error) {
	m := req.MsgInfo
	switch {
	case m.To_Account == "":
		return nil, fail(CodeMissingField, "MsgInfo.To_Account is missing")
	case m.From_Account != "" && m.From_Account != c.Session.User:
		return nil, fail(CodeInvalidAccount, "MsgInfo.From_Account %q is not the caller: only the sender recalls a message", m.From_Account)
	}
	if err := c.App.RecallC2C(c.Session.Instance, c.Session.User, m.To_Account, m.MsgSeq, m.MsgRandom); err != nil {
		return nil, err
	}
	return nil, nil
}
