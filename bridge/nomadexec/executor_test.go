package nomadexec

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"go.uber.org/goleak"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

func TestOutcomeOf(t *testing.T) {
	exited := func(code, sig int, oom bool) *api.TaskState {
		d := map[string]string{}
		if oom {
			d["oom_killed"] = "true"
		}
		return &api.TaskState{Events: []*api.TaskEvent{{Type: api.TaskStarted}, {Type: api.TaskTerminated, ExitCode: code, Signal: sig, Details: d}}}
	}
	stopped := func(code int) *api.TaskState {
		return &api.TaskState{Events: []*api.TaskEvent{{Type: api.TaskStarted}, {Type: api.TaskKilling}, {Type: api.TaskTerminated, ExitCode: code}, {Type: api.TaskKilled}}}
	}
	for _, c := range []struct {
		status   string
		task     *api.TaskState
		terminal bool
		want     state.JobState
		exit     string
	}{
		{api.AllocClientStatusPending, nil, false, "", ""},
		{api.AllocClientStatusRunning, nil, false, "", ""},
		{api.AllocClientStatusComplete, exited(0, 0, false), true, state.StateCompleted, "0:0"},
		{api.AllocClientStatusFailed, exited(3, 0, false), true, state.StateFailed, "3:0"},
		{api.AllocClientStatusFailed, exited(137, 9, false), true, state.StateFailed, "0:9"},
		{api.AllocClientStatusFailed, exited(137, 9, true), true, state.StateOutOfMemory, "0:9"},
		// The node stopped heartbeating: Nomad holds the allocation as
		// unknown (disconnect.replace = false) until LostAfter, then lost.
		{api.AllocClientStatusUnknown, nil, true, state.StateNodeFail, "0:0"},
		{api.AllocClientStatusLost, nil, true, state.StateNodeFail, "0:0"},
		// Nomad killed the task: someone stopped the Nomad job (a cancel),
		// or a drain moved it off its node (a node failure, requeued).
		{api.AllocClientStatusComplete, stopped(0), true, state.StateCancelled, "0:15"},
		{api.AllocClientStatusFailed, stopped(143), true, state.StateCancelled, "0:15"},
		{"drained", stopped(0), true, state.StateNodeFail, "0:0"},
	} {
		a := alloc{ClientStatus: c.status, Task: c.task}
		if c.status == "drained" {
			a.ClientStatus, a.Migrate = api.AllocClientStatusComplete, true
		}
		o, terminal := outcomeOf(a)
		if terminal != c.terminal {
			t.Errorf("%s: terminal %v, want %v", c.status, terminal, c.terminal)
			continue
		}
		if !terminal {
			continue
		}
		j := state.Job{ExitCode: o.ExitCode, ExitSignal: o.ExitSignal}
		if o.State != c.want || j.ExitString() != c.exit {
			t.Errorf("%s: %s %s, want %s %s", c.status, o.State, j.ExitString(), c.want, c.exit)
		}
	}
}

// TestFailureReason: a job that could not start or open its output fails
// with the node's words as its reason; a plain non-zero exit has none.
func TestFailureReason(t *testing.T) {
	for _, c := range []struct {
		events []*api.TaskEvent
		want   string
	}{
		{[]*api.TaskEvent{{Type: api.TaskReceived}, {Type: api.TaskDriverFailure,
			DriverError: `rpc error: code = Unknown desc = user "ada" does not exist on this node (run_as = "submitter": jobs run as their submitter's local account)`}},
			`JobLaunchFailure: user "ada" does not exist on this node (run_as = "submitter": jobs run as their submitter's local account)`},
		{[]*api.TaskEvent{{Type: api.TaskStarted}, {Type: api.TaskTerminated, ExitCode: 1,
			Details: map[string]string{"exit_message": "Could not open stdout file /home/ada/x/slurm-5.out: Permission denied"}}},
			"Could not open stdout file /home/ada/x/slurm-5.out: Permission denied"},
		{[]*api.TaskEvent{{Type: api.TaskSetupFailure, SetupError: "failed to build task directory"}}, "JobLaunchFailure: failed to build task directory"},
		{[]*api.TaskEvent{{Type: api.TaskStarted}, {Type: api.TaskTerminated, ExitCode: 3, Details: map[string]string{}}}, ""},
	} {
		a := alloc{ClientStatus: api.AllocClientStatusFailed, Task: &api.TaskState{Events: c.events}}
		if o, _ := outcomeOf(a); o.Reason != c.want || o.State != state.StateFailed {
			t.Errorf("%s: reason %q, want %q", o.State, o.Reason, c.want)
		}
	}
}

