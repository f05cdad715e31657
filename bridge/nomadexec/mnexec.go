package nomadexec

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/gpufit"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/taskspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// DefaultConfigureTimeout is Config.ConfigureTimeout's default: how long a
// multi-node run may wait CONFIGURING, some of its allocations running and
// not all, before the executor gives it back.
const DefaultConfigureTimeout = 5 * time.Minute

// multiAdmitTTL is how long a multi-node job's plan, made when Admit let
// it through, stays good for its Start (the same pass, normally).
const multiAdmitTTL = 30 * time.Second

// The annotations of the task event the driver emits when a multi-node
// instance takes its role (drivers/taskdriver): the instance on the first
// node runs the batch script ("batch"), the others serve steps ("node").
const (
	AnnotationRole  = "hpcbridge.role"
	AnnotationNodes = "hpcbridge.nodes"
	RoleBatch       = "batch"
	RoleNode        = "node"
)

// multiPlan is a multi-node job Admit found room for: its Nomad job,
// pinned to site, and when.
type multiPlan struct {
	job  *api.Job
	site string
	at   time.Time
}

// jobNodes is the node count of a job (1 when its submission cannot say).
func jobNodes(sub *state.Submission) int {
	if sub == nil || sub.Spec == nil {
		return 1
	}
	n, err := NodeCount(sub.Spec)
	if err != nil {
		return 1
	}
	return n
}

// admitMulti admits a job on N >= 2 nodes only when it can start whole
// now: its GPUs free on N nodes (admitGPUs), no other multi-node run
// CONFIGURING in the site, and a Nomad plan that places all N allocations
// there (placeMulti). Else it waits PENDING (Resources), holding nothing.
// Looks are spaced by exclusiveRetryGap per job.
func (e *Executor) admitMulti(ctx context.Context, j *state.Job, sub *state.Submission) bool {
	e.mu.Lock()
	wait := time.Until(e.exclusiveRetry[j.ID])
	e.mu.Unlock()
	if wait > 0 {
		return false
	}
	if _, err := e.cfg.Translation.Translate(j, sub); err != nil {
		return true // Start fails it, saying why
	}
	if parts := gpufit.Parts(sub.Spec); parts != nil && !e.admitGPUs(ctx, j, sub, parts) {
		return false
	}
	p, err := e.placeMulti(ctx, j, sub)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		if !errors.Is(err, sched.ErrNotYet) {
			e.cfg.Logger.Warn("multi-node admission", "job", j.SlurmID(), "err", err)
		}
		delete(e.gpuAdmitted, j.ID)
		e.exclusiveRetry[j.ID] = time.Now().Add(exclusiveRetryGap)
		return false
	}
	delete(e.exclusiveRetry, j.ID)
	e.multiAdmitted[j.ID] = p
	return true
}

// placeMulti renders a multi-node job for the first site (datacenter of
// its partition, in name order) where Nomad's plan places all its
// allocations now and no other multi-node run is CONFIGURING (nor
// admitted to start there): one at a time per site, so that two jobs
// never hold part of what each needs and wait on each other. An
// --exclusive job gets whole nodes (wholeNodesJob). sched.ErrNotYet when
// no site has room.
func (e *Executor) placeMulti(ctx context.Context, j *state.Job, sub *state.Submission) (multiPlan, error) {
	n := jobNodes(sub)
	sites, nodes, err := e.sites(ctx, j)
	if err != nil {
		return multiPlan{}, err
	}
	busy := map[string]bool{}
	e.mu.Lock()
	for id, r := range e.runs {
		if r.nodes > 1 && !r.placed && id != j.ID {
			busy[r.site] = true
		}
	}
	for id, p := range e.multiAdmitted {
		if id != j.ID && time.Since(p.at) < multiAdmitTTL {
			busy[p.site] = true
		}
	}
	e.mu.Unlock()
	for _, site := range sites {
		if busy[site] {
			continue
		}
		var job *api.Job
		if sub.Spec.Exclusive != nil {
			whole, ok, err := e.wholeNodes(ctx, j, sub, site, nodes, n)
			if err != nil {
				return multiPlan{}, err
			}
			if !ok {
				continue
			}
			if job, err = e.cfg.Translation.translate(j, sub, &whole); err != nil {
				return multiPlan{}, err
			}
		} else if job, err = e.cfg.Translation.Translate(j, sub); err != nil {
			return multiPlan{}, err
		}
		job.Datacenters = []string{site}
		if e.render != nil {
			e.render(job)
		}
		ok, err := e.plans(ctx, job, n)
		if err != nil {
			return multiPlan{}, fmt.Errorf("plan %d-node job %s in %s: %w", n, j.SlurmID(), site, err)
		}
		if ok {
			return multiPlan{job: job, site: site, at: time.Now()}, nil
		}
	}
	return multiPlan{}, fmt.Errorf("%d-node job %s: no site of %d has %d nodes free now (or another multi-node job configures there): %w",
		n, j.SlurmID(), len(sites), n, sched.ErrNotYet)
}

