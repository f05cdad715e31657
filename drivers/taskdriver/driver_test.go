package taskdriver

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
)

// coordinatorEnv is what the coordinator puts in a task's environment.
func coordinatorEnv(jobID string) map[string]string {
	return map[string]string{
		"SLURM_JOB_ID":     jobID,
		"SLURM_JOBID":      jobID,
		"SLURM_JOB_NAME":   "demo",
		"SLURM_JOB_USER":   "alice",
		"SLURMD_NODENAME":  "node7",
		"SLURM_NTASKS":     "3",
		"SLURM_NPROCS":     "3",
		"SLURM_SUBMIT_DIR": "/home/alice",
	}
}

func TestExitCodeOutputFilesAndLogs(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{
		Script: "#!/bin/bash\necho \"out $SLURM_JOB_ID $1 $2\"\necho err-line >&2\nid -un\npwd\nexit 3\n",
		Args:   []string{"a1", "b 2"},
		Output: "o-%j-%x.txt",
		Error:  "e-%j.err",
	}, coordinatorEnv("42"))
	res := j.run()
	if res.ExitCode != 3 || res.Signal != 0 || res.OOMKilled {
		t.Fatalf("result: %s, want exit 3", describe(res))
	}
	out := j.file("o-42-demo.txt")
	if want := fmt.Sprintf("out 42 a1 b 2\nnobody\n%s\n", j.dir); out != want {
		t.Errorf("output file:\n%q\nwant\n%q", out, want)
	}
	if got := j.file("e-42.err"); got != "err-line\n" {
		t.Errorf("error file: %q", got)
	}
	fi, err := os.Stat(filepath.Join(j.dir, "o-42-demo.txt"))
	if err != nil {
		t.Fatal(err)
	}
	nobody, _ := user.Lookup("nobody")
	if uid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); uid != nobody.Uid {
		t.Errorf("output file owned by uid %s, want nobody (%s)", uid, nobody.Uid)
	}
	stdout, stderr := j.logs.collect()
	if stdout != out {
		t.Errorf("Nomad stdout %q, want the output file's %q", stdout, out)
	}
	if stderr != "err-line\n" {
		t.Errorf("Nomad stderr %q", stderr)
	}
}

func TestDefaultOutputSharesOneFileAndAppends(t *testing.T) {
	td := newTestDriver(t, Config{})
	env := coordinatorEnv("77")
	j := td.newJob(t, TaskConfig{
		Script:   "#!/bin/sh\necho one\necho two >&2\necho three\n",
		OpenMode: "append",
	}, env)
	name := filepath.Join(j.dir, "slurm-77.out")
	if err := os.WriteFile(name, []byte("before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	if err := os.Chown(name, uid, -1); err != nil {
		t.Fatal(err)
	}
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s", describe(res))
	}
	// One file, in order, as with Slurm's shared descriptor.
	if got := j.file(name); got != "before\none\ntwo\nthree\n" {
		t.Errorf("slurm-77.out = %q", got)
	}
}

// TestMissingWorkdir: as with slurmstepd, a job whose working directory
// does not exist runs in /tmp, and its relative output file is looked for
// in the missing directory, so a job that writes there fails to launch.
func TestMissingWorkdir(t *testing.T) {
	td := newTestDriver(t, Config{})
	out := filepath.Join(sharedDir(t), "out.txt")
	j := td.newJob(t, TaskConfig{Script: "#!/bin/bash\npwd\n", Workdir: "/nonexistent/hpcbridge/dir", Output: out}, coordinatorEnv("5"))
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s", describe(res))
	}
	got := j.file(out)
	want := "slurmstepd-node7: error: couldn't chdir to `/nonexistent/hpcbridge/dir': No such file or directory: going to /tmp instead\n/tmp\n"
	if got != want {
		t.Errorf("output:\n%q\nwant\n%q", got, want)
	}
	_, stderr := j.logs.collect()
	mustContain(t, "Nomad stderr", stderr, "couldn't chdir")

	rel := td.newJob(t, TaskConfig{Script: "#!/bin/bash\npwd\n", Workdir: "/nonexistent/hpcbridge/dir"}, coordinatorEnv("6"))
	if res := rel.run(); res.Successful() || res.ExitCode != 1 {
		t.Fatalf("relative output in a missing directory: %s, want exit code 1", describe(res))
	}
	_, stderr = rel.logs.collect()
	mustContain(t, "Nomad stderr", stderr, "Could not open stdout file /nonexistent/hpcbridge/dir/slurm-6.out: No such file or directory")
}

