package nomadexec

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

func TestRunOf(t *testing.T) {
	for _, j := range []state.Job{{ID: 7, ArrayTaskID: state.NoTask}, {ID: 7, ArrayTaskID: state.NoTask, RestartCount: 3},
		{ID: 9, ArrayJobID: 5, ArrayTaskID: 2, RestartCount: 12}} {
		if got := runOf(NomadID(&j)); got != j.RestartCount {
			t.Errorf("runOf(%s) = %d, want %d", NomadID(&j), got, j.RestartCount)
		}
	}
}

func TestDrainDeadline(t *testing.T) {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	def := 5 * time.Minute
	for _, c := range []struct {
		name string
		d    api.DrainStrategy
		want time.Time
	}{
		{"an hour", api.DrainStrategy{DrainSpec: api.DrainSpec{Deadline: time.Hour}, ForceDeadline: now.Add(time.Hour)}, now.Add(time.Hour - drainMargin)},
		{"a minute", api.DrainStrategy{DrainSpec: api.DrainSpec{Deadline: time.Minute}, ForceDeadline: now.Add(time.Minute)}, now.Add(54 * time.Second)},
		{"forced", api.DrainStrategy{DrainSpec: api.DrainSpec{Deadline: -1}}, now},
		{"no deadline", api.DrainStrategy{}, now.Add(def)},
		{"past", api.DrainStrategy{DrainSpec: api.DrainSpec{Deadline: time.Minute}, ForceDeadline: now.Add(-time.Minute)}, now},
	} {
		if got := drainDeadline(&c.d, now, def); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestAsRequeue: which ended runs are requeued, and how.
func TestAsRequeue(t *testing.T) {
	ctx := context.Background()
	store := state.New()
	raft := &directRaft{store: store}
	apply := raft.applier(ctx, t)
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	sub := parse(t, "#!/bin/sh\ntrue\n")
	submit := func(node string) uint64 {
		id := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: t0, User: "ada", Submission: sub, DefaultPartition: "debug",
			Job: fromspec.MustRecord(sub.Spec, "debug")}).Value.(state.JobSubmitResult).JobID
		apply(state.CmdJobStart, state.JobStartCmd{Time: t0, JobID: id, Task: state.NoTask})
		if node != "" {
			apply(state.CmdJobPlaced, state.JobPlacedCmd{Time: t0, JobID: id, NodeList: node})
		}
		return id
	}
	onN1, onN2, unplaced := submit("n1"), submit("n2"), submit("")
	reclaimAt := t0.Add(time.Minute)
	apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: reclaimAt, Op: state.ReclaimBegin, Node: "n1", NodeID: "id-n1", Deadline: reclaimAt.Add(time.Minute), Source: state.ReclaimCommand})
	apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: reclaimAt, Op: state.ReclaimSignalled, Node: "n1", NodeID: "id-n1",
		Hits: []state.ReclaimHit{{JobID: onN1}, {JobID: unplaced}}})
	notHit := submit("n1") // placed after the node came back
	e := New(Config{Store: store})
	for _, c := range []struct {
		name    string
		en      ending
		state   state.JobState
		requeue bool
	}{
		{"exit 85", ending{nodeID: "id-n2", outcome: sched.Outcome{JobID: onN2, State: state.StateFailed, ExitCode: 85, Time: t0.Add(time.Second)}}, state.StateRequeued, true},
		{"killed by 85", ending{nodeID: "id-n2", outcome: sched.Outcome{JobID: onN2, State: state.StateFailed, ExitCode: 85, ExitSignal: 9}}, state.StateFailed, false},
		{"exit 3", ending{nodeID: "id-n2", outcome: sched.Outcome{JobID: onN2, State: state.StateFailed, ExitCode: 3}}, state.StateFailed, false},
		{"ended on a reclaimed node", ending{nodeID: "id-n1", outcome: sched.Outcome{JobID: onN1, State: state.StateCompleted, Time: reclaimAt.Add(time.Second)}}, state.StatePreempted, true},
		{"stopped on a reclaimed node", ending{nodeID: "id-n1", outcome: sched.Outcome{JobID: onN1, State: state.StateCancelled, ExitSignal: 15, Time: reclaimAt.Add(time.Minute)}}, state.StatePreempted, true},
		{"exit 85 on its reclaim's signal", ending{nodeID: "id-n1", outcome: sched.Outcome{JobID: onN1, State: state.StateFailed, ExitCode: 85, Time: reclaimAt.Add(time.Second)}}, state.StatePreempted, true},
		{"not hit", ending{nodeID: "id-n1", outcome: sched.Outcome{JobID: notHit, State: state.StateCompleted, Time: reclaimAt.Add(time.Second)}}, state.StateCompleted, false},
		{"drained", ending{nodeID: "id-n2", migrate: true, outcome: sched.Outcome{JobID: onN2, State: state.StateNodeFail}}, state.StatePreempted, true},
		{"node lost", ending{nodeID: "id-n2", outcome: sched.Outcome{JobID: onN2, State: state.StateNodeFail}}, state.StateNodeFail, false},
		{"node lost while reclaimed", ending{nodeID: "id-n1", outcome: sched.Outcome{JobID: onN1, State: state.StateNodeFail}}, state.StatePreempted, true},
		{"never started", ending{nodeID: "id-n1", outcome: sched.Outcome{JobID: unplaced, State: state.StateCompleted}}, state.StatePending, false},
		{"another node", ending{nodeID: "id-n2", outcome: sched.Outcome{JobID: onN2, State: state.StateCompleted, Time: reclaimAt.Add(time.Second)}}, state.StateCompleted, false},
	} {
		got := e.asRequeue(c.en).outcome
		if got.State != c.state || got.Requeue != c.requeue {
			t.Errorf("%s: %s requeue %v, want %s requeue %v", c.name, got.State, got.Requeue, c.state, c.requeue)
		}
	}
}
