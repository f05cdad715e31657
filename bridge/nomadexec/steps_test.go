package nomadexec

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// storeSteps commits step records to a real store, counting the entries.
type storeSteps struct {
	store   *state.Store
	index   uint64
	entries int
}

func (s *storeSteps) RecordSteps(_ context.Context, jobID uint64, steps []state.Step) error {
	cmd, err := state.Encode(state.CmdJobSteps, state.JobStepsCmd{JobID: jobID, Steps: steps})
	if err != nil {
		return err
	}
	s.index++
	s.entries++
	if res := s.store.Apply(s.index, cmd); res.Err != nil {
		return res.Err
	}
	return nil
}

func (s *storeSteps) apply(t *testing.T, ct state.CommandType, payload any) {
	t.Helper()
	cmd, err := state.Encode(ct, payload)
	if err != nil {
		t.Fatal(err)
	}
	s.index++
	if res := s.store.Apply(s.index, cmd); res.Err != nil {
		t.Fatal(res.Err)
	}
}

func stepsEvent(body string) *api.TaskEvent {
	return &api.TaskEvent{Type: api.TaskDriverMessage, Details: map[string]string{AnnotationSteps: body}}
}

// The executor commits each step once when it starts and once when it
// ends, whatever the number of allocation updates that carry it; records
// a node should not send are dropped; a requeued run's steps are its own.
func TestRecordSteps(t *testing.T) {
	rec := &storeSteps{store: state.New()}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sub := parse(t, "#!/bin/sh\nsrun hostname\n")
	rec.apply(t, state.CmdJobSubmit, state.JobSubmitCmd{Time: now, User: "ada", Submission: sub, DefaultPartition: "debug", Job: fromspec.MustRecord(sub.Spec, "debug")})
	rec.apply(t, state.CmdJobStart, state.JobStartCmd{Time: now, JobID: 1, Task: state.NoTask})
	e := New(Config{Store: rec.store, Steps: rec, Logger: quiet})
	start := fmt.Sprint(now.Unix() + 1)
	running := stepsEvent(`[{"id":0,"name":"hostname","nodelist":"node1","nnodes":1,"ntasks":2,"start":` + start + `}]`)
	ended := stepsEvent(`[{"id":0,"name":"hostname","nodelist":"node1","nnodes":1,"ntasks":2,"start":` + start + `,"end":` + start + `,"state":"COMPLETED","exit":0,"signal":0},` +
		`{"id":1,"name":"hostname","nodelist":"node1","nnodes":1,"ntasks":2,"start":` + start + `,"end":` + start + `,"state":"FAILED","exit":2,"signal":0}]`)
	bad := []*api.TaskEvent{
		stepsEvent(`not json`),
		stepsEvent(`[{"id":7,"name":"x\u001b]0;","nodelist":"node1","nnodes":1,"ntasks":1,"start":1}]`),
		stepsEvent(`[{"id":8,"name":"x","nodelist":"","nnodes":1,"ntasks":1,"start":1}]`),
		stepsEvent(`[{"id":9,"name":"x","nodelist":"n","nnodes":1,"ntasks":1,"start":5,"end":4,"state":"COMPLETED"}]`),
		{Type: api.TaskStarted, Details: map[string]string{AnnotationSteps: `[{"id":10,"name":"x","nodelist":"n","nnodes":1,"ntasks":1,"start":5}]`}},
	}
	update := func(events ...*api.TaskEvent) {
		e.recordSteps(context.Background(), 1, alloc{JobID: "slurm-1", ClientStatus: api.AllocClientStatusRunning, Task: &api.TaskState{Events: events}})
	}
	update(running)
	update(running)
	update(append(bad, running)...)
	if rec.entries != 1 {
		t.Errorf("%d entries for a running step, want 1", rec.entries)
	}
	update(running, ended)
	update(ended, running)
	if rec.entries != 2 {
		t.Errorf("%d entries, want 2", rec.entries)
	}
	j := rec.store.View().Job(1)
	if len(j.Steps) != 2 || j.Steps[0].State != state.StateCompleted || j.Steps[1].State != state.StateFailed || j.Steps[1].ExitCode != 2 || j.Steps[1].NTasks != 2 {
		t.Fatalf("steps %+v", j.Steps)
	}
	// A new leader (a new executor) finds them committed.
	e = New(Config{Store: rec.store, Steps: rec, Logger: quiet})
	update(running, ended)
	if rec.entries != 2 {
		t.Errorf("a new term committed the steps again (%d entries)", rec.entries)
	}
	e.recordSteps(context.Background(), 1, alloc{JobID: "slurm-1-r2", ClientStatus: api.AllocClientStatusRunning, Task: &api.TaskState{Events: []*api.TaskEvent{running}}})
	if s := rec.store.View().Job(1).StepOf(2, 0); s == nil || s.State != state.StateRunning {
		t.Errorf("run 2's step 0: %+v", s)
	}
}

func TestRunOfNomadID(t *testing.T) {
	for nid, want := range map[string]int{"slurm-12": 0, "slurm-12-r3": 3, "slurm-4_7-r11": 11, "slurm-4_7": 0, "slurm-1-rx": 0} {
		if got := runOfNomadID(nid); got != want {
			t.Errorf("runOfNomadID(%q) = %d, want %d", nid, got, want)
		}
	}
}
