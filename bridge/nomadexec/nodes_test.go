package nomadexec

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	hbapi "github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
)

// TestNodeStates maps what Nomad says about a node to Slurm's state,
// flags and reason.
func TestNodeStates(t *testing.T) {
	drainStart := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	healthy := &api.DriverInfo{Detected: true, Healthy: true}
	ready := func(mut func(*api.NodeListStub)) *api.NodeListStub {
		s := &api.NodeListStub{ID: "id", Name: "n1", NodePool: "default", Datacenter: "dc1", Status: api.NodeStatusReady,
			SchedulingEligibility: api.NodeSchedulingEligible,
			NodeResources:         &api.NodeResources{Cpu: api.NodeCpuResources{TotalCpuCores: 4}, Memory: api.NodeMemoryResources{MemoryMB: 8000}}}
		if mut != nil {
			mut(s)
		}
		return s
	}
	cases := []struct {
		name   string
		stub   *api.NodeListStub
		drv    *api.DriverInfo
		use    *nodeUse
		state  string
		flags  []string
		reason string
	}{
		{"idle", ready(nil), healthy, nil, hbapi.NodeIdle, nil, ""},
		{"mixed", ready(nil), healthy, &nodeUse{jobs: 1, cpus: 2}, hbapi.NodeMixed, nil, ""},
		{"allocated", ready(nil), healthy, &nodeUse{jobs: 2, cpus: 4}, hbapi.NodeAllocated, nil, ""},
		{"over-allocated shares", ready(nil), healthy, &nodeUse{jobs: 9, cpus: 90}, hbapi.NodeAllocated, nil, ""},
		{"down", ready(func(s *api.NodeListStub) { s.Status = api.NodeStatusDown }), healthy, nil,
			hbapi.NodeDown, []string{hbapi.FlagNotResponding}, "Not responding"},
		{"disconnected", ready(func(s *api.NodeListStub) { s.Status = api.NodeStatusDisconnected }), healthy, nil,
			hbapi.NodeDown, []string{hbapi.FlagNotResponding}, "Not responding (Nomad: disconnected)"},
		{"initializing", ready(func(s *api.NodeListStub) { s.Status = api.NodeStatusInit }), healthy, nil, hbapi.NodeUnknown, nil, ""},
		{"driver unhealthy", ready(nil), &api.DriverInfo{Detected: true, HealthDescription: "no cgroups"}, nil,
			hbapi.NodeDown, nil, "hpcbridge driver unhealthy: no cgroups"},
		{"draining", ready(func(s *api.NodeListStub) {
			s.Drain, s.SchedulingEligibility = true, api.NodeSchedulingIneligible
			s.LastDrain = &api.DrainMetadata{StartedAt: drainStart, Status: api.DrainStatusDraining, Meta: map[string]string{"message": "new disks"}}
		}), healthy, &nodeUse{jobs: 1, cpus: 1}, hbapi.NodeMixed, []string{hbapi.FlagDrain}, "new disks"},
		{"drained", ready(func(s *api.NodeListStub) {
			s.SchedulingEligibility = api.NodeSchedulingIneligible
			s.LastDrain = &api.DrainMetadata{StartedAt: drainStart, Status: api.DrainStatusComplete}
		}), healthy, nil, hbapi.NodeIdle, []string{hbapi.FlagDrain}, "Nomad drain"},
		{"ineligible", ready(func(s *api.NodeListStub) { s.SchedulingEligibility = api.NodeSchedulingIneligible }), healthy, nil,
			hbapi.NodeIdle, []string{hbapi.FlagDrain}, "Nomad: ineligible for scheduling"},
		{"down and ineligible", ready(func(s *api.NodeListStub) {
			s.Status, s.SchedulingEligibility = api.NodeStatusDown, api.NodeSchedulingIneligible
		}), healthy, nil, hbapi.NodeDown, []string{hbapi.FlagNotResponding}, "Not responding"},
	}
	n := &Nodes{Partitions: []string{"debug"}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := n.node(c.stub, c.drv, &nodeDetail{}, c.use)
			if got.State != c.state || !slices.Equal(got.Flags, c.flags) || got.Reason != c.reason {
				t.Errorf("state %s %v %q, want %s %v %q", got.State, got.Flags, got.Reason, c.state, c.flags, c.reason)
			}
			if got.AllocCPUs > got.CPUs {
				t.Errorf("%d of %d CPUs allocated", got.AllocCPUs, got.CPUs)
			}
		})
	}
}

