package taskdriver

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// envScript records the batch shell's environment and pid, and the
// environment of each task of a two-task srun step.
const envScript = `#!/bin/bash
echo $$ > shell.pid
env -0 > batch.env
srun -n 2 bash -c 'env -0 > step-$SLURM_PROCID.env'
`

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

// Variables real Slurm sets that the driver does not, and why (also in
// docs/driver.md).
var (
	// There is no slurmctld to talk to: nothing may point at one.
	notSetBatch = []string{"SLURM_CONF", "SLURM_WORKING_CLUSTER"}
	// srun's own I/O ports and launch address (no network protocol here).
	notSetStep = append([]string{"SLURM_SRUN_COMM_HOST", "SLURM_SRUN_COMM_PORT",
		"SLURM_STEP_LAUNCHER_PORT", "SLURM_LAUNCH_NODE_IPADDR"}, notSetBatch...)
	// Set by the driver, not by Slurm 22.05 (newer Slurm sets them).
	extraBatch = []string{"SLURM_JOB_START_TIME", "SLURM_JOB_END_TIME"}
	// Values that differ by nature: the pids, and the ids of the user the
	// job runs as (the oracle runs jobs as root, the driver as nobody).
	ownValues = []string{"SLURM_TASK_PID", "SLURM_JOB_UID", "SLURM_JOB_GID"}
)

// TestEnvMatchesSlurm runs the same script under real Slurm (the oracle)
// and under the driver, and compares the Slurm variables of the batch
// shell and of srun's tasks: the same names, and the same values except
// the pids and the run-as ids.
func TestEnvMatchesSlurm(t *testing.T) {
	requireRoot(t)
	slurmoracle.Require(t)
	real := runUnderSlurm(t, "-J", "envcmp", "-n", "2", "-c", "1", "--mem=100M", "-A", "acct", "-t", "5")
	if n := len(slices.DeleteFunc(slices.Collect(maps.Keys(real.batch)), func(k string) bool { return !isSlurmVar(k) })); n < 25 {
		t.Fatalf("real Slurm's batch environment has only %d Slurm variables", n)
	}

	env := map[string]string{"SLURMD_NODENAME": real.batch["SLURMD_NODENAME"]}
	for _, k := range coordinatorVars {
		if v, ok := real.batch[k]; ok {
			env[k] = v
		}
	}
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{Script: envScript, TimeLimitMin: 5}, env)
	perCore := j.cfg.Resources.NomadResources.Cpu.CpuShares / 4
	j.cfg.Resources.NomadResources.Cpu.CpuShares = 2 * perCore // the oracle gave 2 CPUs
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s\n%s", describe(res), j.file("slurm-"+env["SLURM_JOB_ID"]+".out"))
	}
	ours := readJobEnv(t, j.dir)

	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	compareEnv(t, "batch", real.batch, ours.batch, notSetBatch, extraBatch)
	checkOwn(t, "batch (Slurm)", real.batch, real.shellPID, "0", "0")
	checkOwn(t, "batch (driver)", ours.batch, ours.shellPID, nobody.Uid, nobody.Gid)
	for i := range real.steps {
		compareEnv(t, "step task", real.steps[i], ours.steps[i], notSetStep, extraBatch)
	}
}

// jobEnv is what envScript recorded.
type jobEnv struct {
	batch    map[string]string
	steps    [2]map[string]string
	shellPID string
}

func readJobEnv(t *testing.T, dir string) jobEnv {
	t.Helper()
	var e jobEnv
	e.batch = readEnv0(t, filepath.Join(dir, "batch.env"))
	e.steps[0] = readEnv0(t, filepath.Join(dir, "step-0.env"))
	e.steps[1] = readEnv0(t, filepath.Join(dir, "step-1.env"))
	b, err := os.ReadFile(filepath.Join(dir, "shell.pid"))
	if err != nil {
		t.Fatal(err)
	}
	e.shellPID = strings.TrimSpace(string(b))
	return e
}

func readEnv0(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			m[k] = v
		}
	}
	return m
}

// isSlurmVar selects the variables slurmd and srun own.
func isSlurmVar(k string) bool {
	return strings.HasPrefix(k, "SLURM_") || k == "SLURMD_NODENAME" || k == "ENVIRONMENT"
}

