package gpufit

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

func spec(t *testing.T, args ...string) *jobspec.Spec {
	t.Helper()
	s, diags := jobspec.Parse(jobspec.Input{File: "j.sh", Script: []byte("#!/bin/sh\ntrue\n"), Args: args})
	if s == nil {
		t.Fatalf("%v: %v", args, diags)
	}
	return s
}

// node is an 8-CPU, 32 GiB node of partition gpu with GPU groups.
func node(name, state string, gpus ...api.NodeGPU) api.Node {
	return api.Node{Name: name, State: state, CPUs: 8, MemMiB: 32768, Partitions: []string{"gpu"}, GPUs: gpus}
}

var (
	a100x8 = api.NodeGPU{Model: "NVIDIA A100-SXM4-40GB", Type: "a100", Count: 8, Healthy: 8, Fake: true}
	h100x4 = api.NodeGPU{Model: "NVIDIA H100 80GB HBM3", Type: "h100", Count: 4, Healthy: 4}
	// A group whose plugin sets no gres_type: the type is its model's.
	l4x2 = api.NodeGPU{Model: "NVIDIA L4", Type: "nvidia_l4", Count: 2, Healthy: 2}
)

func TestParts(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []Part
	}{
		{nil, nil},
		{[]string{"--gres=gpu:2"}, []Part{{nil, 2}}},
		{[]string{"--gres=gpu:a100:2"}, []Part{{[]string{"a100"}, 2}}},
		{[]string{"--gres=gpu:a100:1,gpu:h100:2"}, []Part{{[]string{"a100"}, 1}, {[]string{"h100"}, 2}}},
		{[]string{"--gpus=a100:1,h100:1"}, []Part{{[]string{"a100"}, 1}, {[]string{"h100"}, 1}}},
		{[]string{"-n", "2", "--gpus-per-task=a100:1,h100:2"}, []Part{{[]string{"a100"}, 2}, {[]string{"h100"}, 4}}},
		{[]string{"--gpus-per-node=a100:1,h100:1"}, []Part{{[]string{"a100"}, 1}, {[]string{"h100"}, 1}}},
		// Two requests: --gpus sets the count; its one type and --gres's.
		{[]string{"--gpus=h100:4", "--gres=gpu:h100.x:4"}, []Part{{[]string{"h100", "h100.x"}, 4}}},
		{[]string{"-n", "3", "--gpus-per-task=2"}, []Part{{nil, 6}}},
		{[]string{"--gpus-per-node=h100:4"}, []Part{{[]string{"h100"}, 4}}},
		{[]string{"--gres=gpu:0"}, nil},
	} {
		sp := spec(t, c.args...)
		// As the leader reads it: from the Raft log's JSON.
		b, err := json.Marshal(sp)
		if err != nil {
			t.Fatal(err)
		}
		var back jobspec.Spec
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		got := Parts(&back)
		if !slices.EqualFunc(got, c.want, func(a, b Part) bool { return a.Count == b.Count && slices.Equal(a.Types, b.Types) }) {
			t.Errorf("%v: %+v, want %+v", c.args, got, c.want)
		}
	}
}

