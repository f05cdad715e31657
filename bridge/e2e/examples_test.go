package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestNomadRunsExamples runs the scripts of examples/slurm unchanged
// through sbatch on a real Nomad agent and checks what they wrote, and
// compares a job's environment with the one real Slurm gives the same
// script.
func TestNomadRunsExamples(t *testing.T) {
	// The oracle's cluster and default partition, so that the environment
	// comparison needs no translation for them.
	top := newStack(t, "--cluster-name", "oracle")
	t.Run("environment matches Slurm", func(t *testing.T) { envMatchesSlurm(top.on(t)) })
	t.Run("examples", func(t *testing.T) { runExamples(top.on(t)) })
	t.Run("GPU jobs refused without GPUs", func(t *testing.T) { gpuJobsRefused(top.on(t)) })
	t.Run("requeue keeps progress", func(t *testing.T) { requeueKeepsProgress(top.on(t)) })
}

// requeueKeepsProgress requeues long-requeue.sh while it runs (scontrol
// requeue): the run is stopped with SIGTERM, saves its step, and the
// requeued run (SLURM_RESTART_COUNT=1) continues from there, appending to
// the same output file, as the example's header promises.
func requeueKeepsProgress(st *stack) {
	t := st.t
	dir := examplesDir(t)
	sub := st.in("requeue")
	const steps = 20
	id := sub.sbatch(filepath.Join(dir, "long-requeue.sh"), fmt.Sprint(steps))
	out := "long-requeue-" + id + ".out"
	eventually(t, "the first run at step 3", 2*time.Minute, func() error {
		b, err := os.ReadFile(filepath.Join(sub.work, out))
		if err != nil || !strings.Contains(string(b), "step 3/") {
			return fmt.Errorf("%s: %q, %v", out, b, err)
		}
		return nil
	})
	sub.must("scontrol", "requeue", id)
	st.wait(id, 3*time.Minute, "ended after its second run", func(j *state.Job) bool { return j.State.Terminal() && j.RestartCount == 1 })
	if got := st.sacctState(id); got != "COMPLETED|0:0" {
		t.Errorf("sacct %q, want COMPLETED|0:0", got)
	}
	got := sub.readFile(out)
	m := regexp.MustCompile(`(?s)^run 1 \(restart count 0\) starting at step 0 on .*caught TERM at step (\d+): saving and stopping\nrun 2 \(restart count 1\) starting at step (\d+) on .*finished: counted to 20 in 2 run\(s\)\n$`).FindStringSubmatch(got)
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Errorf("%s does not show a run stopped and resumed where it stopped:\n%s", out, got)
	}
}

// gpuJobsRefused submits the GPU examples to a cluster without GPUs: as
// Slurm does for a request no node can ever meet, sbatch refuses them
// ("Requested node configuration is not available") and no job is left to
// wait for ever. (gpu_test.go runs them on fake GPUs.)
func gpuJobsRefused(st *stack) {
	t := st.t
	dir := examplesDir(t)
	for _, name := range []string{"gpu-per-task.sh", "gpu-train-checkpoint.sh"} {
		out, err := st.run("sbatch", filepath.Join(dir, name))
		if err == nil || !strings.Contains(out, "Requested node configuration is not available") {
			t.Errorf("sbatch %s on a cluster without GPUs: %q (%v), want refused: Requested node configuration is not available", name, out, err)
		}
	}
	if out := st.must("squeue", "-h", "-n", "train-ckpt,gpu-per-task"); out != "" {
		t.Errorf("refused GPU jobs in squeue:\n%s", out)
	}
}

