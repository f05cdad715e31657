package slurmoracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// EnvScript records the batch shell's environment (batch.env) and pid
// (shell.pid), and the environment of each task of a two-task srun step
// (step-0.env, step-1.env), in the job's working directory. Tests run it
// under real Slurm (RunEnvJob) and under hpcbridge, then compare.
const EnvScript = `#!/bin/bash
echo $$ > shell.pid
env -0 > batch.env
srun -n 2 bash -c 'env -0 > step-$SLURM_PROCID.env'
`

// oracleJobWait bounds how long RunEnvJob waits for the oracle to run its
// job. The oracle is one node shared by every test package that make test
// runs at once (the runtime differential suite keeps a dozen jobs in it),
// so a job may queue for a while before it starts.
const oracleJobWait = 5 * time.Minute

// JobEnv is what EnvScript recorded.
type JobEnv struct {
	Batch    map[string]string
	Steps    [2]map[string]string
	ShellPID string
}

// Where hpcbridge's job environment differs from real Slurm 22.05's by
// design (docs/driver.md says why).
var (
	// There is no slurmctld to talk to: nothing may point at one.
	NotSetBatch = []string{"SLURM_CONF", "SLURM_WORKING_CLUSTER"}
	// srun's own I/O ports and launch address (no network protocol here).
	NotSetStep = append([]string{"SLURM_SRUN_COMM_HOST", "SLURM_SRUN_COMM_PORT",
		"SLURM_STEP_LAUNCHER_PORT", "SLURM_LAUNCH_NODE_IPADDR"}, NotSetBatch...)
	// Set by hpcbridge, not by Slurm 22.05 (newer Slurm sets them).
	ExtraBatch = []string{"SLURM_JOB_START_TIME", "SLURM_JOB_END_TIME"}
	// Values that differ by nature: the pids, and the ids of the user the
	// job runs as (the oracle runs jobs as root, hpcbridge as an
	// unprivileged user).
	OwnValues = []string{"SLURM_TASK_PID", "SLURM_JOB_UID", "SLURM_JOB_GID"}
)

// IsSlurmVar selects the variables slurmd and srun own.
func IsSlurmVar(k string) bool {
	return strings.HasPrefix(k, "SLURM_") || k == "SLURMD_NODENAME" || k == "ENVIRONMENT"
}

// CompareEnv reports, as test errors, every Slurm variable that real
// Slurm set and ours did not (unless listed in notSet), that ours set and
// Slurm did not (unless listed in extra), or whose values differ (except
// OwnValues); HOSTNAME must match too.
func CompareEnv(t testing.TB, what string, real, ours map[string]string, notSet, extra []string) {
	t.Helper()
	for k, v := range real {
		if !IsSlurmVar(k) || slices.Contains(notSet, k) {
			continue
		}
		got, ok := ours[k]
		switch {
		case !ok:
			t.Errorf("%s: Slurm sets %s=%q, hpcbridge does not", what, k, v)
		case slices.Contains(OwnValues, k):
		case got != v:
			t.Errorf("%s: %s=%q, Slurm has %q", what, k, got, v)
		}
	}
	for k, v := range ours {
		if _, ok := real[k]; !ok && IsSlurmVar(k) && !slices.Contains(extra, k) {
			t.Errorf("%s: hpcbridge sets %s=%q, Slurm does not", what, k, v)
		}
	}
	if real["HOSTNAME"] != ours["HOSTNAME"] {
		t.Errorf("%s: HOSTNAME=%q, Slurm has %q", what, ours["HOSTNAME"], real["HOSTNAME"])
	}
}

// ReadJobEnv reads what EnvScript recorded in dir.
func ReadJobEnv(t testing.TB, dir string) JobEnv {
	t.Helper()
	var e JobEnv
	e.Batch = readEnv0(t, filepath.Join(dir, "batch.env"))
	e.Steps[0] = readEnv0(t, filepath.Join(dir, "step-0.env"))
	e.Steps[1] = readEnv0(t, filepath.Join(dir, "step-1.env"))
	b, err := os.ReadFile(filepath.Join(dir, "shell.pid"))
	if err != nil {
		t.Fatal(err)
	}
	e.ShellPID = strings.TrimSpace(string(b))
	return e
}

