package rewards

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Publisher is the leader task that publishes closed epochs' roots, in
// order, each exactly once (see the package comment).
type Publisher struct {
	s *Service
	// Backoff bounds the pause after a failure (chain or Raft): it starts
	// at Min and doubles up to Max. Poll is how often a sent transaction's
	// receipt is looked for. Zero: 1s, 1m, 500ms.
	Min, Max, Poll time.Duration
	// Rebroadcast is how long a sent transaction waits unmined before it
	// is sent again (0: 30s).
	Rebroadcast time.Duration
	// Replace is how long after its intent an unmined publish is replaced
	// by one with the same nonce and call and fees bumped (0: 5m).
	Replace time.Duration
}

// Publisher returns the publisher task.
func (s *Service) Publisher() *Publisher { return &Publisher{s: s} }

// Name names the task.
func (*Publisher) Name() string { return "rewards-publisher" }

// stuckAfter is how long a publish transaction may wait unmined before
// each re-broadcast warns.
const stuckAfter = 5 * time.Minute

// stepResult is what one step leaves the loop to do.
type stepResult int

const (
	idle    stepResult = iota // nothing to publish: wait for the ledger to change
	again                     // progress made: step again now
	waiting                   // a transaction is on its way: poll for it
)

// RunTerm publishes until ctx ends. Chain and Raft failures are logged and
// retried with capped exponential backoff, never returned (they would end
// the term's other tasks).
func (p *Publisher) RunTerm(ctx context.Context) error {
	minB, maxB, poll := or(p.Min, time.Second), or(p.Max, time.Minute), or(p.Poll, 500*time.Millisecond)
	t := &termState{sent: map[common.Hash]time.Time{}, signed: map[uint64]time.Time{}}
	delay := time.Duration(0)
	caughtUp := false
	for ctx.Err() == nil {
		changed := p.s.deps.Store.WatchJobs() // closed on every applied entry
		var r stepResult
		var err error
		if !caughtUp {
			// A new leader's store may lag its predecessor's last
			// entries (an intent): reading it before would sign a
			// second transaction for an epoch whose intent is committed.
			if err = p.s.deps.Raft.Barrier(ctx); err != nil {
				err = fmt.Errorf("catch up with the Raft log: %w", err)
			} else {
				caughtUp, r = true, again
			}
		} else {
			r, err = p.step(ctx, t)
		}
		var wait <-chan time.Time
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			delay = min(max(2*delay, minB), maxB)
			p.s.log.Warn(fmt.Sprintf("rewards: publish epoch %d failed; retrying", t.epoch), "err", err, "in", delay)
			wait, changed = time.After(delay), nil
		case r == again:
			delay = 0
			continue
		case r == waiting:
			delay = 0
			wait, changed = time.After(poll), nil // not a chain read per Raft entry
		default: // idle
			delay = 0
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-wait:
		}
	}
	return nil
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// termState is what one term remembers between steps.
type termState struct {
	sent   map[common.Hash]time.Time // transactions this term broadcast, when
	signed map[uint64]time.Time      // epochs this term signed a new intent for, when
	halted uint64                    // the halted epoch last logged
	epoch  uint64                    // the epoch the last step worked on
}

// next is the first epoch not yet published, or nil.
func next(st *state.Store) *state.Epoch {
	for _, e := range st.View().Epochs() {
		if e.State != state.EpochPublished {
			return e
		}
	}
	return nil
}

