package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/imharness/imharness/internal/dur"
	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
)

// The admin API (README "Admin API"): JSON in and out, errors as {"error":"…"} with a 4xx status.
// It drives tenants, scenarios, fault rules, kicks, raw events and the clock on the live server.

const maxAdminBody = 1 << 20

func (s *Server) admin() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /admin/v1/apps", s.adminListApps)
	m.HandleFunc("POST /admin/v1/apps", s.adminCreateApp)
	m.HandleFunc("DELETE /admin/v1/apps/{sdkappid}", s.withApp(s.adminDeleteApp))
	m.HandleFunc("POST /admin/v1/scenarios", s.adminCreateFromScenario)
	m.HandleFunc("POST /admin/v1/apps/{sdkappid}/scenario", s.withApp(s.adminLoadScenario))
	m.HandleFunc("GET /admin/v1/apps/{sdkappid}/pushes", s.withApp(s.adminPushes))
	m.HandleFunc("GET /admin/v1/apps/{sdkappid}/faults", s.withApp(s.adminListFaults))
	m.HandleFunc("POST /admin/v1/apps/{sdkappid}/faults", s.withApp(s.adminAddFault))
	m.HandleFunc("DELETE /admin/v1/apps/{sdkappid}/faults", s.withApp(s.adminClearFaults))
	m.HandleFunc("GET /admin/v1/apps/{sdkappid}/faults/{id}", s.withApp(s.adminGetFault))
	m.HandleFunc("DELETE /admin/v1/apps/{sdkappid}/faults/{id}", s.withApp(s.adminDeleteFault))
	m.HandleFunc("POST /admin/v1/apps/{sdkappid}/users/{user}/kick", s.withApp(s.adminKick))
	m.HandleFunc("GET /admin/v1/apps/{sdkappid}/login-policy", s.withApp(s.adminLoginPolicy))
	m.HandleFunc("PUT /admin/v1/apps/{sdkappid}/login-policy", s.withApp(s.adminLoginPolicy))
	m.HandleFunc("GET /admin/v1/apps/{sdkappid}/callback", s.withApp(s.adminCallback))
	m.HandleFunc("PUT /admin/v1/apps/{sdkappid}/callback", s.withApp(s.adminCallback))
	m.HandleFunc("GET /admin/v1/apps/{sdkappid}/status", s.withApp(s.adminStatus))
	m.HandleFunc("PUT /admin/v1/apps/{sdkappid}/status", s.withApp(s.adminStatus))
	m.HandleFunc("POST /admin/v1/apps/{sdkappid}/users/{user}/events", s.withApp(s.adminEvent))
	m.HandleFunc("GET /admin/v1/apps/{sdkappid}/clock", s.withApp(s.adminClock))
	m.HandleFunc("POST /admin/v1/apps/{sdkappid}/clock", s.withApp(s.adminClock))
	m.HandleFunc("POST /admin/v1/apps/{sdkappid}/groups/{groupId}/reclaim", s.withApp(s.adminReclaim))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := m.Handler(r); pattern != "" {
			m.ServeHTTP(w, r)
			return
		}
		// No route, or the wrong method: the mux's own answer, in JSON.
		var c capture
		m.ServeHTTP(&c, r)
		if allow := c.h.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
			adminError(w, c.code, "%s %s: method not allowed (allowed: %s)", r.Method, r.URL.Path, allow)
			return
		}
		adminError(w, http.StatusNotFound, "%s %s: no such admin endpoint (see README, Admin API)", r.Method, r.URL.Path)
	})
}

type capture struct {
	h    http.Header
	code int
}

func (c *capture) Header() http.Header {
	if c.h == nil {
		c.h = http.Header{}
	}
	return c.h
}
func (c *capture) WriteHeader(code int)        { c.code = code }
func (c *capture) Write(b []byte) (int, error) { return len(b), nil }

type appHandler func(w http.ResponseWriter, r *http.Request, app *state.App, rules *fault.Rules)

// withApp resolves {sdkappid} to a tenant or answers 400/404.
func (s *Server) withApp(h appHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw := r.PathValue("sdkappid")
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			adminError(w, http.StatusBadRequest, "sdkappid %q is not a positive number", raw)
			return
		}
		app, rules := s.tenant(id)
		if app == nil {
			adminError(w, http.StatusNotFound, "sdkappid %d is not a tenant of this server", id)
			return
		}
		h(w, r, app, rules)
	}
}

func adminError(w http.ResponseWriter, status int, format string, a ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, a...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, b = http.StatusInternalServerError, fmt.Appendf(nil, `{"error":%q}`, err.Error())
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// readBody reads a bounded body, answering 413 when it is too large.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		adminError(w, http.StatusBadRequest, "reading the body: %v", err)
		return nil, false
	}
	if len(b) > maxAdminBody {
		adminError(w, http.StatusRequestEntityTooLarge, "the body exceeds %d bytes", maxAdminBody)
		return nil, false
	}
	return b, true
}

