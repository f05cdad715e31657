package scontrol

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// A requeued job that committed checkpoints shows them after its restart
// count; a job without any shows no such line (as Slurm's record).
func TestScontrolShowJobCheckpoints(t *testing.T) {
	sub := slurmtest.Submitted(t, "/tmp/sj", "job.sh", "#!/bin/sh\ntrue\n", nil)
	j := slurmtest.NewJob(7002, sub)
	d := slurmtest.Deps(&slurmtest.FakeClient{Jobs: []*state.Job{j}})
	d.Now = func() time.Time { return slurmtest.ScenarioSubmit.Add(time.Hour) }
	if _, out, _ := runCmd(t, d, "", nil, "scontrol", "show", "job", "7002"); strings.Contains(out, "Checkpoints=") {
		t.Fatalf("a job without checkpoints:\n%s", out)
	}
	j.RestartCount = 1
	j.Checkpoints = &state.Checkpoints{Count: 3, Digest: "sha256:" + strings.Repeat("a", 64), Time: slurmtest.ScenarioSubmit.Add(30 * time.Minute), Size: 1 << 30}
	code, out, errs := runCmd(t, d, "", nil, "scontrol", "show", "job", "7002")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var restarts, ckpt int
	for i, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Requeue=") && strings.Contains(l, "Restarts=1 ") {
			restarts = i
		}
		if strings.HasPrefix(l, "Checkpoints=3 LastCheckpoint=") && strings.HasSuffix(l, " CheckpointSize=1073741824") {
			ckpt = i
		}
	}
	if restarts == 0 || ckpt != restarts+1 {
		t.Fatalf("no Checkpoints line after Restarts:\n%s", out)
	}
	if strings.Contains(out, "sha256:") {
		t.Fatalf("the checkpoint's digest is shown:\n%s", out)
	}
}
