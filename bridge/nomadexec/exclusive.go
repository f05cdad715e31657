package nomadexec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/gpufit"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// wholeNodeJob renders an --exclusive job for a node it can have to itself
// now: of the ready, eligible nodes (by name), the first where Nomad's plan
// places the job pinned there with all the node's CPU and memory, which it
// can only when nothing else runs there and the node passes the job's
// other constraints (partition, features, node list). With no such node it
// returns sched.ErrNotYet: the scheduler offers the job again on a later
// pass, and it waits, as in Slurm, for a node to empty.
//
// Every mode of --exclusive (user, mcs, topo too) gets a whole node here:
// never sharing is stricter than those modes ask, never looser.
func (e *Executor) wholeNodeJob(ctx context.Context, j *state.Job, sub *state.Submission) (*api.Job, error) {
	q := (&api.QueryOptions{Params: map[string]string{"resources": "true"}}).WithContext(ctx)
	nodes, _, err := e.cfg.Client.Nodes().List(q)
	if err != nil {
		return nil, fmt.Errorf("list nodes for exclusive job %s: %w", j.SlurmID(), err)
	}
	slices.SortFunc(nodes, func(a, b *api.NodeListStub) int { return strings.Compare(a.Name, b.Name) })
	for _, n := range nodes {
		whole, ok := wholeOf(n)
		if !ok {
			continue
		}
		job, err := e.cfg.Translation.translate(j, sub, &whole)
		if err != nil {
			return nil, err
		}
		plan, _, err := e.cfg.Client.Jobs().Plan(job, false, (&api.WriteOptions{}).WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("plan exclusive job %s on %s: %w", j.SlurmID(), n.Name, err)
		}
		if len(plan.FailedTGAllocs) == 0 {
			return job, nil
		}
	}
	return nil, fmt.Errorf("exclusive job %s: no idle node (%d nodes): %w", j.SlurmID(), len(nodes), sched.ErrNotYet)
}

// Admit says whether the scheduler may start j now: a GPU job only while a
// node has its GPUs free (admitGPUs); any other job but an --exclusive
// one, which only while a node it can have whole is idle (see
// wholeNodeJob; after a look that found none, it waits exclusiveRetryGap
// before the next). So an exclusive job waits PENDING (Resources), as in
// Slurm, rather than started and unplaced. Array tasks are admitted and
// wait in Start instead.
func (e *Executor) Admit(ctx context.Context, j *state.Job, sub *state.Submission) bool {
	if sub == nil || sub.Spec == nil {
		return true
	}
	if jobNodes(sub) > 1 && !j.IsArrayBase() {
		return e.admitMulti(ctx, j, sub)
	}
	if sub.Spec.Exclusive == nil || j.IsArrayBase() {
		if parts := gpufit.Parts(sub.Spec); parts != nil {
			return e.admitGPUs(ctx, j, sub, parts)
		}
		return true
	}
	if _, err := e.cfg.Translation.Translate(j, sub); err != nil {
		return true // Start fails it, saying why
	}
	_, err := e.lookWhole(ctx, j, sub)
	return err == nil
}

// lookWhole is wholeNodeJob at most once per exclusiveRetryGap for a job:
// after a look that found no idle node (or no answer from Nomad) it
// answers sched.ErrNotYet until the gap is over.
func (e *Executor) lookWhole(ctx context.Context, j *state.Job, sub *state.Submission) (*api.Job, error) {
	e.mu.Lock()
	wait := time.Until(e.exclusiveRetry[j.ID])
	e.mu.Unlock()
	if wait > 0 {
		return nil, fmt.Errorf("exclusive job %s: next look for an idle node in %v: %w", j.SlurmID(), wait.Round(time.Millisecond), sched.ErrNotYet)
	}
	job, err := e.wholeNodeJob(ctx, j, sub)
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		delete(e.exclusiveRetry, j.ID)
		return job, nil
	}
	if len(e.exclusiveRetry) > 1024 { // jobs cancelled while they waited
		for id, t := range e.exclusiveRetry {
			if t.Before(now) {
				delete(e.exclusiveRetry, id)
			}
		}
	}
	e.exclusiveRetry[j.ID] = now.Add(exclusiveRetryGap)
	return nil, err
}

// wholeOf is what a node can give one job, if it takes jobs at all.
func wholeOf(n *api.NodeListStub) (wholeNode, bool) {
	if n.Status != api.NodeStatusReady || n.SchedulingEligibility != api.NodeSchedulingEligible || n.Drain || n.NodeResources == nil {
		return wholeNode{}, false
	}
	w := wholeNode{ID: n.ID, Name: n.Name, CPUs: int(n.NodeResources.Cpu.TotalCpuCores),
		MHz: int(n.NodeResources.Cpu.CpuShares), MemMiB: n.NodeResources.Memory.MemoryMB}
	if r := n.ReservedResources; r != nil {
		w.MHz -= int(r.Cpu.CpuShares)
		w.MemMiB -= int64(r.Memory.MemoryMB)
	}
	if w.CPUs <= 0 || w.MHz <= 0 || w.MemMiB <= 0 {
		return wholeNode{}, false
	}
	return w, true
}
