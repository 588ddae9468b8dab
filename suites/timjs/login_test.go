package timjs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/usersig"
	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

var _ = Describe("login", func() {
	It("reaches SDK_READY and sees its own profile", harness.Case("tim/login/ready"), func() {
		t := env.NewTenant()
		alice := t.Login("alice")
		// SDK_READY reached the driver through the handler it registered with tim.on.
		Expect(alice.Events()).To(ContainElement(HaveField("Name", "SDK_READY")))
		Expect(t.App.Sessions("alice")).To(HaveLen(1))
		t.ExpectGolden() // before getMyProfile, which asks the server only while the login's own fetch is under way
		res, err := alice.Call(harness.Ctx(), "getMyProfile")
		Expect(err).NotTo(HaveOccurred())
		var p struct{ Data struct{ UserID string } }
		harness.Decode(res, &p)
		Expect(p.Data.UserID).To(Equal("alice"))

		// tim.setLogLevel(0) switches the SDK to full logging, which it opens with its banner (the
		// driver started it at level 2, which prints none). The WebSocket generation takes the
		// banner from its error-message dictionary, which it does not fetch under proxyServer: it
		// logs the level change instead.
		banner := "tim.setLogLevel(1)"
		if env.WebSocket() {
			banner = "set level from 2 to 0"
		}
		Expect(alice.Stderr()).NotTo(ContainElement(ContainSubstring(banner)))
		_, err = alice.Call(harness.Ctx(), "setLogLevel", 0)
		Expect(err).NotTo(HaveOccurred())
		Eventually(alice.Stderr).Should(ContainElement(ContainSubstring(banner)))
	})

	DescribeTable("refuses a bad UserSig with the service's code and creates no account",
		func(makeSig func(t *harness.Tenant) string, code int) {
			t := env.NewTenant()
			mallory := t.Start("mallory")
			_, err := mallory.Login(harness.Ctx(), makeSig(t))
			var se *driver.SDKError
			Expect(err).To(BeAssignableToTypeOf(se))
			se = err.(*driver.SDKError)
			Expect(se.Code).NotTo(BeNil(), "rejection without a code: %v", err)
			Expect(*se.Code).To(Equal(code))
			Expect(t.App.HasUser("mallory")).To(BeFalse())
			Expect(t.App.Sessions("mallory")).To(BeEmpty())
			Expect(mallory.Events()).NotTo(ContainElement(HaveField("Name", "SDK_READY")))
			t.ExpectGolden()
		},
		Entry("garbage", harness.Case("tim/login/bad-usersig"), func(*harness.Tenant) string { return "not-a-real-usersig" }, usersig.CodeMalformed),
		Entry("signed with another key", harness.Case("tim/login/usersig-wrong-key"), func(t *harness.Tenant) string {
			s, _ := usersig.Generate(t.SDKAppID, "another-secret", "mallory", time.Hour, t.App.Now())
			return s
		}, usersig.CodeMalformed),
		Entry("expired", harness.Case("tim/login/usersig-expired"), func(t *harness.Tenant) string {
			s, _ := usersig.Generate(t.SDKAppID, t.Secret, "mallory", time.Minute, t.App.Now().Add(-time.Hour))
			return s
		}, usersig.CodeExpired),
		Entry("made for someone else", harness.Case("tim/login/usersig-identifier"), func(t *harness.Tenant) string { return t.Sig("alice") }, usersig.CodeIdentifierMismatch),
		Entry("made for another app", harness.Case("tim/login/usersig-sdkappid"), func(t *harness.Tenant) string {
			s, _ := usersig.Generate(t.SDKAppID+1, t.Secret, "mallory", time.Hour, t.App.Now())
			return s
		}, usersig.CodeSDKAppIDMismatch),
	)

	It("logs out: SDK_NOT_READY, the session ends and the long poll is released", harness.Case("tim/login/logout"), func() {
		t := env.NewTenant()
		alice := t.Login("alice")
		// The long poll opens once the C2C sync is done; wait for it so logout has one to release.
		Eventually(func() string { return sessionLongPoll(t, "alice") }).ShouldNot(BeEmpty())
		Expect(alice.Logout(harness.Ctx())).To(Succeed())
		alice.Await("SDK_NOT_READY")
		Eventually(func() string { return sessionLongPoll(t, "alice") }).Should(BeEmpty())
		if env.WebSocket() { // its logout is a frame on the socket, which stays open
			Expect(commands(t)).To(ContainElement("im_open_status/wslogout"))
			Expect(t.App.Sessions("alice")).To(BeEmpty())
		} else {
			Expect(commands(t)).To(ContainElement("openim/longpollinglogout"))
		}
		t.ExpectGolden()
	})
})

func sessionLongPoll(t *harness.Tenant, user string) string {
	for _, s := range t.App.Sessions(user) {
		if s.LongPoll != "" {
			return s.LongPoll
		}
	}
	return ""
}

// commands lists the commands of the tenant's transcript, in order.
func commands(t *harness.Tenant) []string {
	var out []string
	for _, x := range t.Transcript() {
		out = append(out, x.Command)
	}
	return out
}
