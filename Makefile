# hpcbridge — run `make help` for the targets.
SHELL       := /bin/bash
GO          ?= go
BIN         := $(CURDIR)/bin
# ../shared holds the Slurm oracle and the script corpus (read at test time).
SHARED      ?= $(abspath $(CURDIR)/../shared)
ORACLE_DIR  ?= $(SHARED)/slurm-oracle
CORPUS_DIR  ?= $(SHARED)/corpus/dev
SLURM_CMDS  := sbatch squeue scancel sacct sinfo scontrol srun sprio sshare
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
BENCHTIME   ?= 2s
FUZZTIME    ?= 20s

export HPCBRIDGE_SLURM_ORACLE := $(ORACLE_DIR)
export HPCBRIDGE_CORPUS := $(CORPUS_DIR)

.PHONY: help build driver demo test test-go oracle mpi nomad s3 geth npm-deps golangci-lint lint generate bench fuzz clean

help: ## show this help
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# bin/sbatch is a lean build (cmd/sbatch: it starts in a fraction of hpcbridge's time and hands
# what it does not do to hpcbridge); the other Slurm commands are links to hpcbridge.
build: ## build bin/hpcbridge, bin/sbatch and the Slurm command links (bin/squeue, ...)
	@mkdir -p $(BIN)
	$(GO) build -tags urfave_cli_no_docs -ldflags "$(LDFLAGS)" -o $(BIN)/hpcbridge ./cmd/hpcbridge
	rm -f $(BIN)/sbatch && CGO_ENABLED=0 $(GO) build -o $(BIN)/sbatch ./cmd/sbatch
	@for c in $(filter-out sbatch,$(SLURM_CMDS)); do ln -sf hpcbridge $(BIN)/$$c; done

# The task driver needs cgo (Nomad's executor). Nomad wants a semantic version: 0.1.0+<git>.
# The GPU device plugin needs cgo too (go-nvml loads libnvidia-ml at run time; building needs no
# NVIDIA driver); its C prologue's deprecation warnings are silenced.
driver: ## build bin/plugins/hpcbridge-driver (the Nomad task driver, also stepd and srun) and bin/plugins/hpcbridge-gpu (the GPU device plugin)
	@mkdir -p $(BIN)/plugins
	CGO_ENABLED=1 $(GO) build -ldflags "-X github.com/hpcbridge/hpcbridge/drivers/taskdriver.Version=0.1.0+$(VERSION)" \
	  -o $(BIN)/plugins/hpcbridge-driver ./cmd/hpcbridge-driver
	CGO_ENABLED=1 CGO_CFLAGS="$${CGO_CFLAGS:--O2 -g} -Wno-deprecated-declarations" $(GO) build \
	  -ldflags "-X github.com/hpcbridge/hpcbridge/drivers/gpuplugin.Version=0.1.0+$(VERSION)" \
	  -o $(BIN)/plugins/hpcbridge-gpu ./cmd/hpcbridge-gpu

demo: build nomad driver mpi geth ## run the embedded default (hpcbridge dev), submit the examples, show squeue and sacct, claim a donor's reward tokens
	scripts/demo.sh

oracle: ## start the real-Slurm oracle (installs Debian's slurm packages on first use; needs root)
	ORACLE_SCAN_DIRS="$(CORPUS_DIR):$(CURDIR)/examples/slurm" $(ORACLE_DIR)/start.sh

# Debian's Open MPI and MPICH (mpicc, mpirun, mpiexec.mpich), which the multi-node examples and
# e2e tests launch through srun; a few dpkg queries when they are installed.
mpi: ## install Debian's Open MPI and MPICH when missing (needs root then)
	scripts/install-mpi.sh

# The REQUIRE switches turn a skip into a failure: no oracle, no nomad binary, not root (the
# driver's job tests and the e2e tests that run jobs as other users), no MPI, no bin/weed (the
# S3 store's tests), no contracts/node_modules (the contract build and its staleness test).
test: oracle mpi nomad s3 npm-deps geth ## run every test with -race, real Slurm as the judge of parsing, a real Nomad agent, as root
	HPCBRIDGE_REQUIRE_ORACLE=1 HPCBRIDGE_REQUIRE_NOMAD=1 HPCBRIDGE_REQUIRE_ROOT=1 HPCBRIDGE_REQUIRE_MPI=1 HPCBRIDGE_REQUIRE_S3=1 HPCBRIDGE_REQUIRE_NPM=1 HPCBRIDGE_REQUIRE_GETH=1 $(MAKE) test-go

