package rewards

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// The dev faucet's amounts: a wallet below FaucetBelow gets FaucetAmount.
var (
	FaucetAmount = big.NewInt(params.Ether)
	FaucetBelow  = big.NewInt(params.Ether / 10)
)

// faucet sends FaucetAmount for gas, from the publisher key, to every
// wallet of epoch n whose balance is below FaucetBelow (Config.Faucet: the
// simulated chain only). Failures are logged: a wallet without gas can be
// funded by hand.
func (p *Publisher) faucet(ctx context.Context, n uint64) {
	s := p.s
	leaves, err := s.deps.Store.View().EpochLeaves(n)
	if err != nil {
		s.log.Warn("rewards: faucet: epoch's wallets", "epoch", n, "err", err)
		return
	}
	funded := 0
	for _, l := range leaves {
		ok, err := p.fund(ctx, l.Account)
		if err != nil {
			s.log.Warn("rewards: faucet: not funded", "wallet", l.Account.Hex(), "err", err)
		} else if ok {
			funded++
		}
	}
	s.log.Debug("rewards: faucet: done", "epoch", n, "wallets", len(leaves), "funded", funded)
}

// fund sends FaucetAmount to a when its balance is below FaucetBelow and
// it never sent a transaction: each wallet is funded once (one that sent
// its ether away is not funded again: a donor cannot drain the publisher
// key, whose ether pays the publishes, a refill each epoch).
func (p *Publisher) fund(ctx context.Context, a common.Address) (bool, error) {
	s := p.s
	bal, err := s.backend.BalanceAt(ctx, a, nil)
	if err != nil || bal.Cmp(FaucetBelow) >= 0 {
		return false, err
	}
	if sent, err := s.backend.NonceAt(ctx, a, nil); err != nil || sent > 0 {
		return false, err
	}
	nonce, err := s.nonce(ctx)
	if err != nil {
		return false, err
	}
	tip, feeCap, err := s.fees(ctx)
	if err != nil {
		return false, err
	}
	tx, err := types.SignNewTx(s.key, types.LatestSignerForChainID(s.chainID()), &types.DynamicFeeTx{
		ChainID: s.chainID(), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: params.TxGas, To: &a, Value: FaucetAmount})
	if err != nil {
		return false, err
	}
	if err := s.backend.SendTransaction(ctx, tx); err != nil {
		return false, err
	}
	s.log.Info("rewards: faucet: funded a wallet for gas (dev chain only)", "wallet", a.Hex(), "eth", "1", "tx", tx.Hash().Hex())
	return true, nil
}
