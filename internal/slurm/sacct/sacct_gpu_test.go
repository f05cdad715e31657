package sacct

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// gpuBase is the day of the GPU scenario: its jobs were submitted at
// 18:00:00, before slurmtest.ScenarioNow (18:41:55).
var gpuBase = time.Date(2026, 11, 21, 18, 0, 0, 0, time.UTC)

const (
	uuid0 = "GPU-8f3e0c1a-5b2d-4e6f-9a7b-000000000000"
	uuid1 = "GPU-8f3e0c1a-5b2d-4e6f-9a7b-000000000001"
	uuid2 = "GPU-8f3e0c1a-5b2d-4e6f-9a7b-000000000002"
)

// gpuJobs builds, through the coordinator's state machine, GPU jobs (all
// submitted at 18:00:00 by root):
//
//	7001 -J train --gres=gpu:2 --mem=8G: on node1 (GPUs 0 and 1) 18:00:05 to
//	     18:10:05.5, COMPLETED; NVML measured 87% and 30517 MiB
//	7002 -J fake --gpus=1: on node1 (GPU 2) 18:00:05 to 18:01:05, COMPLETED;
//	     not measured (the fake backend)
//	7003 -J requeued --gres=gpu:1: on node1 (GPU 0) from 18:00:05, node lost
//	     at 18:05:05 (NODE_FAIL, requeued); running on node2 (GPU 1)
//	     since 18:40:55
//	7004 -J cpu: no GPUs, COMPLETED 18:00:05 to 18:00:15
//	7005 -J unseen --gpus=1: started 18:00:05, its allocation not yet
//	     reported by the executor
//	7006 -J mpi -N 2 --gpus-per-node=2: on node[1-2] (GPUs 0 and 1 of
//	     each) 18:00:05 to 18:01:35, COMPLETED
func gpuJobs(t *testing.T) []*state.Job {
	t.Helper()
	apply, jobs := stateLog(t)
	at := func(d time.Duration) time.Time { return gpuBase.Add(d) }
	apply(state.CmdSetMeta, state.SetMetaCmd{Key: state.MetaNextJobID, Value: "7001"})
	for _, args := range [][]string{
		{"-J", "train", "--gres=gpu:2", "--mem=8G"},
		{"-J", "fake", "--gpus=1"},
		{"-J", "requeued", "--gres=gpu:1"},
		{"-J", "cpu"},
		{"-J", "unseen", "--gpus=1"},
		{"-J", "mpi", "-N", "2", "--gpus-per-node=2"},
	} {
		sub := slurmtest.Submitted(t, "/tmp", "", "", append(args, "--wrap", "sleep 600"))
		apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: gpuBase, User: "root", Submission: sub, DefaultPartition: "debug", Job: fromspec.MustRecord(sub.Spec, "debug")})
	}
	start := at(5 * time.Second)
	run := func(id uint64, when time.Time, node string, uuids ...string) {
		apply(state.CmdJobStart, state.JobStartCmd{Time: when, JobID: id, Task: state.NoTask})
		var g *state.GPUAlloc
		if len(uuids) > 0 {
			g = &state.GPUAlloc{NodeID: "id-" + node, Node: node, UUIDs: uuids}
		}
		apply(state.CmdJobPlaced, state.JobPlacedCmd{Time: when, JobID: id, NodeList: node, GPU: g})
	}
	run(7001, start, "node1", uuid0, uuid1)
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: at(10*time.Minute + 5500*time.Millisecond), JobID: 7001, State: state.StateCompleted,
		Measured: &state.GPUMeasure{UtilMaxPct: 87, MemPeakMiB: 30517, Samples: 120}})
	run(7002, start, "node1", uuid2)
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: at(65 * time.Second), JobID: 7002, State: state.StateCompleted})
	run(7003, start, "node1", uuid0)
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: at(5*time.Minute + 5*time.Second), JobID: 7003, State: state.StateNodeFail})
	run(7003, at(40*time.Minute+55*time.Second), "node2", uuid1)
	run(7004, start, "node1")
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: at(15 * time.Second), JobID: 7004, State: state.StateCompleted})
	apply(state.CmdJobStart, state.JobStartCmd{Time: start, JobID: 7005, Task: state.NoTask})
	apply(state.CmdJobStart, state.JobStartCmd{Time: start, JobID: 7006, Task: state.NoTask})
	apply(state.CmdJobPlaced, state.JobPlacedCmd{Time: start, JobID: 7006, NodeList: "node[1-2]", GPU: &state.GPUAlloc{
		NodeID: "id-node1", Node: "node1", UUIDs: []string{uuid0, uuid1},
		OtherNodes: []state.GPUNode{{NodeID: "id-node2", Node: "node2", UUIDs: []string{uuid0[:len(uuid0)-1] + "a", uuid0[:len(uuid0)-1] + "b"}}}}})
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: at(95 * time.Second), JobID: 7006, State: state.StateCompleted})
	return jobs()
}

