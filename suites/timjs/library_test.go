package timjs

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/imharness/imharness/mockserver/scenario"
	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
	"github.com/imharness/imharness/suites/harness"
)

// The scenario library (fixtures/scenarios, issue #15): every file is a catalogue case
// scenario/<path without .yaml>, proven here by a spec that loads that exact file into its own
// tenant and checks what the real SDK surfaces. The fixture's pushes do the work (through the
// state, as a client would); the specs only log in, watch and, for error codes, make the call the
// fixture is about. A QA person serves the same file (`imharness serve --scenario …`) and sees the
// same in their own client.

// libraryFile is the path of a library file.
func libraryFile(name string) string {
	return filepath.Join(harness.RepoRoot(), "fixtures", "scenarios", name+".yaml")
}

// libEntry is a table entry for the library file its case names (scenario/tips/tip-1-join proves
// tips/tip-1-join.yaml): described by the file's own name; the spec body gets the file's name first.
func libEntry(c Labels, args ...any) TableEntry {
	name := libraryName(c)
	sc, err := scenario.Load(libraryFile(name))
	if err != nil {
		panic(err) // a library file that does not load fails the whole suite's tree construction
	}
	return Entry(name+": "+sc.Name, append([]any{c, name}, args...)...)
}

// libraryName is the library file a scenario/… case proves.
func libraryName(c Labels) string {
	for _, l := range c {
		if id := harness.CaseIDFromLabel(l); strings.HasPrefix(id, "scenario/") {
			return strings.TrimPrefix(id, "scenario/")
		}
	}
	panic(fmt.Sprintf("%v names no scenario/… case", c))
}

// loaded is the library file the running spec loaded (specs of one process run one at a time).
var loaded string

// provesOwnFile makes every spec of a library container load exactly the file its case names: a
// scenario/… case proven without its file fails.
func provesOwnFile() {
	BeforeEach(func() { loaded = "" })
	AfterEach(func() {
		Expect("scenario/"+loaded).To(Equal(harness.CaseID()), "a scenario/… spec loads the library file its case names")
	})
}

// loadLibrary loads a library file into the spec's tenant.
func loadLibrary(t *harness.Tenant, name string) *scenario.Run {
	GinkgoHelper()
	loaded = name
	sc, err := scenario.Load(libraryFile(name))
	Expect(err).NotTo(HaveOccurred())
	run, err := env.Server.LoadScenario(t.SDKAppID, sc)
	Expect(err).NotTo(HaveOccurred())
	return run
}

// pushesDone waits until every push of the run has fired, and checks none was refused.
func pushesDone(run *scenario.Run) {
	GinkgoHelper()
	if len(run.Pushes()) == 0 {
		return
	}
	Eventually(func() []scenario.PushStatus { return run.Pushes() }).Should(HaveEach(HaveField("Fired", true)))
	for _, p := range run.Pushes() {
		Expect(p.Error).To(BeEmpty(), "push %d (%s)", p.Index, p.Action)
	}
}

