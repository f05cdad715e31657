package nomadexec

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// sync adopts the live slurm- Nomad jobs that match a running job's current
// run and deregisters the rest.
func (e *Executor) sync(ctx context.Context) error {
	// A new leader may not yet have applied all its predecessor committed:
	// a job started just before the failover would look pending, and its
	// Nomad job would be stopped.
	if e.cfg.Raft != nil {
		if err := e.cfg.Raft.Barrier(ctx); err != nil {
			return fmt.Errorf("catch up with the Raft log: %w", err)
		}
	}
	// Nomad lists a job's meta, which names its Slurm job, only on request.
	withMeta := &api.JobListOptions{Fields: &api.JobListFields{Meta: true}}
	stubs, _, err := e.cfg.Client.Jobs().ListOptions(withMeta, (&api.QueryOptions{Prefix: JobPrefix}).WithContext(ctx))
	if err != nil {
		return fmt.Errorf("list Nomad jobs: %w", err)
	}
	v := e.cfg.Store.View()
	var adopt []string
	for _, s := range stubs {
		if s.Stop || s.Status == "dead" {
			continue
		}
		id, err := strconv.ParseUint(s.Meta[MetaJobID], 10, 64)
		if err != nil {
			continue // not ours
		}
		j := v.Job(id)
		if j != nil && j.State == state.StateRunning && NomadID(j) == s.ID {
			site := ""
			if len(s.Datacenters) > 0 {
				site = s.Datacenters[0]
			}
			e.track(id, s.ID, jobNodes(v.Submission(j)), site)
			adopt = append(adopt, s.ID)
			continue
		}
		e.cfg.Logger.Info("stopping a Nomad job the coordinator no longer runs", "nomad_job", s.ID)
		if _, _, err := e.cfg.Client.Jobs().Deregister(s.ID, false, (&api.WriteOptions{}).WithContext(ctx)); err != nil && !IsNotFound(err) {
			return fmt.Errorf("deregister %s: %w", s.ID, err)
		}
	}
	e.mu.Lock()
	e.synced = true
	e.mu.Unlock()
	for _, nid := range adopt {
		e.refresh(ctx, nid)
	}
	return nil
}

// refresh reads a Nomad job's allocations and handles them.
func (e *Executor) refresh(ctx context.Context, nid string) {
	allocs, _, err := e.cfg.Client.Jobs().Allocations(nid, true, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		e.cfg.Logger.Warn("reconcile", "nomad_job", nid, "err", err)
		return
	}
	e.handleListed(ctx, allocs)
}

// handleListed handles a run's listed allocations. A multi-node run
// knows them all before it handles any, and handles its batch instance's
// first: a run tracked again after its end (the scheduler starts a job
// whose end is not yet committed) must neither take its first ended
// allocation for the whole run nor end as the stop of the others.
func (e *Executor) handleListed(ctx context.Context, stubs []*api.AllocationListStub) {
	allocs := make([]alloc, 0, len(stubs))
	var names []string
	for _, s := range stubs {
		allocs = append(allocs, e.fromStub(ctx, s))
		names = append(names, s.NodeName)
	}
	order := map[string]int{}
	if all, err := hostlist.Expand(hostlist.Compress(names)); err == nil {
		for i, n := range all {
			order[n] = i
		}
	}
	sort.SliceStable(allocs, func(i, j int) bool {
		if bi, bj := isBatch(allocs[i]), isBatch(allocs[j]); bi != bj {
			return bi
		}
		return order[allocs[i].NodeName] < order[allocs[j].NodeName]
	})
	e.mu.Lock()
	for _, a := range allocs {
		if r := e.runs[e.nomad[a.JobID]]; r != nil && r.nomadID == a.JobID && r.nodes > 1 {
			if r.allocs == nil {
				r.allocs = map[string]alloc{}
			}
			if _, seen := r.allocs[a.ID]; !seen {
				r.allocs[a.ID] = a
			}
		}
	}
	e.mu.Unlock()
	for _, a := range allocs {
		e.handleAlloc(ctx, a)
	}
}

// reconcile re-reads every tracked run's allocations.
func (e *Executor) reconcile(ctx context.Context) {
	e.mu.Lock()
	synced := e.synced
	nids := make([]string, 0, len(e.nomad))
	for nid := range e.nomad {
		nids = append(nids, nid)
	}
	e.mu.Unlock()
	if !synced {
		if err := e.sync(ctx); err != nil {
			e.cfg.Logger.Warn("reconcile", "err", err)
		}
		return
	}
	for _, nid := range nids {
		e.refresh(ctx, nid)
	}
	e.giveBackStale(ctx)
}

