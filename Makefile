# imharness: the two commands a fresh machine needs are `make conformance` (the main job) and
# `make test` (the tests). Both install what they need first.
GO       ?= go
NODE_DIR := suites/driver/node
REPORT   ?= out/report
# Spec processes for the Ginkgo suites: SDK steps mostly wait on I/O, so more than the 2 cores.
PROCS    ?= 4
# SDK versions whose suites run at the same time in `make suites` (1: one after the other; 3 at
# once overloaded a busy 2-core machine: drivers missed their 15 s start timeout).
JOBS     ?= 1
# The suites of the SDK families (suites/sdks/families.go; a test keeps the two lists equal): `make
# suites` runs them through `imharness run`, once per pinned SDK version. Every other package,
# other Ginkgo suites included, runs in `make unit`.
FAMILY_SUITES := suites/timjs suites/webim suites/jmessage
UNIT_PKGS = $$($(GO) list ./... | grep -Ev '/($(subst $(eval) ,|,$(FAMILY_SUITES)))$$')

.PHONY: deps test unit suites conformance build fuzz bench soak clean

deps: $(NODE_DIR)/node_modules/.package-lock.json
	$(GO) mod download

# npm ci installs exactly the SDK versions pinned in package-lock.json.
$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package-lock.json $(NODE_DIR)/package.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund

build:
	$(GO) build -o bin/imharness ./cmd/imharness

unit: deps
	@out=$$(gofmt -l cmd internal mockserver recorder reports suites); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 $(UNIT_PKGS)

# Every SDK version pinned in suites/driver/node (package.json is the list), each against the
# suite its family names (suites/sdks), under -race; the report lands in out/ci.
suites: deps
	$(GO) run ./cmd/imharness run --race --procs=$(PROCS) --jobs=$(JOBS) --report out/ci

test: unit suites

conformance: deps
	$(GO) run ./cmd/imharness run --report $(REPORT)

fuzz:
	$(GO) test ./mockserver/tim -run '^$$' -fuzz '^FuzzRequest$$' -fuzztime 30s
	$(GO) test ./mockserver/tim -run '^$$' -fuzz '^FuzzGroupRequest$$' -fuzztime 30s
	$(GO) test ./mockserver/usersig -run '^$$' -fuzz FuzzDecode -fuzztime 15s

# Timings are measured here, never asserted in tests. The Go benchmarks time one sendmsg→poll
# round trip, the long-poll rendering of one message to a 1,000-member group and the server's own
# cost of one sendmsg (with their allocations); `imharness bench` prints the fake's figures as
# ratios of a bare net/http server's, both started in this run, then the WebSocket and socket.io transports against bare relays
# (BENCH_ARGS, e.g. --users 1000 --duration 3s --sockets 200, sizes it).
BENCH_ARGS ?=
bench: build
	$(GO) test ./mockserver/tim -run '^$$' -bench '^BenchmarkSendToLongPoll$$' -benchtime 2000x
	$(GO) test ./mockserver/tim -run '^$$' -bench '^BenchmarkGroupFanoutEncode$$' -benchmem -benchtime 20x
	$(GO) test ./mockserver -run '^$$' -bench '^BenchmarkSendMsg$$' -benchmem -benchtime 20000x
	bin/imharness bench $(BENCH_ARGS)

# The long soak: 40 users, 8000 messages through faults; prints a summary table. The short form
# of the same test runs in `make test`. SOAK_SEED picks another deterministic run.
SOAK_SEED ?= 1
soak:
	$(GO) test -race -count=1 ./mockserver -run '^TestSoak$$' -timeout 20m -v -args -soak.long -soak.seed $(SOAK_SEED)

clean:
	rm -rf bin out
