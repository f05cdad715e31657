// Package nomadexec is the coordinator's Nomad backend: it implements
// sched.Executor by translating each started Slurm job (or array task) into a
// Nomad batch job with a deterministic id, follows Nomad's event stream to
// learn where jobs run and how they end, heals missed events with a periodic
// full reconcile, and archives each job's output off the Nomad client so it
// outlives the allocation.
package nomadexec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// MetaEventIndex is the replicated meta key holding the last Nomad event
// index the leader handled; a new leader resumes the event stream there.
const MetaEventIndex = "nomad_event_index"

// Config configures an Executor.
type Config struct {
	Client *api.Client
	Store  *state.Store
	// Raft commits the event index and catches the store up with the log
	// before a new leader first looks at Nomad (the leader's raft node).
	Raft Raft
	Translation
	// MaxQueued bounds the jobs registered with Nomad whose allocation does
	// not run yet (default 32): the queue stays in the coordinator, so an
	// array of 100,000 tasks never becomes 100,000 idle Nomad jobs.
	MaxQueued int
	// MaxRunning bounds the jobs on Nomad at once (0: no bound).
	MaxRunning int
	// ReconcileInterval is the period of the full reconcile (default 30s).
	ReconcileInterval time.Duration
	// Outputs archives job output (nil: no archive).
	Outputs *Outputs
	Logger  *slog.Logger
}

// Raft is what the executor needs of the leader's Raft node.
type Raft interface {
	sched.Applier
	// Barrier returns once the local store has applied every entry
	// committed before the call.
	Barrier(ctx context.Context) error
}

// Executor runs jobs on Nomad. It is created once per server; Run drives it
// while the server leads.
type Executor struct {
	cfg      Config
	outcomes chan sched.Outcome

	mu      sync.Mutex
	runs    map[uint64]*run // by Slurm job id
	nomad   map[string]uint64
	synced  bool
	pending []sched.Outcome // not yet taken from outcomes
	// exclusiveRetry: when an --exclusive job that found no idle node
	// may look again (each look is a node list and a plan per node).
	exclusiveRetry map[uint64]time.Time
	wake           chan struct{}
}

// exclusiveRetryGap is how long an --exclusive job that found no idle node
// waits before it looks again.
const exclusiveRetryGap = 2 * time.Second

// run is a job this leader knows to be on Nomad.
type run struct {
	nomadID string
	placed  bool
}

var _ sched.Executor = (*Executor)(nil)

// New returns an Executor.
func New(cfg Config) *Executor {
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 32
	}
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Executor{cfg: cfg, outcomes: make(chan sched.Outcome), runs: map[uint64]*run{}, nomad: map[string]uint64{}, exclusiveRetry: map[uint64]time.Time{}, wake: make(chan struct{}, 1)}
}

// Outcomes delivers placements and final states.
func (e *Executor) Outcomes() <-chan sched.Outcome { return e.outcomes }

