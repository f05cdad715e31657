// Package nomadexec is the coordinator's Nomad backend: it implements
// sched.Executor by translating each started Slurm job (or array task) into a
// Nomad batch job with a deterministic id, follows Nomad's event stream to
// learn where jobs run and how they end, heals missed events with a periodic
// full reconcile, and has each ended job's output archived (bridge/archive)
// before it reports the end.
package nomadexec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// Defaults of the backend's settings: Config's, Translation's and Nodes'
// zero values, and hpcbridge server's flags.
const (
	// DefaultMaxQueued is Config.MaxQueued's default.
	DefaultMaxQueued = 32
	// DefaultMHzPerCPU is the Nomad CPU shares (MHz) a Slurm CPU reserves.
	DefaultMHzPerCPU = 100
	// DefaultMemMiB is the memory of a job that asks for none.
	DefaultMemMiB int64 = 512
	// DefaultKillTimeout is Slurm's KillWait: SIGTERM, then SIGKILL after it.
	DefaultKillTimeout = 30 * time.Second
	// DefaultReconcileInterval is Config.ReconcileInterval's default.
	DefaultReconcileInterval = 30 * time.Second
)

// Config configures an Executor.
type Config struct {
	Client *api.Client
	Store  *state.Store
	// Raft catches the store up with the log before a new leader first
	// looks at Nomad (the leader's raft node).
	Raft Raft
	// Checkpoints keeps the event stream's position in the replicated
	// state (nil: not kept; a new leader reads the stream from its start).
	Checkpoints Checkpoints
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
	Outputs Archiver
	// Nodes is the node view (Nodes) that GPU jobs are admitted by: one
	// starts only when a node has its GPUs free, else it waits PENDING
	// (Resources). It also resolves GPU types to models (Translation's
	// GPUModels, unless set). Nil: GPU jobs are admitted and wait for
	// their GPUs in Nomad.
	Nodes NodeSnapshots
	// Steps commits the srun steps the task driver reports (steps.go);
	// nil: steps are not accounted.
	Steps StepRecorder
	// ConfigureTimeout bounds how long a multi-node run waits CONFIGURING
	// (registered, not all its allocations running) before the executor
	// gives it back: Nomad job stopped, job PENDING (Resources) again
	// (default DefaultConfigureTimeout). Checked at each reconcile.
	ConfigureTimeout time.Duration
	// Reclaim follows node reclaims, drains and donation windows
	// (reclaim.go).
	Reclaim ReclaimConfig
	Logger  *slog.Logger
	// RunTokens mints each run's token and Coordinator returns the API
	// URLs (comma separated) the run's node talks to with it
	// (runconfig.go); either nil: runs get neither.
	RunTokens   RunTokens
	Coordinator func() string
}

// Archiver keeps a copy of an ended run's output (bridge/archive): the
// executor reports a run's end only after Archive returned.
type Archiver interface {
	Archive(ctx context.Context, jobID uint64, allocID, nodeID string) error
}

// Raft is what the executor needs of the leader's Raft node.
type Raft interface {
	// Barrier returns once the local store has applied every entry
	// committed before the call.
	Barrier(ctx context.Context) error
}

// Checkpoints commits the index of the last Nomad event the leader
// handled, as the replicated meta key MetaEventIndex, where the next
// leader's event follower resumes. The coordinator commits it; the
// executor only reads the key.
type Checkpoints interface {
	SaveEventIndex(ctx context.Context, index uint64) error
}

