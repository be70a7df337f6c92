# Sanmian hub. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
OPA := go tool opa
export SANMIAN_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: help demo deps test test-go test-year policy-check vet lint fmt bench bench-all bench-policy fuzz

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

demo: ## Run the whole product on its embedded defaults (go run ./cmd/hub demo).
	go run ./cmd/hub demo

test: deps test-go policy-check ## The test command: installs what is missing, then Go tests (SQLite, PostgreSQL, Chromium) and the OPA policy checks.

deps: ## Install what the tests need on a fresh machine (Chromium for the browser tests; needs root).
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test-go: ## Go unit, conformance and integration tests, with the race detector; then test-year.
	go test -race -count=1 -timeout 60m ./...
	$(MAKE) --no-print-directory test-year

test-year: ## The statistics test on a full year of activity (210,000 applications), without the race detector.
	go test -count=1 -timeout 20m -run '^TestStatisticsYearOfDistrict$$' ./hub/app/

policy-check: ## opa check --strict and opa test --coverage on policies/ with the pinned OPA.
	@if ls policies/*.rego >/dev/null 2>&1; then \
	  $(OPA) check --strict --ignore '*.go' policies/ && \
	  $(OPA) test --timeout 120s --ignore '*.go' -v policies/ | tail -n 5; \
	else echo "no policies yet"; fi

vet: ## go vet and gofmt check.
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

lint: ## staticcheck (pinned as a tool in go.mod).
	go tool staticcheck ./...

fmt: ## gofmt every Go file.
	gofmt -w $$(git ls-files '*.go')

bench: ## Run the Go benchmarks (results go to BENCHMARKS.md with the machine).
	go test -run '^$$' -bench . -benchmem ./...

RESIDENTS ?= 100000
bench-all: ## The headline benchmarks in one run, one table (RESIDENTS=1075784 for the whole district).
	go run ./internal/benchall -residents $(RESIDENTS)

bench-policy: ## Policy decision benchmarks, with Go's default GC target and with the hub's (GOGC=400).
	go test -run '^$$' -bench 'Decide$$|DecideEvalOnly|Authorize|Scan|TrivialQuery' -benchmem -count 5 ./hub/policy/
	GOGC=400 go test -run '^$$' -bench 'Decide$$|DecideEvalOnly' -benchmem -count 5 ./hub/policy/

fuzz: ## Run every fuzz target for 15 s each.
	@for pkg in $$(go list ./...); do \
	  for f in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    go test -run '^$$' -fuzz "^$$f$$" -fuzztime 15s $$pkg || exit 1; \
	  done; \
	done
