package recorder_test

import (
	"github.com/imharness/imharness/mockserver/tim/transcript"
	. "github.com/imharness/imharness/recorder"
)

// The engine is tested on Tencent IM traffic, read with its profile.
var (
	tim          = transcript.Profile
	DefaultRules = transcript.DefaultRules
	SeqRules     = transcript.SeqRules
	IsIdlePoll   = transcript.IsIdlePoll
)

// timDiff is Diff as the suites read transcripts.
func timDiff(want, got []Exchange, opts ...DiffOption) Result {
	return Diff(want, got, append([]DiffOption{WithProfile(tim)}, opts...)...)
}

func parseQuery(q string) map[string]string {
	if q == "" {
		return nil
	}
	return tim.Query(q)
}

var timOptions = []DiffOption{WithProfile(tim)}
