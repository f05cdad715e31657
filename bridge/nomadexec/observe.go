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
// when its task started and finished, and the GPUs and CPUs the scheduler
// allocated to it. The task's start and finish are the task state the
// servers keep from the client's updates: the donor's client writes them,
// whatever times it likes. Only the allocation's CreateTime (the servers'
// plan applier stamps it when they place the allocation) and ModifyTime
// (the server stamps it on each update it takes, the client's included)
// are the servers' own clock; so the start is never before the placement,
// and a finish never after the last update the servers took. A client
// that lies gains at most the time between the placement and its task's
// real start (it held the allocation then), and while its allocation
// runs, nothing past the leader's now (credit's own bound).

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

// Bounds of the stop's grace credit allows after a run's end: the kill
// timeout (at most maxStopGrace) and stopSlack for the stop to reach the
// node.
const (
	maxStopGrace = 10 * time.Minute
	stopSlack    = 10 * time.Second
)

// gpuModel is the model of a task's GPUs from the device groups' names
// and how many GPUs each gave it: the one that gave the most (the first
// by name of those that gave as many), or "" when that name is not one
// the ledger keeps (over state.MaxGPUModelLen bytes, not printable): the
// default rate then.
func gpuModel(models map[string]int) string {
	best, n := "", 0
	for m, k := range models {
		if k > n || k == n && m < best {
			best, n = m, k
		}
	}
	if state.CheckGPUModel(best) != nil {
		return ""
	}
	return best
}

// observed is an allocation as credit sees it.
func observed(a *api.Allocation, mhzPerCPU int) *credit.Observed {
	o := &credit.Observed{NodeID: a.NodeID, Node: a.NodeName, AllocID: a.ID}
	placed, changed := time.Unix(0, a.CreateTime).UTC(), time.Unix(0, a.ModifyTime).UTC()
	if ts := a.TaskStates[TaskName]; ts != nil {
		o.Start = ts.StartedAt
		if !o.Start.IsZero() && o.Start.Before(placed) {
			o.Start = placed // the client's clock, before the servers placed it
		}
		if ts.State == "dead" {
			o.Finish = ts.FinishedAt
		}
	}
	live := a.ClientStatus == api.AllocClientStatusPending || a.ClientStatus == api.AllocClientStatusRunning
	if o.Start.IsZero() && live && a.CreateTime > 0 {
		// The client has not told the servers yet that its task started
		// (Nomad batches a client's updates; a job may commit in its first
		// second): the placement is what the servers saw, the bound a lying
		// client gets anyway. An honest node claims from its task's start.
		o.Start = placed
	}
	if o.Finish.IsZero() && !live {
		// Ended (failed, lost, complete) without a task finish: its last
		// change is when the servers saw it end.
		o.Finish = changed
	}
	if !o.Finish.IsZero() && o.Finish.After(changed) {
		o.Finish = changed // a finish the servers had not seen yet when they last heard of it
	}
	// The stop's grace: the task's kill timeout as the servers hold the
	// job (the coordinator registered it), and the stop's way to the node.
	o.StopGrace = DefaultKillTimeout
	if a.Job != nil {
		for _, g := range a.Job.TaskGroups {
			for _, t := range g.Tasks {
				if t != nil && t.Name == TaskName && t.KillTimeout != nil && *t.KillTimeout > 0 {
					o.StopGrace = *t.KillTimeout
				}
			}
		}
	}
	o.StopGrace = min(o.StopGrace, maxStopGrace) + stopSlack
	if res := a.AllocatedResources; res != nil && res.Tasks[TaskName] != nil {
		tr := res.Tasks[TaskName]
		models := map[string]int{}
		for _, d := range tr.Devices {
			if d != nil && d.Vendor+"/"+d.Type == GPUDevice {
				o.GPUs = append(o.GPUs, d.DeviceIDs...)
				models[d.Name] += len(d.DeviceIDs)
			}
		}
		slices.Sort(o.GPUs)
		o.GPUs = slices.Compact(o.GPUs)
		o.GPUModel = gpuModel(models)
		mhz := int64(mhzPerCPU)
		if mhz <= 0 {
			mhz = DefaultMHzPerCPU
		}
		o.CPUs = int(max((tr.Cpu.CpuShares+mhz-1)/mhz, 1))
	}
	return o
}
