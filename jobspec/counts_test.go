package jobspec

import "testing"

func TestCounts(t *testing.T) {
	for _, c := range []struct {
		args                     []string
		nodes, tasks, cpus, gpus int
		perNode                  int
	}{
		{nil, 1, 1, 1, 0, 1},
		{[]string{"-n", "4", "-c", "2"}, 1, 4, 8, 0, 2},
		{[]string{"-N", "2", "--ntasks-per-node", "3"}, 2, 6, 6, 0, 3},
		// Oracle (Slurm 22.05, scontrol show job of the running job):
		// NumTasks, NumCPUs, MinCPUsNode.
		{[]string{"-n", "2", "--gpus-per-task", "1", "--cpus-per-gpu", "4"}, 1, 2, 8, 2, 4},
		{[]string{"-n", "3", "--gpus-per-task", "2", "--cpus-per-gpu", "1"}, 1, 3, 6, 6, 2},
		{[]string{"--gpus", "4", "--gpus-per-task", "2"}, 1, 2, 2, 4, 1},
		{[]string{"--gpus", "4", "--gpus-per-task", "2", "--cpus-per-gpu", "3"}, 1, 2, 12, 4, 6},
		{[]string{"--gres", "gpu:2", "--cpus-per-gpu", "4"}, 1, 1, 8, 2, 1},
		{[]string{"--gpus", "3", "--cpus-per-gpu", "2"}, 1, 1, 6, 3, 1},
		{[]string{"-N", "2", "--mincpus", "5"}, 2, 2, 10, 0, 5},
		{[]string{"-N", "2", "--gpus-per-node", "4"}, 2, 2, 2, 8, 1},
	} {
		spec, diags := Parse(Input{File: "j.sh", Script: []byte("#!/bin/sh\n"), Args: c.args})
		if spec == nil {
			t.Fatalf("%v: %v", c.args, diags)
		}
		if got := [5]int{spec.MinNodes(), spec.TaskCount(), spec.CPUCount(), spec.GPUCount(), spec.MinCPUsPerNode()}; got != [5]int{c.nodes, c.tasks, c.cpus, c.gpus, c.perNode} {
			t.Errorf("%v: nodes, tasks, cpus, gpus, cpus per node = %v, want %v", c.args, got, [5]int{c.nodes, c.tasks, c.cpus, c.gpus, c.perNode})
		}
	}
	var none *Spec
	if none.MinNodes() != 1 || none.TaskCount() != 1 || none.CPUCount() != 1 || none.GPUCount() != 0 {
		t.Error("a nil Spec asks for one node, task and CPU and no GPU")
	}
}