func TestScriptWithoutShebangRunsWithSh(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{Script: "echo \"0=$0\"\nreadlink /proc/$$/exe\n"}, coordinatorEnv("6"))
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s", describe(res))
	}
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("0=%s\n%s\n", filepath.Join(j.taskDir(), "slurm_script"), sh)
	if got := j.file("slurm-6.out"); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestEnvPython(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{
		Script:     "#!/usr/bin/env python3\nimport os, sys\nprint(sys.argv[0], sys.argv[1:], os.getcwd(), os.environ['SLURM_JOB_ID'])\n",
		ScriptName: "job.py",
		Args:       []string{"x", "y z"},
	}, coordinatorEnv("8"))
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s (%s)", describe(res), j.file("slurm-8.out"))
	}
	want := fmt.Sprintf("%s ['x', 'y z'] %s 8\n", filepath.Join(j.taskDir(), "job.py"), j.dir)
	if got := j.file("slurm-8.out"); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestBadInterpreterAsSlurm(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{Script: "#!/nonexistent/interp\necho hi\n"}, coordinatorEnv("9"))
	res := j.run()
	if res.ExitCode != 2 {
		t.Errorf("result: %s, want exit 2 (ENOENT, as slurmstepd)", describe(res))
	}
	want := "slurmstepd-node7: error: execve(): bad interpreter(/nonexistent/interp): No such file or directory\n"
	if got := j.file("slurm-9.out"); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestKilledBySignalIsReported(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{Script: "#!/bin/bash\necho before\nkill -USR2 $$\necho after\n"}, coordinatorEnv("10"))
	res := j.run()
	if res.Signal != int(syscall.SIGUSR2) || res.ExitCode != 128+int(syscall.SIGUSR2) {
		t.Fatalf("result: %s, want signal %d", describe(res), syscall.SIGUSR2)
	}
	if got := j.file("slurm-10.out"); got != "before\n" {
		t.Errorf("output %q", got)
	}
}

func TestBatchEnvironment(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{
		Script:       "#!/bin/bash\necho \"SHELLPID=$$\"\nenv | grep -E '^(SLURM|SLURMD|ENVIRONMENT|HOSTNAME|PATH|HPCBRIDGE|USER|HOME|LOGNAME|TMPDIR)' | sort\n",
		TimeLimitMin: 90,
	}, coordinatorEnv("11"))
	before := time.Now().Unix()
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s", describe(res))
	}
	got := parseEnvLines(j.file("slurm-11.out"))
	nobody, _ := user.Lookup("nobody")
	want := map[string]string{
		"SLURM_JOB_ID":                "11",
		"SLURM_JOB_NAME":              "demo",
		"SLURMD_NODENAME":             "node7",
		"SLURM_JOB_NODELIST":          "node7",
		"SLURM_NODELIST":              "node7",
		"SLURM_TOPOLOGY_ADDR":         "node7",
		"SLURM_TOPOLOGY_ADDR_PATTERN": "node",
		"HOSTNAME":                    "node7",
		"SLURM_CPUS_ON_NODE":          "4",
		"SLURM_JOB_CPUS_PER_NODE":     "4",
		"SLURM_NODEID":                "0",
		"SLURM_PROCID":                "0",
		"SLURM_LOCALID":               "0",
		"SLURM_GTIDS":                 "0",
		"ENVIRONMENT":                 "BATCH",
		"SLURM_TASKS_PER_NODE":        "3",
		"SLURM_TASK_PID":              got["SHELLPID"],
		"SLURM_JOB_UID":               nobody.Uid,
		"SLURM_JOB_GID":               nobody.Gid,
		"TMPDIR":                      "/tmp",
		"HPCBRIDGE_STEPS_DIR":         jobdir.Layout{TaskDir: j.taskDir()}.StepsDir(),
		"PATH":                        jobdir.Layout{TaskDir: j.taskDir()}.BinDir() + ":/usr/local/bin:/usr/bin:/bin",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	// Like slurmd, the driver adds the user's own variables only when
	// the submitter asked for them (SLURM_GET_USER_ENV).
	for _, k := range []string{"USER", "LOGNAME"} { // (bash sets HOME itself)
		if v, ok := got[k]; ok {
			t.Errorf("%s=%q set, but the submitter exported none and asked for no user environment", k, v)
		}
	}
	start, _ := strconv.ParseInt(got["SLURM_JOB_START_TIME"], 10, 64)
	end, _ := strconv.ParseInt(got["SLURM_JOB_END_TIME"], 10, 64)
	if start < before-1 || start > time.Now().Unix() || end != start+90*60 {
		t.Errorf("SLURM_JOB_START_TIME=%d SLURM_JOB_END_TIME=%d (test began %d)", start, end, before)
	}
}