// step does the next thing the first unpublished epoch needs.
func (p *Publisher) step(ctx context.Context, t *termState) (stepResult, error) {
	s := p.s
	e := next(s.deps.Store)
	if e == nil {
		return idle, nil
	}
	t.epoch = e.Number
	if e.State == state.EpochHalted {
		if t.halted != e.Number {
			t.halted = e.Number
			s.log.Error("rewards: publishing is halted; an admin must resume it (hpcbridge rewards resume) after checking", "epoch", e.Number, "reason", e.Halt)
		}
		return idle, nil
	}
	t.halted = 0
	if s.chainID() == nil {
		if err := s.check(ctx); err != nil {
			return 0, err
		}
	}
	if err := s.checkPin(s.chainID()); err != nil {
		s.id.Store(nil) // asked again next step
		return 0, err
	}
	root := common.HexToHash(e.Root)
	onChain, chainRoot, head, err := p.readChain(ctx, nil)
	if err != nil {
		return 0, err
	}
	switch {
	case onChain == e.Number && chainRoot == root:
		if in := e.Intent; in != nil && p.s.hold == e.Number {
			if _, mine := t.sent[common.HexToHash(in.TxHash)]; mine {
				p.holdTerm(ctx, e, common.HexToHash(in.TxHash))
				return idle, nil
			}
		}
		if ok, err := p.confirmed(ctx, e, root, head); err != nil || !ok {
			return waiting, err
		}
		return again, p.recordFromChain(ctx, e, chainRoot)
	case onChain == e.Number:
		return again, p.halt(ctx, e, fmt.Sprintf("root mismatch: the contract %s holds root %s for epoch %d, the ledger computed %s",
			s.contract.Hex(), chainRoot.Hex(), e.Number, root.Hex()))
	case onChain > e.Number:
		return again, p.halt(ctx, e, fmt.Sprintf("the contract %s is at epoch %d, past the ledger's next epoch %d: another publisher, or the wrong contract",
			s.contract.Hex(), onChain, e.Number))
	case onChain+1 < e.Number:
		if prev := s.deps.Store.View().Epoch(e.Number - 1); prev != nil && head.Uint64() < prev.Block {
			// A node that has not seen the block the previous epoch's
			// publish is in (a load balancer's lagging node) is not a
			// chain that lost its state.
			return 0, fmt.Errorf("chain: the node's latest block %s is before block %d, which holds epoch %d's publish: a node behind the chain; reading again", head, prev.Block, prev.Number)
		}
		return again, p.halt(ctx, e, fmt.Sprintf("the contract %s is at epoch %d, but the ledger recorded epoch %d published: the wrong contract, or a chain that lost its state",
			s.contract.Hex(), onChain, e.Number-1))
	}
	// The chain holds the previous epoch: this one is still to land.
	if in := e.Intent; in != nil && p.sameTarget(in) {
		return p.resumeIntent(ctx, t, e, in)
	} else if in != nil {
		s.log.Warn("rewards: the recorded publish intent was for another chain, contract or key; signing a new one",
			"epoch", e.Number, "intent_chain", in.ChainID, "intent_contract", in.Contract, "intent_from", in.From)
	}
	return p.sendNew(ctx, t, e)
}

// readChain reads the contract's current epoch and root, both at one block:
// at (nil: the latest), whose number it returns.
func (p *Publisher) readChain(ctx context.Context, at *big.Int) (uint64, common.Hash, *big.Int, error) {
	s := p.s
	if at == nil {
		head, err := s.backend.HeaderByNumber(ctx, nil)
		if err != nil {
			return 0, common.Hash{}, nil, fmt.Errorf("chain: latest block: %w", err)
		}
		at = head.Number
	}
	var n uint64
	if err := p.callAt(ctx, "currentEpoch", at, &n); err != nil {
		return 0, common.Hash{}, nil, err
	}
	var r [32]byte
	if err := p.callAt(ctx, "merkleRoot", at, &r); err != nil {
		return 0, common.Hash{}, nil, err
	}
	return n, r, at, nil
}

// confirmed reports whether epoch e with root, which the chain's block
// head holds, is held Config.Confirmations blocks deep too (always, with
// none asked): only then is it recorded published, so a reorg of fewer
// blocks cannot undo a recorded epoch. (Until then the transaction, if
// a reorg drops it, is broadcast again from its intent.)
func (p *Publisher) confirmed(ctx context.Context, e *state.Epoch, root common.Hash, head *big.Int) (bool, error) {
	c := p.s.cfg.Confirmations
	if c == 0 {
		return true, nil
	}
	deep := new(big.Int).Sub(head, new(big.Int).SetUint64(c))
	if deep.Sign() >= 0 {
		n, r, _, err := p.readChain(ctx, deep)
		if err != nil && !errors.Is(err, errNoCode) { // none: deployed since
			return false, err
		}
		if n == e.Number && r == root {
			return true, nil
		}
	}
	p.s.log.Debug("rewards: the publish landed; waiting for its confirmations", "epoch", e.Number, "head", head, "confirmations", c)
	return false, nil
}