// TestTranslateNodeLoss: Nomad must not replace the allocation of a node
// that stopped heartbeating, which would run the script again beside the
// coordinator's requeued run.
func TestTranslateNodeLoss(t *testing.T) {
	job, err := (&Translation{}).Translate(&state.Job{ID: 5, ArrayTaskID: state.NoTask, Partition: "debug"}, parse(t, "#!/bin/sh\ntrue\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := job.TaskGroups[0].Disconnect
	if d == nil || d.Replace == nil || *d.Replace || d.LostAfter == nil || *d.LostAfter != LostAfter || d.StopOnClientAfter != nil {
		t.Errorf("disconnect %+v, want lost_after %v and replace false", d, LostAfter)
	}
}

// laggingRaft applies commands straight to a store, except the held ones:
// committed, but not yet applied here, as on a new leader. Barrier applies
// them.
type laggingRaft struct {
	mu    sync.Mutex
	store *state.Store
	index uint64
	held  [][]byte
}

func (r *laggingRaft) Apply(_ context.Context, cmd []byte) (*state.Result, uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.index++
	return r.store.Apply(r.index, cmd), r.index, nil
}

func (r *laggingRaft) Barrier(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cmd := range r.held {
		r.index++
		r.store.Apply(r.index, cmd)
	}
	r.held = nil
	return nil
}

// fakeNomad serves what a new leader's sync asks of Nomad: the job list
// (with each job's meta only when asked for, as Nomad does), allocations
// (none) and deregistration, which it records.
type fakeNomad struct {
	jobs map[string]string // Nomad job id -> Slurm job id
	mu   sync.Mutex
	stop []string
}

func (f *fakeNomad) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/jobs":
		stubs := []*api.JobListStub{}
		for id, slurmID := range f.jobs {
			if !strings.HasPrefix(id, r.URL.Query().Get("prefix")) {
				continue
			}
			s := &api.JobListStub{ID: id, Type: "batch", Status: "running"}
			if r.URL.Query().Get("meta") == "true" {
				s.Meta = map[string]string{MetaJobID: slurmID}
			}
			stubs = append(stubs, s)
		}
		_ = json.NewEncoder(w).Encode(stubs)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/allocations"):
		_, _ = w.Write([]byte("[]"))
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/job/"):
		f.mu.Lock()
		f.stop = append(f.stop, strings.TrimPrefix(r.URL.Path, "/v1/job/"))
		f.mu.Unlock()
		_, _ = w.Write([]byte(`{"EvalID":"e1"}`))
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusNotImplemented)
	}
}

// TestSyncAdopts: a new leader adopts the Nomad jobs of the runs the state
// says are running, including one whose start it has not applied yet, and
// stops the others.
func TestSyncAdopts(t *testing.T) {
	store := state.New()
	raft := &laggingRaft{store: store}
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	apply := func(ct state.CommandType, payload any) []byte {
		t.Helper()
		cmd, err := state.Encode(ct, payload)
		if err != nil {
			t.Fatal(err)
		}
		if res, _, _ := raft.Apply(ctx, cmd); res.Err != nil {
			t.Fatal(res.Err)
		}
		return cmd
	}
	for range 3 {
		sub := parse(t, "#!/bin/sh\ntrue\n")
		apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: now, User: "ada", Submission: sub, DefaultPartition: "debug", Job: fromspec.MustRecord(sub.Spec, "debug")})
	}
	apply(state.CmdJobStart, state.JobStartCmd{Time: now, JobID: 1, Task: state.NoTask})
	apply(state.CmdJobCancel, state.JobCancelCmd{Time: now, By: state.Actor{Management: true}, Refs: []state.JobRef{{JobID: 2, Task: state.AllTasks}}})
	start3, err := state.Encode(state.CmdJobStart, state.JobStartCmd{Time: now, JobID: 3, Task: state.NoTask})
	if err != nil {
		t.Fatal(err)
	}
	raft.held = [][]byte{start3}

	nomad := &fakeNomad{jobs: map[string]string{"slurm-1": "1", "slurm-2": "2", "slurm-3": "3"}}
	srv := httptest.NewServer(nomad)
	defer srv.Close()
	client, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	e := New(Config{Client: client, Store: store, Raft: raft})
	running, err := e.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(running)
	if !slices.Equal(running, []uint64{1, 3}) {
		t.Errorf("adopted %v, want [1 3]", running)
	}
	if !slices.Equal(nomad.stop, []string{"slurm-2"}) {
		t.Errorf("stopped %v, want [slurm-2] (cancelled)", nomad.stop)
	}
}