func parseEnvLines(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestSrun(t *testing.T) {
	td := newTestDriver(t, Config{})
	script := `#!/bin/bash
srun -l bash -c 'echo "rank $SLURM_PROCID/$SLURM_NTASKS step $SLURM_STEP_ID=$SLURM_STEPID local $SLURM_LOCALID tasks $SLURM_STEP_NUM_TASKS gtids $SLURM_GTIDS pid-ok $((SLURM_TASK_PID == $$))"' | sort
echo "rc=${PIPESTATUS[0]}"
srun -n 3 bash -c 'exit $((SLURM_PROCID * 2))'; echo "rc=$?"
srun -n 2 bash -c 'if [ $SLURM_PROCID = 1 ]; then kill -TERM $$; fi; exit 200'; echo "rc=$?"
srun --bogus true; echo "rc=$?"
srun -N 2 true; echo "rc=$?"
srun -n 1 nosuchcommand; echo "rc=$?"
srun -n 9 true; echo "rc=$?"
echo input | srun -n 2 -c 1 cat; echo "rc=$?"
srun -n 2 -K bash -c 'if [ $SLURM_PROCID = 0 ]; then exit 3; fi; sleep 60'; echo "rc=$?"
srun -n 1 -c 2 bash -c 'echo step=$SLURM_STEP_ID cpus=$SLURM_CPUS_PER_TASK on-node=$SLURM_CPUS_ON_NODE'
exit 5
`
	j := td.newJob(t, TaskConfig{Script: script}, coordinatorEnv("12"))
	res := j.run()
	if res.ExitCode != 5 {
		t.Fatalf("result: %s\n%s", describe(res), j.file("slurm-12.out"))
	}
	want := `0: rank 0/3 step 0=0 local 0 tasks 3 gtids 0,1,2 pid-ok 1
1: rank 1/3 step 0=0 local 1 tasks 3 gtids 0,1,2 pid-ok 1
2: rank 2/3 step 0=0 local 2 tasks 3 gtids 0,1,2 pid-ok 1
rc=0
srun: error: node7: task 1: Exited with exit code 2
srun: error: node7: task 2: Exited with exit code 4
rc=4
srun: error: node7: task 0: Exited with exit code 200
srun: error: node7: task 1: Terminated
srun: Force Terminated StepId=12.2
rc=143
srun: unrecognized option '--bogus'
Try "srun --help" for more information
rc=255
srun: error: --nodes=2: this job has one node, so a step can use one node only
rc=1
slurmstepd-node7: error: execve(): nosuchcommand: No such file or directory
srun: error: node7: task 0: Exited with exit code 2
rc=2
srun: error: Unable to create step for job 12: More processors requested than permitted
rc=1
input
input
rc=0
srun: error: node7: task 0: Exited with exit code 3
srun: error: node7: task 1: Killed
srun: Force Terminated StepId=12.5
rc=137
step=6 cpus=2 on-node=2
`
	if got := j.file("slurm-12.out"); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

// signalScript runs a two-task srun step whose tasks report USR1 and end
// on TERM, under a batch shell that reports USR1 and TERM; every process
// announces itself on the events fifo.
const signalScript = `#!/bin/bash
trap 'echo "batch: USR1"; echo batch-usr1 > "$EVENTS"' USR1
trap 'echo "batch: TERM"' TERM
srun -n 2 -l bash -c '
  trap "echo step: USR1; echo step-usr1 > \"$EVENTS\"" USR1
  trap "echo step: TERM; exit 0" TERM
  echo ready > "$EVENTS"
  while :; do sleep 0.05; done' &
pid=$!
while :; do
  wait $pid; rc=$?
  kill -0 $pid 2>/dev/null || break
done
echo "srun rc=$rc"
`

func TestSignalScopes(t *testing.T) {
	cases := []struct {
		signal string
		events []string // what the signal makes the job report
		has    []string
		hasNot []string
	}{
		{"SIGUSR1", []string{"step-usr1", "step-usr1"},
			[]string{"0: step: USR1", "1: step: USR1"}, []string{"batch: USR1"}},
		{"B:SIGUSR1", []string{"batch-usr1"},
			[]string{"batch: USR1"}, []string{"step: USR1"}},
		{"F:USR1", []string{"batch-usr1", "step-usr1", "step-usr1"},
			[]string{"batch: USR1", "0: step: USR1", "1: step: USR1"}, nil},
	}
	for _, c := range cases {
		t.Run(c.signal, func(t *testing.T) {
			td := newTestDriver(t, Config{})
			ev := newEvents(t)
			j := td.newJob(t, TaskConfig{Script: signalScript}, ev.env(coordinatorEnv("20")))
			ev.job = j
			ch := j.start()
			ev.expect(2, "ready")
			if err := td.SignalTask(j.cfg.ID, c.signal); err != nil {
				t.Fatalf("SignalTask(%q): %v", c.signal, err)
			}
			ev.expect(len(c.events), c.events...)
			// End the steps: SIGTERM to the steps only.
			if err := td.SignalTask(j.cfg.ID, "TERM"); err != nil {
				t.Fatal(err)
			}
			res := j.wait(ch)
			out := j.file("slurm-20.out")
			if !res.Successful() {
				t.Fatalf("result: %s\n%s", describe(res), out)
			}
			mustContain(t, "output", out, append(c.has, "0: step: TERM", "1: step: TERM", "srun rc=0")...)
			mustNotContain(t, "output", out, append(c.hasNot, "batch: TERM")...)
		})
	}
}

func TestSignalErrors(t *testing.T) {
	td := newTestDriver(t, Config{})
	if err := td.SignalTask("nope", "SIGUSR1"); err == nil {
		t.Error("SignalTask on an unknown task succeeded")
	}
	ev := newEvents(t)
	j := td.newJob(t, TaskConfig{Script: "#!/bin/bash\necho ready > \"$EVENTS\"\nread x < \"$CONTROL\"\n"}, ev.env(coordinatorEnv("21")))
	ev.job = j
	ch := j.start()
	ev.expect(1, "ready")
	for _, bad := range []string{"SIGNOPE", "X:SIGUSR1", "", "B:"} {
		if err := td.SignalTask(j.cfg.ID, bad); err == nil {
			t.Errorf("SignalTask(%q) succeeded", bad)
		}
	}
	ev.send("go")
	if res := j.wait(ch); !res.Successful() {
		t.Fatalf("result: %s", describe(res))
	}
}

func TestStopTask(t *testing.T) {
	cases := []struct {
		name   string
		trap   string
		exit   int
		signal int
	}{
		// The script handles SIGTERM and exits.
		{"graceful", `trap 'echo got TERM; exit 7' TERM`, 7, 0},
		// The script ignores SIGTERM: SIGKILL after the kill timeout.
		{"killed", `trap 'echo ignoring TERM' TERM`, 128 + 9, 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := newTestDriver(t, Config{})
			ev := newEvents(t)
			env := ev.env(coordinatorEnv("30"))
			script := "#!/bin/bash\n" + c.trap + "\nsrun -n 1 sleep 300 &\necho ready > \"$EVENTS\"\nwhile :; do sleep 0.1 & wait $!; done\n"
			j := td.newJob(t, TaskConfig{Script: script}, env)
			ev.job = j
			ch := j.start()
			ev.expect(1, "ready")
			if err := td.StopTask(j.cfg.ID, 2*time.Second, ""); err != nil {
				t.Fatalf("StopTask: %v", err)
			}
			res := j.wait(ch)
			if res.ExitCode != c.exit || res.Signal != c.signal {
				t.Errorf("result: %s, want exit %d signal %d", describe(res), c.exit, c.signal)
			}
			out := j.file("slurm-30.out")
			mustContain(t, "output", out, "slurmstepd-node7: error: *** JOB 30 ON node7 CANCELLED AT ")
			mustNotContain(t, "output", out, "DUE TO TIME LIMIT")
			if st, err := td.InspectTask(j.cfg.ID); err != nil || st.State != drivers.TaskStateExited {
				t.Errorf("InspectTask: %+v, %v", st, err)
			}
		})
	}
}

func TestRecoverTaskAfterPluginRestart(t *testing.T) {
	t.Run("submitter", func(t *testing.T) { recoverTaskAfterPluginRestart(t, Config{}) })
	// A sandboxed job goes on in its sandbox; the new plugin re-owns its
	// uid (the same lease directory) and ends it as before.
	t.Run("sandbox", func(t *testing.T) { recoverTaskAfterPluginRestart(t, sandboxConfig(t, true, "", "60220-60223")) })
}

func recoverTaskAfterPluginRestart(t *testing.T, conf Config) {
	td := newTestDriver(t, conf)
	ev := newEvents(t)
	td.d.testBinds = []string{filepath.Dir(ev.path)}
	j := td.newJob(t, TaskConfig{
		Script: "#!/bin/bash\necho started\necho ready > \"$EVENTS\"\nread x < \"$CONTROL\"\necho \"resumed $x\"\nexit 4\n",
	}, ev.env(coordinatorEnv("40")))
	ev.job = j
	handle, _, err := td.StartTask(j.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = td.d.DestroyTask(j.cfg.ID, true) })
	ev.expect(1, "ready")

	// The plugin instance goes away (as when Nomad restarts the plugin):
	// a new one knows the task only by its handle. The job goes on.
	td.cancel()

	td2 := newTestDriver(t, conf)
	if err := td2.RecoverTask(handle); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	if err := td2.RecoverTask(handle); err != nil {
		t.Fatalf("second RecoverTask: %v", err)
	}
	ch, err := td2.WaitTask(context.Background(), j.cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = td2.d.DestroyTask(j.cfg.ID, true) })
	// The recovered driver still reaches the job's batch shell.
	if st, err := td2.InspectTask(j.cfg.ID); err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("InspectTask after recovery: %+v, %v", st, err)
	}
	ev.send("go")
	res := j.wait(ch)
	if res.ExitCode != 4 {
		t.Fatalf("result: %s", describe(res))
	}
	out := "slurm-40.out"
	if conf.RunAs == RunAsPool {
		out = filepath.Join(j.taskDir(), out)
	}
	if got := j.file(out); got != "started\nresumed go\n" {
		t.Errorf("output %q", got)
	}
}