// Start registers the job with Nomad unless this run is already there; a
// run that already ended on Nomad (its outcome lost in a failover) has its
// outcome delivered again.
func (e *Executor) Start(ctx context.Context, j *state.Job, sub *state.Submission) error {
	nid := NomadID(j)
	e.mu.Lock()
	if r := e.runs[j.ID]; r != nil && r.nomadID == nid {
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	q := (&api.QueryOptions{}).WithContext(ctx)
	existing, _, err := e.cfg.Client.Jobs().Info(nid, q)
	switch {
	case err == nil && existing != nil:
		allocs, _, err := e.cfg.Client.Jobs().Allocations(nid, true, q)
		if err != nil {
			return fmt.Errorf("allocations of %s: %w", nid, err)
		}
		if hasTerminal(allocs) || existing.Stop == nil || !*existing.Stop {
			e.track(j.ID, nid)
			for _, a := range allocs {
				e.handleAlloc(ctx, e.fromStub(ctx, a))
			}
			return nil
		}
		// Stopped without an outcome: register it again below.
	case err != nil && !isNotFound(err):
		return fmt.Errorf("look up %s: %w", nid, err)
	}
	job, err := e.cfg.Translation.Translate(j, sub)
	if err == nil && sub.Spec.Exclusive != nil {
		if job, err = e.lookWhole(ctx, j, sub); err != nil {
			return err // no idle node yet (sched.ErrNotYet), or Nomad did not answer
		}
	}
	if err != nil {
		// A job Nomad cannot run fails like a job whose launch failed.
		e.cfg.Logger.Warn("translate", "job", j.SlurmID(), "err", err)
		e.emit(sched.Outcome{JobID: j.ID, State: state.StateFailed, ExitCode: 1})
		return nil
	}
	if _, _, err := e.cfg.Client.Jobs().Register(job, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		if strings.Contains(err.Error(), "validation failed") {
			// Nomad will never take this job: fail it rather than retry.
			e.cfg.Logger.Warn("Nomad refused the job", "job", j.SlurmID(), "err", err)
			e.emit(sched.Outcome{JobID: j.ID, State: state.StateFailed, ExitCode: 1})
			return nil
		}
		return fmt.Errorf("register %s: %w", nid, err)
	}
	e.track(j.ID, nid)
	return nil
}

func (e *Executor) track(id uint64, nid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if old := e.runs[id]; old != nil {
		delete(e.nomad, old.nomadID)
	}
	e.runs[id] = &run{nomadID: nid}
	e.nomad[nid] = id
}

func (e *Executor) untrack(id uint64) *run {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.runs[id]
	if r != nil {
		delete(e.runs, id)
		delete(e.nomad, r.nomadID)
	}
	return r
}

// Stop deregisters the job's Nomad job (its allocation gets SIGTERM, then
// SIGKILL after the kill timeout). The Nomad job stays visible, stopped.
func (e *Executor) Stop(ctx context.Context, jobID uint64) error {
	e.mu.Lock()
	delete(e.exclusiveRetry, jobID)
	e.mu.Unlock()
	r := e.untrack(jobID)
	nid := ""
	if r != nil {
		nid = r.nomadID
	} else if j := e.cfg.Store.View().Job(jobID); j != nil {
		nid = NomadID(j)
	} else {
		return nil
	}
	_, _, err := e.cfg.Client.Jobs().Deregister(nid, false, (&api.WriteOptions{}).WithContext(ctx))
	if err != nil && !isNotFound(err) {
		if r != nil {
			e.track(jobID, nid) // try again next pass
		}
		return fmt.Errorf("deregister %s: %w", nid, err)
	}
	return nil
}

// Signal sends a signal through Nomad's alloc signal API. The task driver
// reads the Slurm scope from a prefix of the signal name: "B:" for the
// batch shell only, "F:" for every process; without one, the job's steps.
func (e *Executor) Signal(ctx context.Context, jobID uint64, sig string, scope sched.SignalScope) error {
	j := e.cfg.Store.View().Job(jobID)
	if j == nil {
		return fmt.Errorf("job %d: not found", jobID)
	}
	nid := NomadID(j)
	q := (&api.QueryOptions{}).WithContext(ctx)
	allocs, _, err := e.cfg.Client.Jobs().Allocations(nid, false, q)
	if err != nil {
		return fmt.Errorf("allocations of %s: %w", nid, err)
	}
	name := sig
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	switch scope {
	case sched.ScopeBatch:
		name = "B:" + name
	case sched.ScopeFull:
		name = "F:" + name
	}
	sent := false
	for _, a := range allocs {
		if a.ClientStatus != api.AllocClientStatusRunning {
			continue
		}
		if err := e.cfg.Client.Allocations().Signal(&api.Allocation{ID: a.ID, NodeID: a.NodeID}, q, TaskName, name); err != nil {
			return fmt.Errorf("signal %s: %w", nid, err)
		}
		sent = true
	}
	if !sent {
		return fmt.Errorf("job %s is not running on Nomad", j.SlurmID())
	}
	return nil
}

// Running lists the jobs this leader has on Nomad. The first call of a term
// lists Nomad's slurm- jobs, so a new leader adopts its predecessor's runs
// and stops runs the replicated state no longer wants.
func (e *Executor) Running(ctx context.Context) ([]uint64, error) {
	e.mu.Lock()
	synced := e.synced
	e.mu.Unlock()
	if !synced {
		if err := e.sync(ctx); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]uint64, 0, len(e.runs))
	for id := range e.runs {
		out = append(out, id)
	}
	return out, nil
}

