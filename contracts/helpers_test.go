package contracts_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"

	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/merkle"
)

// autoCommit is the simulated backend's client that mines every transaction it is sent,
// so the helpers' waits for receipts return at once.
type autoCommit struct {
	simulated.Client
	b *simulated.Backend
}

func (c autoCommit) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := c.Client.SendTransaction(ctx, tx); err != nil {
		return err
	}
	c.b.Commit()
	return nil
}

// env is one simulated chain under Osaka rules with funded keys and, once deployed, the
// distributor: admin owns it, pub publishes.
type env struct {
	t        testing.TB
	ctx      context.Context
	backend  *simulated.Backend
	client   autoCommit
	admin    *ecdsa.PrivateKey
	pub      *ecdsa.PrivateKey
	contract common.Address
	deployTx *types.Transaction
}

func addr(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

// fixedKey is a deterministic key (so gas figures, which depend on addresses and proofs, do
// not change from run to run).
func fixedKey(t testing.TB, seed string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("hpcbridge contracts test " + seed)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var ether = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// newChain starts a simulated chain funding keys with 100 ETH each.
func newChain(t testing.TB, keys ...*ecdsa.PrivateKey) (*simulated.Backend, autoCommit) {
	t.Helper()
	alloc := types.GenesisAlloc{}
	for _, k := range keys {
		alloc[addr(k)] = types.Account{Balance: new(big.Int).Mul(big.NewInt(100), ether)}
	}
	b := simulated.NewBackend(alloc, func(_ *node.Config, ec *ethconfig.Config) {
		// Osaka rules: the gas goals are measured under them (the simulated backend
		// defaults to a later fork).
		ec.Genesis.Config = chain.OsakaConfig()
	})
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("closing the simulated chain: %v", err)
		}
	})
	return b, autoCommit{Client: b.Client(), b: b}
}

// newEnv deploys the distributor on a fresh chain; extra keys are funded too.
func newEnv(t testing.TB, extra ...*ecdsa.PrivateKey) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), admin: fixedKey(t, "admin"), pub: fixedKey(t, "publisher")}
	e.backend, e.client = newChain(t, append([]*ecdsa.PrivateKey{e.admin, e.pub}, extra...)...)
	var err error
	e.contract, e.deployTx, err = contracts.Deploy(e.ctx, e.client, e.admin, addr(e.admin), addr(e.pub))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) publish(epoch uint64, root [32]byte) *types.Receipt {
	e.t.Helper()
	r, err := contracts.Publish(e.ctx, e.client, e.pub, e.contract, epoch, root)
	if err != nil {
		e.t.Fatalf("publish epoch %d: %v", epoch, err)
	}
	return r
}

func (e *env) claim(from *ecdsa.PrivateKey, tree *merkle.Tree, account common.Address) *types.Receipt {
	e.t.Helper()
	leaf, proof, err := tree.Proof(account)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := contracts.Claim(e.ctx, e.client, from, e.contract, account, leaf.Amount, proof)
	if err != nil {
		e.t.Fatalf("claim %s for %s: %v", leaf.Amount, account, err)
	}
	return r
}

func (e *env) balance(a common.Address) *big.Int {
	e.t.Helper()
	b, err := contracts.BalanceOf(e.ctx, e.client, e.contract, a)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) claimed(a common.Address) *big.Int {
	e.t.Helper()
	b, err := contracts.Claimed(e.ctx, e.client, e.contract, a)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// wantRevert fails unless err is the contract's custom error name.
func wantRevert(t testing.TB, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("succeeded, want revert %s", name)
	}
	got, ok := contracts.DecodeRevert(err)
	if !ok || got != name {
		t.Fatalf("error %v: decoded %q (ok %v), want revert %s", err, got, ok, name)
	}
}

// build makes a tree; amounts are decimal strings.
func build(t testing.TB, pairs ...any) *merkle.Tree {
	t.Helper()
	var leaves []merkle.Leaf
	for i := 0; i < len(pairs); i += 2 {
		a, ok := new(big.Int).SetString(fmt.Sprint(pairs[i+1]), 10)
		if !ok {
			t.Fatalf("bad amount %v", pairs[i+1])
		}
		leaves = append(leaves, merkle.Leaf{Account: pairs[i].(common.Address), Amount: a})
	}
	tree, err := merkle.Build(leaves)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func bi(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}
