package fairshare_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// oneSlot is an executor with room for one job at a time: it records the
// starts; the test ends each job.
type oneSlot struct {
	mu       sync.Mutex
	running  map[uint64]bool
	started  []uint64
	outcomes chan sched.Outcome
}

func newOneSlot() *oneSlot {
	return &oneSlot{running: map[uint64]bool{}, outcomes: make(chan sched.Outcome)}
}

func (e *oneSlot) Start(_ context.Context, j *state.Job, _ *state.Submission) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running[j.ID] {
		e.running[j.ID] = true
		e.started = append(e.started, j.ID)
	}
	return nil
}

func (e *oneSlot) Stop(_ context.Context, id uint64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.running, id)
	return nil
}

func (e *oneSlot) Signal(context.Context, uint64, string, sched.SignalScope) error { return nil }

func (e *oneSlot) Running(context.Context) ([]uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []uint64
	for id := range e.running {
		ids = append(ids, id)
	}
	return ids, nil
}

func (e *oneSlot) Capacity(context.Context) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return max(1-len(e.running), 0), nil
}

func (e *oneSlot) Outcomes() <-chan sched.Outcome { return e.outcomes }

// cluster is a real single-server Raft node over a state store, the
// scheduler with reciprocal fair share, a one-slot executor and a clock
// the test moves.
type cluster struct {
	t     *testing.T
	node  *raft.Node
	store *state.Store
	exec  *oneSlot
	s     *sched.Scheduler
	now   time.Time
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newCluster(t *testing.T, cfg fairshare.Config) *cluster {
	t.Helper()
	c := &cluster{t: t, store: state.New(), exec: newOneSlot(), now: t0}
	node, err := raft.New(raft.Config{
		ID: "coord1", DataDir: t.TempDir(), Bind: "127.0.0.1:0", Bootstrap: true, Logger: hclog.NewNullLogger(),
		HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond, LeaderLeaseTimeout: 200 * time.Millisecond,
	}, c.store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := node.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	c.node = node
	c.s = sched.New(sched.Config{Store: c.store, Raft: node, Executor: c.exec, Now: func() time.Time { return c.now },
		Priority: fairshare.NewPriorities(cfg)})
	return c
}

func (c *cluster) apply(typ state.CommandType, payload any) *state.Result {
	c.t.Helper()
	b, err := state.Encode(typ, payload)
	if err != nil {
		c.t.Fatal(err)
	}
	res, _, err := c.node.Apply(context.Background(), b)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.Err != nil {
		c.t.Fatalf("command %d: %v", typ, res.Err)
	}
	return res
}

func (c *cluster) submit(user string, args ...string) uint64 {
	c.t.Helper()
	script := []byte("#!/bin/sh\nsleep 600\n")
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: script, Args: args, Now: c.now, MaxArraySize: 1000001})
	if spec == nil {
		c.t.Fatal(diags.Render())
	}
	res := c.apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: c.now, User: user, DefaultPartition: "debug",
		Submission: &state.Submission{Script: script, ScriptName: "job.sh", Spec: spec}, Job: fromspec.MustRecord(spec, "debug")})
	return res.Value.(state.JobSubmitResult).JobID
}

func (c *cluster) pass() {
	c.t.Helper()
	if err := c.s.Pass(context.Background()); err != nil {
		c.t.Fatal(err)
	}
}

// runOne lets the scheduler start the next job, runs it for d and ends
// it; it returns the job.
func (c *cluster) runOne(d time.Duration) *state.Job {
	c.t.Helper()
	n := len(c.exec.started)
	c.pass()
	if len(c.exec.started) != n+1 {
		c.t.Fatalf("the scheduler started %d jobs, want 1", len(c.exec.started)-n)
	}
	id := c.exec.started[n]
	c.apply(state.CmdJobPlaced, state.JobPlacedCmd{Time: c.now, JobID: id, NodeList: "shared1"})
	c.now = c.now.Add(d)
	c.exec.Stop(context.Background(), id)
	c.apply(state.CmdJobFinish, state.JobFinishCmd{Time: c.now, JobID: id, State: state.StateCompleted})
	return c.store.View().Job(id)
}

