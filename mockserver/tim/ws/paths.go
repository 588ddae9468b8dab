package ws

import "sort"

// Paths lists the endpoints the user's logged-in sockets of one tenant came to: "/binfo" for
// binary frames, "/info" for text frames (sorted).
func (s *Server) Paths(sdkappid int64, user string) []string {
	var out []string
	for _, c := range s.connsOf(sdkappid, user) {
		if c.binary {
			out = append(out, "/binfo")
		} else {
			out = append(out, "/info")
		}
	}
	sort.Strings(out)
	return out
}
