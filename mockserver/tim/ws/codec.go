package ws

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
)

// Head is the part of a frame's head this server reads. The SDKs send more (ver, platform,
// sdkability, cs, …); none of it changes an answer, so it is ignored.
type Head struct {
	ServCmd    string          `json:"servcmd"`
	Seq        json.RawMessage `json:"seq"`
	SDKAppID   json.RawMessage `json:"sdkappid,omitempty"`
	Identifier string          `json:"identifier,omitempty"`
	UserSig    string          `json:"usersig,omitempty"`
	A2         string          `json:"a2,omitempty"`
	TinyID     json.RawMessage `json:"tinyid,omitempty"`
}

// Frame is one uplink request: {"head":{…},"body":{…}}. Body is the long-polling era's REST body.
type Frame struct {
	Head Head            `json:"head"`
	Body json.RawMessage `json:"body"`
}

// decodeFrame reads an uplink frame. The head must name a servcmd "service.cmd" and carry a seq:
// without them no reply could be matched to the request.
func decodeFrame(b []byte) (Frame, error) {
	var f Frame
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("frame is not a JSON {head, body} object: %v", err)
	}
	if f.Head.ServCmd == "" {
		return f, fmt.Errorf("frame head has no servcmd")
	}
	if len(f.Head.Seq) == 0 {
		return f, fmt.Errorf("frame head has no seq")
	}
	return f, nil
}

// text reads a head field the SDKs send as a string or a number ("sdkappid":1400000001,
// "tinyid":"144115…"); null or absent gives "".
func text(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// replyHead is the head of a downlink frame. The SDK matches a reply to its request by servcmd and
// seq and needs nothing else; pushes use seq 0, which matches no request.
type replyHead struct {
	ServCmd string          `json:"servcmd"`
	Seq     json.RawMessage `json:"seq"`
}

var seqZero = json.RawMessage("0")

// encodeFrame builds a downlink frame around an already-encoded body.
func encodeFrame(servcmd string, seq json.RawMessage, body []byte) []byte {
	if len(seq) == 0 {
		seq = seqZero
	}
	var b bytes.Buffer
	h, _ := json.Marshal(replyHead{ServCmd: servcmd, Seq: seq})
	b.WriteString(`{"head":`)
	b.Write(h)
	b.WriteString(`,"body":`)
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	b.Write(body)
	b.WriteByte('}')
	return b.Bytes()
}

// compMagic prefixes a zlib-compressed downlink frame (only for clients whose URL said compress=gzip:
// older builds cannot inflate).
var compMagic = []byte("COMP")

// compress wraps a frame as COMP + zlib stream.
func compress(frame []byte) []byte {
	var b bytes.Buffer
	b.Write(compMagic)
	w := zlib.NewWriter(&b)
	_, _ = w.Write(frame)
	_ = w.Close()
	return b.Bytes()
}

// Inflate undoes compress for a downlink frame (tests, transcripts); other frames pass unchanged.
func Inflate(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, compMagic) {
		return b, nil
	}
	r, err := zlib.NewReader(bytes.NewReader(b[len(compMagic):]))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
