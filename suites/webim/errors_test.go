package webim

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/fault"
	"github.com/imharness/imharness/suites/harness"
)

// addFault adds a rule to the spec's tenant through the in-process API.
func addFault(t *harness.Tenant, r fault.Rule) {
	GinkgoHelper()
	_, err := env.Server.Faults(t.SDKAppID).Add(r)
	Expect(err).NotTo(HaveOccurred())
}

var _ = Describe("error codes (WebIM 1.0 manual §8.1, 1.3 §12)", func() {
	DescribeTable("a send or sync failure reaches cbErr with the server's code",
		func(code int) {
			t := env.NewTenant()
			alice, bob := login(t, "alice"), login(t, "bob")
			addFault(t, fault.Rule{Match: fault.Match{Command: "openim/sendmsg", User: "alice"}, Nth: 1, Count: 1,
				Reply: &fault.Reply{ErrorCode: code, ErrorInfo: "injected by the spec"}})
			_, _, err := alice.send("C2C", "bob", text("x"))
			Expect(err).To(HaveOccurred())
			se := sdkErr(err)
			Expect(*se.Code).To(Equal(code))
			Expect(se.Message).To(ContainSubstring("[openim][sendmsg]failed"))
			Expect(string(se.Data)).To(ContainSubstring(`"SrcErrorInfo":"injected by the spec"`))
			Expect(t.App.C2CHistory("alice", "bob")).To(BeEmpty())

			addFault(t, fault.Rule{Match: fault.Match{Command: "openim/getmsg", User: "bob"}, Nth: 1, Count: 1,
				Reply: &fault.Reply{ErrorCode: code, ErrorInfo: "injected by the spec"}})
			Expect(*bob.fails("syncMsgs").Code).To(Equal(code))

			gid := alice.call("createGroup", map[string]any{"Type": "Private", "Name": "G", "MemberList": []string{"bob"}})["GroupId"].(string)
			addFault(t, fault.Rule{Match: fault.Match{Command: "group_open_http_svc/send_group_msg", Group: gid}, Nth: 1, Count: 1,
				Reply: &fault.Reply{ErrorCode: code, ErrorInfo: "injected by the spec"}})
			_, _, err = bob.send("GROUP", gid, text("y"))
			Expect(err).To(HaveOccurred())
			Expect(*sdkErr(err).Code).To(Equal(code))
			t.ExpectGolden()
		},
		func(code int) string { return fmt.Sprintf("%d", code) },
		Entry(nil, harness.Case("webim/errors/20001"), 20001),
		Entry(nil, harness.Case("webim/errors/20002"), 20002),
		Entry(nil, harness.Case("webim/errors/20003"), 20003),
		Entry(nil, harness.Case("webim/errors/20004"), 20004),
		Entry(nil, harness.Case("webim/errors/20005"), 20005),
		Entry(nil, harness.Case("webim/errors/20006"), 20006),
		Entry(nil, harness.Case("webim/errors/80001"), 80001),
	)

	It("a bad UserSig fails the login with the server's code", harness.Case("webim/login/bad-usersig"), func() {
		t := env.NewTenant()
		u := t.Start("alice")
		_, err := u.Login(harness.Ctx(), "not-a-usersig")
		Expect(err).To(HaveOccurred())
		Expect(*sdkErr(err).Code).To(Equal(70003))
		Expect(t.App.Sessions("alice")).To(BeEmpty())
		t.ExpectGolden()
	})

	It("a real unknown peer is 20003 without any fault rule", harness.Case("webim/errors/unknown-peer"), func() {
		t := env.NewTenant()
		alice := login(t, "alice")
		_, _, err := alice.send("C2C", "nobody", text("x"))
		Expect(err).To(HaveOccurred())
		Expect(*sdkErr(err).Code).To(Equal(20003))
	})
})
