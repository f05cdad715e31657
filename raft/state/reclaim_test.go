package state

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestReclaimBeginSignalledEnd(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	dl := t0.Add(5 * time.Minute)
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0, Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: dl, Source: ReclaimWindow})
	r := f.s.View().Reclaim("id1")
	if r == nil || r.Node != "n1" || !r.Since.Equal(t0) || !r.Deadline.Equal(dl) || r.Source != ReclaimWindow {
		t.Fatalf("after begin: %+v", r)
	}
	// A later begin keeps the start, takes an earlier deadline, and an
	// administrator's reclaim replaces a window's.
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(time.Minute), Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: dl.Add(time.Hour), Source: ReclaimCommand, By: "root"})
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(time.Minute), Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: dl.Add(-time.Minute), Source: ReclaimDrain})
	r = f.s.View().Reclaim("id1")
	if !r.Since.Equal(t0) || !r.Deadline.Equal(dl.Add(-time.Minute)) || r.Source != ReclaimCommand || r.By != "root" {
		t.Fatalf("after more begins: %+v", r)
	}
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Op: ReclaimSignalled, Node: "n1", NodeID: "id1", Hits: []ReclaimHit{{7, 0}, {8, 0}}})
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Op: ReclaimSignalled, Node: "n1", NodeID: "id1", Hits: []ReclaimHit{{8, 0}, {8, 1}}})
	if r = f.s.View().Reclaim("id1"); !reflect.DeepEqual(r.Hits, []ReclaimHit{{7, 0}, {8, 0}, {8, 1}}) || !r.Hit(8, 1) || r.Hit(7, 1) || r.Hit(1, 0) {
		t.Fatalf("hits = %v, want [{7 0} {8 0} {8 1}]", r.Hits)
	}
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0, Op: ReclaimBegin, Node: "n2", NodeID: "id2", Deadline: dl, Source: ReclaimWindow, WasIneligible: true})
	if r := f.s.View().Reclaim("id2"); !r.WasIneligible {
		t.Fatalf("n2's reclaim forgot the node was ineligible: %+v", r)
	}
	if got := f.s.View().Reclaims(); len(got) != 2 || got[0].NodeID != "id1" || got[1].NodeID != "id2" {
		t.Fatalf("Reclaims = %+v", got)
	}

	// Snapshots carry reclaims.
	var buf bytes.Buffer
	if err := f.s.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	s2 := New()
	if err := s2.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	if got := s2.View().Reclaims(); !reflect.DeepEqual(got, f.s.View().Reclaims()) {
		t.Fatalf("restored reclaims %+v, want %+v", got, f.s.View().Reclaims())
	}

	f.apply(CmdNodeReclaim, NodeReclaimCmd{Op: ReclaimEnd, Node: "n1", NodeID: "id1"})
	if f.s.View().Reclaim("id1") != nil || len(f.s.View().Reclaims()) != 1 {
		t.Fatalf("after end: %+v", f.s.View().Reclaims())
	}
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Op: ReclaimEnd, Node: "n1", NodeID: "id1"}) // again: nothing to do
}

func TestReclaimRefusals(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	long := string(bytes.Repeat([]byte("x"), maxReclaimName+1))
	for _, c := range []NodeReclaimCmd{
		{Op: ReclaimBegin, Node: "n1", NodeID: "", Deadline: t0, Source: ReclaimDrain},
		{Op: ReclaimBegin, Node: "n1", NodeID: long, Deadline: t0, Source: ReclaimDrain},
		{Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: t0, Source: "owner"},
		{Op: ReclaimBegin, Node: "n1", NodeID: "id1", Source: ReclaimDrain},
		{Op: ReclaimSignalled, Node: "n1", NodeID: "id1", Hits: []ReclaimHit{{1, 0}}},
		{Op: "later", Node: "n1", NodeID: "id1"},
		{Op: ReclaimRequeue, JobID: f.id, State: StateFailed},
		{Op: ReclaimRequeue, JobID: 999, State: StatePreempted},
	} {
		res := mustApply(t, f.s, &f.idx, CmdNodeReclaim, c)
		if res.Err == nil {
			t.Errorf("%+v: applied, want an error", c)
		}
	}
	if len(f.s.View().Reclaims()) != 0 {
		t.Fatalf("refused commands left reclaims: %+v", f.s.View().Reclaims())
	}
}

