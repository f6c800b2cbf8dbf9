# Vigie — see CONTRIBUTING.md for what each target does.

GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
# Every command under cmd/ becomes a binary in bin/.
COMMANDS    := $(notdir $(wildcard cmd/*))
FUZZTIME    ?= 15s

.PHONY: all test lint fmt vet staticcheck build bench bench-go bench-vigie demo fuzz clean agents cross

all: build

## test: lint, the agent's cross-compilation, then every test on SQLite and PostgreSQL, and the browser tests.
test: lint cross
	bash scripts/test.sh

## lint: gofmt, go vet and staticcheck must all be clean.
lint: fmt vet staticcheck

fmt:
	@files=$$(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null) || files=$$(find . -name '*.go' -not -path './.git/*'); \
	out=$$(gofmt -l $$files); \
	if [ -n "$$out" ]; then echo "gofmt would change these files (run gofmt -w):"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## build: every binary, into bin/.
build:
	@mkdir -p bin
	@set -e; for c in $(COMMANDS); do echo "$(GO) build -o bin/$$c ./cmd/$$c"; $(GO) build -ldflags "-X github.com/vigie-hq/vigie/internal/cli.Version=$(VERSION) -X main.version=$(VERSION)" -o bin/$$c ./cmd/$$c; done

# vigie-agent targets: what `agents` builds and `cross` checks.
AGENT_TARGETS := linux/amd64 linux/arm64 windows/amd64 darwin/arm64
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
AGENT_LDFLAGS := -s -w -X main.version=$(VERSION)

## agents: vigie-agent for every target, stripped, into dist/.
agents:
	@mkdir -p dist
	@set -e; for t in $(AGENT_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		out=dist/vigie-agent-$$os-$$arch$$ext; echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "$(AGENT_LDFLAGS)" -o $$out ./cmd/vigie-agent; \
	done

## cross: vigie-agent compiles for every target (nothing written).
cross:
	@set -e; for t in $(AGENT_TARGETS); do \
		echo "cross $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./cmd/vigie-agent; \
	done

## bench: Go benchmarks, then vigie bench startup and api (SQLite, and PostgreSQL when available).
bench: bench-go bench-vigie

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-vigie: build
	bash scripts/bench.sh

## demo: a server on a fresh demo database (prints the accounts).
demo:
	$(GO) run ./cmd/vigie demo

## fuzz: each fuzz target for FUZZTIME (default 15s).
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

clean:
	rm -rf bin dist
	$(GO) clean -testcache