// plans reports whether Nomad's plan places all n allocations of job now.
func (e *Executor) plans(ctx context.Context, job *api.Job, n int) (bool, error) {
	plan, _, err := e.cfg.Client.Jobs().Plan(job, false, (&api.WriteOptions{}).WithContext(ctx))
	if err != nil {
		return false, err
	}
	if len(plan.FailedTGAllocs) > 0 {
		return false, nil
	}
	if plan.Annotations != nil {
		if u := plan.Annotations.DesiredTGUpdates[*job.TaskGroups[0].Name]; u != nil && int(u.Place) < n {
			return false, nil
		}
	}
	return true, nil
}

// sites are the datacenters a job's partition may use, in name order: the
// partition's (patterns such as "*" resolved against the ready nodes of its
// pool), with the pool's ready nodes.
func (e *Executor) sites(ctx context.Context, j *state.Job) ([]string, []*api.NodeListStub, error) {
	part := e.cfg.Translation.Partitions[j.Partition]
	pool := part.NodePool
	if pool == "" {
		pool = "default"
	}
	pats := part.Datacenters
	if len(pats) == 0 {
		pats = []string{"*"}
	}
	q := (&api.QueryOptions{Params: map[string]string{"resources": "true"}}).WithContext(ctx)
	all, _, err := e.cfg.Client.Nodes().List(q)
	if err != nil {
		return nil, nil, fmt.Errorf("list nodes for multi-node job %s: %w", j.SlurmID(), err)
	}
	seen := map[string]bool{}
	var sites []string
	var nodes []*api.NodeListStub
	for _, n := range all {
		if n.NodePool != pool || n.Status != api.NodeStatusReady {
			continue
		}
		match := false
		for _, p := range pats {
			if ok, _ := path.Match(p, n.Datacenter); ok {
				match = true
			}
		}
		if !match {
			continue
		}
		nodes = append(nodes, n)
		if !seen[n.Datacenter] {
			seen[n.Datacenter] = true
			sites = append(sites, n.Datacenter)
		}
	}
	sort.Strings(sites)
	slices.SortFunc(nodes, func(a, b *api.NodeListStub) int { return strings.Compare(a.Name, b.Name) })
	return sites, nodes, nil
}