// TestNever: what the submit check refuses (wrapping ErrNeverFits, whose
// text is Slurm's) and what it lets wait, on every node Nomad knows
// whatever its state.
func TestNever(t *testing.T) {
	nodes := []api.Node{
		node("n1", api.NodeIdle, a100x8),
		node("n2", api.NodeDown, h100x4, l4x2), // down: may come back
		{Name: "cpu1", State: api.NodeIdle, CPUs: 64, MemMiB: 1 << 20, Partitions: []string{"batch"}},
	}
	gpuPart := Job{Partitions: []string{"gpu"}}
	for _, c := range []struct {
		name  string
		args  []string
		job   Job
		nodes []api.Node
		never string // "" when it may run some day; else a word of the message
	}{
		{"no GPUs", nil, gpuPart, nodes, ""},
		{"8 of one model", []string{"--gres=gpu:8"}, gpuPart, nodes, ""},
		{"more than any node", []string{"--gres=gpu:9"}, gpuPart, nodes, "9 GPUs"},
		{"--gpus over a node", []string{"--gpus=9"}, gpuPart, nodes, "9 GPUs"},
		{"per task x tasks", []string{"-n", "3", "--gpus-per-task=3"}, gpuPart, nodes, "9 GPUs"},
		{"models do not mix", []string{"--gres=gpu:6"}, Job{Partitions: []string{"gpu"}}, []api.Node{node("n2", api.NodeIdle, h100x4, l4x2)}, "6 GPUs"},
		{"type on a down node", []string{"--gres=gpu:h100:4"}, gpuPart, nodes, ""},
		{"type: too many", []string{"--gres=gpu:h100:5"}, gpuPart, nodes, "type h100"},
		{"type no node has", []string{"--gres=gpu:v100:1"}, gpuPart, nodes, "type v100"},
		{"type a10 is not a100", []string{"--gres=gpu:a10:1"}, gpuPart, nodes, "type a10"},
		{"model word", []string{"--gres=gpu:l4:2"}, gpuPart, nodes, ""},
		{"model name as type", []string{"--gpus=nvidia_l4:1"}, gpuPart, nodes, ""},
		{"a100 and h100 on different nodes", []string{"--gres=gpu:a100:1,gpu:h100:1"}, gpuPart, nodes, "1 GPU of type a100 and 1 of type h100"},
		{"a100 and h100 on one node", []string{"--gres=gpu:a100:1,gpu:h100:1"}, gpuPart, []api.Node{node("n3", api.NodeIdle, a100x8, h100x4)}, ""},
		{"not in the partition", []string{"--gres=gpu:1"}, Job{Partitions: []string{"batch"}}, nodes, "no node has a GPU"},
		{"one of the partitions", []string{"--gres=gpu:1"}, Job{Partitions: []string{"batch", "gpu"}}, nodes, ""},
		{"CPUs with the GPUs", []string{"--gres=gpu:2"}, Job{Partitions: []string{"gpu"}, CPUs: 9}, nodes, "9 CPUs"},
		{"memory with the GPUs", []string{"--gres=gpu:2"}, Job{Partitions: []string{"gpu"}, MemMiB: 40000}, nodes, "40000 MiB"},
		{"excluded", []string{"--gres=gpu:a100:1", "--exclude=n1"}, gpuPart, nodes, "type a100"},
		{"node list", []string{"--gres=gpu:h100:1", "--nodelist=n1"}, gpuPart, nodes, "type h100"},
		{"no node registered", []string{"--gres=gpu:99"}, gpuPart, nil, ""},
		{"no node of the partition registered", []string{"--gres=gpu:99"}, Job{Partitions: []string{"other"}}, nodes, ""},
		{"a node still initializing", []string{"--gres=gpu:99"}, gpuPart, append(slices.Clone(nodes), node("n9", api.NodeUnknown)), ""},
	} {
		err := Never(spec(t, c.args...), c.job, c.nodes)
		switch {
		case c.never == "" && err != nil:
			t.Errorf("%s: %v, want accepted", c.name, err)
		case c.never != "" && (err == nil || !errors.Is(err, ErrNeverFits) || !strings.Contains(err.Error(), c.never)):
			t.Errorf("%s: %v, want ErrNeverFits naming %q", c.name, err, c.never)
		case err != nil && !strings.HasPrefix(err.Error(), "Requested node configuration is not available: "):
			t.Errorf("%s: %q does not start with Slurm's words", c.name, err)
		}
	}
}