// errNoCode is a contract call's empty answer: no contract at that
// block.
var errNoCode = errors.New("no contract code at the address (an empty answer)")

// callAt calls the contract's view method (no arguments) at block and
// stores its one result in out.
func (p *Publisher) callAt(ctx context.Context, method string, block *big.Int, out any) error {
	a := contracts.ABI()
	data, err := a.Pack(method)
	if err != nil {
		return err
	}
	res, err := p.s.backend.CallContract(ctx, ethereum.CallMsg{To: &p.s.contract, Data: data}, block)
	if err != nil {
		return fmt.Errorf("chain: %s() at block %s: %w", method, block, err)
	}
	if len(res) == 0 {
		return fmt.Errorf("chain: %s() at block %s: %w", method, block, errNoCode)
	}
	if err := a.UnpackIntoInterface(out, method, res); err != nil {
		return fmt.Errorf("chain: %s() of %s at block %s: %w", method, p.s.contract.Hex(), block, err)
	}
	return nil
}

// sameTarget reports whether an intent was made for this chain, contract
// and key.
func (p *Publisher) sameTarget(in *state.PublishIntent) bool {
	s := p.s
	return in.ChainID == s.chainID().String() && strings.EqualFold(in.Contract, s.contract.Hex()) && strings.EqualFold(in.From, s.from.Hex())
}

