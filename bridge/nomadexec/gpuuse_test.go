package nomadexec

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

var quiet = slog.New(slog.DiscardHandler)

// resources is an allocation's resources as the Nomad servers return
// them for a run's task with devs.
func resources(devs ...*api.AllocatedDeviceResource) *api.AllocatedResources {
	return &api.AllocatedResources{Tasks: map[string]*api.AllocatedTaskResources{TaskName: {Devices: devs}}}
}

func TestGPUAllocOf(t *testing.T) {
	gpu := func(ids ...string) *api.AllocatedDeviceResource {
		return &api.AllocatedDeviceResource{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA A100-SXM4-40GB", DeviceIDs: ids}
	}
	for _, c := range []struct {
		name string
		res  *api.AllocatedResources
		want *state.GPUAlloc
	}{
		{"no resources (a listing)", nil, nil},
		{"no devices", resources(), nil},
		{"other task", &api.AllocatedResources{Tasks: map[string]*api.AllocatedTaskResources{"other": {Devices: []*api.AllocatedDeviceResource{gpu("GPU-a")}}}}, nil},
		{"two GPUs, sorted", resources(gpu("GPU-b", "GPU-a")), &state.GPUAlloc{NodeID: "id1", Node: "node1", UUIDs: []string{"GPU-a", "GPU-b"}}},
		{"two models", resources(gpu("GPU-c"), &api.AllocatedDeviceResource{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA H100 80GB HBM3", DeviceIDs: []string{"GPU-a"}}),
			&state.GPUAlloc{NodeID: "id1", Node: "node1", UUIDs: []string{"GPU-a", "GPU-c"}}},
		{"not a GPU", resources(&api.AllocatedDeviceResource{Vendor: "nvidia", Type: "nic", DeviceIDs: []string{"x"}}, nil), nil},
		{"an id a node should not send", resources(gpu("GPU-a", "GPU-\n")), nil},
		{"an id too long", resources(gpu(strings.Repeat("a", state.MaxGPUIDLen+1))), nil},
	} {
		got := gpuAllocOf(c.res, "id1", "node1", quiet)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: gpuAllocOf = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestGPUMeasureOf(t *testing.T) {
	event := func(util, mem, samples string) *api.TaskEvent {
		d := map[string]string{}
		for k, v := range map[string]string{AnnotationGPUUtilMax: util, AnnotationGPUMemPeak: mem, AnnotationGPUSamples: samples} {
			if v != "-" {
				d[k] = v
			}
		}
		return &api.TaskEvent{Type: api.TaskDriverMessage, Details: d}
	}
	terminated := &api.TaskEvent{Type: api.TaskTerminated, Details: map[string]string{"exit_code": "0"}}
	for _, c := range []struct {
		name   string
		events []*api.TaskEvent
		want   *state.GPUMeasure
	}{
		{"none (the fake backend)", []*api.TaskEvent{{Type: api.TaskStarted}, terminated}, nil},
		{"measured", []*api.TaskEvent{{Type: api.TaskStarted}, event("87", "30517", "18"), terminated},
			&state.GPUMeasure{UtilMaxPct: 87, MemPeakMiB: 30517, Samples: 18}},
		{"the last report wins", []*api.TaskEvent{event("10", "1", "1"), event("100", "81559", "40"), terminated},
			&state.GPUMeasure{UtilMaxPct: 100, MemPeakMiB: 81559, Samples: 40}},
		{"zero utilisation is a figure", []*api.TaskEvent{event("0", "0", "3")}, &state.GPUMeasure{Samples: 3}},
		{"not from the driver", []*api.TaskEvent{{Type: api.TaskTerminated, Details: event("50", "1", "1").Details}}, nil},
		{"utilisation over 100", []*api.TaskEvent{event("101", "1", "1")}, nil},
		{"negative memory", []*api.TaskEvent{event("50", "-1", "1")}, nil},
		{"memory past any GPU", []*api.TaskEvent{event("50", "99999999999", "1")}, nil},
		{"no samples", []*api.TaskEvent{event("50", "1", "0")}, nil},
		{"not a number", []*api.TaskEvent{event("5e1", "1", "1")}, nil},
		{"sign", []*api.TaskEvent{event("+50", "1", "1")}, nil},
		{"spaces", []*api.TaskEvent{event(" 50", "1", "1")}, nil},
		{"a figure missing", []*api.TaskEvent{event("-", "1", "1")}, nil},
		{"overflow", []*api.TaskEvent{event("50", "1", "99999999999999999999999")}, nil},
		// The latest report is nonsense: the earlier one is not used
		// instead (the node's last word on the run is not to be trusted).
		{"nonsense after sense", []*api.TaskEvent{event("10", "1", "1"), event("999", "1", "1")}, nil},
	} {
		got := gpuMeasureOf(&api.TaskState{Events: c.events}, quiet)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: gpuMeasureOf = %+v, want %+v", c.name, got, c.want)
		}
	}
	if gpuMeasureOf(nil, quiet) != nil {
		t.Error("gpuMeasureOf(nil) is not nil")
	}
}

// allocServer serves one full allocation, as the Nomad servers answer
// GET /v1/allocation/:id, and counts the reads.
type allocServer struct {
	alloc *api.Allocation
	mu    sync.Mutex
	reads int
}

func (s *allocServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/v1/allocation/"+s.alloc.ID {
		http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusNotImplemented)
		return
	}
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(s.alloc)
}

// TestHandleAllocAccountsGPUs: the placement and the end of a run carry
// the GPUs Nomad allocated to it (from the event stream's full
// allocation, or, for a listing, read from the servers) and the end
// NVML's figures.
func TestHandleAllocAccountsGPUs(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := resources(&api.AllocatedDeviceResource{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA A100-SXM4-40GB", DeviceIDs: []string{"GPU-2", "GPU-1"}})
	want := &state.GPUAlloc{NodeID: "node-id-1", Node: "node1", UUIDs: []string{"GPU-1", "GPU-2"}}
	done := &api.TaskState{StartedAt: start, FinishedAt: start.Add(time.Minute), Events: []*api.TaskEvent{
		{Type: api.TaskStarted},
		{Type: api.TaskDriverMessage, Details: map[string]string{AnnotationGPUUtilMax: "64", AnnotationGPUMemPeak: "2048", AnnotationGPUSamples: "12"}},
		{Type: api.TaskTerminated},
	}}
	full := &api.Allocation{ID: "a1", NodeID: "node-id-1", NodeName: "node1", JobID: "slurm-7", ClientStatus: api.AllocClientStatusComplete,
		TaskStates: map[string]*api.TaskState{TaskName: done}, AllocatedResources: res}
	srv := &allocServer{alloc: full}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	client, err := api.NewClient(&api.Config{Address: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	outcomes := func(e *Executor) []sched.Outcome {
		e.mu.Lock()
		defer e.mu.Unlock()
		return slices.Clone(e.pending)
	}
	ctx := context.Background()

	// From the event stream: the full allocation, nothing read.
	e := New(Config{Client: client, Store: state.New()})
	e.track(7, "slurm-7", 1, "")
	e.handleAlloc(ctx, fullAlloc(full))
	e.mu.Lock()
	ends := slices.Clone(e.ends)
	e.mu.Unlock()
	got := outcomes(e)
	if len(got) != 1 || got[0].State != state.StateRunning || !reflect.DeepEqual(got[0].GPU, want) {
		t.Fatalf("placement outcomes %+v, want RUNNING with %+v", got, want)
	}
	if len(ends) != 1 || !reflect.DeepEqual(ends[0].outcome.GPU, want) ||
		!reflect.DeepEqual(ends[0].outcome.Measured, &state.GPUMeasure{UtilMaxPct: 64, MemPeakMiB: 2048, Samples: 12}) {
		t.Fatalf("end %+v, want COMPLETED with %+v and the measurement", ends, want)
	}
	if srv.reads != 0 {
		t.Errorf("%d allocation reads for an event's full allocation, want 0", srv.reads)
	}

	// From a listing (no resources): the servers are asked, once per
	// observation that needs it.
	e = New(Config{Client: client, Store: state.New()})
	e.track(7, "slurm-7", 1, "")
	stub := &api.AllocationListStub{ID: "a1", NodeID: "node-id-1", NodeName: "node1", JobID: "slurm-7", ClientStatus: api.AllocClientStatusComplete,
		TaskStates: map[string]*api.TaskState{TaskName: done}}
	e.handleAlloc(ctx, stubAlloc(stub))
	if got := outcomes(e); len(got) != 1 || !reflect.DeepEqual(got[0].GPU, want) {
		t.Errorf("placement from a listing %+v, want %+v", got, want)
	}
	e.mu.Lock()
	ends = slices.Clone(e.ends)
	e.mu.Unlock()
	if len(ends) != 1 || !reflect.DeepEqual(ends[0].outcome.GPU, want) || ends[0].outcome.Measured == nil {
		t.Errorf("end from a listing %+v, want %+v and the measurement", ends, want)
	}
	if srv.reads != 1 {
		t.Errorf("%d allocation reads, want 1", srv.reads)
	}
}