// envMatchesSlurm runs slurmoracle.EnvScript with the same options under
// real Slurm and through sbatch here, and compares the Slurm variables of
// the batch shell and of srun's tasks.
func envMatchesSlurm(st *stack) {
	t := st.t
	args := []string{"-J", "envcmp", "-n", "2", "-c", "1", "--mem=100M", "-A", "acct", "-t", "5", "-o", "slurm.out"}
	real, realDir := slurmoracle.RunEnvJob(t, args...)

	// Submitted from its own directory, as the oracle's job was.
	sub := st.in("envcmp")
	id := sub.sbatch(append(args, sub.script("env.sh", slurmoracle.EnvScript))...)
	st.waitEnded(2*time.Minute, id)
	if got := st.sacctState(id); got != "COMPLETED|0:0" {
		t.Fatalf("sacct: %q, want COMPLETED|0:0\n%s", got, sub.readFile("slurm.out"))
	}
	ours := slurmoracle.ReadJobEnv(t, sub.work)

	// What differs by nature between the two runs: the job id, the node's
	// name and the directory.
	realID, realNode := real.Batch["SLURM_JOB_ID"], real.Batch["SLURMD_NODENAME"]
	if realID == "" || realNode == "" {
		t.Fatalf("real Slurm's job has no SLURM_JOB_ID or SLURMD_NODENAME: %v", real.Batch)
	}
	// (The oracle's node and cluster are both named "oracle"; Slurm sets
	// HOSTNAME to the node's name.)
	nodeVars := []string{"HOSTNAME", "SLURMD_NODENAME", "SLURM_JOB_NODELIST", "SLURM_NODELIST", "SLURM_STEP_NODELIST", "SLURM_TOPOLOGY_ADDR"}
	translate := func(env map[string]string) map[string]string {
		out := make(map[string]string, len(env))
		for k, v := range env {
			switch {
			case v == realID:
				v = id
			case v == realNode && slices.Contains(nodeVars, k):
				v = st.agent.Name()
			}
			out[k] = strings.ReplaceAll(v, realDir, sub.work)
		}
		return out
	}
	slurmoracle.CompareEnv(t, "batch", translate(real.Batch), ours.Batch, slurmoracle.NotSetBatch, slurmoracle.ExtraBatch)
	for i := range real.Steps {
		slurmoracle.CompareEnv(t, fmt.Sprintf("srun task %d", i), translate(real.Steps[i]), ours.Steps[i], slurmoracle.NotSetStep, slurmoracle.ExtraBatch)
	}
	if ours.Batch["SLURM_TASK_PID"] != ours.ShellPID {
		t.Errorf("SLURM_TASK_PID=%q, the batch shell is %s", ours.Batch["SLURM_TASK_PID"], ours.ShellPID)
	}
}

// runExamples submits every example that needs no GPU, as its header
// says to, and checks the output files the header promises.
func runExamples(st *stack) {
	t := st.t
	dir := examplesDir(t)
	example := func(name string) string { return filepath.Join(dir, name) }
	// mem-and-time.sh runs squeue from inside the job, as the job's user:
	// the Slurm commands are installed where every user may run them.
	for _, d := range []string{st.binDir, filepath.Dir(st.binDir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}

	hello := st.sbatch(example("hello.sh"))
	array := st.sbatch(example("array-throttle.sh"))
	multi := st.sbatch(example("multi-task-srun.sh"))
	py := st.sbatch(example("python-job.py"))
	long := st.sbatch(example("long-requeue.sh"), "5")
	memTime := st.sbatch(example("mem-and-time.sh"))
	st.copyExamples("export-none.sh") // where the user may read it
	exportNone, exportUser := st.sbatchAsLocalUser("export-none.sh")
	cmd := exec.Command(example("pipeline/run-pipeline"), "100")
	cmd.Dir, cmd.Env = st.work, st.env
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("run-pipeline: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`submitted: prepare=(\d+) compute=(\d+) report=(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("run-pipeline printed %q", out)
	}
	prepare, compute, report := m[1], m[2], m[3]

	jobs := []string{hello, multi, py, long, memTime, exportNone, prepare, compute, report}
	for i := 1; i <= 20; i++ {
		jobs = append(jobs, fmt.Sprintf("%s_%d", array, i))
	}
	st.waitEnded(5*time.Minute, jobs...)
	for _, j := range jobs {
		if got := st.sacctState(j); got != "COMPLETED|0:0" {
			t.Errorf("job %s: sacct %q, want COMPLETED|0:0", j, got)
		}
	}

	expect := func(file string, want ...string) {
		t.Helper()
		got := st.readFile(file)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %q:\n%s", file, w, got)
			}
		}
	}
	expect("hello-"+hello+".out", fmt.Sprintf("Hello from %s\njob id:     %s\njob name:   hello\nsubmit dir: %s\n", host, hello, st.work))
	for i := 1; i <= 20; i++ {
		expect(fmt.Sprintf("slurm-%s_%d.out", array, i),
			fmt.Sprintf("array job %s task %d (tasks 1-20, count 20)\n", array, i),
			fmt.Sprintf("result: %d^2 = %d\n", i, i*i))
	}
	expect("multi-task-"+multi+".out", fmt.Sprintf("ntasks: 4\ntask 0 of 4 on %[1]s\ntask 1 of 4 on %[1]s\ntask 2 of 4 on %[1]s\ntask 3 of 4 on %[1]s\nall tasks done\n", host))
	expect("py-stats-"+py+".out", fmt.Sprintf("job %s on %s\nworkers: 2\n", py, host), "samples: 400000\n", localPi(t, example("python-job.py")))
	expect("long-requeue-"+long+".out", "run 1 (restart count 0) starting at step 0", "step 5/5\nfinished: counted to 5 in 1 run(s)\n")
	expect("mem-and-time-"+memTime+".out", "SLURM_MEM_PER_NODE=2048 (MiB)\nSLURM_CPUS_PER_TASK=2\n", "time limit / end: 1-00:00:00 / ", "busy workers done: 2\n")
	if got := strings.TrimSpace(st.must("sacct", "-n", "-X", "-P", "-j", exportNone, "--format=User")); got != exportUser {
		t.Errorf("job %s ran as %q, want the local user %s", exportNone, got, exportUser)
	}
	// HOME comes from the user's login shell (the caller sent none).
	expect("export-none-"+exportNone+".out", "MY_SETTING: unset\nHOME: set\n", "SLURM_JOB_ID")
	expect("report-"+report+".out", "dependency afterok:"+compute+")", "count:  100\nsum:    5050\n", "mean:   50.50\n")
	expect("prepare-"+prepare+".out", "prepared 100 numbers in "+filepath.Join(st.work, "pipeline-data"))
	expect("compute-"+compute+".out", "computed: count=100 sum=5050 sumsq=338350\n")
}

