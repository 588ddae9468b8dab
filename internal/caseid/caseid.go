// Package caseid is the one grammar of conformance case IDs ("tim/c2c/send-text"): the catalogue,
// the Ginkgo labels of the specs, the golden and transcript paths and the reports all read it here,
// so an ID that one of them accepts is accepted by all.
package caseid

import (
	"fmt"
	"regexp"
	"strings"
)

// LabelPrefix marks a spec's case-ID label: "case:tim.c2c.send-text" is tim/c2c/send-text.
// Ginkgo labels cannot hold '/', so the ID's slashes are dots there; that is why '.' is not
// allowed inside a segment (the label must turn back into the same ID).
const LabelPrefix = "case:"

// An ID is three or more slash-separated segments (protocol/area/name…) of lower-case letters,
// digits, '_' and '-', each starting with a letter or digit: it is also a relative file path with
// no "..", no empty segment and no case-folding collision.
var grammar = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*){2,}$`)

// Check says why id is not a case ID (nil when it is one).
func Check(id string) error {
	if !grammar.MatchString(id) {
		return fmt.Errorf("bad case ID %q: want slash-separated lower-case names like tim/c2c/send-text (letters, digits, '_', '-'; at least three)", id)
	}
	return nil
}

// Label is the Ginkgo label that carries id.
func Label(id string) string { return LabelPrefix + strings.ReplaceAll(id, "/", ".") }

// FromLabel turns a case label back into its ID. ok is false for labels that are no case label;
// err is set for a case label whose ID breaks the grammar.
func FromLabel(label string) (id string, ok bool, err error) {
	rest, ok := strings.CutPrefix(label, LabelPrefix)
	if !ok {
		return "", false, nil
	}
	id = strings.ReplaceAll(rest, ".", "/")
	return id, true, Check(id)
}
