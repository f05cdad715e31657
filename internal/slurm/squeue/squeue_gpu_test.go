package squeue

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestSqueueGPUs: the job's GPU request in squeue's fields as real Slurm
// 22.05 printed them for the same submissions (the oracle: %b is
// TRES_PER_NODE, N/A for --gpus; %m is 0 with --mem-per-gpu; the per-TRES
// fields of -O).
func TestSqueueGPUs(t *testing.T) {
	for _, c := range []struct {
		args    []string
		running bool
		format  []string
		want    string
	}{
		{[]string{"--gres=gpu:2", "--mem-per-gpu=1G"}, true, []string{"-o", "%b|%C|%m"}, "gres:gpu:2|1|0"},
		{[]string{"--gpus=3", "--cpus-per-gpu=2", "--mem-per-gpu=100"}, true, []string{"-o", "%b|%C|%m"}, "N/A|6|0"},
		{[]string{"--gres=gpu:2", "--cpus-per-gpu=4", "--mem=100"}, true, []string{"-o", "%b|%C|%m"}, "gres:gpu:2|8|100M"},
		{[]string{"--gres=gpu:a100:1,gpu:h100:1", "--mem=100"}, true, []string{"-o", "%b"}, "gres:gpu:a100:1,gres:gpu:h100:1"},
		{[]string{"--gres=gpu:2", "--cpus-per-gpu=4", "--mem-per-gpu=100"}, false, []string{"-O", "cpus-per-tres,mem-per-tres,tres-per-node"},
			"gres:gpu:4          gres:gpu:100        gres:gpu:2          "},
		{[]string{"--gpus=2", "--gpus-per-task=1"}, false, []string{"-O", "tres-per-job,tres-per-task,tres-per-node"},
			"gres:gpu:2          gres:gpu:1          N/A                 "},
	} {
		sub := slurmtest.Submitted(t, "/tmp/sj", "job.sh", "#!/bin/sh\ntrue\n", c.args)
		j := slurmtest.NewJob(7001, sub)
		if c.running {
			j.State, j.Reason, j.StartTime, j.NodeList = state.StateRunning, state.ReasonNone, slurmtest.ScenarioSubmit, "oracle"
		}
		d := slurmtest.Deps(&slurmtest.FakeClient{Jobs: []*state.Job{j}})
		d.Now = func() time.Time { return slurmtest.ScenarioSubmit.Add(time.Second) }
		code, out, errs := runCmd(t, d, "", nil, append([]string{"squeue", "-h"}, c.format...)...)
		if code != 0 || errs != "" || strings.TrimSuffix(out, "\n") != c.want {
			t.Errorf("squeue %v for %v: exit %d, %q (stderr %q), want %q", c.format, c.args, code, out, errs, c.want)
		}
	}
}
