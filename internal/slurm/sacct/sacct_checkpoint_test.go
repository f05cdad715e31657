package sacct

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// sacct's checkpoint fields: the job's line has them, its .batch line
// not; a job without checkpoints shows 0 and None; the reward is in
// tokens, exact to 18 decimals; --helpformat lists them among hpcbridge's
// own fields.
func TestSacctCheckpointFields(t *testing.T) {
	sub := slurmtest.Submitted(t, "/tmp/sj", "job.sh", "#!/bin/sh\ntrue\n", nil)
	j := slurmtest.NewJob(7003, sub)
	j.State, j.Reason, j.StartTime, j.EndTime, j.NodeList = state.StateCompleted, state.ReasonNone, slurmtest.ScenarioSubmit, slurmtest.ScenarioSubmit.Add(time.Hour), "n1"
	plain := slurmtest.NewJob(7004, sub)
	j.Checkpoints = &state.Checkpoints{Count: 2, Time: slurmtest.ScenarioSubmit.Add(50 * time.Minute), Size: 4096, GPUSeconds: 7000, CPUSeconds: 14000,
		Reward: "1984444444444444444"}
	d := slurmtest.Deps(&slurmtest.FakeClient{Jobs: []*state.Job{j, plain}})
	d.Now = func() time.Time { return slurmtest.ScenarioSubmit.Add(2 * time.Hour) }
	code, out, errs := runCmd(t, d, "", nil, "sacct", "-P", "-n", "-a", "-j", "7003,7004", "-o", "JobID,Checkpoints,LastCheckpoint,CheckpointSize,CreditGPUSeconds,CreditCPUSeconds,Reward")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := "7003|2|" + slurmtest.ScenarioSubmit.Add(50*time.Minute).Local().Format("2006-01-02T15:04:05") + "|4096|7000|14000|1.984444444444444444\n" +
		"7003.batch||||||\n" +
		"7004|0|None|0|0|0|0\n"
	if !strings.HasPrefix(out, strings.SplitN(want, "\n", 2)[0]) || !strings.Contains(out, "7003.batch||||||\n") || !strings.Contains(out, "7004|0|None|0|0|0|0\n") {
		t.Fatalf("sacct:\n%s\nwant:\n%s", out, want)
	}
	if _, out, _ := runCmd(t, d, "", nil, "sacct", "--helpformat"); !strings.Contains(out, "CheckpointSize") || !strings.Contains(out, "CreditGPUSeconds") || !strings.Contains(out, "Reward") {
		t.Fatalf("--helpformat:\n%s", out)
	}
}
