package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	gpuA = "GPU-0a1b2c3d-0000-4000-8000-000000000001"
	gpuB = "GPU-0a1b2c3d-0000-4000-8000-000000000002"
)

func twoGPUs() *GPUAlloc {
	return &GPUAlloc{NodeID: "4c9b6f1e-node", Node: "node1", UUIDs: []string{gpuA, gpuB}}
}

// gpuRun starts the job at start and records its placement with two GPUs.
func (f *requeueFixture) gpuRun(start time.Time) {
	f.t.Helper()
	f.apply(CmdJobStart, JobStartCmd{Time: start, JobID: f.id, Task: NoTask})
	f.apply(CmdJobPlaced, JobPlacedCmd{Time: start, JobID: f.id, NodeList: "node1", GPU: twoGPUs()})
}

func TestGPUSecondsOfAFinishedJob(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(5 * time.Second)
	f.gpuRun(start)
	j := f.job()
	if j.GPU == nil || !reflect.DeepEqual(j.GPU.GPUAlloc, *twoGPUs()) || j.GPU.Seconds != 0 || j.GPU.Measured != nil {
		t.Fatalf("running job's GPU = %+v, want the allocation, 0 seconds, not measured", j.GPU)
	}
	// The end a fraction of a second past 90 s: whole seconds, as Elapsed.
	end := start.Add(90*time.Second + 700*time.Millisecond)
	m := &GPUMeasure{UtilMaxPct: 87, MemPeakMiB: 30517, Samples: 18}
	f.apply(CmdJobFinish, JobFinishCmd{Time: end, JobID: f.id, State: StateCompleted, Measured: m})
	j = f.job()
	if j.GPU.Seconds != 2*90 {
		t.Errorf("GPU-seconds = %d, want 2 GPUs x 90 s = 180", j.GPU.Seconds)
	}
	if j.GPU.Measured == nil || *j.GPU.Measured != *m {
		t.Errorf("NVML figures = %+v, want %+v", j.GPU.Measured, m)
	}
}

// A run whose placement was not recorded gets its GPUs from the finish;
// a placement's allocation is not replaced by a later one.
func TestGPUAllocFromFinishAndFirstStands(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(time.Second)
	f.apply(CmdJobStart, JobStartCmd{Time: start, JobID: f.id, Task: NoTask})
	f.apply(CmdJobFinish, JobFinishCmd{Time: start.Add(10 * time.Second), JobID: f.id, State: StateFailed, ExitCode: 1, GPU: twoGPUs()})
	if got := f.job().GPU; got == nil || got.Seconds != 20 {
		t.Fatalf("GPU = %+v, want 20 GPU-seconds from the finish's allocation", got)
	}

	g := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	g.gpuRun(start)
	other := &GPUAlloc{Node: "node2", UUIDs: []string{"GPU-other"}}
	g.apply(CmdJobPlaced, JobPlacedCmd{Time: start, JobID: g.id, NodeList: "node1", GPU: other})
	g.apply(CmdJobFinish, JobFinishCmd{Time: start.Add(10 * time.Second), JobID: g.id, State: StateCompleted, GPU: other})
	if got := g.job().GPU; got.Node != "node1" || len(got.UUIDs) != 2 || got.Seconds != 20 {
		t.Errorf("GPU = %+v, want the first allocation (node1, 2 GPUs, 20 s)", got)
	}
}

