package rewards

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/merkle"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestPublishOncePerEpoch: each closed epoch is published with one
// transaction, its root on the chain; a close with nothing changed is
// refused.
func TestPublishOncePerEpoch(t *testing.T) {
	e, r, s := newService(t)
	if _, err := s.Close(e.ctx); !errors.Is(err, apiserver.ErrNothingToClose) {
		t.Fatalf("close with no credit: %v, want ErrNothingToClose", err)
	}
	stop := term(t, fastPublisher(s))
	defer stop()

	a, b := wallet(t), wallet(t)
	e.donate(r, "uni-a", a, "a1")
	e1 := e.closeEpoch(s)
	waitFor(t, "epoch 1 published", func() bool { return epochState(r, 1) == state.EpochPublished })
	if n, root := e.onChain(); n != 1 || root.Hex() != common.HexToHash(e1.Root).Hex() {
		t.Fatalf("chain at epoch %d root %s, want 1 %s", n, root.Hex(), e1.Root)
	}
	if _, err := s.Close(e.ctx); !errors.Is(err, apiserver.ErrNothingToClose) {
		t.Fatalf("close with nothing changed: %v, want ErrNothingToClose", err)
	}

	e.donate(r, "uni-b", b, "b1")
	e.donate(r, "uni-a", a, "a1")
	e2 := e.closeEpoch(s)
	waitFor(t, "epoch 2 published", func() bool { return epochState(r, 2) == state.EpochPublished })
	if n, root := e.onChain(); n != 2 || root != common.HexToHash(e2.Root) {
		t.Fatalf("chain at epoch %d root %s, want 2 %s", n, root.Hex(), e2.Root)
	}
	if got := e.rpc.sends.Load(); got != 2 {
		t.Errorf("%d transactions sent for two epochs, want 2", got)
	}
	if got := e.nonce(); got != e.base+2 {
		t.Errorf("publisher nonce %d, want %d", got, e.base+2)
	}
	ep := r.Store().View().Epoch(2)
	if ep.TxHash == "" || ep.Block == 0 || ep.Intent == nil || ep.Intent.TxHash != ep.TxHash {
		t.Errorf("epoch 2 recorded %+v: want its transaction, block and intent", ep)
	}
}

// TestFailoverLandedUnrecorded: a leader sends epoch 1's publish and loses
// its term after the transaction landed, before it recorded it (the crash
// window, held open by the test hook); the next leader finds the epoch on
// the chain and records it without sending anything.
func TestFailoverLandedUnrecorded(t *testing.T) {
	e := newEnv(t)
	r1, r2 := e.server("s1"), e.server("s2")
	s1 := e.open(r1, e.config())
	s1.hold = 1
	s2 := e.open(r2, e.config())

	e.donate(r1, "uni-a", wallet(t), "a1")
	e.closeEpoch(s1)
	stop1 := term(t, fastPublisher(s1))
	waitFor(t, "epoch 1 on the chain", func() bool { n, _ := e.onChain(); return n == 1 })
	waitFor(t, "the hold's log line", func() bool { return strings.Contains(e.logs.String(), "holding the landed publish") })
	stop1() // the leader is gone before it recorded the epoch
	if st := epochState(r2, 1); st != state.EpochSending {
		t.Fatalf("epoch 1 is %q after the first term, want sending (intent recorded, not published)", st)
	}
	sent := e.rpc.sends.Load()
	if sent != 1 {
		t.Fatalf("%d transactions sent by the first term, want 1", sent)
	}

	e.cluster.SetLeader("s2")
	stop2 := term(t, fastPublisher(s2))
	waitFor(t, "epoch 1 recorded by the new leader", func() bool { return epochState(r2, 1) == state.EpochPublished })
	stop2()
	if got := e.rpc.sends.Load(); got != sent {
		t.Errorf("the new leader sent %d transactions, want none", got-sent)
	}
	if got := e.nonce(); got != e.base+1 {
		t.Errorf("publisher nonce %d, want %d", got, e.base+1)
	}
	ep := r2.Store().View().Epoch(1)
	if ep.TxHash != ep.Intent.TxHash || ep.Attempts != 1 {
		t.Errorf("epoch 1 recorded tx %s after %d intents, want the first leader's %s after 1", ep.TxHash, ep.Attempts, ep.Intent.TxHash)
	}
}