// Capacity is how many more jobs may be registered: at most MaxQueued
// waiting for placement, and at most MaxRunning in all.
func (e *Executor) Capacity(context.Context) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	unplaced := 0
	for _, r := range e.runs {
		if !r.placed {
			unplaced++
		}
	}
	room := e.cfg.MaxQueued - unplaced
	if e.cfg.MaxRunning > 0 {
		room = min(room, e.cfg.MaxRunning-len(e.runs))
	}
	return max(room, 0), nil
}

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
			e.track(id, s.ID)
			adopt = append(adopt, s.ID)
			continue
		}
		e.cfg.Logger.Info("stopping a Nomad job the coordinator no longer runs", "nomad_job", s.ID)
		if _, _, err := e.cfg.Client.Jobs().Deregister(s.ID, false, (&api.WriteOptions{}).WithContext(ctx)); err != nil && !isNotFound(err) {
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
	for _, a := range allocs {
		e.handleAlloc(ctx, e.fromStub(ctx, a))
	}
}

// Lead starts a leadership term: it forgets what the previous term knew
// and, until ctx ends, follows Nomad's event stream, reconciles
// periodically and delivers outcomes. Call it before the term's scheduler
// starts.
func (e *Executor) Lead(ctx context.Context) {
	e.mu.Lock()
	e.runs, e.nomad, e.synced, e.pending = map[uint64]*run{}, map[string]uint64{}, false, nil
	e.mu.Unlock()
	go e.deliver(ctx)
	go func() { _ = e.follow(ctx) }()
}

// follow follows Nomad's event stream and reconciles periodically until ctx
// ends.
func (e *Executor) follow(ctx context.Context) error {
	index, _ := strconv.ParseUint(e.cfg.Store.View().Meta(MetaEventIndex), 10, 64)
	committed := index
	tick := time.NewTicker(e.cfg.ReconcileInterval)
	defer tick.Stop()
	retry := time.NewTimer(0)
	defer retry.Stop()
	var events <-chan *api.Events
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			e.commitIndex(context.Background(), committed, index)
			return ctx.Err()
		case <-retry.C:
			ch, err := e.cfg.Client.EventStream().Stream(ctx, map[api.Topic][]string{api.TopicAllocation: {"*"}}, index+1, (&api.QueryOptions{}).WithContext(ctx))
			if err != nil {
				e.cfg.Logger.Warn("nomad event stream", "err", err)
				retry.Reset(backoff)
				backoff = min(2*backoff, 10*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
			events = ch
			e.reconcile(ctx) // heal what happened while not streaming
		case evs, ok := <-events:
			if !ok || evs.Err != nil {
				if ok {
					e.cfg.Logger.Warn("nomad event stream", "err", evs.Err)
				}
				events = nil
				retry.Reset(backoff)
				continue
			}
			if evs.IsHeartbeat() {
				continue
			}
			for i := range evs.Events {
				ev := &evs.Events[i]
				if ev.Topic != api.TopicAllocation {
					continue
				}
				a, err := ev.Allocation()
				if err != nil || a == nil || !strings.HasPrefix(a.JobID, JobPrefix) {
					continue
				}
				e.handleAlloc(ctx, fullAlloc(a))
			}
			index = max(index, evs.Index)
		case <-tick.C:
			e.reconcile(ctx)
			committed = e.commitIndex(ctx, committed, index)
		}
	}
}

