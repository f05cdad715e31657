package contracts_test

import (
	"context"
	"crypto/ecdsa"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/gethtest"
)

// lifecycle deploys (key is admin and publisher), publishes two epochs, claims key's wallet
// first and top-up, checks a refusal decodes, and returns the gas of each transaction.
func lifecycle(t *testing.T, ctx context.Context, b contracts.Backend, key *ecdsa.PrivateKey) []uint64 {
	t.Helper()
	me := addr(key)
	other := fixedKey(t, "other")
	contract, tx, err := contracts.Deploy(ctx, b, key, me, me)
	if err != nil {
		t.Fatal(err)
	}
	deploy, err := b.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	gas := []uint64{deploy.GasUsed}
	for epoch, amt := range []string{"1000000000000000000", "2500000000000000000"} {
		tr := build(t, me, amt, addr(other), "7")
		r, err := contracts.Publish(ctx, b, key, contract, uint64(epoch+1), tr.Root())
		if err != nil {
			t.Fatal(err)
		}
		gas = append(gas, r.GasUsed)
		leaf, proof, _ := tr.Proof(me)
		r, err = contracts.Claim(ctx, b, key, contract, me, leaf.Amount, proof)
		if err != nil {
			t.Fatal(err)
		}
		gas = append(gas, r.GasUsed)
	}
	if bal, err := contracts.BalanceOf(ctx, b, contract, me); err != nil || !eq(bal, bi("2500000000000000000")) {
		t.Errorf("balance %s %v", bal, err)
	}
	_, err = contracts.Publish(ctx, b, key, contract, 2, [32]byte{9})
	wantRevert(t, err, "EpochNotNewer")
	if root, found, err := contracts.PublishedRoot(ctx, b, contract, 1, 0); err != nil || !found || root == [32]byte{} {
		t.Errorf("PublishedRoot(1) %x %v %v", root, found, err)
	}
	return gas
}

// TestOnGeth runs the helpers against geth --dev over JSON-RPC (Osaka rules) and checks that
// every transaction costs there exactly what it costs on the simulated chain the gas figures
// come from.
func TestOnGeth(t *testing.T) {
	g := gethtest.Start(t)
	ctx := t.Context()
	client, err := ethclient.DialContext(ctx, g.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	onGeth := lifecycle(t, ctx, client, g.Key())

	_, sim := newChain(t, g.Key())
	onSim := lifecycle(t, context.Background(), sim, g.Key())
	if !slices.Equal(onGeth, onSim) {
		t.Errorf("gas (deploy, publish 1, claim, publish 2, top-up) on geth %v, on the simulated chain %v", onGeth, onSim)
	}
	t.Logf("gas on both: %v", onGeth)
}