var _ = Describe("scenario library", Label("scenarios"), func() {
	provesOwnFile()

	DescribeTable("group tips: the observer's SDK reports the tip the fixture's action causes",
		func(name, observer string, op int, operator string, check func(*harness.User, harness.Message)) {
			t := env.NewTenant()
			run := loadLibrary(t, name)
			u := t.Login(observer)
			m := u.AwaitMessage("tip", isTip("team", op))
			Expect(m.ConversationType).To(Equal("GROUP"))
			Expect(m.From).To(Equal(operator))
			Expect(m.Payload).To(HaveKeyWithValue("operatorID", operator))
			check(u, m)
			pushesDone(run)
		},
		libEntry(harness.Case("scenario/tips/tip-1-join"), "bob", 1, "dave", func(_ *harness.User, m harness.Message) {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"dave"}))
			Expect(num(m.Payload["memberNum"])).To(Equal(4))
		}),
		libEntry(harness.Case("scenario/tips/tip-2-quit"), "bob", 2, "carol", func(_ *harness.User, m harness.Message) {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"carol"}))
			Expect(num(m.Payload["memberNum"])).To(Equal(2))
		}),
		libEntry(harness.Case("scenario/tips/tip-3-kick"), "bob", 3, "alice", func(_ *harness.User, m harness.Message) {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"carol"}))
			Expect(num(m.Payload["memberNum"])).To(Equal(2))
		}),
		libEntry(harness.Case("scenario/tips/tip-4-set-admin"), "bob", 4, "alice", func(_ *harness.User, m harness.Message) {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"carol"}))
		}),
		libEntry(harness.Case("scenario/tips/tip-5-unset-admin"), "bob", 5, "alice", func(_ *harness.User, m harness.Message) {
			Expect(strs(m.Payload["userIDList"])).To(Equal([]string{"carol"}))
		}),
		libEntry(harness.Case("scenario/tips/tip-6-profile"), "bob", 6, "alice", func(u *harness.User, m harness.Message) {
			name := "name"
			if env.WebSocket() {
				name = "groupName" // the WebSocket generation's tip decoder (see tim/tips/*)
			}
			Expect(m.Payload["newGroupProfile"]).To(Equal(map[string]any{name: "Team 2", "notification": "be kind"}))
			u.Await("GROUP_LIST_UPDATED", groupListUpdated("team", func(g sdkGroup) bool { return g.Name == "Team 2" }))
		}),
		libEntry(harness.Case("scenario/tips/tip-7-mute"), "bob", 7, "alice", func(_ *harness.User, m harness.Message) {
			Expect(m.Payload["memberList"]).To(Equal([]any{map[string]any{"userID": "carol", "muteTime": 600.0}}))
		}),
	)

	DescribeTable("group system notices: the receiver's SDK reports the notice the fixture's action causes",
		func(name, receiver, gid string, op int, operator string, check func(*harness.Tenant, *harness.User, harness.Message)) {
			t := env.NewTenant()
			run := loadLibrary(t, name)
			u := t.Login(receiver)
			m := u.AwaitMessage("notice", isNotice(gid, op))
			Expect(m.ConversationID).To(Equal("@TIM#SYSTEM"))
			Expect(m.Payload).To(HaveKeyWithValue("operatorID", operator))
			check(t, u, m)
			pushesDone(run)
		},
		libEntry(harness.Case("scenario/notices/notice-1-apply"), "alice", "team", 1, "dave", func(_ *harness.Tenant, _ *harness.User, m harness.Message) {
			Expect(m.Payload).To(HaveKeyWithValue("handleMessage", "let me in"))
			Expect(m.Payload["authentication"]).NotTo(BeEmpty())
			Expect(m.Payload["messageKey"]).NotTo(BeEmpty())
		}),
		libEntry(harness.Case("scenario/notices/notice-2-accepted"), "dave", "team", 2, "alice", func(t *harness.Tenant, u *harness.User, m harness.Message) {
			Expect(m.Payload).To(HaveKeyWithValue("handleMessage", "welcome"))
			u.Await("GROUP_LIST_UPDATED", groupListUpdated("team", anyGroup))
			Expect(t.App.JoinedGroups("dave")).To(ContainElement(HaveField("Self.Role", state.RoleMember)))
		}),
		libEntry(harness.Case("scenario/notices/notice-3-refused"), "dave", "team", 3, "alice", func(t *harness.Tenant, _ *harness.User, m harness.Message) {
			Expect(m.Payload).To(HaveKeyWithValue("handleMessage", "not now"))
			Expect(t.App.JoinedGroups("dave")).To(BeEmpty())
		}),
		libEntry(harness.Case("scenario/notices/notice-4-kicked"), "carol", "team", 4, "alice", func(_ *harness.Tenant, u *harness.User, _ harness.Message) {
			u.Await("GROUP_LIST_UPDATED", groupListWithout("team"))
		}),
		libEntry(harness.Case("scenario/notices/notice-5-dismissed"), "bob", "team", 5, "alice", func(_ *harness.Tenant, u *harness.User, _ harness.Message) {
			Expect(groupIDs(groupList(u))).NotTo(ContainElement("team"))
		}),
		libEntry(harness.Case("scenario/notices/notice-6-created"), "alice", "side", 6, "alice", func(t *harness.Tenant, _ *harness.User, _ harness.Message) {
			Expect(t.App.JoinedGroups("bob")).To(ContainElement(HaveField("ID", "side")))
			Expect(t.App.Notices("bob")).To(ConsistOf(HaveField("Type", state.NoticeInvited)), "initial members are told as invitees")
		}),
		libEntry(harness.Case("scenario/notices/notice-7-invited"), "dave", "work", 7, "bob", func(_ *harness.Tenant, u *harness.User, _ harness.Message) {
			u.Await("GROUP_LIST_UPDATED", groupListUpdated("work", anyGroup))
		}),
		libEntry(harness.Case("scenario/notices/notice-8-quit"), "carol", "team", 8, "carol", func(t *harness.Tenant, _ *harness.User, _ harness.Message) {
			Expect(t.App.JoinedGroups("carol")).To(BeEmpty())
		}),
		libEntry(harness.Case("scenario/notices/notice-9-set-admin"), "carol", "team", 9, "alice", func(*harness.Tenant, *harness.User, harness.Message) {}),
		libEntry(harness.Case("scenario/notices/notice-10-unset-admin"), "carol", "team", 10, "alice", func(*harness.Tenant, *harness.User, harness.Message) {}),
		libEntry(harness.Case("scenario/notices/notice-11-reclaimed"), "bob", "team", 11, state.DefaultAdminID, func(_ *harness.Tenant, u *harness.User, _ harness.Message) {
			_, err := u.Send(harness.Ctx(), "createTextMessage", map[string]any{
				"to": "team", "conversationType": "$TYPES.CONV_GROUP", "payload": map[string]any{"text": "hello?"}})
			Expect(rejectCode(err)).To(Equal(tim.CodeGroupNotFound))
		}),
		libEntry(harness.Case("scenario/notices/notice-255-all"), "bob", "team", 255, state.DefaultAdminID, func(_ *harness.Tenant, _ *harness.User, m harness.Message) {
			Expect(m.Payload).To(HaveKeyWithValue("userDefinedField", "maintenance at 2am"))
		}),
	)

	c := harness.Case("scenario/notices/notice-255-some")
	It("notice 255 to some members: only the listed member's SDK reports it", c, func() {
		t := env.NewTenant()
		run := loadLibrary(t, libraryName(c))
		bob, carol := t.Login("bob"), t.Login("carol")
		m := carol.AwaitMessage("notice", isNotice("team", 255))
		Expect(m.Payload).To(HaveKeyWithValue("userDefinedField", "just you"))
		expectNone(t, "notice 255", isNotice("team", 255), bob)
		pushesDone(run)
	})

	DescribeTable("kicks: KICKED_OUT with the fixture's kick type, then SDK_NOT_READY",
		func(name, kind string) {
			t := env.NewTenant()
			run := loadLibrary(t, name)
			// The kick may end the session before Login could see its long poll open, or before
			// the SDK reports SDK_READY.
			u := t.LoginWithoutReady(firstUser(name))
			ev := u.Await("KICKED_OUT")
			var data struct{ Type string }
			harness.Decode(ev.Data, &data)
			Expect(data.Type).To(Equal(u.Type(kickTypes[kind])), "TIM.TYPES.%s", kickTypes[kind])
			u.Await("SDK_NOT_READY")
			pushesDone(run)
		},
		libEntry(harness.Case("scenario/kick/multiple-account"), state.KickMultipleAccount),
		libEntry(harness.Case("scenario/kick/multiple-device"), state.KickMultipleDevice),
		libEntry(harness.Case("scenario/kick/usersig-expires"), state.KickUserSigExpired),
	)
})