// commitIndex records the event index in Raft when it moved.
func (e *Executor) commitIndex(ctx context.Context, committed, index uint64) uint64 {
	if index <= committed || e.cfg.Raft == nil {
		return committed
	}
	cmd, err := state.Encode(state.CmdSetMeta, state.SetMetaCmd{Key: MetaEventIndex, Value: strconv.FormatUint(index, 10)})
	if err != nil {
		return committed
	}
	if _, _, err := e.cfg.Raft.Apply(ctx, cmd); err != nil {
		e.cfg.Logger.Warn("commit nomad event index", "err", err)
		return committed
	}
	return index
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
}

// alloc is what handleAlloc needs of an allocation, from an event or a
// listing.
type alloc struct {
	ID, NodeID, NodeName, JobID string
	ClientStatus                string
	Task                        *api.TaskState
	// Migrate: Nomad moves the allocation off its node (a drain).
	Migrate bool
}

func fullAlloc(a *api.Allocation) alloc {
	return alloc{ID: a.ID, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, ClientStatus: a.ClientStatus, Task: a.TaskStates[TaskName],
		Migrate: a.DesiredTransition.ShouldMigrate()}
}

func stubAlloc(a *api.AllocationListStub) alloc {
	return alloc{ID: a.ID, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, ClientStatus: a.ClientStatus, Task: a.TaskStates[TaskName]}
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
	started := a.Task != nil && !a.Task.StartedAt.IsZero()
	placeNow := !r.placed && (started || a.ClientStatus == api.AllocClientStatusRunning)
	if placeNow {
		r.placed = true
	}
	final, terminal := outcomeOf(a)
	if terminal {
		delete(e.runs, id)
		delete(e.nomad, a.JobID)
	}
	e.mu.Unlock()
	if placeNow {
		at := time.Time{}
		if a.Task != nil {
			at = a.Task.StartedAt
		}
		e.emit(sched.Outcome{JobID: id, State: state.StateRunning, Node: a.NodeName, Time: at})
	}
	if !terminal {
		return
	}
	final.JobID = id
	if final.State == state.StateNodeFail {
		// Stop the Nomad job before the outcome requeues the Slurm job, so
		// that Nomad neither replaces the allocation nor lets it run on if
		// its node comes back (see LostAfter). The node's output is out of
		// reach.
		go func() {
			e.stopLost(ctx, a.JobID)
			e.emit(final)
		}()
		return
	}
	if e.cfg.Outputs == nil {
		e.emit(final)
		return
	}
	// Copying the logs is I/O against the Nomad client: keep it off the
	// event stream and the scheduler's Start. The outcome follows the
	// archive, so `hpcbridge output` works once sacct shows the end.
	go func() {
		if err := e.cfg.Outputs.Archive(ctx, id, a.ID, a.NodeID); err != nil {
			e.cfg.Logger.Warn("archive output", "job", id, "err", err)
		}
		e.emit(final)
	}()
}

// stopLost deregisters the Nomad job of a run whose node failed.
func (e *Executor) stopLost(ctx context.Context, nid string) {
	if _, _, err := e.cfg.Client.Jobs().Deregister(nid, false, (&api.WriteOptions{}).WithContext(ctx)); err != nil && !isNotFound(err) {
		e.cfg.Logger.Warn("stop the Nomad job of a failed node", "nomad_job", nid, "err", err)
	}
}

// outcomeOf maps a terminal allocation to the Slurm final state. An
// allocation whose node stopped heartbeating (unknown, until LostAfter
// makes it lost) ends the run as NODE_FAIL.
func outcomeOf(a alloc) (sched.Outcome, bool) {
	var o sched.Outcome
	if a.Task != nil {
		o.Time = a.Task.FinishedAt
	}
	switch a.ClientStatus {
	case api.AllocClientStatusComplete, api.AllocClientStatusFailed:
		if killed(a.Task) {
			// Nomad stopped the task, not the coordinator (whose stops
			// follow a committed final state, so their outcomes are not
			// asked for): a drain took the node away, which Slurm treats
			// as a node failure (a requeueable job runs again), or someone
			// stopped the Nomad job, which is a cancellation.
			o.State, o.ExitSignal = state.StateCancelled, 15
			if a.Migrate {
				o.State, o.ExitSignal = state.StateNodeFail, 0
			}
			return o, true
		}
	}
	switch a.ClientStatus {
	case api.AllocClientStatusComplete:
		o.State = state.StateCompleted
	case api.AllocClientStatusFailed:
		o.State, o.ExitCode = state.StateFailed, 1
		o.Reason = failureReason(a.Task)
		if ev := lastTerminated(a.Task); ev != nil {
			o.ExitCode, o.ExitSignal = ev.ExitCode, ev.Signal
			if ev.Signal != 0 {
				o.ExitCode = 0 // killed by a signal: Slurm's 0:SIG
			}
			if ev.Details["oom_killed"] == "true" {
				o.State = state.StateOutOfMemory
			}
		}
	case api.AllocClientStatusLost, api.AllocClientStatusUnknown:
		o.State = state.StateNodeFail
	default:
		return o, false
	}
	return o, true
}

