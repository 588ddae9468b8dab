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
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Info) }

func fail(code int, format string, a ...any) *Error {
	return &Error{Code: code, Info: fmt.Sprintf(format, a...)}
}

// Codes for requests the server cannot take. The README lists them.
const (
	CodeInvalidPacket  = 20001 // body too large, or unusable as a whole
	CodeAuthFailed     = 20002 // a2/tinyid do not name a live session
	CodeInvalidAccount = 20003 // unknown or missing account
	CodeUnknownCommand = 60002 // no such v4/<service>/<cmd>
	CodeNoSuchApp      = 70020 // sdkappid is not a tenant of this server
	CodeJSONParse      = 90001 // body is not JSON, or a field has the wrong type
	CodeMissingField   = 90003 // a required field is absent
	CodeBadMsgBody     = 90002 // MsgBody is not a list of {MsgType, MsgContent}
	CodeInternal       = 90994 // a bug in the fake; the body says what
)

// asError maps an error from the state or UserSig layers onto the wire.
func asError(err error) *Error {
	var te *Error
	var se *state.Error
	var ue *usersig.Error
	switch {
	case errors.As(err, &te):
		return te
	case errors.As(err, &se):
		return &Error{Code: se.Code, Info: se.Info}
	case errors.As(err, &ue):
		return &Error{Code: ue.Code, Info: ue.Info}
	}
	return &Error{Code: CodeInternal, Info: err.Error()}
}
