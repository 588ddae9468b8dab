package webim

import (
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

// user is one webim.js instance acting as an account of the spec's tenant.
type user struct {
	*harness.User
}

// login runs webim.login and waits until the SDK has opened its long poll.
func login(t *harness.Tenant, id string) *user {
	GinkgoHelper()
	u := &user{t.Start(id)}
	res, err := u.Login(harness.Ctx(), t.Sig(id))
	Expect(err).NotTo(HaveOccurred(), "webim.login %s", id)
	r := obj(res)
	Expect(r["ActionStatus"]).To(Equal("OK"))
	Expect(r["ErrorInfo"]).To(Equal("login success"))
	Eventually(func() bool {
		ss := t.App.Sessions(id)
		return len(ss) > 0 && ss[len(ss)-1].LongPoll != ""
	}).WithTimeout(20*time.Second).Should(BeTrue(), "%s logged in but never opened its long poll", id)
	return u
}

// call runs webim[method](args..., cbOk, cbErr) and returns what cbOk got.
func (u *user) call(method string, args ...any) map[string]any {
	GinkgoHelper()
	res, err := u.Call(harness.Ctx(), method, args...)
	Expect(err).NotTo(HaveOccurred(), "%s: webim.%s", u.ID, method)
	return obj(res)
}

// fails runs webim[method] expecting cbErr, and returns its error.
func (u *user) fails(method string, args ...any) *driver.SDKError {
	GinkgoHelper()
	_, err := u.Call(harness.Ctx(), method, args...)
	Expect(err).To(HaveOccurred(), "%s: webim.%s should fail", u.ID, method)
	var se *driver.SDKError
	Expect(err).To(BeAssignableToTypeOf(se))
	return err.(*driver.SDKError)
}

// sync runs a webim function without callbacks (setAutoRead, MsgStore.*) and returns its value.
func (u *user) sync(method string, args ...any) any {
	GinkgoHelper()
	if args == nil {
		args = []any{}
	}
	res, err := u.Do(harness.Ctx(), "sync", map[string]any{"method": method, "args": args})
	Expect(err).NotTo(HaveOccurred(), "%s: webim.%s", u.ID, method)
	var v any
	Expect(json.Unmarshal(res, &v)).To(Succeed())
	return v
}

// send builds a webim.Msg of elems for a C2C peer or group ("C2C"/"GROUP") and sends it.
func (u *user) send(typ, to string, elems ...map[string]any) (msg, resp map[string]any, err error) {
	res, err := u.Do(harness.Ctx(), "send", map[string]any{"type": typ, "to": to, "elems": elems})
	if err != nil {
		return nil, nil, err
	}
	r := obj(res)
	return obj2(r["msg"]), obj2(r["resp"]), nil
}

// store is webim.MsgStore as plain data: {count, sessions:[{type,id,unread,msgs:[…]}]}.
func (u *user) store() map[string]any {
	GinkgoHelper()
	res, err := u.Do(harness.Ctx(), "store", nil)
	Expect(err).NotTo(HaveOccurred())
	return obj(res)
}

// awaitMsg waits for an onMsgNotify that carries a message matching match, and returns it.
func (u *user) awaitMsg(what string, match func(m map[string]any) bool) map[string]any {
	GinkgoHelper()
	var found map[string]any
	u.Await("onMsgNotify", func(e driver.Event) bool {
		for _, m := range list(raw(e.Data)) {
			if match(obj2(m)) {
				found = obj2(m)
				return true
			}
		}
		return false
	})
	Expect(found).NotTo(BeNil(), what)
	return found
}

// awaitNotice waits for listener table.key (e.g. "onGroupSystemNotifys.1") matching match.
func (u *user) awaitNotice(name string, match func(n map[string]any) bool) map[string]any {
	GinkgoHelper()
	ev := u.Await(name, func(e driver.Event) bool { return match == nil || match(obj(e.Data)) })
	return obj(ev.Data)
}

func text(s string) map[string]any { return map[string]any{"type": "text", "text": s} }

// content is element i's content object of a serialised message.
func content(m map[string]any, i int) map[string]any {
	return obj2(obj2(list(m["elems"])[i])["content"])
}

func elemType(m map[string]any, i int) any { return obj2(list(m["elems"])[i])["type"] }

func session(typ, id string) map[string]any {
	return map[string]any{"$session": map[string]any{"type": typ, "id": id}}
}

func raw(b json.RawMessage) any {
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

func obj(b json.RawMessage) map[string]any { return obj2(raw(b)) }
func obj2(v any) map[string]any            { m, _ := v.(map[string]any); return m }
func list(v any) []any                     { l, _ := v.([]any); return l }