# bridge/e2e runs real dev clusters one after another (about 12 minutes on 2 cores): past go
# test's default 10-minute limit per package.
test-go: ## run the Go tests only (differential tests skip without a running oracle)
	$(GO) test -race -count=1 -timeout 30m ./...

# Nomad v1.11.3 built from its Go module (tools/nomad pins it), with the web UI: about 7 min on
# 2 cores from empty Go caches, 10 s warm; skipped while the stamp (tools/nomad/go.{mod,sum} +
# go version) matches. With NOMAD_BIN set, tests use that binary and nothing is built.
NOMAD_STAMP := $(BIN)/.nomad.stamp
nomad: ## build bin/nomad (Nomad v1.11.3 + UI) from tools/nomad; no-op when up to date
	@if [ -n "$$NOMAD_BIN" ]; then echo "NOMAD_BIN=$$NOMAD_BIN: not building bin/nomad"; exit 0; fi; \
	key=$$({ cat tools/nomad/go.mod tools/nomad/go.sum; $(GO) version; } | sha256sum | cut -d' ' -f1); \
	if [ -x $(BIN)/nomad ] && [ "$$(cat $(NOMAD_STAMP) 2>/dev/null)" = "$$key" ]; then echo "bin/nomad is up to date"; exit 0; fi; \
	echo "building bin/nomad (Nomad v1.11.3 with UI; minutes the first time)"; \
	mkdir -p $(BIN) && rm -f $(NOMAD_STAMP) && \
	(cd tools/nomad && $(GO) build -tags ui -o $(BIN)/nomad.tmp github.com/hashicorp/nomad) && \
	mv -f $(BIN)/nomad.tmp $(BIN)/nomad && echo "$$key" > $(NOMAD_STAMP)

# SeaweedFS's weed (Apache-2.0) built from its Go module (tools/seaweedfs pins it): the
# S3-compatible server the blob store's S3 backend is tested against (internal/cas/s3test
# starts it). About 5 min on 2 cores with the modules downloaded; skipped while the stamp
# (tools/seaweedfs/go.{mod,sum} + go version) matches. With WEED_BIN set, tests use that binary.
WEED_STAMP := $(BIN)/.weed.stamp
s3: ## build bin/weed (SeaweedFS, the S3 server the tests use) from tools/seaweedfs; no-op when up to date
	@if [ -n "$$WEED_BIN" ]; then echo "WEED_BIN=$$WEED_BIN: not building bin/weed"; exit 0; fi; \
	key=$$({ cat tools/seaweedfs/go.mod tools/seaweedfs/go.sum; $(GO) version; } | sha256sum | cut -d' ' -f1); \
	if [ -x $(BIN)/weed ] && [ "$$(cat $(WEED_STAMP) 2>/dev/null)" = "$$key" ]; then echo "bin/weed is up to date"; exit 0; fi; \
	echo "building bin/weed (SeaweedFS; minutes the first time)"; \
	mkdir -p $(BIN) && rm -f $(WEED_STAMP) && \
	(cd tools/seaweedfs && $(GO) build -o $(BIN)/weed.tmp github.com/seaweedfs/seaweedfs/weed) && \
	mv -f $(BIN)/weed.tmp $(BIN)/weed && echo "$$key" > $(WEED_STAMP)

# go-ethereum's geth v1.17.8 built from its Go module (tools/geth pins it): the JSON-RPC chain
# internal/gethtest starts (`geth --dev`, Osaka rules) for the rewards publisher's tests. About
# 6 min on 2 cores from empty Go caches; skipped while the stamp (tools/geth/go.{mod,sum} + go
# version) matches. With GETH_BIN set, tests use that binary and nothing is built.
GETH_STAMP := $(BIN)/.geth.stamp
geth: ## build bin/geth (go-ethereum v1.17.8) from tools/geth; no-op when up to date
	@if [ -n "$$GETH_BIN" ]; then echo "GETH_BIN=$$GETH_BIN: not building bin/geth"; exit 0; fi; \
	key=$$({ cat tools/geth/go.mod tools/geth/go.sum; $(GO) version; } | sha256sum | cut -d' ' -f1); \
	if [ -x $(BIN)/geth ] && [ "$$(cat $(GETH_STAMP) 2>/dev/null)" = "$$key" ]; then echo "bin/geth is up to date"; exit 0; fi; \
	echo "building bin/geth (go-ethereum v1.17.8; minutes the first time)"; \
	mkdir -p $(BIN) && rm -f $(GETH_STAMP) && \
	(cd tools/geth && $(GO) build -o $(BIN)/geth.tmp github.com/ethereum/go-ethereum/cmd/geth) && \
	mv -f $(BIN)/geth.tmp $(BIN)/geth && echo "$$key" > $(GETH_STAMP)