func compareEnv(t *testing.T, what string, real, ours map[string]string, notSet, extra []string) {
	t.Helper()
	for k, v := range real {
		if !isSlurmVar(k) || slices.Contains(notSet, k) {
			continue
		}
		got, ok := ours[k]
		switch {
		case !ok:
			t.Errorf("%s: Slurm sets %s=%q, the driver does not", what, k, v)
		case slices.Contains(ownValues, k):
		case got != v:
			t.Errorf("%s: %s=%q, Slurm has %q", what, k, got, v)
		}
	}
	for k, v := range ours {
		if _, ok := real[k]; !ok && isSlurmVar(k) && !slices.Contains(extra, k) {
			t.Errorf("%s: the driver sets %s=%q, Slurm does not", what, k, v)
		}
	}
	if real["HOSTNAME"] != ours["HOSTNAME"] {
		t.Errorf("%s: HOSTNAME=%q, Slurm has %q", what, ours["HOSTNAME"], real["HOSTNAME"])
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

// runUnderSlurm runs envScript with sbatch --wait on the oracle's one node
// and returns what it recorded.
func runUnderSlurm(t *testing.T, sbatchArgs ...string) jobEnv {
	t.Helper()
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		oracleMissing(t, "sbatch not installed")
	}
	confEnv := "SLURM_CONF=" + oracleConf()
	resumeRealModeDrain(t, confEnv)

	dir := t.TempDir()
	script := filepath.Join(dir, "env.sh")
	if err := os.WriteFile(script, []byte(envScript), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--wait", "--chdir", dir, "-o", "slurm.out"}, sbatchArgs...)
	cmd := exec.CommandContext(ctx, sbatch, append(args, script)...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), confEnv)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		oracleMissing(t, "the oracle did not run the job within 90 s (is its node usable? sinfo): "+string(out))
	}
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "slurm.out"))
		t.Fatalf("sbatch --wait under the oracle: %v\n%s\n%s", err, out, log)
	}
	return readJobEnv(t, dir)
}

// cleanEnv is the test's environment without Slurm variables, which would
// change how sbatch reads its options.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SLURM_") && !strings.HasPrefix(kv, "SBATCH_") && !strings.HasPrefix(kv, "SRUN_") {
			env = append(env, kv)
		}
	}
	return env
}

// oracleConf is the oracle's slurm.conf, found as its parse.sh finds it.
func oracleConf() string {
	if v := os.Getenv("SLURM_CONF"); v != "" {
		return v
	}
	state := os.Getenv("SLURM_ORACLE_STATE")
	if state == "" {
		state = "/tmp/slurm-oracle-state"
	}
	return filepath.Join(state, "etc", "slurm.conf")
}

// resumeRealModeDrain undoes the drain that the oracle's ORACLE_MODE=real
// leaves on its node (parse.sh drains it again when it needs to): this test
// must run a job.
func resumeRealModeDrain(t *testing.T, confEnv string) {
	t.Helper()
	cmd := exec.Command("scontrol", "show", "node", "-o")
	cmd.Env = append(cleanEnv(), confEnv)
	out, err := cmd.Output()
	if err != nil {
		oracleMissing(t, "scontrol show node: "+err.Error())
	}
	line := string(out)
	if !strings.Contains(line, "DRAIN") {
		return
	}
	if !strings.Contains(line, "Reason=oracle_real_mode") {
		oracleMissing(t, "the oracle's node is drained for another reason: "+line)
	}
	name := strings.TrimPrefix(strings.Fields(line)[0], "NodeName=")
	cmd = exec.Command("scontrol", "update", "nodename="+name, "state=resume")
	cmd.Env = append(cleanEnv(), confEnv)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resume the oracle's node: %v: %s", err, out)
	}
}

// oracleMissing skips, or fails when the oracle is required (make test),
// as slurmoracle.Require does.
func oracleMissing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(slurmoracle.EnvRequire) == "1" {
		t.Fatalf("real Slurm oracle cannot run jobs: %s (required: %s=1)", why, slurmoracle.EnvRequire)
	}
	t.Skipf("real Slurm oracle cannot run jobs: %s", why)
}
