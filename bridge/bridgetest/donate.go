package bridgetest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// Donation is work done on a donor's node and credited, for Donate.
type Donation struct {
	// Donor is registered (as a management token would) with Wallet when
	// it is not yet; Node joins under it (a join token issued and
	// redeemed with NodeKey(Node), and the key registered) when it has
	// not.
	Donor, Wallet, Node string
	// GPUModel, GPUs and CPUs are what the job ran on for Seconds; the
	// checkpoint's receipt is credited GPUs*Seconds GPU-seconds and
	// CPUs*Seconds CPU-seconds.
	GPUModel   string
	GPUs, CPUs int
	Seconds    int64
	// Time is when the work ended (the commands' time; t0 when zero).
	Time time.Time
}

// NodeKey is the ed25519 key Donate joins node name with (derived from
// the name).
func NodeKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("bridgetest node key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Donate is the package's Donate through the server's Raft.
func (s *Server) Donate(t testing.TB, d Donation) uint64 {
	t.Helper()
	return Donate(t, s.Raft, d)
}

// Committer is a Raft node Donate commits through: this package's Raft,
// or a real one (raft.Node) with its store.
type Committer interface {
	Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error)
	Store() *state.Store
}

// Donate commits through node r, as the leader's components and the API
// would, what crediting d takes: the donor and its node when new, a job
// that ran on the node, and one checkpoint whose receipt (signed with the
// node's key) is credited d's work. The ledger accrues it to the donor's
// wallet. It returns the job's id.
func Donate(t testing.TB, r Committer, d Donation) uint64 {
	t.Helper()
	apply := func(ct state.CommandType, payload any) *state.Result {
		t.Helper()
		cmd, err := state.Encode(ct, payload)
		if err != nil {
			t.Fatalf("bridgetest: encode %s: %v", ct, err)
		}
		res, _, err := r.Apply(context.Background(), cmd)
		if err != nil {
			t.Fatalf("bridgetest: commit %s: %v", ct, err)
		}
		if res.Err != nil {
			t.Fatalf("bridgetest: %s refused: %v", ct, res.Err)
		}
		return res
	}
	at := d.Time
	if at.IsZero() {
		at = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	}
	start := at.Add(-time.Duration(d.Seconds) * time.Second)
	mgmt := state.Actor{User: "bridgetest", Management: true}
	v := r.Store().View()
	if v.Donor(d.Donor) == nil {
		apply(state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: start, Name: d.Donor, Wallet: d.Wallet,
			WalletProof: "0x" + fmt.Sprintf("%0130x", 1), WalletIssued: start, By: mgmt})
	}
	key := NodeKey(d.Node)
	pub := receipt.EncodeKey(key.Public().(ed25519.PublicKey))
	nodeID := "id-" + d.Node
	joined := false
	for _, n := range v.DonorNodesNamed(d.Node) {
		joined = joined || (n.Key == pub && n.Left.IsZero())
	}
	if !joined {
		jt, secret := state.NewJoinToken(d.Donor, start, time.Hour)
		apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: start, Token: &jt, By: mgmt})
		apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: start, SecretHash: state.HashSecret(secret), NodeName: d.Node, Key: pub})
		apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: start, NodeID: nodeID, Node: d.Node, Key: pub})
	}
	script := "#!/bin/sh\n#SBATCH --job-name=donated\ntrue\n"
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	job := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: start, User: "donated", DefaultPartition: "batch",
		Submission: &state.Submission{Script: []byte(script), Spec: spec}, Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	apply(state.CmdJobStart, state.JobStartCmd{Time: start, JobID: job, Task: state.NoTask, NodeList: d.Node})
	gpus := make([]string, d.GPUs)
	for i := range gpus {
		gpus[i] = fmt.Sprintf("GPU-%d", i)
	}
	digest := fmt.Sprintf("sha256:%064x", job)
	rc := &receipt.Receipt{Version: receipt.Version, JobID: job, Seq: 1, Node: d.Node, NodeID: nodeID, AllocID: "alloc-" + fmt.Sprint(job), GPUs: gpus,
		CPUs: d.CPUs, Start: start, End: at, Digest: digest, Size: 1, Trigger: receipt.TriggerCommand}
	signed, err := receipt.Sign(rc, key)
	if err != nil {
		t.Fatal(err)
	}
	apply(state.CmdCheckpoint, state.CheckpointCmd{Time: at, JobID: job, Seq: 1, NodeID: nodeID, Node: d.Node, AllocID: rc.AllocID, Key: pub,
		Signed: *signed, Digest: digest, Size: 1, Trigger: rc.Trigger, ClaimStart: start, ClaimEnd: at, ClaimGPUs: d.GPUs, ClaimCPUs: d.CPUs,
		Credit: state.Credit{Start: start, End: at, GPUs: d.GPUs, CPUs: d.CPUs, GPUSeconds: int64(d.GPUs) * d.Seconds, CPUSeconds: int64(d.CPUs) * d.Seconds,
			GPUModel: d.GPUModel}})
	return job
}

// Rewards is an apiserver.RewardsBackend over a test server's Raft: Close
// commits the ledger's close of the next epoch at Now, as bridge/rewards'
// closer does; the chain is what ChainInfo says and Handler serves (nil:
// none embedded). Nothing publishes: a test commits the publisher's ledger
// ops itself. Give it as Options.Rewards (New attaches the server's Raft)
// or make it with a node (NewRewards).
type Rewards struct {
	ChainInfo api.RewardsChain
	Handler   http.Handler
	// Now is the close's time (time.Now when nil).
	Now  func() time.Time
	raft *Raft
}

// NewRewards is a Rewards that closes through node r.
func NewRewards(r *Raft, info api.RewardsChain, h http.Handler) *Rewards {
	return &Rewards{ChainInfo: info, Handler: h, raft: r}
}

// Chain is RewardsBackend.Chain.
func (b *Rewards) Chain() api.RewardsChain { return b.ChainInfo }

// RPC is RewardsBackend.RPC.
func (b *Rewards) RPC() http.Handler { return b.Handler }

// Close is RewardsBackend.Close: the ledger's close of the next epoch.
func (b *Rewards) Close(ctx context.Context) (*state.Epoch, error) {
	n := uint64(1)
	if last := b.raft.Store().View().LastEpoch(); last != nil {
		n = last.Number + 1
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	cmd, err := state.Encode(state.CmdLedger, state.LedgerCmd{Op: state.LedgerClose, Time: now().UTC(), Epoch: n})
	if err != nil {
		return nil, err
	}
	res, _, err := b.raft.Apply(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return nil, res.Err
	}
	return b.raft.Store().View().Epoch(n), nil
}
