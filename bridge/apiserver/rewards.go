package apiserver

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/merkle"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Rewards (docs/rewards.md): the ledger's rates and epochs are in the
// replicated state (raft/state/ledger*.go); the chain they are published
// on is the RewardsBackend's (bridge/rewards), which the coordinator sets
// when it runs with a chain.

// RewardsBackend is the coordinator's side of the rewards that is not in
// the replicated state: the chain, and the leader's epoch closer
// (bridge/rewards implements it). A resume (POST /v1/rewards/resume) is
// committed here; the leader's publisher takes the epoch up again when it
// sees it closed.
type RewardsBackend interface {
	// Chain describes the chain the epochs are published on.
	Chain() api.RewardsChain
	// Close closes the next epoch now (POST /v1/rewards/close, on the
	// leader) and returns it as committed. When no wallet's credit
	// changed since the last epoch the error wraps ErrNothingToClose (or
	// state.ErrNothingToClose).
	Close(ctx context.Context) (*state.Epoch, error)
	// RPC is the embedded chain's allow-listed JSON-RPC handler (POST
	// /v1/rewards/rpc); nil when the chain is not embedded.
	RPC() http.Handler
}

// ErrNothingToClose is RewardsBackend.Close's error when no wallet's
// credit changed since the last epoch, or none has credit (code
// nothing_to_close); wrap it with which.
var ErrNothingToClose = errors.New("nothing to close")

// rewardsOff is the error of the routes that need a chain when the
// coordinator runs without one.
func rewardsOff(what string) *api.Error {
	return api.Errorf(api.CodeRewardsOff, "%s: rewards are off on this coordinator (it runs without a chain: see hpcbridge server --chain)", what)
}

func wireEpoch(e *state.Epoch) api.RewardEpoch {
	return api.RewardEpoch{Number: e.Number, Closed: e.Closed, Root: e.Root, Wallets: e.Wallets, Total: e.Total, State: e.State,
		TxHash: e.TxHash, Block: e.Block, Published: e.Published, Halt: e.Halt}
}

func wireRates(r state.RewardRates) api.RewardRates {
	out := api.RewardRates{GPU: map[string]string{}, DefaultGPU: r.DefaultGPU, CPU: r.CPU, Set: r.Set, By: r.By}
	for k, v := range r.GPU {
		out.GPU[k] = v
	}
	return out
}

func (s *Server) wireChain() *api.RewardsChain {
	if s.cfg.Rewards == nil {
		return nil
	}
	c := s.cfg.Rewards.Chain()
	return &c
}

