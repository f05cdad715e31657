package bridge

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// testRunNodeID is the node the tests' runs are on; everyAllocOnTestNode
// is the Nomad servers' answer for them: every allocation asked about is
// on that node (for tests not about which allocations a run has).
const testRunNodeID = "00000000-0000-4000-8000-0000000000b1"

type everyAllocOnTestNode struct{}

func (everyAllocOnTestNode) ObserveAlloc(_ context.Context, _ *state.Job, _ int, allocID string) (*credit.Observed, error) {
	return &credit.Observed{NodeID: testRunNodeID, AllocID: allocID}, nil
}

// testRunSigner registers a key for testRunNodeID through r and returns a
// signer of run tokens' requests as that node.
func testRunSigner(t *testing.T, r *bridgetest.Raft) *api.RunSigner {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := state.Encode(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: time.Now(), NodeID: testRunNodeID, Node: "n1",
		Key: receipt.EncodeKey(key.Public().(ed25519.PublicKey))})
	if err != nil {
		t.Fatal(err)
	}
	if res, _, err := r.Apply(context.Background(), cmd); err != nil || res.Err != nil {
		t.Fatalf("register node key: %v %v", err, res)
	}
	return &api.RunSigner{NodeID: testRunNodeID, AllocID: "00000000-0000-4000-8000-0000000000a1", Key: key}
}
