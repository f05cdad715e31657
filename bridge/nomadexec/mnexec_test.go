package nomadexec

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestHandleMulti: how a 2-node run's allocations decide its placement
// and end: RUNNING with both nodes only once both tasks run; the batch
// instance's end (by its task event, else the first node) is the run's;
// any other instance's end first is NODE_FAIL, but the job's launch
// failure (the same on every node) fails it and a stop by someone else
// cancels it.
func TestHandleMulti(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	running := func(at time.Time, events ...*api.TaskEvent) *api.TaskState {
		return &api.TaskState{State: "running", StartedAt: at, Events: events}
	}
	role := func(r string) *api.TaskEvent {
		return &api.TaskEvent{Type: "Driver", Details: map[string]string{AnnotationRole: r}}
	}
	ended := func(code int, events ...*api.TaskEvent) *api.TaskState {
		return &api.TaskState{State: "dead", StartedAt: t0, FinishedAt: t0.Add(time.Minute), Failed: code != 0,
			Events: append(events, &api.TaskEvent{Type: api.TaskTerminated, ExitCode: code})}
	}
	type step struct {
		id, node, status string
		task             *api.TaskState
	}
	for _, c := range []struct {
		name  string
		steps []step
		want  []sched.Outcome // emitted (placement) then ended
	}{
		{"batch by event ends the run with its code", []step{
			{"a1", "n2", api.AllocClientStatusRunning, running(t0, role(RoleBatch))},
			{"a2", "n10", api.AllocClientStatusPending, nil},
			{"a2", "n10", api.AllocClientStatusRunning, running(t0.Add(time.Second), role(RoleNode))},
			{"a1", "n2", api.AllocClientStatusFailed, ended(3, role(RoleBatch))},
		}, []sched.Outcome{{State: state.StateRunning, Node: "n[2,10]", Time: t0.Add(time.Second)}, {State: state.StateFailed, ExitCode: 3}}},
		{"first node is the batch without events", []step{
			{"a1", "n1", api.AllocClientStatusRunning, running(t0)},
			{"a2", "n2", api.AllocClientStatusRunning, running(t0)},
			{"a1", "n1", api.AllocClientStatusComplete, ended(0)},
		}, []sched.Outcome{{State: state.StateRunning, Node: "n[1-2]", Time: t0}, {State: state.StateCompleted}}},
		{"a node instance failing first is NODE_FAIL", []step{
			{"a1", "n1", api.AllocClientStatusRunning, running(t0, role(RoleBatch))},
			{"a2", "n2", api.AllocClientStatusRunning, running(t0, role(RoleNode))},
			{"a2", "n2", api.AllocClientStatusFailed, ended(1, role(RoleNode))},
		}, []sched.Outcome{{State: state.StateRunning, Node: "n[1-2]", Time: t0}, {State: state.StateNodeFail}}},
		{"a lost node before placement is NODE_FAIL, on the nodes placed", []step{
			{"a1", "n1", api.AllocClientStatusRunning, running(t0)},
			{"a2", "n2", api.AllocClientStatusUnknown, nil},
		}, []sched.Outcome{{State: state.StateRunning, Node: "n[1-2]", Time: t0}, {State: state.StateNodeFail}}},
		{"a short run: the batch ends before the other's start is seen", []step{
			{"a2", "n2", api.AllocClientStatusPending, nil},
			{"a1", "n1", api.AllocClientStatusComplete, ended(0, role(RoleBatch))},
		}, []sched.Outcome{{State: state.StateRunning, Node: "n[1-2]", Time: t0}, {State: state.StateCompleted}}},
		{"a short run seen only at its end", []step{
			{"a2", "n2", api.AllocClientStatusRunning, running(t0.Add(2*time.Second), role(RoleNode))},
			{"a1", "n1", api.AllocClientStatusComplete, ended(0, role(RoleBatch))},
		}, []sched.Outcome{{State: state.StateRunning, Node: "n[1-2]", Time: t0.Add(2 * time.Second)}, {State: state.StateCompleted}}},
		{"the job's launch failure fails it", []step{
			{"a2", "n2", api.AllocClientStatusFailed, &api.TaskState{State: "dead", Failed: true,
				Events: []*api.TaskEvent{{Type: api.TaskDriverFailure, DriverError: "user nobody2 does not exist"}}}},
		}, []sched.Outcome{{State: state.StateFailed, ExitCode: 1}}},
		{"a prestart task running is not a placement", []step{
			{"a1", "n1", api.AllocClientStatusRunning, &api.TaskState{State: "pending"}},
			{"a2", "n2", api.AllocClientStatusRunning, running(t0)},
		}, nil},
	} {
		e := New(Config{Store: state.New()})
		e.track(7, "slurm-7", 2, "dc1")
		for _, s := range c.steps {
			e.handleAlloc(context.Background(), alloc{ID: s.id, NodeID: "id-" + s.node, NodeName: s.node, JobID: "slurm-7", ClientStatus: s.status, Task: s.task, resolved: true})
		}
		got := append([]sched.Outcome(nil), e.pending...)
		for _, en := range e.ends {
			if !en.multi {
				t.Errorf("%s: an ending not marked multi-node (its other allocations would not be stopped)", c.name)
			}
			got = append(got, en.outcome)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: outcomes %+v, want %+v", c.name, got, c.want)
			continue
		}
		for i, w := range c.want {
			g := got[i]
			if g.JobID != 7 || g.State != w.State || g.ExitCode != w.ExitCode || g.Node != w.Node || w.State == state.StateRunning && !g.Time.Equal(w.Time) {
				t.Errorf("%s: outcome %d = %+v, want %+v", c.name, i, g, w)
			}
		}
	}
}