// Executor runs jobs on Nomad. It is created once per server; RunTerm
// drives it in each leader term.
type Executor struct {
	cfg      Config
	outcomes chan sched.Outcome

	mu    sync.Mutex
	runs  map[uint64]*run // by Slurm job id
	nomad map[string]uint64
	// owed: runs that ended on Nomad (gone from runs) whose final outcome
	// the scheduler has not taken yet; Running still lists them, so that
	// a pass before the end is committed does not start them again.
	owed    map[uint64]bool
	synced  bool
	pending []sched.Outcome // not yet taken from outcomes
	// exclusiveRetry: when an --exclusive job that found no idle node
	// may look again (each look is a node list and a plan per node).
	exclusiveRetry map[uint64]time.Time
	wake           chan struct{}
	ends           []ending // not yet finished (see RunTerm)
	endsWake       chan struct{}
	// gpuAdmitted: GPU jobs Admit let through that Start has not taken
	// yet (their GPUs are set aside); gpuRuns: the runs at the last GPU
	// admission (one gone since has freed its GPUs: look at Nomad again).
	gpuAdmitted map[uint64]admitted
	gpuRuns     map[uint64]bool
	// multiAdmitted: multi-node jobs Admit found room for, with their
	// plan (Start registers it).
	multiAdmitted map[uint64]multiPlan
	// render, in tests only, changes a multi-node job after translation
	// (a raw_exec task where the test needs no task driver).
	render func(*api.Job)
	// stepsSent: the steps of a running job asked to be committed in this
	// term, by run and step id, true once with the step's end (steps.go).
	stepsSent map[uint64]map[[2]int]bool
}

// exclusiveRetryGap is how long an --exclusive job that found no idle node
// waits before it looks again.
const exclusiveRetryGap = 2 * time.Second

// run is a job this leader knows to be on Nomad.
type run struct {
	nomadID string
	placed  bool
	// A multi-node run: its node count (0 or 1: one node), its site
	// (datacenter), since when it is tracked (the give-back bound counts
	// from there) and its allocations as last seen.
	nodes  int
	site   string
	since  time.Time
	allocs map[string]alloc
}

var _ sched.Executor = (*Executor)(nil)

// New returns an Executor.
func New(cfg Config) *Executor {
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = DefaultMaxQueued
	}
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = DefaultReconcileInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ConfigureTimeout <= 0 {
		cfg.ConfigureTimeout = DefaultConfigureTimeout
	}
	if cfg.Nodes != nil && cfg.GPUModels == nil {
		cfg.GPUModels = cfg.Nodes
	}
	return &Executor{cfg: cfg, outcomes: make(chan sched.Outcome), runs: map[uint64]*run{}, nomad: map[string]uint64{}, owed: map[uint64]bool{}, exclusiveRetry: map[uint64]time.Time{}, wake: make(chan struct{}, 1), endsWake: make(chan struct{}, 1),
		gpuAdmitted: map[uint64]admitted{}, multiAdmitted: map[uint64]multiPlan{}}
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
	// Its GPU admission is used: from here it is a run (tracked below,
	// and counted until Nomad places it) or it will not run.
	e.started(j)
	q := (&api.QueryOptions{}).WithContext(ctx)
	existing, _, err := e.cfg.Client.Jobs().Info(nid, q)
	switch {
	case err == nil && existing != nil:
		allocs, _, err := e.cfg.Client.Jobs().Allocations(nid, true, q)
		if err != nil {
			return fmt.Errorf("allocations of %s: %w", nid, err)
		}
		// A stopped one whose allocation still runs is waited for too
		// (the previous leader stopped it, e.g. at a reclaim's deadline,
		// and its task is still ending, saving and committing its
		// checkpoint): registered again, the same run would be placed on
		// another node beside it.
		if hasTerminal(allocs) || hasLive(allocs) || existing.Stop == nil || !*existing.Stop {
			site := ""
			if len(existing.Datacenters) > 0 {
				site = existing.Datacenters[0]
			}
			e.track(j.ID, nid, jobNodes(sub), site)
			e.handleListed(ctx, allocs)
			return nil
		}
		// Stopped before any allocation ran: register it again below.
	case err != nil && !IsNotFound(err):
		return fmt.Errorf("look up %s: %w", nid, err)
	}
	e.knowGPUModels(ctx, sub)
	if n := jobNodes(sub); n > 1 {
		return e.startMulti(ctx, j, sub, n)
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
	if err := e.runConfig(ctx, j, job); err != nil {
		return err
	}
	if _, _, err := e.cfg.Client.Jobs().Register(job, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		if isInvalidJob(err) {
			// Nomad will never take this job: fail it rather than retry.
			e.cfg.Logger.Warn("Nomad refused the job", "job", j.SlurmID(), "err", err)
			e.emit(sched.Outcome{JobID: j.ID, State: state.StateFailed, ExitCode: 1})
			return nil
		}
		return fmt.Errorf("register %s: %w", nid, err)
	}
	e.track(j.ID, nid, 1, "")
	return nil
}

