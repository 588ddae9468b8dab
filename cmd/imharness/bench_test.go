package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// The benchmark's own machinery: both servers run, every message is delivered once, and the table
// has a row with a ratio per figure. (Its timings are printed, never asserted.)
func TestBenchInProcess(t *testing.T) {
	t.Parallel()
	out, logs, err := execute(context.Background(), "bench", "--in-process", "--users", "12,30", "--clients", "3",
		"--duration", "300ms", "--messages", "30", "--rate", "300", "--fanout", "10", "--fanout-messages", "3", "--hold", "2s",
		"--sockets", "10", "--socket-messages", "20")
	if err != nil {
		t.Fatalf("bench: %v\n%s\n%s", err, out, logs)
	}
	for _, row := range []string{"sendmsg throughput, 3 clients", "sendmsg latency p99", "send→deliver p99, 12 held polls",
		"send→deliver p99, 30 held polls", "group fan-out to 10, last delivery p99",
		"WebSocket send→deliver p99, 10 clients", "socket.io send→deliver p99, 10 clients"} {
		if !regexp.MustCompile(regexp.QuoteMeta(row) + `\s+\S+\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+×`).MatchString(out) {
			t.Errorf("no row %q with both figures and a ratio:\n%s", row, out)
		}
	}
	notes := strings.ReplaceAll(out, "note: sendmsg figures are medians", "")
	notes = strings.ReplaceAll(notes, "note: WebSocket baseline", "")
	if strings.Contains(notes, "note:") {
		t.Errorf("a message was lost, duplicated or failed:\n%s", out)
	}
	for _, want := range []string{"30 messages, 0 lost", "fan-out to 10", "imharness WebSocket: send→deliver", "imharness socket.io: send→deliver",
		"(20 messages, 0 lost, 0 refused)"} {
		if !strings.Contains(logs, want) {
			t.Errorf("progress does not say %q:\n%s", want, logs)
		}
	}
}

func TestBenchFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--users", "10,5"}, {"--users", "1"}, {"--fanout", "2000"}, {"--clients", "0"}, {"--rounds", "0"}, {"--sockets", "1"}} {
		_, _, err := execute(context.Background(), append([]string{"bench", "--in-process"}, args...)...)
		if exitCode(err) != 2 {
			t.Errorf("bench %v: exit %d (%v), want 2", args, exitCode(err), err)
		}
	}
}
