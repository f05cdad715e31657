// Package sched is the coordinator's scheduler loop. It runs on the Raft
// leader only: it decides which pending jobs are eligible (dependencies met,
// not held, --begin reached, array throttle respected), in priority order,
// commits each start through Raft and hands the job to an Executor (Nomad, in
// production). It enforces time limits, delivers --signal before them, keeps
// the executor in step with the replicated state after a failover, and
// commits outcomes and pending reasons.
package sched

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// ErrNotYet, returned (wrapped) by Executor.Start, says the executor cannot
// take the job now (an --exclusive job finds no idle node) and wants it
// offered again on a later pass; it is not worth a warning.
var ErrNotYet = errors.New("the executor cannot take the job yet")

// Admitter is an Executor that can tell, before a start is committed,
// that it cannot take a job now (an --exclusive job while no node is idle):
// the job stays PENDING with reason Resources, as in Slurm, and the jobs
// after it go ahead.
type Admitter interface {
	Admit(ctx context.Context, job *state.Job, sub *state.Submission) bool
}

// TaskAdmitter is an Admitter that can also say how many tasks of an
// array it can take now (a GPU array: as many as the free GPUs hold), so
// that the rest wait PENDING (Resources) rather than on the executor.
// AdmitTasks is asked after Admit let the array through; want is the most
// the scheduler would start (-1: no bound). It returns how many may start,
// at most want unless want is -1; 0 keeps them all waiting; -1: no bound.
type TaskAdmitter interface {
	AdmitTasks(ctx context.Context, base *state.Job, sub *state.Submission, want int) int
}

// Executor runs jobs. Implementations must be idempotent by job id: a new
// leader may Start a job its predecessor already started.
type Executor interface {
	// Start runs a job the coordinator has committed as RUNNING.
	Start(ctx context.Context, job *state.Job, sub *state.Submission) error
	// Stop ends a job's work (cancelled, requeued, timed out); stopping a
	// job that does not run is not an error.
	Stop(ctx context.Context, jobID uint64) error
	// Signal delivers a signal (a name such as "USR1") to a running job,
	// to the processes scope names.
	Signal(ctx context.Context, jobID uint64, sig string, scope SignalScope) error
	// Running lists the jobs the executor runs now.
	Running(ctx context.Context) ([]uint64, error)
	// Capacity is how many more jobs it can take now (Slurm's Resources
	// reason holds the rest); a negative value means no limit.
	Capacity(ctx context.Context) (int, error)
	// Outcomes delivers how jobs ended, and when and where started jobs
	// began to run (State RUNNING with Node set).
	Outcomes() <-chan Outcome
}

// SignalScope says which of a job's processes a signal reaches, as Slurm's
// scancel options and --signal's B: prefix do.
type SignalScope string

// The scopes.
const (
	// ScopeSteps signals the job's steps (srun-launched tasks) but not the
	// batch shell: scancel -s SIG, and --signal without B:.
	ScopeSteps SignalScope = ""
	// ScopeBatch signals the batch shell only: scancel --batch, --signal=B:.
	ScopeBatch SignalScope = "batch"
	// ScopeFull signals every process of the job: scancel --full.
	ScopeFull SignalScope = "full"
)

// Outcome is how a job ended on the executor, or, with State RUNNING, that
// its work started on Node (a hostlist for a multi-node run) at Time, or,
// with State PENDING, that the executor gave back a run no node had taken
// (it is queued again, with Reason as its pending reason).
type Outcome struct {
	JobID      uint64
	State      state.JobState
	ExitCode   int
	ExitSignal int
	Time       time.Time
	Node       string
	// Reason is why a failed job failed, when the executor knows more
	// than its exit code (it could not be started, or its output not
	// opened); it becomes the job's Reason in scontrol and sacct.
	Reason string
	// GPU is the GPUs Nomad allocated to the run, and its node; nil when
	// it has none. Measured is what NVML measured for them on the node
	// (an ended run only; nil: not measured). Both go to accounting.
	GPU      *state.GPUAlloc
	Measured *state.GPUMeasure
	// Requeue: the run ended in State (PREEMPTED: its node was
	// reclaimed; REQUEUED: it exited 85, checkpointed) and the job is
	// queued again (state.NodeReclaimCmd); Run is the job's restart
	// count in that run.
	Requeue bool
	Run     int
}

// Applier commits commands through Raft (the leader's raft.Node).
type Applier interface {
	Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error)
}

