package fairshare_test

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare/fairsharetest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Compute's usage from the state's runs, without decay: CPUs and GPUs
// billed by their weights, every run of a requeued job, a running job to
// T, a job without an account under (null), users under their account;
// an account whose jobs only wait is a row with no usage.
func TestComputeUsage(t *testing.T) {
	s, apply := fairsharetest.Store()
	at := t0.Add(time.Hour)
	two := fairsharetest.Submit(t, apply, t0, "debug", "alice", "a", "--cpus-per-task=2")
	fairsharetest.Run(t, apply, two, "n1", t0, t0.Add(100*time.Second)) // 2 CPUs × 100 s
	null := fairsharetest.Submit(t, apply, t0, "debug", "bob", "")
	fairsharetest.Run(t, apply, null, "n1", t0, t0.Add(50*time.Second)) // (null): 50
	// Requeued after 10 s, then 20 s: 30.
	rq := fairsharetest.Submit(t, apply, t0, "debug", "carol", "a")
	apply(t, state.CmdJobStart, state.JobStartCmd{Time: t0, JobID: rq, Task: state.NoTask})
	apply(t, state.CmdJobRequeue, state.JobRequeueCmd{Time: t0.Add(10 * time.Second), By: state.Actor{Management: true},
		Refs: []state.JobRef{{JobID: rq, Task: state.AllTasks}}})
	fairsharetest.Run(t, apply, rq, "n1", t0.Add(time.Minute), t0.Add(time.Minute+20*time.Second))
	// Running for the last 30 s before T.
	run := fairsharetest.Submit(t, apply, t0, "debug", "alice", "a")
	apply(t, state.CmdJobStart, state.JobStartCmd{Time: at.Add(-30 * time.Second), JobID: run, Task: state.NoTask})
	// One GPU and one CPU for 10 s, a GPU billed 10: 110.
	gpu := fairsharetest.Submit(t, apply, t0, "debug", "dave", "g", "--gpus=1")
	apply(t, state.CmdJobStart, state.JobStartCmd{Time: t0, JobID: gpu, Task: state.NoTask})
	apply(t, state.CmdJobPlaced, state.JobPlacedCmd{Time: t0, JobID: gpu, NodeList: "n1", GPU: &state.GPUAlloc{Node: "n1", UUIDs: []string{"GPU-0"}}})
	apply(t, state.CmdJobFinish, state.JobFinishCmd{Time: t0.Add(10 * time.Second), JobID: gpu, State: state.StateCompleted,
		GPU: &state.GPUAlloc{Node: "n1", UUIDs: []string{"GPU-0"}}})
	fairsharetest.Submit(t, apply, t0, "debug", "erin", "waits")

	c := fairshare.DefaultConfig()
	c.HalfLife, c.BillingCPU, c.BillingGPU = 0, 1, 10
	tab := fairshare.Compute(s.View(), c, at)
	want := map[string]float64{"a": 200 + 30 + 30, fairshare.NullAccount: 50, "g": 110, "waits": 0}
	if len(tab.Accounts) != len(want) {
		t.Errorf("accounts %v, want %v", keys(tab), want)
	}
	for name, u := range want {
		a := tab.Accounts[name]
		if a == nil || a.RawUsage != u || a.RawShares != 1 {
			t.Errorf("account %q: %+v, want usage %v", name, a, u)
			continue
		}
		if f := math.Exp2(-(u / 420) / (1.0 / 4)); math.Abs(a.FairShare-f) > 1e-12 || math.Abs(a.NormShares-1.0/4) > 1e-12 {
			t.Errorf("account %q: factor %v, want %v", name, a.FairShare, f)
		}
	}
	if tab.TotalUsage != 420 || tab.TotalShares != 4 {
		t.Errorf("totals %v %v", tab.TotalUsage, tab.TotalShares)
	}
	if u := tab.Accounts["a"].Users; len(u) != 2 || u[0].Name != "alice" || u[0].RawUsage != 230 || u[1].Name != "carol" || u[1].RawUsage != 30 {
		t.Errorf("users of a: %+v %+v", u[0], u[1])
	}
}

func keys(t *fairshare.Table) []string {
	var out []string
	for _, a := range t.Sorted() {
		out = append(out, a.Name)
	}
	return out
}

// BenchmarkCompute is one share table over 20000 finished jobs of 200
// accounts (once per calculation period on each server).
func BenchmarkCompute(b *testing.B) {
	s, apply := fairsharetest.Store()
	for i := range 20000 {
		id := fairsharetest.Submit(b, apply, t0, "debug", "u", "acct"+strconv.Itoa(i%200))
		fairsharetest.Run(b, apply, id, "n1", t0, t0.Add(time.Minute))
	}
	c := fairshare.DefaultConfig()
	b.ResetTimer()
	for range b.N {
		fairshare.Compute(s.View(), c, t0.Add(time.Hour))
	}
}