// resumeIntent follows the transaction a recorded intent holds: its
// receipt (landed: record it, or halt when it reverted), else, while its
// nonce is unused, broadcast it again; a nonce something else used means
// it can never land: a new intent.
func (p *Publisher) resumeIntent(ctx context.Context, t *termState, e *state.Epoch, in *state.PublishIntent) (stepResult, error) {
	s := p.s
	hash := common.HexToHash(in.TxHash)
	// The nonce first, then the receipt: a nonce used with no receipt
	// after it is a nonce another transaction took.
	nonce, err := s.backend.NonceAt(ctx, s.from, nil)
	if err != nil {
		return 0, fmt.Errorf("chain: the publisher's nonce: %w", err)
	}
	rc, err := s.backend.TransactionReceipt(ctx, hash)
	switch {
	case err == nil:
		return p.landed(ctx, e, hash, rc)
	case !errors.Is(err, ethereum.NotFound):
		return 0, fmt.Errorf("chain: receipt of %s: %w", hash.Hex(), err)
	case nonce > in.Nonce:
		s.log.Warn("rewards: the publish transaction's nonce was used by another transaction; signing a new one",
			"epoch", e.Number, "tx", hash.Hex(), "nonce", in.Nonce)
		return p.sendNew(ctx, t, e)
	}
	if at, ok := t.sent[hash]; ok && s.deps.Now().Sub(at) < or(p.Rebroadcast, 30*time.Second) {
		return waiting, nil
	}
	raw, err := hexutil.Decode(in.RawTx)
	if err != nil {
		return 0, p.halt(ctx, e, fmt.Sprintf("the recorded publish transaction %s does not decode: %v", hash.Hex(), err))
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil || tx.Hash() != hash {
		return 0, p.halt(ctx, e, fmt.Sprintf("the recorded publish transaction %s does not decode to itself: %v", hash.Hex(), err))
	}
	if why := p.notThePublish(tx, e, in); why != "" {
		return 0, p.halt(ctx, e, fmt.Sprintf("the recorded publish transaction %s is not epoch %d's publish of the ledger's root: %s; not sent", hash.Hex(), e.Number, why))
	}
	if age := s.deps.Now().Sub(in.Time); age > or(p.Replace, stuckAfter) {
		if r, ok, err := p.replace(ctx, t, e, tx); ok {
			return r, err
		}
		s.log.Warn("rewards: the publish transaction is still not mined; sending it again (its fees cannot be raised within the publisher's fee bound)",
			"epoch", e.Number, "tx", hash.Hex(), "nonce", in.Nonce, "waiting", age.Round(time.Second))
	} else {
		s.log.Info("rewards: broadcasting the recorded publish transaction", "epoch", e.Number, "tx", hash.Hex(), "nonce", in.Nonce)
	}
	if err := p.broadcast(ctx, t, tx); err != nil {
		return 0, err
	}
	return waiting, nil
}

// notThePublish says why tx, a recorded intent's transaction, is not the
// publish of epoch e's ledger root to the contract from the publisher key
// with the intent's nonce ("" when it is): only that is ever sent, so the
// chain never gets a root the ledger did not compute.
func (p *Publisher) notThePublish(tx *types.Transaction, e *state.Epoch, in *state.PublishIntent) string {
	s := p.s
	switch from, err := types.Sender(types.LatestSignerForChainID(s.chainID()), tx); {
	case tx.ChainId().Cmp(s.chainID()) != 0:
		return fmt.Sprintf("chain id %s, not %s", tx.ChainId(), s.chainID())
	case err != nil || from != s.from:
		return fmt.Sprintf("not signed by the publisher key %s", s.from.Hex())
	case tx.To() == nil || *tx.To() != s.contract:
		return fmt.Sprintf("not sent to the contract %s", s.contract.Hex())
	case tx.Nonce() != in.Nonce:
		return fmt.Sprintf("nonce %d, the intent says %d", tx.Nonce(), in.Nonce)
	case tx.Value().Sign() != 0:
		return "it sends ETH"
	case !bytes.Equal(tx.Data(), contracts.PackPublish(e.Number, common.HexToHash(e.Root))):
		return fmt.Sprintf("its call is not publish(%d, %s)", e.Number, e.Root)
	}
	return ""
}

// replace signs a replacement of old, the epoch's unmined publish: the
// same nonce, gas and call, its tip and fee cap raised by at least the
// 10% a node's pool asks of a replacement (and to the node's suggestion
// when higher), within the fee bound; its intent is committed before it
// is sent. Only one of the two can land, and either publishes the
// ledger's root. ok is false when the fees cannot be raised (the bound,
// or the chain does not answer): the caller sends old again.
func (p *Publisher) replace(ctx context.Context, t *termState, e *state.Epoch, old *types.Transaction) (stepResult, bool, error) {
	s := p.s
	tip, feeCap, err := s.fees(ctx)
	if err != nil {
		s.log.Warn("rewards: the stuck publish cannot be replaced now", "epoch", e.Number, "err", err)
		return 0, false, nil
	}
	bump := func(was, now *big.Int) *big.Int {
		b := new(big.Int).Add(was, new(big.Int).Div(was, big.NewInt(10)))
		b.Add(b, big.NewInt(1))
		return bigMax(b, now)
	}
	tip, feeCap = bump(old.GasTipCap(), tip), bump(old.GasFeeCap(), feeCap)
	if feeCap.Cmp(s.cfg.MaxFeePerGas) > 0 || tip.Cmp(feeCap) > 0 { // Open set the bound
		return 0, false, nil
	}
	tx, err := s.signIntent(ctx, e, "the publish's replacement", &types.DynamicFeeTx{
		ChainID: s.chainID(), Nonce: old.Nonce(), GasTipCap: tip, GasFeeCap: feeCap, Gas: old.Gas(), To: old.To(), Data: old.Data()})
	if err != nil {
		return 0, true, err
	}
	s.log.Warn("rewards: the publish transaction is still not mined; replacing it with higher fees (same nonce and call)",
		"epoch", e.Number, "old_tx", old.Hash().Hex(), "tx", tx.Hash().Hex(), "nonce", tx.Nonce(), "fee_cap", feeCap, "tip", tip)
	if err := p.broadcast(ctx, t, tx); err != nil {
		return 0, true, err // the next step sends the recorded one again
	}
	return waiting, true, nil
}

func bigMax(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

// broadcast sends tx; a node that already has it, or has mined it, is not
// an error (the receipt says what happened).
func (p *Publisher) broadcast(ctx context.Context, t *termState, tx *types.Transaction) error {
	err := p.s.backend.SendTransaction(ctx, tx)
	if err != nil {
		msg := strings.ToLower(err.Error())
		if !strings.Contains(msg, "already known") && !strings.Contains(msg, "nonce too low") && !strings.Contains(msg, "already imported") {
			return fmt.Errorf("chain: send %s: %w", tx.Hash().Hex(), err)
		}
	}
	t.sent[tx.Hash()] = p.s.deps.Now()
	return nil
}

// sendNew signs a new publish transaction, commits its intent to Raft and
// only then sends it.
func (p *Publisher) sendNew(ctx context.Context, t *termState, e *state.Epoch) (stepResult, error) {
	s := p.s
	// At most one new intent per epoch per Rebroadcast: a node whose
	// nonces run ahead of its receipts (a broken or hostile one) must not
	// get a Raft entry per poll.
	if at, ok := t.signed[e.Number]; ok && s.deps.Now().Sub(at) < or(p.Rebroadcast, 30*time.Second) {
		return waiting, nil
	}
	root := common.HexToHash(e.Root)
	data := contracts.PackPublish(e.Number, root)
	gas, err := s.backend.EstimateGas(ctx, ethereum.CallMsg{From: s.from, To: &s.contract, Data: data})
	if err != nil {
		if name, ok := contracts.DecodeRevert(err); ok && name == "EpochNotNewer" {
			// The chain moved past the read this step began with (or a
			// node behind a load balancer lags): the next step's read
			// decides, as it does for a chain that holds the epoch.
			return 0, fmt.Errorf("chain: the contract refuses epoch %d as not newer than its own, since this step read it at %d: reading it again", e.Number, e.Number-1)
		} else if ok {
			return again, p.halt(ctx, e, fmt.Sprintf("the contract %s refuses to publish epoch %d: %s", s.contract.Hex(), e.Number, name))
		}
		return 0, fmt.Errorf("chain: estimate the publish's gas: %w", err)
	}
	if gas > maxPublishGas {
		return 0, fmt.Errorf("chain: the publish's gas estimate %d is over %d (a publish needs about 51,000): the node's answer is not believed", gas, maxPublishGas)
	}
	nonce, err := s.nonce(ctx)
	if err != nil {
		return 0, err
	}
	tip, feeCap, err := s.fees(ctx)
	if err != nil {
		return 0, err
	}
	tx, err := s.signIntent(ctx, e, "the publish", &types.DynamicFeeTx{
		ChainID: s.chainID(), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: max(gas+gas/4, minPublishGas), To: &s.contract, Data: data})
	if err != nil {
		return 0, err
	}
	t.signed[e.Number] = s.deps.Now()
	s.log.Info("rewards: publishing", "epoch", e.Number, "root", root.Hex(), "tx", tx.Hash().Hex(), "nonce", nonce)
	if err := p.broadcast(ctx, t, tx); err != nil {
		return 0, err // the next step sends the recorded one again
	}
	return waiting, nil
}

// signIntent signs txdata with the publisher key and records the
// transaction as epoch e's publish intent, before anything sends it (what
// names it in an error).
func (s *Service) signIntent(ctx context.Context, e *state.Epoch, what string, txdata *types.DynamicFeeTx) (*types.Transaction, error) {
	tx, err := types.SignNewTx(s.key, types.LatestSignerForChainID(s.chainID()), txdata)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", what, err)
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, err
	}
	in := &state.PublishIntent{ChainID: s.chainID().String(), Contract: s.contract.Hex(), From: s.from.Hex(), Nonce: tx.Nonce(),
		TxHash: tx.Hash().Hex(), RawTx: hexutil.Encode(raw), Time: s.deps.Now().UTC()}
	if _, err := s.apply(ctx, state.LedgerCmd{Op: state.LedgerIntent, Time: in.Time, Epoch: e.Number, Intent: in}); err != nil {
		return nil, err
	}
	return tx, nil
}

// maxPublishGas bounds a publish's gas estimate: the contract's publish
// needs about 51,000 (its first) and 34,000 after; more is a node's
// wrong answer.
const maxPublishGas = 200_000

// minPublishGas is the least gas limit a publish gets, whatever the
// estimate (a node's low answer would make it run out of gas, revert and
// halt publishing): unused gas is not paid.
const minPublishGas = 100_000

// nonce is the nonce of the publisher key's next transaction: the
// node's pending nonce, never below its mined one (a lagging node's
// pending nonce below it would sign a transaction that can never land).
func (s *Service) nonce(ctx context.Context) (uint64, error) {
	pending, err := s.backend.PendingNonceAt(ctx, s.from)
	if err != nil {
		return 0, fmt.Errorf("chain: the publisher's pending nonce: %w", err)
	}
	mined, err := s.backend.NonceAt(ctx, s.from, nil)
	if err != nil {
		return 0, fmt.Errorf("chain: the publisher's nonce: %w", err)
	}
	return max(pending, mined), nil
}

// fees are the priority fee and the fee cap of a new transaction: the
// node's suggested tip and twice the latest base fee, bounded by
// Config.MaxFeePerGas whatever the node answers (a hostile or broken node
// would otherwise spend the publisher's ETH on fees). A base fee over the
// bound is an error: the caller waits and tries again.
func (s *Service) fees(ctx context.Context) (tip, feeCap *big.Int, err error) {
	limit := s.cfg.MaxFeePerGas // Open set it
	tip, err = s.backend.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("chain: gas tip: %w", err)
	}
	head, err := s.backend.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("chain: latest block: %w", err)
	}
	if head.BaseFee == nil {
		return nil, nil, errors.New("chain: the latest block has no base fee: a chain without EIP-1559 is not supported")
	}
	if head.BaseFee.Cmp(limit) >= 0 {
		return nil, nil, fmt.Errorf("chain: the base fee %s wei is at or over the publisher's fee bound %s wei: waiting for it to fall (or raise the bound)", head.BaseFee, limit)
	}
	if tip.Sign() < 0 {
		tip = new(big.Int)
	}
	feeCap = new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	if feeCap.Cmp(limit) > 0 {
		feeCap = new(big.Int).Set(limit)
	}
	if room := new(big.Int).Sub(feeCap, head.BaseFee); tip.Cmp(room) > 0 {
		tip = room // the tip never takes what the base fee needs
	}
	return tip, feeCap, nil
}

