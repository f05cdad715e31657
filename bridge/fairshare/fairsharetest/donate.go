// Package fairsharetest sets up a donation for fair-share tests: a donor
// organisation registered with a proven wallet, its node joined with a
// join token and its key, and a job on that node whose signed checkpoint
// receipt bridge/credit credits, all committed as the coordinator commits
// them.
package fairsharetest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// Apply commits a command and fails the test when it is refused.
type Apply func(t testing.TB, typ state.CommandType, payload any) *state.Result

// Store is a fresh state and an Apply that commits to it, each command
// at the next raft index, as the coordinator's FSM applies them.
func Store() (*state.Store, Apply) {
	s := state.New()
	var idx uint64
	return s, func(t testing.TB, typ state.CommandType, p any) *state.Result {
		t.Helper()
		b, err := state.Encode(typ, p)
		if err != nil {
			t.Fatal(err)
		}
		idx++
		res := s.Apply(idx, b)
		if res.Err != nil {
			t.Fatalf("command %d: %v", typ, res.Err)
		}
		return res
	}
}

// Donation says who donates what.
type Donation struct {
	// Donor is the organisation; Accounts the accounts affiliated with it.
	Donor    string
	Accounts []string
	// Node is the donor's node; User and Account run the donated work
	// there, GPUs of them for Hours.
	Node          string
	User, Account string
	GPUs          int
	Hours         int
	// Partition is the job's (default "debug").
	Partition string
}

// Submit commits a one-CPU job of user under account at now (args are
// more sbatch options) and returns its id.
func Submit(t testing.TB, apply Apply, now time.Time, partition, user, account string, args ...string) uint64 {
	t.Helper()
	if partition == "" {
		partition = "debug"
	}
	script := []byte("#!/bin/sh\nsleep 600\n")
	args = append([]string{"--account=" + account}, args...)
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: script, Args: args, Now: now, MaxArraySize: 1000001})
	if spec == nil {
		t.Fatal(diags.Render())
	}
	res := apply(t, state.CmdJobSubmit, state.JobSubmitCmd{Time: now, User: user, DefaultPartition: partition,
		Submission: &state.Submission{Script: script, ScriptName: "job.sh", Spec: spec}, Job: fromspec.MustRecord(spec, partition)})
	return res.Value.(state.JobSubmitResult).JobID
}

// Run commits a start of job at from on node, placed there, and its end
// at to, as the scheduler and the executor commit them.
func Run(t testing.TB, apply Apply, job uint64, node string, from, to time.Time) {
	t.Helper()
	apply(t, state.CmdJobStart, state.JobStartCmd{Time: from, JobID: job, Task: state.NoTask})
	apply(t, state.CmdJobPlaced, state.JobPlacedCmd{Time: from, JobID: job, NodeList: node})
	apply(t, state.CmdJobFinish, state.JobFinishCmd{Time: to, JobID: job, State: state.StateCompleted})
}

// Donate registers d.Donor at now, joins d.Node under it, and runs the
// donated work there from now for d.Hours: the node signs a receipt of it,
// bridge/credit credits it, and the state records it (d.GPUs × d.Hours ×
// 3600 GPU-seconds). It returns the end of the work.
func Donate(t testing.TB, apply Apply, now time.Time, d Donation) time.Time {
	t.Helper()
	wk, err := wallet.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := wallet.Address(wk)
	msg := wallet.Message("hpcbridge", d.Donor, addr, now)
	proof := wallet.Sign(msg, wk)
	if err := wallet.Verify(msg, proof, addr); err != nil {
		t.Fatal(err)
	}
	mgmt := state.Actor{Management: true}
	apply(t, state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: now, Name: d.Donor, Wallet: addr,
		WalletProof: wallet.EncodeSignature(proof), WalletIssued: now, Accounts: d.Accounts, By: mgmt})

	_, nodeKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := receipt.EncodeKey(nodeKey.Public().(ed25519.PublicKey))
	sum := sha256.Sum256([]byte("hbj_" + d.Donor + "-" + d.Node))
	hash := hex.EncodeToString(sum[:])
	apply(t, state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: now, By: mgmt, Token: &state.JoinToken{
		Accessor: "join-" + d.Node, SecretHash: hash, Donor: d.Donor, CreateTime: now, Expires: now.Add(time.Hour)}})
	apply(t, state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: now, SecretHash: hash, NodeName: d.Node, Key: pub})
	nodeID := "nomad-" + d.Node
	apply(t, state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: now, NodeID: nodeID, Node: d.Node, Key: pub})

	job := Submit(t, apply, now, d.Partition, d.User, d.Account, fmt.Sprintf("--gpus=%d", d.GPUs))
	apply(t, state.CmdJobStart, state.JobStartCmd{Time: now, JobID: job, Task: state.NoTask})
	var gpus []string
	for i := range d.GPUs {
		gpus = append(gpus, fmt.Sprintf("GPU-%d", i))
	}
	apply(t, state.CmdJobPlaced, state.JobPlacedCmd{Time: now, JobID: job, NodeList: d.Node,
		GPU: &state.GPUAlloc{NodeID: nodeID, Node: d.Node, UUIDs: gpus}})
	end := now.Add(time.Duration(d.Hours) * time.Hour)
	r := receipt.Receipt{Version: receipt.Version, JobID: job, Run: 0, Seq: 1, Node: d.Node, NodeID: nodeID,
		AllocID: "alloc-" + d.Node, GPUs: gpus, CPUs: 1, Start: now, End: end,
		Digest: "sha256:" + strings.Repeat("ab", 32), Size: 100, Uploaded: 100, Trigger: receipt.TriggerCommand}
	signed, err := receipt.Sign(&r, nodeKey)
	if err != nil {
		t.Fatal(err)
	}
	res, err := credit.Verify(credit.Input{Signed: signed, Key: credit.Key{NodeID: nodeID, Key: pub},
		Observed: credit.Observed{NodeID: nodeID, Node: d.Node, AllocID: r.AllocID, Start: now, GPUs: gpus, CPUs: 1},
		JobID:    job, Run: 0, Now: end})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(d.GPUs * d.Hours * 3600); res.GPUSeconds != want {
		t.Fatalf("credited %d GPU-seconds, want %d", res.GPUSeconds, want)
	}
	apply(t, state.CmdCheckpoint, state.CheckpointCmd{Time: end, JobID: job, Run: 0, Seq: 1,
		NodeID: nodeID, Node: d.Node, AllocID: r.AllocID, Key: pub, Signed: *signed,
		Digest: r.Digest, Size: r.Size, Uploaded: r.Uploaded, Trigger: r.Trigger,
		ClaimStart: r.Start, ClaimEnd: r.End, ClaimGPUs: len(r.GPUs), ClaimCPUs: r.CPUs,
		Credit: state.Credit{Start: res.Start, End: res.End, GPUs: res.GPUs, CPUs: res.CPUs, GPUSeconds: res.GPUSeconds, CPUSeconds: res.CPUSeconds}})
	apply(t, state.CmdJobFinish, state.JobFinishCmd{Time: end, JobID: job, State: state.StateCompleted})
	return end
}
