package apiserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
)

// TestSubmitNodeCount: multi-node jobs are accepted (they were refused
// before multi-node support); a node count Slurm refuses, or more nodes
// than the job's partition has (any state), is refused with Slurm's
// words; with no node registered yet, or one initializing, the job is
// accepted and waits. --gpus-per-node counts per node.
func TestSubmitNodeCount(t *testing.T) {
	nodes := &nodeList{}
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return t0 }, Nodes: nodes})
	c := srv.Client(t, srv.UserToken(t, "alice"))
	submit := func(args ...string) error {
		_, err := c.Submit(context.Background(), &api.SubmitRequest{Script: []byte("#!/bin/sh\nsrun hostname\n"), ScriptName: "job.sh", Args: args, Cwd: "/home/u"})
		return err
	}
	if err := submit("-N", "64"); err != nil {
		t.Fatalf("-N 64, no node registered: %v, want accepted", err)
	}
	a100 := api.NodeGPU{Model: "NVIDIA A100-SXM4-40GB", Type: "a100", Count: 4, Healthy: 4, Fake: true}
	nodes.set(
		api.Node{Name: "n1", State: api.NodeIdle, CPUs: 8, MemMiB: 16384, Partitions: []string{"batch"}, GPUs: []api.NodeGPU{a100}},
		api.Node{Name: "n2", State: api.NodeDown, CPUs: 8, MemMiB: 16384, Partitions: []string{"batch"}, GPUs: []api.NodeGPU{a100}},
		api.Node{Name: "n3", State: api.NodeIdle, CPUs: 8, MemMiB: 16384, Partitions: []string{"batch"}},
	)
	for _, args := range [][]string{{"-N", "2"}, {"-N", "3", "--ntasks-per-node=8"}, {"-N", "2", "--gpus-per-node=4"}, {"-w", "n[1-3]"}, {"-N", "2-5"}} {
		if err := submit(args...); err != nil {
			t.Errorf("%v: %v, want accepted", args, err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-N", "4"}, "Requested node configuration is not available: "},
		{[]string{"-N", "3", "--gpus-per-node=1"}, "Requested node configuration is not available: "},
		{[]string{"-N", "2", "--gpus-per-node=5"}, "Requested node configuration is not available: "},
		{[]string{"-N", "100000"}, "Node count specification invalid: "},
		{[]string{"-N", "1", "-w", "n[1-2]"}, "Node count specification invalid: "},
	} {
		ae := wantCode(t, submit(c.args...), api.CodeInvalidRequest)
		if ae != nil && !strings.HasPrefix(ae.Message, c.want) {
			t.Errorf("%v: %q, want %q first", c.args, ae.Message, c.want)
		}
	}
	nodes.set(api.Node{Name: "n1", State: api.NodeUnknown, Partitions: []string{"batch"}})
	if err := submit("-N", "4"); err != nil {
		t.Errorf("-N 4 while a node initializes: %v, want accepted", err)
	}
}