// TestUnrecoverableTaskIsEnded: a task RecoverTask cannot take back (here
// its pool uid, on a node that no longer runs pool jobs) is ended, job and
// executor: Nomad answers the failure with a DestroyTask this driver cannot
// match and starts the task again, so whatever RecoverTask leaves running
// runs for ever, beside the new copy.
func TestUnrecoverableTaskIsEnded(t *testing.T) {
	td := newTestDriver(t, Config{})
	ev := newEvents(t)
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\necho ready > \"$EVENTS\"\nexec sleep 600\n"}, ev.env(coordinatorEnv("41")))
	ev.job = j
	handle, _, err := td.StartTask(j.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = td.d.DestroyTask(j.cfg.ID, true) })
	ev.expect(1, "ready")
	var st TaskState
	if err := handle.GetDriverState(&st); err != nil {
		t.Fatal(err)
	}
	st.PoolUID = 62999
	if err := handle.SetDriverState(&st); err != nil {
		t.Fatal(err)
	}
	td2 := newTestDriver(t, Config{})
	if err := td2.RecoverTask(handle); err == nil || !strings.Contains(err.Error(), "run_as is not") {
		t.Fatalf("RecoverTask of a pool task on a submitter node: %v, want the run_as error", err)
	}
	for what, pid := range map[string]int{"executor": st.ReattachConfig.Pid, "stepd": st.Pid} {
		if !processEnds(pid, taskWait) {
			t.Errorf("the %s (pid %d) of a task RecoverTask refused still runs", what, pid)
		}
	}
}

