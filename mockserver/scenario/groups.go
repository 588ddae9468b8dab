package scenario

import (
	"fmt"
	"sort"
	"strings"

	"github.com/imharness/imharness/mockserver/state"
)

// applyGroups seeds the scenario's groups through the group model, acting as the app
// administrator, so the same rules apply as for a REST call. Mutes, "mute all" and applications are
// real operations: they leave the tips and notices a real server would (tip 7, tip 6, notice 1).
func applyGroups(app *state.App, groups []Group) error {
	root := app.Admin()
	for i, g := range groups {
		p := fmt.Sprintf("groups[%d]", i)
		info, err := app.CreateGroup(root, g.spec())
		if err != nil {
			return fmt.Errorf("%s (%s): %w", p, g.Name, err)
		}
		for j, m := range g.Members {
			if m.NameCard != "" {
				card := m.NameCard
				if _, err := app.ModifyMember(root, info.ID, m.User, state.MemberChange{NameCard: &card}); err != nil {
					return fmt.Errorf("%s.members[%d].name_card: %w", p, j, err)
				}
			}
			if m.Mute > 0 {
				secs := int64(m.Mute.D().Seconds())
				if err := app.MuteMembers(root, info.ID, []string{m.User}, max(secs, 1)); err != nil {
					return fmt.Errorf("%s.members[%d].mute: %w", p, j, err)
				}
			}
		}
		if g.MuteAll {
			on := true
			if _, err := app.ModifyGroup(root, info.ID, state.GroupChange{ShutUpAll: &on}); err != nil {
				return fmt.Errorf("%s.mute_all: %w", p, err)
			}
		}
		for j, a := range g.Applications {
			joined, err := app.ApplyJoin(a.User, info.ID, a.Message, "")
			if err == nil && joined {
				err = fmt.Errorf("%q joined at once instead of waiting for approval", a.User)
			}
			if err != nil {
				return fmt.Errorf("%s.applications[%d]: %w", p, j, err)
			}
		}
	}
	return nil
}

// spec is the group as the state takes it.
func (g Group) spec() state.GroupSpec {
	spec := state.GroupSpec{ID: g.ID, Type: state.GroupType(g.Type), Name: g.Name, Owner: g.Owner,
		Introduction: g.Introduction, Notification: g.Notification, FaceURL: g.FaceURL,
		MaxMemberNum: g.MaxMembers, ApplyJoinOption: state.JoinOption(g.JoinOption)}
	keys := make([]string, 0, len(g.Custom))
	for k := range g.Custom {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		spec.AppDefinedData = append(spec.AppDefinedData, state.KV{Key: k, Value: g.Custom[k]})
	}
	for _, m := range g.Members {
		spec.Members = append(spec.Members, state.MemberSpec{User: m.User, Role: state.Role(m.Role)})
	}
	return spec
}

// specKeys are the scenario keys of the state's GroupSpec fields.
var specKeys = map[string]string{"ID": "id", "Type": "type", "Name": "name", "Introduction": "introduction",
	"Notification": "notification", "FaceUrl": "face_url", "MaxMemberNum": "max_members",
	"ApplyJoinOption": "join_option", "AppDefinedData": "custom", "Members": "members", "User": "user", "Role": "role"}

// specPath turns a spec field the state refused ("Members[2].Role") into the group's key path in
// the scenario ("groups[0].members[2].role").
func specPath(group, field string) string {
	var parts []string
	for _, f := range strings.Split(field, ".") {
		name, idx, _ := strings.Cut(f, "[")
		if k, ok := specKeys[name]; ok {
			name = k
		}
		if idx != "" {
			name += "[" + idx
		}
		parts = append(parts, name)
	}
	return group + "." + strings.Join(parts, ".")
}

// reclaim reclaims a group (group system notice 11 to every member; the group is gone).
func reclaim(app *state.App, group string) error { return app.ReclaimGroup(group) }
