package sched

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// directRaft applies commands straight to a store, in order: a single-node
// stand-in for the Raft leader in unit tests.
type directRaft struct {
	mu    sync.Mutex
	store *state.Store
	index uint64
}

func (d *directRaft) Apply(_ context.Context, cmd []byte) (*state.Result, uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.index++
	return d.store.Apply(d.index, cmd), d.index, nil
}

// fakeExecutor runs nothing: it records starts, stops and signals, and the
// test decides when and how each job ends. It honours the Executor contract
// (idempotent Start/Stop, Running, Capacity, Outcomes).
type fakeExecutor struct {
	mu       sync.Mutex
	capacity int // -1: unlimited
	running  map[uint64]bool
	started  []uint64
	stopped  []uint64
	signals  []string
	outcomes chan Outcome
	maxSeen  map[uint64]int // array job id -> most tasks running at once
	arrayOf  map[uint64]uint64
}

func newFakeExecutor(capacity int) *fakeExecutor {
	return &fakeExecutor{capacity: capacity, running: map[uint64]bool{}, outcomes: make(chan Outcome, 1024),
		maxSeen: map[uint64]int{}, arrayOf: map[uint64]uint64{}}
}

func (f *fakeExecutor) Start(_ context.Context, j *state.Job, sub *state.Submission) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sub == nil {
		return fmt.Errorf("job %d has no submission", j.ID)
	}
	if f.running[j.ID] {
		return nil
	}
	f.running[j.ID] = true
	f.started = append(f.started, j.ID)
	if j.ArrayJobID != 0 {
		f.arrayOf[j.ID] = j.ArrayJobID
		n := 0
		for id := range f.running {
			if f.arrayOf[id] == j.ArrayJobID {
				n++
			}
		}
		f.maxSeen[j.ArrayJobID] = max(f.maxSeen[j.ArrayJobID], n)
	}
	return nil
}

func (f *fakeExecutor) Stop(_ context.Context, id uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running[id] {
		delete(f.running, id)
		f.stopped = append(f.stopped, id)
	}
	return nil
}

func (f *fakeExecutor) Signal(_ context.Context, id uint64, sig string, scope SignalScope) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signals = append(f.signals, fmt.Sprintf("%d:%s:%v", id, sig, scope == ScopeBatch))
	return nil
}

func (f *fakeExecutor) Running(context.Context) ([]uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []uint64
	for id := range f.running {
		ids = append(ids, id)
	}
	return ids, nil
}

func (f *fakeExecutor) Capacity(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.capacity < 0 {
		return -1, nil
	}
	return max(f.capacity-len(f.running), 0), nil
}

func (f *fakeExecutor) Outcomes() <-chan Outcome { return f.outcomes }

// end finishes a running job on the executor side.
func (f *fakeExecutor) end(id uint64, st state.JobState, code int) Outcome {
	f.mu.Lock()
	delete(f.running, id)
	f.mu.Unlock()
	return Outcome{JobID: id, State: st, ExitCode: code}
}

// harness is a scheduler over a fresh store with a controllable clock.
type harness struct {
	t     *testing.T
	store *state.Store
	raft  *directRaft
	exec  *fakeExecutor
	s     *Scheduler
	now   time.Time
}

func newHarness(t *testing.T, capacity int) *harness {
	h := &harness{t: t, store: state.New(), exec: newFakeExecutor(capacity), now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	h.raft = &directRaft{store: h.store}
	h.s = New(Config{Store: h.store, Raft: h.raft, Executor: h.exec, Now: func() time.Time { return h.now }})
	return h
}

func (h *harness) submit(user, script string, args ...string) uint64 {
	h.t.Helper()
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script), Args: args, Now: h.now, MaxArraySize: 1000001})
	if spec == nil {
		h.t.Fatal(diags.Render())
	}
	b, _ := state.Encode(state.CmdJobSubmit, state.JobSubmitCmd{Time: h.now, User: user, DefaultPartition: "debug",
		Submission: &state.Submission{Script: []byte(script), ScriptName: "job.sh", Spec: spec}, Job: fromspec.MustRecord(spec, "debug")})
	res, _, _ := h.raft.Apply(context.Background(), b)
	if res.Err != nil {
		h.t.Fatal(res.Err)
	}
	return res.Value.(state.JobSubmitResult).JobID
}

