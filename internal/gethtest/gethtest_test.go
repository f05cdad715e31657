package gethtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/hpcbridge/hpcbridge/internal/chain"
)

// answer42 is a hand-assembled contract whose runtime code answers 42 to any
// call; its creation writes code (state growth: what later forks reprice).
var (
	answer42Runtime = common.FromHex("602a60005260206000f3")
	answer42Init    = append(common.FromHex("600a600c600039600a6000f3"), answer42Runtime...)
	// storer's runtime code stores 1 in slot 0 and loads it back (SSTORE,
	// SLOAD: storage access, which the fork after Osaka reprices).
	storerInit = append(common.FromHex("600a600c600039600a6000f3"), common.FromHex("60016000556000545000")...)
)

type sender interface {
	chain.Backend
}

// send signs and sends a transaction from key with a fixed gas limit (so
// that every chain runs the same transaction) and waits for its receipt,
// polling (bounded) past "transaction indexing is in progress" and commit
// (for go-ethereum's simulated backend, which mines on Commit only).
func send(t *testing.T, b sender, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte, commit func()) *types.Receipt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := b.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	id, err := b.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{
		ChainID: id, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 1_000_000,
		To: to, Value: value, Data: data,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if commit != nil {
		commit()
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := b.TransactionReceipt(ctx, tx.Hash())
		if err == nil {
			if r.Status != types.ReceiptStatusSuccessful {
				t.Fatalf("transaction %s failed", tx.Hash())
			}
			return r
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no receipt for %s: %v", tx.Hash(), err)
		case <-tick.C:
		}
	}
}

// TestGethOsakaRules: geth runs Osaka rules — a contract creation costs
// the same gas on it as on the embedded simulated chain (chain.OsakaConfig),
// and differs from go-ethereum's default dev configuration (a later fork),
// so the comparison can tell them apart.
func TestGethOsakaRules(t *testing.T) {
	g := Start(t)
	t.Logf("geth ready in %s", g.StartTime())
	ctx := context.Background()
	rpc, err := chain.Open(ctx, chain.Config{Kind: chain.KindRPC, URL: g.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer rpc.Close()
	// gas of calling a fresh storer on b (sent by key; commit mines when
	// the backend does not by itself).
	gas := func(b sender, key *ecdsa.PrivateKey, commit func()) uint64 {
		created := send(t, b, key, nil, nil, storerInit, commit)
		return send(t, b, key, &created.ContractAddress, nil, nil, commit).GasUsed
	}
	onGeth := gas(rpc, g.Key(), nil)

	key, _ := crypto.GenerateKey()
	funds := new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil)
	addr := crypto.PubkeyToAddress(key.PublicKey)
	sim, err := chain.Open(ctx, chain.Config{Kind: chain.KindSimulated}, chain.FundAlloc(funds, addr))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	onOsaka := gas(sim, key, nil)

	later := simulated.NewBackend(types.GenesisAlloc{addr: {Balance: funds}})
	defer later.Close()
	onLater := gas(later.Client().(sender), key, func() { later.Commit() })

	t.Logf("a first SSTORE+SLOAD call: geth %d gas, simulated Osaka chain %d, go-ethereum's default dev configuration (a later fork) %d", onGeth, onOsaka, onLater)
	if onGeth != onOsaka {
		t.Fatalf("geth charged %d gas, the Osaka chain %d: geth does not run Osaka rules", onGeth, onOsaka)
	}
	if onLater == onOsaka {
		t.Fatalf("the default dev fork charges the same %d gas: this test cannot tell the rules apart", onLater)
	}
}

// TestGethRestartKeepsChain: Stop and Start again on the same data dir and
// port — the outage of the rewards tests — keep the chain: code, balances,
// block number; while stopped the URL does not answer.
func TestGethRestartKeepsChain(t *testing.T) {
	g := Start(t)
	ctx := context.Background()
	c, err := chain.Open(ctx, chain.Config{Kind: chain.KindRPC, URL: g.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	created := send(t, c, g.Key(), nil, nil, answer42Init, nil)
	payee := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	send(t, c, g.Key(), &payee, big.NewInt(777), nil, nil)
	block, err := c.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}

	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if _, err := c.BlockNumber(cctx); err == nil {
		t.Fatal("geth answers while stopped")
	}
	cancel()
	sctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	if err := g.Start(sctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("geth restarted in %s", g.StartTime())

	if n, err := c.BlockNumber(ctx); err != nil || n != block {
		t.Fatalf("block number after restart %d (%v), want %d", n, err, block)
	}
	// Start waited for the transaction index: an old receipt is there at once.
	if r, err := c.TransactionReceipt(ctx, created.TxHash); err != nil || r.ContractAddress != created.ContractAddress {
		t.Fatalf("receipt right after restart: %v", err)
	}
	if code, err := c.CodeAt(ctx, created.ContractAddress, nil); err != nil || !bytes.Equal(code, answer42Runtime) {
		t.Fatalf("code after restart %x (%v)", code, err)
	}
	if bal, err := c.BalanceAt(ctx, payee, nil); err != nil || bal.Int64() != 777 {
		t.Fatalf("balance after restart %v (%v)", bal, err)
	}
	out, err := c.CallContract(ctx, ethereum.CallMsg{To: &created.ContractAddress}, nil)
	if err != nil || new(big.Int).SetBytes(out).Int64() != 42 {
		t.Fatalf("call after restart %x (%v)", out, err)
	}
	if r := send(t, c, g.Key(), &payee, big.NewInt(1), nil, nil); r.BlockNumber.Uint64() != block+1 {
		t.Fatalf("next block %d, want %d", r.BlockNumber, block+1)
	}
	// The dev key's keystore reads back with chain.LoadKeystore.
	pw := filepath.Join(t.TempDir(), "pw")
	if err := writeEmpty(pw); err != nil {
		t.Fatal(err)
	}
	if k, err := chain.LoadKeystore(g.KeystoreFile(), pw); err != nil || !k.Equal(g.Key()) {
		t.Fatalf("dev keystore: %v", err)
	}
}

func TestBinary(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "no-geth"))
	if _, err := Binary(); !errors.Is(err, ErrNoBinary) {
		t.Fatalf("Binary with a missing GETH_BIN: %v", err)
	}
}

func writeEmpty(file string) error { return os.WriteFile(file, nil, 0o600) }
