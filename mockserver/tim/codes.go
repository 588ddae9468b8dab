package tim

import (
	"errors"
	"fmt"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/usersig"
)

// Error is a protocol failure: it goes on the wire as ActionStatus FAIL, ErrorCode, ErrorInfo.
type Error struct {
	Code int
	Info string
	// Fields go into the reply beside the code (a JSON object's fields), for the few failures
	// whose clients read more than the code: a wshello answered 1002 names the KickType.
	Fields any
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Info) }

func fail(code int, format string, a ...any) *Error {
	return &Error{Code: code, Info: fmt.Sprintf(format, a...)}
}

// Tencent IM's error codes as this server answers them: the one table of them (the README's
// error-code table is checked against it). UserSig failures keep the codes of package usersig.
const (
	// Requests the server cannot take.
	CodeInvalidPacket  = 20001 // body too large, or unusable as a whole
	CodeAuthFailed     = 20002 // a2/tinyid do not name a live session
	CodeInvalidAccount = 20003 // unknown or missing account
	CodeUnknownCommand = 60002 // no such v4/<service>/<cmd>
	CodeRESTNoIdentity = 60004 // a REST call without identifier or usersig
	CodeRESTNotAdmin   = 60010 // a REST call whose identifier is not the app administrator
	CodeNoSuchApp      = 70020 // sdkappid is not a tenant of this server
	CodeAppDisabled    = 60016 // the tenant is disabled (state.App.SetDisabled)
	CodeJSONParse      = 90001 // body is not JSON, or a field has the wrong type
	CodeBadMsgBody     = 90002 // MsgBody is not a list of {MsgType, MsgContent}
	CodeMissingField   = 90003 // a required field is absent
	CodeInternal       = 90994 // a bug in the fake; the body says what
	CodeHelloKickedOut = 1002  // wshello of a session the server ended (KickType says why)

	// The group service.
	CodeGroupBadParam      = 10004 // a missing or invalid field
	CodeGroupNoPermission  = 10007 // the caller may not do this
	CodeGroupOwnerCantQuit = 10009 // the owner cannot quit
	CodeGroupNotFound      = 10010 // no such group
	CodeCallbackRejected   = 10016 // the app backend's callback refused the operation
	CodeGroupJSON          = 10011 // the body is not JSON
	CodeGroupAlreadyMember = 10013 // a member already
	CodeGroupFull          = 10014 // no room for more members
	CodeGroupIDInvalid     = 10015 // a custom group id that is not usable
	CodeGroupMuted         = 10017 // the sender is muted
	CodeGroupNoAccount     = 10019 // an account named does not exist
	CodeGroupIDTaken       = 10021 // the group id is taken
	CodeGroupHandled       = 10024 // the join request was handled already
	CodeGroupIDTakenByYou  = 10025 // the group id is taken by the caller's own group
	CodeRecallNotFound     = 10030 // no such message to recall
	CodeRecallTooLate      = 10031 // the 2-minute recall window has passed
	CodeRecallNotSupported = 10033 // AVChatRoom messages cannot be recalled

	// The relationship chain (per-account result codes).
	CodeSNSSelf         = 30001 // the requester names itself
	CodeSNSNoAccount    = 30003 // the other account does not exist
	CodeSNSNotFriend    = 30007 // friend_delete of someone who is not a friend
	CodeSNSInMyBlack    = 30515 // adding someone the requester blocked
	CodeSNSDenyAny      = 30516 // the other side accepts no friend requests
	CodeSNSInTheirBlack = 30525 // the other side blocked the requester
	CodeSNSPending      = 30539 // a request was left for the other side to answer
	CodeSNSNoPendency   = 30614 // friend_response or pendency_delete of no pending request
	CodeSNSNotInBlack   = 31704 // black_list_delete of someone not blocked
)

// reasonCodes are the codes of the state's reasons.
var reasonCodes = map[state.Reason]int{
	state.BadRequest:         CodeInvalidPacket,
	state.AuthFailed:         CodeAuthFailed,
	state.InvalidAccount:     CodeInvalidAccount,
	state.GroupBadParam:      CodeGroupBadParam,
	state.GroupNoPermission:  CodeGroupNoPermission,
	state.GroupOwnerCantQuit: CodeGroupOwnerCantQuit,
	state.GroupNotFound:      CodeGroupNotFound,
	state.GroupAlreadyMember: CodeGroupAlreadyMember,
	state.GroupFull:          CodeGroupFull,
	state.GroupIDInvalid:     CodeGroupIDInvalid,
	state.GroupMuted:         CodeGroupMuted,
	state.GroupNoAccount:     CodeGroupNoAccount,
	state.GroupIDTaken:       CodeGroupIDTaken,
	state.GroupHandled:       CodeGroupHandled,
	state.GroupIDTakenByYou:  CodeGroupIDTakenByYou,
	state.RecallNotFound:     CodeRecallNotFound,
	state.RecallTooLate:      CodeRecallTooLate,
	state.RecallNotSupported: CodeRecallNotSupported,
	state.SNSSelf:            CodeSNSSelf,
	state.SNSNoAccount:       CodeSNSNoAccount,
	state.SNSNotFriend:       CodeSNSNotFriend,
	state.SNSInMyBlack:       CodeSNSInMyBlack,
	state.SNSDenyAny:         CodeSNSDenyAny,
	state.SNSInTheirBlack:    CodeSNSInTheirBlack,
	state.SNSPending:         CodeSNSPending,
	state.SNSNoPendency:      CodeSNSNoPendency,
	state.SNSNotInBlack:      CodeSNSNotInBlack,
}

// codeOf is a reason's code; "" is 0 (success), a reason missing from the table CodeInternal.
func codeOf(r state.Reason) int {
	if r == "" {
		return 0
	}
	if c, ok := reasonCodes[r]; ok {
		return c
	}
	return CodeInternal
}

// CodeOf is the code an error goes on the wire with (0 for nil), as handlers answer it.
func CodeOf(err error) int {
	if err == nil {
		return 0
	}
	return asError(err).Code
}

// asError maps an error from the state or UserSig layers onto the wire.
func asError(err error) *Error {
	var te *Error
	var se *state.Error
	var ue *usersig.Error
	switch {
	case errors.As(err, &te):
		return te
	case errors.As(err, &se):
		return &Error{Code: codeOf(se.Reason), Info: se.Info}
	case errors.As(err, &ue):
		return &Error{Code: ue.Code, Info: ue.Info}
	}
	return &Error{Code: CodeInternal, Info: err.Error()}
}
