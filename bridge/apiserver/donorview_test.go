package apiserver_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// donorWorld is a coordinator with donors uni-a and uni-b, whose nodes
// joined with join tokens and registered their keys, as the raft log has
// them; receipts are signed by the nodes' keys and credited by
// bridge/credit against the allocations the test says Nomad observed.
type donorWorld struct {
	t     *testing.T
	srv   *bridgetest.Server
	ctx   context.Context
	nodes *nodeList
	keys  map[string]ed25519.PrivateKey // by node name
}

func newDonorWorld(t *testing.T, now time.Time) *donorWorld {
	nodes := &nodeList{}
	w := &donorWorld{t: t, nodes: nodes, ctx: context.Background(), keys: map[string]ed25519.PrivateKey{}}
	w.srv = bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return now }, Nodes: nodes})
	return w
}

func (w *donorWorld) apply(ct state.CommandType, p any) *state.Result {
	w.t.Helper()
	return w.srv.Apply(w.t, ct, p)
}

// register registers donor name with a wallet it proved it holds.
func (w *donorWorld) register(name string, at time.Time) {
	w.t.Helper()
	key, err := wallet.GenerateKey()
	if err != nil {
		w.t.Fatal(err)
	}
	addr := wallet.Address(key)
	proof := wallet.EncodeSignature(wallet.Sign(wallet.Message("hpcbridge", name, addr, at), key))
	w.apply(state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: at, Name: name, Wallet: addr, WalletProof: proof,
		WalletIssued: at, By: state.Actor{User: "root", Management: true}})
}

// join has node (Nomad id "id-"+node) join donor with a join token and
// registers its key, as the KeyWatcher does once Nomad lists it.
func (w *donorWorld) join(donor, node string, at time.Time) {
	w.t.Helper()
	priv := ed25519.NewKeyFromSeed([]byte(fmt.Sprintf("%-32s", node)))
	w.keys[node] = priv
	key := receipt.EncodeKey(priv.Public().(ed25519.PublicKey))
	tok, secret := state.NewJoinToken(donor, at, 0)
	w.apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: at, Token: &tok, By: state.Actor{User: "root", Management: true}})
	w.apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: at, SecretHash: state.HashSecret(secret), NodeName: node, Key: key})
	w.apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: at, NodeID: "id-" + node, Node: node, Key: key})
}

// donorAdmin creates donor's admin token (POST /v1/acl/tokens) and
// returns its secret.
func (w *donorWorld) donorAdmin(donor string) string {
	w.t.Helper()
	tok, err := w.srv.Client(w.t, w.srv.ManagementToken).ACLCreateToken(w.ctx, &api.ACLTokenRequest{Name: donor + " admin",
		Type: state.TokenDonorAdmin, Donor: donor})
	if err != nil {
		w.t.Fatal(err)
	}
	return tok.SecretID
}

// run submits user's job and starts it on node at start.
func (w *donorWorld) run(user, node string, start time.Time) uint64 {
	w.t.Helper()
	script := "#!/bin/sh\n#SBATCH --job-name=train\ntrue\n"
	spec, _ := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
	id := w.apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: start, User: user, DefaultPartition: "batch",
		Submission: &state.Submission{Script: []byte(script), Spec: spec}, Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	w.apply(state.CmdJobStart, state.JobStartCmd{Time: start, JobID: id, Task: state.NoTask, NodeList: node})
	return id
}