// donate registers donor "uni-a" (its wallet proven, account phys-a
// affiliated), joins its node with a join token and the node's key, and
// runs a third party's 2-GPU job there for an hour: the node signs a
// checkpoint receipt, bridge/credit credits it, and the state records it
// (7200 GPU-seconds: two shares at one GPU-hour a share).
func (c *cluster) donate() {
	c.t.Helper()
	wk, err := wallet.GenerateKey()
	if err != nil {
		c.t.Fatal(err)
	}
	addr := wallet.Address(wk)
	proof := wallet.Sign(wallet.Message("hpcbridge", "uni-a", addr, c.now), wk)
	if err := wallet.Verify(wallet.Message("hpcbridge", "uni-a", addr, c.now), proof, addr); err != nil {
		c.t.Fatal(err)
	}
	mgmt := state.Actor{Management: true}
	c.apply(state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: c.now, Name: "uni-a", Wallet: addr,
		WalletProof: wallet.EncodeSignature(proof), WalletIssued: c.now, Accounts: []string{"phys-a"}, By: mgmt})

	_, nodeKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	pub := receipt.EncodeKey(nodeKey.Public().(ed25519.PublicKey))
	sum := sha256.Sum256([]byte("hbj_fairshare-test-secret"))
	hash := hex.EncodeToString(sum[:])
	c.apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: c.now, By: mgmt, Token: &state.JoinToken{
		Accessor: "join-1", SecretHash: hash, Donor: "uni-a", CreateTime: c.now, Expires: c.now.Add(time.Hour)}})
	c.apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: c.now, SecretHash: hash, NodeName: "uni-a-gpu1", Key: pub})
	c.apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: c.now, NodeID: "nomad-uni-a-gpu1", Node: "uni-a-gpu1", Key: pub})

	job := c.submit("carol", "--account=bio-c", "--gpus=2")
	c.pass()
	if got := c.store.View().Job(job); got.State != state.StateRunning {
		c.t.Fatalf("donated work: %s", got.State)
	}
	gpus := []string{"GPU-0", "GPU-1"}
	placed := c.now
	c.apply(state.CmdJobPlaced, state.JobPlacedCmd{Time: placed, JobID: job, NodeList: "uni-a-gpu1",
		GPU: &state.GPUAlloc{NodeID: "nomad-uni-a-gpu1", Node: "uni-a-gpu1", UUIDs: gpus}})
	c.now = c.now.Add(time.Hour)
	r := receipt.Receipt{Version: receipt.Version, JobID: job, Run: 0, Seq: 1, Node: "uni-a-gpu1", NodeID: "nomad-uni-a-gpu1",
		AllocID: "alloc-1", GPUs: gpus, CPUs: 1, Start: placed, End: c.now,
		Digest: "sha256:" + strings.Repeat("ab", 32), Size: 100, Uploaded: 100, Trigger: receipt.TriggerCommand}
	signed, err := receipt.Sign(&r, nodeKey)
	if err != nil {
		c.t.Fatal(err)
	}
	res, err := credit.Verify(credit.Input{Signed: signed, Key: credit.Key{NodeID: "nomad-uni-a-gpu1", Key: pub},
		Observed: credit.Observed{NodeID: "nomad-uni-a-gpu1", Node: "uni-a-gpu1", AllocID: "alloc-1", Start: placed, GPUs: gpus, CPUs: 1},
		JobID:    job, Run: 0, Now: c.now})
	if err != nil {
		c.t.Fatal(err)
	}
	if res.GPUSeconds != 7200 {
		c.t.Fatalf("credited %d GPU-seconds, want 7200", res.GPUSeconds)
	}
	c.apply(state.CmdCheckpoint, state.CheckpointCmd{Time: c.now, JobID: job, Run: 0, Seq: 1,
		NodeID: "nomad-uni-a-gpu1", Node: "uni-a-gpu1", AllocID: "alloc-1", Key: pub, Signed: *signed,
		Digest: r.Digest, Size: r.Size, Uploaded: r.Uploaded, Trigger: r.Trigger,
		ClaimStart: r.Start, ClaimEnd: r.End, ClaimGPUs: len(r.GPUs), ClaimCPUs: r.CPUs,
		Credit: state.Credit{Start: res.Start, End: res.End, GPUs: res.GPUs, CPUs: res.CPUs, GPUSeconds: res.GPUSeconds, CPUSeconds: res.CPUSeconds}})
	c.exec.Stop(context.Background(), job)
	c.apply(state.CmdJobFinish, state.JobFinishCmd{Time: c.now, JobID: job, State: state.StateCompleted})
}

