package rewards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestHostileTipBounded: a chain node that suggests a priority fee of
// 10,000 gwei (a hostile or broken endpoint; a publish then costs about
// 0.5 ETH, just under geth's own 1 ETH per-transaction cap) cannot make
// the publisher pay it: the publish's fee cap is bounded by
// Config.MaxFeePerGas, so the publish costs at most its gas times that
// bound.
func TestHostileTipBounded(t *testing.T) {
	e, r, s := newService(t)
	huge := new(big.Int).Mul(big.NewInt(10_000), big.NewInt(1e9)) // wei
	e.rpc.setLie(func(method string, _ []json.RawMessage) (string, bool) {
		if method == "eth_maxPriorityFeePerGas" {
			return fmt.Sprintf("%q", hexutil.EncodeBig(huge)), true
		}
		return "", false
	})
	before, err := e.chain.BalanceAt(e.ctx, e.from, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.publishFirst(r, s)
	after, err := e.chain.BalanceAt(e.ctx, e.from, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := r.Store().View().Epoch(1)
	tx, _, err := e.chain.TransactionByHash(e.ctx, common.HexToHash(ep.TxHash))
	if err != nil {
		t.Fatal(err)
	}
	if tx.GasFeeCap().Cmp(DefaultMaxFeePerGas) > 0 || tx.GasTipCap().Cmp(tx.GasFeeCap()) > 0 {
		t.Errorf("publish fee cap %s tip %s wei, want at most %s", tx.GasFeeCap(), tx.GasTipCap(), DefaultMaxFeePerGas)
	}
	spent := new(big.Int).Sub(before, after)
	bound := new(big.Int).Mul(new(big.Int).SetUint64(tx.Gas()), DefaultMaxFeePerGas)
	if spent.Cmp(bound) > 0 {
		t.Errorf("the publish cost %s wei, over gas limit × the fee bound = %s", spent, bound)
	}
}

// TestLaggingPendingNonce: a node that answers a pending nonce below the
// mined one (a load balancer's lagging node) does not make the publisher
// sign intent after intent with a used nonce (a Raft entry each poll,
// forever): it never signs below the mined nonce.
func TestLaggingPendingNonce(t *testing.T) {
	e, r, s := newService(t)
	e.rpc.setLie(func(method string, params []json.RawMessage) (string, bool) {
		if method == "eth_getTransactionCount" && len(params) == 2 && string(params[1]) == `"pending"` {
			return `"0x0"`, true
		}
		return "", false
	})
	e.donate(r, "uni-a", wallet(t), "a1")
	e.closeEpoch(s)
	stop := term(t, fastPublisher(s))
	waitFor(t, "epoch 1 published, or 5 intents", func() bool {
		ep := r.Store().View().Epoch(1)
		return ep.State == state.EpochPublished || ep.Attempts >= 5
	})
	stop()
	if ep := r.Store().View().Epoch(1); ep.State != state.EpochPublished || ep.Attempts != 1 {
		t.Errorf("epoch 1 is %s after %d intents, want published after 1", ep.State, ep.Attempts)
	}
}

// laggingRaft is a new leader whose store has not applied every entry the
// cluster committed (hashicorp Raft applies a previous term's entries on a
// new leader some time after it gains leadership): Barrier and Apply
// apply the missing ones first, as the real node's do.
type laggingRaft struct {
	*bridgetest.Raft
	store *state.Store
	log   *[][]byte // every command the cluster committed, in order
	idx   uint64    // how many of them store applied
}

func (l *laggingRaft) catchUp() {
	for ; l.idx < uint64(len(*l.log)); l.idx++ {
		l.store.Apply(l.idx+1, (*l.log)[l.idx])
	}
}

func (l *laggingRaft) Barrier(ctx context.Context) error {
	if err := l.Raft.Barrier(ctx); err != nil {
		return err
	}
	l.catchUp()
	return nil
}

func (l *laggingRaft) Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error) {
	l.catchUp()
	if _, _, err := l.Raft.Apply(ctx, cmd); err != nil {
		return nil, 0, err
	}
	*l.log = append(*l.log, cmd)
	l.idx++
	return l.store.Apply(l.idx, cmd), l.idx, nil
}

// recording commits through r and keeps every command (bridgetest.Donate).
type recording struct {
	*bridgetest.Raft
	log *[][]byte
}

func (c recording) Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error) {
	res, idx, err := c.Raft.Apply(ctx, cmd)
	if err == nil {
		*c.log = append(*c.log, cmd)
	}
	return res, idx, err
}