// wholeNodes finds n nodes of site that an --exclusive multi-node job can
// each have whole now (in name order: each passes a plan of one allocation
// pinned there with all its CPU and memory), and the whole-node request
// that fits the smallest of them, pinned to those n.
func (e *Executor) wholeNodes(ctx context.Context, j *state.Job, sub *state.Submission, site string, nodes []*api.NodeListStub, n int) (wholeNode, bool, error) {
	var got []wholeNode
	for _, nd := range nodes {
		if nd.Datacenter != site {
			continue
		}
		w, ok := wholeOf(nd)
		if !ok {
			continue
		}
		probe, err := e.cfg.Translation.translate(j, sub, &w)
		if err != nil {
			return wholeNode{}, false, err
		}
		probe.Datacenters = []string{site}
		probe.TaskGroups[0].Count = ptr(1)
		if e.render != nil {
			e.render(probe)
		}
		ok, err = e.plans(ctx, probe, 1)
		if err != nil {
			return wholeNode{}, false, fmt.Errorf("plan exclusive job %s on %s: %w", j.SlurmID(), nd.Name, err)
		}
		if ok {
			if got = append(got, w); len(got) == n {
				break
			}
		}
	}
	if len(got) < n {
		return wholeNode{}, false, nil
	}
	all := got[0]
	var ids []string
	for _, w := range got {
		ids = append(ids, w.ID)
		all.CPUs, all.MHz, all.MemMiB = min(all.CPUs, w.CPUs), min(all.MHz, w.MHz), min(all.MemMiB, w.MemMiB)
	}
	all.IDs = strings.Join(ids, ",")
	return all, true, nil
}

// startMulti registers a multi-node run: the plan Admit made (or a new one,
// after a failover), the run's step key written first.
func (e *Executor) startMulti(ctx context.Context, j *state.Job, sub *state.Submission, n int) error {
	nid := NomadID(j)
	e.mu.Lock()
	p, ok := e.multiAdmitted[j.ID]
	delete(e.multiAdmitted, j.ID)
	e.mu.Unlock()
	if !ok || time.Since(p.at) > multiAdmitTTL {
		// Not admitted in this pass (a new leader starting a run its
		// predecessor had not registered, an array task): plan now, at
		// most once per exclusiveRetryGap.
		e.mu.Lock()
		wait := time.Until(e.exclusiveRetry[j.ID])
		e.mu.Unlock()
		if wait > 0 {
			return fmt.Errorf("%d-node job %s: next look in %v: %w", n, j.SlurmID(), wait.Round(time.Millisecond), sched.ErrNotYet)
		}
		var err error
		if p, err = e.placeMulti(ctx, j, sub); err != nil {
			if errors.Is(err, sched.ErrNotYet) {
				e.mu.Lock()
				e.exclusiveRetry[j.ID] = time.Now().Add(exclusiveRetryGap)
				e.mu.Unlock()
				return err
			}
			var nf error
			if _, nf = e.cfg.Translation.Translate(j, sub); nf != nil {
				e.cfg.Logger.Warn("translate", "job", j.SlurmID(), "err", nf)
				e.emit(sched.Outcome{JobID: j.ID, State: state.StateFailed, ExitCode: 1})
				return nil
			}
			return err
		}
	}
	if err := e.writeStepKey(ctx, nid); err != nil {
		return err
	}
	if err := e.runConfig(ctx, j, p.job); err != nil {
		return err
	}
	if _, _, err := e.cfg.Client.Jobs().Register(p.job, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		if isInvalidJob(err) {
			e.cfg.Logger.Warn("Nomad refused the job", "job", j.SlurmID(), "err", err)
			e.deleteStepKey(ctx, nid)
			e.emit(sched.Outcome{JobID: j.ID, State: state.StateFailed, ExitCode: 1})
			return nil
		}
		return fmt.Errorf("register %s: %w", nid, err)
	}
	e.track(j.ID, nid, n, p.site)
	e.mu.Lock()
	delete(e.exclusiveRetry, j.ID)
	e.mu.Unlock()
	// The event stream may have brought the allocations' first updates
	// before the run was tracked, and an instance that serves steps may
	// send no other until it is stopped: read them once now, or a short
	// run would end without all its nodes seen (placed on some of them).
	e.refresh(ctx, nid)
	return nil
}