// localPi is the "pi ~" line python-job.py prints outside any scheduler
// with two workers: its seeds are fixed, so the job must print the same.
func localPi(t *testing.T, script string) string {
	t.Helper()
	cmd := exec.Command("python3", script)
	cmd.Env = append(slurmoracle.CleanEnv(), "SLURM_CPUS_PER_TASK=2")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 %s: %v", script, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "pi ~ ") {
			return line + "\n"
		}
	}
	t.Fatalf("python3 %s printed no pi line: %s", script, out)
	return ""
}

// in is the stack seen from a new submit directory below st's, writable by
// every user like st's.
func (st *stack) in(name string) *stack {
	st.t.Helper()
	sub := *st
	sub.work = filepath.Join(st.work, name)
	if err := os.Mkdir(sub.work, 0o1777); err != nil {
		st.t.Fatal(err)
	}
	if err := os.Chmod(sub.work, 0o1777); err != nil { // past the umask
		st.t.Fatal(err)
	}
	return &sub
}

// sbatchAsLocalUser submits a script as a local user made for the test,
// with MY_SETTING=42 in the caller's environment, from st.work (which
// every user may write), and returns the job's id and the user's name. A job that runs its
// user's login shell (--export=NONE) is submitted this way: root's
// profile is the host's, and on the CI machine its pyenv init serialises
// every root login on one lock, which under load took the job past its
// time limit before its script started.
func (st *stack) sbatchAsLocalUser(script string) (id, user string) {
	t := st.t
	t.Helper()
	name, home, uid, gid := localUser(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := st.api.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: name, User: name})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(st.binDir, "sbatch"), "--parsable", script)
	cmd.Dir = st.work
	cmd.Env = []string{"HOME=" + home, "USER=" + name, "LOGNAME=" + name, "PATH=" + st.binDir + ":/usr/bin:/bin",
		api.EnvAddress + "=" + st.srv.url(), api.EnvToken + "=" + tok.SecretID, "MY_SETTING=42"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sbatch %s as %s: %v\n%s", script, name, err, out)
	}
	id, _, _ = strings.Cut(strings.TrimSpace(string(out)), ";")
	return id, name
}

// examplesDir is examples/slurm of this repository, as an absolute path
// (jobs read their scripts from it, and sbatch records it).
func examplesDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../examples/slurm")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