# The contracts' npm packages (solc, OpenZeppelin, Safe; contracts/package-lock.json pins them)
# installed with `npm ci` into contracts/node_modules; skipped while the stamp (package-lock.json
# + node version) matches. Needs node and npm, and the npm registry the first time.
NPM_STAMP := contracts/node_modules/.hpcbridge.stamp
npm-deps: ## install contracts/node_modules (npm ci) from contracts/package-lock.json; no-op when up to date
	@key=$$({ cat contracts/package-lock.json; node --version; } | sha256sum | cut -d' ' -f1); \
	if [ "$$(cat $(NPM_STAMP) 2>/dev/null)" = "$$key" ]; then echo "contracts/node_modules is up to date"; exit 0; fi; \
	echo "installing contracts/node_modules (npm ci)"; \
	(cd contracts && npm ci --no-audit --no-fund) && echo "$$key" > $(NPM_STAMP)

# golangci-lint as tools/golangci-lint pins it (a module of its own), built once into bin/ and
# rebuilt only when the stamp (tools/golangci-lint/go.{mod,sum} + go version) changes; about
# 2 min on 2 cores from empty caches. Its linters and depguard's import rules: .golangci.yml.
LINT_STAMP := $(BIN)/.golangci-lint.stamp
golangci-lint: ## build bin/golangci-lint (the version tools/golangci-lint pins); no-op when up to date
	@key=$$({ cat tools/golangci-lint/go.mod tools/golangci-lint/go.sum; $(GO) version; } | sha256sum | cut -d' ' -f1); \
	if [ -x $(BIN)/golangci-lint ] && [ "$$(cat $(LINT_STAMP) 2>/dev/null)" = "$$key" ]; then exit 0; fi; \
	echo "building bin/golangci-lint"; \
	mkdir -p $(BIN) && rm -f $(LINT_STAMP) && \
	(cd tools/golangci-lint && $(GO) build -o $(BIN)/golangci-lint.tmp github.com/golangci/golangci-lint/v2/cmd/golangci-lint) && \
	mv -f $(BIN)/golangci-lint.tmp $(BIN)/golangci-lint && echo "$$key" > $(LINT_STAMP)

lint: golangci-lint ## go vet, gofmt check and golangci-lint (errorlint, depguard, staticcheck, ...)
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(BIN)/golangci-lint run ./...

# contracts/generate.sh: the contracts' artifacts (solc from contracts/node_modules) and their
# abigen v2 bindings (contracts/generate_test.go fails when the committed ones are stale).
generate: npm-deps ## rebuild contracts/artifacts and contracts/bindings, then run go generate
	contracts/generate.sh
	$(GO) generate ./...

# The nomad section runs a Nomad dev agent ($$NOMAD_BIN, else bin/nomad) with bin/plugins' driver.
bench: build oracle nomad driver geth ## run the benchmarks and print their numbers (hpcbridge next to real Slurm and to Nomad alone)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem -cpu 1 ./jobspec/
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./raft/
	@echo "== rewards: gas under Osaka rules (contracts TestGas), epoch close over 100,000 wallets (ledger Apply; its Merkle tree alone) =="
	$(GO) test -run '^TestGas$$' -v -count=1 ./contracts/
	$(GO) test -run '^$$' -bench '^BenchmarkLedgerClose$$' -benchtime 3x -benchmem ./raft/state/
	$(GO) test -run '^$$' -bench '^Benchmark(Build|Proof)100k$$' -benchtime 3x -benchmem ./internal/merkle/
	$(GO) run ./bench -bin $(BIN)/hpcbridge -oracle $(ORACLE_DIR) -plugin-dir $(BIN)/plugins

fuzz: ## run each fuzz target for FUZZTIME
	@for p in ./jobspec/ ./internal/cas/ ./internal/getopt/ ./internal/slurm/ ./internal/slurm/squeue/ ./internal/slurm/sacct/ ./bridge/apiserver/ ./bridge/api/ ./bridge/api/brief/ ./raft/state/; do \
	  for t in $$($(GO) test -list 'Fuzz.*' $$p | grep ^Fuzz); do \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
	  done; \
	done

clean: ## remove build outputs
	rm -rf $(BIN)
