package rewards

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// env is a test's chain and Raft: a simulated chain (internal/chain) the
// test owns, served over HTTP by its JSON-RPC handler (so services open it
// as the rpc kind, and the test can stop and restart the endpoint), the
// RewardDistributor deployed on it with the publisher key as admin, and a
// bridgetest Raft cluster.
type env struct {
	t        *testing.T
	ctx      context.Context
	chain    *chain.Chain
	rpc      *rpcServer
	key      *ecdsa.PrivateKey
	from     common.Address
	keyFile  string
	pwFile   string
	contract common.Address
	base     uint64 // the publisher key's nonce after the deploy
	cluster  *bridgetest.Cluster
	logs     *syncBuffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, key: key, from: crypto.PubkeyToAddress(key.PublicKey), cluster: bridgetest.NewCluster(), logs: &syncBuffer{}}
	dir := t.TempDir()
	e.keyFile, e.pwFile = filepath.Join(dir, "publisher.json"), filepath.Join(dir, "password")
	if err := os.WriteFile(e.pwFile, []byte("test password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chain.WriteKeystore(e.keyFile, key, "test password"); err != nil {
		t.Fatal(err)
	}
	e.chain, err = chain.Open(ctx, chain.Config{Kind: chain.KindSimulated}, types.GenesisAlloc{e.from: {Balance: DefaultFund}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.chain.Close() })
	e.contract, _, err = contracts.Deploy(ctx, e.chain, key, e.from, e.from)
	if err != nil {
		t.Fatal(err)
	}
	e.base = e.nonce()
	e.rpc = &rpcServer{h: e.chain.ServeRPC()}
	e.rpc.start(t)
	t.Cleanup(e.rpc.stop)
	return e
}

// newService is newEnv with one Raft server, s1, and a service opened on
// it with the env's configuration.
func newService(t *testing.T) (*env, *bridgetest.Raft, *Service) {
	t.Helper()
	e := newEnv(t)
	r := e.server("s1")
	return e, r, e.open(r, e.config())
}

// config is a service configuration on the env's chain (rpc kind).
func (e *env) config() Config {
	return Config{Chain: chain.Config{Kind: chain.KindRPC, URL: e.rpc.url}, Contract: e.contract.Hex(), KeystoreFile: e.keyFile, PasswordFile: e.pwFile}
}

// server adds a Raft server to the cluster (the first one leads).
func (e *env) server(id string) *bridgetest.Raft { return e.cluster.Add(id, id+":4748") }

// open opens a service on r with cfg; it is shut down when the test ends.
func (e *env) open(r *bridgetest.Raft, cfg Config) *Service {
	e.t.Helper()
	return e.openOn(r.Store(), r, cfg)
}

// openOn is open on any Raft node and its store.
func (e *env) openOn(st *state.Store, r Applier, cfg Config) *Service {
	e.t.Helper()
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(e.ctx, cfg, Deps{Store: st, Raft: r, Logger: logger})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Shutdown() })
	return s
}

// fastPublisher is s's publisher with short pauses.
func fastPublisher(s *Service) *Publisher {
	p := s.Publisher()
	p.Min, p.Max, p.Poll = 20*time.Millisecond, 200*time.Millisecond, 20*time.Millisecond
	return p
}

// donate credits wallet with an hour of one CPU on node (bridgetest.Donate):
// 10^16 base units at the default rates.
func (e *env) donate(r *bridgetest.Raft, donor string, wallet common.Address, node string) {
	e.t.Helper()
	bridgetest.Donate(e.t, r, bridgetest.Donation{Donor: donor, Wallet: wallet.Hex(), Node: node, CPUs: 1, Seconds: 3600})
}

// publishFirst credits a wallet on r, closes epoch 1 and runs s's
// publisher until epoch 1 is published.
func (e *env) publishFirst(r *bridgetest.Raft, s *Service) {
	e.t.Helper()
	if ep := e.settle(r, s, "a1"); ep.State != state.EpochPublished {
		e.t.Fatalf("epoch 1 is %s (%s), want published", ep.State, ep.Halt)
	}
}

// settle credits uni-a's wallet for work on node, closes the next epoch
// and runs s's publisher until that epoch is published or halted; it
// returns the epoch.
func (e *env) settle(r *bridgetest.Raft, s *Service, node string) *state.Epoch {
	e.t.Helper()
	e.donate(r, "uni-a", wallet(e.t), node)
	n := e.closeEpoch(s).Number
	stop := term(e.t, fastPublisher(s))
	waitFor(e.t, fmt.Sprintf("epoch %d published or halted", n), func() bool {
		st := epochState(r, n)
		return st == state.EpochPublished || st == state.EpochHalted
	})
	stop()
	return r.Store().View().Epoch(n)
}