// firstUser is the first user a library file declares.
func firstUser(name string) string {
	GinkgoHelper()
	sc, err := scenario.Load(libraryFile(name))
	Expect(err).NotTo(HaveOccurred())
	Expect(sc.Users).NotTo(BeEmpty())
	return sc.Users[0].ID
}

var _ = Describe("scenario library: error codes", Label("scenarios"), func() {
	provesOwnFile()

	DescribeTable("on send: sendMessage rejects with the fixture's code, the message fails, the next send goes through",
		func(name, to string, code, hits int) {
			t := env.NewTenant()
			run := loadLibrary(t, name)
			alice := t.Login("alice")
			se := sendFails(alice, "$TYPES.CONV_C2C", to, "refused")
			Expect(se.Code).To(HaveValue(Equal(code)))
			Expect(failedMessage(se).Status).To(Equal("fail"))
			Expect(t.App.C2CHistory("alice", "bob")).To(BeEmpty())
			if code == tim.CodeAuthFailed && env.WebSocket() {
				// The WebSocket generation takes 20002 in any reply for an expired a2: it reports
				// KICKED_OUT userSigExpired and is logged out, so there is no next send.
				ev := alice.Await("KICKED_OUT")
				var data struct{ Type string }
				harness.Decode(ev.Data, &data)
				Expect(data.Type).To(Equal(alice.Type("KICKED_OUT_USERSIG_EXPIRED")))
				alice.Await("SDK_NOT_READY")
				Expect(faultHits(t)).To(Equal(hits))
				return
			}
			alice.SendText("bob", "next")
			Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(1))
			Expect(faultHits(t)).To(Equal(hits), "fault rules acted (0: the server's own answer)")
			Expect(run.FaultIDs()).To(HaveLen(hits))
		},
		libEntry(harness.Case("scenario/errors/send-20001"), "bob", 20001, 1),
		libEntry(harness.Case("scenario/errors/send-20002"), "bob", 20002, 1),
		libEntry(harness.Case("scenario/errors/send-20003"), "nobody", 20003, 0),
		libEntry(harness.Case("scenario/errors/send-20004"), "bob", 20004, 1),
		libEntry(harness.Case("scenario/errors/send-20005"), "bob", 20005, 1),
		libEntry(harness.Case("scenario/errors/send-20006"), "bob", 20006, 1),
		libEntry(harness.Case("scenario/errors/send-80001"), "bob", 80001, 1),
		libEntry(harness.Case("scenario/c2c/send-fails-20003"), "bob", 20003, 1),
	)

	DescribeTable("on sync: a long poll answered with the code makes the SDK report ERROR, poll again and get the message once",
		func(name string, code int) {
			env.SkipUnlessLongPolling("the fixture's fault answers a long poll; pushes carry no error code")
			t := env.NewTenant()
			run := loadLibrary(t, name)
			alice := t.Login("alice")
			ev := alice.Await("ERROR")
			var e struct{ Code int }
			harness.Decode(ev.Data, &e)
			Expect(e.Code).To(Equal(code))
			alice.AwaitMessage("bob's", hasText("are you there?"))
			barrierFrom(t, "bob", alice)
			Expect(receivedTexts(alice)).To(Equal([]string{"are you there?", "barrier"}))
			Expect(faultHits(t)).To(Equal(1))
			pushesDone(run)
		},
		libEntry(harness.Case("scenario/errors/sync-20001"), 20001),
		libEntry(harness.Case("scenario/errors/sync-20003"), 20003),
		libEntry(harness.Case("scenario/errors/sync-20004"), 20004),
		libEntry(harness.Case("scenario/errors/sync-20005"), 20005),
		libEntry(harness.Case("scenario/errors/sync-20006"), 20006),
		libEntry(harness.Case("scenario/errors/sync-80001"), 80001),
	)

	c := harness.Case("scenario/errors/sync-20002")
	It("on sync, 20002: the SDK takes it for an expired UserSig: KICKED_OUT userSigExpired, no more polling", c, func() {
		env.SkipUnlessLongPolling("the fixture's fault answers a long poll (20002 on a WebSocket reply is scenario/errors/send-20002)")
		t := env.NewTenant()
		run := loadLibrary(t, libraryName(c))
		// The first long poll may be answered before the SDK reports SDK_READY.
		alice := t.LoginWithoutReady("alice")
		ev := alice.Await("KICKED_OUT")
		var data struct{ Type string }
		harness.Decode(ev.Data, &data)
		Expect(data.Type).To(Equal(alice.Type("KICKED_OUT_USERSIG_EXPIRED")))
		alice.Await("SDK_NOT_READY")
		Expect(receivedTexts(alice)).To(BeEmpty())
		Expect(t.App.UnreadC2C("alice")).To(ConsistOf(HaveField("Count", 1)))
		Expect(faultHits(t)).To(Equal(1))
		pushesDone(run)
	})

	DescribeTable("group errors: the SDK call the fixture sets up is refused with the group code",
		func(name, who string, code int, call func(*harness.Tenant, *harness.User) error, after func(*harness.Tenant)) {
			t := env.NewTenant()
			run := loadLibrary(t, name)
			u := t.Login(who)
			Expect(rejectCode(call(t, u))).To(Equal(code))
			after(t)
			pushesDone(run)
		},
		libEntry(harness.Case("scenario/group-errors/10007"), "carol", tim.CodeGroupNoPermission,
			func(_ *harness.Tenant, u *harness.User) error {
				awaitGroup(u, "team")
				_, err := u.Call(harness.Ctx(), "deleteGroupMember", map[string]any{"groupID": "team", "userIDList": []string{"bob"}})
				return err
			}, func(t *harness.Tenant) { Expect(memberIDs(t, "team")).To(ContainElement("bob")) }),
		libEntry(harness.Case("scenario/group-errors/10010"), "dave", tim.CodeGroupNotFound,
			func(_ *harness.Tenant, u *harness.User) error {
				_, err := u.Call(harness.Ctx(), "joinGroup", map[string]any{"groupID": "team", "type": "$TYPES.GRP_PUBLIC"})
				return err
			}, func(*harness.Tenant) {}),
		libEntry(harness.Case("scenario/group-errors/10013"), "alice", tim.CodeGroupAlreadyMember,
			func(_ *harness.Tenant, u *harness.User) error {
				apply := u.AwaitMessage("dave's application", isNotice("team", 1))
				_, err := u.Call(harness.Ctx(), "handleGroupApplication", map[string]any{"handleAction": "Agree",
					"message": map[string]any{"$message": apply.ID}})
				return err
			}, func(t *harness.Tenant) { Expect(memberIDs(t, "team")).To(ConsistOf("alice", "bob", "carol", "dave")) }),
		libEntry(harness.Case("scenario/group-errors/10014"), "dave", tim.CodeGroupFull,
			func(_ *harness.Tenant, u *harness.User) error {
				_, err := u.Call(harness.Ctx(), "joinGroup", map[string]any{"groupID": "team", "type": "$TYPES.GRP_PUBLIC"})
				return err
			}, func(t *harness.Tenant) { Expect(memberIDs(t, "team")).To(HaveLen(3)) }),
		libEntry(harness.Case("scenario/group-errors/10017"), "carol", tim.CodeGroupMuted,
			func(t *harness.Tenant, u *harness.User) error {
				awaitGroup(u, "team")
				se := sendFails(u, "$TYPES.CONV_GROUP", "team", "can I?")
				Expect(failedMessage(se).Status).To(Equal("fail"))
				return se
			}, func(t *harness.Tenant) {
				Expect(nextSeq(t, "team")).To(Equal(uint64(2)), "only the mute's tip is in the group")
			}),
		libEntry(harness.Case("scenario/group-errors/10024"), "alice", tim.CodeGroupHandled,
			func(_ *harness.Tenant, u *harness.User) error {
				apply := u.AwaitMessage("dave's application", isNotice("team", 1))
				_, err := u.Call(harness.Ctx(), "handleGroupApplication", map[string]any{"handleAction": "Agree",
					"message": map[string]any{"$message": apply.ID}})
				return err
			}, func(t *harness.Tenant) { Expect(memberIDs(t, "team")).To(ContainElement("dave")) }),
		libEntry(harness.Case("scenario/group-errors/10031"), "carol", tim.CodeRecallTooLate,
			func(_ *harness.Tenant, u *harness.User) error {
				awaitGroup(u, "team")
				sent := sendGroupText(u, "team", "old news")
				_, err := u.Call(harness.Ctx(), "revokeMessage", map[string]any{"$message": sent.ID})
				return err
			}, func(t *harness.Tenant) {
				p, err := t.App.GroupHistory("alice", "team", 0, 1)
				Expect(err).NotTo(HaveOccurred())
				Expect(p.Items[0].Msg.Revoked).To(BeFalse())
			}),
	)
})