// TestNodePartitions matches nodes against the partition map as the
// translation places jobs: node pool, datacenters, meta and attribute
// constraints.
func TestNodePartitions(t *testing.T) {
	n := &Nodes{
		Partitions: []string{"debug", "gpu", "east", "big"},
		Placement: map[string]Partition{
			"gpu":  {NodePool: "gpus"},
			"east": {Datacenters: []string{"east-*"}},
			"big":  {Constraints: []*api.Constraint{{LTarget: "${meta.size}", Operand: "=", RTarget: "big"}, {LTarget: "${attr.cpu.arch}", Operand: "=", RTarget: "amd64"}}},
		},
	}
	cases := []struct {
		pool, dc string
		meta     map[string]string
		want     []string
	}{
		{"default", "dc1", nil, []string{"debug"}},
		{"gpus", "dc1", nil, []string{"gpu"}},
		{"default", "east-1", nil, []string{"debug", "east"}},
		{"default", "dc1", map[string]string{"size": "big"}, []string{"debug", "big"}},
		{"all", "dc1", nil, nil},
	}
	for _, c := range cases {
		s := &api.NodeListStub{NodePool: c.pool, Datacenter: c.dc}
		got := n.partitionsOf(s, &nodeDetail{meta: c.meta, attrs: map[string]string{"cpu.arch": "amd64"}})
		if !slices.Equal(got, c.want) {
			t.Errorf("pool %s dc %s meta %v: %v, want %v", c.pool, c.dc, c.meta, got, c.want)
		}
	}
}