// killed reports whether Nomad killed the task (a stop, a drain) rather
// than the script ending by itself.
func killed(ts *api.TaskState) bool {
	if ts == nil {
		return false
	}
	for _, ev := range ts.Events {
		if ev.Type == api.TaskKilled {
			return true
		}
	}
	return false
}

// maxReason bounds the reason a failed job keeps.
const maxReason = 512

// failureReason is what the node said when it could not run the job: the
// driver's error when the task never started (the run-as user does not
// exist, an invalid task), or the message a task that ended reported with
// its exit (the task driver reports slurmstepd's "Could not open stdout
// file ..." there). "" when the job simply exited non-zero.
func failureReason(ts *api.TaskState) string {
	if ts == nil {
		return ""
	}
	msg := ""
	for i := len(ts.Events) - 1; i >= 0 && msg == ""; i-- {
		ev := ts.Events[i]
		switch ev.Type {
		case api.TaskDriverFailure:
			msg = "JobLaunchFailure: " + or(ev.DriverError, ev.DisplayMessage)
		case api.TaskSetupFailure:
			msg = "JobLaunchFailure: " + or(ev.SetupError, ev.DisplayMessage)
		case api.TaskFailedValidation:
			msg = "JobLaunchFailure: " + or(ev.ValidationError, ev.DisplayMessage)
		case api.TaskTerminated:
			msg = ev.Details["exit_message"]
		}
	}
	// A driver's error crosses the plugin's gRPC boundary.
	msg = strings.Replace(msg, "rpc error: code = Unknown desc = ", "", 1)
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > maxReason {
		msg = msg[:maxReason] + "..."
	}
	return msg
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func lastTerminated(ts *api.TaskState) *api.TaskEvent {
	if ts == nil {
		return nil
	}
	for i := len(ts.Events) - 1; i >= 0; i-- {
		if ts.Events[i].Type == api.TaskTerminated {
			return ts.Events[i]
		}
	}
	return nil
}

func hasTerminal(allocs []*api.AllocationListStub) bool {
	for _, a := range allocs {
		if _, ok := outcomeOf(stubAlloc(a)); ok {
			return true
		}
	}
	return false
}

// emit queues an outcome without blocking: the scheduler, which takes
// outcomes, also calls Start, which may emit.
func (e *Executor) emit(o sched.Outcome) {
	e.mu.Lock()
	e.pending = append(e.pending, o)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// deliver hands queued outcomes to the scheduler until ctx ends.
func (e *Executor) deliver(ctx context.Context) {
	for {
		e.mu.Lock()
		var next *sched.Outcome
		if len(e.pending) > 0 {
			next = &e.pending[0]
		}
		e.mu.Unlock()
		if next == nil {
			select {
			case <-ctx.Done():
				return
			case <-e.wake:
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case e.outcomes <- *next:
			e.mu.Lock()
			e.pending = e.pending[1:]
			e.mu.Unlock()
		}
	}
}

func isNotFound(err error) bool {
	var ue api.UnexpectedResponseError
	if errors.As(err, &ue) && ue.HasStatusCode() {
		return ue.StatusCode() == http.StatusNotFound
	}
	return strings.Contains(err.Error(), "404")
}
