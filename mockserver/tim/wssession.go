package tim

import (
	"context"
	"errors"
	"strconv"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/usersig"
)

// The WebSocket generation's session commands. They run through the call pipeline like every
// other command (recorded, open to fault rules); what they do to the socket itself (bind the
// session to it, move its push cursor) goes through the Socket the transport puts in the call's
// context.

// Socket is the WebSocket connection a call came on, as its session commands need it.
type Socket interface {
	// Bind makes the socket the session's: pushes start (or resume after the last ack).
	Bind(app *state.App, s state.Session)
	// Unbind detaches the session (wslogout); pushes stop.
	Unbind()
	// Ack acknowledges the pushes up to SessionData.
	Ack(sessionData string) error
	// Ended says whether this socket logged out the session with A2Key a2.
	Ended(a2 string) bool
	// HelloInterval is the wshello period to ask for, in seconds.
	HelloInterval() int
}

type socketKey struct{}

// WithSocket puts the socket a call came on in its context.
func WithSocket(ctx context.Context, s Socket) context.Context {
	return context.WithValue(ctx, socketKey{}, s)
}

func socketOf(c *Call) Socket {
	s, _ := c.Context().Value(socketKey{}).(Socket)
	return s
}

// Codes of the WebSocket session.
const (
	// CodeA2Expired (70001) in any reply makes the SDK report KICKED_OUT userSigExpired and reconnect.
	CodeA2Expired = usersig.CodeExpired
	// codeSessionEnded answers a frame that still carries the a2 of the session its socket logged
	// out. Not 20002: the SDK takes that as an expired UserSig, and a kicked SDK sends a few
	// requests after its wslogout.
	codeSessionEnded = CodeInvalidPacket
)

func wsSessionRoutes(r routes) error {
	return errors.Join(r.add(authNone, map[string]func(*Call) (any, *Error){
		"im_open_status/wslogin": wsLogin,
		"heartbeat/alive":        func(*Call) (any, *Error) { return nil, nil },
		"im_open_status/wshello": wsHello,
	}), r.add(authSession, map[string]func(*Call) (any, *Error){
		"im_open_status/wslogout": wsLogout,
		"openim/ws_msg_push_ack":  wsPushAck,
	}))
}

// wsLogin opens a session with the head's identifier and UserSig, or resumes the session its a2
// and tinyid name: after a reconnect the SDK logs in again on the new socket with those. The reply
// carries what both SDKs need: A2Key (2023 without), TinyId (2022 without), InstId (every later
// head's status_instid), HelloInterval (seconds) and TimeStamp (the SDK sets its clock by it).
func wsLogin(c *Call) (any, *Error) {
	sock := socketOf(c)
	if sock == nil {
		return nil, fail(CodeUnknownCommand, "im_open_status/wslogin is a WebSocket command")
	}
	if c.App == nil {
		return nil, fail(CodeNoSuchApp, "wslogin: sdkappid %q is not a tenant of this server", c.Tenant)
	}
	var s state.Session
	if a2 := c.Params["a2"]; a2 != "" && c.Params["identifier"] == "" {
		var err error
		if s, err = c.App.Auth(c.Params["tinyid"], a2); err != nil {
			return nil, asError(err)
		}
		c.loggedIn(s)
	} else {
		var e *Error
		if s, e = openSession(c); e != nil {
			return nil, e
		}
	}
	sock.Bind(c.App, s)
	hello := sock.HelloInterval()
	if p := c.App.LoginPolicy().HelloInterval; p > 0 {
		hello = p
	}
	return struct {
		A2Key         string `json:"A2Key"`
		TinyId        string `json:"TinyId"`
		InstId        int    `json:"InstId"`
		HelloInterval int    `json:"HelloInterval"`
		TimeStamp     int64  `json:"TimeStamp"`
	}{s.A2, s.TinyID, s.Instance, hello, c.App.Now().Unix()}, nil
}

// wsHello answers the client's periodic wshello from its session's state: a session the server
// ended (another instance logged in on its platform, the app's REST kick) hears 1002 with the
// KickType of the push it may have missed. Both SDKs (tim-js-sdk 2.27.6, @tencentcloud/chat 3.6.6)
// read 1002 in any reply: KICKED_OUT by KickType, and for types 1 and 2 a wslogout of type 1.
// A live session, or a socket before wslogin, gets an empty answer.
func wsHello(c *Call) (any, *Error) {
	if c.App == nil || c.Params["a2"] == "" {
		return nil, nil
	}
	s, err := c.App.Auth(c.Params["tinyid"], c.Params["a2"]) // no live session: nothing to say
	t, ok := helloKickTypes[s.Kicked]
	if err != nil || !ok {
		return nil, nil
	}
	return nil, &Error{Code: CodeHelloKickedOut, Info: "this instance was kicked out (" + s.Kicked + ")",
		Fields: struct {
			KickType    int            `json:"KickType"`
			NewInstInfo map[string]any `json:"NewInstInfo"`
		}{t, map[string]any{}}}
}

// helloKickTypes are the session ends a wshello answers with 1002; an expired UserSig is 70001
// on any frame instead (wsSessionState), and a device kick is a queued event, redelivered until acked.
var helloKickTypes = map[string]int{
	state.KickMultipleAccount: kickTypeMultipleAccount,
	state.KickRESTAPI:         kickTypeRESTAPI,
}

// wsLogout ends this socket's session only: a kicked SDK logs out on its old socket, which must
// not end the account's newer session.
func wsLogout(c *Call) (any, *Error) {
	if sock := socketOf(c); sock != nil {
		sock.Unbind()
	}
	c.App.Logout(c.Session.A2)
	return nil, nil
}

func wsPushAck(c *Call) (any, *Error) {
	var req struct{ SessionData string }
	if e := c.decode(&req); e != nil {
		return nil, e
	}
	sock := socketOf(c)
	if sock == nil {
		return nil, fail(CodeUnknownCommand, "openim/ws_msg_push_ack is a WebSocket command")
	}
	if err := sock.Ack(req.SessionData); err != nil {
		return nil, fail(CodeInvalidPacket, "SessionData %s: %v", strconv.Quote(req.SessionData), err)
	}
	return nil, nil
}

// wsSessionState answers, before the handler, what the WebSocket generation must hear about its
// session: 70001 once its UserSig expired (the SDK learns it from the next reply), and a plain
// refusal for frames of a session this socket logged out.
func wsSessionState(c *Call) *Error {
	sock := socketOf(c)
	if sock == nil {
		return nil
	}
	kicked := c.Session.Kicked
	if c.Session.A2 == "" && c.App != nil && c.Params["a2"] != "" && c.Command != "im_open_status/wslogin" {
		// A command that needs no session (heartbeat, telemetry) still comes from the socket's
		// session: file it there, and let it carry the expiry.
		if s, err := c.App.Auth(c.Params["tinyid"], c.Params["a2"]); err == nil {
			kicked = s.Kicked
			c.loggedIn(s)
		}
	}
	if kicked == state.KickUserSigExpired && c.Command != "im_open_status/wslogout" && c.Command != "im_open_status/wslogin" {
		return fail(CodeA2Expired, "UserSig expired: log in again")
	}
	if a2 := c.Params["a2"]; c.Denied != nil && a2 != "" && sock.Ended(a2) {
		return fail(codeSessionEnded, "this socket logged its session out (wslogout): log in again")
	}
	return nil
}