func readEnv0(t testing.TB, path string) map[string]string {
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

// RunEnvJob runs EnvScript with `sbatch --wait` on the oracle's node, in a
// new directory, with sbatchArgs, and returns what it recorded and the
// directory. Unlike parse.sh, this really runs the job (as root, on the
// oracle's one slurmd). A missing or unusable oracle skips the test, or
// fails it when EnvRequire is set.
func RunEnvJob(t testing.TB, sbatchArgs ...string) (JobEnv, string) {
	t.Helper()
	Require(t)
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		missing(t, "real Slurm oracle cannot run jobs: sbatch not installed")
	}
	confEnv := ConfEnv()
	resumeRealModeDrain(t, confEnv)

	dir := t.TempDir()
	script := filepath.Join(dir, "env.sh")
	if err := os.WriteFile(script, []byte(EnvScript), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), oracleJobWait)
	defer cancel()
	args := append([]string{"--wait", "--chdir", dir, "-o", "slurm.out"}, sbatchArgs...)
	cmd := exec.CommandContext(ctx, sbatch, append(args, script)...)
	cmd.Dir = dir
	cmd.Env = append(CleanEnv(), confEnv)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		missing(t, "real Slurm oracle cannot run jobs: it did not run the job within %s (is its node usable? sinfo): %s", oracleJobWait, out)
	}
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "slurm.out"))
		t.Fatalf("sbatch --wait under the oracle: %v\n%s\n%s", err, out, log)
	}
	return ReadJobEnv(t, dir), dir
}

// CleanEnv is this process's environment without Slurm variables, which
// would change how sbatch reads its options.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SLURM_") && !strings.HasPrefix(kv, "SBATCH_") && !strings.HasPrefix(kv, "SRUN_") {
			env = append(env, kv)
		}
	}
	return env
}

// resumeRealModeDrain undoes the drain that the oracle's ORACLE_MODE=real
// leaves on its node (parse.sh drains it again when it needs to): a job
// must run.
func resumeRealModeDrain(t testing.TB, confEnv string) {
	t.Helper()
	other, err := resumeDrained(confEnv)
	switch {
	case errors.Is(err, errShowNode):
		missing(t, "real Slurm oracle cannot run jobs: %v", err)
	case err != nil:
		t.Fatal(err)
	case other != "":
		missing(t, "real Slurm oracle cannot run jobs: its node is drained for another reason: %s", other)
	}
}

// errShowNode: scontrol could not show the oracle's node.
var errShowNode = errors.New("scontrol show node")

// resumeDrained resumes the oracle's node when parse.sh's real mode
// drained it. A node drained for another reason is left as it is, and
// its line returned.
func resumeDrained(confEnv string) (otherDrain string, err error) {
	env := append(CleanEnv(), confEnv)
	cmd := exec.Command("scontrol", "show", "node", "-o")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %v", errShowNode, err)
	}
	line := string(out)
	if !strings.Contains(line, "DRAIN") {
		return "", nil
	}
	if !strings.Contains(line, "Reason=oracle_real_mode") {
		return line, nil
	}
	name := strings.TrimPrefix(strings.Fields(line)[0], "NodeName=")
	cmd = exec.Command("scontrol", "update", "nodename="+name, "state=resume")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("resume the oracle's node: %w: %s", err, out)
	}
	return "", nil
}

// ResumeDrain is ResumeRealModeDrain for any goroutine: it returns what
// went wrong instead of ending a test, and leaves a node drained for
// another reason as it is.
func ResumeDrain() error {
	_, err := resumeDrained(ConfEnv())
	return err
}

// ResumeRealModeDrain resumes the oracle's node when parse.sh's real mode
// left it drained (jobs must run); a node drained for another reason
// skips the test, or fails it with EnvRequire.
func ResumeRealModeDrain(t testing.TB) {
	t.Helper()
	resumeRealModeDrain(t, ConfEnv())
}

// ConfEnv is the SLURM_CONF=... setting that points Slurm's commands at
// the oracle.
func ConfEnv() string { return "SLURM_CONF=" + slurmConf() }
