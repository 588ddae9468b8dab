// Package loadgen drives a fake IM server the way the SDKs do, over its real protocol (Tencent IM
// v4 JSON over HTTP with long polling), for the benchmark (`imharness bench`) and the soak test.
// It is a protocol client, not a test: callers decide what the answers mean.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/imharness/imharness/mockserver/usersig"
)

// Client talks to one tenant of one server.
type Client struct {
	Base     string // http://127.0.0.1:port
	SDKAppID int64
	Secret   string
	HTTP     *http.Client
}

// NewTransport is an HTTP transport sized for many concurrent long polls to one host.
func NewTransport(conns int) *http.Transport {
	return &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
		DisableCompression: true, ForceAttemptHTTP2: false}
}

// ServerError is a FAIL envelope (or an unreadable reply) from the server.
type ServerError struct {
	Cmd    string
	Status int // HTTP status
	Code   int // ErrorCode, 0 when the reply was no envelope
	Info   string
}

func (e *ServerError) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("%s: HTTP %d: %s", e.Cmd, e.Status, e.Info)
	}
	return fmt.Sprintf("%s: %d %s", e.Cmd, e.Code, e.Info)
}

// envelope is the part of every reply the client checks.
type envelope struct {
	ActionStatus string
	ErrorCode    *int
	ErrorInfo    string
}

// Call posts body (JSON-encoded unless already []byte) to /v4/<cmd>?query and decodes the reply
// into out (may be nil). A FAIL envelope, a non-200 status or a body that is not a whole envelope
// is a *ServerError; a transport failure is returned as is.
func (c *Client) Call(ctx context.Context, cmd string, query url.Values, body any, out any) error {
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	case nil:
		raw = []byte("{}")
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return err
		}
	}
	query.Set("sdkappid", strconv.FormatInt(c.SDKAppID, 10))
	query.Set("contenttype", "json")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/v4/"+cmd+"?"+query.Encode(), bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &ServerError{Cmd: cmd, Status: resp.StatusCode, Info: truncate(reply)}
	}
	var env envelope
	if err := json.Unmarshal(reply, &env); err != nil || env.ErrorCode == nil {
		return &ServerError{Cmd: cmd, Status: resp.StatusCode, Info: "not an envelope: " + truncate(reply)}
	}
	if env.ActionStatus != "OK" || *env.ErrorCode != 0 {
		return &ServerError{Cmd: cmd, Status: resp.StatusCode, Code: *env.ErrorCode, Info: env.ErrorInfo}
	}
	if out != nil {
		return json.Unmarshal(reply, out)
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// Post sends a prepared body to a prepared URL and returns the reply; the benchmark's hot loop uses
// it so that the client's own encoding costs the same against every server.
func Post(ctx context.Context, hc *http.Client, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(reply))
	}
	return reply, err
}

// URL is the full URL of a session call (for Post).
func (s *Session) URL(cmd string) string {
	q := s.query()
	q.Set("sdkappid", strconv.FormatInt(s.c.SDKAppID, 10))
	q.Set("contenttype", "json")
	return s.c.Base + "/v4/" + cmd + "?" + q.Encode()
}

// Session is one logged-in client instance.
type Session struct {
	c      *Client
	User   string
	TinyID string
	A2     string
	PollID string
	Seq    uint64 // the long poll's cursor: the highest NoticeSeq seen
}

// Login logs user in with a fresh UserSig.
func (c *Client) Login(ctx context.Context, user string) (*Session, error) {
	sig, err := usersig.Generate(c.SDKAppID, c.Secret, user, 24*time.Hour, time.Now())
	if err != nil {
		return nil, err
	}
	var r struct {
		A2Key  string
		TinyId string
	}
	q := url.Values{"identifier": {user}, "usersig": {sig}}
	if err := c.Call(ctx, "openim/login", q, []byte(`{"State":"Online"}`), &r); err != nil {
		return nil, err
	}
	return &Session{c: c, User: user, TinyID: r.TinyId, A2: r.A2Key}, nil
}

func (s *Session) query() url.Values { return url.Values{"tinyid": {s.TinyID}, "a2": {s.A2}} }

// Call makes a session call.
func (s *Session) Call(ctx context.Context, cmd string, body any, out any) error {
	return s.c.Call(ctx, cmd, s.query(), body, out)
}

// SyncMsg is a C2C message as the sync and the long poll carry it.
type SyncMsg struct {
	From_Account string
	To_Account   string
	MsgSeq       uint64
	MsgRandom    uint32
	NoticeSeq    uint64
	MsgBody      Body
}

// Body is a MsgBody as the client reads it.
type Body []struct {
	MsgType    string
	MsgContent struct{ Text string }
}