// Runs that the coordinator ends (scancel, a time limit, a requeue) are
// counted to the end accounting gives them, as Elapsed is.
func TestGPUSecondsOfRunsTheCoordinatorEnds(t *testing.T) {
	start := t0.Add(time.Second)
	t.Run("cancel", func(t *testing.T) {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.gpuRun(start)
		f.apply(CmdJobCancel, JobCancelCmd{Time: start.Add(time.Minute), By: Actor{User: "alice"}, Refs: []JobRef{{JobID: f.id, Task: AllTasks}}})
		if got := f.job().GPU.Seconds; got != 120 {
			t.Errorf("GPU-seconds = %d, want 120", got)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.gpuRun(start)
		f.finish(start.Add(30*time.Second), StateTimeout, 0, 15)
		if got := f.job().GPU.Seconds; got != 60 {
			t.Errorf("GPU-seconds = %d, want 60", got)
		}
	})
	t.Run("requeue while running", func(t *testing.T) {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.gpuRun(start)
		f.requeue(start.Add(40 * time.Second))
		j := f.job()
		if j.GPU != nil {
			t.Errorf("the requeued job's next run has GPU %+v, want none yet", j.GPU)
		}
		if got := j.Runs[0].GPU; got == nil || got.Seconds != 80 || got.Node != "node1" {
			t.Errorf("run 0 GPU = %+v, want node1, 80 GPU-seconds", got)
		}
	})
	t.Run("requeue after finishing", func(t *testing.T) {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.gpuRun(start)
		f.finish(start.Add(10*time.Second), StateCompleted, 0, 0)
		f.requeue(start.Add(time.Hour))
		// The GPUs were released when it finished: the hour after is not counted.
		if got := f.job().Runs[0].GPU; got == nil || got.Seconds != 20 {
			t.Errorf("run 0 GPU = %+v, want 20 GPU-seconds (to the finish, not the requeue)", got)
		}
		f.gpuRun(start.Add(2 * time.Hour))
		f.finish(start.Add(2*time.Hour+5*time.Second), StateCompleted, 0, 0)
		if got := f.job(); got.GPU.Seconds != 10 || got.Runs[0].GPU.Seconds != 20 {
			t.Errorf("second run %d, first %d GPU-seconds; want 10 and 20", got.GPU.Seconds, got.Runs[0].GPU.Seconds)
		}
	})
	t.Run("node failure requeues", func(t *testing.T) {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.gpuRun(start)
		f.apply(CmdJobFinish, JobFinishCmd{Time: start.Add(15 * time.Second), JobID: f.id, State: StateNodeFail,
			Measured: &GPUMeasure{UtilMaxPct: 5, MemPeakMiB: 1, Samples: 1}})
		j := f.job()
		if j.State != StatePending || j.GPU != nil {
			t.Fatalf("after NODE_FAIL: %s, GPU %+v; want PENDING without GPU", j.State, j.GPU)
		}
		if got := j.Runs[0].GPU; got == nil || got.Seconds != 30 || got.Measured == nil || got.Measured.UtilMaxPct != 5 {
			t.Errorf("run 0 GPU = %+v, want 30 GPU-seconds and the measurement", got)
		}
	})
}

// A donor's node reports the measurement: the leader refuses to log
// nonsense, and an entry that carries it anyway keeps nothing (not
// measured, never a made-up or clamped figure).
func TestGPUMeasureBounds(t *testing.T) {
	bad := []GPUMeasure{
		{UtilMaxPct: 101, MemPeakMiB: 1, Samples: 1},
		{UtilMaxPct: -1, MemPeakMiB: 1, Samples: 1},
		{UtilMaxPct: 50, MemPeakMiB: -5, Samples: 1},
		{UtilMaxPct: 50, MemPeakMiB: MaxGPUMemMiB + 1, Samples: 1},
		{UtilMaxPct: 50, MemPeakMiB: 1, Samples: 0},
	}
	for _, m := range bad {
		c := JobFinishCmd{Time: t0, JobID: 1, State: StateCompleted, Measured: &m}
		if _, err := Encode(CmdJobFinish, c); err == nil {
			t.Errorf("Encode accepted measurement %+v", m)
		}
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.gpuRun(t0.Add(time.Second))
		c.JobID = f.id
		body, _ := json.Marshal(c)
		f.idx++
		if res := f.s.Apply(f.idx, append([]byte{byte(CmdJobFinish), 3}, body...)); res.Err != nil {
			t.Fatal(res.Err)
		}
		if got := f.job().GPU; got.Measured != nil {
			t.Errorf("measurement %+v was kept: %+v", m, got.Measured)
		}
	}
	badAllocs := []*GPUAlloc{
		{Node: "n", UUIDs: []string{gpuB, gpuA}},
		{Node: "n", UUIDs: []string{gpuA, gpuA}},
		{Node: "n", UUIDs: []string{""}},
		{Node: "n", UUIDs: []string{"GPU-\x1b[2J"}},
		{Node: "n", UUIDs: []string{strings.Repeat("x", MaxGPUIDLen+1)}},
		{Node: strings.Repeat("n", MaxGPUNodeLen+1), UUIDs: []string{gpuA}},
		{Node: "n", UUIDs: make([]string, MaxGPUsPerRun+1)},
	}
	for _, g := range badAllocs {
		if _, err := Encode(CmdJobPlaced, JobPlacedCmd{Time: t0, JobID: 1, GPU: g}); err == nil {
			t.Errorf("Encode accepted allocation %.80v", g)
		}
	}
}

// Older versions of JobPlaced and JobFinish never carried a GPU: a field
// of that name in such an entry is not read.
func TestGPUOlderVersionsIgnoreIt(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(time.Second)
	f.apply(CmdJobStart, JobStartCmd{Time: start, JobID: f.id, Task: NoTask})
	raw := func(ct CommandType, v uint8, p any) {
		body, _ := json.Marshal(p)
		f.idx++
		if res := f.s.Apply(f.idx, append([]byte{byte(ct), v}, body...)); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	raw(CmdJobPlaced, 1, JobPlacedCmd{Time: start, JobID: f.id, NodeList: "node1", GPU: twoGPUs()})
	raw(CmdJobFinish, 2, JobFinishCmd{Time: start.Add(time.Minute), JobID: f.id, State: StateCompleted, GPU: twoGPUs()})
	if got := f.job(); got.GPU != nil || got.State != StateCompleted {
		t.Errorf("after JobPlaced 1 and JobFinish 2: %s, GPU %+v; want COMPLETED without GPU", got.State, got.GPU)
	}
}

func TestGPUSnapshotRestores(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(time.Second)
	f.gpuRun(start)
	f.requeue(start.Add(time.Minute))
	f.gpuRun(start.Add(2 * time.Minute))
	f.apply(CmdJobFinish, JobFinishCmd{Time: start.Add(3 * time.Minute), JobID: f.id, State: StateCompleted,
		Measured: &GPUMeasure{UtilMaxPct: 100, MemPeakMiB: 81559, Samples: 4}})
	var buf bytes.Buffer
	if err := f.s.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	got, want := r.View().Job(f.id), f.job()
	if !reflect.DeepEqual(got.GPU, want.GPU) || !reflect.DeepEqual(got.Runs, want.Runs) {
		t.Errorf("restored GPU %+v runs %+v; want %+v %+v", got.GPU, got.Runs, want.GPU, want.Runs)
	}
	if got.GPU.Seconds != 120 || got.Runs[0].GPU.Seconds != 120 {
		t.Errorf("GPU-seconds %d and %d, want 120 and 120", got.GPU.Seconds, got.Runs[0].GPU.Seconds)
	}
}

// twoNodes is a 2-node run's GPUs (--gpus-per-node=2): two on node1, two
// on node2.
func twoNodes() *GPUAlloc {
	g := twoGPUs()
	g.OtherNodes = []GPUNode{{NodeID: "7d2e0a41-node", Node: "node2", UUIDs: []string{
		"GPU-0a1b2c3d-0000-4000-8000-000000000003", "GPU-0a1b2c3d-0000-4000-8000-000000000004"}}}
	return g
}

// A multi-node run's GPU-seconds count the GPUs of all its nodes, and its
// record lists each node with its own GPUs, whether the placement or the
// finish brought them.
func TestGPUSecondsOfAMultiNodeRun(t *testing.T) {
	start := t0.Add(time.Second)
	end := start.Add(90*time.Second + 300*time.Millisecond)
	check := func(t *testing.T, j *Job) {
		t.Helper()
		if j.GPU == nil || j.GPU.Count() != 4 || j.GPU.Seconds != 4*90 {
			t.Fatalf("GPU = %+v, want 4 GPUs x 90 s = 360 GPU-seconds", j.GPU)
		}
		nodes := j.GPU.PerNode()
		if len(nodes) != 2 || nodes[0].Node != "node1" || nodes[1].Node != "node2" ||
			!reflect.DeepEqual(nodes[0].UUIDs, twoNodes().UUIDs) || !reflect.DeepEqual(nodes[1].UUIDs, twoNodes().OtherNodes[0].UUIDs) {
			t.Errorf("per node %+v, want node1 and node2 with 2 GPUs each", nodes)
		}
	}
	t.Run("placed", func(t *testing.T) {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.apply(CmdJobStart, JobStartCmd{Time: start, JobID: f.id, Task: NoTask})
		f.apply(CmdJobPlaced, JobPlacedCmd{Time: start, JobID: f.id, NodeList: "node[1-2]", GPU: twoNodes()})
		f.finish(end, StateCompleted, 0, 0)
		check(t, f.job())
	})
	t.Run("finished", func(t *testing.T) {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.apply(CmdJobStart, JobStartCmd{Time: start, JobID: f.id, Task: NoTask})
		f.apply(CmdJobPlaced, JobPlacedCmd{Time: start, JobID: f.id, NodeList: "node[1-2]"})
		f.apply(CmdJobFinish, JobFinishCmd{Time: end, JobID: f.id, State: StateCompleted, GPU: twoNodes()})
		check(t, f.job())
	})
	t.Run("requeued", func(t *testing.T) {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.apply(CmdJobStart, JobStartCmd{Time: start, JobID: f.id, Task: NoTask})
		f.apply(CmdJobPlaced, JobPlacedCmd{Time: start, JobID: f.id, NodeList: "node[1-2]", GPU: twoNodes()})
		f.requeue(end)
		if got := f.job().Runs[0].GPU; got == nil || got.Seconds != 360 || len(got.PerNode()) != 2 {
			t.Errorf("run 0 GPU = %+v, want 2 nodes, 360 GPU-seconds", got)
		}
	})
}

// JobPlaced 2 and JobFinish 3 entries kept only the first node's GPUs:
// other nodes in such an entry are dropped, as the servers that wrote it
// applied it (the log replays to the same state).
func TestGPUOtherNodesOnlyFromNewVersions(t *testing.T) {
	raw := func(f *requeueFixture, ct CommandType, v uint8, p any) {
		body, _ := json.Marshal(p)
		f.idx++
		if res := f.s.Apply(f.idx, append([]byte{byte(ct), v}, body...)); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	start := t0.Add(time.Second)
	for _, tc := range []struct {
		ct CommandType
		v  uint8
	}{{CmdJobPlaced, 2}, {CmdJobFinish, 3}} {
		f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
		f.apply(CmdJobStart, JobStartCmd{Time: start, JobID: f.id, Task: NoTask})
		if tc.ct == CmdJobPlaced {
			raw(f, tc.ct, tc.v, JobPlacedCmd{Time: start, JobID: f.id, NodeList: "node[1-2]", GPU: twoNodes()})
			f.finish(start.Add(10*time.Second), StateCompleted, 0, 0)
		} else {
			raw(f, tc.ct, tc.v, JobFinishCmd{Time: start.Add(10 * time.Second), JobID: f.id, State: StateCompleted, GPU: twoNodes()})
		}
		if got := f.job().GPU; got == nil || got.OtherNodes != nil || got.Seconds != 20 {
			t.Errorf("%s %d: GPU %+v, want node1's 2 GPUs only, 20 GPU-seconds", tc.ct, tc.v, got)
		}
	}
}

func TestGPUOtherNodesBounds(t *testing.T) {
	dup := twoNodes()
	dup.OtherNodes[0].Node = "node1"
	empty := twoNodes()
	empty.OtherNodes[0].UUIDs = nil
	unsorted := twoNodes()
	slices.Reverse(unsorted.OtherNodes[0].UUIDs)
	many := twoGPUs()
	many.OtherNodes = make([]GPUNode, MaxGPUNodesPerRun)
	for i := range many.OtherNodes {
		many.OtherNodes[i] = GPUNode{Node: fmt.Sprintf("n%d", i), UUIDs: []string{gpuA}}
	}
	tooMany := twoGPUs()
	for i := range MaxGPUsPerMultiRun / MaxGPUsPerRun {
		ids := make([]string, MaxGPUsPerRun)
		for k := range ids {
			ids[k] = fmt.Sprintf("GPU-%d-%03d", i, k)
		}
		tooMany.OtherNodes = append(tooMany.OtherNodes, GPUNode{Node: fmt.Sprintf("n%d", i), UUIDs: ids})
	}
	for name, g := range map[string]*GPUAlloc{"same node twice": dup, "node without GPUs": empty,
		"unsorted ids": unsorted, "too many nodes": many, "too many GPUs": tooMany} {
		if err := g.Check(); err == nil {
			t.Errorf("%s: Check accepted it", name)
		}
		if _, err := Encode(CmdJobPlaced, JobPlacedCmd{Time: t0, JobID: 1, GPU: g}); err == nil {
			t.Errorf("%s: Encode accepted it", name)
		}
	}
	if err := twoNodes().Check(); err != nil {
		t.Errorf("two nodes' GPUs: %v", err)
	}
}
