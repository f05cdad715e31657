package contracts_test

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/hpcbridge/hpcbridge/internal/merkle"
)

// The gas goals of issue 15, under Osaka rules. The best-known distributor for comparison:
// a Uniswap-style Merkle distributor's claim costs 51,217 gas.
const (
	goalPublish  = 35_000
	goalFirst    = 70_000
	goalTopUp    = 51_000
	uniswapClaim = 51_217
)

// GasReport is the gas RewardDistributor's transactions use under Osaka rules.
type GasReport struct {
	Wallets      int    // leaves in the trees claimed against
	ProofLen     int    // the claimed wallet's proof length
	Deploy       uint64 // creation transaction
	FirstPublish uint64 // epoch 1 (the root slot is written the first time)
	Publish      uint64 // epoch 2: steady state
	FirstClaim   uint64 // a wallet's first claim (its account slot is new)
	TopUpClaim   uint64 // the same wallet's claim after the next epoch
}

// measureGas deploys, publishes two epochs over trees of n wallets (every wallet's amount
// grows in the second), and claims one wallet's first and top-up amounts.
func measureGas(t testing.TB, n int) GasReport {
	t.Helper()
	claimer := fixedKey(t, "claimer")
	e := newEnv(t, claimer)
	rep := GasReport{Wallets: n}
	rcpt, err := e.client.TransactionReceipt(e.ctx, e.deployTx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	rep.Deploy = rcpt.GasUsed

	tree := func(epoch int64) *merkle.Tree {
		leaves := make([]merkle.Leaf, n)
		for i := range leaves {
			var a common.Address
			a[0], a[1] = 0xa5, 0x5a
			big.NewInt(int64(i + 1)).FillBytes(a[12:])
			// Realistic amounts: about 3 tokens per epoch (18 decimals).
			amt := new(big.Int).Mul(big.NewInt(epoch*3_000_000_000+int64(i)), big.NewInt(1_000_000_000))
			leaves[i] = merkle.Leaf{Account: a, Amount: amt}
		}
		leaves[n/2].Account = addr(claimer)
		tr, err := merkle.Build(leaves)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	t1 := tree(1)
	rep.FirstPublish = e.publish(1, t1.Root()).GasUsed
	_, proof, err := t1.Proof(addr(claimer))
	if err != nil {
		t.Fatal(err)
	}
	rep.ProofLen = len(proof)
	rep.FirstClaim = e.claim(claimer, t1, addr(claimer)).GasUsed
	t2 := tree(2)
	rep.Publish = e.publish(2, t2.Root()).GasUsed
	rep.TopUpClaim = e.claim(claimer, t2, addr(claimer)).GasUsed
	return rep
}

func (r GasReport) String() string {
	return fmt.Sprintf("RewardDistributor gas under Osaka rules, %d wallets (proof of %d):\n"+
		"  deploy          %7d\n"+
		"  publish, first  %7d\n"+
		"  publish, steady %7d   goal <= %d\n"+
		"  claim, first    %7d   goal <= %d\n"+
		"  claim, top-up   %7d   goal <= %d   (Uniswap-style Merkle distributor claim: %d)\n",
		r.Wallets, r.ProofLen, r.Deploy, r.FirstPublish, r.Publish, goalPublish,
		r.FirstClaim, goalFirst, r.TopUpClaim, goalTopUp, uniswapClaim)
}

// TestGas prints the gas of deploy, first and steady publish, first and top-up claim for a
// small tree and for a 100,000-wallet tree, and holds both to the goals.
// `make bench` runs it (-run TestGas -v).
func TestGas(t *testing.T) {
	for _, n := range []int{4, 100_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if n > 1000 && testing.Short() {
				t.Skip("-short: skipping the 100,000-wallet tree")
			}
			rep := measureGas(t, n)
			t.Log("\n" + rep.String())
			if rep.Publish > goalPublish {
				t.Errorf("steady publish %d gas > goal %d", rep.Publish, goalPublish)
			}
			if rep.FirstClaim > goalFirst {
				t.Errorf("first claim %d gas > goal %d", rep.FirstClaim, goalFirst)
			}
			if rep.TopUpClaim > goalTopUp {
				t.Errorf("top-up claim %d gas > goal %d", rep.TopUpClaim, goalTopUp)
			}
		})
	}
}