var _ = Describe("scenario library: sync and network", Label("scenarios"), func() {
	provesOwnFile()

	It("an offline backlog larger than one getmsg page", harness.Case("scenario/sync/offline-backlog"), func() {
		t := env.NewTenant()
		loadLibrary(t, "sync/offline-backlog")
		alice := t.Login("alice")
		awaitConversation(alice, "C2Cbob", func(c conversation) bool { return c.UnreadCount == 25 })
		msgs, _ := alice.History("C2Cbob", 15)
		Expect(texts(msgs)).To(Equal(numbered("m%02d", 1, 25)))
		Expect(commandCount(t, "openim/getmsg")).To(BeNumerically(">=", 2), "25 messages take two getmsg pages")
	})

	It("roaming history over several pages", harness.Case("scenario/sync/roaming-paging"), func() {
		t := env.NewTenant()
		loadLibrary(t, "sync/roaming-paging")
		alice := t.Login("alice")
		msgs, pages := alice.History("C2Cbob", 15)
		Expect(texts(msgs)).To(Equal(numbered("r%02d", 1, 40)))
		Expect(pages).To(BeNumerically(">=", 3))
		for _, m := range msgs {
			Expect(m.Flow).To(Equal(map[bool]string{true: "out", false: "in"}[m.From == "alice"]), "%v", m.Payload)
		}
		Expect(commands(t)).To(ContainElement("openim/getroammsg"))
	})

	It("unread counts across devices", harness.Case("scenario/sync/unread-across-devices"), func() {
		t := env.NewTenant()
		run := loadLibrary(t, "sync/unread-across-devices")
		pushesDone(run)
		alice := t.Login("alice")
		Eventually(func() []conversation { return conversations(alice) }).WithTimeout(10 * time.Second).Should(
			ContainElement(And(HaveField("ConversationID", "C2Cbob"), HaveField("UnreadCount", 2))))
		msgs, _ := alice.History("C2Cbob", 15)
		Expect(texts(msgs)).To(Equal([]string{"u1", "u2", "u3", "u4", "u5"}))
		Expect(conversationByID(alice, "C2Cbob").UnreadCount).To(Equal(2))
	})

	It("a message sent twice with the same MsgSeq and MsgRandom", harness.Case("scenario/sync/duplicate-msgrandom"), func() {
		t := env.NewTenant()
		run := loadLibrary(t, "sync/duplicate-msgrandom")
		alice := t.Login("alice")
		alice.AwaitMessage("next", hasText("next"))
		barrierFrom(t, "bob", alice)
		Expect(receivedTexts(alice)).To(Equal([]string{"once", "next", "barrier"}))
		Expect(texts(c2cHistory(t, "alice", "bob"))).To(Equal([]string{"once", "next", "barrier"}), "the resend is stored once")
		pushesDone(run)
	})

	It("a burst while the long poll re-opens", harness.Case("scenario/sync/burst-while-reopening"), func() {
		t := env.NewTenant()
		run := loadLibrary(t, "sync/burst-while-reopening")
		alice := t.Login("alice")
		alice.AwaitMessage("b5", hasText("b5"))
		barrierFrom(t, "bob", alice)
		Expect(receivedTexts(alice)).To(Equal(append(numbered("b%d", 0, 5), "barrier")))
		pushesDone(run)
	})

	DescribeTable("a failing long poll: the SDK polls again and gets the message exactly once",
		func(name string, hits int) {
			env.SkipUnlessLongPolling("the fixture's faults break long polls (socket faults are tim/ws/*)")
			t := env.NewTenant()
			run := loadLibrary(t, name)
			alice := t.Login("alice")
			m := alice.AwaitMessage("bob's", func(m harness.Message) bool { return m.From == "bob" })
			Expect(m.ConversationID).To(Equal("C2Cbob"))
			barrierFrom(t, "bob", alice)
			Expect(receivedTexts(alice)).To(HaveLen(2))
			Expect(faultHits(t)).To(Equal(hits))
			Expect(t.App.C2CHistory("alice", "bob")).To(HaveLen(2))
			pushesDone(run)
		},
		libEntry(harness.Case("scenario/network/longpoll-dropped"), 3),
		libEntry(harness.Case("scenario/network/longpoll-502"), 3),
		libEntry(harness.Case("scenario/network/longpoll-truncated"), 1),
	)

	It("a long poll held past the SDK's timeout, dropped, then 502; the message sent at 40 s arrives once",
		harness.Case("scenario/network/flaky-long-poll"), func() {
			env.SkipUnlessLongPolling("the fixture's faults hold, drop and 502 long polls (socket faults are tim/ws/*)")
			t := env.NewTenant()
			run := loadLibrary(t, "network/flaky-long-poll")
			bob := t.Login("bob")
			bob.AwaitMessage("the message sent at 40s", hasText("still there?"))
			barrierFrom(t, "alice", bob)
			Expect(receivedTexts(bob)).To(Equal([]string{"still there?", "barrier"}))
			for _, e := range env.Server.Faults(t.SDKAppID).List() {
				Expect(e.Hits).To(Equal(1), "rule %s", e.ID)
			}
			pushesDone(run)
		})
})