// Config configures a Scheduler.
type Config struct {
	Store    *state.Store
	Raft     Applier
	Executor Executor
	// Interval between passes when nothing changes (default 1s).
	Interval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Priority orders the pending jobs (bridge/fairshare: Slurm's
	// priority/multifactor with reciprocal fair share); nil orders them
	// by state.Job.Priority, as priority/basic does.
	Priority *fairshare.Priorities
	Logger   *slog.Logger
}

// Scheduler is the leader's loop. Create it with New and run it with Run
// while the node leads.
type Scheduler struct {
	cfg      Config
	signaled map[uint64]bool // --signal already delivered (this term)
}

// New returns a scheduler.
func New(cfg Config) *Scheduler {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{cfg: cfg, signaled: map[uint64]bool{}}
}

// Run schedules until ctx ends (leadership lost or shutdown): a pass at
// once, after changes to the jobs (spaced by passGap), outcomes' commits
// included, and every Interval.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	var last time.Time
	var took time.Duration
	// changed is watched from the end of the last pass (the pass's own
	// commits call for no other) until it fires: an outcome's commit
	// closes it, so that a run's end lets the jobs that wait for its room
	// (capacity, GPUs) start within passGap, not at the next Interval.
	changed := s.cfg.Store.WatchJobs()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case o := <-s.cfg.Executor.Outcomes():
			s.finish(ctx, o)
			continue
		case <-changed:
			changed = s.cfg.Store.WatchJobs()
			if wait := time.Until(last.Add(passGap(took))); wait > 0 {
				// Too soon after the last pass: let changes collect
				// until the gap is over.
				t.Reset(wait)
				continue
			}
		case <-t.C:
		}
		last = time.Now()
		err := s.Pass(ctx)
		took = time.Since(last)
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("scheduler pass", "err", err)
		}
		changed = s.cfg.Store.WatchJobs()
		t.Reset(s.cfg.Interval)
	}
}

// minPassGap is the least time between passes that changes trigger.
const minPassGap = 10 * time.Millisecond

// passGap is how long after the start of a pass that took d the next pass
// a change triggers may start: a pass walks and sorts every pending job,
// so one per commit would cost, with tens of thousands of pending jobs,
// more than the commits themselves. Twice the pass's time bounds the
// scheduler to a third of a core while submissions stream in; the jobs
// they submit wait at most that long for their first pass.
func passGap(d time.Duration) time.Duration { return max(minPassGap, 2*d) }

func (s *Scheduler) apply(ctx context.Context, t state.CommandType, payload any) (*state.Result, error) {
	b, err := state.Encode(t, payload)
	if err != nil {
		return nil, err
	}
	res, _, err := s.cfg.Raft.Apply(ctx, b)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Scheduler) finish(ctx context.Context, o Outcome) {
	if o.Time.IsZero() {
		o.Time = s.cfg.Now()
	}
	if o.State == state.StatePending {
		// The executor gave a run no node had taken back (a multi-node
		// run whose allocations did not all start in time): queued again.
		if _, err := s.apply(ctx, state.CmdJobGiveBack, state.JobGiveBackCmd{Time: o.Time, JobID: o.JobID, Reason: o.Reason}); err != nil {
			s.cfg.Logger.Warn("commit give-back", "job", o.JobID, "err", err)
		}
		return
	}
	if o.Requeue {
		if _, err := s.apply(ctx, state.CmdNodeReclaim, state.NodeReclaimCmd{Time: o.Time, Op: state.ReclaimRequeue, JobID: o.JobID, Run: o.Run, State: o.State,
			ExitCode: o.ExitCode, ExitSignal: o.ExitSignal, GPU: o.GPU, Measured: o.Measured}); err != nil {
			s.cfg.Logger.Warn("commit requeue", "job", o.JobID, "err", err)
		}
		return
	}
	if o.State == state.StateRunning {
		if _, err := s.apply(ctx, state.CmdJobPlaced, state.JobPlacedCmd{Time: o.Time, JobID: o.JobID, NodeList: o.Node, GPU: o.GPU}); err != nil {
			s.cfg.Logger.Warn("commit placement", "job", o.JobID, "err", err)
		}
		return
	}
	if _, err := s.apply(ctx, state.CmdJobFinish, state.JobFinishCmd{Time: o.Time, JobID: o.JobID, State: o.State, ExitCode: o.ExitCode, ExitSignal: o.ExitSignal, Reason: o.Reason,
		GPU: o.GPU, Measured: o.Measured}); err != nil {
		s.cfg.Logger.Warn("commit outcome", "job", o.JobID, "err", err)
	}
}