// track makes a run this leader follows: nodes is its node count, site
// its datacenter (a multi-node run's).
func (e *Executor) track(id uint64, nid string, nodes int, site string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if old := e.runs[id]; old != nil {
		delete(e.nomad, old.nomadID)
	}
	e.runs[id] = &run{nomadID: nid, nodes: nodes, site: site, since: time.Now()}
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
	delete(e.multiAdmitted, jobID)
	e.mu.Unlock()
	r := e.untrack(jobID)
	nid := ""
	multi := false
	if r != nil {
		nid, multi = r.nomadID, r.nodes > 1
	} else if v := e.cfg.Store.View(); v.Job(jobID) != nil {
		j := v.Job(jobID)
		nid, multi = NomadID(j), jobNodes(v.Submission(j)) > 1
	} else {
		return nil
	}
	_, _, err := e.cfg.Client.Jobs().Deregister(nid, false, (&api.WriteOptions{}).WithContext(ctx))
	if err != nil && !IsNotFound(err) {
		if r != nil {
			e.track(jobID, nid, r.nodes, r.site) // try again next pass
		}
		return fmt.Errorf("deregister %s: %w", nid, err)
	}
	if multi {
		e.deleteStepKey(ctx, nid)
	}
	return nil
}

// Signal sends a signal through Nomad's alloc signal API. The task driver
// reads the Slurm scope from a prefix of the signal name: "B:" for the
// batch shell only, "F:" for every process; without one, the job's steps.
// A multi-node run's every running allocation gets it (each node's steps
// and processes), but "B:", which only the batch node's gets (batchAllocs);
// a node that cannot be reached does not keep the others from it.
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
	var running []*api.AllocationListStub
	for _, a := range allocs {
		if a.ClientStatus == api.AllocClientStatusRunning {
			running = append(running, a)
		}
	}
	if scope == sched.ScopeBatch && len(running) > 1 {
		running = batchAllocs(running)
	}
	if len(running) == 0 {
		return fmt.Errorf("job %s is not running on Nomad", j.SlurmID())
	}
	var errs []error
	for _, a := range running {
		if err := e.cfg.Client.Allocations().Signal(&api.Allocation{ID: a.ID, NodeID: a.NodeID}, q, TaskName, name); err != nil {
			errs = append(errs, fmt.Errorf("signal %s on %s: %w", nid, a.NodeName, err))
		}
	}
	return errors.Join(errs...)
}

// batchAllocs is, of a multi-node run's running allocations, the one that
// runs the batch script: the one whose task said so, else the one on the
// first node in hostlist order (as the driver picks it).
func batchAllocs(allocs []*api.AllocationListStub) []*api.AllocationListStub {
	r := &run{allocs: map[string]alloc{}}
	for _, a := range allocs {
		if isBatch(stubAlloc(a)) {
			return []*api.AllocationListStub{a}
		}
		r.allocs[a.ID] = stubAlloc(a)
	}
	first := batchNode(r)
	for _, a := range allocs {
		if a.NodeName == first {
			return []*api.AllocationListStub{a}
		}
	}
	return allocs
}

// Running lists the jobs this leader has on Nomad, and those that ended
// there whose end the scheduler has not taken yet while the replicated
// state still says they run (the end is on its way: starting them again
// would only find the end again). The first call of a term lists Nomad's
// slurm- jobs, so a new leader adopts its predecessor's runs and stops
// runs the replicated state no longer wants.
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
	out := make([]uint64, 0, len(e.runs)+len(e.owed))
	for id := range e.runs {
		out = append(out, id)
	}
	if len(e.owed) > 0 {
		v := e.cfg.Store.View()
		for id := range e.owed {
			if j := v.Job(id); e.runs[id] == nil && j != nil && j.State == state.StateRunning {
				out = append(out, id)
			}
		}
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

// hasLive reports whether an allocation still runs or waits to (pending or
// running on its client).
func hasLive(allocs []*api.AllocationListStub) bool {
	for _, a := range allocs {
		if a.ClientStatus == api.AllocClientStatusPending || a.ClientStatus == api.AllocClientStatusRunning {
			return true
		}
	}
	return false
}