// landed handles the receipt of the epoch's transaction.
func (p *Publisher) landed(ctx context.Context, e *state.Epoch, hash common.Hash, rc *types.Receipt) (stepResult, error) {
	if rc.Status != types.ReceiptStatusSuccessful {
		// A revert in a block a reorg can still remove is not yet a
		// reason to halt (the transaction may land again, and succeed).
		if c := p.s.cfg.Confirmations; c > 0 {
			head, err := p.s.backend.HeaderByNumber(ctx, nil)
			if err != nil {
				return 0, fmt.Errorf("chain: latest block: %w", err)
			}
			if rc.BlockNumber == nil || new(big.Int).Sub(head.Number, rc.BlockNumber).Cmp(new(big.Int).SetUint64(c)) < 0 {
				p.s.log.Debug("rewards: the publish reverted; waiting for its confirmations before halting", "epoch", e.Number, "tx", hash.Hex(), "block", rc.BlockNumber, "head", head.Number)
				return waiting, nil
			}
		}
		return again, p.halt(ctx, e, fmt.Sprintf("the publish transaction %s reverted in block %s: %s", hash.Hex(), rc.BlockNumber, p.revertReason(ctx, e, rc)))
	}
	// The receipt can come before the state a read sees (a load
	// balancer's other node): the chain read, next step, records it.
	return waiting, nil
}

