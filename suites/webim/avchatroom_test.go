package webim

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/suites/driver"
	"github.com/imharness/imharness/suites/harness"
)

var _ = Describe("AVChatRoom audiences (webim.js 1.7 applyJoinBigGroup)", func() {
	It("a viewer without login and a logged-in member poll the room's messages and tips", harness.Case("webim/group/avchatroom"), func() {
		t := env.NewTenant()
		alice, bob := login(t, "alice"), login(t, "bob")
		gid := alice.call("createGroup", map[string]any{"Type": "AVChatRoom", "Name": "Live", "MemberList": []string{}})["GroupId"].(string)

		viewer := &user{t.Start("viewer")}
		res, err := viewer.Do(harness.Ctx(), "login", map[string]any{"anonymous": true})
		Expect(err).NotTo(HaveOccurred())
		Expect(obj(res)["ErrorInfo"]).To(ContainSubstring("no login state"))
		joined := viewer.call("applyJoinBigGroup", map[string]any{"GroupId": gid})
		Expect(joined["JoinedStatus"]).To(Equal("JoinedSuccess"))
		Expect(joined["LongPollingKey"]).NotTo(BeEmpty())
		Expect(t.App.GroupMembers("alice", gid)).To(HaveLen(1), "an anonymous viewer is no member")

		member := bob.call("applyJoinBigGroup", map[string]any{"GroupId": gid})
		Expect(member["LongPollingKey"]).NotTo(BeEmpty())
		Expect(t.App.GroupMembers("alice", gid)).To(HaveLen(2))
		if env.SDKBefore("1.7.2") {
			// 1.7.0 asks the server again, which answers the member's repeated join as joined.
			Expect(bob.call("applyJoinBigGroup", map[string]any{"GroupId": gid})["JoinedStatus"]).To(Equal("JoinedSuccess"))
		} else {
			// Later releases refuse to join a room they already poll, without asking the server.
			Expect(*bob.fails("applyJoinBigGroup", map[string]any{"GroupId": gid}).Code).To(Equal(10013))
		}

		_, _, err = alice.send("GROUP", gid, text("live!"))
		Expect(err).NotTo(HaveOccurred())
		for _, u := range []*user{viewer, bob} {
			u.Await("onBigGroupMsgNotify", func(e driver.Event) bool {
				for _, m := range list(raw(e.Data)) {
					if elemType(obj2(m), 0) == "TIMTextElem" && content(obj2(m), 0)["text"] == "live!" {
						Expect(obj2(m)["fromAccount"]).To(Equal("alice"))
						Expect(obj2(obj2(m)["session"])).To(HaveKeyWithValue("id", gid))
						return true
					}
				}
				return false
			})
		}
		viewer.call("quitBigGroup", map[string]any{"GroupId": gid})
	})
})
