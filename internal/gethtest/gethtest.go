// Package gethtest runs a real geth (`geth --dev`, go-ethereum v1.17.8 built
// by `make geth` into bin/geth, or $GETH_BIN) for tests of code that talks to
// a chain over JSON-RPC: loopback ports picked free, its data directory under
// the test's temporary directory, Osaka rules, one funded key.
//
// Osaka rules: geth's --dev chain enables a later fork (its dev configuration
// has Bogota at genesis) and v1.17.8 has no --override flag for it, so Start
// first runs `geth init` with a genesis of its own: chain.OsakaConfig() (the
// same configuration as the embedded simulated chain), merged at genesis, the
// system contracts, and the dev key funded. `geth --dev` on a data directory
// that holds a chain runs that chain's genesis instead of its default one.
//
// The dev key is made by Start and written into the data directory's keystore
// with an empty passphrase, where `geth --dev` finds and unlocks it as its
// developer account (the fee recipient). Tests sign with Key().
//
// Stop and Start (the method) stop geth and start it again on the same data
// directory and port: a chain outage with the state kept (geth shuts down
// cleanly on SIGTERM and writes its state). Start returns once geth answers
// eth_chainId and, on a chain with blocks, has indexed its transactions
// (receipts of a just-restarted geth otherwise answer "transaction indexing
// is in progress"; on a new chain the first receipts may still, briefly).
//
// Tests skip when there is no geth binary, unless HPCBRIDGE_REQUIRE_GETH=1
// (`make test` sets it): then they fail.
package gethtest

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/hpcbridge/hpcbridge/internal/chain"
)

// EnvBinary names a geth executable to use instead of bin/geth.
const EnvBinary = "GETH_BIN"

// EnvRequire turns a skip for a missing binary into a failure.
const EnvRequire = "HPCBRIDGE_REQUIRE_GETH"

// ErrNoBinary is returned by Binary when no geth executable is found.
var ErrNoBinary = errors.New("no geth binary: run `make geth` (builds go-ethereum v1.17.8's geth from tools/geth into bin/geth) or set " + EnvBinary)

// ChainID is the chain id of geth's dev chain (and of the simulated chain).
const ChainID = 1337

// readyWait bounds how long Start waits for geth to answer eth_chainId.
const readyWait = 60 * time.Second

// indexWait bounds how long Start waits for a restarted geth's transaction
// index.
const indexWait = 10 * time.Second

// stopWait bounds how long Stop waits for geth to exit after SIGTERM before
// it kills it.
const stopWait = 30 * time.Second

// devFunds is the dev key's genesis balance: 10^9 ether.
var devFunds = new(big.Int).Exp(big.NewInt(10), big.NewInt(27), nil)

// Binary returns the geth executable: $GETH_BIN, else bin/geth of the
// nearest directory above the working directory that has a go.mod and one.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v (%w)", EnvBinary, p, err, ErrNoBinary)
		}
		return filepath.Abs(p)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("%v (%w)", err, ErrNoBinary)
	}
	for d := filepath.Clean(wd); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			if p := filepath.Join(d, "bin", "geth"); executable(p) == nil {
				return p, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", ErrNoBinary
		}
	}
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// Geth is a geth --dev node run for a test.
type Geth struct {
	bin     string
	dir     string // the test's directory: data/, genesis.json, geth.log
	port    int    // HTTP JSON-RPC, kept across restarts
	key     *ecdsa.PrivateKey
	started time.Duration // how long the last start took to answer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	err    error         // cmd's exit, valid once exited is closed
}

// Start starts geth for t (skipping t when there is no geth binary, unless
// HPCBRIDGE_REQUIRE_GETH=1) and stops it when t ends.
func Start(t testing.TB) *Geth {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%v (%s=1)", err, EnvRequire)
		}
		t.Skipf("geth tests skipped: %v", err)
	}
	g, err := New(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Logf("gethtest: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return g
}

// New prepares a node in dir (a dev key in its keystore, the chain
// initialised with the Osaka genesis) on a free loopback port, without
// starting it. The caller Starts and Stops it.
func New(bin, dir string) (*Geth, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	g := &Geth{bin: bin, dir: dir, key: key}
	if g.port, err = freePort(); err != nil {
		return nil, err
	}
	data := g.DataDir()
	if err := os.MkdirAll(filepath.Join(data, "keystore"), 0o700); err != nil {
		return nil, fmt.Errorf("gethtest: %w", err)
	}
	// geth --dev takes the keystore's first account as its developer
	// account and unlocks it with the empty passphrase.
	if err := chain.WriteKeystore(filepath.Join(data, "keystore", "dev-key.json"), key, ""); err != nil {
		return nil, fmt.Errorf("gethtest: %w", err)
	}
	alloc := core.SystemContractAllocs()
	alloc[g.Address()] = types.Account{Balance: new(big.Int).Set(devFunds)}
	genesis := &core.Genesis{
		Config:     chain.OsakaConfig(),
		GasLimit:   60_000_000,
		Difficulty: new(big.Int), // merged at genesis, as --dev requires
		Alloc:      alloc,
	}
	gj, err := json.Marshal(genesis)
	if err != nil {
		return nil, fmt.Errorf("gethtest: genesis: %w", err)
	}
	gfile := filepath.Join(dir, "genesis.json")
	if err := os.WriteFile(gfile, gj, 0o600); err != nil {
		return nil, fmt.Errorf("gethtest: %w", err)
	}
	out, err := exec.Command(bin, "init", "--datadir", data, gfile).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("gethtest: geth init: %w\n%s", err, tail(string(out), 30))
	}
	return g, nil
}

