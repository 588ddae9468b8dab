// Package recorder captures protocol traffic as transcripts, normalises the volatile fields of a
// transcript with declared rules, diffs two transcripts per connection, checks them against golden
// files and records a real client talking to a real server through a proxy.
//
// A transcript is a list of Exchange values, stored as JSON lines (one Exchange per line, see
// README.md). Ordering is meaningful per Conn (one client instance); across Conns it only tells
// which exchange started first, which depends on timing.
package recorder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Kinds of Exchange.
const (
	KindCall = "call" // a request and its answer, whatever transport carried it (Transport says which)
	KindPush = "push" // a server-initiated message (an event frame), whatever transport carried it
	// KindHTTP is how version 1 transcripts named a call carried by HTTP; reading one turns it
	// into KindCall with Transport "http".
	KindHTTP = "http"
	KindNote = "note" // a marker in the transcript (e.g. a test step)
)

// Exchange is one line of a transcript.
type Exchange struct {
	Seq        int               `json:"seq"`                 // order the exchange started in, across the whole transcript
	Conn       string            `json:"conn"`                // logical connection: the client instance ("alice#1"); ordering is per Conn
	App        string            `json:"app,omitempty"`       // tenant (Tencent IM: the sdkappid)
	User       string            `json:"user,omitempty"`      // account the exchange belongs to
	Kind       string            `json:"kind"`                // KindCall, KindPush or KindNote
	Transport  string            `json:"transport,omitempty"` // what carried it: "http", "ws", …
	Command    string            `json:"command"`             // "openim/sendmsg" (service/cmd, without the version)
	Method     string            `json:"method,omitempty"`    // HTTP method
	Path       string            `json:"path,omitempty"`      // URL path ("/v4/openim/sendmsg")
	Query      map[string]string `json:"query,omitempty"`     // raw query, '+' kept (the SDK does not URL-encode)
	Status     int               `json:"status,omitempty"`    // HTTP status
	Request    json.RawMessage   `json:"request,omitempty"`
	Response   json.RawMessage   `json:"response,omitempty"`
	Start      time.Time         `json:"start,omitzero"`
	DurationMS float64           `json:"duration_ms,omitempty"`
	Note       string            `json:"note,omitempty"`
}

// Version is the transcript format this package writes. Version 2 starts with a header line
// {"version":2}, names calls kind "call" with the transport that carried them and pushes kind
// "push". Version 1 (no header; calls were kind "http") still loads: its calls get Transport "http".
const Version = 2

// Header is the first line of a version 2 transcript.
type Header struct {
	Version int `json:"version"`
}

// WriteHeader writes the header line (WriteJSONL writes it itself; this is for logs written an
// exchange at a time with WriteExchanges).
func WriteHeader(w io.Writer) error {
	_, err := fmt.Fprintf(w, "{\"version\":%d}\n", Version)
	return err
}

// WriteJSONL writes a transcript: the header line, then the exchanges as JSON lines.
func WriteJSONL(w io.Writer, exs []Exchange) error {
	if err := WriteHeader(w); err != nil {
		return err
	}
	return WriteExchanges(w, exs)
}

// WriteExchanges writes exchanges as JSON lines, without the header.
func WriteExchanges(w io.Writer, exs []Exchange) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range exs {
		if err := enc.Encode(&exs[i]); err != nil {
			return fmt.Errorf("exchange %d (seq %d): %w", i, exs[i].Seq, err)
		}
	}
	return bw.Flush()
}

// ReadJSONL reads a transcript written by WriteJSONL, of this version or an older one (see
// Version); exchanges come back in the current form. Blank lines are skipped; errors name the line.
func ReadJSONL(r io.Reader) ([]Exchange, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	var out []Exchange
	version, first := 1, true
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if first {
			first = false
			var h struct {
				Version *int `json:"version"`
			}
			if json.Unmarshal(b, &h) == nil && h.Version != nil {
				if *h.Version < 1 || *h.Version > Version {
					return nil, fmt.Errorf("line %d: transcript format version %d; this imharness reads versions 1 to %d", line, *h.Version, Version)
				}
				version = *h.Version
				continue
			}
		}
		var e Exchange
		if err := json.Unmarshal(b, &e); err != nil {
			return out, fmt.Errorf("line %d: %w", line, err)
		}
		if version == 1 {
			e = e.Upgraded()
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// Upgraded is e in the current form: a version 1 call (kind "http") becomes kind "call" carried
// by "http".
func (e Exchange) Upgraded() Exchange {
	if e.Kind == KindHTTP {
		e.Kind = KindCall
		if e.Transport == "" {
			e.Transport = "http"
		}
	}
	return e
}

// Load reads a transcript file.
func Load(path string) ([]Exchange, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	exs, err := ReadJSONL(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return exs, nil
}

// Save writes a transcript file, creating its directory. The file is replaced atomically.
func Save(path string, exs []Exchange) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, exs); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(buf.Bytes())
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
	}
	return werr
}

// Body turns captured bytes into an Exchange body: the JSON itself (compacted) if it is valid
// JSON, else a JSON string of the text. Empty input gives nil. A truncated capture is always kept
// as text, with a marker at the end.
func Body(b []byte, truncated bool) json.RawMessage {
	if len(b) == 0 && !truncated {
		return nil
	}
	if !truncated {
		if t := bytes.TrimSpace(b); len(t) > 0 && json.Valid(t) {
			var c bytes.Buffer
			if json.Compact(&c, t) == nil {
				return c.Bytes()
			}
		}
	}
	s := string(b)
	if truncated {
		s += fmt.Sprintf("…[truncated after %d bytes]", len(b))
	}
	return jsonString(s)
}

// jsonString encodes s as a JSON string without escaping <, > and & (transcripts are read by people).
func jsonString(s string) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// Clone returns a deep copy of e (its maps and bodies are not shared).
func (e Exchange) Clone() Exchange {
	if e.Query != nil {
		q := make(map[string]string, len(e.Query))
		for k, v := range e.Query {
			q[k] = v
		}
		e.Query = q
	}
	e.Request = append(json.RawMessage(nil), e.Request...)
	e.Response = append(json.RawMessage(nil), e.Response...)
	if len(e.Request) == 0 {
		e.Request = nil
	}
	if len(e.Response) == 0 {
		e.Response = nil
	}
	return e
}