func (h *harness) pass() {
	h.t.Helper()
	if err := h.s.Pass(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) finish(o Outcome) {
	h.s.finish(context.Background(), o)
}

func (h *harness) job(id uint64) *state.Job { return h.store.View().Job(id) }

func TestAfterokChainRunsInOrder(t *testing.T) {
	h := newHarness(t, -1)
	a := h.submit("u", "#!/bin/sh\ntrue\n")
	b := h.submit("u", "#!/bin/sh\ntrue\n", fmt.Sprintf("--dependency=afterok:%d", a))
	c := h.submit("u", "#!/bin/sh\ntrue\n", fmt.Sprintf("--dependency=afterok:%d", b))
	notok := h.submit("u", "#!/bin/sh\ntrue\n", fmt.Sprintf("--dependency=afternotok:%d", a))
	h.pass()
	if h.job(a).State != state.StateRunning || h.job(b).Reason != state.ReasonDependency {
		t.Fatalf("a %s, b %s/%s", h.job(a).State, h.job(b).State, h.job(b).Reason)
	}
	h.finish(h.exec.end(a, state.StateCompleted, 0))
	h.pass()
	if h.job(b).State != state.StateRunning || h.job(c).State != state.StatePending {
		t.Fatalf("b %s, c %s", h.job(b).State, h.job(c).State)
	}
	if got := h.job(notok); got.State != state.StatePending || got.Reason != state.ReasonDependencyNeverSatisfied {
		t.Errorf("afternotok after success: %s/%s", got.State, got.Reason)
	}
	h.finish(h.exec.end(b, state.StateCompleted, 0))
	h.pass()
	if h.job(c).State != state.StateRunning {
		t.Fatalf("c %s", h.job(c).State)
	}
	if want := []uint64{a, b, c}; !slices.Equal(h.exec.started, want) {
		t.Errorf("start order %v, want %v", h.exec.started, want)
	}
}

func TestKillOnInvalidDep(t *testing.T) {
	h := newHarness(t, -1)
	a := h.submit("u", "#!/bin/sh\ntrue\n")
	b := h.submit("u", "#!/bin/sh\ntrue\n", fmt.Sprintf("--dependency=afterok:%d", a), "--kill-on-invalid-dep=yes")
	h.pass()
	h.finish(h.exec.end(a, state.StateFailed, 3))
	h.pass()
	if got := h.job(b); got.State != state.StateCancelled {
		t.Errorf("dependent of a failed job with --kill-on-invalid-dep: %s/%s", got.State, got.Reason)
	}
}

func TestArrayThrottle(t *testing.T) {
	h := newHarness(t, -1)
	arr := h.submit("u", "#!/bin/sh\n#SBATCH --array=1-10%2\ntrue\n")
	for round := 0; round < 20; round++ {
		h.pass()
		running, _ := h.exec.Running(context.Background())
		if len(running) == 0 {
			break
		}
		h.finish(h.exec.end(running[0], state.StateCompleted, 0))
	}
	if m := h.exec.maxSeen[arr]; m != 2 {
		t.Errorf("at most %d tasks ran at once, want 2", m)
	}
	if n := len(h.exec.started); n != 10 {
		t.Errorf("%d tasks started, want 10", n)
	}
	if base := h.job(arr); !base.Pending.Empty() {
		t.Errorf("pending left: %s", base.Pending)
	}
}

func TestHoldBeginAndResources(t *testing.T) {
	h := newHarness(t, 1)
	held := h.submit("u", "#!/bin/sh\n#SBATCH --hold\ntrue\n")
	later := h.submit("u", "#!/bin/sh\ntrue\n", "--begin=2026-11-21T13:00:00")
	first := h.submit("u", "#!/bin/sh\ntrue\n")
	second := h.submit("u", "#!/bin/sh\ntrue\n")
	h.pass()
	for id, want := range map[uint64]string{held: state.ReasonHeldUser, later: state.ReasonBeginTime, second: state.ReasonResources} {
		if got := h.job(id).Reason; got != want {
			t.Errorf("job %d reason %s, want %s", id, got, want)
		}
	}
	if h.job(first).State != state.StateRunning {
		t.Errorf("first: %s", h.job(first).State)
	}
	h.finish(h.exec.end(first, state.StateCompleted, 0))
	h.now = h.now.Add(2 * time.Hour)
	h.pass()
	if h.job(later).State != state.StateRunning {
		t.Errorf("--begin job after its time: %s/%s", h.job(later).State, h.job(later).Reason)
	}
}

func TestTimeLimitAndSignal(t *testing.T) {
	h := newHarness(t, -1)
	id := h.submit("u", "#!/bin/sh\n#SBATCH -t 2 --signal=B:USR1@60\nsleep 1000\n")
	h.pass()
	// Held by the executor with no node for longer than the limit: the
	// clock has not started.
	h.now = h.now.Add(5 * time.Minute)
	h.pass()
	if got := h.job(id); got.State != state.StateRunning || len(h.exec.signals) != 0 {
		t.Fatalf("unplaced job after 5 min of a 2 min limit: %s, signals %v", got.State, h.exec.signals)
	}
	h.finish(Outcome{JobID: id, State: state.StateRunning, Node: "n1", Time: h.now})
	if got := h.job(id); got.NodeList != "n1" || !got.StartTime.Equal(h.now) {
		t.Fatalf("placed: node %q start %v", got.NodeList, got.StartTime)
	}
	h.now = h.now.Add(61 * time.Second)
	h.pass()
	if len(h.exec.signals) != 1 || h.exec.signals[0] != fmt.Sprintf("%d:USR1:true", id) {
		t.Errorf("signals %v", h.exec.signals)
	}
	h.now = h.now.Add(time.Minute)
	h.pass()
	if got := h.job(id); got.State != state.StateTimeout {
		t.Errorf("after the limit: %s", got.State)
	}
	if !slices.Contains(h.exec.stopped, id) {
		t.Errorf("timed-out job not stopped: %v", h.exec.stopped)
	}
}

func TestReconcileAfterFailover(t *testing.T) {
	h := newHarness(t, -1)
	id := h.submit("u", "#!/bin/sh\ntrue\n")
	h.pass()
	// A new leader with an executor that forgot the job restarts it once.
	h.exec = newFakeExecutor(-1)
	h.s = New(Config{Store: h.store, Raft: h.raft, Executor: h.exec, Now: func() time.Time { return h.now }})
	h.pass()
	h.pass()
	if !slices.Equal(h.exec.started, []uint64{id}) {
		t.Errorf("restarted %v, want [%d]", h.exec.started, id)
	}
	// Cancelling a running job stops it on the executor.
	b, _ := state.Encode(state.CmdJobCancel, state.JobCancelCmd{Time: h.now, By: state.Actor{User: "u"}, Refs: []state.JobRef{{JobID: id, Task: state.AllTasks}}})
	h.raft.Apply(context.Background(), b)
	h.pass()
	if !slices.Equal(h.exec.stopped, []uint64{id}) {
		t.Errorf("stopped %v", h.exec.stopped)
	}
}

func TestRunLoopStopsWithContext(t *testing.T) {
	h := newHarness(t, -1)
	id := h.submit("u", "#!/bin/sh\ntrue\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.s.Run(ctx) }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10s", what)
			}
			select {
			case <-h.store.WatchJobs():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	waitFor("job started", func() bool { return h.job(id).State == state.StateRunning })
	h.exec.outcomes <- h.exec.end(id, state.StateCompleted, 0)
	waitFor("outcome committed", func() bool { return h.job(id).State == state.StateCompleted })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
}

func TestPassGap(t *testing.T) {
	for _, c := range []struct{ took, want time.Duration }{
		{0, minPassGap},
		{time.Millisecond, minPassGap},
		{20 * time.Millisecond, 40 * time.Millisecond},
	} {
		if got := passGap(c.took); got != c.want {
			t.Errorf("passGap(%v) = %v, want %v", c.took, got, c.want)
		}
	}
}

// admittingExecutor refuses to admit the jobs in refuse.
type admittingExecutor struct {
	*fakeExecutor
	refuse map[uint64]bool
}

func (a *admittingExecutor) Admit(_ context.Context, j *state.Job, _ *state.Submission) bool {
	return !a.refuse[j.ID]
}

func TestAdmitKeepsJobPending(t *testing.T) {
	h := newHarness(t, -1)
	ex := &admittingExecutor{fakeExecutor: h.exec, refuse: map[uint64]bool{}}
	h.s = New(Config{Store: h.store, Raft: h.raft, Executor: ex, Now: func() time.Time { return h.now }})
	held := h.submit("u", "#!/bin/sh\n#SBATCH --exclusive\ntrue\n")
	other := h.submit("u", "#!/bin/sh\ntrue\n")
	ex.refuse[held] = true
	h.pass()
	if j := h.job(held); j.State != state.StatePending || j.Reason != state.ReasonResources {
		t.Errorf("refused job: %s (%s), want PENDING (Resources)", j.State, j.Reason)
	}
	if j := h.job(other); j.State != state.StateRunning {
		t.Errorf("the job after it: %s, want RUNNING", j.State)
	}
	delete(ex.refuse, held)
	h.pass()
	if j := h.job(held); j.State != state.StateRunning || !slices.Contains(h.exec.started, held) {
		t.Errorf("admitted job: %s, started %v", j.State, h.exec.started)
	}
}

// taskAdmittingExecutor admits at most room tasks of an array per pass.
type taskAdmittingExecutor struct {
	*fakeExecutor
	room  int
	asked []int // the want of each AdmitTasks call
}

func (a *taskAdmittingExecutor) Admit(context.Context, *state.Job, *state.Submission) bool {
	return true
}

func (a *taskAdmittingExecutor) AdmitTasks(_ context.Context, _ *state.Job, _ *state.Submission, want int) int {
	a.asked = append(a.asked, want)
	return a.room
}

// TestAdmitTasksBoundsArray: an executor that takes only some of an
// array's tasks now (a GPU array: as many as the free GPUs hold) gets only
// those started; the array waits PENDING (Resources) when it takes none.
func TestAdmitTasksBoundsArray(t *testing.T) {
	h := newHarness(t, -1)
	ex := &taskAdmittingExecutor{fakeExecutor: h.exec, room: 2}
	h.s = New(Config{Store: h.store, Raft: h.raft, Executor: ex, Now: func() time.Time { return h.now }})
	base := h.submit("u", "#!/bin/sh\n#SBATCH --array=1-10%4 --gres=gpu:1\ntrue\n")
	h.pass()
	if len(h.exec.started) != 2 {
		t.Errorf("started %v, want 2 tasks", h.exec.started)
	}
	if !slices.Equal(ex.asked, []int{4}) {
		t.Errorf("AdmitTasks asked for %v, want [4] (the %%4 throttle)", ex.asked)
	}
	ex.room = 0
	h.pass()
	if len(h.exec.started) != 2 {
		t.Errorf("started %v with no room, want still 2", h.exec.started)
	}
	if j := h.job(base); j.State != state.StatePending || j.Reason != state.ReasonResources {
		t.Errorf("array: %s (%s), want PENDING (Resources)", j.State, j.Reason)
	}
}

// TestGiveBackOutcome: a PENDING outcome (the executor gave back a run no
// node took) queues the job again with the reason given, and the next
// pass starts it again under a new restart count.
func TestGiveBackOutcome(t *testing.T) {
	h := newHarness(t, 10)
	id := h.submit("alice", "#!/bin/sh\n#SBATCH -N 2\ntrue\n")
	h.pass()
	if j := h.job(id); j.State != state.StateRunning {
		t.Fatalf("not started: %s", j.State)
	}
	delete(h.exec.running, id) // the executor gave it back
	h.finish(Outcome{JobID: id, State: state.StatePending, Reason: state.ReasonResources})
	if j := h.job(id); j.State != state.StatePending || j.Reason != state.ReasonResources || j.RestartCount != 1 {
		t.Fatalf("after give-back: %s (%s), restarts %d", j.State, j.Reason, j.RestartCount)
	}
	h.pass()
	if j := h.job(id); j.State != state.StateRunning || j.RestartCount != 1 {
		t.Errorf("next pass: %s, restarts %d; want RUNNING again", j.State, j.RestartCount)
	}
}

// TestOutcomeStartsWaitingJob: a run's end, once committed, lets the job
// waiting for its room start at once, not at the next Interval (the
// commit's change used to go unwatched: GPU jobs waited up to a second
// between one's end and the next's start).
func TestOutcomeStartsWaitingJob(t *testing.T) {
	h := newHarness(t, 1)
	h.s = New(Config{Store: h.store, Raft: h.raft, Executor: h.exec, Interval: time.Hour, Now: func() time.Time { return h.now }})
	a := h.submit("u", "#!/bin/sh\ntrue\n")
	b := h.submit("u", "#!/bin/sh\ntrue\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			changed := h.store.WatchJobs() // before the look: no change missed
			if cond() {
				return
			}
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("%s: not within 10s (the scheduler's Interval is an hour)", what)
			}
		}
	}
	waitFor("first job started", func() bool { return h.job(a).State == state.StateRunning })
	waitFor("second job waits for Resources", func() bool { return h.job(b).Reason == state.ReasonResources })
	h.exec.outcomes <- h.exec.end(a, state.StateCompleted, 0)
	waitFor("second job started after the first's end", func() bool { return h.job(b).State == state.StateRunning })
}
