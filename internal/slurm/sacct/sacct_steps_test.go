package sacct

import (
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestSacctStepSelection: -j JOB.STEP selects that step alone, as sacct
// does; a step that does not exist (this job ran no srun step, and there
// is no .extern step) selects nothing (sacct_srun_test.go has steps).
func TestSacctStepSelection(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-j", "6787"}, "6787|FAILED\n6787.batch|FAILED\n"},
		{[]string{"-j", "6787.batch"}, "6787.batch|FAILED\n"},
		{[]string{"-j", "6787.0"}, ""},
		{[]string{"-j", "6787.extern"}, ""},
		{[]string{"-j", "6787.batch,6787"}, "6787|FAILED\n6787.batch|FAILED\n"},
		{[]string{"-j", "6787.batch,6788.0"}, "6787.batch|FAILED\n"},
		{[]string{"-X", "-j", "6787.batch"}, ""},
	}
	for _, c := range cases {
		f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
		code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sacct", "-n", "-P", "-o", "jobid,state"}, c.args...)...)
		if code != 0 || errs != "" {
			t.Fatalf("sacct %v: exit %d, stderr %q", c.args, code, errs)
		}
		if out != c.want {
			t.Errorf("sacct %v:\n%q\nwant\n%q", c.args, out, c.want)
		}
	}
}

// TestSacctConfiguringIsRunning: a job Nomad has not placed yet is CF in
// squeue and RUNNING in sacct, as in Slurm, whose accounting keeps only a
// job's base state (the CONFIGURING flag is masked off when slurmctld
// reports the start to slurmdbd); sacct -s CF is valid and selects nothing.
func TestSacctConfiguringIsRunning(t *testing.T) {
	jobs := slurmtest.ScenarioJobs(t)
	var waiting *state.Job
	for _, j := range jobs {
		if j.State == state.StateRunning && j.NodeList != "" && !j.IsArrayBase() {
			waiting = j
			break
		}
	}
	if waiting == nil {
		t.Fatal("the scenario has no running job")
	}
	waiting.NodeList = ""
	id := waiting.SlurmID()
	f := &slurmtest.FakeClient{Jobs: jobs}
	run := func(args ...string) string {
		t.Helper()
		code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, args...)
		if code != 0 || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		return out
	}
	if got := run("squeue", "-h", "-j", id, "-o", "%t"); got != "CF\n" {
		t.Errorf("squeue: %q, want CF", got)
	}
	if got := run("sacct", "-n", "-X", "-P", "-j", id, "-o", "state"); got != "RUNNING\n" {
		t.Errorf("sacct: %q, want RUNNING", got)
	}
	if got := run("sacct", "-n", "-X", "-P", "-a", "-s", "CF", "-o", "jobid"); got != "" {
		t.Errorf("sacct -s CF: %q, want nothing", got)
	}
}
