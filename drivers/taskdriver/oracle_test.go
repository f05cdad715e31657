package taskdriver

import (
	"maps"
	"os/user"
	"slices"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// coordinatorVars are the job-level variables the coordinator puts in a
// task's environment (the driver's contract); the test copies them from
// real Slurm's job into the driver's task.
var coordinatorVars = []string{
	"SLURM_JOB_ID", "SLURM_JOBID", "SLURM_JOB_NAME", "SLURM_JOB_USER",
	"SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT",
	"SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP",
	"SLURM_JOB_ACCOUNT", "SLURM_JOB_PARTITION", "SLURM_JOB_QOS",
	"SLURM_SUBMIT_DIR", "SLURM_SUBMIT_HOST", "SLURM_CLUSTER_NAME",
	"SLURM_JOB_NUM_NODES", "SLURM_NNODES", "SLURM_NTASKS", "SLURM_NPROCS",
	"SLURM_NTASKS_PER_NODE", "SLURM_CPUS_PER_TASK", "SLURM_MEM_PER_NODE",
	"SLURM_MEM_PER_CPU", "SLURM_RESTART_COUNT",
}

// TestEnvMatchesSlurm runs the same script under real Slurm (the oracle)
// and under the driver, and compares the Slurm variables of the batch
// shell and of srun's tasks: the same names, and the same values except
// the pids and the run-as ids.
func TestEnvMatchesSlurm(t *testing.T) {
	requireRoot(t)
	slurmoracle.Require(t)
	real, _ := slurmoracle.RunEnvJob(t, "-J", "envcmp", "-n", "2", "-c", "1", "--mem=100M", "-A", "acct", "-t", "5")
	if n := len(slices.DeleteFunc(slices.Collect(maps.Keys(real.Batch)), func(k string) bool { return !slurmoracle.IsSlurmVar(k) })); n < 25 {
		t.Fatalf("real Slurm's batch environment has only %d Slurm variables", n)
	}

	env := map[string]string{"SLURMD_NODENAME": real.Batch["SLURMD_NODENAME"]}
	for _, k := range coordinatorVars {
		if v, ok := real.Batch[k]; ok {
			env[k] = v
		}
	}
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{Script: slurmoracle.EnvScript, TimeLimitMin: 5}, env)
	perCore := j.cfg.Resources.NomadResources.Cpu.CpuShares / 4
	j.cfg.Resources.NomadResources.Cpu.CpuShares = 2 * perCore // the oracle gave 2 CPUs
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s\n%s", describe(res), j.file("slurm-"+env["SLURM_JOB_ID"]+".out"))
	}
	ours := slurmoracle.ReadJobEnv(t, j.dir)

	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	slurmoracle.CompareEnv(t, "batch", real.Batch, ours.Batch, slurmoracle.NotSetBatch, slurmoracle.ExtraBatch)
	checkOwn(t, "batch (Slurm)", real.Batch, real.ShellPID, "0", "0")
	checkOwn(t, "batch (driver)", ours.Batch, ours.ShellPID, nobody.Uid, nobody.Gid)
	for i := range real.Steps {
		slurmoracle.CompareEnv(t, "step task", real.Steps[i], ours.Steps[i], slurmoracle.NotSetStep, slurmoracle.ExtraBatch)
	}
}

func checkOwn(t *testing.T, what string, env map[string]string, shellPID, uid, gid string) {
	t.Helper()
	for k, want := range map[string]string{"SLURM_TASK_PID": shellPID, "SLURM_JOB_UID": uid, "SLURM_JOB_GID": gid} {
		if env[k] != want {
			t.Errorf("%s: %s=%q, want %q", what, k, env[k], want)
		}
	}
}
