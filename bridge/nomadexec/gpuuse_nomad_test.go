package nomadexec

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// TestGPUAccountingOnNomad: on a real Nomad whose node has 4 GPUs (the
// hpcbridge-gpu device plugin on its fake backend), the coordinator's
// scheduler and executor follow a 2-GPU run to its end and record, in the
// replicated state, the GPUs Nomad allocated to it (read back from the
// Nomad servers), their node and GPUs x the run's time; no NVML figures
// (the fake backend measures nothing: not measured, not zero). The run is
// a raw_exec task under the executor's job and task names, so that the
// test needs neither root nor the task driver.
func TestGPUAccountingOnNomad(t *testing.T) {
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
				"fake_seed": "gpu-accounting", "fingerprint_period": "1s"}},
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var nodeGPUs []string
	if _, err := agent.WaitDevices(ctx, func(gs []nomadagent.DeviceGroup) bool {
		nodeGPUs = nil
		for _, g := range gs {
			if g.Vendor+"/"+g.Type != GPUDevice {
				continue
			}
			for _, in := range g.Instances {
				if in.Healthy {
					nodeGPUs = append(nodeGPUs, in.ID)
				}
			}
		}
		return len(nodeGPUs) == 4
	}); err != nil {
		t.Fatalf("4 fake GPUs: %v", err)
	}

	// A 2-GPU job the state says runs, and its run on Nomad.
	store := state.New()
	raft := &directRaft{store: store}
	apply := raft.applier(ctx, t)
	sub := parse(t, "#!/bin/sh\n#SBATCH --gres=gpu:2\nsleep 2\n")
	id := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "ada", Submission: sub, DefaultPartition: "debug",
		Job: fromspec.MustRecord(sub.Spec, "debug")}).Value.(state.JobSubmitResult).JobID
	apply(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: id, Task: state.NoTask})
	nid := NomadID(store.View().Job(id))
	zero, one := 0, 1
	job := &api.Job{ID: &nid, Name: &nid, Type: ptr("batch"), Datacenters: []string{"*"},
		Meta: map[string]string{MetaJobID: strconv.FormatUint(id, 10)},
		TaskGroups: []*api.TaskGroup{{Name: ptr("job"), Count: &one,
			RestartPolicy:    &api.RestartPolicy{Attempts: &zero, Mode: ptr("fail")},
			ReschedulePolicy: &api.ReschedulePolicy{Attempts: &zero, Unlimited: ptr(false)},
			Tasks: []*api.Task{{Name: TaskName, Driver: "raw_exec",
				Config: map[string]any{"command": "/bin/sh", "args": []string{"-c", "sleep 2"}},
				Resources: &api.Resources{CPU: ptr(100), MemoryMB: ptr(32),
					Devices: []*api.RequestedDevice{{Name: GPUDevice, Count: ptr(uint64(2))}}}}}}}}
	if _, _, err := agent.API().Jobs().Register(job, nil); err != nil {
		t.Fatal(err)
	}

	// The coordinator's term: the executor adopts the run and follows it,
	// the scheduler commits what it reports.
	e := New(Config{Client: agent.API(), Store: store, Raft: raft, ReconcileInterval: 500 * time.Millisecond})
	s := sched.New(sched.Config{Store: store, Raft: raft, Executor: e, Interval: 500 * time.Millisecond})
	term, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.RunTerm(term) })
	wg.Go(func() { _ = s.Run(term) })
	defer func() { stop(); wg.Wait() }()

	var j *state.Job
	for {
		changed := store.WatchJobs()
		if j = store.View().Job(id); j.State.Terminal() {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("job %d still %s", id, j.State)
		}
	}
	stop()
	wg.Wait()

	allocs, _, err := agent.API().Jobs().Allocations(nid, true, nil)
	if err != nil || len(allocs) != 1 {
		t.Fatalf("allocations of %s: %v %v", nid, allocs, err)
	}
	full, _, err := agent.API().Allocations().Info(allocs[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	var allocated []string
	for _, d := range full.AllocatedResources.Tasks[TaskName].Devices {
		allocated = append(allocated, d.DeviceIDs...)
	}
	slices.Sort(allocated)
	if j.State != state.StateCompleted || j.GPU == nil {
		t.Fatalf("job %d: %s, GPU %+v; want COMPLETED with its GPUs", id, j.State, j.GPU)
	}
	if !slices.Equal(j.GPU.UUIDs, allocated) || len(allocated) != 2 {
		t.Errorf("accounted GPUs %v, Nomad allocated %v", j.GPU.UUIDs, allocated)
	}
	for _, u := range j.GPU.UUIDs {
		if !slices.Contains(nodeGPUs, u) {
			t.Errorf("accounted GPU %s is not one of the node's %v", u, nodeGPUs)
		}
	}
	if j.GPU.Node != full.NodeName || j.GPU.NodeID != full.NodeID || j.NodeList != full.NodeName {
		t.Errorf("GPU node %q (%s), job on %q; Nomad placed it on %q (%s)", j.GPU.Node, j.GPU.NodeID, j.NodeList, full.NodeName, full.NodeID)
	}
	task := full.TaskStates[TaskName]
	if !j.StartTime.Equal(task.StartedAt) || !j.EndTime.Equal(task.FinishedAt) {
		t.Errorf("run %v to %v; Nomad's task ran %v to %v", j.StartTime, j.EndTime, task.StartedAt, task.FinishedAt)
	}
	if want := state.GPUSeconds(2, j.StartTime, j.EndTime); j.GPU.Seconds != want || want < 2 {
		t.Errorf("GPU-seconds %d, want 2 x %v = %d (at least 2: it slept 2 s)", j.GPU.Seconds, j.EndTime.Sub(j.StartTime), want)
	}
	if j.GPU.Measured != nil {
		t.Errorf("NVML figures %+v on the fake backend, want none (not measured)", j.GPU.Measured)
	}
}
