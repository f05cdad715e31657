package rewards

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/hpcbridge/hpcbridge/internal/e2etest"
)

// The tests read the contract with plain eth_calls and logs, by the
// functions' and events' signatures (not through the bindings the
// coordinator uses): what any block explorer user would see.

// call calls the contract's view sig (e.g. "balanceOf(address)") with
// args, each one 32-byte word, and returns the words of its result.
func call(ctx context.Context, ec *ethclient.Client, contract common.Address, sig string, args ...[]byte) ([]byte, error) {
	data := crypto.Keccak256([]byte(sig))[:4]
	for _, a := range args {
		data = append(data, common.LeftPadBytes(a, 32)...)
	}
	out, err := ec.CallContract(ctx, ethereum.CallMsg{To: &contract, Data: data}, nil)
	if err != nil {
		return nil, fmt.Errorf("eth_call %s on %s: %w", sig, contract.Hex(), err)
	}
	if len(out) < 32 {
		return nil, fmt.Errorf("eth_call %s on %s: %d bytes returned", sig, contract.Hex(), len(out))
	}
	return out, nil
}

// balanceOf is account's token balance.
func balanceOf(ctx context.Context, ec *ethclient.Client, contract, account common.Address) (*big.Int, error) {
	out, err := call(ctx, ec, contract, "balanceOf(address)", account.Bytes())
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(out[:32]), nil
}

// chainEpoch is the contract's current epoch and root.
func chainEpoch(ctx context.Context, ec *ethclient.Client, contract common.Address) (uint64, common.Hash, error) {
	e, err := call(ctx, ec, contract, "currentEpoch()")
	if err != nil {
		return 0, common.Hash{}, err
	}
	r, err := call(ctx, ec, contract, "merkleRoot()")
	if err != nil {
		return 0, common.Hash{}, err
	}
	return new(big.Int).SetBytes(e[:32]).Uint64(), common.BytesToHash(r[:32]), nil
}

// published is one EpochPublished event.
type published struct {
	Epoch uint64
	Root  common.Hash
	Tx    common.Hash
	Block uint64
}

// epochEvents lists the contract's EpochPublished events from block 0,
// in chain order.
func epochEvents(ctx context.Context, ec *ethclient.Client, contract common.Address) ([]published, error) {
	topic := crypto.Keccak256Hash([]byte("EpochPublished(uint64,bytes32)"))
	logs, err := ec.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0), Addresses: []common.Address{contract}, Topics: [][]common.Hash{{topic}}})
	if err != nil {
		return nil, fmt.Errorf("eth_getLogs EpochPublished: %w", err)
	}
	var out []published
	for _, l := range logs {
		if len(l.Topics) != 2 || len(l.Data) != 32 {
			return nil, fmt.Errorf("EpochPublished log in tx %s: %d topics, %d data bytes; want the epoch indexed and the root as data", l.TxHash.Hex(), len(l.Topics), len(l.Data))
		}
		out = append(out, published{Epoch: new(big.Int).SetBytes(l.Topics[1].Bytes()).Uint64(), Root: common.BytesToHash(l.Data), Tx: l.TxHash, Block: l.BlockNumber})
	}
	return out, nil
}

// onceEach fails unless events publish epochs 1..n, each once, in order.
func onceEach(t *testing.T, events []published, n uint64) {
	t.Helper()
	var got []uint64
	for _, e := range events {
		got = append(got, e.Epoch)
	}
	want := make([]uint64, 0, n)
	for i := uint64(1); i <= n; i++ {
		want = append(want, i)
	}
	if !slices.Equal(got, want) {
		t.Errorf("EpochPublished events for epochs %v, want %v: each epoch once, none skipped", got, want)
	}
}

// send sends value wei from key to to, or calls to with data, and waits
// for its receipt, which must be a success.
func send(t *testing.T, ec *ethclient.Client, key *ecdsa.PrivateKey, to common.Address, value *big.Int, data []byte) *types.Receipt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	from := crypto.PubkeyToAddress(key.PublicKey)
	chainID, err := ec.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := ec.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := ec.SuggestGasTipCap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, err := ec.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	gas, err := ec.EstimateGas(ctx, ethereum.CallMsg{From: from, To: &to, Value: value, Data: data})
	if err != nil {
		t.Fatalf("estimate gas from %s to %s: %v", from.Hex(), to.Hex(), err)
	}
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: &to, Value: value, Data: data,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ec.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send from %s to %s: %v", from.Hex(), to.Hex(), err)
	}
	return waitReceipt(t, ec, tx.Hash())
}

// waitReceipt waits for tx's receipt, which must be a success.
func waitReceipt(t *testing.T, ec *ethclient.Client, tx common.Hash) *types.Receipt {
	t.Helper()
	var r *types.Receipt
	e2etest.Eventually(t, "receipt of tx "+tx.Hex(), time.Minute, func() error {
		var err error
		r, err = ec.TransactionReceipt(context.Background(), tx)
		return err
	})
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("tx %s failed (status %d)", tx.Hex(), r.Status)
	}
	return r
}
