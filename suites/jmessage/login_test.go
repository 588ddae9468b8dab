package jmessage

import (
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/imharness/imharness/mockserver/jim"
	"github.com/imharness/imharness/suites/harness"
)

var _ = forEachClient(func(cl client) {
	Describe("init and login", func() {
		It("initialises with a signed auth payload and logs in with the md5 password", harness.Case("jim/login/ok"), func() {
			t := newTenant(cl)
			alice := t.login("alice")
			_ = alice
			t.expectGolden()
		})

		DescribeTable("refuses a bad auth payload at c_init",
			func(makeAuth func(t *tenant) map[string]any, code int) {
				t := newTenant(cl)
				t.seed("mallory", "pw", "")
				m := t.start("mallory")
				if cl.V2 {
					m.expectCode(code, "init", map[string]any{"auth_payload": makeAuth(t)})
				} else { // v1 sends c_init inside login
					m.mustCall("init", map[string]any{})
					m.expectCode(code, "login", map[string]any{"username": "mallory", "password": "pw", "auth_payload": makeAuth(t)})
				}
				t.expectGolden()
			},
			Entry("unknown appkey", harness.Case("jim/init/unknown-appkey"), func(t *tenant) map[string]any {
				a := t.auth()
				a["appkey"] = "000000000000000000000000"
				return a
			}, jim.CodeAppKeyNotExist),
			Entry("signed with another secret", harness.Case("jim/init/bad-signature"), func(t *tenant) map[string]any {
				return t.authAt(time.Now(), "not-the-master-secret")
			}, jim.CodeSignatureFail),
			Entry("signed eleven minutes ago", harness.Case("jim/init/expired-signature"), func(t *tenant) map[string]any {
				return t.authAt(time.Now().Add(-11*time.Minute), t.Secret)
			}, jim.CodeSignatureExpired),
		)

		It("refuses an unknown user with 880103 and a wrong password with 880104", harness.Case("jim/login/bad-credentials"), func() {
			t := newTenant(cl)
			t.seed("alice", "right", "Alice")
			a := t.start("alice")
			a.mustCall("init", map[string]any{"auth_payload": t.auth()})
			a.expectCode(jim.CodeUserNotExist, "login", map[string]any{"username": "nobody", "password": "x", "auth_payload": t.auth()})
			a.expectCode(jim.CodeWrongPassword, "login", map[string]any{"username": "alice", "password": "wrong", "auth_payload": t.auth()})
			a.mustCall("login", map[string]any{"username": "alice", "password": "right", "auth_payload": t.auth()})
			t.expectGolden()
		})
	})
})