// receipt has node sign checkpoint seq of job's run 0 claiming
// [from, to) on gpus (of the two its allocation, started at started,
// holds), lets bridge/credit clamp it as the leader does at now, and
// commits it.
func (w *donorWorld) receipt(job uint64, seq int, node string, started, from, to, now time.Time, gpus ...string) state.Credit {
	w.t.Helper()
	key := receipt.EncodeKey(w.keys[node].Public().(ed25519.PublicKey))
	r := &receipt.Receipt{Version: receipt.Version, JobID: job, Run: 0, Seq: seq, Node: node, NodeID: "id-" + node, AllocID: "alloc-" + node,
		GPUs: gpus, CPUs: 4, Start: from, End: to, Digest: "sha256:" + strings.Repeat(fmt.Sprintf("%02x", seq), 32),
		Size: 1000, Uploaded: 100, Trigger: receipt.TriggerCommand}
	signed, err := receipt.Sign(r, w.keys[node])
	if err != nil {
		w.t.Fatal(err)
	}
	in := credit.Input{Signed: signed, Key: credit.Key{NodeID: "id-" + node, Key: key}, JobID: job, Run: 0, Now: now,
		Observed: credit.Observed{NodeID: "id-" + node, Node: node, AllocID: "alloc-" + node, Start: started, GPUs: []string{"GPU-0", "GPU-1"}, CPUs: 4}}
	if cp := w.srv.Store.View().Job(job).Checkpoints; cp != nil {
		in.Prev = &credit.Previous{Seq: cp.Seq, End: cp.End, CreditedEnd: cp.CreditedEnd}
	}
	res, err := credit.Verify(in)
	if err != nil {
		w.t.Fatalf("receipt %d of job %d: %v", seq, job, err)
	}
	cr := state.Credit{Start: res.Start, End: res.End, GPUs: res.GPUs, CPUs: res.CPUs, GPUSeconds: res.GPUSeconds, CPUSeconds: res.CPUSeconds,
		Clamped: res.Clamped, Note: res.Note}
	w.apply(state.CmdCheckpoint, state.CheckpointCmd{Time: now, JobID: job, Run: 0, Seq: seq, NodeID: "id-" + node, Node: node,
		AllocID: "alloc-" + node, Key: key, Signed: *signed, Digest: r.Digest, Size: r.Size, Uploaded: r.Uploaded, Trigger: r.Trigger,
		ClaimStart: from, ClaimEnd: to, ClaimGPUs: len(gpus), ClaimCPUs: 4, Credit: cr})
	return cr
}

