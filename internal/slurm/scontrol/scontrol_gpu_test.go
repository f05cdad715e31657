package scontrol

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestScontrolShowJobGPUs: a running job's GPU request shows as real
// Slurm 22.05 showed the same submission (the oracle, scontrol show job
// of the running job): NumCPUs and CPUs/Task from --cpus-per-gpu, tasks
// from --gpus over --gpus-per-task, MinMemoryNode=0 with --mem-per-gpu,
// CpusPerTres, MemPerTres, TresPerJob/Node/Task. TRES adds gres/gpu=N, as
// on a cluster that accounts GPUs (the oracle's does not).
func TestScontrolShowJobGPUs(t *testing.T) {
	for _, c := range []struct {
		args    []string
		pending bool
		want    []string // lines (trimmed) the record must hold
	}{
		// Pending (held), --cpus-per-gpu is not counted yet; CPUs/Task
		// and MinCPUsNode are.
		{[]string{"--gres=gpu:2", "--cpus-per-gpu=4", "--mem=100"}, true, []string{
			"NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*",
			"TRES=cpu=1,mem=100M,node=1,billing=1,gres/gpu=2", "CpusPerTres=gres:gpu:4"}},
		{[]string{"--gpus-per-task=2", "-n", "3", "--cpus-per-gpu=1", "--mem=100"}, true, []string{
			"NumNodes=1 NumCPUs=3 NumTasks=3 CPUs/Task=2 ReqB:S:C:T=0:0:*:*",
			"MinCPUsNode=2 MinMemoryNode=100M MinTmpDiskNode=0"}},
		{[]string{"--gres=gpu:2", "--cpus-per-gpu=4", "--mem=100"}, false, []string{
			"NumNodes=1 NumCPUs=8 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*",
			"TRES=cpu=8,mem=100M,node=1,billing=8,gres/gpu=2",
			"MinCPUsNode=1 MinMemoryNode=100M MinTmpDiskNode=0",
			"CpusPerTres=gres:gpu:4", "TresPerNode=gres:gpu:2"}},
		{[]string{"--gres=gpu:2", "--mem-per-gpu=1G"}, false, []string{
			"NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*",
			"TRES=cpu=1,mem=2G,node=1,billing=1,gres/gpu=2",
			"MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0",
			"MemPerTres=gres:gpu:1024", "TresPerNode=gres:gpu:2"}},
		{[]string{"--gpus=3", "--cpus-per-gpu=2", "--mem-per-gpu=100"}, false, []string{
			"NumNodes=1 NumCPUs=6 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*",
			"TRES=cpu=6,mem=300M,node=1,billing=6,gres/gpu=3",
			"MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0",
			"CpusPerTres=gres:gpu:2", "MemPerTres=gres:gpu:100", "TresPerJob=gres:gpu:3"}},
		{[]string{"--gpus-per-task=2", "-n", "3", "--cpus-per-gpu=1", "--mem=100"}, false, []string{
			"NumNodes=1 NumCPUs=6 NumTasks=3 CPUs/Task=2 ReqB:S:C:T=0:0:*:*",
			"TRES=cpu=6,mem=100M,node=1,billing=6,gres/gpu=6",
			"MinCPUsNode=2 MinMemoryNode=100M MinTmpDiskNode=0",
			"CpusPerTres=gres:gpu:1", "TresPerTask=gres:gpu:2"}},
		{[]string{"--gpus-per-task=1", "-n", "2", "-c", "3", "--mem=100"}, false, []string{
			"NumNodes=1 NumCPUs=6 NumTasks=2 CPUs/Task=3 ReqB:S:C:T=0:0:*:*",
			"MinCPUsNode=3 MinMemoryNode=100M MinTmpDiskNode=0", "TresPerTask=gres:gpu:1"}},
		{[]string{"--gpus=2", "--gpus-per-task=1", "--mem=100"}, false, []string{
			"NumNodes=1 NumCPUs=2 NumTasks=2 CPUs/Task=1 ReqB:S:C:T=0:0:*:*",
			"TRES=cpu=2,mem=100M,node=1,billing=2,gres/gpu=2",
			"TresPerJob=gres:gpu:2", "TresPerTask=gres:gpu:1"}},
		{[]string{"--gpus-per-node=a100:2", "--cpus-per-gpu=3", "--mem=100"}, false, []string{
			"NumNodes=1 NumCPUs=6 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*",
			"CpusPerTres=gres:gpu:3", "TresPerNode=gres:gpu:a100:2"}},
		{[]string{"--gres=gpu:a100:1,gpu:h100:1", "--mem=100"}, false, []string{
			"TRES=cpu=1,mem=100M,node=1,billing=1,gres/gpu=2",
			"TresPerNode=gres:gpu:a100:1,gres:gpu:h100:1"}},
	} {
		sub := slurmtest.Submitted(t, "/tmp/sj", "job.sh", "#!/bin/sh\ntrue\n", c.args)
		j := slurmtest.NewJob(7001, sub)
		if !c.pending {
			j.State, j.Reason, j.StartTime, j.NodeList = state.StateRunning, state.ReasonNone, slurmtest.ScenarioSubmit, "oracle"
		}
		d := slurmtest.Deps(&slurmtest.FakeClient{Jobs: []*state.Job{j}})
		d.Now = func() time.Time { return slurmtest.ScenarioSubmit.Add(time.Second) }
		code, out, errs := runCmd(t, d, "", nil, "scontrol", "show", "job", "7001")
		if code != 0 || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", c.args, code, errs)
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(out, "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		for _, w := range c.want {
			if !lines[w] {
				t.Errorf("%v: no line %q in\n%s", c.args, w, out)
			}
		}
	}
}