// holdTerm is the HoldEnv test hook: the transaction this term sent
// landed; it blocks until the term ends.
func (p *Publisher) holdTerm(ctx context.Context, e *state.Epoch, hash common.Hash) {
	p.s.log.Warn("rewards: "+HoldEnv+" is set: holding the landed publish unrecorded until this term ends (a test hook)", "epoch", e.Number, "tx", hash.Hex())
	<-ctx.Done()
}

// revertReason is the contract's custom error for a reverted publish, from
// calling it again at the block before.
func (p *Publisher) revertReason(ctx context.Context, e *state.Epoch, rc *types.Receipt) string {
	s := p.s
	at := new(big.Int).Sub(rc.BlockNumber, big.NewInt(1))
	_, err := s.backend.CallContract(ctx, ethereum.CallMsg{From: s.from, To: &s.contract, Data: contracts.PackPublish(e.Number, common.HexToHash(e.Root))}, at)
	if err == nil {
		return "reason unknown (the call succeeds at the block before)"
	}
	if name, ok := contracts.DecodeRevert(err); ok {
		return name
	}
	return err.Error()
}

// recordFromChain records the epoch published: the chain holds it, with
// the ledger's root. The transaction is the intent's when its receipt is
// there, else the one that emitted the contract's EpochPublished event.
func (p *Publisher) recordFromChain(ctx context.Context, e *state.Epoch, root common.Hash) error {
	s := p.s
	var hash common.Hash
	var block uint64
	if in := e.Intent; in != nil && p.sameTarget(in) {
		if rc, err := s.backend.TransactionReceipt(ctx, common.HexToHash(in.TxHash)); err == nil && rc.Status == types.ReceiptStatusSuccessful {
			hash, block = rc.TxHash, rc.BlockNumber.Uint64()
		}
	}
	if hash == (common.Hash{}) {
		logs, err := s.backend.FilterLogs(ctx, ethereum.FilterQuery{Addresses: []common.Address{s.contract},
			Topics: [][]common.Hash{{contracts.ABI().Events["EpochPublished"].ID}, {common.BigToHash(new(big.Int).SetUint64(e.Number))}}})
		if err != nil {
			// The transaction is for the record only; a node that refuses
			// a log query from block 0 must not keep the epoch unrecorded.
			s.log.Warn("rewards: the EpochPublished event not found; recording the epoch without its transaction", "epoch", e.Number, "err", err)
		} else if len(logs) > 0 {
			hash, block = logs[0].TxHash, logs[0].BlockNumber
		}
	}
	if e.Intent == nil {
		s.log.Warn("rewards: the chain already holds this epoch with the ledger's root, published by a transaction the ledger has no intent for; recording it",
			"epoch", e.Number, "tx", hash.Hex())
	}
	if _, err := s.apply(ctx, state.LedgerCmd{Op: state.LedgerPublished, Time: s.deps.Now().UTC(), Epoch: e.Number, TxHash: txHash(hash), Block: block, Root: root.Hex()}); err != nil {
		return err
	}
	s.log.Info("rewards: epoch published", "epoch", e.Number, "root", e.Root, "tx", hash.Hex(), "block", block)
	if s.cfg.Faucet {
		p.faucet(ctx, e.Number)
	}
	return nil
}

// txHash is h in hex, "" for none.
func txHash(h common.Hash) string {
	if h == (common.Hash{}) {
		return ""
	}
	return h.Hex()
}

// halt records that publishing stops at epoch e, and says so loudly.
func (p *Publisher) halt(ctx context.Context, e *state.Epoch, reason string) error {
	s := p.s
	// Every token holder reads the reason: never the chain URL's
	// credentials (an error of Go's HTTP client quotes the URL).
	reason = s.scrub(reason)
	// The reason may quote the chain node's words: bounded as the ledger
	// bounds it, on a rune boundary.
	if len(reason) > state.MaxHaltReason {
		reason = strings.ToValidUTF8(reason[:state.MaxHaltReason-3], "") + "..."
	}
	s.log.Error("rewards: PUBLISHING HALTED: "+reason, "epoch", e.Number, "contract", s.contract.Hex())
	_, err := s.apply(ctx, state.LedgerCmd{Op: state.LedgerHalt, Time: s.deps.Now().UTC(), Epoch: e.Number, Reason: reason})
	return err
}