// TestDonorSummary: uni-b's two nodes (one up with its GPUs, one down),
// the job that ran on them, its receipts credited across midnight UTC
// (split between the two days, adding up to the total) and the one
// clamped receipt with why; uni-a's node and credit are not in it. A
// management token and uni-b's donor-admin token read it; uni-a's
// donor-admin token and a user's token are refused (permission_denied),
// also for a donor that does not exist.
func TestDonorSummary(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	midnight := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	w := newDonorWorld(t, now)
	a100 := api.NodeGPU{Model: "NVIDIA A100-SXM4-40GB", Type: "a100", Count: 2, Healthy: 2, Fake: true}
	w.nodes.set(
		api.Node{Name: "b1", State: api.NodeMixed, CPUs: 8, Jobs: 1, Partitions: []string{"batch"}, GPUs: []api.NodeGPU{a100}},
		api.Node{Name: "b2", State: api.NodeDown, Flags: []string{api.FlagNotResponding}, CPUs: 8, Partitions: []string{"batch"}},
		api.Node{Name: "a1", State: api.NodeIdle, CPUs: 8, Partitions: []string{"batch"}},
	)
	day0 := midnight.Add(-48 * time.Hour)
	w.register("uni-a", day0)
	w.register("uni-b", day0)
	w.join("uni-a", "a1", day0)
	w.join("uni-b", "b1", day0)
	w.join("uni-b", "b2", day0)

	// alice's job on b1 from 22:00 yesterday: 1.5 h, then 2 h across
	// midnight, then a receipt claiming a GPU never allocated (clamped).
	start := midnight.Add(-2 * time.Hour)
	job := w.run("alice", "b1", start)
	c1 := w.receipt(job, 1, "b1", start, start, start.Add(90*time.Minute), now, "GPU-0", "GPU-1")
	c2 := w.receipt(job, 2, "b1", start, start.Add(90*time.Minute), start.Add(210*time.Minute), now, "GPU-0", "GPU-1")
	c3 := w.receipt(job, 3, "b1", start, start.Add(210*time.Minute), start.Add(270*time.Minute), now, "GPU-0", "GPU-1", "GPU-7")
	if c1.Clamped || c2.Clamped || !c3.Clamped || c1.GPUSeconds != 2*5400 || c2.GPUSeconds != 2*7200 || c3.GPUSeconds != 2*3600 {
		t.Fatalf("credits: %+v %+v %+v", c1, c2, c3)
	}
	// bob's job on uni-a's node: none of uni-b's.
	other := w.run("bob", "a1", midnight.Add(time.Hour))
	w.receipt(other, 1, "a1", midnight.Add(time.Hour), midnight.Add(time.Hour), midnight.Add(3*time.Hour), now, "GPU-0")

	mgmt := w.srv.Client(t, w.srv.ManagementToken)
	sum, err := mgmt.DonorSummary(w.ctx, "uni-b", 7)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Donor != "uni-b" || sum.Days != 7 || !sum.Since.Equal(midnight.AddDate(0, 0, -6)) || sum.NodeSource != "nomad" || len(sum.Credit.Days) != 7 {
		t.Fatalf("summary header: %+v", sum)
	}
	if len(sum.Nodes) != 2 || sum.Nodes[0].Name != "b1" || sum.Nodes[0].Status != api.DonorNodeUp || len(sum.Nodes[0].GPUs) != 1 ||
		sum.Nodes[0].GPUs[0].Model != a100.Model || sum.Nodes[0].NodeID != "id-b1" || sum.Nodes[1].Status != api.DonorNodeDown {
		t.Fatalf("nodes: %+v", sum.Nodes)
	}
	total := c1.GPUSeconds + c2.GPUSeconds + c3.GPUSeconds
	if sum.Credit.Receipts != 3 || sum.Credit.GPUSeconds != total || sum.Nodes[0].GPUSeconds != total || sum.Nodes[1].Receipts != 0 {
		t.Fatalf("credit: %+v, nodes %+v", sum.Credit, sum.Nodes)
	}
	yesterday, today := sum.Credit.Days[5], sum.Credit.Days[6]
	// Yesterday: 22:00-24:00 on 2 GPUs; today: 00:00-01:30 on 2, then
	// 01:30-02:30 on the 2 credited of the 3 claimed.
	if yesterday.Day != "2026-12-05" || yesterday.GPUSeconds != 2*7200 || yesterday.Receipts != 1 ||
		today.Day != "2026-12-06" || today.GPUSeconds != 2*5400+2*3600 || today.Receipts != 2 || yesterday.GPUSeconds+today.GPUSeconds != total {
		t.Fatalf("days: %+v", sum.Credit.Days)
	}
	if sum.Credit.Clamped != 1 || sum.Credit.ClampedGPUSeconds != 3600 || len(sum.Clamps) != 1 || sum.Clamps[0].Seq != 3 ||
		sum.Clamps[0].ClaimedGPUSeconds != 3*3600 || !strings.Contains(sum.Clamps[0].Note, "GPUs GPU-7 were not allocated to the task") {
		t.Fatalf("clamps: %+v %+v", sum.Credit, sum.Clamps)
	}
	if sum.Jobs.Runs != 1 || sum.Jobs.Jobs != 1 || sum.Jobs.Running != 1 || sum.Jobs.RecentRuns != 1 || len(sum.Jobs.Recent) != 1 ||
		sum.Jobs.Recent[0].User != "alice" || sum.Jobs.Recent[0].Nodes[0] != "b1" || sum.Jobs.ByState["RUNNING"] != 1 {
		t.Fatalf("jobs: %+v", sum.Jobs)
	}

	// One day: today only; the job started yesterday is counted, not listed.
	if one, err := mgmt.DonorSummary(w.ctx, "uni-b", 1); err != nil || len(one.Credit.Days) != 1 || one.Credit.Days[0].GPUSeconds != today.GPUSeconds ||
		one.Jobs.RecentRuns != 0 || one.Jobs.Runs != 1 || one.Credit.GPUSeconds != total {
		t.Fatalf("one day: %+v %v", one, err)
	}

	// Who may read it.
	adminA, adminB := w.donorAdmin("uni-a"), w.donorAdmin("uni-b")
	if got, err := w.srv.Client(t, adminB).DonorSummary(w.ctx, "uni-b", 0); err != nil || got.Credit.GPUSeconds != total || got.Days != api.DefaultDonorDays {
		t.Fatalf("uni-b's admin: %+v %v", got, err)
	}
	if got, err := w.srv.Client(t, adminA).DonorSummary(w.ctx, "uni-a", 0); err != nil || got.Credit.Receipts != 1 || len(got.Nodes) != 1 {
		t.Fatalf("uni-a's admin, its own: %+v %v", got, err)
	}
	for who, tok := range map[string]string{"uni-a's admin": adminA, "a user": w.srv.UserToken(t, "alice")} {
		for _, name := range []string{"uni-b", "uni-z"} {
			_, err := w.srv.Client(t, tok).DonorSummary(w.ctx, name, 0)
			wantCode(t, err, api.CodePermissionDenied)
			if !strings.Contains(err.Error(), "donor-admin") {
				t.Errorf("%s reading %s: %v", who, name, err)
			}
		}
	}
	_, err = mgmt.DonorSummary(w.ctx, "uni-z", 0)
	wantCode(t, err, api.CodeNotFound)
	for _, q := range []string{"days=400", "days=-1", "days=x"} {
		if code, e, _ := raw(t, http.MethodGet, w.srv.URL+"/v1/donor/uni-b/summary?"+q, w.srv.ManagementToken, nil); code != http.StatusBadRequest || e.Code != api.CodeInvalidRequest {
			t.Errorf("%s: %d %+v", q, code, e)
		}
	}
	if code, e, _ := raw(t, http.MethodGet, w.srv.URL+"/v1/donor/"+strings.Repeat("x", 64)+"/summary", w.srv.ManagementToken, nil); code != http.StatusBadRequest {
		t.Errorf("a long name: %d %+v", code, e)
	}

	// Requeued (PREEMPTED, as a reclaim does) and started again on b2:
	// two runs of one job, each on its node; the receipts stay.
	w.apply(state.CmdJobRequeue, state.JobRequeueCmd{Time: now, By: state.Actor{User: "root", Management: true},
		Refs: []state.JobRef{{JobID: job, Task: state.AllTasks}}, Reason: state.StatePreempted})
	w.apply(state.CmdJobStart, state.JobStartCmd{Time: now, JobID: job, Task: state.NoTask, NodeList: "b2"})
	got, err := mgmt.DonorSummary(w.ctx, "uni-b", 0)
	if err != nil || got.Jobs.Runs != 2 || got.Jobs.Jobs != 1 || got.Jobs.Running != 1 || got.Jobs.ByState["PREEMPTED"] != 1 ||
		len(got.Jobs.Recent) != 2 || got.Jobs.Recent[0].Run != 1 || got.Jobs.Recent[0].Nodes[0] != "b2" || got.Jobs.Recent[1].End.IsZero() ||
		got.Credit.GPUSeconds != total {
		t.Fatalf("after the requeue: %+v %v", got, err)
	}

	// uni-b's admin takes b1 back (as hpcbridge node reclaim does): it
	// is reclaimed, with the reason sinfo shows, once Nomad drains it.
	w.apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: "b1", NodeID: "id-b1",
		Deadline: now.Add(5 * time.Minute), Source: state.ReclaimCommand, By: "donor-admin:uni-b"})
	b1 := api.Node{Name: "b1", State: api.NodeMixed, Flags: []string{api.FlagDrain}, CPUs: 8, Jobs: 1, Partitions: []string{"batch"}, GPUs: []api.NodeGPU{a100}}
	w.nodes.set(b1, api.Node{Name: "b2", State: api.NodeIdle, CPUs: 8, Partitions: []string{"batch"}})
	if got, err := mgmt.DonorSummary(w.ctx, "uni-b", 0); err != nil || got.Nodes[0].Status != api.DonorNodeReclaimed ||
		!strings.Contains(got.Nodes[0].Reason, "reclaimed by its owner") || got.Nodes[1].Status != api.DonorNodeUp {
		t.Fatalf("b1 reclaimed: %+v %v", got, err)
	}

	// The node that left: listed as left, its credit still the donor's.
	w.apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinLeave, Time: now, NodeName: "b2",
		Key: receipt.EncodeKey(w.keys["b2"].Public().(ed25519.PublicKey))})
	if got, err := mgmt.DonorSummary(w.ctx, "uni-b", 0); err != nil || got.Nodes[1].Status != api.DonorNodeLeft || got.Nodes[1].Left.IsZero() {
		t.Fatalf("after b2 left: %+v %v", got, err)
	}
}