// TestNow: a job fits now only in free healthy GPUs of a usable node, after
// the requests in flight are set aside.
func TestNow(t *testing.T) {
	used := a100x8
	used.Used = 6
	sick := h100x4
	sick.Healthy = 1
	drained := node("d1", api.NodeIdle, a100x8)
	drained.Flags = []string{api.FlagDrain}
	two := []Part{{nil, 2}}
	for _, c := range []struct {
		name     string
		args     []string
		nodes    []api.Node
		inFlight [][]Part
		want     bool
	}{
		{"free", []string{"--gres=gpu:2"}, []api.Node{node("n1", api.NodeIdle, a100x8)}, nil, true},
		{"four in flight take all eight", []string{"--gres=gpu:2"}, []api.Node{node("n1", api.NodeIdle, a100x8)}, [][]Part{two, two, two, two}, false},
		{"three in flight leave two", []string{"--gres=gpu:2"}, []api.Node{node("n1", api.NodeIdle, a100x8)}, [][]Part{two, two, two}, true},
		{"used by jobs", []string{"--gres=gpu:3"}, []api.Node{node("n1", api.NodeMixed, used)}, nil, false},
		{"the rest of used", []string{"--gres=gpu:2"}, []api.Node{node("n1", api.NodeMixed, used)}, nil, true},
		{"unhealthy", []string{"--gres=gpu:h100:2"}, []api.Node{node("n1", api.NodeIdle, sick)}, nil, false},
		{"down", []string{"--gres=gpu:1"}, []api.Node{node("n1", api.NodeDown, a100x8)}, nil, false},
		{"draining", []string{"--gres=gpu:1"}, []api.Node{drained}, nil, false},
		{"typed on the other node", []string{"--gres=gpu:h100:1"}, []api.Node{node("n1", api.NodeIdle, a100x8), node("n2", api.NodeIdle, h100x4)}, [][]Part{{{nil, 8}}}, true},
		{"no GPU asked", nil, nil, nil, true},
	} {
		if got := Now(spec(t, c.args...), []string{"gpu"}, c.nodes, c.inFlight); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestMultiNode: a job on N nodes asks for its GPUs per node (its count
// over N, rounded up), and fits now or ever only on N distinct nodes.
func TestMultiNode(t *testing.T) {
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"-N", "2", "--gpus-per-node=3"}, 3},
		{[]string{"-N", "2", "--gres=gpu:a100:4"}, 4},
		{[]string{"-N", "2", "--gpus=5"}, 3},
		{[]string{"-N", "2", "--ntasks-per-node=2", "--gpus-per-task=1"}, 2},
	} {
		if p := Parts(spec(t, c.args...)); len(p) != 1 || p[0].Count != c.want {
			t.Errorf("%v: parts %v, want %d a node", c.args, p, c.want)
		}
	}
	two := spec(t, "-N", "2", "--gpus-per-node=6")
	one := []api.Node{node("n1", api.NodeIdle, a100x8), node("n2", api.NodeIdle, h100x4)}
	if Now(two, nil, one, nil) {
		t.Error("6 GPUs on each of 2 nodes fit now where only one node has 6")
	}
	if err := Never(two, Job{Partitions: []string{"gpu"}}, one); err == nil || !strings.Contains(err.Error(), "asks for 2 nodes") {
		t.Errorf("Never: %v, want a refusal naming the 2 nodes", err)
	}
	both := append(one, node("n3", api.NodeDown, a100x8))
	if !Now(spec(t, "-N", "2", "--gpus-per-node=4"), nil, both, nil) {
		t.Error("4 GPUs on each of 2 nodes do not fit on n1 and n2")
	}
	if Now(spec(t, "-N", "2", "--gpus-per-node=4"), nil, both, [][]Part{{{nil, 4}}, {{nil, 4}}, {{nil, 4}}}) {
		t.Error("fits with n1's 8 and n2's 4 set aside")
	}
	if err := Never(two, Job{Partitions: []string{"gpu"}}, both); err != nil {
		t.Errorf("Never with n1 and n3 (down, may return) of 8: %v", err)
	}
}
