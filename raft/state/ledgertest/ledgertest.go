// Package ledgertest gives a donor's wallet reward credit through the real
// commands, for other packages' tests: the donor registered with its
// wallet, its node's key joined and registered, a job started, a
// checkpoint receipt of that node committed (Checkpoint 2, which accrues
// to the wallet of the key's donor), the job finished. The commands go
// through the caller's apply (a store's Apply, a test Raft, a test
// server's), so the credit is what a coordinator would hold.
package ledgertest

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// Ledger commits commands through Apply (which fails the test on an error
// to commit; it returns the command's result, refusals included) and
// reads the state through View.
type Ledger struct {
	T     testing.TB
	Apply func(ct state.CommandType, payload any) *state.Result
	View  func() *state.View
}

// Donor is a donor, its wallet, and one of its nodes: its name (the Nomad
// node id is "id-" and the name) and the seed byte of its ed25519 key.
type Donor struct {
	Name, Wallet string
	Node         string
	Seed         byte
}

// Key is the donor node's key, receipt.EncodeKey's form.
func (d Donor) Key() string {
	k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{d.Seed}, ed25519.SeedSize))
	return receipt.EncodeKey(k.Public().(ed25519.PublicKey))
}

var mgmt = state.Actor{User: "root", Management: true}

// Credit commits what gives d's wallet the reward of gpuSeconds of one GPU
// of model (and as many CPU-seconds) ending at at, under the rates in
// force: d registered (unless it is) with its wallet, its node joined
// with its key and the key registered (unless they are), a job of user
// "ledgertest" started, one receipt committed, the job completed. It
// returns the committed receipt, whose Reward and Wallet say what it
// earned.
func (l *Ledger) Credit(d Donor, model string, at time.Time, gpuSeconds int64) *state.ReceiptRecord {
	t := l.T
	t.Helper()
	must := func(ct state.CommandType, p any) *state.Result {
		t.Helper()
		res := l.Apply(ct, p)
		if res.Err != nil {
			t.Fatalf("ledgertest: %s: %v", ct, res.Err)
		}
		return res
	}
	at = at.UTC().Truncate(time.Second)
	start := at.Add(-time.Duration(gpuSeconds) * time.Second)
	key, nodeID := d.Key(), "id-"+d.Node
	v := l.View()
	if v.Donor(d.Name) == nil {
		must(state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: start, Name: d.Name, Wallet: d.Wallet,
			WalletProof: "0x" + strings.Repeat("ab", 65), WalletIssued: start, By: mgmt})
	}
	if n := v.DonorNode(key); n == nil || !n.Left.IsZero() {
		tok, secret := state.NewJoinToken(d.Name, start, 0)
		must(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: start, Token: &tok, By: mgmt})
		must(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: start, SecretHash: state.HashSecret(secret),
			NodeName: d.Node, Key: key})
	}
	if k := v.CurrentNodeKey(nodeID); k == nil || k.Key != key {
		must(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: start, NodeID: nodeID, Node: d.Node, Key: key})
	}
	script := "#!/bin/sh\n#SBATCH --gres=gpu:1\ntrue\n"
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
	if spec == nil {
		t.Fatalf("ledgertest: job spec: %v", diags)
	}
	id := must(state.CmdJobSubmit, state.JobSubmitCmd{Time: start, User: "ledgertest", DefaultPartition: "batch",
		Submission: &state.Submission{Script: []byte(script), ScriptName: "job.sh", Cwd: "/", Spec: spec},
		Job:        fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	must(state.CmdJobStart, state.JobStartCmd{Time: start, JobID: id, Task: state.NoTask, NodeList: d.Node})
	res := must(state.CmdCheckpoint, state.CheckpointCmd{
		Time: at, JobID: id, Run: 0, Seq: 1, NodeID: nodeID, Node: d.Node, AllocID: fmt.Sprintf("alloc-%d", id), Key: key,
		Signed: receipt.Signed{Body: fmt.Appendf(nil, `{"job":%d}`, id), Sig: bytes.Repeat([]byte{1}, ed25519.SignatureSize)},
		Digest: "sha256:" + strings.Repeat("0", 64), Trigger: receipt.TriggerCommand,
		ClaimStart: start, ClaimEnd: at, ClaimGPUs: 1, ClaimCPUs: 1,
		Credit: state.Credit{Start: start, End: at, GPUs: 1, CPUs: 1, GPUSeconds: gpuSeconds, CPUSeconds: gpuSeconds, GPUModel: model},
	})
	must(state.CmdJobFinish, state.JobFinishCmd{Time: at, JobID: id, State: state.StateCompleted})
	return res.Value.(state.CheckpointResult).Record
}

// StoreApply is an Apply for a bare store: each command the next log
// entry after the store's last.
func StoreApply(t testing.TB, s *state.Store) func(ct state.CommandType, payload any) *state.Result {
	return func(ct state.CommandType, payload any) *state.Result {
		t.Helper()
		b, err := state.Encode(ct, payload)
		if err != nil {
			t.Fatalf("ledgertest: encode %s: %v", ct, err)
		}
		return s.Apply(s.View().LatestIndex()+1, b)
	}
}
