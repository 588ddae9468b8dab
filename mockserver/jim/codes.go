package jim

import (
	"errors"
	"fmt"

	"github.com/imharness/imharness/mockserver/state"
)

// JMessage Web error codes the server answers (the SDK's 880xxx table; 882xxx are server codes
// the SDK passes through).
const (
	CodeUnknown             = 880001
	CodeInvalidParam        = 880002
	CodeFileNotExist        = 880005
	CodeAppKeyNotExist      = 880101
	CodeSignatureFail       = 880102
	CodeUserNotExist        = 880103
	CodeWrongPassword       = 880104
	CodeSignatureExpired    = 880106
	CodeAlreadyLoggedIn     = 880107
	CodeTargetNotExist      = 880203
	CodeGroupNotExist       = 880204
	CodeNotInGroup          = 880205
	CodeMsgTooLong          = 880206
	CodeInBlacklist         = 880207
	CodeSilenced            = 880212
	CodeGroupNameLong       = 880404
	CodeGroupDescLong       = 880405
	CodeEmptyMembers        = 880602
	CodeNoAddPermission     = 880604
	CodeMembersNotAdded     = 880606
	CodeMemberAlready       = 880607
	CodeNoDelPermission     = 880704
	CodeMembersNotDeletable = 880705
	CodeUserNDAlready       = 881101
	CodeUserNDNotSet        = 881102
	CodeGroupNDAlready      = 881105
	CodeGroupNDNotSet       = 881106
	CodeGlobalNDAlready     = 881107
	CodeGlobalNDNotSet      = 881108
	CodeRetractTimeout      = 881401
	CodeRetractNotSender    = 881402
	CodeRetractNoMsg        = 881403
	CodeRetractAlready      = 881404
	CodeUserExists          = 882002
	CodeAuthFail            = 882004
)

// Error is a JMessage failure: the reply carries Code and Message.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d)", e.Message, e.Code) }

func errf(code int, f string, a ...any) *Error { return &Error{code, fmt.Sprintf(f, a...)} }

// asError maps state errors the handler did not translate to the nearest JMessage code.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *state.Error
	if errors.As(err, &se) {
		switch se.Reason {
		case state.GroupNotFound:
			return &Error{CodeGroupNotExist, se.Info}
		case state.GroupNoPermission:
			return &Error{CodeNotInGroup, se.Info}
		case state.GroupMuted:
			return &Error{CodeSilenced, se.Info}
		case state.InvalidAccount, state.GroupNoAccount:
			return &Error{CodeTargetNotExist, se.Info}
		}
		return &Error{CodeInvalidParam, se.Info}
	}
	switch {
	case errors.Is(err, state.ErrNoUser):
		return &Error{CodeUserNotExist, err.Error()}
	}
	return &Error{CodeUnknown, err.Error()}
}
