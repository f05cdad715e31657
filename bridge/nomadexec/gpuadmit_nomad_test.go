package nomadexec

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// TestGPUAdmissionOnNomad: on a real Nomad node with 8 GPUs (the
// hpcbridge-gpu device plugin, fake backend) and the hpcbridge task
// driver, five 2-GPU jobs (one of type a100): the scheduler starts four,
// on disjoint GPUs,
// and the fifth waits PENDING with reason Resources, never registered
// with Nomad (before admission it was started and waited CONFIGURING in
// Nomad's blocked evaluations); sinfo's node shows gpu:a100:8(fake) all
// used (IDX:0-7). When one ends, the fifth starts. A 6-task array of
// 2-GPU tasks then starts 4 tasks and waits PENDING (Resources) with the
// rest.
func TestGPUAdmissionOnNomad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad agent: skipped with -short")
	}
	roottest.Require(t, "the task driver runs jobs as their user")
	nomadtest.Require(t)
	plugins := buildPlugins(t, "hpcbridge-driver", "hpcbridge-gpu")
	dir := jobDir(t, "hpcbridge-gpuadmit-")
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: filepath.Join(dir, "nomad"), PluginDir: plugins, Drivers: []string{DriverName},
		Plugins: []nomadagent.Plugin{
			{Name: "hpcbridge-driver", Config: map[string]any{"run_as": "submitter", "allow_root": true}},
			{Name: "hpcbridge-gpu", Config: map[string]any{"backend": "fake", "fake_model": "a100", "fake_count": 8,
				"fake_seed": "gpu-admission", "fingerprint_period": "1s"}},
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := agent.WaitDevices(ctx, func(gs []nomadagent.DeviceGroup) bool {
		healthy := 0
		for _, g := range gs {
			for _, in := range g.Instances {
				if in.Healthy {
					healthy++
				}
			}
		}
		return healthy == 8
	}); err != nil {
		t.Fatalf("8 fake GPUs: %v", err)
	}

	store := state.New()
	raft := &directRaft{store: store}
	apply := raft.applier(ctx, t)
	var ids []uint64
	for i := range 5 {
		// The first asks for the type: the plugin's gres_type (and the
		// model's name) select the A100s.
		gres := map[bool]string{true: "gpu:a100:2", false: "gpu:2"}[i == 0]
		sub := parse(t, "#!/bin/sh\n#SBATCH --gres="+gres+" --mem=64M -o /dev/null\nsleep 120\n")
		sub.Cwd = dir
		ids = append(ids, apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "root", Submission: sub, DefaultPartition: "debug",
			Job: fromspec.MustRecord(sub.Spec, "debug")}).Value.(state.JobSubmitResult).JobID)
	}
	nodes := &Nodes{Client: agent.API(), Partitions: []string{"debug"}}
	e := New(Config{Client: agent.API(), Store: store, Raft: raft, ReconcileInterval: time.Second, Nodes: nodes})
	s := sched.New(sched.Config{Store: store, Raft: raft, Executor: e, Interval: 200 * time.Millisecond})
	term, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.RunTerm(term) })
	wg.Go(func() { _ = s.Run(term) })
	defer func() { stop(); wg.Wait() }()

	// until returns once cond holds of the jobs.
	until := func(what string, cond func(v *state.View) bool) {
		t.Helper()
		for {
			changed := store.WatchJobs()
			if cond(store.View()) {
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				for _, id := range ids {
					j := store.View().Job(id)
					t.Logf("job %d: %s %q node %q", id, j.State, j.Reason, j.NodeList)
				}
				t.Fatalf("waiting for %s: %v", what, ctx.Err())
			}
		}
	}
	placed := func(v *state.View) (run []uint64, waiting []*state.Job) {
		for _, id := range ids {
			switch j := v.Job(id); {
			case j.State == state.StateRunning && j.NodeList != "":
				run = append(run, id)
			case j.State == state.StatePending:
				waiting = append(waiting, j)
			}
		}
		return run, waiting
	}
	until("four running and one PENDING (Resources)", func(v *state.View) bool {
		run, waiting := placed(v)
		return len(run) == 4 && len(waiting) == 1 && waiting[0].Reason == state.ReasonResources
	})
	run, waiting := placed(store.View())
	last := waiting[0]
	if _, _, err := agent.API().Jobs().Info(NomadID(last), nil); !IsNotFound(err) {
		t.Errorf("the waiting job %d is on Nomad (err %v): it should wait in the coordinator", last.ID, err)
	}
	var held []string
	for _, id := range run {
		allocs, _, err := agent.API().Jobs().Allocations(NomadID(store.View().Job(id)), false, nil)
		if err != nil || len(allocs) != 1 {
			t.Fatalf("allocations of job %d: %v %v", id, allocs, err)
		}
		full, _, err := agent.API().Allocations().Info(allocs[0].ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range full.AllocatedResources.Tasks[TaskName].Devices {
			held = append(held, d.DeviceIDs...)
		}
	}
	slices.Sort(held)
	if len(held) != 8 || len(slices.Compact(slices.Clone(held))) != 8 {
		t.Errorf("the four jobs hold GPUs %v, want 8 different ones", held)
	}

	// sinfo's view of the node: all 8 fake GPUs used.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, _, err := nodes.Snapshot(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 && slices.Equal(got[0].Gres, []string{"gpu:a100:8(fake)"}) && slices.Equal(got[0].GresUsed, []string{"gpu:a100:8(IDX:0-7)"}) {
			if g := got[0].GPUs; len(g) != 1 || g[0].Model != "NVIDIA A100-SXM4-40GB" || !g[0].Fake || g[0].Used != 8 {
				t.Errorf("GPUs %+v", g)
			}
			if m := nodes.ModelsOfType("A100"); !slices.Equal(m, []string{"NVIDIA A100-SXM4-40GB"}) {
				t.Errorf("models of type A100: %v", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nodes %+v, want one with Gres gpu:a100:8(fake), GresUsed gpu:a100:8(IDX:0-7)", got)
		}
		select {
		case <-time.After(200 * time.Millisecond): // the allocations reach the client
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}

	// One ends (cancelled): the fifth gets its GPUs.
	apply(state.CmdJobCancel, state.JobCancelCmd{Time: time.Now(), By: state.Actor{Management: true}, Refs: []state.JobRef{{JobID: run[0], Task: state.NoTask}}})
	until("the fifth job running", func(v *state.View) bool {
		j := v.Job(last.ID)
		return j.State == state.StateRunning && j.NodeList != ""
	})
	for _, id := range ids {
		if !store.View().Job(id).State.Terminal() {
			apply(state.CmdJobCancel, state.JobCancelCmd{Time: time.Now(), By: state.Actor{Management: true}, Refs: []state.JobRef{{JobID: id, Task: state.NoTask}}})
		}
	}

	// A GPU array: as many tasks start as the GPUs hold (4 of 6), the
	// rest wait PENDING (Resources) in the coordinator, not in Nomad.
	sub := parse(t, "#!/bin/sh\n#SBATCH --array=1-6 --gres=gpu:2 --mem=64M -o /dev/null\nsleep 120\n")
	sub.Cwd = dir
	base := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "root", Submission: sub, DefaultPartition: "debug",
		Job: fromspec.MustRecord(sub.Spec, "debug")}).Value.(state.JobSubmitResult).JobID
	tasks := func(v *state.View) (placed, all int) {
		for _, tj := range v.ArrayTasks(base) {
			all++
			if tj.State == state.StateRunning && tj.NodeList != "" {
				placed++
			}
		}
		return placed, all
	}
	until("four array tasks running on the node, the rest PENDING (Resources)", func(v *state.View) bool {
		placed, _ := tasks(v)
		b := v.Job(base)
		return placed == 4 && b.State == state.StatePending && b.Reason == state.ReasonResources
	})
	if placed, all := tasks(store.View()); placed != 4 || all != 4 {
		t.Errorf("array: %d tasks on the node of %d started, want 4 of 4 (none waiting in Nomad)", placed, all)
	}
	apply(state.CmdJobCancel, state.JobCancelCmd{Time: time.Now(), By: state.Actor{Management: true}, Refs: []state.JobRef{{JobID: base, Task: state.AllTasks}}})
}
