package nomadexec

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// What the Nomad servers observed of a run's allocation: the bound on
// the work a checkpoint receipt is credited for (bridge/credit). Read
// from the servers, never from the node: the node the allocation runs on,
// when its task started and finished (the task state Nomad's servers keep
// from the client's updates: a donor's client reports it, but no more than
// it could claim by holding the allocation, which the servers saw
// placed), and the GPUs and CPUs the scheduler allocated to it.

// ErrNotObserved: the allocation is not one of the run's, or Nomad does
// not know it.
var ErrNotObserved = errors.New("allocation not observed")

var allocIDRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
})

// ObserveAlloc reads allocation allocID from the Nomad servers and returns
// it as credit sees it, after checking that it belongs to run run of job
// j (its Nomad job is the run's: NomadID).
func (e *Executor) ObserveAlloc(ctx context.Context, j *state.Job, run int, allocID string) (*credit.Observed, error) {
	return observeAlloc(ctx, e.cfg.Client, &e.cfg.Translation, j, run, allocID)
}

func observeAlloc(ctx context.Context, client *api.Client, t *Translation, j *state.Job, run int, allocID string) (*credit.Observed, error) {
	if !allocIDRE().MatchString(allocID) {
		return nil, fmt.Errorf("%w: %.80q is not a Nomad allocation id", ErrNotObserved, allocID)
	}
	cp := *j
	cp.RestartCount = run
	want := NomadID(&cp)
	q := &api.QueryOptions{Namespace: t.Namespace, Region: t.Region}
	a, _, err := client.Allocations().Info(allocID, q.WithContext(ctx))
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("%w: Nomad has no allocation %s", ErrNotObserved, allocID)
		}
		return nil, fmt.Errorf("read Nomad allocation %s: %w", allocID, err)
	}
	if a.JobID != want {
		return nil, fmt.Errorf("%w: allocation %s is Nomad job %s's, not %s's (job %d run %d)", ErrNotObserved, allocID, a.JobID, want, j.ID, run)
	}
	return observed(a, t.MHzPerCPU), nil
}

// observed is an allocation as credit sees it.
func observed(a *api.Allocation, mhzPerCPU int) *credit.Observed {
	o := &credit.Observed{NodeID: a.NodeID, Node: a.NodeName, AllocID: a.ID}
	if ts := a.TaskStates[TaskName]; ts != nil {
		o.Start = ts.StartedAt
		if ts.State == "dead" {
			o.Finish = ts.FinishedAt
		}
	}
	if o.Finish.IsZero() && a.ClientStatus != api.AllocClientStatusPending && a.ClientStatus != api.AllocClientStatusRunning {
		// Ended (failed, lost, complete) without a task finish: its last
		// change is when the servers saw it end.
		o.Finish = time.Unix(0, a.ModifyTime)
	}
	if res := a.AllocatedResources; res != nil && res.Tasks[TaskName] != nil {
		tr := res.Tasks[TaskName]
		for _, d := range tr.Devices {
			if d != nil && d.Vendor+"/"+d.Type == GPUDevice {
				o.GPUs = append(o.GPUs, d.DeviceIDs...)
			}
		}
		slices.Sort(o.GPUs)
		o.GPUs = slices.Compact(o.GPUs)
		mhz := int64(mhzPerCPU)
		if mhz <= 0 {
			mhz = DefaultMHzPerCPU
		}
		o.CPUs = int(max((tr.Cpu.CpuShares+mhz-1)/mhz, 1))
	}
	return o
}
