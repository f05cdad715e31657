package fairshare_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare/fairsharetest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestDonationNotByNodeName: a donor is credited with the receipts its
// nodes' keys signed, never with a node's by its name. A home node gpu-1
// does credited GPU work, then is renamed in Nomad (gpu-1b: its key's
// record moves to the new name; its receipts keep the old one). A hostile
// donor joins a node of its own as "gpu-1" (the name is free now): the
// home node's GPU-seconds must not become the donor's donation (fair
// share took the receipt's node name when its key was no donor's).
func TestDonationNotByNodeName(t *testing.T) {
	s, apply := fairsharetest.Store()
	// The home node and its credited work: 1 GPU for an hour.
	_, homeKey, _ := ed25519.GenerateKey(nil)
	homePub := receipt.EncodeKey(homeKey.Public().(ed25519.PublicKey))
	apply(t, state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: t0, NodeID: "nomad-home", Node: "gpu-1", Key: homePub})
	job := fairsharetest.Submit(t, apply, t0, "debug", "alice", "chem", "--gpus=1")
	apply(t, state.CmdJobStart, state.JobStartCmd{Time: t0, JobID: job, Task: state.NoTask})
	apply(t, state.CmdJobPlaced, state.JobPlacedCmd{Time: t0, JobID: job, NodeList: "gpu-1",
		GPU: &state.GPUAlloc{NodeID: "nomad-home", Node: "gpu-1", UUIDs: []string{"GPU-0"}}})
	end := t0.Add(time.Hour)
	r := receipt.Receipt{Version: receipt.Version, JobID: job, Seq: 1, Node: "gpu-1", NodeID: "nomad-home", AllocID: "alloc-home",
		GPUs: []string{"GPU-0"}, CPUs: 1, Start: t0, End: end, Digest: "sha256:" + strings.Repeat("cd", 32), Trigger: receipt.TriggerCommand}
	signed, err := receipt.Sign(&r, homeKey)
	if err != nil {
		t.Fatal(err)
	}
	apply(t, state.CmdCheckpoint, state.CheckpointCmd{Time: end, JobID: job, Seq: 1, NodeID: "nomad-home", Node: "gpu-1", AllocID: r.AllocID,
		Key: homePub, Signed: *signed, Digest: r.Digest, Trigger: r.Trigger, ClaimStart: t0, ClaimEnd: end, ClaimGPUs: 1, ClaimCPUs: 1,
		Credit: state.Credit{Start: t0, End: end, GPUs: 1, CPUs: 1, GPUSeconds: 3600, CPUSeconds: 3600}})
	apply(t, state.CmdJobFinish, state.JobFinishCmd{Time: end, JobID: job, State: state.StateCompleted})
	// Renamed in Nomad.
	apply(t, state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: end, NodeID: "nomad-home", Node: "gpu-1b", Key: homePub})

	// The hostile donor, its account, and its node joined as gpu-1.
	fairsharetest.Donate(t, apply, end, fairsharetest.Donation{Donor: "uni-evil", Accounts: []string{"evil"}, Node: "evil-1",
		User: "mallory", Account: "evil", GPUs: 1, Hours: 1})
	_, evilKey, _ := ed25519.GenerateKey(nil)
	sum := sha256.Sum256([]byte("hbj_evil-gpu-1"))
	hash := hex.EncodeToString(sum[:])
	mgmt := state.Actor{Management: true}
	apply(t, state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: end, By: mgmt, Token: &state.JoinToken{
		Accessor: "join-evil-gpu-1", SecretHash: hash, Donor: "uni-evil", CreateTime: end, Expires: end.Add(time.Hour)}})
	apply(t, state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: end, SecretHash: hash, NodeName: "gpu-1",
		Key: receipt.EncodeKey(evilKey.Public().(ed25519.PublicKey))})

	c := fairshare.DefaultConfig()
	c.HalfLife = 0 // no decay: the sums are exact
	tab := fairshare.Compute(s.View(), c, end.Add(3*time.Hour))
	a := tab.Accounts["evil"]
	if a == nil {
		t.Fatal("no row for the donor's account")
	}
	// Its own node's hour, not the home node's too.
	if a.Donated != 3600 {
		t.Fatalf("uni-evil donated %v GPU-seconds, want 3600 (its own node's hour, not the home node's)", a.Donated)
	}
}