func TestReclaimRequeue(t *testing.T) {
	start, end := t0.Add(5*time.Second), t0.Add(10*time.Minute)
	for _, tc := range []struct {
		name       string
		script     string
		restarts   int // requeues before the run
		st         JobState
		code, sig  int
		again      bool
		finalState JobState
	}{
		{"reclaim", "#!/bin/sh\ntrue\n", 0, StatePreempted, 0, 15, true, ""},
		{"exit 85", "#!/bin/sh\nexit 85\n", 0, StateRequeued, 85, 0, true, ""},
		// A reclaim is no fault of the job's, but --no-requeue says it
		// must not run twice: it ends PREEMPTED, as Slurm's preemption
		// cancels a job it cannot requeue.
		{"reclaim no-requeue", "#!/bin/sh\n#SBATCH --no-requeue\ntrue\n", 0, StatePreempted, 0, 15, false, StatePreempted},
		{"exit 85 no-requeue", "#!/bin/sh\n#SBATCH --no-requeue\nexit 85\n", 0, StateRequeued, 85, 0, false, StateFailed},
		{"exit 85 in a loop", "#!/bin/sh\nexit 85\n", CheckpointLoopRuns, StateRequeued, 85, 0, false, StateFailed},
		{"exit 85 after a long run", "#!/bin/sh\nexit 85\n", CheckpointLoopRuns, StateRequeued, 85, 0, true, ""},
		{"reclaims in a loop", "#!/bin/sh\ntrue\n", CheckpointLoopRuns, StatePreempted, 0, 0, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRequeueFixture(t, tc.script)
			// Earlier runs of tc.st (exit code tc.code), each of a second.
			for i := range tc.restarts {
				f.run(start, "n0")
				f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: start.Add(time.Second), Op: ReclaimRequeue, JobID: f.id, Run: i, State: tc.st, ExitCode: tc.code})
			}
			runStart := start
			if tc.name == "exit 85 after a long run" {
				runStart = end.Add(-CheckpointLoopRun)
			} else if tc.restarts > 0 {
				runStart = end.Add(-time.Second)
			}
			f.run(runStart, "n1")
			f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: end, Op: ReclaimRequeue, JobID: f.id, Run: tc.restarts, State: tc.st, ExitCode: tc.code, ExitSignal: tc.sig})
			j := f.job()
			if !tc.again {
				if j.State != tc.finalState || j.ExitCode != tc.code || j.ExitSignal != tc.sig || !j.EndTime.Equal(end) || j.RestartCount != tc.restarts {
					t.Fatalf("job %s %s end %v restarts %d; want %s %d:%d at %v", j.State, j.ExitString(), j.EndTime, j.RestartCount, tc.finalState, tc.code, tc.sig, end)
				}
				if tc.finalState == StateFailed && j.Reason == ReasonNone {
					t.Errorf("FAILED without a reason")
				}
				return
			}
			submit := end
			if tc.restarts == 0 {
				checkCurrent(t, j, 1, submit)
			} else if j.State != StatePending || j.RestartCount != tc.restarts+1 {
				t.Fatalf("job %s restarts %d, want PENDING %d", j.State, j.RestartCount, tc.restarts+1)
			}
			last := j.Runs[len(j.Runs)-1]
			want := Run{RestartCount: tc.restarts, SubmitTime: last.SubmitTime, StartTime: runStart, EndTime: end, NodeList: "n1", State: tc.st, ExitCode: tc.code, ExitSignal: tc.sig}
			if !reflect.DeepEqual(last, want) {
				t.Fatalf("run record\n got %+v\nwant %+v", last, want)
			}
		})
	}
}

// TestReclaimRequeueLeavesEndedJobs: a job cancelled (or ended) before the
// requeue is committed keeps that end.
func TestReclaimRequeueLeavesEndedJobs(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	f.run(t0, "n1")
	f.finish(t0.Add(time.Minute), StateCompleted, 0, 0)
	res := f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(2 * time.Minute), Op: ReclaimRequeue, JobID: f.id, State: StatePreempted})
	if len(res.Changed) != 0 || f.job().State != StateCompleted || f.job().RestartCount != 0 {
		t.Fatalf("requeue of an ended job changed it: %s restarts %d", f.job().State, f.job().RestartCount)
	}
	if res := mustApply(t, f.s, &f.idx, CmdNodeReclaim, NodeReclaimCmd{Op: ReclaimRequeue, JobID: f.id, State: StateCompleted}); !errors.Is(res.Err, ErrState) {
		t.Fatalf("requeue as COMPLETED: %v, want ErrState", res.Err)
	}
}

// TestReclaimRequeueDropsRunTokens: the requeue comes with the run's Nomad
// end (after its last checkpoint), so the run's token goes; a requeue of a
// run already over (sent again) changes nothing, the next run's token
// included.
func TestReclaimRequeueDropsRunTokens(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	f.run(t0, "n1")
	tok, _ := NewRunToken(f.job(), t0)
	f.apply(CmdRunToken, RunTokenCmd{Token: tok})
	if len(f.s.View().RunTokens(f.id)) != 1 {
		t.Fatal("no run token to drop")
	}
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(time.Minute), Op: ReclaimRequeue, JobID: f.id, State: StatePreempted})
	if got := f.s.View().RunTokens(f.id); len(got) != 0 {
		t.Fatalf("after the requeue the run's tokens are left: %+v", got)
	}
	f.run(t0.Add(2*time.Minute), "n2")
	tok, _ = NewRunToken(f.job(), t0.Add(2*time.Minute))
	f.apply(CmdRunToken, RunTokenCmd{Token: tok})
	if res := f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(3 * time.Minute), Op: ReclaimRequeue, JobID: f.id, Run: 0, State: StatePreempted}); len(res.Changed) != 0 {
		t.Fatalf("a second requeue of run 0 changed the job")
	}
	if j := f.job(); j.State != StateRunning || j.RestartCount != 1 || len(f.s.View().RunTokens(f.id)) != 1 {
		t.Fatalf("after a stale requeue: %s restarts %d, %d tokens; want run 1 RUNNING with its token", j.State, j.RestartCount, len(f.s.View().RunTokens(f.id)))
	}
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(4 * time.Minute), Op: ReclaimRequeue, JobID: f.id, Run: 1, State: StatePreempted})
	if j := f.job(); j.RestartCount != 2 || len(f.s.View().RunTokens(f.id)) != 0 {
		t.Fatalf("run 1's requeue: restarts %d, tokens %+v", j.RestartCount, f.s.View().RunTokens(f.id))
	}
}