// Text is the first text element's text.
func (b Body) Text() string {
	if len(b) == 0 {
		return ""
	}
	return b[0].MsgContent.Text
}

// Text is the message's first text element.
func (m SyncMsg) Text() string { return m.MsgBody.Text() }

// Sync runs the offline C2C sync to its end (getmsg until SyncFlag 2) and returns its messages.
func (s *Session) Sync(ctx context.Context) ([]SyncMsg, error) {
	var all []SyncMsg
	cookie := ""
	for range 100000 {
		var r struct {
			Cookie   string
			SyncFlag int
			MsgList  []SyncMsg
		}
		if err := s.Call(ctx, "openim/getmsg", map[string]any{"Cookie": cookie, "SyncFlag": 0}, &r); err != nil {
			return all, err
		}
		all = append(all, r.MsgList...)
		cookie = r.Cookie
		if r.SyncFlag == 2 {
			return all, nil
		}
	}
	return all, errors.New("getmsg never completed")
}

// OpenPoll asks for a long-poll id (after Sync, as the SDK does).
func (s *Session) OpenPoll(ctx context.Context) error {
	var r struct{ LongPollingId string }
	if err := s.Call(ctx, "openim/getlongpollingid", nil, &r); err != nil {
		return err
	}
	s.PollID = r.LongPollingId
	return nil
}

// Event is one long-poll event, with the fields the load generator reads.
type Event struct {
	Event         int
	C2cMsgArray   []SyncMsg
	GroupMsgArray []struct {
		GroupId      string
		From_Account string
		MsgSeq       uint64
		MsgRandom    uint32
		NoticeSeq    uint64
		MsgBody      Body
	}
	GroupTips []struct {
		NoticeSeq uint64
	}
	C2cNotifyMsgArray []struct {
		NoticeSeq uint64
	}
}

// Texts are the texts of the messages the event carries.
func (e Event) Texts() []string {
	var out []string
	for _, m := range e.C2cMsgArray {
		out = append(out, m.Text())
	}
	for _, m := range e.GroupMsgArray {
		out = append(out, m.MsgBody.Text())
	}
	return out
}

// Seqs are the NoticeSeqs the event carries.
func (e Event) Seqs() []uint64 {
	var out []uint64
	for _, m := range e.C2cMsgArray {
		out = append(out, m.NoticeSeq)
	}
	for _, m := range e.GroupMsgArray {
		out = append(out, m.NoticeSeq)
	}
	for _, m := range e.GroupTips {
		out = append(out, m.NoticeSeq)
	}
	for _, m := range e.C2cNotifyMsgArray {
		out = append(out, m.NoticeSeq)
	}
	return out
}

// Poll makes one long poll from the session's cursor and advances it past what arrived. An empty
// result is the server's "no news".
func (s *Session) Poll(ctx context.Context) ([]Event, error) {
	var r struct{ EventArray []Event }
	body := map[string]any{"Cookie": map[string]any{"NoticeSeq": s.Seq, "LongPollingId": s.PollID}}
	if err := s.Call(ctx, "openim/longpolling", body, &r); err != nil {
		return nil, err
	}
	for _, e := range r.EventArray {
		for _, q := range e.Seqs() {
			s.Seq = max(s.Seq, q)
		}
	}
	return r.EventArray, nil
}

// TextBody is a MsgBody with one text element.
func TextBody(text string) []map[string]any {
	return []map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]string{"Text": text}}}
}

// SendC2C sends a text message as the SDK does (MsgSeq and MsgRandom are the client's).
func (s *Session) SendC2C(ctx context.Context, to string, seq uint64, random uint32, text string) error {
	return s.Call(ctx, "openim/sendmsg", map[string]any{"From_Account": s.User, "To_Account": to, "MsgSeq": seq,
		"MsgRandom": random, "MsgTimeStamp": time.Now().Unix(), "MsgBody": TextBody(text)}, nil)
}

// CreateGroup creates a public group with the caller as owner and members as initial members.
func (s *Session) CreateGroup(ctx context.Context, id string, members []string) error {
	list := make([]map[string]string, len(members))
	for i, m := range members {
		list[i] = map[string]string{"Member_Account": m}
	}
	return s.Call(ctx, "group_open_http_svc/create_group", map[string]any{"GroupId": id, "Type": "Public",
		"Name": id, "MaxMemberNum": len(members) + 1, "MemberList": list}, nil)
}

// SendGroup sends a text message to a group.
func (s *Session) SendGroup(ctx context.Context, group string, random uint32, text string) error {
	return s.Call(ctx, "group_open_http_svc/send_group_msg", map[string]any{"GroupId": group, "Random": random,
		"MsgBody": TextBody(text)}, nil)
}
