package rewards

import (
	"context"
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/gethtest"
)

// gethProc is `geth --dev` for the test (internal/gethtest: Osaka rules,
// a funded dev key), stopped and started again on the same data dir and
// port for the outage.
type gethProc struct {
	t *testing.T
	*gethtest.Geth
}

func startGeth(t *testing.T) *gethProc {
	t.Helper()
	return &gethProc{t: t, Geth: gethtest.Start(t)}
}

func (g *gethProc) devKey() *ecdsa.PrivateKey { return g.Key() }

// stop stops geth: its JSON-RPC endpoint goes away.
func (g *gethProc) stop() {
	g.t.Helper()
	if err := g.Stop(); err != nil {
		g.t.Fatalf("stop geth: %v", err)
	}
}

// start starts geth again on its data dir and port.
func (g *gethProc) start() {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := g.Start(ctx); err != nil {
		g.t.Fatalf("start geth again: %v\n%s", err, g.LogTail(40))
	}
}

// deploy deploys the RewardDistributor with key as its admin.
func deploy(t *testing.T, ec *ethclient.Client, key *ecdsa.PrivateKey, publisher common.Address) common.Address {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	addr, _, err := contracts.Deploy(ctx, ec, key, crypto.PubkeyToAddress(key.PublicKey), publisher)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func chainWriteKeystore(file string, key *ecdsa.PrivateKey, password string) error {
	return chain.WriteKeystore(file, key, password)
}
