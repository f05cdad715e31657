package nomadexec_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// syncBuffer is a log sink tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCheckpointReceiptsOnNomad: a run placed by a real Nomad (a raw_exec
// task under the executor's job and task names, holding 2 of the node's 4
// fake GPUs) commits checkpoints with receipts signed by its node's
// registered key. An honest receipt is credited in full, once (its retry
// is answered, not counted); a forged one is refused (another key, an
// unknown checkpoint, a size that is not the checkpoint's, another
// allocation, an interval before the previous end, another job's token)
// or clamped (an interval past now, a GPU never allocated, more CPUs),
// and logged; a revoked key's receipts are refused. Users see their own
// receipts only.
func TestCheckpointReceiptsOnNomad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad agent: skipped with -short")
	}
	nomadtest.Require(t)
	plugins := filepath.Join(t.TempDir(), "plugins")
	if b, err := exec.Command("go", "build", "-o", filepath.Join(plugins, "hpcbridge-gpu"), "../../cmd/hpcbridge-gpu").CombinedOutput(); err != nil {
		t.Fatalf("go build the GPU device plugin: %v\n%s", err, b)
	}
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: t.TempDir(), PluginDir: plugins, Drivers: []string{"raw_exec"},
		Plugins: []nomadagent.Plugin{
			{Name: "raw_exec", Config: map[string]any{"enabled": true}},
			{Name: "hpcbridge-gpu", Config: map[string]any{"backend": "fake", "fake_model": "a100", "fake_count": 4,
				"fake_seed": "receipts", "fingerprint_period": "1s"}},
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := agent.WaitDevices(ctx, func(gs []nomadagent.DeviceGroup) bool {
		n := 0
		for _, g := range gs {
			for _, in := range g.Instances {
				if in.Healthy {
					n++
				}
			}
		}
		return n == 4
	}); err != nil {
		t.Fatalf("4 fake GPUs: %v", err)
	}

	blobs, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	exe := nomadexec.New(nomadexec.Config{Client: agent.API()})
	// The leader's clock runs an hour ahead, so that the run has done
	// work to claim without the test waiting for it.
	ahead := func() time.Time { return time.Now().Add(time.Hour) }
	srv := bridgetest.Start(t, bridgetest.Options{Blobs: blobs, Observer: exe, Now: ahead,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	apply := func(ct state.CommandType, p any) *state.Result {
		t.Helper()
		cmd, err := state.Encode(ct, p)
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := srv.Raft.Apply(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if res.Err != nil {
			t.Fatalf("%s: %v", ct, res.Err)
		}
		return res
	}
	submit := func(user string, directives ...string) uint64 {
		script := "#!/bin/sh\n#SBATCH --gres=gpu:2\n" + strings.Join(directives, "") + "sleep 600\n"
		spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
		if spec == nil {
			t.Fatal(diags)
		}
		sub := &state.Submission{Script: []byte(script), ScriptName: "job.sh", Cwd: "/home/" + user, Spec: spec}
		id := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: user, Submission: sub, DefaultPartition: "batch",
			Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
		apply(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: id, Task: state.NoTask})
		return id
	}
	id, other := submit("alice"), submit("bob")

	// The run on Nomad, as the executor names it.
	nid := nomadexec.NomadID(srv.Store.View().Job(id))
	zero, one := 0, 1
	batch, fail := "batch", "fail"
	job := &nomad.Job{ID: &nid, Name: &nid, Type: &batch, Datacenters: []string{"*"},
		TaskGroups: []*nomad.TaskGroup{{Name: &nid, Count: &one,
			RestartPolicy:    &nomad.RestartPolicy{Attempts: &zero, Mode: &fail},
			ReschedulePolicy: &nomad.ReschedulePolicy{Attempts: &zero, Unlimited: new(bool)},
			Tasks: []*nomad.Task{{Name: nomadexec.TaskName, Driver: "raw_exec",
				Config: map[string]any{"command": "/bin/sh", "args": []string{"-c", "sleep 600"}},
				Resources: &nomad.Resources{CPU: ptrTo(200), MemoryMB: ptrTo(32),
					Devices: []*nomad.RequestedDevice{{Name: nomadexec.GPUDevice, Count: ptrTo(uint64(2))}}}}}}}}
	if _, _, err := agent.API().Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _, _ = agent.API().Jobs().Deregister(nid, true, nil) })
	alloc := runningAlloc(ctx, t, agent.API(), nid)
	started := alloc.TaskStates[nomadexec.TaskName].StartedAt
	var gpus []string
	model := ""
	for _, d := range alloc.AllocatedResources.Tasks[nomadexec.TaskName].Devices {
		gpus = append(gpus, d.DeviceIDs...)
		model = d.Name
	}
	if len(gpus) != 2 || model == "" {
		t.Fatalf("allocated GPUs %v of model %q", gpus, model)
	}

	// The node's key, registered as the leader's watcher does.
	seed := func(b byte) ed25519.PrivateKey {
		return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
	}
	nodeKey, forger := seed(1), seed(2)
	apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: time.Now(), NodeID: alloc.NodeID, Node: alloc.NodeName,
		Key: receipt.EncodeKey(nodeKey.Public().(ed25519.PublicKey))})
	// The node joined donor uni-a (whose wallet its receipts' rewards
	// accrue to) with that key.
	const wallet = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
	mgmt := state.Actor{User: "root", Management: true}
	apply(state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: time.Now(), Name: "uni-a", Wallet: wallet,
		WalletProof: "0x" + strings.Repeat("ab", 65), WalletIssued: time.Now(), By: mgmt})
	joinTok, joinSecret := state.NewJoinToken("uni-a", time.Now(), 0)
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: time.Now(), Token: &joinTok, By: mgmt})
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: time.Now(), SecretHash: state.HashSecret(joinSecret),
		NodeName: alloc.NodeName, Key: receipt.EncodeKey(nodeKey.Public().(ed25519.PublicKey))})

	// A checkpoint in alice's namespace.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.bin"), bytes.Repeat([]byte("weights"), 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	m, layout, err := cas.Scan(dir, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	digest, st, err := cas.Upload(ctx, m, layout, cas.StoreRemote(blobs, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	node := srv.Client(t, srv.RunToken(t, id))
	ref := strconv.FormatUint(id, 10)

	end := started.Add(30 * time.Minute)
	seq := 0
	honest := func() receipt.Receipt {
		return receipt.Receipt{Version: receipt.Version, JobID: id, Run: 0, Seq: seq + 1, Node: alloc.NodeName, NodeID: alloc.NodeID,
			AllocID: alloc.ID, GPUs: gpus, CPUs: 2, Start: started, End: end, Digest: digest, Size: st.Bytes, Uploaded: st.SentBytes,
			Trigger: receipt.TriggerCommand}
	}
	post := func(r receipt.Receipt, key ed25519.PrivateKey, c *api.Client) (*receipt.Signed, *api.CheckpointReply, error) {
		t.Helper()
		sg, err := receipt.Sign(&r, key)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := c.Checkpoint(ctx, ref, sg)
		return sg, rep, err
	}
	wantRefused := func(what string, err error, status int) {
		t.Helper()
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Status != status {
			t.Fatalf("%s: %v, want a %d refusal", what, err, status)
		}
	}

	// 1. Honest: credited in full.
	r1 := honest()
	sg1, rep, err := post(r1, nodeKey, node)
	if err != nil {
		t.Fatalf("honest receipt: %v", err)
	}
	secs := int64(end.Sub(started) / time.Second)
	if rep.Seq != 1 || rep.Clamped || rep.GPUSeconds != 2*secs || rep.CPUSeconds != 2*secs {
		t.Fatalf("honest receipt credited %+v, want %d GPU-s", rep, 2*secs)
	}
	// The GPUs' model the Nomad servers allocated them as is committed
	// with the credit, and the receipt earned the default rates' reward
	// for the donor's wallet: 2 GPUs at 1 token and 2 CPUs at 0.01 token
	// an hour.
	rec := srv.Store.View().Receipt(id, 0, 1)
	wantReward := new(big.Int).Quo(new(big.Int).Mul(big.NewInt(2*secs), big.NewInt(1_010_000_000_000_000_000)), big.NewInt(3600))
	if rec == nil || rec.Credit.GPUModel != model || rec.Wallet != wallet || rec.Reward != wantReward.String() {
		t.Fatalf("committed receipt %+v, want GPU model %q and %s to %s", rec, model, wantReward, wallet)
	}
	if got := srv.Store.View().WalletCumulative(wallet); got.Cmp(wantReward) != 0 {
		t.Fatalf("wallet's cumulative amount %s, want %s", got, wantReward)
	}
	seq = 1
	// Its retry (the reply was lost): the same answer, counted once.
	if again, err := node.Checkpoint(ctx, ref, sg1); err != nil || *again != *rep {
		t.Fatalf("retry: %+v %v, want %+v", again, err, rep)
	}

	// 2. Refused.
	r := honest()
	r.Start, r.End = end, end.Add(time.Minute)
	_, _, err = post(r, forger, node)
	wantRefused("signed with another key", err, 403)
	r.Digest = cas.Sum([]byte("never uploaded"))
	_, _, err = post(r, nodeKey, node)
	wantRefused("unknown checkpoint", err, 400)
	r = honest()
	r.Start, r.End, r.Size = end, end.Add(time.Minute), st.Bytes*10
	_, _, err = post(r, nodeKey, node)
	wantRefused("size not the checkpoint's", err, 400)
	r.Size, r.AllocID = st.Bytes, "00000000-0000-0000-0000-000000000000"
	_, _, err = post(r, nodeKey, node)
	wantRefused("another allocation", err, 403)
	r = honest()
	r.Start, r.End = started, end.Add(time.Minute) // before the previous end: claimed twice
	_, _, err = post(r, nodeKey, node)
	wantRefused("interval before the previous end", err, 409)
	r = honest()
	r.Start, r.End = end, end.Add(time.Minute)
	_, _, err = post(r, nodeKey, srv.Client(t, srv.RunToken(t, other)))
	wantRefused("another job's run token", err, 403)

	// 3. Clamped: an hour claimed ahead, a GPU never allocated, 64 CPUs.
	r = honest()
	r.Start, r.End = end, ahead().Add(time.Hour)
	r.GPUs = append(append([]string{}, gpus...), "GPU-forged")
	r.CPUs = 64
	_, rep, err = post(r, nodeKey, node)
	if err != nil {
		t.Fatalf("inflated receipt: %v", err)
	}
	if !rep.Clamped || rep.GPUSeconds > 2*int64(ahead().Sub(end)/time.Second) || rep.GPUSeconds < 2*29*60 || rep.CPUSeconds != rep.GPUSeconds ||
		!strings.Contains(rep.Note, "after now") || !strings.Contains(rep.Note, "GPU-forged") || !strings.Contains(rep.Note, "64 CPUs") {
		t.Fatalf("inflated receipt credited %+v", rep)
	}
	seq = 2

	// The state: two receipts, the job's summary, the node's credit.
	j := srv.Store.View().Job(id)
	if cp := j.Checkpoints; cp == nil || cp.Count != 2 || cp.Digest != digest || cp.Size != st.Bytes {
		t.Fatalf("summary %+v", j.Checkpoints)
	}
	mine, err := srv.Client(t, srv.UserToken(t, "alice")).Receipts(ctx, &api.ReceiptsQuery{Job: ref})
	if err != nil || len(mine.Receipts) != 2 || mine.Credits != nil {
		t.Fatalf("alice's receipts: %+v %v", mine, err)
	}
	bob := srv.Client(t, srv.UserToken(t, "bob"))
	if _, err := bob.Receipts(ctx, &api.ReceiptsQuery{Job: ref}); err == nil {
		t.Fatal("bob read alice's job's receipts")
	}
	if all, err := bob.Receipts(ctx, nil); err != nil || len(all.Receipts) != 0 {
		t.Fatalf("bob's receipts: %+v %v", all, err)
	}
	admin, err := srv.Client(t, srv.ManagementToken).Receipts(ctx, &api.ReceiptsQuery{Node: alloc.NodeName})
	if err != nil || len(admin.Receipts) != 2 || len(admin.Credits) != 1 || admin.Credits[0].GPUSeconds != rep.GPUSeconds+2*secs {
		t.Fatalf("management's receipts: %+v %v", admin, err)
	}

	// 3b. Bob's job runs on the same node (its own Nomad job and
	// allocation, the node's other 2 GPUs). A receipt of bob's run naming
	// alice's allocation (the node's key signs both) is refused: the
	// allocation is not his run's. Then bob cancels his job (the node's
	// client ignores the stop: its allocation still runs in Nomad, and the
	// run token stays usable for the grace); a receipt claiming work past
	// the cancel is credited to the cancel, the run's end.
	bnid := nomadexec.NomadID(srv.Store.View().Job(other))
	bjob := *job
	bgroup := *job.TaskGroups[0]
	bjob.ID, bjob.Name, bgroup.Name = &bnid, &bnid, &bnid
	bjob.TaskGroups = []*nomad.TaskGroup{&bgroup}
	if _, _, err := agent.API().Jobs().Register(&bjob, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _, _ = agent.API().Jobs().Deregister(bnid, true, nil) })
	balloc := runningAlloc(ctx, t, agent.API(), bnid)
	bstarted := balloc.TaskStates[nomadexec.TaskName].StartedAt
	var bgpus []string
	for _, d := range balloc.AllocatedResources.Tasks[nomadexec.TaskName].Devices {
		bgpus = append(bgpus, d.DeviceIDs...)
	}
	bdigest, bst, err := cas.Upload(ctx, m, layout, cas.StoreRemote(blobs, "bob"))
	if err != nil {
		t.Fatal(err)
	}
	bnode := srv.Client(t, srv.RunToken(t, other))
	bref := strconv.FormatUint(other, 10)
	bpost := func(r receipt.Receipt) (*api.CheckpointReply, error) {
		t.Helper()
		sg, err := receipt.Sign(&r, nodeKey)
		if err != nil {
			t.Fatal(err)
		}
		return bnode.Checkpoint(ctx, bref, sg)
	}
	bend := ahead().Add(-time.Minute)
	bob1 := receipt.Receipt{Version: receipt.Version, JobID: other, Run: 0, Seq: 1, Node: balloc.NodeName, NodeID: balloc.NodeID,
		AllocID: alloc.ID, GPUs: gpus, CPUs: 2, Start: started, End: bend, Digest: bdigest, Size: bst.Bytes, Trigger: receipt.TriggerCommand}
	_, err = bpost(bob1)
	wantRefused("another job's allocation", err, 403)
	ended := ahead().Add(-10 * time.Minute)
	apply(state.CmdJobCancel, state.JobCancelCmd{Time: ended, By: state.Actor{User: "bob"}, Refs: []state.JobRef{{JobID: other, Task: state.NoTask}}})
	bob1.AllocID, bob1.GPUs, bob1.Start = balloc.ID, bgpus, bstarted
	brep, err := bpost(bob1)
	if err != nil {
		t.Fatalf("bob's receipt after his run ended: %v", err)
	}
	// Credited to the cancel and the stop's grace (the task's kill
	// timeout, Nomad's default 5 s here, and 10 s for the stop's way).
	if bsecs := int64(ended.Sub(bstarted) / time.Second); !brep.Clamped || brep.GPUSeconds != 2*(bsecs+15) || !strings.Contains(brep.Note, "after the run's end") {
		t.Fatalf("bob's receipt past his run's end credited %+v, want %d GPU-s to the end and its stop's grace", brep, 2*(bsecs+15))
	}

	// 3c. A multi-node run takes no checkpoints: the driver serves none,
	// and one node's receipts would take the run's sequence from the
	// others' allocations.
	multi := submit("alice", "#SBATCH -N 2\n")
	r = honest()
	r.JobID = multi
	sg, err := receipt.Sign(&r, nodeKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = srv.Client(t, srv.RunToken(t, multi)).Checkpoint(ctx, strconv.FormatUint(multi, 10), sg)
	wantRefused("a multi-node run's receipt", err, 403)
	if !strings.Contains(err.Error(), "multi-node run") {
		t.Fatalf("a multi-node run's receipt: %v, want it refused as such", err)
	}

	// 4. A revoked key's receipts are refused.
	if _, err := srv.Client(t, srv.ManagementToken).RevokeNodeKey(ctx, alloc.NodeName, ""); err != nil {
		t.Fatal(err)
	}
	r = honest()
	r.Start, r.End = mine.Receipts[1].ClaimEnd, mine.Receipts[1].ClaimEnd.Add(time.Second)
	_, _, err = post(r, nodeKey, node)
	wantRefused("revoked key", err, 403)

	log := logs.String()
	for _, want := range []string{"checkpoint receipt refused", "checkpoint receipt clamped", "does not verify with the node's key", "not in the store", "node key revoked"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
}

// runningAlloc waits for the Nomad job's allocation to run its task.
func runningAlloc(ctx context.Context, t *testing.T, c *nomad.Client, nid string) *nomad.Allocation {
	t.Helper()
	var index uint64
	for {
		q := (&nomad.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Second}).WithContext(ctx)
		stubs, meta, err := c.Jobs().Allocations(nid, true, q)
		if err != nil {
			t.Fatalf("allocations of %s: %v", nid, err)
		}
		index = meta.LastIndex
		for _, s := range stubs {
			if ts := s.TaskStates[nomadexec.TaskName]; ts != nil && !ts.StartedAt.IsZero() && s.ClientStatus == nomad.AllocClientStatusRunning {
				a, _, err := c.Allocations().Info(s.ID, nil)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("%s never ran", nid)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
