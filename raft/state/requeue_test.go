package state

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// requeueFixture is a store with one job of alice's submitted at t0.
type requeueFixture struct {
	t   *testing.T
	s   *Store
	idx uint64
	id  uint64
}

func newRequeueFixture(t *testing.T, script string) *requeueFixture {
	f := &requeueFixture{t: t, s: New()}
	res := f.apply(CmdJobSubmit, JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "debug", Submission: submission(t, script)})
	f.id = res.Value.(JobSubmitResult).JobID
	return f
}

func (f *requeueFixture) apply(ct CommandType, payload any) *Result {
	f.t.Helper()
	res := mustApply(f.t, f.s, &f.idx, ct, payload)
	if res.Err != nil {
		f.t.Fatalf("command %d: %v", ct, res.Err)
	}
	return res
}

func (f *requeueFixture) job() *Job { return f.s.View().Job(f.id) }

// run starts the job at start on node and records its placement.
func (f *requeueFixture) run(start time.Time, node string) {
	f.t.Helper()
	f.apply(CmdJobStart, JobStartCmd{Time: start, JobID: f.id, Task: NoTask})
	f.apply(CmdJobPlaced, JobPlacedCmd{Time: start, JobID: f.id, NodeList: node})
}

func (f *requeueFixture) finish(at time.Time, st JobState, code, sig int) {
	f.t.Helper()
	f.apply(CmdJobFinish, JobFinishCmd{Time: at, JobID: f.id, State: st, ExitCode: code, ExitSignal: sig})
}

func (f *requeueFixture) requeue(at time.Time) {
	f.t.Helper()
	f.apply(CmdJobRequeue, JobRequeueCmd{Time: at, By: Actor{User: "alice"}, Refs: []JobRef{{JobID: f.id, Task: AllTasks}}})
}

// checkCurrent checks that the job is pending again for its next run, with
// none of the last run's fields left.
func checkCurrent(t *testing.T, j *Job, restarts int, submit time.Time) {
	t.Helper()
	if j.State != StatePending || j.Reason != ReasonBeginTime || j.RestartCount != restarts {
		t.Errorf("after requeue: %s (%s), restarts %d; want PENDING (BeginTime), restarts %d", j.State, j.Reason, j.RestartCount, restarts)
	}
	if !j.StartTime.IsZero() || !j.EndTime.IsZero() || j.NodeList != "" || j.ExitString() != "0:0" {
		t.Errorf("after requeue the last run's fields are left: start %v end %v nodes %q exit %s", j.StartTime, j.EndTime, j.NodeList, j.ExitString())
	}
	if !j.SubmitTime.Equal(t0) {
		t.Errorf("SubmitTime = %v, want the original %v", j.SubmitTime, t0)
	}
	if got := j.RunSubmitTime(); !got.Equal(submit) {
		t.Errorf("RunSubmitTime = %v, want %v", got, submit)
	}
}

func TestNodeFailRequeueKeepsRun(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start, lost := t0.Add(5*time.Second), t0.Add(10*time.Minute)
	f.run(start, "n1")
	f.finish(lost, StateNodeFail, 0, 0)

	j := f.job()
	checkCurrent(t, j, 1, lost)
	want := []Run{{RestartCount: 0, SubmitTime: t0, StartTime: start, EndTime: lost, NodeList: "n1", State: StateNodeFail}}
	if !reflect.DeepEqual(j.Runs, want) {
		t.Errorf("Runs = %+v\nwant %+v", j.Runs, want)
	}

	// The second run ends normally: the first stays as it was.
	restart, done := lost.Add(2*time.Minute), lost.Add(3*time.Minute)
	f.run(restart, "n2")
	f.finish(done, StateCompleted, 0, 0)
	j = f.job()
	if j.State != StateCompleted || !j.StartTime.Equal(restart) || !j.EndTime.Equal(done) || j.NodeList != "n2" || j.RestartCount != 1 {
		t.Errorf("second run = %s %v..%v on %q, restarts %d", j.State, j.StartTime, j.EndTime, j.NodeList, j.RestartCount)
	}
	if !reflect.DeepEqual(j.Runs, want) {
		t.Errorf("Runs after the second run = %+v\nwant %+v", j.Runs, want)
	}
}

func TestNodeFailWithoutRequeueEnds(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\n#SBATCH --no-requeue\ntrue\n")
	f.run(t0, "n1")
	f.finish(t0.Add(time.Minute), StateNodeFail, 0, 0)
	if j := f.job(); j.State != StateNodeFail || len(j.Runs) != 0 || j.RestartCount != 0 || j.NodeList != "n1" {
		t.Errorf("job = %s, %d runs, restarts %d, nodes %q; want NODE_FAIL with no earlier run", j.State, len(j.Runs), j.RestartCount, j.NodeList)
	}
}