// TestNewLeaderCatchesUpFirst: the old leader committed epoch 1's intent
// (its transaction signed, not yet sent) and died; the new leader's store
// has not applied that entry when its term starts. It must catch up
// (Barrier) before it reads the ledger: it sends the recorded transaction,
// and never signs a second one for the epoch.
func TestNewLeaderCatchesUpFirst(t *testing.T) {
	e := newEnv(t)
	r1, r2 := e.server("s1"), e.server("s2")
	var log [][]byte
	c1 := recording{r1, &log}
	s1 := e.openOn(r1.Store(), c1, e.config())
	lag := &laggingRaft{Raft: r2, store: state.New(), log: &log}
	cfg := e.config()
	cfg.ConfirmationsGiven = true // chain id 1 needs a chosen depth (TestConfirmationsNeededOffDevChains)
	s2 := e.openOn(lag.store, lag, cfg)

	bridgetest.Donate(t, c1, bridgetest.Donation{Donor: "uni-a", Wallet: wallet(t).Hex(), Node: "a1", CPUs: 1, Seconds: 3600})
	ep := e.closeEpoch(s1)
	lag.catchUp() // s2 saw the close...
	tx := e.signed(e.base, e.contract, packPublishFor(ep), nil, 0)
	e.recordIntent(s1, 1, tx)
	// ...not the intent: s1 dies before sending; s2 leads.
	e.cluster.SetLeader("s2")
	stop := term(t, fastPublisher(s2))
	waitFor(t, "epoch 1 published", func() bool { return storeState(lag.store, 1) == state.EpochPublished })
	stop()
	got := lag.store.View().Epoch(1)
	if got.TxHash != tx.Hash().Hex() || got.Attempts != 1 {
		t.Errorf("epoch 1 published by %s after %d intents, want the committed intent's %s after 1", got.TxHash, got.Attempts, tx.Hash().Hex())
	}
}

func packPublishFor(ep *state.Epoch) []byte {
	return contracts.PackPublish(ep.Number, common.HexToHash(ep.Root))
}

// TestConfirmations: with Config.Confirmations, an epoch whose publish
// landed is recorded published only once that many blocks follow its
// block (a reorg of fewer blocks cannot undo a recorded epoch).
func TestConfirmations(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	cfg := e.config()
	cfg.Confirmations = 2
	s := e.open(r, cfg)
	e.donate(r, "uni-a", wallet(t), "a1")
	e.closeEpoch(s)
	stop := term(t, fastPublisher(s))
	defer stop()
	waitFor(t, "the publish on the chain", func() bool { n, _ := e.onChain(); return n == 1 })
	defer func() {
		if t.Failed() {
			t.Log(e.logs.String())
		}
	}()
	waitFor(t, "the publisher waiting for confirmations", func() bool {
		return strings.Contains(e.logs.String(), "waiting for its confirmations")
	})
	if st := epochState(r, 1); st != state.EpochSending {
		t.Fatalf("epoch 1 is %s with its block at the head, want sending (unconfirmed)", st)
	}
	// One block more: still one short.
	e.mineBlock(e.base + 1)
	head, err := e.chain.BlockNumber(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the publisher to look at the new head", func() bool {
		return strings.Contains(e.logs.String(), fmt.Sprintf("head=%d ", head))
	})
	if st := epochState(r, 1); st != state.EpochSending {
		t.Fatalf("epoch 1 is %s one block deep, want sending (2 confirmations asked)", st)
	}
	e.mineBlock(e.base + 2)
	waitFor(t, "epoch 1 published two blocks deep", func() bool { return epochState(r, 1) == state.EpochPublished })
}

