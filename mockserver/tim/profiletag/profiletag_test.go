package profiletag_test

import (
	"testing"

	"github.com/imharness/imharness/mockserver/state"
	"github.com/imharness/imharness/mockserver/tim/profiletag"
)

// Every tag a client sends comes back unchanged after a trip through the state's names, and the
// fields the state reads get their domain names and values.
func TestRoundTrip(t *testing.T) {
	for _, c := range []struct {
		tag   string
		value any
		want  state.ProfileItem
	}{
		{"Tag_Profile_IM_Nick", "Al", state.ProfileItem{Field: state.FieldNick, Value: "Al"}},
		{"Tag_Profile_IM_Image", "http://x/a.png", state.ProfileItem{Field: state.FieldAvatar, Value: "http://x/a.png"}},
		{"Tag_Profile_IM_Gender", "Gender_Type_Female", state.ProfileItem{Field: state.FieldGender, Value: state.GenderFemale}},
		{"Tag_Profile_IM_Gender", "Gender_Type_Other", state.ProfileItem{Field: state.FieldGender, Value: "Gender_Type_Other"}},
		{"Tag_Profile_IM_AllowType", "AllowType_Type_DenyAny", state.ProfileItem{Field: state.FieldAllowType, Value: state.AllowDenyAny}},
		{"Tag_Profile_IM_BirthDay", 19900101, state.ProfileItem{Field: state.FieldBirthday, Value: 19900101}},
		{"Tag_Profile_IM_MsgSettings", 1, state.ProfileItem{Field: state.FieldMessageSettings, Value: 1}},
		{"Tag_Profile_Custom_Level", 3, state.ProfileItem{Field: state.CustomField("Level"), Value: 3}},
		{"Tag_Profile_IM_Unknown", "x", state.ProfileItem{Field: "Tag_Profile_IM_Unknown", Value: "x"}},
	} {
		got := profiletag.In(c.tag, c.value)
		if got != c.want {
			t.Errorf("In(%s, %v) = %+v, want %+v", c.tag, c.value, got, c.want)
		}
		if tag, v := profiletag.Out(got); tag != c.tag || v != c.value {
			t.Errorf("Out(%+v) = %s, %v, want %s, %v", got, tag, v, c.tag, c.value)
		}
	}
}

// Every standard field has a tag, and no two fields share one.
func TestStandardFieldsHaveTags(t *testing.T) {
	seen := map[string]state.ProfileField{}
	for _, f := range state.StandardFields {
		tag := profiletag.Tag(f)
		if tag == string(f) {
			t.Errorf("%s has no Tencent tag", f)
		}
		if g, dup := seen[tag]; dup {
			t.Errorf("%s and %s share %s", f, g, tag)
		}
		seen[tag] = f
		if profiletag.Field(tag) != f {
			t.Errorf("Field(%s) = %s, want %s", tag, profiletag.Field(tag), f)
		}
	}
}