// Pass makes one scheduling pass: reconcile the executor with the state,
// enforce time limits, then start eligible jobs and record pending reasons.
func (s *Scheduler) Pass(ctx context.Context) error {
	now := s.cfg.Now()
	if err := s.reconcile(ctx, now); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	return s.schedule(ctx, now)
}

// reconcile starts what the state says runs but the executor lacks (after a
// failover), stops what runs but should not, and enforces time limits.
func (s *Scheduler) reconcile(ctx context.Context, now time.Time) error {
	running, err := s.cfg.Executor.Running(ctx)
	if err != nil {
		return err
	}
	onExec := make(map[uint64]bool, len(running))
	for _, id := range running {
		onExec[id] = true
	}
	v := s.cfg.Store.View()
	var timedOut []uint64
	var errs []error
	v.EachJobInState(state.StateRunning, func(j *state.Job) bool {
		if !onExec[j.ID] {
			if err := s.cfg.Executor.Start(ctx, j, v.Submission(j)); err != nil && !errors.Is(err, ErrNotYet) {
				errs = append(errs, fmt.Errorf("restart %d: %w", j.ID, err))
			}
		}
		delete(onExec, j.ID)
		// The limit counts from when the job runs on a node: a job the
		// executor holds unplaced (no node free, a GPU it waits for) has
		// not used any of its time.
		if j.TimeLimitMin > 0 && j.NodeList != "" {
			limit := j.StartTime.Add(time.Duration(j.TimeLimitMin) * time.Minute)
			if !now.Before(limit) {
				timedOut = append(timedOut, j.ID)
			} else if sig := signalOf(v, j); sig != nil && !s.signaled[j.ID] && !now.Before(limit.Add(-time.Duration(sig.Seconds)*time.Second)) {
				if err := s.cfg.Executor.Signal(ctx, j.ID, sig.Signal, scopeOf(sig)); err == nil {
					s.signaled[j.ID] = true
				}
			}
		}
		return true
	})
	for _, id := range timedOut {
		if _, err := s.apply(ctx, state.CmdJobFinish, state.JobFinishCmd{Time: now, JobID: id, State: state.StateTimeout, ExitCode: 0, ExitSignal: 15}); err != nil {
			errs = append(errs, err)
			continue
		}
		onExec[id] = true // stop it below
	}
	for id := range onExec {
		if err := s.cfg.Executor.Stop(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("stop %d: %w", id, err))
		}
		delete(s.signaled, id)
	}
	return errors.Join(errs...)
}

func scopeOf(sig *jobspec.Signal) SignalScope {
	if sig.BatchOnly {
		return ScopeBatch
	}
	return ScopeSteps
}

// signalOf is the job's --signal, or nil.
func signalOf(v *state.View, j *state.Job) *jobspec.Signal {
	if sub := v.Submission(j); sub != nil && sub.Spec != nil {
		return sub.Spec.Signal
	}
	return nil
}

// candidate is a pending job or the next task of a pending array.
type candidate struct {
	job  *state.Job
	task int
}

// rankedJob is a pending job with its priority for this pass.
type rankedJob struct {
	job  *state.Job
	prio int64
}