// TestIntentOfAnotherRootNotSent: a recorded intent whose transaction
// publishes a root the ledger did not compute (signed by the publisher
// key: an intent of another epoch, a bug) is never sent: publishing
// halts and the chain keeps its state.
func TestIntentOfAnotherRootNotSent(t *testing.T) {
	e, r, s := newService(t)
	e.donate(r, "uni-a", wallet(t), "a1")
	e.closeEpoch(s)
	bad := common.HexToHash("0x0bad")
	tx := e.signed(e.base, e.contract, contracts.PackPublish(1, bad), nil, 0)
	e.recordIntent(s, 1, tx)
	stop := term(t, fastPublisher(s))
	waitFor(t, "epoch 1 halted", func() bool { return epochState(r, 1) == state.EpochHalted })
	stop()
	if n, root := e.onChain(); n != 0 || root == bad {
		t.Errorf("the chain is at epoch %d with root %s: the recorded transaction of another root was sent", n, root.Hex())
	}
	if got := e.rpc.sends.Load(); got != 0 {
		t.Errorf("%d transactions sent, want none", got)
	}
	if ep := r.Store().View().Epoch(1); !strings.Contains(ep.Halt, "not epoch 1's publish of the ledger's root") {
		t.Errorf("halt reason %q", ep.Halt)
	}
}

// TestLaggingNodeNoHalt: a node behind the chain (one of a load
// balancer's) answers the publisher's reads from an old block: the
// contract looks behind the ledger's published epoch, and the gas
// estimate refuses the epoch as not newer. Neither halts publishing (an
// admin's resume would be needed): the publisher reads again, and
// publishes once the node answers from the chain's head.
func TestLaggingNodeNoHalt(t *testing.T) {
	e, r, s := newService(t)
	e.publishFirst(r, s)

	// The block before epoch 1's publish, as the lagging node's latest.
	old, err := e.chain.BlockByNumber(e.ctx, new(big.Int).SetUint64(r.Store().View().Epoch(1).Block-1))
	if err != nil {
		t.Fatal(err)
	}
	oldJSON, err := json.Marshal(old.Header())
	if err != nil {
		t.Fatal(err)
	}
	var heads, estimates atomic.Int64 // lies told
	notNewer := contracts.ABI().Errors["EpochNotNewer"]
	args, err := notNewer.Inputs.Pack(uint64(2), uint64(2))
	if err != nil {
		t.Fatal(err)
	}
	revert := hexutil.Encode(append(notNewer.ID[:4:4], args...))
	e.rpc.setLie(func(method string, params []json.RawMessage) (string, bool) {
		switch {
		case method == "eth_getBlockByNumber" && len(params) > 0 && string(params[0]) == `"latest"` && heads.Load() < 3:
			heads.Add(1)
			return string(oldJSON), true
		case method == "eth_estimateGas" && estimates.Load() < 3:
			estimates.Add(1)
			return fmt.Sprintf(`error:{"code":3,"message":"execution reverted","data":%q}`, revert), true
		}
		return "", false
	})
	if ep := e.settle(r, s, "a2"); ep.State != state.EpochPublished {
		t.Errorf("epoch 2 is %s (%s), want published once the node caught up", ep.State, ep.Halt)
	}
	if h, g := heads.Load(), estimates.Load(); h != 3 || g != 3 {
		t.Errorf("the lagging node told %d old heads and %d refused estimates, want 3 each", h, g)
	}
}