// alloc is what handleAlloc needs of an allocation, from an event or a
// listing.
type alloc struct {
	ID, NodeID, NodeName, JobID string
	ClientStatus                string
	Task                        *api.TaskState
	// Migrate: Nomad moves the allocation off its node (a drain).
	Migrate bool
	// Resources are what Nomad allocated (its GPUs: gpuuse.go); resolved
	// is false for a listing that left them out (withGPU reads them).
	Resources *api.AllocatedResources
	resolved  bool
}

func fullAlloc(a *api.Allocation) alloc {
	return alloc{ID: a.ID, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, ClientStatus: a.ClientStatus, Task: a.TaskStates[TaskName],
		Migrate: a.DesiredTransition.ShouldMigrate(), Resources: a.AllocatedResources, resolved: true}
}

func stubAlloc(a *api.AllocationListStub) alloc {
	return alloc{ID: a.ID, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, ClientStatus: a.ClientStatus, Task: a.TaskStates[TaskName],
		Resources: a.AllocatedResources, resolved: a.AllocatedResources != nil}
}

// fromStub is a listed allocation; one whose task Nomad killed is read in
// full, since only the full allocation says whether a drain moved it.
func (e *Executor) fromStub(ctx context.Context, s *api.AllocationListStub) alloc {
	a := stubAlloc(s)
	if killed(a.Task) {
		if full, _, err := e.cfg.Client.Allocations().Info(s.ID, (&api.QueryOptions{}).WithContext(ctx)); err == nil {
			a.Migrate = full.DesiredTransition.ShouldMigrate()
		}
	}
	return a
}

// handleAlloc turns an allocation update of a tracked run into outcomes: a
// placement when its task starts, a final state when it ends.
func (e *Executor) handleAlloc(ctx context.Context, a alloc) {
	e.mu.Lock()
	id, ok := e.nomad[a.JobID]
	var r *run
	if ok {
		r = e.runs[id]
	}
	if r == nil {
		e.mu.Unlock()
		return
	}
	if r.nodes > 1 {
		e.handleMulti(ctx, id, r, a) // releases e.mu
		return
	}
	started := a.Task != nil && !a.Task.StartedAt.IsZero()
	placeNow := !r.placed && (started || a.ClientStatus == api.AllocClientStatusRunning)
	if placeNow {
		r.placed = true
	}
	final, terminal := outcomeOf(a)
	if terminal {
		delete(e.runs, id)
		delete(e.nomad, a.JobID)
		e.owed[id] = true
	}
	e.mu.Unlock()
	e.recordSteps(ctx, id, a) // srun's steps, as the driver reports them (steps.go)
	var gpu *state.GPUAlloc
	if placeNow || terminal {
		a = e.withGPU(ctx, a)
		gpu = gpuAllocOf(a.Resources, a.NodeID, a.NodeName, e.cfg.Logger)
	}
	if placeNow {
		at := time.Time{}
		if a.Task != nil {
			at = a.Task.StartedAt
		}
		e.emit(sched.Outcome{JobID: id, State: state.StateRunning, Node: a.NodeName, Time: at, GPU: gpu})
	}
	if !terminal {
		return
	}
	final.JobID = id
	final.GPU, final.Measured = gpu, gpuMeasureOf(a.Task, e.cfg.Logger)
	// Stopping a lost run's Nomad job and copying an ended run's logs are
	// I/O against Nomad: keep them off the event stream and the
	// scheduler's Start (the term's finisher does them, see RunTerm).
	e.queueEnd(ending{outcome: final, nomadJob: a.JobID, allocID: a.ID, nodeID: a.NodeID, migrate: a.Migrate})
}

// stopLost deregisters the Nomad job of a run whose node failed.
func (e *Executor) stopLost(ctx context.Context, nid string) {
	if _, _, err := e.cfg.Client.Jobs().Deregister(nid, false, (&api.WriteOptions{}).WithContext(ctx)); err != nil && !IsNotFound(err) {
		e.cfg.Logger.Warn("stop the Nomad job of a failed node", "nomad_job", nid, "err", err)
	}
}