// schedule starts eligible jobs in priority order and records why the
// others wait.
func (s *Scheduler) schedule(ctx context.Context, now time.Time) error {
	v := s.cfg.Store.View()
	var pending []*state.Job
	v.EachJobInState(state.StatePending, func(j *state.Job) bool {
		if j.Hold == state.HoldNone { // held jobs wait wherever they sort
			pending = append(pending, j)
		}
		return true
	})
	prio := s.cfg.Priority.Func(v, now)
	ranked := make([]rankedJob, len(pending))
	for i, j := range pending {
		ranked[i] = rankedJob{j, prio(j)}
	}
	sort.Slice(ranked, func(a, b int) bool {
		pa, pb := ranked[a].prio, ranked[b].prio
		return pa > pb || pa == pb && ranked[a].job.ID < ranked[b].job.ID
	})
	for i := range ranked {
		pending[i] = ranked[i].job
	}
	capacity, err := s.cfg.Executor.Capacity(ctx)
	if err != nil {
		return err
	}
	reasons := map[uint64]string{}
	var cancel []state.JobRef
	var starts []candidate
	for _, j := range pending {
		reason, ok := s.eligible(v, j, now)
		if reason == state.ReasonDependencyNeverSatisfied && j.KillOnInvalidDep {
			cancel = append(cancel, state.JobRef{JobID: j.ID, Task: state.AllTasks})
			continue
		}
		if !ok {
			reasons[j.ID] = reason
			continue
		}
		if ad, ok := s.cfg.Executor.(Admitter); ok && capacity != 0 && !ad.Admit(ctx, j, v.Submission(j)) {
			reasons[j.ID] = state.ReasonResources
			continue
		}
		if j.IsArrayBase() {
			n := s.arrayRoom(v, j)
			if n == 0 {
				reasons[j.ID] = state.ReasonArrayTaskLimit
				continue
			}
			if ta, ok := s.cfg.Executor.(TaskAdmitter); ok && capacity != 0 {
				want := n
				if capacity > 0 && (want < 0 || capacity < want) {
					want = capacity
				}
				switch m := ta.AdmitTasks(ctx, j, v.Submission(j), want); {
				case m == 0:
					reasons[j.ID] = state.ReasonResources
					continue
				case m > 0 && (n < 0 || m < n):
					n = m
				}
			}
			j.Pending.Each(func(task int) bool {
				if capacity == 0 || n == 0 {
					return false
				}
				if v.Dependency(j, task, now) != state.DepMet {
					return true
				}
				starts = append(starts, candidate{job: j, task: task})
				n--
				capacity--
				return true
			})
		} else if capacity != 0 {
			starts = append(starts, candidate{job: j, task: state.NoTask})
			capacity--
		}
		if capacity == 0 {
			reasons[j.ID] = state.ReasonResources
		} else {
			reasons[j.ID] = state.ReasonPriority
		}
	}
	var errs []error
	for _, c := range starts {
		if err := s.start(ctx, c, now); err != nil && !errors.Is(err, ErrNotYet) {
			errs = append(errs, err)
		}
	}
	if len(cancel) > 0 {
		if _, err := s.apply(ctx, state.CmdJobCancel, state.JobCancelCmd{Time: now, By: state.Actor{Management: true}, Refs: cancel}); err != nil {
			errs = append(errs, err)
		}
	}
	if changed := changedReasons(v, reasons); len(changed) > 0 {
		if _, err := s.apply(ctx, state.CmdJobReasons, state.JobReasonsCmd{Reasons: changed}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func changedReasons(v *state.View, reasons map[uint64]string) map[uint64]string {
	out := map[uint64]string{}
	for id, r := range reasons {
		if j := v.Job(id); j != nil && j.Reason != r {
			out[id] = r
		}
	}
	return out
}

// eligible says whether a pending job may start now, or why not.
func (s *Scheduler) eligible(v *state.View, j *state.Job, now time.Time) (reason string, ok bool) {
	if !j.Begin.IsZero() && now.Before(j.Begin) {
		return state.ReasonBeginTime, false
	}
	task := state.NoTask
	if j.IsArrayBase() {
		if first, ok := j.Pending.Min(); ok {
			task = first
		}
	}
	switch v.Dependency(j, task, now) {
	case state.DepNever:
		return state.ReasonDependencyNeverSatisfied, false
	case state.DepWaiting:
		if !j.IsArrayBase() || !hasCorr(j) {
			return state.ReasonDependency, false
		}
	}
	return "", true
}

func hasCorr(j *state.Job) bool {
	if j.Submission == nil || j.Submission.Spec == nil || j.Submission.Spec.Dependency == nil {
		return false
	}
	for _, c := range j.Submission.Spec.Dependency.Conditions {
		if c.Type == "aftercorr" {
			return true
		}
	}
	return false
}

// arrayRoom is how many more tasks of an array may run under its %throttle
// (-1: no limit).
func (s *Scheduler) arrayRoom(v *state.View, base *state.Job) int {
	limit := base.Throttle()
	if limit <= 0 {
		return -1
	}
	running := 0
	for _, t := range v.ArrayTasks(base.ID) {
		if t.State == state.StateRunning || t.State == state.StateCompleting {
			running++
		}
	}
	return max(limit-running, 0)
}

// start commits a start and hands the job to the executor.
func (s *Scheduler) start(ctx context.Context, c candidate, now time.Time) error {
	res, err := s.apply(ctx, state.CmdJobStart, state.JobStartCmd{Time: now, JobID: c.job.ID, Task: c.task})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return nil // the job changed meanwhile (cancelled, held): next pass
	}
	id := res.Value.(state.JobStartResult).JobID
	v := s.cfg.Store.View()
	j := v.Job(id)
	if j == nil {
		return fmt.Errorf("started job %d vanished", id)
	}
	return s.cfg.Executor.Start(ctx, j, v.Submission(j))
}