// TestStuckPublishReplaced: the recorded publish sits in the node's pool
// unminable (its fee cap is under the base fee: fees rose after it was
// signed); after Publisher.Replace it is replaced by one with the same
// nonce and call and higher fees, whose intent is committed first, and
// the epoch is published with one transaction landing.
func TestStuckPublishReplaced(t *testing.T) {
	e, r, s := newService(t)
	e.donate(r, "uni-a", wallet(t), "a1")
	ep := e.closeEpoch(s)
	id, err := e.chain.ChainID(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	stuck, err := types.SignNewTx(e.key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{ChainID: id, Nonce: e.base,
		GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1), Gas: 100_000, To: &e.contract, Data: packPublishFor(ep)})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := stuck.MarshalBinary()
	in := &state.PublishIntent{ChainID: id.String(), Contract: e.contract.Hex(), From: e.from.Hex(), Nonce: e.base,
		TxHash: stuck.Hash().Hex(), RawTx: hexutil.Encode(raw), Time: time.Now().UTC()}
	if _, err := s.apply(e.ctx, state.LedgerCmd{Op: state.LedgerIntent, Time: in.Time, Epoch: 1, Intent: in}); err != nil {
		t.Fatal(err)
	}
	p := fastPublisher(s)
	p.Rebroadcast, p.Replace = 50*time.Millisecond, 300*time.Millisecond
	stop := term(t, p)
	defer stop()
	waitFor(t, "epoch 1 published", func() bool { return epochState(r, 1) == state.EpochPublished })
	stop()
	got := r.Store().View().Epoch(1)
	if got.TxHash == stuck.Hash().Hex() || got.Attempts != 2 || got.Intent.Nonce != e.base || got.Intent.TxHash != got.TxHash {
		t.Errorf("epoch 1 published by %s after %d intents (nonce %d), want the replacement (nonce %d) after 2", got.TxHash, got.Attempts, got.Intent.Nonce, e.base)
	}
	if n := e.nonce(); n != e.base+1 {
		t.Errorf("publisher nonce %d, want %d: one transaction landed", n, e.base+1)
	}
	if !strings.Contains(e.logs.String(), "replacing it with higher fees") {
		t.Errorf("no log line about the replacement")
	}
}