// processEnds waits until pid has exited (gone, or a zombie).
func processEnds(pid int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		if _, rest, ok := strings.Cut(string(b), ") "); ok && strings.HasPrefix(rest, "Z") {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func TestOutOfMemory(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{
		Script: "#!/bin/bash\npython3 -c 'a = bytearray(b\"x\") * (1 << 30)'\necho \"python rc=$?\"\n",
	}, coordinatorEnv("50"))
	// stepd's own memory counts against the task (a race-detector test
	// binary needs far more than the plugin).
	j.cfg.Resources.NomadResources.Memory.MemoryMB = 200
	j.cfg.Resources.LinuxResources.MemoryLimitBytes = 200 << 20
	res := j.run()
	out := j.file("slurm-50.out")
	t.Logf("output:\n%s", out)
	exout, _ := os.ReadFile(jobdir.Layout{TaskDir: j.taskDir()}.ExecutorLog())
	t.Logf("executor:\n%s", exout)
	if !res.OOMKilled || res.ExitCode != 0 {
		t.Fatalf("result: %s, want OOM reported with exit 0\n%s", describe(res), out)
	}
	mustContain(t, "output", out, "python rc=137",
		"slurmstepd-node7: error: Detected 1 oom-kill event(s) in StepId=50.batch. Some of your processes may have been killed by the cgroup out-of-memory handler.")
}

func TestRunAsSubmitter(t *testing.T) {
	requireRoot(t)
	c := Config{RunAs: RunAsSubmitter}
	if _, err := c.submitter("root"); err == nil || !strings.Contains(err.Error(), "allow_root") {
		t.Errorf("root without allow_root: %v", err)
	}
	if a, err := (Config{RunAs: RunAsSubmitter, AllowRoot: true}).submitter("root"); err != nil || a.uid != 0 {
		t.Errorf("root with allow_root: %+v %v", a, err)
	}
	if _, err := c.submitter(""); err == nil || !strings.Contains(err.Error(), "names no user") {
		t.Errorf("no task user: %v", err)
	}
	if _, err := c.submitter("no-such-user-hpcbridge"); err == nil || !strings.Contains(err.Error(), `user "no-such-user-hpcbridge" does not exist on this node`) {
		t.Errorf("unknown user: %v", err)
	}
	td := newTestDriver(t, c)
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\ntrue\n"}, coordinatorEnv("60"))
	j.cfg.User = "root"
	if _, _, err := td.StartTask(j.cfg); err == nil || !strings.Contains(err.Error(), "allow_root") {
		t.Errorf("StartTask as root: %v", err)
	}
	j.cfg.User = "daemon"
	res := j.run()
	if !res.Successful() {
		t.Fatalf("result: %s", describe(res))
	}
	fi, err := os.Stat(filepath.Join(j.dir, "slurm-60.out"))
	if err != nil {
		t.Fatal(err)
	}
	daemon, _ := user.Lookup("daemon")
	if uid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); uid != daemon.Uid {
		t.Errorf("output owned by uid %s, want the task's user daemon (%s)", uid, daemon.Uid)
	}
}

