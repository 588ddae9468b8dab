package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// startServe runs `imharness serve` on a free port with args and returns its base URL; the server
// stops when the test ends.
func startServe(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	root := newRoot()
	root.SetArgs(append([]string{"serve", "--addr", "127.0.0.1:0", "--quiet"}, args...))
	root.SetOut(&out)
	root.SetErr(io.Discard)
	errc := make(chan error, 1)
	go func() { errc <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return waitFor(t, &out, `serving (http://\S+) `, errc), &out
}

// admin calls the admin API and returns the status and body.
func admin(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func apps(t *testing.T, base string) []int64 {
	t.Helper()
	code, body := admin(t, "GET", base+"/admin/v1/apps", "")
	var v struct{ Apps []int64 }
	if code != 200 || json.Unmarshal([]byte(body), &v) != nil {
		t.Fatalf("GET /admin/v1/apps: %d %s", code, body)
	}
	return v.Apps
}

// hasUser asks the admin API: kicking a user answers 404 only when there is no such user.
func hasUser(t *testing.T, base string, app, user string) bool {
	t.Helper()
	code, body := admin(t, "POST", base+"/admin/v1/apps/"+app+"/users/"+user+"/kick", `{"type":"multipleAccount"}`)
	if code != 200 && code != 404 {
		t.Fatalf("kick %s: %d %s", user, code, body)
	}
	return code == 200
}

func TestServeScenario(t *testing.T) {
	t.Parallel()
	base, out := startServe(t, "--scenario", "../../fixtures/scenarios/seed/two-friends-with-history.yaml")
	if code, body := admin(t, "GET", base+"/healthz", ""); code != 200 {
		t.Errorf("healthz: %d %s", code, body)
	}
	if got := apps(t, base); !slices.Equal(got, []int64{defaultSDKAppID}) {
		t.Errorf("tenants %v, want the --sdkappid one", got)
	}
	for _, u := range []string{"alice", "bob", "mallory"} {
		if !hasUser(t, base, "1400000001", u) {
			t.Errorf("the scenario's user %s is missing", u)
		}
	}
	if hasUser(t, base, "1400000001", "nobody") {
		t.Error("a user the scenario does not declare exists")
	}
	for _, want := range []string{"admin API " + base + "/admin/v1/", "users alice, bob, mallory"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the start message does not say %q:\n%s", want, out.String())
		}
	}
}

func TestServeScenarioTenant(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "own.yaml")
	sc := "name: own tenant\ntenant: {sdkappid: 1400000077, secret: s3cret}\nusers:\n  - id: carol\n"
	if err := os.WriteFile(file, []byte(sc), 0o644); err != nil {
		t.Fatal(err)
	}
	base, out := startServe(t, "--scenario", file)
	if got := apps(t, base); !slices.Equal(got, []int64{1400000077}) {
		t.Errorf("tenants %v, want only the scenario's", got)
	}
	if !hasUser(t, base, "1400000077", "carol") {
		t.Error("carol is missing")
	}
	if !strings.Contains(out.String(), "(sdkappid 1400000077)") {
		t.Errorf("the start message does not name the scenario's tenant:\n%s", out.String())
	}

	_, _, err := execute(context.Background(), "serve", "--addr", "127.0.0.1:0", "--quiet", "--scenario", file, "--sdkappid", "1400000002")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "names its own tenant") {
		t.Errorf("a tenant block with --sdkappid: exit %d, %v", exitCode(err), err)
	}
}

func TestServeBadScenario(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "bad.yaml")
	sc := "name: broken\nusers:\n  - id: alice\n    nickname: Alice\n"
	if err := os.WriteFile(file, []byte(sc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := execute(context.Background(), "serve", "--addr", "127.0.0.1:0", "--quiet", "--scenario", file)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), file+":4:") || !strings.Contains(err.Error(), "nickname") {
		t.Errorf("exit %d, %v; want exit 2 naming %s:4 and the key", exitCode(err), err, file)
	}
	_, _, err = execute(context.Background(), "serve", "--addr", "127.0.0.1:0", "--quiet", "--scenario", file+".missing")
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "bad.yaml.missing") {
		t.Errorf("a missing scenario: exit %d, %v", exitCode(err), err)
	}
}

func TestServeRefusesOpenAdminBeyondLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		_, _, err := execute(context.Background(), "serve", "--addr", addr, "--quiet", "--admin-token=")
		if exitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), "without --admin-token") || !strings.Contains(err.Error(), addr) {
			t.Errorf("serve --addr %s without a token: exit %d, %v; want exit 2 asking for --admin-token", addr, exitCode(err), err)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "127.0.0.2:0": true, "[::1]:0": true, "localhost:0": true,
		"0.0.0.0:0": false, ":8080": false, "10.0.0.1:0": false, "host.example:0": false, "nonsense": false} {
		if got := loopbackOnly(addr); got != want {
			t.Errorf("loopbackOnly(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestServeAdminToken(t *testing.T) {
	t.Parallel()
	base, out := startServe(t, "--admin-token", "tok-123")
	if code, body := admin(t, "GET", base+"/admin/v1/apps", ""); code != http.StatusUnauthorized || !strings.Contains(body, "Bearer") {
		t.Errorf("admin call without the token: %d %s; want 401", code, body)
	}
	req, _ := http.NewRequest("GET", base+"/admin/v1/apps", nil)
	req.Header.Set("Authorization", "Bearer tok-123")
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("admin call with the token: %d", resp.StatusCode)
	}
	if !strings.Contains(out.String(), "bearer token required") {
		t.Errorf("the start message does not say the admin API is guarded:\n%s", out.String())
	}
}

func TestServeBadLimitsAndLog(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--log", "verbose"}, {"--max-messages", "0"}, {"--max-events", "-1"}, {"--max-upload-bytes", "0"}, {"--message-age", "-1h"}} {
		_, _, err := execute(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
		if exitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "--")) {
			t.Errorf("serve %v: exit %d, %v; want exit 2 naming the flag", args, exitCode(err), err)
		}
	}
}

// serve answers JMessage's socket.io handshake (Engine.IO v3, as socket.io-client 1.x opens it)
// on the same address, and names the tenant's appkey.
func TestServeJMessage(t *testing.T) {
	t.Parallel()
	base, out := startServe(t)
	want := fmt.Sprintf("appkey %024x", defaultSDKAppID)
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "ws://"+strings.TrimPrefix(base, "http://")) {
		t.Errorf("the start message does not say %q and the ws address:\n%s", want, out.String())
	}
	res, err := http.Get(base + "/socket.io/?EIO=3&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"sid"`) || !strings.Contains(string(b), `"pingInterval"`) {
		t.Errorf("EIO3 handshake: %d %s", res.StatusCode, b)
	}
}