// TestFaucetFundsOnce: the dev faucet funds a wallet once: a donor that
// sends the ether away is not refilled at the next epoch (a refill per
// wallet per epoch drained the publisher key, whose ether pays the
// publishes).
func TestFaucetFundsOnce(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	dir := t.TempDir()
	cfg := Config{Chain: chain.Config{Kind: chain.KindSimulated, DataDir: filepath.Join(dir, "chain")}, ContractFile: filepath.Join(dir, "contract"),
		KeystoreFile: e.keyFile, PasswordFile: e.pwFile, Faucet: true}
	s := e.open(r, cfg)
	b := s.Backend()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	a := crypto.PubkeyToAddress(key.PublicKey)
	e.donate(r, "uni-a", a, "a1")
	e.closeEpoch(s)
	stop := term(t, fastPublisher(s))
	defer stop()
	waitFor(t, "the faucet's ether", func() bool { bal, err := b.BalanceAt(e.ctx, a, nil); return err == nil && bal.Cmp(FaucetAmount) == 0 })

	// The donor sends it all but 0.01 ETH away.
	id, err := b.ChainID(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, err := b.HeaderByNumber(e.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	feeCap := new(big.Int).Mul(head.BaseFee, big.NewInt(2))
	away := new(big.Int).Sub(FaucetAmount, big.NewInt(1e16))
	away.Sub(away, new(big.Int).Mul(feeCap, big.NewInt(21_000)))
	sink := wallet(t)
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{ChainID: id, Nonce: 0,
		GasTipCap: big.NewInt(1), GasFeeCap: feeCap, Gas: 21_000, To: &sink, Value: away})
	if err != nil {
		t.Fatal(err)
	}
	// The pool may not have seen the faucet's block yet (it resets after
	// the chain's head moves): until it has, it finds no funds.
	waitFor(t, "the pool to take the donor's transfer", func() bool {
		err := b.SendTransaction(e.ctx, tx)
		if err != nil && !strings.Contains(err.Error(), "insufficient funds") {
			t.Fatal(err)
		}
		return err == nil
	})
	e.donate(r, "uni-a", a, "a1")
	e.closeEpoch(s)
	waitFor(t, "epoch 2's faucet round", func() bool { return strings.Contains(e.logs.String(), "msg=\"rewards: faucet: done\" epoch=2") })
	if bal, err := b.BalanceAt(e.ctx, a, nil); err != nil || bal.Cmp(FaucetBelow) >= 0 {
		t.Errorf("the wallet holds %v wei (%v) after sending its ether away: refilled", bal, err)
	}
}

// TestHaltReasonKeepsTheRPCKeyOut: the chain's URL carries an API key in
// its query (as hosted nodes' do); the connection drops while the
// publisher asks why a publish reverted. The halt reason, which every
// token holder reads (GET /v1/rewards), must not quote the URL's key
// (Go's HTTP client errors quote the URL with its query).
func TestHaltReasonKeepsTheRPCKeyOut(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	cfg := e.config()
	cfg.Chain.URL = e.rpc.url + "/?apikey=SECRET"
	s := e.open(r, cfg)
	e.pause()
	e.donate(r, "uni-a", wallet(t), "a1")
	ep := e.closeEpoch(s)
	// A recorded publish with its own gas limit: it reverts (paused).
	tx := e.signed(e.base+1, e.contract, packPublishFor(ep), nil, 100_000)
	e.recordIntent(s, 1, tx)
	publish := hexutil.Encode(packPublishFor(ep))
	e.rpc.setLie(func(method string, params []json.RawMessage) (string, bool) {
		if method == "eth_call" && len(params) > 0 && strings.Contains(string(params[0]), publish[2:]) {
			return "hangup", true
		}
		return "", false
	})
	stop := term(t, fastPublisher(s))
	defer stop()
	waitFor(t, "epoch 1 halted", func() bool { return epochState(r, 1) == state.EpochHalted })
	got := r.Store().View().Epoch(1).Halt
	if strings.Contains(got, "SECRET") {
		t.Errorf("halt reason %q quotes the RPC URL's key", got)
	}
	if !strings.Contains(got, "reverted") {
		t.Errorf("halt reason %q: want the reverted transaction", got)
	}
}

// TestChainIDPinned: after epoch 1 was published on the chain, a node
// that answers another chain's id (the wrong node, or a hostile one that
// would replay the publisher key's transactions where it has ether) gets
// nothing signed for that chain: a new service (a restart) refuses it,
// and publishes once the node answers the chain's id again.
func TestChainIDPinned(t *testing.T) {
	e, r, s := newService(t)
	e.publishFirst(r, s)
	if err := s.Shutdown(); err != nil {
		t.Fatal(err)
	}

	e.rpc.setLie(answerChainID("0x1"))
	s2 := e.open(r, e.config())
	e.donate(r, "uni-a", wallet(t), "a2")
	e.closeEpoch(s2)
	stop := term(t, fastPublisher(s2))
	defer stop()
	waitFor(t, "the refusal, or an intent", func() bool {
		return strings.Contains(e.logs.String(), "the node answers chain id 1, but epoch 1 was published") || r.Store().View().Epoch(2).Intent != nil
	})
	if ep := r.Store().View().Epoch(2); ep.Intent != nil {
		t.Fatalf("epoch 2 has an intent for chain %s: signed for the node's chain id", ep.Intent.ChainID)
	}
	e.rpc.setLie(nil)
	waitFor(t, "epoch 2 published", func() bool { return epochState(r, 2) == state.EpochPublished })
	if ep := r.Store().View().Epoch(2); ep.Intent.ChainID != "1337" || ep.Attempts != 1 {
		t.Errorf("epoch 2 published with an intent for chain %s after %d intents, want 1337 after 1", ep.Intent.ChainID, ep.Attempts)
	}
}

// TestChainIDPinnedAfterReplay: the service opened before its store
// replayed the log (no published epoch seen: nothing pinned yet) and took
// the node's wrong chain id; once the log is there, the publisher refuses
// to sign for it.
func TestChainIDPinnedAfterReplay(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	var log [][]byte
	c := recording{r, &log}
	s := e.openOn(r.Store(), c, e.config())
	bridgetest.Donate(t, c, bridgetest.Donation{Donor: "uni-a", Wallet: wallet(t).Hex(), Node: "a1", CPUs: 1, Seconds: 3600})
	e.closeEpoch(s)
	stop := term(t, fastPublisher(s))
	waitFor(t, "epoch 1 published", func() bool { return epochState(r, 1) == state.EpochPublished })
	stop()

	e.rpc.setLie(answerChainID("0x1"))
	r2 := e.server("s2") // a restarted server: its store is empty at Open
	lag := &laggingRaft{Raft: r2, store: state.New(), log: &log}
	cfg := e.config()
	cfg.ConfirmationsGiven = true // chain id 1 needs a chosen depth (TestConfirmationsNeededOffDevChains)
	s2 := e.openOn(lag.store, lag, cfg)
	if id := s2.ChainID(); id == nil || id.Int64() != 1 {
		t.Fatalf("chain id %v at open, want the node's 1 (nothing pinned yet)", id)
	}
	lag.catchUp() // the log replayed
	e.cluster.SetLeader("s2")
	bridgetest.Donate(t, lag, bridgetest.Donation{Donor: "uni-b", Wallet: wallet(t).Hex(), Node: "b1", CPUs: 1, Seconds: 3600})
	e.closeEpoch(s2)
	stop = term(t, fastPublisher(s2))
	defer stop()
	waitFor(t, "the refusal, or an intent", func() bool {
		return strings.Contains(e.logs.String(), "the node answers chain id 1, but epoch 1 was published") || lag.store.View().Epoch(2).Intent != nil
	})
	if ep := lag.store.View().Epoch(2); ep.Intent != nil {
		t.Fatalf("epoch 2 has an intent for chain %s: signed for the node's chain id", ep.Intent.ChainID)
	}
}

// TestRunawayNonceBounded: a node whose nonces run ahead of its receipts
// (every recorded intent's nonce looks taken by another transaction: a
// broken or hostile node) gets at most one new intent per epoch per
// Publisher.Rebroadcast, not a Raft entry per poll.
func TestRunawayNonceBounded(t *testing.T) {
	e, r, s := newService(t)
	var calls atomic.Int64
	e.rpc.setLie(func(method string, params []json.RawMessage) (string, bool) {
		switch method {
		case "eth_getTransactionCount":
			return fmt.Sprintf(`"0x%x"`, 1000+calls.Add(1)), true
		case "eth_sendRawTransaction": // taken, never mined
			var raw string
			if len(params) != 1 || json.Unmarshal(params[0], &raw) != nil {
				return "", false
			}
			tx := new(types.Transaction)
			if tx.UnmarshalBinary(hexutil.MustDecode(raw)) != nil {
				return "", false
			}
			return fmt.Sprintf("%q", tx.Hash().Hex()), true
		}
		return "", false
	})
	e.donate(r, "uni-a", wallet(t), "a1")
	e.closeEpoch(s)
	stop := term(t, fastPublisher(s)) // polls every 20 ms; Rebroadcast 30 s
	waitFor(t, "100 nonce answers, or 5 intents", func() bool {
		return calls.Load() >= 100 || r.Store().View().Epoch(1).Attempts >= 5
	})
	stop()
	if n := r.Store().View().Epoch(1).Attempts; n > 1 {
		t.Errorf("%d intents for epoch 1 within one Rebroadcast, want 1", n)
	}
}

// TestLowGasEstimate: a node that estimates a publish at 21,000 gas (a
// broken or hostile one) does not make it run out of gas, revert and
// halt publishing: a publish's gas limit is at least minPublishGas.
func TestLowGasEstimate(t *testing.T) {
	e, r, s := newService(t)
	e.rpc.setLie(func(method string, _ []json.RawMessage) (string, bool) {
		if method == "eth_estimateGas" {
			return `"0x5208"`, true
		}
		return "", false
	})
	if ep := e.settle(r, s, "a1"); ep.State != state.EpochPublished {
		t.Errorf("epoch 1 is %s (%s), want published", ep.State, ep.Halt)
	}
}

// TestConcurrentCloses: the closer and a manual close racing close one
// epoch: the loser is refused (the ledger takes only last+1, and nothing
// changed after the winner), never a second epoch of the same credit.
func TestConcurrentCloses(t *testing.T) {
	e, r, s := newService(t)
	e.donate(r, "uni-a", wallet(t), "a1")
	errs := make(chan error, 8)
	start := make(chan struct{})
	for range 8 {
		go func() {
			<-start
			_, err := s.Close(e.ctx)
			errs <- err
		}()
	}
	close(start)
	ok := 0
	for range 8 {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, apiserver.ErrNothingToClose) && !errors.Is(err, state.ErrState) {
			t.Errorf("a losing close: %v, want nothing to close or the ledger's refusal", err)
		}
	}
	if eps := r.Store().View().Epochs(); ok != 1 || len(eps) != 1 {
		t.Errorf("%d closes succeeded, %d epochs: want 1 and 1", ok, len(eps))
	}
}