// writeStepKey creates the run's step key (32 random bytes, hex) in the
// Nomad Variable its tasks read (StepKeyPath), unless it exists: a run
// registered again (a new leader) keeps the key its tasks have.
func (e *Executor) writeStepKey(ctx context.Context, nid string) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("step key for %s: %w", nid, err)
	}
	v := &api.Variable{Path: StepKeyPath(nid), Items: api.VariableItems{taskspec.StepKeyVar: hex.EncodeToString(b[:])}}
	if e.cfg.Translation.Namespace != "" {
		v.Namespace = e.cfg.Translation.Namespace
	}
	_, _, err := e.cfg.Client.Variables().CheckedCreate(v, (&api.WriteOptions{Namespace: v.Namespace}).WithContext(ctx))
	var conflict api.ErrCASConflict
	if err != nil && !errors.As(err, &conflict) {
		return fmt.Errorf("write the step key of %s: %w", nid, err)
	}
	return nil
}

// deleteStepKey deletes a run's step key once the run is over.
func (e *Executor) deleteStepKey(ctx context.Context, nid string) {
	wo := (&api.WriteOptions{Namespace: e.cfg.Translation.Namespace}).WithContext(ctx)
	if _, err := e.cfg.Client.Variables().Delete(StepKeyPath(nid), wo); err != nil && !IsNotFound(err) {
		e.cfg.Logger.Warn("delete the step key", "nomad_job", nid, "err", err)
	}
}

// handleMulti follows a multi-node run's allocations (called with e.mu
// held, which it releases): the run is placed (RUNNING, its node list
// recorded) once all its allocations run on distinct nodes; it ends with
// the batch instance's end (its exit code), or as NODE_FAIL when another
// instance is lost or fails first (the job's own launch failure, the
// same on every node, fails it instead; a stop by someone else cancels
// it). The coordinator's own stops follow a committed state and are not
// seen here (the run is untracked by then).
func (e *Executor) handleMulti(ctx context.Context, id uint64, r *run, a alloc) {
	if r.allocs == nil {
		r.allocs = map[string]alloc{}
	}
	if old, ok := r.allocs[a.ID]; ok && old.resolved && !a.resolved {
		// What Nomad allocated does not change: a listing need not read it again.
		a.Resources, a.resolved = old.Resources, true
	}
	r.allocs[a.ID] = a
	final, terminal := outcomeOf(a)
	var place *sched.Outcome
	if !r.placed {
		// Placed once every allocation's task started (not only a
		// prestart task of its allocation), running still or not: a
		// short run's first allocation may end before the last one's
		// start is seen. A run that ends before that, after some task
		// started, is recorded on the nodes Nomad placed it on.
		var started, all []string
		var at time.Time
		for _, x := range r.allocs {
			if x.NodeName != "" && !slices.Contains(all, x.NodeName) {
				all = append(all, x.NodeName)
			}
			if x.Task != nil && !x.Task.StartedAt.IsZero() && !slices.Contains(started, x.NodeName) {
				started = append(started, x.NodeName)
				if x.Task.StartedAt.After(at) {
					at = x.Task.StartedAt
				}
			}
		}
		switch {
		case len(started) >= r.nodes:
			r.placed = true
			place = &sched.Outcome{JobID: id, State: state.StateRunning, Node: hostlist.Compress(started), Time: at}
		case terminal && len(started) > 0:
			r.placed = true
			place = &sched.Outcome{JobID: id, State: state.StateRunning, Node: hostlist.Compress(all), Time: at}
		}
	}
	if terminal {
		batch := isBatch(a) || r.placed && batchNode(r) == a.NodeName && !hasRole(r.allocs)
		switch {
		case batch:
		case final.State == state.StateCancelled:
		case final.State == state.StateFailed && strings.HasPrefix(final.Reason, "JobLaunchFailure"):
		default:
			final = sched.Outcome{State: state.StateNodeFail, Time: final.Time,
				Reason: fmt.Sprintf("allocation %s on %s ended (%s) before the batch script", shortID(a.ID), a.NodeName, a.ClientStatus)}
		}
		delete(e.runs, id)
		delete(e.nomad, a.JobID)
		e.owed[id] = true
	}
	var runAllocs []alloc // the run's allocations, for its GPUs on every node
	var batch string
	if place != nil || terminal {
		for _, x := range r.allocs {
			runAllocs = append(runAllocs, x)
		}
		batch = runBatchNode(r)
	}
	e.mu.Unlock()
	e.recordSteps(ctx, id, a) // srun's steps, as the driver reports them (steps.go)
	if place != nil {
		place.GPU = e.runGPU(ctx, id, runAllocs, batch)
		e.emit(*place)
	}
	if !terminal {
		return
	}
	final.JobID = id
	if final.State != state.StateNodeFail {
		// Every node's GPUs (the batch node's first), NVML's figures from
		// the instance that ended the run.
		final.GPU, final.Measured = e.runGPU(ctx, id, runAllocs, batch), gpuMeasureOf(a.Task, e.cfg.Logger)
	}
	if final.Time.IsZero() {
		final.Time = time.Now()
	}
	e.queueEnd(ending{outcome: final, nomadJob: a.JobID, allocID: a.ID, nodeID: a.NodeID, multi: true})
}