func TestScontrolRequeueKeepsRun(t *testing.T) {
	cases := []struct {
		name string
		// end ends the first run before the requeue, when set.
		end  func(f *requeueFixture, at time.Time)
		want Run
	}{
		{
			name: "running",
			want: Run{State: StateRequeued},
		},
		{
			name: "failed",
			end:  func(f *requeueFixture, at time.Time) { f.finish(at, StateFailed, 3, 0) },
			want: Run{State: StateRequeued, Finished: StateFailed, ExitCode: 3},
		},
		{
			name: "timeout",
			end:  func(f *requeueFixture, at time.Time) { f.finish(at, StateTimeout, 0, 15) },
			want: Run{State: StateRequeued, Finished: StateTimeout, ExitSignal: 15},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
			start, ended, requeue := t0.Add(time.Second), t0.Add(time.Minute), t0.Add(2*time.Minute)
			f.run(start, "n1")
			want := c.want
			want.SubmitTime, want.StartTime, want.EndTime, want.NodeList = t0, start, requeue, "n1"
			if c.end != nil {
				c.end(f, ended)
				want.FinishTime = ended
			}
			f.requeue(requeue)
			j := f.job()
			checkCurrent(t, j, 1, requeue)
			if !reflect.DeepEqual(j.Runs, []Run{want}) {
				t.Errorf("Runs = %+v\nwant [%+v]", j.Runs, want)
			}
		})
	}
}

// TestRequeueCancelledPending: a job cancelled before it ran and then
// requeued keeps the cancelled record (start = end = the cancel, as Slurm
// records a pending job's cancel).
func TestRequeueCancelledPending(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	cancel, requeue := t0.Add(time.Minute), t0.Add(2*time.Minute)
	f.apply(CmdJobCancel, JobCancelCmd{Time: cancel, By: Actor{User: "alice"}, Refs: []JobRef{{JobID: f.id, Task: AllTasks}}})
	f.requeue(requeue)
	j := f.job()
	checkCurrent(t, j, 1, requeue)
	want := []Run{{SubmitTime: t0, StartTime: cancel, EndTime: requeue, State: StateRequeued, Finished: StateCancelled, FinishTime: cancel}}
	if !reflect.DeepEqual(j.Runs, want) {
		t.Errorf("Runs = %+v\nwant %+v", j.Runs, want)
	}
	// Cancelled again while pending: its start is the new cancel, not the
	// first run's.
	again := requeue.Add(time.Minute)
	f.apply(CmdJobCancel, JobCancelCmd{Time: again, By: Actor{User: "alice"}, Refs: []JobRef{{JobID: f.id, Task: AllTasks}}})
	if j := f.job(); !j.StartTime.Equal(again) || !j.EndTime.Equal(again) {
		t.Errorf("cancelled after a requeue: start %v end %v, want both %v", j.StartTime, j.EndTime, again)
	}
}

// TestRunsBounded requeues past MaxRuns: the oldest runs go, the records
// readers hold do not change, and snapshots carry the runs.
func TestRunsBounded(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	at := t0
	var held *Job
	const requeues = MaxRuns + 4
	for i := range requeues {
		at = at.Add(time.Minute)
		f.run(at, "n1")
		if i%2 == 0 {
			f.finish(at.Add(time.Second), StateNodeFail, 0, 0)
		} else {
			f.requeue(at.Add(time.Second))
		}
		if i == MaxRuns-1 {
			held = f.job()
		}
		at = at.Add(time.Second)
	}
	j := f.job()
	if len(j.Runs) != MaxRuns || j.RestartCount != requeues {
		t.Fatalf("%d runs, restarts %d; want %d, %d", len(j.Runs), j.RestartCount, MaxRuns, requeues)
	}
	for i, r := range j.Runs {
		if want := requeues - MaxRuns + i; r.RestartCount != want {
			t.Errorf("Runs[%d].RestartCount = %d, want %d", i, r.RestartCount, want)
		}
		if i > 0 && !r.SubmitTime.Equal(j.Runs[i-1].EndTime) {
			t.Errorf("Runs[%d] submitted %v, not at the requeue that ended run %d (%v)", i, r.SubmitTime, i-1, j.Runs[i-1].EndTime)
		}
	}
	if len(held.Runs) != MaxRuns || held.Runs[0].RestartCount != 0 || held.Runs[MaxRuns-1].RestartCount != MaxRuns-1 {
		t.Errorf("a record read earlier changed: %d runs, first %d, last %d", len(held.Runs), held.Runs[0].RestartCount, held.Runs[len(held.Runs)-1].RestartCount)
	}

	var buf bytes.Buffer
	if err := f.s.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if got := r.View().Job(f.id); !reflect.DeepEqual(got.Runs, j.Runs) {
		t.Errorf("restored runs = %+v\nwant %+v", got.Runs, j.Runs)
	}
}

// TestRunJSON pins the record's JSON names (snapshots and the API use them).
func TestRunJSON(t *testing.T) {
	r := Run{RestartCount: 1, SubmitTime: t0, StartTime: t0.Add(time.Second), EndTime: t0.Add(time.Minute), NodeList: "n1",
		State: StateRequeued, Finished: StateFailed, FinishTime: t0.Add(30 * time.Second), ExitCode: 3}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"restart_count":1,"submit_time":"2026-11-21T12:00:00Z","start_time":"2026-11-21T12:00:01Z","end_time":"2026-11-21T12:01:00Z",` +
		`"node_list":"n1","state":"REQUEUED","finished":"FAILED","finish_time":"2026-11-21T12:00:30Z","exit_code":3,"exit_signal":0}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant %s", b, want)
	}
	var back Run
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, r) {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	// A job without runs writes no "runs" key: snapshots of such jobs are
	// as before.
	jb, _ := json.Marshal(&Job{ID: 1})
	if bytes.Contains(jb, []byte(`"runs"`)) {
		t.Errorf("job without runs: %s", jb)
	}
}