// handleRewards is GET /v1/rewards (any token): the chain, the rates,
// the newest epochs and the credit accrued.
func (s *Server) handleRewards(w http.ResponseWriter, _ *http.Request, _ *state.ACLToken) error {
	v := s.cfg.Store.View()
	out := api.RewardsStatus{Chain: s.wireChain(), Rates: wireRates(v.RewardRates()), Epochs: []api.RewardEpoch{}}
	eps := v.Epochs()
	out.EpochCount = len(eps)
	for i := len(eps) - 1; i >= 0 && len(out.Epochs) < api.MaxRewardEpochs; i-- {
		out.Epochs = append(out.Epochs, wireEpoch(eps[i]))
	}
	wallets, total := s.accrued.get(v)
	out.Accrued.Wallets = wallets
	unclosed := new(big.Int).Set(total)
	if last := v.LastEpoch(); last != nil {
		if t, ok := new(big.Int).SetString(last.Total, 10); ok {
			unclosed.Sub(unclosed, t)
		}
	}
	out.Accrued.Total, out.Accrued.Unclosed = total.String(), unclosed.String()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// accruedCache is the credit accrued, summed over every wallet once per
// change of the ledger: a sum over up to state.MaxWallets rows (58 ms at
// 100,000 wallets) per GET /v1/rewards let any token holder keep the
// coordinator's CPUs busy.
type accruedCache struct {
	mu          sync.Mutex // held while summing: concurrent requests wait for one sum
	rows, total string     // the ledger's meta counters the sum was made at
	wallets     int
	sum         *big.Int
}

// get returns how many wallets have credit in v and their cumulative
// amounts' sum (the caller may not modify it). Every credit changes the
// ledger's row count or its total (cumulative amounts only grow), so the
// sum is made again exactly when either moved.
func (c *accruedCache) get(v *state.View) (wallets int, total *big.Int) {
	rows, sum := v.Meta(state.MetaLedgerWallets), v.Meta(state.MetaLedgerTotal)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sum != nil && c.rows == rows && c.total == sum {
		return c.wallets, c.sum
	}
	total = new(big.Int)
	for _, wc := range v.WalletCredits() {
		amount := wc.Cumulative() // the row at hand: no second lookup per wallet
		if amount.Sign() <= 0 {
			continue
		}
		wallets++
		total.Add(total, amount)
	}
	c.rows, c.total, c.wallets, c.sum = rows, sum, wallets, total
	return wallets, total
}

// handleRewardsClose is POST /v1/rewards/close (management, leader):
// the next epoch, closed now.
func (s *Server) handleRewardsClose(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	if s.cfg.Rewards == nil {
		return rewardsOff("close an epoch")
	}
	ep, err := s.cfg.Rewards.Close(r.Context())
	if err != nil {
		return rewardsError("close an epoch", err)
	}
	s.log.Info("reward epoch closed", "epoch", ep.Number, "root", ep.Root, "wallets", ep.Wallets, "total", ep.Total, "by", tok.User)
	writeJSON(w, http.StatusOK, wireEpoch(ep))
	return nil
}

// rewardsError maps a RewardsBackend's error to an API error.
func rewardsError(what string, err error) *api.Error {
	var ae *api.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, ErrNothingToClose), errors.Is(err, state.ErrNothingToClose):
		return api.Errorf(api.CodeNothingToClose, "%s: %v", what, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return api.Errorf(api.CodeOutcomeUnknown, "%s: %v (it may or may not have been committed: check hpcbridge rewards status)", what, err)
	}
	e := asAPIError(err, api.CodeInternal)
	e.Message = what + ": " + e.Message
	return e
}

// handleRewardsResume is POST /v1/rewards/resume (management, leader):
// publishing takes up the halted epoch again.
func (s *Server) handleRewardsResume(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	if s.cfg.Rewards == nil {
		return rewardsOff("resume publishing")
	}
	var req api.RewardsResumeRequest
	r.Body = http.MaxBytesReader(w, r.Body, api.MaxRewardsBodyBytes)
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	v := s.cfg.Store.View()
	n := req.Epoch
	if n == 0 {
		for _, e := range v.Epochs() {
			if e.State == state.EpochHalted {
				n = e.Number
			}
		}
		if n == 0 {
			return api.Errorf(api.CodeConflict, "resume publishing: no epoch is halted")
		}
	}
	ep := v.Epoch(n)
	if ep == nil {
		return api.Errorf(api.CodeNotFound, "resume publishing: there is no epoch %d", n)
	}
	if ep.State != state.EpochHalted {
		return api.Errorf(api.CodeConflict, "resume publishing: epoch %d is %s, not halted", n, ep.State)
	}
	res, idx, err := s.apply(r.Context(), state.CmdLedger, state.LedgerCmd{Op: state.LedgerResume, Time: s.now().UTC(), By: actor(tok), Epoch: n})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return resultError(res.Err)
	}
	setIndex(w, idx)
	s.log.Warn("reward publishing resumed", "epoch", n, "halt", ep.Halt, "by", tok.User)
	if ep = s.cfg.Store.View().Epoch(n); ep == nil {
		return fmt.Errorf("epoch %d is gone after its resume", n)
	}
	writeJSON(w, http.StatusOK, wireEpoch(ep))
	return nil
}

