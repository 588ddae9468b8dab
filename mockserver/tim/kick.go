package tim

import (
	"cmp"

	"github.com/imharness/imharness/mockserver/state"
)

// The app's server ends an account's sessions with the REST call im_open_login_svc/kick (body
// {"UserID"}; older documents name it "Identifier"). The WebSocket generation hears of it as a
// KickoutMsgNotify push of KickType 3 (KICKED_OUT "REST_API_Kick"); a long poll, whose SDKs know no
// such kick, answers it as a login elsewhere (91101).
func kickRoutes(r routes) error {
	return r.add(authSessionOrAdmin, map[string]func(*Call) (any, *Error){
		"im_open_login_svc/kick": bind(openimBody, restKick),
	})
}

type restKickReq struct{ UserID, Identifier string }

func restKick(c *Call, req *restKickReq) (any, error) {
	if !c.Admin {
		return nil, fail(CodeRESTNotAdmin, "im_open_login_svc/kick is a REST call of the app administrator")
	}
	user := cmp.Or(req.UserID, req.Identifier)
	if user == "" {
		return nil, fail(CodeMissingField, "UserID is required")
	}
	_, err := c.App.Kick(user, state.KickRESTAPI)
	return nil, err
}
