package nomadexec

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

func gpuDev(ids ...string) *api.AllocatedDeviceResource {
	return &api.AllocatedDeviceResource{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA A100-SXM4-40GB", DeviceIDs: ids}
}

func TestGPUAllocOfRun(t *testing.T) {
	on := func(id, node string, res *api.AllocatedResources) alloc {
		return alloc{ID: id, NodeID: "id-" + node, NodeName: node, Resources: res, resolved: true}
	}
	n2 := on("a1", "n2", resources(gpuDev("GPU-2b", "GPU-2a")))
	n10 := on("a2", "n10", resources(gpuDev("GPU-10a", "GPU-10b")))
	n3 := on("a3", "n3", resources())
	node := func(name string, ids ...string) state.GPUNode {
		return state.GPUNode{NodeID: "id-" + name, Node: name, UUIDs: ids}
	}
	for _, c := range []struct {
		name   string
		allocs []alloc
		batch  string
		want   *state.GPUAlloc
	}{
		{"batch first, then hostlist order", []alloc{n10, n3, n2}, "n2",
			&state.GPUAlloc{NodeID: "id-n2", Node: "n2", UUIDs: []string{"GPU-2a", "GPU-2b"}, OtherNodes: []state.GPUNode{node("n10", "GPU-10a", "GPU-10b")}}},
		{"the batch on the later node", []alloc{n2, n10}, "n10",
			&state.GPUAlloc{NodeID: "id-n10", Node: "n10", UUIDs: []string{"GPU-10a", "GPU-10b"}, OtherNodes: []state.GPUNode{node("n2", "GPU-2a", "GPU-2b")}}},
		{"a batch node without GPUs", []alloc{n3, n10}, "n3",
			&state.GPUAlloc{NodeID: "id-n10", Node: "n10", UUIDs: []string{"GPU-10a", "GPU-10b"}}},
		{"no GPUs", []alloc{n3, on("a4", "n4", nil)}, "n3", nil},
		{"a node's bad ids leave it out", []alloc{n2, on("a5", "n5", resources(gpuDev("GPU-\n")))}, "n2",
			&state.GPUAlloc{NodeID: "id-n2", Node: "n2", UUIDs: []string{"GPU-2a", "GPU-2b"}}},
	} {
		got := gpuAllocOfRun(c.allocs, c.batch, quiet)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: gpuAllocOfRun = %+v, want %+v", c.name, got, c.want)
		}
		if got.Count() != c.want.Count() {
			t.Errorf("%s: %d GPUs, want %d", c.name, got.Count(), c.want.Count())
		}
	}
}

// allocsServer answers the Nomad servers' reads of the allocations it has.
type allocsServer struct {
	allocs map[string]*api.Allocation
	mu     sync.Mutex
	reads  int
}

func (s *allocsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := s.allocs[strings.TrimPrefix(r.URL.Path, "/v1/allocation/")]
	if r.Method != http.MethodGet || a == nil {
		http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusNotImplemented)
		return
	}
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(a)
}

// TestHandleMultiAccountsGPUs: a 2-node run with --gpus-per-node=2 holds
// 4 GPUs on 2 nodes: its placement and its end carry every node's GPUs,
// the batch node's first, whether the allocations came from the event
// stream (full) or a listing (read from the servers).
func TestHandleMultiAccountsGPUs(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	batch := &api.TaskEvent{Type: "Driver", Details: map[string]string{AnnotationRole: RoleBatch}}
	nodeRole := &api.TaskEvent{Type: "Driver", Details: map[string]string{AnnotationRole: RoleNode}}
	nvml := &api.TaskEvent{Type: api.TaskDriverMessage, Details: map[string]string{AnnotationGPUUtilMax: "90", AnnotationGPUMemPeak: "100", AnnotationGPUSamples: "3"}}
	a1 := &api.Allocation{ID: "a1", NodeID: "id-n1", NodeName: "n1", JobID: "slurm-7", ClientStatus: api.AllocClientStatusRunning,
		TaskStates:         map[string]*api.TaskState{TaskName: {State: "running", StartedAt: t0, Events: []*api.TaskEvent{batch}}},
		AllocatedResources: resources(gpuDev("GPU-1b", "GPU-1a"))}
	a2 := &api.Allocation{ID: "a2", NodeID: "id-n2", NodeName: "n2", JobID: "slurm-7", ClientStatus: api.AllocClientStatusRunning,
		TaskStates:         map[string]*api.TaskState{TaskName: {State: "running", StartedAt: t0, Events: []*api.TaskEvent{nodeRole}}},
		AllocatedResources: resources(gpuDev("GPU-2a", "GPU-2b"))}
	end := *a1
	end.ClientStatus = api.AllocClientStatusComplete
	end.TaskStates = map[string]*api.TaskState{TaskName: {State: "dead", StartedAt: t0, FinishedAt: t0.Add(time.Minute),
		Events: []*api.TaskEvent{batch, nvml, {Type: api.TaskTerminated}}}}
	want := &state.GPUAlloc{NodeID: "id-n1", Node: "n1", UUIDs: []string{"GPU-1a", "GPU-1b"},
		OtherNodes: []state.GPUNode{{NodeID: "id-n2", Node: "n2", UUIDs: []string{"GPU-2a", "GPU-2b"}}}}
	check := func(t *testing.T, e *Executor) {
		t.Helper()
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.pending) != 1 || e.pending[0].State != state.StateRunning || !reflect.DeepEqual(e.pending[0].GPU, want) {
			t.Errorf("placement %+v, want RUNNING with %+v", e.pending, want)
		}
		if len(e.ends) != 1 || e.ends[0].outcome.State != state.StateCompleted || !reflect.DeepEqual(e.ends[0].outcome.GPU, want) ||
			e.ends[0].outcome.Measured == nil || e.ends[0].outcome.Measured.UtilMaxPct != 90 {
			t.Errorf("end %+v, want COMPLETED with %+v and the batch node's measurement", e.ends, want)
		}
		if got := e.ends[0].outcome.GPU.Count(); got != 4 {
			t.Errorf("%d GPUs, want 4", got)
		}
	}

	t.Run("event stream", func(t *testing.T) {
		e := New(Config{Store: state.New()})
		e.track(7, "slurm-7", 2, "dc1")
		for _, a := range []*api.Allocation{a2, a1, &end} {
			e.handleAlloc(context.Background(), fullAlloc(a))
		}
		check(t, e)
	})
	t.Run("listing", func(t *testing.T) {
		srv := &allocsServer{allocs: map[string]*api.Allocation{"a1": &end, "a2": a2}}
		hs := httptest.NewServer(srv)
		defer hs.Close()
		client, err := api.NewClient(&api.Config{Address: hs.URL})
		if err != nil {
			t.Fatal(err)
		}
		e := New(Config{Client: client, Store: state.New()})
		e.track(7, "slurm-7", 2, "dc1")
		stub := func(a *api.Allocation) *api.AllocationListStub {
			return &api.AllocationListStub{ID: a.ID, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, ClientStatus: a.ClientStatus, TaskStates: a.TaskStates}
		}
		e.handleListed(context.Background(), []*api.AllocationListStub{stub(a2), stub(&end)})
		check(t, e)
		if srv.reads != 2 {
			t.Errorf("%d allocation reads, want 2 (each allocation once)", srv.reads)
		}
	})
}