// requestRates is the table a rates request sets, its rates made
// canonical (leading zeros dropped), checked as the ledger checks it.
func requestRates(req *api.RewardRatesRequest) (*state.RewardRates, error) {
	canon := func(what, v string) (string, error) {
		if v == "" || len(v) > 2*state.MaxRateDigits || strings.TrimLeft(v, "0123456789") != "" {
			return "", badRequest("rates: %s %.40q: want a decimal integer of token base units per hour (1 token = 10^%d), at most %d digits",
				what, v, api.TokenDecimals, state.MaxRateDigits)
		}
		n, _ := new(big.Int).SetString(v, 10)
		return n.String(), nil
	}
	var err error
	out := &state.RewardRates{GPU: make(map[string]string, len(req.GPU))}
	if len(req.GPU) > state.MaxRateModels {
		return nil, badRequest("rates: %d GPU models; at most %d", len(req.GPU), state.MaxRateModels)
	}
	for m, v := range req.GPU {
		if out.GPU[m], err = canon("GPU model "+strconv.QuoteToASCII(m), v); err != nil {
			return nil, err
		}
	}
	if out.DefaultGPU, err = canon("default_gpu", req.DefaultGPU); err != nil {
		return nil, err
	}
	if out.CPU, err = canon("cpu", req.CPU); err != nil {
		return nil, err
	}
	if err := out.Check(); err != nil {
		return nil, badRequest("%v", err)
	}
	return out, nil
}

// handleRewardRates is PUT /v1/rewards/rates (management, leader): the
// rates table, replaced.
func (s *Server) handleRewardRates(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	var req api.RewardRatesRequest
	r.Body = http.MaxBytesReader(w, r.Body, api.MaxRewardsBodyBytes)
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	rates, err := requestRates(&req)
	if err != nil {
		return err
	}
	res, idx, err := s.apply(r.Context(), state.CmdLedger, state.LedgerCmd{Op: state.LedgerRates, Time: s.now().UTC(), By: actor(tok), Rates: rates})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return resultError(res.Err)
	}
	s.log.Info("reward rates set", "gpu", len(rates.GPU), "default_gpu", rates.DefaultGPU, "cpu", rates.CPU, "by", tok.User)
	setIndex(w, idx)
	writeJSON(w, http.StatusOK, wireRates(s.cfg.Store.View().RewardRates()))
	return nil
}

// epochNumber reads the {n} of an epoch route.
func epochNumber(r *http.Request) (uint64, error) {
	n, err := strconv.ParseUint(r.PathValue("n"), 10, 64)
	if err != nil || n == 0 {
		return 0, badRequest("epoch %.30q: want an epoch number (1, 2, ...)", r.PathValue("n"))
	}
	return n, nil
}

// epochTree is epoch ep's tree, built from its leaves, and its dump when
// dump is set. Its root must be the epoch's. The trees built last are
// kept (treeCache): proofs and exports ask for the same epochs over and
// over, and 100,000 wallets take a while to hash and write out.
func (s *Server) epochTree(v *state.View, ep *state.Epoch, dump bool) (*epochTree, error) {
	c := &s.trees
	c.mu.Lock()
	defer c.mu.Unlock()
	var et *epochTree
	for i, e := range c.trees {
		if e.epoch == ep.Number && e.root == ep.Root {
			et = e
			copy(c.trees[1:i+1], c.trees[:i]) // the most recent first
			c.trees[0] = et
		}
	}
	if et == nil {
		leaves, err := v.EpochLeaves(ep.Number)
		if errors.Is(err, state.ErrEpochPruned) {
			return nil, api.Errorf(api.CodeNotFound, "%v", err)
		}
		if err != nil {
			return nil, fmt.Errorf("epoch %d's leaves: %w", ep.Number, err)
		}
		t, err := merkle.Build(leaves)
		if err != nil {
			return nil, fmt.Errorf("epoch %d's tree: %w", ep.Number, err)
		}
		root := t.Root()
		if got := "0x" + hex.EncodeToString(root[:]); !strings.EqualFold(got, ep.Root) {
			return nil, fmt.Errorf("epoch %d's leaves make root %s, but the epoch's root is %s", ep.Number, got, ep.Root)
		}
		et = &epochTree{epoch: ep.Number, root: ep.Root, tree: t}
		c.trees = append([]*epochTree{et}, c.trees[:min(len(c.trees), maxCachedTrees-1)]...)
	}
	if dump && et.dump == nil {
		b, err := et.tree.Dump()
		if err != nil {
			return nil, fmt.Errorf("epoch %d's export: %w", ep.Number, err)
		}
		et.dump = b
	}
	return et, nil
}