var _ = Describe("scenario library: recall", Label("scenarios"), func() {
	provesOwnFile()

	It("a C2C message recalled by its sender", harness.Case("scenario/c2c/revoked"), func() {
		t := env.NewTenant()
		run := loadLibrary(t, "c2c/revoked")
		bob := t.Login("bob")
		m := bob.AwaitMessage("oops", hasText("oops"))
		ev := bob.Await("MESSAGE_REVOKED")
		ms := harness.Messages(ev)
		Expect(ms).To(HaveLen(1))
		Expect(ms[0].ID).To(Equal(m.ID))
		Expect(ms[0].IsRevoked).To(BeTrue())
		pushesDone(run)
		h := t.App.C2CHistory("alice", "bob")
		Expect(h).To(HaveLen(1))
		Expect(h[0].Revoked).To(BeTrue())
	})
})

var _ = Describe("scenario library: seeded state", Label("scenarios"), func() {
	provesOwnFile()

	It("two friends with a C2C history", harness.Case("scenario/seed/two-friends-with-history"), func() {
		t := env.NewTenant()
		loadLibrary(t, "seed/two-friends-with-history")
		alice := t.Login("alice")
		msgs, _ := alice.History("C2Cbob", 15)
		Expect(msgs).To(HaveLen(3))
		Expect(texts(msgs[:2])).To(Equal([]string{"hi bob", "hello alice"}))
		Expect(msgs[2].Type).To(Equal("TIMCustomElem"))
		Expect(msgs[2].Payload).To(HaveKeyWithValue("data", "ping"))
		res, err := alice.Call(harness.Ctx(), "getBlacklist")
		Expect(err).NotTo(HaveOccurred())
		var r struct{ Data []string }
		harness.Decode(res, &r)
		Expect(r.Data).To(Equal([]string{"mallory"}))
	})

	It("a team with an admin, a muted member and a pending application", harness.Case("scenario/group/team-with-muted-member"), func() {
		t := env.NewTenant()
		loadLibrary(t, "group/team-with-muted-member")
		carol := t.Login("carol")
		awaitGroup(carol, "team")
		se := sendFails(carol, "$TYPES.CONV_GROUP", "team", "can I?")
		Expect(se.Code).To(HaveValue(Equal(tim.CodeGroupMuted)))
		p := groupProfile(carol, "team")
		Expect(p.Introduction).To(Equal("the team room"))
		Expect(p.OwnerID).To(Equal("alice"))
	})
})