// TestBatchAllocs: "B:" signals reach the batch node's allocation only.
func TestBatchAllocs(t *testing.T) {
	a := &api.AllocationListStub{ID: "a", NodeName: "n10"}
	b := &api.AllocationListStub{ID: "b", NodeName: "n9"}
	if got := batchAllocs([]*api.AllocationListStub{a, b}); len(got) != 1 || got[0] != b {
		t.Errorf("no role events: %v, want n9's (first in hostlist order)", got)
	}
	a.TaskStates = map[string]*api.TaskState{TaskName: {Events: []*api.TaskEvent{{Type: "Driver", Details: map[string]string{AnnotationRole: RoleBatch}}}}}
	if got := batchAllocs([]*api.AllocationListStub{a, b}); len(got) != 1 || got[0] != a {
		t.Errorf("n10 says batch: %v", got)
	}
}

// TestHandleListedAfterEnd: a multi-node run tracked again after its end
// (the scheduler starts the job again before its end is committed) reads
// its listed allocations as one run: the batch instance's end, on both
// nodes, whichever allocation Nomad lists first (it ended NODE_FAIL on one
// node when the other instance, stopped at the end, came first).
func TestHandleListedAfterEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dead := func(code int, ev ...*api.TaskEvent) map[string]*api.TaskState {
		return map[string]*api.TaskState{TaskName: {State: "dead", StartedAt: t0, FinishedAt: t0.Add(time.Second),
			Events: append(ev, &api.TaskEvent{Type: api.TaskTerminated, ExitCode: code})}}
	}
	batch := &api.TaskEvent{Type: "Driver", Details: map[string]string{AnnotationRole: RoleBatch}}
	for _, withRole := range []bool{true, false} {
		var ev []*api.TaskEvent
		if withRole {
			ev = []*api.TaskEvent{batch}
		}
		e := New(Config{Store: state.New()})
		e.track(7, "slurm-7", 2, "dc1")
		e.handleListed(context.Background(), []*api.AllocationListStub{
			{ID: "a2", JobID: "slurm-7", NodeName: "n2", ClientStatus: api.AllocClientStatusComplete, TaskStates: dead(0), AllocatedResources: &api.AllocatedResources{}},
			{ID: "a1", JobID: "slurm-7", NodeName: "n1", ClientStatus: api.AllocClientStatusComplete, TaskStates: dead(0, ev...), AllocatedResources: &api.AllocatedResources{}},
		})
		if len(e.pending) != 1 || e.pending[0].Node != "n[1-2]" || len(e.ends) != 1 || e.ends[0].outcome.State != state.StateCompleted || e.ends[0].allocID != "a1" {
			t.Errorf("role events %v: placements %+v, ends %+v; want n[1-2], COMPLETED from a1", withRole, e.pending, e.ends)
		}
	}
}
