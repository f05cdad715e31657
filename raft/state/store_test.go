package state

import (
	"bytes"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// mustApply encodes and applies a command at the next index.
func mustApply(t *testing.T, s *Store, idx *uint64, ct CommandType, payload any) *Result {
	t.Helper()
	if c, ok := payload.(JobSubmitCmd); ok && c.Job == nil {
		c.Job = record(t, c.Submission.Spec, c.DefaultPartition)
		payload = c
	}
	if c, ok := payload.(JobUpdateCmd); ok && c.Dependency != nil && c.DependsOn == nil {
		c.DependsOn = parsedDependency(t, *c.Dependency)
		payload = c
	}
	b, err := Encode(ct, payload)
	if err != nil {
		t.Fatal(err)
	}
	*idx++
	return s.Apply(*idx, b)
}

// record is fromspec.Record for this package's tests, which cannot import
// it (fromspec's own tests check it against JobSubmit version 1).
func record(t testing.TB, spec *jobspec.Spec, part string) *JobRecord {
	t.Helper()
	r := &JobRecord{Name: deref(spec.JobName), Account: deref(spec.Account), Partition: part, QOS: deref(spec.QOS),
		Requeue: spec.Requeue == nil || *spec.Requeue, Hold: spec.Hold, KillOnInvalidDep: spec.Other["kill-on-invalid-dep"] == "yes"}
	if spec.Partition != nil {
		r.Partition = *spec.Partition
	}
	if spec.Nice != nil {
		r.Nice = *spec.Nice
	}
	if spec.TimeLimit != nil && !spec.TimeLimit.Unlimited {
		r.TimeLimitMin = spec.TimeLimit.Minutes
	}
	if spec.Dependency != nil {
		r.Dependency, r.DependsOn = spec.Dependency.Raw, legacyDependency(spec.Dependency)
	}
	if spec.Begin != nil {
		r.Begin = spec.Begin.At
	}
	if spec.Array != nil {
		arr, err := jobspec.ParseArray(spec.Array.Spec, 1<<31-1)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range arr.Ranges {
			r.Array = append(r.Array, ArrayRange{First: x.First, Last: x.Last, Step: x.Step})
		}
	}
	return r
}

// parsedDependency is an update's DependsOn, as the leader makes it.
func parsedDependency(t testing.TB, text string) *Dependency {
	t.Helper()
	d, err := jobspec.ParseDependency(text)
	if err != nil {
		t.Fatal(err)
	}
	return legacyDependency(d)
}

func submission(t *testing.T, script string) *Submission {
	t.Helper()
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script), Now: t0, MaxArraySize: 1 << 21})
	if spec == nil {
		t.Fatal(diags.Render())
	}
	return &Submission{Script: []byte(script), ScriptName: "job.sh", Cwd: "/home/alice", Spec: spec}
}

func TestArrayLifecycle(t *testing.T) {
	s := New()
	var idx uint64
	res := mustApply(t, s, &idx, CmdJobSubmit, JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "debug",
		Submission: submission(t, "#!/bin/sh\n#SBATCH --array=0-999999%10\n")})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	id := res.Value.(JobSubmitResult).JobID
	v := s.View()
	base := v.Job(id)
	if got := base.SlurmID(); got != "1_[0-999999%10]" {
		t.Errorf("SlurmID = %q", got)
	}
	if n := base.Pending.Len(); n != 1000000 {
		t.Errorf("pending = %d", n)
	}
	res = mustApply(t, s, &idx, CmdJobStart, JobStartCmd{Time: t0, JobID: id, Task: 0})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	taskID := res.Value.(JobStartResult).JobID
	res = mustApply(t, s, &idx, CmdJobCancel, JobCancelCmd{Time: t0, By: Actor{User: "alice"}, Refs: []JobRef{{JobID: id, Task: 7}}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	v = s.View()
	if task := v.Task(id, 0); task == nil || task.ID != taskID || task.State != StateRunning {
		t.Errorf("task 0 = %+v", task)
	}
	if task := v.Task(id, 7); task == nil || task.State != StateCancelled {
		t.Errorf("task 7 = %+v", task)
	}
	if got := v.Job(id).SlurmID(); got != "1_[1-6,8-999999%10]" {
		t.Errorf("SlurmID after = %q", got)
	}
	// Bob may not cancel Alice's array.
	res = mustApply(t, s, &idx, CmdJobCancel, JobCancelCmd{Time: t0, By: Actor{User: "bob"}, Refs: []JobRef{{JobID: id, Task: AllTasks}}})
	if res.Err == nil {
		t.Error("bob cancelled alice's job")
	}
	// Snapshot and restore give the same state.
	var buf bytes.Buffer
	if err := s.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := r.Snapshot().Persist(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("snapshot -> restore -> snapshot differs")
	}
}

// TestRestoreWakesWatchers checks that a watch taken before a restore fires
// when the state is replaced.
func TestRestoreWakesWatchers(t *testing.T) {
	s := New()
	var idx uint64
	mustApply(t, s, &idx, CmdJobSubmit, JobSubmitCmd{Time: t0, User: "u", Submission: submission(t, "#!/bin/sh\ntrue\n")})
	var buf bytes.Buffer
	if err := s.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	watch := s.WatchJobs()
	if err := s.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	select {
	case <-watch:
	default:
		t.Fatal("a watch taken before Restore did not fire")
	}
	if s.View().Job(1) == nil {
		t.Fatal("restored state lost job 1")
	}
}

func TestEachJobModifiedAfter(t *testing.T) {
	s := New()
	var idx uint64
	var ids []uint64
	for range 3 {
		res := mustApply(t, s, &idx, CmdJobSubmit, JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "debug", Submission: submission(t, "#!/bin/sh\ntrue\n")})
		ids = append(ids, res.Value.(JobSubmitResult).JobID)
	}
	mark := idx
	mustApply(t, s, &idx, CmdJobStart, JobStartCmd{Time: t0, JobID: ids[0], Task: NoTask})
	mustApply(t, s, &idx, CmdJobFinish, JobFinishCmd{Time: t0, JobID: ids[0], State: StateCompleted})
	mustApply(t, s, &idx, CmdJobHold, JobHoldCmd{By: Actor{User: "alice"}, Refs: []JobRef{{JobID: ids[2], Task: AllTasks}}})
	var got []uint64
	s.View().EachJobModifiedAfter(mark, func(j *Job) bool { got = append(got, j.ID); return true })
	if want := []uint64{ids[0], ids[2]}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("modified after %d: %v, want %v", mark, got, want)
	}
	got = nil
	s.View().EachJobModifiedAfter(idx, func(j *Job) bool { got = append(got, j.ID); return true })
	if len(got) != 0 {
		t.Errorf("modified after the last index: %v", got)
	}
}