func TestFingerprint(t *testing.T) {
	td := newTestDriver(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := td.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case fp := <-ch:
		if fp.Health != drivers.HealthStateHealthy {
			t.Fatalf("health %s: %s", fp.Health, fp.HealthDescription)
		}
		if v, ok := fp.Attributes["driver.hpcbridge.version"].GetString(); !ok || v != Version {
			t.Errorf("driver.hpcbridge.version = %v", fp.Attributes["driver.hpcbridge.version"])
		}
		if b, ok := fp.Attributes["driver.hpcbridge"].GetBool(); !ok || !b {
			t.Errorf("driver.hpcbridge = %v", fp.Attributes["driver.hpcbridge"])
		}
		if v, ok := fp.Attributes[AttrRunAs].GetString(); !ok || v != RunAsSubmitter {
			t.Errorf("%s = %v, want %s", AttrRunAs, fp.Attributes[AttrRunAs], RunAsSubmitter)
		}
	case <-time.After(taskWait):
		t.Fatal("no fingerprint")
	}
}

func TestDestroyRunningTaskKillsTheJob(t *testing.T) {
	td := newTestDriver(t, Config{})
	ev := newEvents(t)
	j := td.newJob(t, TaskConfig{
		Script: "#!/bin/bash\nsleep 300 &\necho \"$!\" > \"$EVENTS\"\nwait\n",
	}, ev.env(coordinatorEnv("70")))
	ev.job = j
	ch := j.start()
	child := ev.line()
	if err := td.DestroyTask(j.cfg.ID, true); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	res := j.wait(ch)
	if res.Signal != int(syscall.SIGKILL) {
		t.Errorf("result: %s, want killed", describe(res))
	}
	pid, _ := strconv.Atoi(child)
	// The background sleep was the job's: stepd killed it (it is gone or
	// a zombie about to be reaped by init).
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(b), ") Z ") {
		t.Errorf("the job's background process %d survived: %s", pid, b)
	}
}
