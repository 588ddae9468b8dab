package usersig

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const secret = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

func code(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestRoundTripAndErrors(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	sig, err := Generate(1400000001, secret, "alice", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(sig, "+/=") {
		t.Fatalf("sig is not URL-safe: %s", sig)
	}
	if _, err := Verify(sig, secret, 1400000001, "alice", now.Add(time.Minute)); err != nil {
		t.Fatalf("valid sig refused: %v", err)
	}
	cases := []struct {
		name string
		sig  string
		key  string
		app  int64
		id   string
		at   time.Time
		want int
	}{
		{"expired", sig, secret, 1400000001, "alice", now.Add(time.Hour), CodeExpired},
		{"wrong key", sig, "other", 1400000001, "alice", now, CodeMalformed},
		{"identifier", sig, secret, 1400000001, "bob", now, CodeIdentifierMismatch},
		{"foreign app", sig, secret, 1400000002, "alice", now, CodeSDKAppIDMismatch},
		{"garbage", "not-a-real-usersig", secret, 1400000001, "alice", now, CodeMalformed},
		{"empty", "", secret, 1400000001, "alice", now, CodeMalformed},
		{"truncated", sig[:len(sig)/2], secret, 1400000001, "alice", now, CodeMalformed},
	}
	for _, c := range cases {
		_, err := Verify(c.sig, c.key, c.app, c.id, c.at)
		if got := code(err); got != c.want {
			t.Errorf("%s: code %d (%v), want %d", c.name, got, err, c.want)
		}
	}
}

// The reference generator is the npm package tls-sig-api-v2; its sigs must verify here.
func TestVerifiesReferenceGenerator(t *testing.T) {
	dir := filepath.Join("..", "..", "suites", "driver", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "tls-sig-api-v2")); err != nil {
		t.Fatalf("tls-sig-api-v2 not installed in %s: run `make deps` (npm ci) first", dir)
	}
	out, err := exec.Command("node", filepath.Join(dir, "gensig.js"), "1400000001", secret, "alice", "600").Output()
	if err != nil {
		t.Fatalf("gensig.js: %v", err)
	}
	sig := strings.TrimSpace(string(out))
	s, err := Verify(sig, secret, 1400000001, "alice", time.Now())
	if err != nil {
		t.Fatalf("reference sig refused: %v (%+v)", err, s)
	}
	if s.Expire != 600 {
		t.Errorf("expire %d, want 600", s.Expire)
	}
	if _, err := Verify(sig, secret, 1400000001, "alice", time.Now().Add(11*time.Minute)); code(err) != CodeExpired {
		t.Errorf("reference sig not expired after 11m: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	sig, _ := Generate(1, "k", "u", time.Hour, time.Unix(0, 0))
	f.Add(sig)
	f.Add("eJyrVgrxCdZRslIyUqoFAA==")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Verify(s, "k", 1, "u", time.Unix(0, 0)) // must not panic
	})
}
