// Package profiletag is Tencent IM's names for profile fields (Tag_Profile_IM_*,
// Tag_Profile_Custom_*) and for the values of its enumerated fields, mapped onto the state's domain
// names: the one table of them. The tim handlers read it, and so do scenario files, which accept
// the Tencent names beside the domain ones.
package profiletag

import (
	"strings"

	"github.com/imharness/imharness/mockserver/state"
)

// CustomPrefix starts the tag of an application-defined field.
const CustomPrefix = "Tag_Profile_Custom_"

type entry struct {
	tag    string
	field  state.ProfileField
	values map[string]string // Tencent value → domain value, for enumerated fields
}

var table = []entry{
	{"Tag_Profile_IM_Nick", state.FieldNick, nil},
	{"Tag_Profile_IM_Image", state.FieldAvatar, nil},
	{"Tag_Profile_IM_Gender", state.FieldGender, map[string]string{
		"Gender_Type_Unknown": state.GenderUnknown, "Gender_Type_Female": state.GenderFemale, "Gender_Type_Male": state.GenderMale}},
	{"Tag_Profile_IM_BirthDay", state.FieldBirthday, nil},
	{"Tag_Profile_IM_Location", state.FieldLocation, nil},
	{"Tag_Profile_IM_SelfSignature", state.FieldSelfSignature, nil},
	{"Tag_Profile_IM_AllowType", state.FieldAllowType, map[string]string{
		"AllowType_Type_NeedConfirm": state.AllowNeedConfirm, "AllowType_Type_AllowAny": state.AllowAny, "AllowType_Type_DenyAny": state.AllowDenyAny}},
	{"Tag_Profile_IM_Language", state.FieldLanguage, nil},
	{"Tag_Profile_IM_Level", state.FieldLevel, nil},
	{"Tag_Profile_IM_Role", state.FieldRole, nil},
	{"Tag_Profile_IM_MsgSettings", state.FieldMessageSettings, nil},
	{"Tag_Profile_IM_AdminForbidType", state.FieldAdminForbidType, nil},
}

var (
	byTag   = map[string]*entry{}
	byField = map[state.ProfileField]*entry{}
)

func init() {
	for i := range table {
		e := &table[i]
		byTag[e.tag], byField[e.field] = e, e
	}
}

// Field is the domain field of a tag. A tag this table does not know is kept under its own name:
// the state holds it as given and Tag gives it back unchanged.
func Field(tag string) state.ProfileField {
	if e := byTag[tag]; e != nil {
		return e.field
	}
	if name, ok := strings.CutPrefix(tag, CustomPrefix); ok {
		return state.CustomField(name)
	}
	return state.ProfileField(tag)
}

// Tag is the Tencent tag of a domain field.
func Tag(f state.ProfileField) string {
	if e := byField[f]; e != nil {
		return e.tag
	}
	if name, ok := f.Custom(); ok {
		return CustomPrefix + name
	}
	return string(f)
}

// In is the domain item of a tag and its value as a client or a scenario gives them: an
// enumerated field's known values become domain values, other values pass through.
func In(tag string, v any) state.ProfileItem {
	it := state.ProfileItem{Field: Field(tag), Value: v}
	if e := byTag[tag]; e != nil && e.values != nil {
		if s, ok := v.(string); ok {
			if d, ok := e.values[s]; ok {
				it.Value = d
			}
		}
	}
	return it
}

// Out is the tag and Tencent value of a domain item (In reversed).
func Out(it state.ProfileItem) (string, any) {
	e := byField[it.Field]
	if e == nil {
		return Tag(it.Field), it.Value
	}
	if s, ok := it.Value.(string); ok {
		for tv, d := range e.values {
			if d == s {
				return e.tag, tv
			}
		}
	}
	return e.tag, it.Value
}

// Value is the domain value of an enumerated field's Tencent value (unchanged when not one).
func Value(f state.ProfileField, v string) string {
	if e := byField[f]; e != nil {
		if d, ok := e.values[v]; ok {
			return d
		}
	}
	return v
}