// URL is geth's HTTP JSON-RPC endpoint.
func (g *Geth) URL() string { return "http://127.0.0.1:" + strconv.Itoa(g.port) }

// Key is the funded dev key (geth's developer account).
func (g *Geth) Key() *ecdsa.PrivateKey { return g.key }

// Address is the dev key's address.
func (g *Geth) Address() common.Address { return crypto.PubkeyToAddress(g.key.PublicKey) }

// DataDir is geth's data directory.
func (g *Geth) DataDir() string { return filepath.Join(g.dir, "data") }

// KeystoreFile is the dev key's keystore file (empty passphrase).
func (g *Geth) KeystoreFile() string { return filepath.Join(g.DataDir(), "keystore", "dev-key.json") }

// LogPath is geth's combined output.
func (g *Geth) LogPath() string { return filepath.Join(g.dir, "geth.log") }

// LogTail returns the last n lines of geth's output.
func (g *Geth) LogTail(n int) string {
	b, _ := os.ReadFile(g.LogPath())
	return tail(string(b), n)
}

// StartTime is how long the last Start took until geth answered.
func (g *Geth) StartTime() time.Duration { return g.started }

// Start starts geth (again) on its data directory and port and returns once
// it answers eth_chainId with the dev chain's id, or fails when ctx ends or
// geth exits first (then it is stopped). Starting a running node is an error.
func (g *Geth) Start(ctx context.Context) error {
	g.mu.Lock()
	if g.cmd != nil {
		g.mu.Unlock()
		return errors.New("gethtest: geth is running")
	}
	begin := time.Now()
	logf, err := os.OpenFile(g.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		g.mu.Unlock()
		return fmt.Errorf("gethtest: %w", err)
	}
	defer logf.Close()
	authPort, err := freePort()
	if err != nil {
		g.mu.Unlock()
		return err
	}
	cmd := exec.Command(g.bin,
		"--dev", "--dev.period", "0", "--datadir", g.DataDir(),
		"--nat", "none", "--nodiscover", "--maxpeers", "0", "--port", "0",
		"--ipcdisable", "--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(authPort),
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(g.port),
		"--http.api", "eth,net,web3", "--verbosity", "3",
	)
	cmd.Dir = g.dir
	cmd.Env = gethEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		g.mu.Unlock()
		return fmt.Errorf("gethtest: start %s: %w", g.bin, err)
	}
	exited := make(chan struct{})
	g.cmd, g.exited = cmd, exited
	go func() {
		err := cmd.Wait()
		g.mu.Lock()
		g.err = err
		g.mu.Unlock()
		close(exited)
	}()
	g.mu.Unlock()

	if err := g.waitReady(ctx, exited); err != nil {
		_ = g.Stop()
		return fmt.Errorf("gethtest: geth on %s: %w\n%s", g.URL(), err, g.LogTail(40))
	}
	g.started = time.Since(begin)
	return nil
}

// gethEnv is the environment without geth's GETH_* flag variables (geth
// reads every flag from one), so that the caller's environment cannot
// change how the test node runs.
func gethEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GETH_") {
			env = append(env, kv)
		}
	}
	return env
}

// waitReady polls eth_chainId (every 20 ms, bounded by ctx) until geth
// answers with the dev chain id.
func (g *Geth) waitReady(ctx context.Context, exited <-chan struct{}) error {
	c, err := ethclient.DialContext(ctx, g.URL())
	if err != nil {
		return err
	}
	defer c.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		id, err := c.ChainID(cctx)
		cancel()
		switch {
		case err == nil && id.Int64() == ChainID:
			g.waitIndexed(ctx, c)
			return nil
		case err == nil:
			return fmt.Errorf("chain id %s, want %d", id, ChainID)
		}
		last = err
		select {
		case <-exited:
			g.mu.Lock()
			err := g.err
			g.mu.Unlock()
			if err == nil {
				return errors.New("exited with status 0 before it answered")
			}
			return fmt.Errorf("exited before it answered: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (last: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// waitIndexed waits (polling eth_syncing every 20 ms, at most indexWait)
// until a restarted geth has indexed its transactions, so that receipts do
// not answer "transaction indexing is in progress". A chain with only its
// genesis is skipped: geth reports one block left to index until its first
// block. Running out of time is not an error (callers retry receipts, as on
// any node).
func (g *Geth) waitIndexed(ctx context.Context, c *ethclient.Client) {
	if n, err := c.BlockNumber(ctx); err != nil || n == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, indexWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if p, err := c.SyncProgress(ctx); err == nil && p == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Stop stops geth: SIGTERM (a clean shutdown that writes its state), then
// SIGKILL after 30 s. Stopping a stopped node does nothing.
func (g *Geth) Stop() error {
	g.mu.Lock()
	cmd, exited := g.cmd, g.exited
	g.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(stopWait)
	defer timer.Stop()
	var err error
	select {
	case <-exited:
	case <-timer.C:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		err = fmt.Errorf("gethtest: geth did not stop within %s of SIGTERM: killed", stopWait)
	}
	g.mu.Lock()
	g.cmd, g.exited = nil, nil
	g.mu.Unlock()
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("gethtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
