package nomadexec

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// What credit is given of an allocation the Nomad servers hold: the
// task's start (the placement while the client has not reported it), its
// finish once dead (or the allocation's last change when it ended
// without one: lost), its GPUs once each, its CPUs from its CPU shares.
func TestObserved(t *testing.T) {
	start := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	gpus := &api.AllocatedTaskResources{Cpu: api.AllocatedCpuResources{CpuShares: 250},
		Devices: []*api.AllocatedDeviceResource{{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA H100 80GB HBM3", DeviceIDs: []string{"GPU-b", "GPU-a"}},
			{Vendor: "nvidia", Type: "gpu", Name: "Tesla T4", DeviceIDs: []string{"GPU-a"}},
			{Vendor: "x", Type: "fpga", Name: "a long FPGA", DeviceIDs: []string{"F-1", "F-2", "F-3"}}}}
	for _, tc := range []struct {
		name   string
		status string
		ts     *api.TaskState
		modify time.Time
		want   credit.Observed
	}{
		{"running", api.AllocClientStatusRunning, &api.TaskState{State: "running", StartedAt: start}, start.Add(time.Hour),
			credit.Observed{Start: start}},
		{"finished", api.AllocClientStatusComplete, &api.TaskState{State: "dead", StartedAt: start, FinishedAt: start.Add(time.Hour)}, start.Add(2 * time.Hour),
			credit.Observed{Start: start, Finish: start.Add(time.Hour)}},
		{"lost", api.AllocClientStatusLost, &api.TaskState{State: "running", StartedAt: start}, start.Add(3 * time.Hour),
			credit.Observed{Start: start, Finish: start.Add(3 * time.Hour)}},
		// Placed, its start not reported yet (a client batches its
		// updates): from the placement.
		{"start not reported yet", api.AllocClientStatusPending, nil, start, credit.Observed{Start: start.Add(-time.Minute)}},
		{"start not reported yet, running", api.AllocClientStatusRunning, &api.TaskState{State: "pending"}, start, credit.Observed{Start: start.Add(-time.Minute)}},
		{"failed before its task started", api.AllocClientStatusFailed, &api.TaskState{State: "dead"}, start, credit.Observed{Finish: start}},
		// A donor's client writes its task's times itself: the start is
		// never before the servers placed the allocation (CreateTime,
		// start-1m here), a finish never after the last update the servers
		// took (ModifyTime).
		{"client's start before the placement", api.AllocClientStatusRunning, &api.TaskState{State: "running", StartedAt: start.Add(-24 * time.Hour)}, start.Add(time.Hour),
			credit.Observed{Start: start.Add(-time.Minute)}},
		{"client's finish after the servers' last update", api.AllocClientStatusComplete,
			&api.TaskState{State: "dead", StartedAt: start, FinishedAt: start.Add(24 * time.Hour)}, start.Add(2 * time.Hour),
			credit.Observed{Start: start, Finish: start.Add(2 * time.Hour)}},
	} {
		a := &api.Allocation{ID: "a1", NodeID: "n-1", NodeName: "n1", ClientStatus: tc.status, ModifyTime: tc.modify.UnixNano(),
			CreateTime:         start.Add(-time.Minute).UnixNano(),
			TaskStates:         map[string]*api.TaskState{},
			AllocatedResources: &api.AllocatedResources{Tasks: map[string]*api.AllocatedTaskResources{TaskName: gpus}}}
		if tc.ts != nil {
			a.TaskStates[TaskName] = tc.ts
		}
		want := tc.want
		want.NodeID, want.Node, want.AllocID, want.GPUs, want.CPUs = "n-1", "n1", "a1", []string{"GPU-a", "GPU-b"}, 3
		want.GPUModel = "NVIDIA H100 80GB HBM3" // the group that gave the most GPUs
		want.StopGrace = DefaultKillTimeout + stopSlack
		got := observed(a, 100)
		if !got.Start.Equal(want.Start) || !got.Finish.Equal(want.Finish) {
			t.Errorf("%s: %v..%v, want %v..%v", tc.name, got.Start, got.Finish, want.Start, want.Finish)
		}
		got.Start, got.Finish, want.Start, want.Finish = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: %+v, want %+v", tc.name, *got, want)
		}
	}
}

// The GPUs' model is the device group's name that gave the task the most
// GPUs (the first by name of a tie); a name the ledger cannot keep is no
// model (the default rate).
func TestGPUModel(t *testing.T) {
	for _, tc := range []struct {
		models map[string]int
		want   string
	}{
		{nil, ""},
		{map[string]int{"NVIDIA A100-SXM4-40GB": 2}, "NVIDIA A100-SXM4-40GB"},
		{map[string]int{"B": 1, "A": 1, "C": 0}, "A"},
		{map[string]int{"B": 2, "A": 1}, "B"},
		{map[string]int{strings.Repeat("x", state.MaxGPUModelLen+1): 2}, ""},
		{map[string]int{"H100\n": 2}, ""},
	} {
		if got := gpuModel(tc.models); got != tc.want {
			t.Errorf("gpuModel(%v) = %q, want %q", tc.models, got, tc.want)
		}
	}
}

// The stop's grace is the task's kill timeout as the servers hold the
// job, bounded.
func TestObservedStopGrace(t *testing.T) {
	for _, tc := range []struct {
		kill *time.Duration
		want time.Duration
	}{
		{nil, DefaultKillTimeout + stopSlack},
		{ptr(2 * time.Minute), 2*time.Minute + stopSlack},
		{ptr(48 * time.Hour), maxStopGrace + stopSlack},
	} {
		name := "other"
		a := &api.Allocation{ID: "a1", Job: &api.Job{TaskGroups: []*api.TaskGroup{{Tasks: []*api.Task{
			{Name: name, KillTimeout: ptr(time.Hour)}, {Name: TaskName, KillTimeout: tc.kill}}}}}}
		if got := observed(a, 100).StopGrace; got != tc.want {
			t.Errorf("kill timeout %v: stop grace %v, want %v", tc.kill, got, tc.want)
		}
	}
}

// An allocation id that is not one is refused before Nomad is asked.
func TestObserveAllocRefusesBadIDs(t *testing.T) {
	e := New(Config{})
	for _, id := range []string{"", "../../v1/jobs", "A1B2C3D4-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000/x"} {
		if _, err := e.ObserveAlloc(context.Background(), &state.Job{ID: 1, ArrayTaskID: state.NoTask}, 0, id); !errors.Is(err, ErrNotObserved) {
			t.Errorf("%q: %v, want ErrNotObserved", id, err)
		}
	}
}