// TestRevertConfirmedBeforeHalt: with Config.Confirmations, a reverted
// publish halts publishing only once its block is that deep (a reorg can
// still remove a shallower one, and the transaction land again).
func TestRevertConfirmedBeforeHalt(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	cfg := e.config()
	cfg.Confirmations = 1
	s := e.open(r, cfg)
	e.pause()
	e.donate(r, "uni-a", wallet(t), "a1")
	ep := e.closeEpoch(s)
	tx := e.signed(e.base+1, e.contract, packPublishFor(ep), nil, 100_000)
	e.recordIntent(s, 1, tx)
	stop := term(t, fastPublisher(s))
	defer stop()
	waitFor(t, "the revert seen, or a halt", func() bool {
		return strings.Contains(e.logs.String(), "waiting for its confirmations before halting") || epochState(r, 1) == state.EpochHalted
	})
	if st := epochState(r, 1); st != state.EpochSending {
		t.Fatalf("epoch 1 is %s with its reverted publish at the head, want sending", st)
	}
	e.mineBlock(e.base + 2)
	waitFor(t, "epoch 1 halted one block deep", func() bool { return epochState(r, 1) == state.EpochHalted })
}

// TestConfirmationsNeededOffDevChains: --reward-confirmations defaults to
// 0, right for the dev chains, which never reorganise; carried unnoticed
// to a real chain, a reorganisation could undo an epoch recorded published
// and halt publishing. A JSON-RPC chain whose id is not a dev chain's is
// refused at start unless a depth was chosen (0 included, on purpose);
// the dev chain id passes.
func TestConfirmationsNeededOffDevChains(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	mainnet := answerChainID("0x1")
	e.rpc.setLie(mainnet)
	open := func(cfg Config) error {
		s, err := Open(e.ctx, cfg, Deps{Store: r.Store(), Raft: r})
		if err == nil {
			s.Shutdown()
		}
		return err
	}
	err := open(e.config())
	if err == nil || !errors.Is(err, errNoDepth) || !strings.Contains(err.Error(), "chain id 1 is not a dev chain") || !strings.Contains(err.Error(), "--reward-confirmations") {
		t.Fatalf("chain id 1 without a depth: %v, want refused, naming --reward-confirmations", err)
	}
	for name, cfg := range map[string]func(*Config){
		"a depth":          func(c *Config) { c.Confirmations = 64 },
		"0 chosen":         func(c *Config) { c.ConfirmationsGiven = true },
		"the dev chain id": func(c *Config) { e.rpc.setLie(nil) },
	} {
		c := e.config()
		cfg(&c)
		if err := open(c); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		e.rpc.setLie(mainnet)
	}
}
