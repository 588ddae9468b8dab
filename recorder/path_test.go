package recorder

import "testing"

func TestPathMatching(t *testing.T) {
	t.Parallel()
	steps := []cstep{{key: "response"}, {key: "EventArray"}, {idx: 0, isIdx: true}, {key: "C2cMsgArray"}, {idx: 2, isIdx: true}, {key: "MsgSeq"}}
	for p, want := range map[string]bool{
		"response.EventArray[0].C2cMsgArray[2].MsgSeq": true,
		"response.EventArray[*].C2cMsgArray[*].MsgSeq": true,
		"response.**.C2cMsgArray[*].MsgSeq":            true,
		"**.MsgSeq":                                    true,
		"*.EventArray[*].*[*].MsgSeq":                  true,
		"request.**.MsgSeq":                            false,
		"response.EventArray[1].C2cMsgArray[*].MsgSeq": false,
		"response.MsgSeq":                              false,
		"response.**.C2cMsgArray.MsgSeq":               false,
	} {
		ps, err := parsePath(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got := matchPath(ps, steps); got != want {
			t.Errorf("%s: match = %v, want %v", p, got, want)
		}
	}
}