// barrierFrom has from send the user a C2C "barrier" through the state and waits for it: once it
// arrived, anything sent before it has too.
func barrierFrom(t *harness.Tenant, from string, u *harness.User) {
	GinkgoHelper()
	_, err := t.App.SendC2C(0, state.C2CMessage{From: from, To: u.ID, Seq: 999, Random: 999999,
		Body: []state.Elem{{Type: "TIMTextElem", Content: []byte(`{"Text":"barrier"}`)}}})
	Expect(err).NotTo(HaveOccurred())
	u.AwaitMessage("barrier", hasText("barrier"))
}

func texts(ms []harness.Message) []string {
	var out []string
	for _, m := range ms {
		s, _ := m.Payload["text"].(string)
		out = append(out, s)
	}
	return out
}

func numbered(format string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}

// memberIDs lists a group's members as the server holds them.
func memberIDs(t *harness.Tenant, gid string) []string {
	GinkgoHelper()
	ms, err := t.App.GroupMembers(t.App.Admin(), gid)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, m := range ms {
		out = append(out, m.User)
	}
	return out
}

// c2cHistory is what the server stores between two users, as texts in messages.
func c2cHistory(t *harness.Tenant, x, y string) []harness.Message {
	var out []harness.Message
	for _, m := range t.App.C2CHistory(x, y) {
		var c struct{ Text string }
		if len(m.Body) > 0 {
			_ = json.Unmarshal(m.Body[0].Content, &c)
		}
		out = append(out, harness.Message{Payload: map[string]any{"text": c.Text}})
	}
	return out
}
