# hpcbridge — run `make help` for the targets.
SHELL       := /bin/bash
GO          ?= go
BIN         := $(CURDIR)/bin
# ../shared holds the Slurm oracle and the script corpus (read at test time).
SHARED      ?= $(abspath $(CURDIR)/../shared)
ORACLE_DIR  ?= $(SHARED)/slurm-oracle
CORPUS_DIR  ?= $(SHARED)/corpus/dev
SLURM_CMDS  := sbatch squeue scancel sacct sinfo scontrol
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
BENCHTIME   ?= 2s
FUZZTIME    ?= 20s

export HPCBRIDGE_SLURM_ORACLE := $(ORACLE_DIR)
export HPCBRIDGE_CORPUS := $(CORPUS_DIR)

.PHONY: help build demo test test-go oracle lint generate bench fuzz clean

help: ## show this help
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/hpcbridge and the Slurm command links (bin/sbatch, ...)
	@mkdir -p $(BIN)
	$(GO) build -tags urfave_cli_no_docs -ldflags "$(LDFLAGS)" -o $(BIN)/hpcbridge ./cmd/hpcbridge
	@for c in $(SLURM_CMDS); do ln -sf hpcbridge $(BIN)/$$c; done

demo: build ## explain the examples, run a one-node coordinator, submit them, show squeue/sacct
	scripts/demo.sh

oracle: ## start the real-Slurm oracle (installs Debian's slurm packages on first use; needs root)
	ORACLE_SCAN_DIRS="$(CORPUS_DIR):$(CURDIR)/examples/slurm" $(ORACLE_DIR)/start.sh

test: oracle ## run every test with -race, real Slurm as the judge of parsing
	HPCBRIDGE_REQUIRE_ORACLE=1 $(MAKE) test-go

test-go: ## run the Go tests only (differential tests skip without a running oracle)
	$(GO) test -race -count=1 ./...

lint: ## go vet and gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

generate: ## run go generate
	$(GO) generate ./...

bench: build oracle ## run the benchmarks and print their numbers (hpcbridge next to real Slurm)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem -cpu 1 ./jobspec/
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./raft/
	$(GO) run ./bench -bin $(BIN)/hpcbridge -oracle $(ORACLE_DIR)

fuzz: ## run each fuzz target for FUZZTIME
	@for p in ./jobspec/ ./cmd/hpcbridge/ ./bridge/ ./bridge/api/ ./raft/state/; do \
	  for t in $$($(GO) test -list 'Fuzz.*' $$p | grep ^Fuzz); do \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
	  done; \
	done

clean: ## remove build outputs
	rm -rf $(BIN)