// TestIntentRebroadcast: a leader recorded its intent and lost its term
// before the transaction reached the chain; the next leader sends the
// recorded transaction itself, not a new one. An intent whose nonce
// another transaction used can never land: a new intent replaces it.
func TestIntentRebroadcast(t *testing.T) {
	e, r, s := newService(t)
	e.donate(r, "uni-a", wallet(t), "a1")
	ep := e.closeEpoch(s)
	tx := e.signed(e.base, e.contract, contracts.PackPublish(1, common.HexToHash(ep.Root)), nil, 0)
	e.recordIntent(s, 1, tx)
	stop := term(t, fastPublisher(s))
	waitFor(t, "epoch 1 published", func() bool { return epochState(r, 1) == state.EpochPublished })
	stop()
	if got := r.Store().View().Epoch(1); got.TxHash != tx.Hash().Hex() || got.Attempts != 1 {
		t.Errorf("epoch 1 published by %s after %d intents, want the recorded %s after 1", got.TxHash, got.Attempts, tx.Hash().Hex())
	}
	if got := e.rpc.sends.Load(); got != 1 {
		t.Errorf("%d transactions sent, want 1 (the recorded one)", got)
	}

	// Epoch 2's intent holds the next nonce; another transaction takes it.
	e.donate(r, "uni-a", wallet(t), "a2")
	ep2 := e.closeEpoch(s)
	stale := e.signed(e.base+1, e.contract, contracts.PackPublish(2, common.HexToHash(ep2.Root)), nil, 0)
	e.recordIntent(s, 2, stale)
	e.mineBlock(e.base + 1)
	stop = term(t, fastPublisher(s))
	waitFor(t, "epoch 2 published", func() bool { return epochState(r, 2) == state.EpochPublished })
	stop()
	got := r.Store().View().Epoch(2)
	if got.TxHash == stale.Hash().Hex() || got.Attempts != 2 || got.Intent.Nonce != e.base+2 {
		t.Errorf("epoch 2 published by %s after %d intents (nonce %d), want a new transaction (nonce %d) after 2", got.TxHash, got.Attempts, got.Intent.Nonce, e.base+2)
	}
	if !strings.Contains(e.logs.String(), "nonce was used by another transaction") {
		t.Errorf("no log line about the used nonce:\n%s", e.logs.String())
	}
}

// TestRootMismatchHalts: the chain holds the epoch with another root:
// publishing halts, says so, and sends nothing; a resume reads the chain
// again (and halts again while it disagrees).
func TestRootMismatchHalts(t *testing.T) {
	e, r, s := newService(t)
	e.donate(r, "uni-a", wallet(t), "a1")
	ep := e.closeEpoch(s)
	other := common.HexToHash("0x1234")
	if _, err := contracts.Publish(e.ctx, e.chain, e.key, e.contract, 1, other); err != nil {
		t.Fatal(err)
	}
	stop := term(t, fastPublisher(s))
	defer stop()
	waitFor(t, "epoch 1 halted", func() bool { return epochState(r, 1) == state.EpochHalted })
	got := r.Store().View().Epoch(1)
	for _, want := range []string{"root mismatch", other.Hex(), common.HexToHash(ep.Root).Hex()} {
		if !strings.Contains(got.Halt, want) {
			t.Errorf("halt reason %q does not say %q", got.Halt, want)
		}
	}
	if !strings.Contains(e.logs.String(), "level=ERROR") || !strings.Contains(e.logs.String(), "PUBLISHING HALTED") {
		t.Errorf("no ERROR log line for the halt:\n%s", e.logs.String())
	}
	if n := e.rpc.sends.Load(); n != 0 {
		t.Errorf("%d transactions sent, want none", n)
	}
	if err := s.Resume(e.ctx, 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "epoch 1 halted again", func() bool { return epochState(r, 1) == state.EpochHalted })
	if n := e.rpc.sends.Load(); n != 0 {
		t.Errorf("%d transactions sent after the resume, want none", n)
	}
}

// TestRevertedPublishHalts: a publish the contract refuses halts
// publishing: refused at estimation (paused), and mined and reverted (a
// recorded transaction sent while paused).
func TestRevertedPublishHalts(t *testing.T) {
	e, r, s := newService(t)
	e.pause()
	e.donate(r, "uni-a", wallet(t), "a1")
	ep := e.closeEpoch(s)
	stop := term(t, fastPublisher(s))
	waitFor(t, "epoch 1 halted", func() bool { return epochState(r, 1) == state.EpochHalted })
	stop()
	if got := r.Store().View().Epoch(1).Halt; !strings.Contains(got, "refuses") {
		t.Errorf("halt reason %q: want the contract's refusal", got)
	}

	// A recorded transaction with its own gas limit reverts on the chain.
	if err := s.Resume(e.ctx, 1); err != nil {
		t.Fatal(err)
	}
	tx := e.signed(e.base+1, e.contract, contracts.PackPublish(1, common.HexToHash(ep.Root)), nil, 100_000)
	e.recordIntent(s, 1, tx)
	stop = term(t, fastPublisher(s))
	defer stop()
	waitFor(t, "epoch 1 halted", func() bool { return epochState(r, 1) == state.EpochHalted })
	if got := r.Store().View().Epoch(1).Halt; !strings.Contains(got, "reverted") || !strings.Contains(got, tx.Hash().Hex()) {
		t.Errorf("halt reason %q: want the reverted transaction", got)
	}
	if n, _ := e.onChain(); n != 0 {
		t.Errorf("chain at epoch %d, want 0", n)
	}
}