// TestSacctGPU renders GPU accounting. The oracle has no accounting
// storage (and AccountingStorageTRES without gres/gpu); the goldens follow
// Slurm 22.05's sacct with AccountingStorageTRES=gres/gpu and gpu
// acct_gather: TRES sorted by name, gres/gpu among them; NVML's figures
// in the batch step's TRESUsageInMax; GPUSeconds is hpcbridge's.
func TestSacctGPU(t *testing.T) {
	jobs := "7001,7002,7003,7004,7005"
	cases := []struct {
		golden string
		args   []string
	}{
		{"gpu-tres", []string{"-D", "-P", "-j", jobs, "-o", "jobid,state,elapsedraw,reqtres,alloctres,gpuseconds,tresusageinmax"}},
		{"gpu-table", []string{"-j", jobs, "-o", "jobid%-12,state,elapsed,alloctres%40,gpuseconds,tresusageinmax%34"}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: gpuJobs(t)}
			code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sacct"}, c.args...)...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			slurmtest.Golden(t, "sacct/"+c.golden+".golden", out)
		})
	}
}

// TestSacctGPUSecondsIsElapsedTimesGPUs: on every record, GPUSeconds is
// the GPUs of AllocTRES times ElapsedRaw (the figure accounting keeps is
// the one sacct's own columns give).
func TestSacctGPUSecondsIsElapsedTimesGPUs(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: gpuJobs(t)}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "-D", "-X", "-n", "-P", "-j", "7001,7002,7003,7004", "-o", "jobid,elapsedraw,alloctres,gpuseconds")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d records, want 5:\n%s", len(lines), out)
	}
	for _, l := range lines {
		f := strings.Split(l, "|")
		var elapsed, gpus, secs int64
		mustScan(t, f[1], &elapsed)
		for _, kv := range strings.Split(f[2], ",") {
			if n, ok := strings.CutPrefix(kv, "gres/gpu="); ok {
				mustScan(t, n, &gpus)
			}
		}
		mustScan(t, f[3], &secs)
		if secs != gpus*elapsed {
			t.Errorf("%s: GPUSeconds %d, want %d GPUs x %d s", f[0], secs, gpus, elapsed)
		}
	}
}

func mustScan(t *testing.T, s string, n *int64) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), n); err != nil {
		t.Fatalf("%q is not a number: %v", s, err)
	}
}

func TestSacctGPUHelpFormat(t *testing.T) {
	code, out, _ := runCmd(t, slurmtest.Deps(&slurmtest.FakeClient{}), "", nil, "sacct", "--helpformat")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	slurmPart, ours, ok := strings.Cut(out, sacctExtensionsHeading)
	if !ok || !strings.HasPrefix(strings.TrimSpace(ours), "GPUSeconds ") {
		t.Errorf("--helpformat does not end with hpcbridge's fields:\n%s", out)
	}
	if strings.Contains(slurmPart, "GPUSeconds") || !strings.HasSuffix(slurmPart, "WorkDir\n") {
		t.Errorf("Slurm's fields are not listed as Slurm lists them:\n%s", slurmPart)
	}
}

