package tim_test

import (
	"testing"
	"time"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim"
)

// Profile tags travel through the state's domain names and come back as the client set them:
// enumerated values (Gender, AllowType) included, and a tag the table does not know unchanged.
// AllowType set over the wire is what friend_add then obeys.
func TestProfileTagsRoundTrip(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice, bob := webimLogin(f, "alice"), webimLogin(f, "bob")
	alice.ok("profile", "portrait_set", `{"From_Account":"alice","ProfileItem":[`+
		`{"Tag":"Tag_Profile_IM_Gender","Value":"Gender_Type_Female"},{"Tag":"Tag_Profile_IM_AllowType","Value":"AllowType_Type_DenyAny"},`+
		`{"Tag":"Tag_Profile_Custom_Level","Value":3},{"Tag":"Tag_Profile_IM_Nick","Value":"Al"},{"Tag":"Tag_Profile_IM_Unknown","Value":"x"}]}`)
	items, _ := f.app.Profile("alice")
	want(t, "state profile", items, []state.ProfileItem{{Field: "Tag_Profile_IM_Unknown", Value: "x"},
		{Field: state.FieldAllowType, Value: state.AllowDenyAny}, {Field: state.CustomField("Level"), Value: 3.0},
		{Field: state.FieldGender, Value: state.GenderFemale}, {Field: state.FieldNick, Value: "Al"}})

	got := bob.ok("profile", "portrait_get", `{"From_Account":"bob","To_Account":["alice"]}`)
	want(t, "portrait_get, sorted by tag", obj(arr(got["UserProfileItem"])[0])["ProfileItem"], []any{
		map[string]any{"Tag": "Tag_Profile_Custom_Level", "Value": 3.0},
		map[string]any{"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_DenyAny"},
		map[string]any{"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
		map[string]any{"Tag": "Tag_Profile_IM_Nick", "Value": "Al"},
		map[string]any{"Tag": "Tag_Profile_IM_Unknown", "Value": "x"},
	})
	r := bob.ok("sns", "friend_add", `{"From_Account":"bob","AddFriendItem":[{"To_Account":"alice"}]}`)
	want(t, "friend_add to DenyAny", obj(arr(r["ResultItem"])[0])["ResultCode"], float64(tim.CodeSNSDenyAny))
}

// friend_response checks every answer before it applies any: an unknown ResponseAction refuses
// the whole call (20001) and leaves every request pending.
func TestFriendResponseChecksAllAnswersFirst(t *testing.T) {
	f := newFixture(t, tim.Options{Hold: 30 * time.Millisecond})
	alice, bob, carol := webimLogin(f, "alice"), webimLogin(f, "bob"), webimLogin(f, "carol")
	bob.ok("sns", "friend_add", `{"From_Account":"bob","AddFriendItem":[{"To_Account":"alice"}]}`)
	carol.ok("sns", "friend_add", `{"From_Account":"carol","AddFriendItem":[{"To_Account":"alice"}]}`)
	r := alice.call("sns", "friend_response", `{"From_Account":"alice","ResponseFriendItem":[`+
		`{"To_Account":"bob","ResponseAction":"Response_Action_Agree"},{"To_Account":"carol","ResponseAction":"Maybe"}]}`)
	want(t, "code", *r.ErrorCode, tim.CodeInvalidPacket)
	want(t, "pending", len(f.app.FriendPendencies("alice", true)), 2)
	want(t, "friends", len(f.app.Friends("alice")), 0)
}
