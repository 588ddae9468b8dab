package main

import (
	"net/http"
	"net/http/pprof"
	"runtime"
)

// mountPprof serves the Go profiler under /debug/pprof/ (serve --pprof, the bench baseline): the
// benchmark reads goroutine counts there, and `go tool pprof` reads CPU and heap profiles.
func mountPprof(handle func(string, http.Handler)) {
	handle("/debug/pprof/", http.HandlerFunc(pprof.Index))
	handle("/debug/pprof/cmdline", http.HandlerFunc(pprof.Cmdline))
	handle("/debug/pprof/profile", http.HandlerFunc(pprof.Profile))
	handle("/debug/pprof/symbol", http.HandlerFunc(pprof.Symbol))
	handle("/debug/pprof/trace", http.HandlerFunc(pprof.Trace))
}

func runtimeCPUs() int { return runtime.NumCPU() }