// TestChainOutage: with the chain's endpoint down (from before the
// service starts), publishing retries with backoff and says so; it
// publishes once the endpoint is back.
func TestChainOutage(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	e.rpc.stop()
	s := e.open(r, e.config())
	if c := s.Chain(); c.ChainID != "" || c.Contract != e.contract.Hex() || c.Embedded {
		t.Errorf("chain while unreachable: %+v", c)
	}
	e.donate(r, "uni-a", wallet(t), "a1")
	e.closeEpoch(s)
	stop := term(t, fastPublisher(s))
	defer stop()
	waitFor(t, "two failed attempts logged", func() bool { return strings.Count(e.logs.String(), "publish epoch 1 failed; retrying") >= 2 })
	if st := epochState(r, 1); st != state.EpochClosed {
		t.Fatalf("epoch 1 is %q during the outage, want closed", st)
	}
	e.rpc.start(t)
	waitFor(t, "epoch 1 published", func() bool { return epochState(r, 1) == state.EpochPublished })
	if n, _ := e.onChain(); n != 1 {
		t.Errorf("chain at epoch %d, want 1", n)
	}
	if n := e.rpc.sends.Load(); n != 1 {
		t.Errorf("%d transactions sent, want 1", n)
	}
}

// TestSimulatedRestartKeepsState is hpcbridge dev's chain: the first start
// deploys the contract and keeps its address, the faucet funds the wallets
// of a published epoch, a wallet claims; after a restart on the same data
// dir the contract, its epoch, the wallet's tokens and its gas are there.
func TestSimulatedRestartKeepsState(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	dir := t.TempDir()
	cfg := Config{Chain: chain.Config{Kind: chain.KindSimulated, DataDir: filepath.Join(dir, "chain")}, ContractFile: filepath.Join(dir, "contract"),
		KeystoreFile: e.keyFile, PasswordFile: e.pwFile, Faucet: true}
	s := e.open(r, cfg)
	kept, err := os.ReadFile(cfg.ContractFile)
	if err != nil || strings.TrimSpace(string(kept)) != s.Contract().Hex() {
		t.Fatalf("contract file %q (%v), want %s", kept, err, s.Contract().Hex())
	}
	if c := s.Chain(); !c.Embedded || c.Kind != chain.KindSimulated || c.ChainID == "" || s.RPC() == nil {
		t.Fatalf("chain %+v (rpc handler %v): want the embedded one", c, s.RPC() != nil)
	}
	a := wallet(t)
	e.donate(r, "uni-a", a, "a1")
	ep := e.closeEpoch(s)
	stop := term(t, fastPublisher(s))
	waitFor(t, "epoch 1 published", func() bool { return epochState(r, 1) == state.EpochPublished })
	b := s.Backend()
	waitFor(t, "the faucet's ether", func() bool { bal, err := b.BalanceAt(e.ctx, a, nil); return err == nil && bal.Cmp(FaucetAmount) == 0 })
	stop()
	leaves, err := r.Store().View().EpochLeaves(1)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := merkle.Build(leaves)
	if err != nil {
		t.Fatal(err)
	}
	leaf, proof, err := tree.Proof(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := contracts.Claim(e.ctx, b, s.key, s.Contract(), a, leaf.Amount, proof); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}

	s2 := e.open(r, cfg)
	if s2.Contract() != s.Contract() {
		t.Fatalf("restarted on contract %s, want %s", s2.Contract().Hex(), s.Contract().Hex())
	}
	b2 := s2.Backend()
	if n, err := contracts.CurrentEpoch(e.ctx, b2, s2.Contract()); err != nil || n != 1 {
		t.Errorf("after the restart the chain is at epoch %d (%v), want 1", n, err)
	}
	if root, err := contracts.MerkleRoot(e.ctx, b2, s2.Contract()); err != nil || root != common.HexToHash(ep.Root) {
		t.Errorf("after the restart the root is %x (%v), want %s", root, err, ep.Root)
	}
	if bal, err := contracts.BalanceOf(e.ctx, b2, s2.Contract(), a); err != nil || bal.Cmp(leaf.Amount) != 0 {
		t.Errorf("after the restart the wallet holds %v tokens (%v), want %v", bal, err, leaf.Amount)
	}
	if bal, err := b2.BalanceAt(e.ctx, a, nil); err != nil || bal.Cmp(FaucetAmount) != 0 {
		t.Errorf("after the restart the wallet holds %v wei (%v), want %v", bal, err, FaucetAmount)
	}
}

