package state

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

func stepRec(run, id int, start time.Time, end time.Duration, st JobState) Step {
	s := Step{Run: run, ID: id, Name: "hostname", NodeList: "node1", NNodes: 1, NTasks: 2, Start: start, State: st}
	if st != StateRunning {
		s.End = start.Add(end)
	}
	if st == StateFailed {
		s.ExitCode = 1
	}
	return s
}

// A step's start, then its end, then the same again (a node reports a
// step more than once: the executor reads every allocation update): the
// job keeps one record per step, ended once; a start after the end does
// not undo it.
func TestStepsApply(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\nsrun hostname\n")
	start := t0.Add(time.Second)
	f.run(start, "node1")
	s0 := stepRec(0, 0, start.Add(time.Second), 0, StateRunning)
	f.apply(CmdJobSteps, JobStepsCmd{JobID: f.id, Steps: []Step{s0}})
	end0 := stepRec(0, 0, s0.Start, 2*time.Second, StateCompleted)
	s1 := stepRec(0, 1, s0.Start.Add(3*time.Second), time.Second, StateFailed)
	f.apply(CmdJobSteps, JobStepsCmd{JobID: f.id, Steps: []Step{s1, end0}})
	if res := f.apply(CmdJobSteps, JobStepsCmd{JobID: f.id, Steps: []Step{s0, end0}}); len(res.Changed) != 0 {
		t.Errorf("a known step changed the job: %v", res.Changed)
	}
	got := f.job().Steps
	if want := []Step{end0, s1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("steps\n%+v\nwant\n%+v", got, want)
	}
	// The steps of the next run are its own, under the same ids.
	f.finish(start.Add(time.Minute), StateCompleted, 0, 0)
	f.requeue(start.Add(2 * time.Minute))
	f.run(start.Add(3*time.Minute), "node2")
	n0 := stepRec(1, 0, start.Add(3*time.Minute), time.Second, StateCompleted)
	f.apply(CmdJobSteps, JobStepsCmd{JobID: f.id, Steps: []Step{n0}})
	j := f.job()
	if len(j.Steps) != 3 || !reflect.DeepEqual(j.RunSteps(1), []Step{n0}) || len(j.RunSteps(0)) != 2 {
		t.Errorf("after a requeue: %+v", j.Steps)
	}
	if s := j.StepOf(0, 1); s == nil || s.State != StateFailed {
		t.Errorf("StepOf(0, 1) = %+v", s)
	}
}

// MaxStepsPerJob: the steps past it are counted, not kept; the ends of
// steps already kept still come in.
func TestStepsCap(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(time.Second)
	f.run(start, "node1")
	for first := 0; first < MaxStepsPerJob+10; first += MaxStepsPerCommand {
		var batch []Step
		for id := first; id < first+MaxStepsPerCommand; id++ {
			batch = append(batch, stepRec(0, id, start, 0, StateRunning))
		}
		f.apply(CmdJobSteps, JobStepsCmd{JobID: f.id, Steps: batch})
	}
	j := f.job()
	if len(j.Steps) != MaxStepsPerJob {
		t.Errorf("%d steps kept, want %d", len(j.Steps), MaxStepsPerJob)
	}
	sent := (MaxStepsPerJob + 10 + MaxStepsPerCommand - 1) / MaxStepsPerCommand * MaxStepsPerCommand
	if j.StepsDropped != sent-MaxStepsPerJob {
		t.Errorf("%d steps dropped, want %d", j.StepsDropped, sent-MaxStepsPerJob)
	}
	f.apply(CmdJobSteps, JobStepsCmd{JobID: f.id, Steps: []Step{stepRec(0, 5, start, time.Second, StateCompleted)}})
	if s := f.job().StepOf(0, 5); s == nil || s.State != StateCompleted {
		t.Errorf("the end of a kept step past the cap: %+v", s)
	}
}

// Encode refuses records over their bounds; Apply skips them (an entry
// written by a build with other bounds replays the same everywhere).
func TestStepsBounds(t *testing.T) {
	start := t0
	bad := []func(*Step){
		func(s *Step) { s.ID = -1 },
		func(s *Step) { s.Name = string(make([]byte, MaxStepNameLen+1)) },
		func(s *Step) { s.Name = "a\x1b[2Jb" },
		func(s *Step) { s.NodeList = "" },
		func(s *Step) { s.NTasks = 0 },
		func(s *Step) { s.NNodes = MaxStepTasks + 1 },
		func(s *Step) { s.State = "PENDING" },
		func(s *Step) { s.End = time.Time{} },
		func(s *Step) { s.End = s.Start.Add(-time.Second) },
		func(s *Step) { s.ExitCode = 256 },
		func(s *Step) { s.Start = time.Time{} },
	}
	for i, mutate := range bad {
		s := stepRec(0, 0, start, time.Second, StateCompleted)
		mutate(&s)
		if _, err := Encode(CmdJobSteps, JobStepsCmd{JobID: 1, Steps: []Step{s}}); err == nil {
			t.Errorf("case %d: Encode accepted %+v", i, s)
		}
	}
	if _, err := Encode(CmdJobSteps, JobStepsCmd{JobID: 1}); err == nil {
		t.Error("Encode accepted an entry without steps")
	}
	if _, err := Encode(CmdJobSteps, JobStepsCmd{JobID: 1, Steps: make([]Step, MaxStepsPerCommand+1)}); err == nil {
		t.Error("Encode accepted too many steps")
	}
}

// Snapshot and restore keep the steps; a replay of the same log gives the
// same steps.
func TestStepsSnapshotRestores(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(time.Second)
	f.run(start, "node1")
	f.apply(CmdJobSteps, JobStepsCmd{JobID: f.id, Steps: []Step{stepRec(0, 0, start, time.Second, StateCompleted), stepRec(0, 1, start, 0, StateRunning)}})
	var buf bytes.Buffer
	if err := f.s.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if got, want := r.View().Job(f.id), f.job(); !reflect.DeepEqual(got.Steps, want.Steps) || len(got.Steps) != 2 {
		t.Errorf("restored steps %+v, want %+v", got.Steps, want.Steps)
	}
}