// isBatch: the driver said this instance runs the batch script.
func isBatch(a alloc) bool { return roleOf(a) == RoleBatch }

func roleOf(a alloc) string {
	if a.Task == nil {
		return ""
	}
	for _, ev := range a.Task.Events {
		if ev == nil {
			continue
		}
		if r := ev.Details[AnnotationRole]; r != "" {
			return r
		}
	}
	return ""
}

// runBatchNode is the node of the run's batch instance: the one whose
// task event says so, else batchNode's.
func runBatchNode(r *run) string {
	for _, a := range r.allocs {
		if isBatch(a) {
			return a.NodeName
		}
	}
	return batchNode(r)
}

func hasRole(allocs map[string]alloc) bool {
	for _, a := range allocs {
		if roleOf(a) != "" {
			return true
		}
	}
	return false
}

// batchNode is the node that runs the batch script when no instance has
// said so: the first of the run's nodes in hostlist order, as the driver
// picks it.
func batchNode(r *run) string {
	var names []string
	for _, a := range r.allocs {
		names = append(names, a.NodeName)
	}
	if all, err := hostlist.Expand(hostlist.Compress(names)); err == nil && len(all) > 0 {
		return all[0]
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// giveBackStale gives back every multi-node run that has been CONFIGURING
// longer than the bound (Config.ConfigureTimeout): its Nomad job stopped,
// its key deleted, the job queued again (PENDING, Resources), so that a
// partial placement never holds nodes for long.
func (e *Executor) giveBackStale(ctx context.Context) {
	bound := e.cfg.ConfigureTimeout
	now := time.Now()
	type stale struct {
		id  uint64
		nid string
	}
	var out []stale
	e.mu.Lock()
	for id, r := range e.runs {
		if r.nodes > 1 && !r.placed && now.Sub(r.since) > bound {
			out = append(out, stale{id, r.nomadID})
		}
	}
	e.mu.Unlock()
	for _, s := range out {
		r := e.untrack(s.id)
		if r == nil {
			continue
		}
		if _, _, err := e.cfg.Client.Jobs().Deregister(s.nid, false, (&api.WriteOptions{}).WithContext(ctx)); err != nil && !IsNotFound(err) {
			e.cfg.Logger.Warn("give back a partial placement", "nomad_job", s.nid, "err", err)
			e.mu.Lock()
			e.runs[s.id], e.nomad[s.nid] = r, s.id // again next time
			e.mu.Unlock()
			continue
		}
		e.deleteStepKey(ctx, s.nid)
		e.cfg.Logger.Info("gave back a multi-node run not all placed in time", "nomad_job", s.nid, "bound", bound)
		e.emit(sched.Outcome{JobID: s.id, State: state.StatePending, Reason: state.ReasonResources, Time: now})
	}
}
