package nomadexec

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestLeaveThenRejoinOnNomad: a donor node's leave (the reclaim POST
// /v1/node/{name}/leave begins) makes it ineligible; once it rejoined
// (its agent started again), the leader's reclaimer ends that reclaim and
// makes the node eligible again (nothing else would: a command reclaim
// ends only when someone makes the node eligible). A reclaim an
// administrator began stays, joined or not.
func TestLeaveThenRejoinOnNomad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad agent: skipped with -short")
	}
	roottest.Require(t, "the task driver runs jobs as their user")
	nomadtest.Require(t)
	plugins := buildPlugins(t, "hpcbridge-driver")
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: filepath.Join(t.TempDir(), "nomad"), PluginDir: plugins, Drivers: []string{DriverName},
		Plugins: []nomadagent.Plugin{{Name: "hpcbridge-driver", Config: map[string]any{"run_as": "submitter", "allow_root": true}}}})
	nc := agent.API()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	node := waitDriverNode(t, ctx, nc)
	store := state.New()
	raft := &directRaft{store: store}
	apply := raft.applier(ctx, t)
	now := time.Now().UTC()
	mgmt := state.Actor{User: "root", Management: true}

	// uni-b's node joined with its key, which the KeyWatcher registered.
	apply(state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: now, Name: "uni-b", Wallet: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
		WalletProof: "0x" + strings.Repeat("ab", 65), WalletIssued: now, By: mgmt})
	jt, secret := state.NewJoinToken("uni-b", now, 0)
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: now, Token: &jt, By: mgmt})
	key := receipt.EncodeKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: now, SecretHash: state.HashSecret(secret), NodeName: node.Name, Key: key})
	apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: now, NodeID: node.ID, Node: node.Name, Key: key})

	e := New(Config{Client: nc, Store: store, Raft: raft, Reclaim: ReclaimConfig{Raft: raft}})
	r := &reclaimer{e: e, stopped: map[state.ReclaimHit]bool{}, sent: map[state.ReclaimHit]bool{}, hit: map[state.ReclaimHit]bool{}, ineligible: map[string]bool{}, nodes: map[string]reclaimNode{}}
	pass := func() {
		t.Helper()
		if err := r.pass(ctx); err != nil {
			t.Fatalf("pass: %v", err)
		}
	}
	eligibility := func() string {
		t.Helper()
		n, _, err := nc.Nodes().Info(node.ID, (&api.QueryOptions{}).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		return n.SchedulingEligibility
	}

	// The leave.
	apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: node.Name, NodeID: node.ID, Deadline: now.Add(time.Minute),
		Source: state.ReclaimCommand, By: state.LeaveReclaimBy("uni-b")})
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinLeave, Time: now, NodeName: node.Name, Key: key})
	pass()
	pass()
	if rc := store.View().Reclaim(node.ID); rc == nil || eligibility() != api.NodeSchedulingIneligible {
		t.Fatalf("left: reclaim %+v, node %s; want the leave's reclaim, ineligible", rc, eligibility())
	}
	// The rejoin.
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRejoin, Time: now, NodeName: node.Name, Key: key})
	pass()
	if rc := store.View().Reclaim(node.ID); rc != nil || eligibility() != api.NodeSchedulingEligible {
		t.Fatalf("rejoined: reclaim %+v, node %s; want none, eligible", rc, eligibility())
	}
	// An administrator's reclaim of the joined node is not ended by it.
	apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: node.Name, NodeID: node.ID, Deadline: now.Add(time.Minute),
		Source: state.ReclaimCommand, By: "root"})
	pass()
	pass()
	if rc := store.View().Reclaim(node.ID); rc == nil || eligibility() != api.NodeSchedulingIneligible {
		t.Fatalf("administrator's reclaim: %+v, node %s; want it kept, ineligible", rc, eligibility())
	}
}

// waitDriverNode waits for the one ready node with a healthy hpcbridge
// driver.
func waitDriverNode(t *testing.T, ctx context.Context, nc *api.Client) *api.NodeListStub {
	t.Helper()
	for {
		stubs, _, err := nc.Nodes().List((&api.QueryOptions{}).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stubs {
			if d := s.Drivers[DriverName]; d != nil && d.Detected && d.Healthy && s.Status == api.NodeStatusReady {
				return s
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("a node with the hpcbridge driver: %v", ctx.Err())
		case <-time.After(200 * time.Millisecond): // Nomad has no watch for a driver's health
		}
	}
}