// maxCachedTrees is how many epoch trees treeCache keeps: the latest
// published epoch's (proofs) and one more (an export).
const maxCachedTrees = 2

// treeCache holds the epoch trees built last, the most recent first
// (epochTree).
type treeCache struct {
	mu    sync.Mutex
	trees []*epochTree
}

// epochTree is an epoch's tree and, once asked for, its dump.
type epochTree struct {
	epoch uint64
	root  string
	tree  *merkle.Tree
	dump  []byte
}

// handleRewardsExport is GET /v1/rewards/epochs/{n}/export (any token):
// epoch n's tree as OpenZeppelin's StandardMerkleTree dump.
func (s *Server) handleRewardsExport(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	n, err := epochNumber(r)
	if err != nil {
		return err
	}
	v := s.cfg.Store.View()
	ep := v.Epoch(n)
	if ep == nil {
		return api.Errorf(api.CodeNotFound, "there is no epoch %d (hpcbridge rewards status lists them)", n)
	}
	et, err := s.epochTree(v, ep, true)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(et.dump)))
	_, _ = w.Write(et.dump)
	return nil
}

// latestPublished is the newest published epoch (nil: none yet): the
// contract holds its root.
func latestPublished(v *state.View) *state.Epoch {
	eps := v.Epochs()
	for i := len(eps) - 1; i >= 0; i-- {
		if eps[i].State == state.EpochPublished {
			return eps[i]
		}
	}
	return nil
}

// handleRewardProof is GET /v1/rewards/proof/{wallet} (any token): the
// wallet's leaf and proof in the latest published epoch.
func (s *Server) handleRewardProof(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	addr, err := wallet.ParseAddress(r.PathValue("wallet"))
	if err != nil {
		return badRequest("%v", err)
	}
	v := s.cfg.Store.View()
	ep := latestPublished(v)
	if ep == nil {
		return api.Errorf(api.CodeNotInEpoch, "wallet %s: no epoch is published yet", addr)
	}
	et, err := s.epochTree(v, ep, false)
	if err != nil {
		return err
	}
	leaf, proof, err := et.tree.Proof(common.HexToAddress(addr))
	if errors.Is(err, merkle.ErrNotInTree) {
		return api.Errorf(api.CodeNotInEpoch, "wallet %s has no credit in epoch %d, the latest published", addr, ep.Number)
	}
	if err != nil {
		return fmt.Errorf("wallet %s's proof in epoch %d: %w", addr, ep.Number, err)
	}
	out := api.RewardProof{Wallet: addr, Epoch: ep.Number, CumulativeAmount: leaf.Amount.String(), Proof: make([]string, len(proof)),
		Root: ep.Root, LeafEncoding: append([]string(nil), merkle.LeafEncoding...)}
	for i, p := range proof {
		out.Proof[i] = "0x" + hex.EncodeToString(p[:])
	}
	if c := s.wireChain(); c != nil {
		out.Contract, out.ChainID = c.Contract, c.ChainID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleRewardsRPC is POST /v1/rewards/rpc (any token): the embedded
// chain's allow-listed JSON-RPC, for the CLI's claims and a wallet's
// reads; the handler bounds bodies and batches itself.
func (s *Server) handleRewardsRPC(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	var h http.Handler
	if s.cfg.Rewards != nil {
		h = s.cfg.Rewards.RPC()
	}
	if h == nil {
		return api.Errorf(api.CodeNoEmbeddedChain, "this coordinator has no embedded chain (GET /v1/rewards names the chain's own RPC URL)")
	}
	h.ServeHTTP(w, r)
	return nil
}
