package nomadexec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/taskspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestTranslateMultiNode: a job on N >= 2 nodes is one group of N
// allocations on distinct hosts, each reserving its node's share, with
// the step daemon's port and service and the peers and key templates; the
// layout travels in the task config. A one-node job has none of it.
func TestTranslateMultiNode(t *testing.T) {
	tr := Translation{MHzPerCPU: 100}
	for _, c := range []struct {
		script                      string
		nodes, cpus, mem, gpus      int
		ntasks, perNode, cpusPerTsk int
		nodeCons                    string // the node-name constraint, if any
	}{
		{script: "-N 2", nodes: 2, cpus: 1, mem: 512, ntasks: 2},
		{script: "-N 2 --ntasks-per-node=2 -c 3 --mem=1G", nodes: 2, cpus: 6, mem: 1024, ntasks: 4, perNode: 2, cpusPerTsk: 3},
		{script: "-N 3 -n 7", nodes: 3, cpus: 3, mem: 512, ntasks: 7},
		{script: "-N 2-4 -n 4 --mem-per-cpu=100", nodes: 2, cpus: 2, mem: 200, ntasks: 4},
		{script: "-N 2 --gpus-per-node=2 --mem-per-gpu=1000", nodes: 2, cpus: 1, mem: 2000, gpus: 2, ntasks: 2},
		{script: "-N 2 --gpus=4", nodes: 2, cpus: 1, mem: 512, gpus: 2, ntasks: 2},
		{script: "--nodelist=n[1-3]", nodes: 3, cpus: 1, mem: 512, ntasks: 3, nodeCons: "n1,n2,n3"},
		{script: "-N 2 -w n1,n2 -x n3", nodes: 2, cpus: 1, mem: 512, ntasks: 2, nodeCons: "n1,n2"},
	} {
		sub := parse(t, "#!/bin/sh\n#SBATCH "+c.script+"\nsrun hostname\n")
		job, err := tr.Translate(&state.Job{ID: 9, ArrayTaskID: state.NoTask, Partition: "debug"}, sub)
		if err != nil {
			t.Fatalf("%s: %v", c.script, err)
		}
		g := job.TaskGroups[0]
		task := g.Tasks[0]
		if *g.Count != c.nodes || *task.Resources.CPU != c.cpus*100 || *task.Resources.MemoryMB != c.mem {
			t.Errorf("%s: count %d, CPU %d MHz, mem %d MiB; want %d, %d, %d", c.script, *g.Count, *task.Resources.CPU, *task.Resources.MemoryMB, c.nodes, c.cpus*100, c.mem)
		}
		gpus := 0
		for _, d := range task.Resources.Devices {
			gpus += int(*d.Count)
		}
		if gpus != c.gpus {
			t.Errorf("%s: %d GPUs a node, want %d", c.script, gpus, c.gpus)
		}
		if len(job.Constraints) != 1 || job.Constraints[0].Operand != api.ConstraintDistinctHosts {
			t.Errorf("%s: job constraints %v, want distinct_hosts", c.script, job.Constraints)
		}
		var names string
		for _, k := range g.Constraints {
			if k.LTarget == "${node.unique.name}" && k.Operand == "set_contains_any" {
				names = k.RTarget
			}
		}
		if names != c.nodeCons {
			t.Errorf("%s: node names constraint %q, want %q", c.script, names, c.nodeCons)
		}
		svc := "hpcbridge-step-slurm-9"
		if len(g.Networks) != 1 || len(g.Networks[0].DynamicPorts) != 1 || g.Networks[0].DynamicPorts[0].Label != taskspec.StepPortLabel {
			t.Errorf("%s: networks %+v", c.script, g.Networks)
		}
		if len(g.Services) != 1 || g.Services[0].Name != svc || g.Services[0].Provider != "nomad" || !slices.Equal(g.Services[0].Tags, []string{"${node.unique.name}"}) {
			t.Errorf("%s: services %+v", c.script, g.Services)
		}
		if len(task.Templates) != 2 || *task.Templates[0].DestPath != "secrets/hpcbridge-peers" || !strings.Contains(*task.Templates[0].EmbeddedTmpl, `nomadService "`+svc+`"`) ||
			*task.Templates[1].DestPath != "secrets/hpcbridge-step.key" || !strings.Contains(*task.Templates[1].EmbeddedTmpl, `nomadVar "nomad/jobs/slurm-9"`) ||
			*task.Templates[1].Perms != "0600" || *task.Templates[0].ChangeMode != "noop" {
			t.Errorf("%s: templates %+v", c.script, task.Templates)
		}
		cfg := task.Config
		if cfg["nodes"] != c.nodes || cfg["ntasks"] != c.ntasks || cfg["ntasks_per_node"] != c.perNode || cfg["cpus_per_task"] != c.cpusPerTsk ||
			cfg["cpus_per_node"] != c.cpus || cfg["step_service"] != svc {
			t.Errorf("%s: config layout %v %v %v %v %v %v", c.script, cfg["nodes"], cfg["ntasks"], cfg["ntasks_per_node"], cfg["cpus_per_task"], cfg["cpus_per_node"], cfg["step_service"])
		}
		env := taskEnv(task)
		if env["SLURM_NNODES"] != strconv.Itoa(c.nodes) || env["SLURM_JOB_NUM_NODES"] != strconv.Itoa(c.nodes) ||
			env["SLURM_CPUS_ON_NODE"] != strconv.Itoa(c.cpus) || env["SLURM_JOB_CPUS_PER_NODE"] != fmt.Sprintf("%d(x%d)", c.cpus, c.nodes) {
			t.Errorf("%s: env NNODES %s JOB_NUM_NODES %s CPUS_ON_NODE %s JOB_CPUS_PER_NODE %s", c.script,
				env["SLURM_NNODES"], env["SLURM_JOB_NUM_NODES"], env["SLURM_CPUS_ON_NODE"], env["SLURM_JOB_CPUS_PER_NODE"])
		}
		for _, v := range cfg {
			if s, ok := v.(string); ok && len(s) == 64 {
				t.Errorf("%s: a 64-character config value (a key?) %q", c.script, s)
			}
		}
	}

	// One node: today's shape exactly.
	job, err := tr.Translate(&state.Job{ID: 9, ArrayTaskID: state.NoTask}, parse(t, "#!/bin/sh\n#SBATCH -N 1 -n 2\ntrue\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := job.TaskGroups[0]
	if *g.Count != 1 || len(job.Constraints) != 0 || g.Networks != nil || g.Services != nil || g.Tasks[0].Templates != nil {
		t.Errorf("one-node job: count %d, constraints %v, networks %v, services %v, templates %v", *g.Count, job.Constraints, g.Networks, g.Services, g.Tasks[0].Templates)
	}
	if _, ok := g.Tasks[0].Config["nodes"]; ok {
		t.Errorf("one-node job's config has nodes: %v", g.Tasks[0].Config)
	}
}

// TestNodeCount: -N's minimum, or the count --nodelist names; the
// combinations Slurm refuses, and what one Nomad group cannot say, are
// refused.
func TestNodeCount(t *testing.T) {
	for _, c := range []struct {
		script string
		want   int
		err    string
	}{
		{"", 1, ""},
		{"-N 4", 4, ""},
		{"-N 2-8", 2, ""},
		{"-w n[1-4]", 4, ""},
		{"-N 4 -w n[1-4]", 4, ""},
		{"-N 2 -w n[1-4]", 0, "Node count specification invalid"},
		{"-N 5 -w n[1-4]", 0, "names all its nodes or none"},
		{"-N 1025", 0, "more than 1024"},
		{"-w n[1-1025]", 0, "more than 1024"},
	} {
		sub := parse(t, "#!/bin/sh\n#SBATCH "+c.script+"\ntrue\n")
		n, err := NodeCount(sub.Spec)
		if n != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: %d, %v; want %d, %q", c.script, n, err, c.want, c.err)
		}
	}
}

// TestTranslateMultiNodeWhole: an --exclusive multi-node job has each of
// its nodes whole: pinned to the nodes found idle, reserving the smallest
// one's CPU and memory.
func TestTranslateMultiNodeWhole(t *testing.T) {
	tr := Translation{MHzPerCPU: 100}
	sub := parse(t, "#!/bin/sh\n#SBATCH -N 2 --exclusive\ntrue\n")
	job, err := tr.translate(&state.Job{ID: 9, ArrayTaskID: state.NoTask}, sub, &wholeNode{IDs: "a,b", CPUs: 4, MHz: 8000, MemMiB: 4000})
	if err != nil {
		t.Fatal(err)
	}
	g := job.TaskGroups[0]
	if *g.Count != 2 || *g.Tasks[0].Resources.CPU != 8000 || *g.Tasks[0].Resources.MemoryMB != 4000 || g.Tasks[0].Config["cpus_per_node"] != 4 {
		t.Errorf("count %d CPU %d mem %d cpus/node %v", *g.Count, *g.Tasks[0].Resources.CPU, *g.Tasks[0].Resources.MemoryMB, g.Tasks[0].Config["cpus_per_node"])
	}
	if !slices.ContainsFunc(g.Constraints, func(c *api.Constraint) bool {
		return c.LTarget == "${node.unique.id}" && c.Operand == "set_contains_any" && c.RTarget == "a,b"
	}) {
		t.Errorf("constraints %v: not pinned to a,b", g.Constraints)
	}
}