// decodeJSON reads one JSON object with no unknown fields into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, ok := readBody(w, r)
	if !ok {
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		adminError(w, http.StatusBadRequest, "the body is empty: want a JSON object")
		return false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		adminError(w, http.StatusBadRequest, "body: %v", err)
		return false
	}
	if d.More() {
		adminError(w, http.StatusBadRequest, "body: data after the JSON object")
		return false
	}
	return true
}

func (s *Server) adminListApps(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	ids := make([]int64, 0, len(s.apps))
	for id := range s.apps {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	writeJSON(w, http.StatusOK, map[string]any{"apps": ids})
}

func (s *Server) adminCreateApp(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SDKAppID int64  `json:"sdkappid"`
		Secret   string `json:"secret"`
		Seed     uint64 `json:"seed"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.SDKAppID <= 0 {
		adminError(w, http.StatusBadRequest, "sdkappid: want a positive number")
		return
	}
	if req.Secret == "" {
		adminError(w, http.StatusBadRequest, "secret: must not be empty")
		return
	}
	if s.App(req.SDKAppID) != nil {
		adminError(w, http.StatusConflict, "sdkappid %d already exists", req.SDKAppID)
		return
	}
	if _, err := s.AddApp(state.Options{SDKAppID: req.SDKAppID, Secret: req.Secret, Seed: req.Seed}); err != nil {
		adminError(w, http.StatusConflict, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sdkappid": req.SDKAppID})
}

func (s *Server) adminDeleteApp(w http.ResponseWriter, _ *http.Request, app *state.App, _ *fault.Rules) {
	s.RemoveApp(app.ID())
	w.WriteHeader(http.StatusNoContent)
}

// parseScenario reads a YAML body; ?file= names it in errors.
func parseScenario(w http.ResponseWriter, r *http.Request) (*scenario.Scenario, bool) {
	b, ok := readBody(w, r)
	if !ok {
		return nil, false
	}
	name := r.URL.Query().Get("file")
	if name == "" {
		name = "scenario"
	}
	sc, err := scenario.Parse(name, b)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return nil, false
	}
	return sc, true
}

func scenarioReply(app *state.App, run *scenario.Run) map[string]any {
	return map[string]any{"sdkappid": app.ID(), "faults": run.FaultIDs(), "pushes": run.Pushes(), "users": app.Users()}
}

func (s *Server) adminLoadScenario(w http.ResponseWriter, r *http.Request, app *state.App, _ *fault.Rules) {
	sc, ok := parseScenario(w, r)
	if !ok {
		return
	}
	run, err := s.LoadScenario(app.ID(), sc)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, scenarioReply(app, run))
}

func (s *Server) adminCreateFromScenario(w http.ResponseWriter, r *http.Request) {
	sc, ok := parseScenario(w, r)
	if !ok {
		return
	}
	if sc.Tenant != nil && s.App(sc.Tenant.SDKAppID) != nil {
		adminError(w, http.StatusConflict, "sdkappid %d already exists: load into it with POST /admin/v1/apps/%d/scenario", sc.Tenant.SDKAppID, sc.Tenant.SDKAppID)
		return
	}
	app, run, err := s.AddAppFromScenario(sc)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, scenarioReply(app, run))
}

func (s *Server) adminPushes(w http.ResponseWriter, _ *http.Request, app *state.App, _ *fault.Rules) {
	var out []scenario.PushStatus
	for _, run := range s.Runs(app.ID()) {
		out = append(out, run.Pushes()...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"pushes": nonNil(out)})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) adminListFaults(w http.ResponseWriter, _ *http.Request, _ *state.App, rules *fault.Rules) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": nonNil(rules.List())})
}

func (s *Server) adminAddFault(w http.ResponseWriter, r *http.Request, _ *state.App, rules *fault.Rules) {
	var rule fault.Rule
	if !decodeJSON(w, r, &rule) {
		return
	}
	id, err := rules.Add(rule)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (s *Server) adminClearFaults(w http.ResponseWriter, _ *http.Request, _ *state.App, rules *fault.Rules) {
	rules.Clear()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminGetFault(w http.ResponseWriter, r *http.Request, _ *state.App, rules *fault.Rules) {
	e, ok := rules.Get(r.PathValue("id"))
	if !ok {
		adminError(w, http.StatusNotFound, "no fault rule %q", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) adminDeleteFault(w http.ResponseWriter, r *http.Request, _ *state.App, rules *fault.Rules) {
	if !rules.Remove(r.PathValue("id")) {
		adminError(w, http.StatusNotFound, "no fault rule %q", r.PathValue("id"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminKick(w http.ResponseWriter, r *http.Request, app *state.App, _ *fault.Rules) {
	var req struct {
		Type string `json:"type"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	user := r.PathValue("user")
	if !hasUser(w, app, user) {
		return
	}
	out, err := scenario.Do(app, scenario.Push{Kick: &scenario.Kick{User: user, Type: req.Type}})
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kicked": out.Kicked})
}

func hasUser(w http.ResponseWriter, app *state.App, user string) bool {
	if !app.HasUser(user) {
		adminError(w, http.StatusNotFound, "no user %q in sdkappid %d", user, app.ID())
		return false
	}
	return true
}

// adminLoginPolicy reads or replaces the tenant's login policy ({"multiple_instances":bool,
// "hello_interval":seconds}).
func (s *Server) adminLoginPolicy(w http.ResponseWriter, r *http.Request, app *state.App, _ *fault.Rules) {
	if r.Method == http.MethodPut {
		var p state.LoginPolicy
		if !decodeJSON(w, r, &p) {
			return
		}
		if p.HelloInterval < 0 {
			adminError(w, http.StatusBadRequest, "hello_interval %d: want seconds > 0, or 0 for the default", p.HelloInterval)
			return
		}
		app.SetLoginPolicy(p)
	}
	writeJSON(w, http.StatusOK, app.LoginPolicy())
}

// appCallback is the tenant's third-party callback URL ("" for none).
type appCallback struct {
	URL *string `json:"url"`
}

func (s *Server) adminCallback(w http.ResponseWriter, r *http.Request, app *state.App, _ *fault.Rules) {
	if r.Method == http.MethodPut {
		var cb appCallback
		if !decodeJSON(w, r, &cb) {
			return
		}
		if cb.URL == nil {
			adminError(w, http.StatusBadRequest, `body: want {"url":"http://host/path"} ("" removes the callback)`)
			return
		}
		if err := app.SetCallbackURL(*cb.URL); err != nil {
			var se *state.Error
			if errors.As(err, &se) {
				adminError(w, http.StatusBadRequest, "url: %s", se.Info)
				return
			}
			adminError(w, http.StatusBadRequest, "url: %v", err)
			return
		}
	}
	u := app.CallbackURL()
	writeJSON(w, http.StatusOK, appCallback{URL: &u})
}

// appStatus is the tenant's console switch.
type appStatus struct {
	Disabled bool `json:"disabled"`
}

func (s *Server) adminStatus(w http.ResponseWriter, r *http.Request, app *state.App, _ *fault.Rules) {
	if r.Method == http.MethodPut {
		var st appStatus
		if !decodeJSON(w, r, &st) {
			return
		}
		app.SetDisabled(st.Disabled)
	}
	writeJSON(w, http.StatusOK, appStatus{Disabled: app.Disabled()})
}

func (s *Server) adminEvent(w http.ResponseWriter, r *http.Request, app *state.App, _ *fault.Rules) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		adminError(w, http.StatusBadRequest, "body: want the event as a JSON object, e.g. {\"Event\":9,\"C2cMsgArray\":[…]}: %v", err)
		return
	}
	user := r.PathValue("user")
	if !hasUser(w, app, user) {
		return
	}
	ev := &scenario.Event{User: user, Protocol: r.URL.Query().Get("protocol"), Body: json.RawMessage(bytes.TrimSpace(b))}
	if _, err := scenario.Do(app, scenario.Push{Event: ev}); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queued": true})
}