// TestRunTermReturnsClean: a term's executor work (event follower,
// reconcile, finisher, delivery) has all returned when RunTerm does, and
// the next term starts from nothing this term knew.
func TestRunTermReturnsClean(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	store := state.New()
	raft := &laggingRaft{store: store}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		t state.CommandType
		p any
	}{
		{state.CmdJobSubmit, func() state.JobSubmitCmd {
			sub := parse(t, "#!/bin/sh\ntrue\n")
			return state.JobSubmitCmd{Time: now, User: "ada", Submission: sub, DefaultPartition: "debug", Job: fromspec.MustRecord(sub.Spec, "debug")}
		}()},
		{state.CmdJobStart, state.JobStartCmd{Time: now, JobID: 1, Task: state.NoTask}},
	} {
		cmd, err := state.Encode(c.t, c.p)
		if err != nil {
			t.Fatal(err)
		}
		if res, _, _ := raft.Apply(context.Background(), cmd); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	srv := httptest.NewServer(&fakeNomad{jobs: map[string]string{"slurm-1": "1"}})
	defer srv.Close()
	client, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	e := New(Config{Client: client, Store: store, Raft: raft})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.RunTerm(ctx) }()
	if running, err := e.Running(ctx); err != nil || !slices.Equal(running, []uint64{1}) {
		t.Fatalf("Running = %v, %v; want [1] adopted", running, err)
	}
	e.queueEnd(ending{outcome: sched.Outcome{JobID: 1, State: state.StateCompleted}})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunTerm: %v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.runs) != 0 || len(e.nomad) != 0 || e.synced || len(e.ends) != 0 || len(e.pending) != 0 {
		t.Errorf("after the term: runs %v, nomad %v, synced %v, ends %d, pending %d; want all empty", e.runs, e.nomad, e.synced, len(e.ends), len(e.pending))
	}
}

// TestRunningKeepsEndedRun: a run that ended on Nomad stays in Running
// until the scheduler has taken its end and while the state says it runs,
// so that a pass in between does not start it again (a Nomad job lookup,
// an allocation listing and a second archive of its output, each end).
func TestRunningKeepsEndedRun(t *testing.T) {
	store := state.New()
	raft := &laggingRaft{store: store}
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	apply := func(ct state.CommandType, payload any) {
		t.Helper()
		cmd, err := state.Encode(ct, payload)
		if err != nil {
			t.Fatal(err)
		}
		if res, _, _ := raft.Apply(ctx, cmd); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	sub := parse(t, "#!/bin/sh\ntrue\n")
	apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: now, User: "ada", Submission: sub, DefaultPartition: "debug", Job: fromspec.MustRecord(sub.Spec, "debug")})
	apply(state.CmdJobStart, state.JobStartCmd{Time: now, JobID: 1, Task: state.NoTask})
	e := New(Config{Store: store, Raft: raft})
	e.synced = true // nothing to adopt
	e.track(1, "slurm-1", 1, "")
	done := &api.TaskState{State: "dead", StartedAt: now, FinishedAt: now.Add(time.Second), Events: []*api.TaskEvent{{Type: api.TaskTerminated}}}
	e.handleAlloc(ctx, fullAlloc(&api.Allocation{ID: "a1", JobID: "slurm-1", NodeName: "n1", ClientStatus: api.AllocClientStatusComplete,
		TaskStates: map[string]*api.TaskState{TaskName: done}, AllocatedResources: &api.AllocatedResources{}}))
	if running, err := e.Running(ctx); err != nil || !slices.Equal(running, []uint64{1}) {
		t.Fatalf("Running after the end, before the scheduler has it = %v, %v; want [1]", running, err)
	}
	e.mu.Lock()
	ends := slices.Clone(e.ends)
	e.mu.Unlock()
	if len(ends) != 1 {
		t.Fatalf("ends %+v, want 1", ends)
	}
	e.finish(ctx, ends[0]) // no archive: queues the outcome
	dctx, cancel := context.WithCancel(ctx)
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		e.deliver(dctx)
	}()
	var got []sched.Outcome
	for len(got) < 2 || got[len(got)-1].State == state.StateRunning {
		got = append(got, <-e.Outcomes())
	}
	cancel()
	<-delivered
	if last := got[len(got)-1]; last.JobID != 1 || last.State != state.StateCompleted {
		t.Fatalf("outcomes %+v, want the placement and COMPLETED", got)
	}
	if running, err := e.Running(ctx); err != nil || len(running) != 0 {
		t.Errorf("Running once the scheduler has the end = %v, %v; want none", running, err)
	}
}