// term runs task's RunTerm in a goroutine until the returned stop is
// called (or the test ends); stop waits for it to return.
func term(t *testing.T, task interface{ RunTerm(context.Context) error }) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- task.RunTerm(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("RunTerm: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// epochState is epoch n's state in r's store ("" when not closed).
func epochState(r *bridgetest.Raft, n uint64) string { return storeState(r.Store(), n) }

// onChain is the contract's current epoch and root.
func (e *env) onChain() (uint64, common.Hash) {
	e.t.Helper()
	n, err := contracts.CurrentEpoch(e.ctx, e.chain, e.contract)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := contracts.MerkleRoot(e.ctx, e.chain, e.contract)
	if err != nil {
		e.t.Fatal(err)
	}
	return n, r
}

// nonce is the publisher key's mined transaction count.
func (e *env) nonce() uint64 {
	e.t.Helper()
	n, err := e.chain.NonceAt(e.ctx, e.from, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// closeEpoch closes the next epoch through s (the test fails on an
// error).
func (e *env) closeEpoch(s *Service) *state.Epoch {
	e.t.Helper()
	ep, err := s.Close(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return ep
}

// recordIntent records tx, signed with the publisher key, as epoch n's
// publish intent in s's ledger, as a leader does before it sends one.
func (e *env) recordIntent(s *Service, n uint64, tx *types.Transaction) {
	e.t.Helper()
	raw, err := tx.MarshalBinary()
	if err != nil {
		e.t.Fatal(err)
	}
	in := &state.PublishIntent{ChainID: s.chainID().String(), Contract: e.contract.Hex(), From: e.from.Hex(), Nonce: tx.Nonce(),
		TxHash: tx.Hash().Hex(), RawTx: hexutil.Encode(raw), Time: s.deps.Now().UTC()}
	if _, err := s.apply(e.ctx, state.LedgerCmd{Op: state.LedgerIntent, Time: in.Time, Epoch: n, Intent: in}); err != nil {
		e.t.Fatal(err)
	}
}

// pause pauses the contract with the publisher key's first nonce
// (e.base): every publish after it is refused.
func (e *env) pause() {
	e.t.Helper()
	pause, err := contracts.ABI().Pack("pause")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.chain.SendTransaction(e.ctx, e.signed(e.base, e.contract, pause, nil, 0)); err != nil {
		e.t.Fatal(err)
	}
}

// signed is a transaction from the publisher key to the contract with
// data, nonce and a fixed gas limit (0: estimated).
func (e *env) signed(nonce uint64, to common.Address, data []byte, value *big.Int, gas uint64) *types.Transaction {
	e.t.Helper()
	id, err := e.chain.ChainID(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	head, err := e.chain.HeaderByNumber(e.ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if gas == 0 {
		gas = 200_000
	}
	tip := big.NewInt(1_000_000_000)
	tx, err := types.SignNewTx(e.key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{ChainID: id, Nonce: nonce,
		GasTipCap: tip, GasFeeCap: new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2))), Gas: gas, To: &to, Data: data, Value: value})
	if err != nil {
		e.t.Fatal(err)
	}
	return tx
}

// rpcServer serves a chain's JSON-RPC handler on a loopback port that
// stays the same across stop and start, and counts the raw transactions
// sent through it.
type rpcServer struct {
	h     http.Handler
	url   string
	addr  string
	hs    *httptest.Server
	sends atomic.Int64 // eth_sendRawTransaction calls

	mu  sync.Mutex
	raw map[string]bool // the distinct transactions sent
	// lie, when set, is a fault injector (a hostile or buggy node): for
	// a call it returns ok, its JSON result is answered instead of the
	// chain's ("error:" and a JSON error object: that error; "hangup":
	// the connection is closed unanswered).
	lie func(method string, params []json.RawMessage) (result string, ok bool)
}

// setLie sets the fault injector (nil: none).
func (r *rpcServer) setLie(f func(method string, params []json.RawMessage) (string, bool)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lie = f
}

// answerChainID is a lie (rpcServer.setLie): the node answers
// eth_chainId with id (0x hex), another chain's.
func answerChainID(id string) func(string, []json.RawMessage) (string, bool) {
	return func(method string, _ []json.RawMessage) (string, bool) {
		if method == "eth_chainId" {
			return `"` + id + `"`, true
		}
		return "", false
	}
}

// mineBlock mines one block on the env's chain: a plain transfer from the
// publisher key at nonce.
func (e *env) mineBlock(nonce uint64) {
	e.t.Helper()
	if err := e.chain.SendTransaction(e.ctx, e.signed(nonce, wallet(e.t), nil, nil, 21_000)); err != nil {
		e.t.Fatal(err)
	}
}

// distinct is how many different signed transactions were sent.
func (r *rpcServer) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.raw)
}

func (r *rpcServer) start(t *testing.T) {
	t.Helper()
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.url = "http://" + r.addr
	r.hs = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.hs.Listener.Close()
	r.hs.Listener = ln
	r.hs.Start()
}

func (r *rpcServer) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.sends.Add(int64(strings.Count(string(body), `"eth_sendRawTransaction"`)))
	var call struct {
		ID     json.RawMessage   `json:"id"`
		Method string            `json:"method"`
		Params []json.RawMessage `json:"params"`
	}
	if json.Unmarshal(body, &call) == nil {
		r.mu.Lock()
		lie := r.lie
		if call.Method == "eth_sendRawTransaction" && len(call.Params) == 1 {
			if r.raw == nil {
				r.raw = map[string]bool{}
			}
			r.raw[string(call.Params[0])] = true
		}
		r.mu.Unlock()
		if lie != nil {
			if res, ok := lie(call.Method, call.Params); ok {
				if res == "hangup" { // the connection drops unanswered
					if hj, ok := w.(http.Hijacker); ok {
						if c, _, err := hj.Hijack(); err == nil {
							c.Close()
						}
					}
					return
				}
				w.Header().Set("Content-Type", "application/json")
				if e, isErr := strings.CutPrefix(res, "error:"); isErr {
					fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":%s}`, call.ID, e)
					return
				}
				fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, call.ID, res)
				return
			}
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.h.ServeHTTP(w, req)
}

// stop closes the endpoint and waits for its requests to end.
func (r *rpcServer) stop() {
	if r.hs != nil {
		r.hs.Close()
		r.hs = nil
	}
}

// syncBuffer is a log sink tests read while services write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// wallet is a fresh address.
func wallet(t *testing.T) common.Address {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return crypto.PubkeyToAddress(k.PublicKey)
}

// realNode is a real Raft server of a raft.TestCluster with its store,
// for bridgetest.Donate.
type realNode struct {
	*hbraft.Node
	store *state.Store
}

func (n realNode) Store() *state.Store { return n.store }