// backlog has bob (chem-b, unaffiliated) and then alice (phys-a, uni-a's)
// submit n one-CPU jobs each, bob's first, and runs them all one at a
// time, 10 minutes each; it returns the accounts in start order.
func (c *cluster) backlog(n int) []string {
	c.t.Helper()
	for range n {
		c.submit("bob", "--account=chem-b")
	}
	for range n {
		c.submit("alice", "--account=phys-a")
	}
	var order []string
	for range 2 * n {
		order = append(order, c.runOne(10*time.Minute).Account)
	}
	return order
}

func count(l []string, acct string) int {
	n := 0
	for _, a := range l {
		if a == acct {
			n++
		}
	}
	return n
}

func short(order []string) string {
	var b strings.Builder
	for _, a := range order {
		b.WriteByte(a[0])
	}
	return b.String()
}

// The issue's test: two accounts submit the same backlog on a cluster
// with room for one job at a time. The account whose organisation donated
// two GPU-hours (3 shares to 1) runs first, in proportion: 3 of its jobs
// to 1 of the other's while both wait. A half-life later the donation
// counts half (2 shares to 1); ten half-lives later the advantage has
// faded and the accounts take turns.
func TestDonorsAccountRunsFirstInProportion(t *testing.T) {
	const n = 12
	for _, tc := range []struct {
		name   string
		age    time.Duration // from the donation to the backlog
		shares uint32
		want   int // phys-a's jobs among the first n
	}{
		{"fresh donation", 0, 3, 9},
		{"one half-life old", fairshare.DefaultHalfLife, 2, 8},
		{"ten half-lives old", 10 * fairshare.DefaultHalfLife, 1, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, fairshare.DefaultConfig())
			c.donate()
			c.now = c.now.Add(tc.age)
			tab := fairshare.Compute(c.store.View(), fairshare.DefaultConfig(), c.now)
			if a := tab.Accounts["phys-a"]; a == nil || a.RawShares != tc.shares || a.Donor != "uni-a" {
				t.Fatalf("phys-a: %+v, want %d shares", a, tc.shares)
			}
			if b := tab.Accounts["chem-b"]; b != nil {
				t.Fatalf("chem-b has a row before it ran anything: %+v", b)
			}
			order := c.backlog(n)
			got := count(order[:n], "phys-a")
			t.Logf("start order (p: phys-a, c: chem-b): %s; phys-a %d of the first %d", short(order), got, n)
			if got < tc.want-1 || got > tc.want+1 {
				t.Errorf("phys-a ran %d of the first %d jobs, want %d (shares %d:1)", got, n, tc.want, tc.shares)
			}
			// Every prefix keeps the proportion within a job.
			s := float64(tc.shares)
			for i := 2; i <= n; i++ {
				if a := float64(count(order[:i], "phys-a")); a < s/(s+1)*float64(i)-1.01 || a > s/(s+1)*float64(i)+1.01 {
					t.Errorf("after %d starts phys-a ran %v (%s)", i, a, short(order[:i]))
				}
			}
		})
	}
}

func ExampleCompute() {
	fmt.Println(fairshare.FormatTime(fairshare.DefaultHalfLife))
	// Output: 7-00:00:00
}
