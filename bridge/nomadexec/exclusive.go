package nomadexec

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/nomad/api"

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