func TestSacctGPUJSON(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: gpuJobs(t)}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "--json", "-D", "-j", "7001,7002,7003")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Jobs []struct {
			JobID uint64 `json:"job_id"`
			Tres  struct {
				Allocated []sacctJSONTres `json:"allocated"`
				Requested []sacctJSONTres `json:"requested"`
			} `json:"tres"`
			Steps []struct {
				Tres struct {
					Requested struct {
						Max []sacctJSONTres `json:"max"`
					} `json:"requested"`
				} `json:"tres"`
			} `json:"steps"`
			GPU *sacctJSONGPU `json:"hpcbridge_gpu"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	byID := map[uint64][]int{}
	for i, j := range doc.Jobs {
		byID[j.JobID] = append(byID[j.JobID], i)
	}
	gres := func(ts []sacctJSONTres, name string) int64 {
		for _, x := range ts {
			if x.Type == "gres" && x.Name == name {
				return x.Count
			}
		}
		return -1
	}
	train := doc.Jobs[byID[7001][0]]
	if gres(train.Tres.Allocated, "gpu") != 2 || gres(train.Tres.Requested, "gpu") != 2 {
		t.Errorf("7001 tres %+v, want gres/gpu 2 allocated and requested", train.Tres)
	}
	if g := train.GPU; g == nil || g.Seconds != 2*600 || len(g.UUIDs) != 2 || g.Node != "node1" || g.Measured == nil || g.Measured.UtilMaxPct != 87 {
		t.Errorf("7001 hpcbridge_gpu %+v, want node1, 2 GPUs, 1200 GPU-seconds, measured", g)
	}
	if len(train.Steps) != 1 || gres(train.Steps[0].Tres.Requested.Max, "gpumem") != 30517<<20 || gres(train.Steps[0].Tres.Requested.Max, "gpuutil") != 87 {
		t.Errorf("7001 steps %+v, want the batch step's max gpumem and gpuutil", train.Steps)
	}
	fake := doc.Jobs[byID[7002][0]]
	if g := fake.GPU; g == nil || g.Measured != nil || g.Seconds != 60 {
		t.Errorf("7002 hpcbridge_gpu %+v, want 60 GPU-seconds and no measurement", g)
	}
	if len(fake.Steps) != 1 || len(fake.Steps[0].Tres.Requested.Max) != 0 {
		t.Errorf("7002 step usage %+v, want none (not measured)", fake.Steps)
	}
	if rq := byID[7003]; len(rq) != 2 || doc.Jobs[rq[0]].GPU.Seconds != 300 || doc.Jobs[rq[1]].GPU.Node != "node2" {
		t.Errorf("7003 records %v: want the lost run (300 GPU-seconds) and the running one on node2", rq)
	}
}

// TestSacctGPUMultiNode: a 2-node job with --gpus-per-node=2 holds 4
// GPUs: AllocTRES says gres/gpu=4 and GPUSeconds is 4 x its 90 s, and
// sacct --json lists each node with its GPUs.
func TestSacctGPUMultiNode(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: gpuJobs(t)}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "-D", "-X", "-n", "-P", "-j", "7006", "-o", "jobid,nnodes,nodelist,elapsedraw,reqtres,alloctres,gpuseconds")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := "7006|2|node[1-2]|90|billing=2,cpu=2,gres/gpu=4,node=2|billing=2,cpu=2,gres/gpu=4,node=2|360\n"; out != want {
		t.Errorf("sacct line\n%q, want\n%q", out, want)
	}
	code, out, errs = runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "--json", "-D", "-j", "7006")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Jobs []struct {
			GPU *sacctJSONGPU `json:"hpcbridge_gpu"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Jobs) != 1 || doc.Jobs[0].GPU == nil {
		t.Fatalf("sacct --json: %s", out)
	}
	g := doc.Jobs[0].GPU
	if g.Node != "node1" || len(g.UUIDs) != 2 || len(g.OtherNodes) != 1 || g.OtherNodes[0].Node != "node2" || len(g.OtherNodes[0].UUIDs) != 2 || g.Seconds != 360 {
		t.Errorf("hpcbridge_gpu = %+v, want node1 and node2 with 2 GPUs each, 360 GPU-seconds", g)
	}
}

// stateLog is a fresh state whose apply commits one command (failing the
// test on an error), and jobs its records.
func stateLog(t *testing.T) (apply func(state.CommandType, any), jobs func() []*state.Job) {
	s := state.New()
	var idx uint64
	apply = func(ct state.CommandType, payload any) {
		t.Helper()
		b, err := state.Encode(ct, payload)
		if err != nil {
			t.Fatal(err)
		}
		idx++
		if res := s.Apply(idx, b); res.Err != nil {
			t.Fatalf("command %d: %v", ct, res.Err)
		}
	}
	jobs = func() []*state.Job {
		var out []*state.Job
		s.View().EachJob(func(j *state.Job) bool {
			out = append(out, j)
			return true
		})
		return out
	}
	return apply, jobs
}
