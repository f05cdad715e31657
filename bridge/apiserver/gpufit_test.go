package apiserver_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// nodeList is a NodeSource over a list the test sets.
type nodeList struct {
	mu    sync.Mutex
	nodes []api.Node
}

func (l *nodeList) Nodes(context.Context) ([]api.Node, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]api.Node(nil), l.nodes...), nil
}

func (l *nodeList) set(nodes ...api.Node) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nodes = nodes
}

// TestSubmitGPUNeverFits: a GPU request no node of the job's partition can
// ever meet is refused at submit with Slurm's "Requested node
// configuration is not available" and leaves no job; one a node could
// meet (even a node that is down now) is accepted, and so is any while no
// node of the partition has registered.
func TestSubmitGPUNeverFits(t *testing.T) {
	nodes := &nodeList{}
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return t0 }, Nodes: nodes})
	c := srv.Client(t, srv.UserToken(t, "alice"))
	ctx := context.Background()
	count := func() int {
		n := 0
		srv.Store.View().EachJob(func(*state.Job) bool { n++; return true })
		return n
	}
	submit := func(args ...string) error {
		_, err := c.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "job.sh", Args: args, Cwd: "/home/u"})
		return err
	}
	// No node yet: a fresh cluster takes the job; it waits for a node.
	if err := submit("-p", "gpu", "--gres=gpu:64"); err != nil {
		t.Fatalf("no node registered: %v, want accepted", err)
	}
	a100 := api.NodeGPU{Model: "NVIDIA A100-SXM4-40GB", Type: "a100", Count: 8, Healthy: 8, Fake: true}
	h100 := api.NodeGPU{Model: "NVIDIA H100 80GB HBM3", Type: "h100", Count: 2, Healthy: 2}
	nodes.set(
		api.Node{Name: "node1", State: api.NodeIdle, CPUs: 16, MemMiB: 65536, Partitions: []string{"batch", "gpu"}, GPUs: []api.NodeGPU{a100}},
		api.Node{Name: "node2", State: api.NodeDown, CPUs: 16, MemMiB: 65536, Partitions: []string{"gpu"}, GPUs: []api.NodeGPU{h100}},
	)
	for _, args := range [][]string{
		{"--gres=gpu:9"}, {"--gres=gpu:v100:1"}, {"--gpus=9"}, {"-n", "3", "--gpus-per-task=3"},
		{"-p", "gpu", "--gres=gpu:h100:3"}, {"--gres=gpu:2", "--cpus-per-gpu=9"}, {"--gres=gpu:1", "--mem-per-gpu=70000"},
		{"--test-only", "--gres=gpu:9"},
	} {
		before := count()
		err := submit(args...)
		ae := wantCode(t, err, api.CodeInvalidRequest)
		if ae != nil && !strings.HasPrefix(ae.Message, "Requested node configuration is not available: ") {
			t.Errorf("%v: %q, want Slurm's words first", args, ae.Message)
		}
		if after := count(); after != before {
			t.Errorf("%v: refused, but the jobs went from %d to %d", args, before, after)
		}
	}
	// Bounded: a request cannot make the refusal or the Nomad constraint
	// large (5000 types made a 99 KB refusal message, and, with no node
	// registered, would have made a 5000-way type regexp in Nomad).
	var many []string
	for i := range 5000 {
		many = append(many, fmt.Sprintf("gpu:t%d:1", i))
	}
	for _, args := range [][]string{{"--gres=" + strings.Join(many, ",")}, {"--gpus=" + strings.Repeat("x", 65) + ":1"}} {
		ae := wantCode(t, submit(args...), api.CodeInvalidRequest)
		if ae != nil && !strings.HasPrefix(ae.Message, "Invalid generic resource (gres) specification: ") {
			t.Errorf("%.40v: %q", args, ae.Message)
		}
	}
	for _, args := range [][]string{
		{"--gres=gpu:8"}, {"--gres=gpu:a100:2", "--cpus-per-gpu=8"},
		{"-p", "gpu", "--gres=gpu:h100:2"}, // node2 is down, but may return
		{"-p", "batch", "--gpus=a100:1"}, {"--gres=gpu:0"},
	} {
		if err := submit(args...); err != nil {
			t.Errorf("%v: %v, want accepted", args, err)
		}
	}
}