// TestHoldEnv: the test hook takes an epoch number, nothing else.
func TestHoldEnv(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	t.Setenv(HoldEnv, "2")
	if s := e.open(r, e.config()); s.hold != 2 {
		t.Errorf("hold %d, want 2", s.hold)
	}
	for _, bad := range []string{"yes", "0", "-1"} {
		t.Setenv(HoldEnv, bad)
		if _, err := Open(e.ctx, e.config(), Deps{Store: r.Store(), Raft: r}); !errors.Is(err, ErrConfig) {
			t.Errorf("%s=%s: %v, want ErrConfig", HoldEnv, bad, err)
		}
	}
}

// TestRacingTerms: two servers' publishers run at once (a deposed leader
// that has not noticed yet): only the one whose intent Raft commits sends
// a transaction of its own (the other may only re-send that recorded
// one), so each epoch has one transaction, whichever server leads.
func TestRacingTerms(t *testing.T) {
	e := newEnv(t)
	r1, r2 := e.server("s1"), e.server("s2")
	s1, s2 := e.open(r1, e.config()), e.open(r2, e.config())
	stop1 := term(t, fastPublisher(s1))
	defer stop1()
	stop2 := term(t, fastPublisher(s2))
	defer stop2()
	e.donate(r1, "uni-a", wallet(t), "a1")
	e.closeEpoch(s1)
	waitFor(t, "epoch 1 published", func() bool { return epochState(r1, 1) == state.EpochPublished })
	e.cluster.SetLeader("s2")
	e.donate(r2, "uni-b", wallet(t), "b1")
	e.closeEpoch(s2)
	waitFor(t, "epoch 2 published", func() bool { return epochState(r2, 2) == state.EpochPublished })
	if n := e.rpc.distinct(); n != 2 {
		t.Errorf("%d different transactions sent for 2 epochs by 2 racing publishers, want 2", n)
	}
	if got := e.nonce(); got != e.base+2 {
		t.Errorf("publisher nonce %d, want %d", got, e.base+2)
	}
	for n := uint64(1); n <= 2; n++ {
		if ep := r1.Store().View().Epoch(n); ep.Attempts != 1 {
			t.Errorf("epoch %d: %d intents, want 1", n, ep.Attempts)
		}
	}
}

// TestHaltReasonBounded: a halt whose reason quotes a long answer of the
// chain's node is still recorded (the ledger refuses reasons past
// state.MaxHaltReason bytes).
func TestHaltReasonBounded(t *testing.T) {
	e, r, s := newService(t)
	e.donate(r, "uni-a", wallet(t), "a1")
	ep := e.closeEpoch(s)
	if err := s.Publisher().halt(e.ctx, ep, "the node said: "+strings.Repeat("é", 2*state.MaxHaltReason)); err != nil {
		t.Fatal(err)
	}
	if got := r.Store().View().Epoch(1); got.State != state.EpochHalted || len(got.Halt) > state.MaxHaltReason || !strings.HasPrefix(got.Halt, "the node said: é") {
		t.Errorf("epoch 1 %s, reason of %d bytes %.40q", got.State, len(got.Halt), got.Halt)
	}
}

// TestPublicURL: GET /v1/rewards shows the rpc chain's URL to any token
// holder: without its user info, query or fragment (where providers put
// credentials).
func TestPublicURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:secret@rpc.example.org/v1?key=secret#x": "https://rpc.example.org/v1",
		"http://127.0.0.1:8545":                               "http://127.0.0.1:8545",
		"::not a url":                                         "",
	} {
		if got := publicURL(in); got != want {
			t.Errorf("publicURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestKeptContractGone: a kept contract address on a chain that does not
// hold it (its data removed) is refused, saying what to do.
func TestKeptContractGone(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	dir := t.TempDir()
	cfg := Config{Chain: chain.Config{Kind: chain.KindSimulated, DataDir: filepath.Join(dir, "chain")}, ContractFile: filepath.Join(dir, "contract"),
		KeystoreFile: e.keyFile, PasswordFile: e.pwFile}
	if err := os.WriteFile(cfg.ContractFile, []byte(e.contract.Hex()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(e.ctx, cfg, Deps{Store: r.Store(), Raft: r}); err == nil || !strings.Contains(err.Error(), "remove "+cfg.ContractFile) {
		t.Errorf("open with a kept contract the chain lacks: %v", err)
	}
}