// TestGres names a node's GPUs as Slurm gres: the plugin's gres_type when
// it sets one, else the model; Gres= counts healthy instances and marks a
// fake backend's; GresUsed= gives the held ones' PCI-order indexes, as
// the oracle's scontrol show node -d prints them
// ("gpu:a100:5(IDX:0-4),gpu:h100:0(IDX:N/A)").
func TestGres(t *testing.T) {
	str := func(s string) *api.Attribute { return &api.Attribute{StringVal: &s} }
	yes := true
	inst := func(id, bus string, healthy bool) *api.NodeDevice {
		return &api.NodeDevice{ID: id, Healthy: healthy, Locality: &api.NodeDeviceLocality{PciBusID: bus}}
	}
	cases := []struct {
		name           string
		devs           []*api.NodeDeviceResource
		used           []string
		gres, gresUsed []string
	}{
		{"model name, healthy only",
			[]*api.NodeDeviceResource{
				{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA A100-SXM4-40GB", Instances: []*api.NodeDevice{{ID: "a", Healthy: true}, {ID: "b", Healthy: true}, {ID: "c"}}},
				{Vendor: "intel", Type: "fpga", Name: "x"},
			}, nil,
			[]string{"gpu:nvidia_a100-sxm4-40gb:2"}, []string{"gpu:nvidia_a100-sxm4-40gb:0(IDX:N/A)"}},
		{"gres_type, fake, used indexes in PCI order",
			[]*api.NodeDeviceResource{{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA A100-SXM4-40GB",
				Attributes: map[string]*api.Attribute{"gres_type": str("a100"), "fake": {BoolVal: &yes}},
				Instances:  []*api.NodeDevice{inst("GPU-d", "0000:04:00.0", true), inst("GPU-a", "0000:01:00.0", true), inst("GPU-c", "0000:03:00.0", true), inst("GPU-b", "0000:02:00.0", true)}}},
			[]string{"GPU-a", "GPU-b", "GPU-d"},
			[]string{"gpu:a100:4(fake)"}, []string{"gpu:a100:3(IDX:0-1,3)"}},
		{"two models: indexes across the node",
			[]*api.NodeDeviceResource{
				{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA H100 80GB HBM3", Attributes: map[string]*api.Attribute{"gres_type": str("h100")},
					Instances: []*api.NodeDevice{inst("h0", "0000:10:00.0", true), inst("h1", "0000:11:00.0", true)}},
				{Vendor: "nvidia", Type: "gpu", Name: "NVIDIA A100-SXM4-40GB", Attributes: map[string]*api.Attribute{"gres_type": str("a100")},
					Instances: []*api.NodeDevice{inst("a0", "0000:01:00.0", true)}},
			},
			[]string{"h1"},
			[]string{"gpu:a100:1", "gpu:h100:2"}, []string{"gpu:a100:0(IDX:N/A)", "gpu:h100:1(IDX:2)"}},
	}
	for _, c := range cases {
		used := map[string]bool{}
		for _, id := range c.used {
			used[id] = true
		}
		gres, gresUsed := gresStrings(gpusOf(c.devs, used))
		if !slices.Equal(gres, c.gres) || !slices.Equal(gresUsed, c.gresUsed) {
			t.Errorf("%s: Gres=%v GresUsed=%v, want %v %v", c.name, gres, gresUsed, c.gres, c.gresUsed)
		}
	}
	if got := featuresOf(" a, b,a,,c:1 "); !slices.Equal(got, []string{"a", "b", "c:1"}) {
		t.Errorf("features %v", got)
	}
	if got := featuresOf(strings.Repeat("f,", 1000)); len(got) != 1 {
		t.Errorf("%d features", len(got))
	}
}

// countingTransport counts the requests the Nomad client sends.
type countingTransport struct {
	mu    sync.Mutex
	paths []string
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.paths = append(c.paths, r.URL.Path)
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.paths
	c.paths = nil
	return p
}

// TestNodesFromNomad reads a real Nomad node: its cores, memory, features
// and partitions; looks are shared for the TTL and cost one node list and
// one allocation list call, plus a node read only when the node changed
// (here: its slurm_features meta).
func TestNodesFromNomad(t *testing.T) {
	nomadtest.Require(t)
	plugins := filepath.Join(t.TempDir(), "plugins")
	if b, err := exec.Command("go", "build", "-o", filepath.Join(plugins, "hpcbridge-driver"), "../../cmd/hpcbridge-driver").CombinedOutput(); err != nil {
		t.Fatalf("go build the task driver: %v\n%s", err, b)
	}
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: t.TempDir(), PluginDir: plugins,
		Plugins: []nomadagent.Plugin{{Name: "hpcbridge-driver"}}, Drivers: []string{DriverName},
		Meta: map[string]string{NodeMetaFeatures: "avx2"}})
	counter := &countingTransport{}
	cfg := api.DefaultConfig()
	cfg.Address, cfg.HttpClient = agent.Addr(), &http.Client{Transport: counter}
	client, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	n := &Nodes{Client: client, Partitions: []string{"debug", "gpu"}, Placement: map[string]Partition{"gpu": {NodePool: "gpus"}},
		Now: func() time.Time { return now }}
	ctx := context.Background()
	nodes, err := n.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := agent.API().Nodes().Info(agent.NodeID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 {
		t.Fatalf("nodes: %+v", nodes)
	}
	got := nodes[0]
	if got.Name != info.Name || got.State != hbapi.NodeIdle || got.CPUs != int(info.NodeResources.Cpu.TotalCpuCores) ||
		got.MemMiB != info.NodeResources.Memory.MemoryMB || !slices.Equal(got.Features, []string{"avx2"}) ||
		!slices.Equal(got.Partitions, []string{"debug"}) || got.Arch != unameArch(info.Attributes["cpu.arch"]) || got.Arch == "amd64" {
		t.Errorf("node %+v", got)
	}
	if p := counter.take(); !slices.Equal(p, []string{"/v1/nodes", "/v1/allocations", "/v1/node/" + info.ID}) {
		t.Errorf("first look asked Nomad %v", p)
	}
	if _, err := n.Nodes(ctx); err != nil {
		t.Fatal(err)
	}
	if p := counter.take(); len(p) != 0 {
		t.Errorf("a look within the TTL asked Nomad %v", p)
	}
	now = now.Add(DefaultNodesTTL)
	if _, err := n.Nodes(ctx); err != nil {
		t.Fatal(err)
	}
	if p := counter.take(); !slices.Equal(p, []string{"/v1/nodes", "/v1/allocations"}) {
		t.Errorf("a look at an unchanged node asked Nomad %v", p)
	}

	// New features: the node changed, so it is read again.
	features := "avx2,ib"
	if _, err := agent.API().Nodes().Meta().Apply(&api.NodeMetaApplyRequest{NodeID: info.ID, Meta: map[string]*string{NodeMetaFeatures: &features}}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond) // the client syncs its meta to the servers
	defer tick.Stop()
	for {
		now = now.Add(DefaultNodesTTL)
		nodes, err := n.Nodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(nodes[0].Features, []string{"avx2", "ib"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("features still %v", nodes[0].Features)
		}
		<-tick.C
	}
	if p := counter.take(); !slices.Contains(p, "/v1/node/"+info.ID) {
		t.Errorf("a changed node was not read again: %v", p)
	}
}

// BenchmarkNodesLook measures one look at a real Nomad dev agent (one
// node, no cache): the node list and allocation list calls.
func BenchmarkNodesLook(b *testing.B) {
	nomadtest.Require(b)
	plugins := filepath.Join(b.TempDir(), "plugins")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(plugins, "hpcbridge-driver"), "../../cmd/hpcbridge-driver").CombinedOutput(); err != nil {
		b.Fatalf("go build the task driver: %v\n%s", err, out)
	}
	agent := nomadtest.StartDev(b, nomadagent.Config{Dir: b.TempDir(), PluginDir: plugins,
		Plugins: []nomadagent.Plugin{{Name: "hpcbridge-driver"}}, Drivers: []string{DriverName}})
	now := time.Now()
	n := &Nodes{Client: agent.API(), Partitions: []string{"debug"}, Now: func() time.Time { return now }}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		now = now.Add(DefaultNodesTTL)
		if nodes, err := n.Nodes(ctx); err != nil || len(nodes) != 1 {
			b.Fatal(nodes, err)
		}
	}
}