func (s *Server) adminClock(w http.ResponseWriter, r *http.Request, app *state.App, _ *fault.Rules) {
	c := app.Clock()
	if r.Method == http.MethodPost {
		var req struct {
			Advance  dur.Duration `json:"advance"`
			Freeze   string       `json:"freeze"`
			Unfreeze bool         `json:"unfreeze"`
		}
		if !decodeJSON(w, r, &req) {
			return
		}
		cl := &scenario.Clock{Advance: req.Advance, Freeze: req.Freeze, Unfreeze: req.Unfreeze}
		if _, err := scenario.Do(app, scenario.Push{Clock: cl}); err != nil {
			adminError(w, http.StatusBadRequest, "%v", err)
			return
		}
	}
	now := c.Now()
	writeJSON(w, http.StatusOK, map[string]any{"now": now.UTC().Format(time.RFC3339Nano), "unix": now.Unix(), "frozen": c.Frozen()})
}

// adminReclaim is the service taking a group back: group system notice 11 to every member.
func (s *Server) adminReclaim(w http.ResponseWriter, r *http.Request, app *state.App, _ *fault.Rules) {
	g := r.PathValue("groupId")
	if _, err := scenario.Do(app, scenario.Push{Reclaim: &scenario.Reclaim{Group: g}}); err != nil {
		var se *state.Error
		if errors.As(err, &se) && se.Reason == state.GroupNotFound {
			adminError(w, http.StatusNotFound, "%v", err)
			return
		}
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reclaimed": g})
}
