package rewards

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/gethtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestGeth is the publisher against a real geth --dev over JSON-RPC: an
// epoch published; geth stopped while the next epoch is closed (publishing
// retries, says so, and publishes once geth is back on the same data);
// and a leader that loses its term after its publish landed unrecorded,
// after which the next leader records it with nothing sent (the publisher
// key's nonce shows one transaction per epoch).
func TestGeth(t *testing.T) {
	g := gethtest.Start(t)
	ctx := context.Background()
	ec, err := ethclient.DialContext(ctx, g.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ec.Close)
	dir := t.TempDir()
	ks, pw := filepath.Join(dir, "publisher.json"), filepath.Join(dir, "password")
	if err := os.WriteFile(pw, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chain.WriteKeystore(ks, g.Key(), ""); err != nil {
		t.Fatal(err)
	}
	addr, _, err := contracts.Deploy(ctx, ec, g.Key(), g.Address(), g.Address())
	if err != nil {
		t.Fatal(err)
	}
	nonce := func() uint64 {
		n, err := ec.NonceAt(ctx, g.Address(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	base := nonce()
	e := &env{t: t, ctx: ctx, cluster: bridgetest.NewCluster(), logs: &syncBuffer{}}
	r1, r2 := e.server("s1"), e.server("s2")
	cfg := Config{Chain: chain.Config{Kind: chain.KindRPC, URL: g.URL()}, Contract: addr.Hex(), KeystoreFile: ks, PasswordFile: pw}
	s1, s2 := e.open(r1, cfg), e.open(r2, cfg)
	s1.hold = 3
	onChain := func() uint64 {
		n, err := contracts.CurrentEpoch(ctx, ec, addr)
		if err != nil {
			return 0
		}
		return n
	}

	stop1 := term(t, fastPublisher(s1))
	e.donate(r1, "uni-a", wallet(t), "a1")
	if _, err := s1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "epoch 1 published", func() bool { return epochState(r1, 1) == state.EpochPublished })

	// The chain goes down; epoch 2 closes meanwhile.
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	e.donate(r1, "uni-b", wallet(t), "b1")
	if _, err := s1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failed attempts logged", func() bool { return strings.Count(e.logs.String(), "publish epoch 2 failed; retrying") >= 2 })
	if st := epochState(r1, 2); st != state.EpochClosed {
		t.Fatalf("epoch 2 is %q while geth is down, want closed", st)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = g.Start(sctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "epoch 2 published", func() bool { return epochState(r1, 2) == state.EpochPublished })

	// Epoch 3 lands; the leader loses its term before it records it.
	e.donate(r1, "uni-a", wallet(t), "a2")
	if _, err := s1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "epoch 3 on the chain", func() bool { return onChain() == 3 })
	waitFor(t, "the hold", func() bool { return strings.Contains(e.logs.String(), "holding the landed publish") })
	stop1()
	if st := epochState(r2, 3); st != state.EpochSending {
		t.Fatalf("epoch 3 is %q after the first leader's term, want sending", st)
	}
	e.cluster.SetLeader("s2")
	stop2 := term(t, fastPublisher(s2))
	waitFor(t, "epoch 3 recorded by the next leader", func() bool { return epochState(r2, 3) == state.EpochPublished })
	stop2()
	if got := nonce(); got != base+3 {
		t.Errorf("the publisher key sent %d transactions for 3 epochs, want 3", got-base)
	}
	if ep := r2.Store().View().Epoch(3); ep.TxHash != ep.Intent.TxHash || ep.Attempts != 1 {
		t.Errorf("epoch 3 recorded %s after %d intents, want the first leader's %s after 1", ep.TxHash, ep.Attempts, ep.Intent.TxHash)
	}
}
