package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// driverPluginName is the plugin's file name in the plugin dir, which
// Nomad's plugin block is named after.
const driverPluginName = "hpcbridge-driver"

// stack is a real Nomad agent with the hpcbridge task driver, and an
// hpcbridge server process that runs jobs on it.
type stack struct {
	t       *testing.T
	binDir  string // hpcbridge and its Slurm command links
	plugins string
	agent   *nomadagent.Agent
	srv     *server
	token   string
	work    string // a submit directory the job user may write
	env     []string
	api     *api.Client
}

// buildTools builds hpcbridge (with sbatch, squeue, ... links) and the task
// driver plugin.
func buildTools(t *testing.T) (binDir, pluginDir string) {
	t.Helper()
	bin := buildBinary(t)
	binDir = filepath.Dir(bin)
	for _, name := range []string{"sbatch", "squeue", "scancel", "sacct", "sinfo", "scontrol", "srun"} {
		if err := os.Symlink(bin, filepath.Join(binDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	pluginDir = filepath.Join(t.TempDir(), "plugins")
	cmd := exec.Command("go", "build", "-o", filepath.Join(pluginDir, driverPluginName), "../../cmd/hpcbridge-driver")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build the task driver: %v\n%s", err, b)
	}
	return binDir, pluginDir
}

// sharedDir makes a submit directory outside the test's private temp dir
// that the unprivileged job user can enter and write, as a shared
// filesystem would be.
func sharedDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "hpcbridge-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o1777); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// searchableDir is a directory for a Nomad agent's state that the job user
// can pass through to reach its task directory, as under /var/lib/nomad.
func searchableDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "hpcbridge-nomad-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func driverPlugin() nomadagent.Plugin {
	return nomadagent.Plugin{Name: driverPluginName, Config: map[string]any{"run_as": "submitter", "allow_root": true}}
}

// newStack starts a Nomad dev agent with the driver and one coordinator.
func newStack(t *testing.T, serverFlags ...string) *stack {
	t.Helper()
	nomadtest.Require(t)
	binDir, plugins := buildTools(t)
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: searchableDir(t), PluginDir: plugins, Plugins: []nomadagent.Plugin{driverPlugin()}, Drivers: []string{"hpcbridge"}})
	return startStack(t, binDir, plugins, agent, serverFlags...)
}

// startStack starts one coordinator that runs jobs through agent, a Nomad
// dev agent or a server that clients of the test have joined.
func startStack(t *testing.T, binDir, plugins string, agent *nomadagent.Agent, serverFlags ...string) *stack {
	t.Helper()
	st := &stack{t: t, binDir: binDir, plugins: plugins, agent: agent, work: sharedDir(t)}
	st.srv = newServer(t, filepath.Join(binDir, "hpcbridge"))
	st.srv.start(nil, append([]string{"--bootstrap", "--nomad-addr", agent.Addr(), "--kill-wait", "3s", "--partition", "debug"}, serverFlags...)...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("coordinator log:\n%s", st.srv.logTail())
			if allocs, _, err := agent.API().Allocations().List(nil); err == nil {
				for _, a := range allocs {
					for task, ts := range a.TaskStates {
						for _, ev := range ts.Events {
							t.Logf("alloc %s %s task %s: %s %s %v", a.ID[:8], a.JobID, task, ev.Type, ev.DisplayMessage, ev.Details)
						}
					}
				}
			}
			logs, _ := filepath.Glob(filepath.Join(agent.Dir(), "data", "alloc", "*", "alloc", "logs", "batch.stderr.0"))
			for _, l := range logs {
				if b, err := os.ReadFile(l); err == nil && len(b) > 0 {
					t.Logf("%s:\n%s", l, b)
				}
			}
		}
		st.srv.kill(syscall.SIGINT)
	})
	st.token = bootstrapToken(t, st.srv.url())
	st.api = client(t, st.srv.url(), st.token)
	st.env = append(os.Environ(), "HPCBRIDGE_ADDR="+st.srv.url(), "HPCBRIDGE_TOKEN="+st.token, "PATH="+binDir+":"+os.Getenv("PATH"))
	return st
}

// bootstrapToken bootstraps ACLs once the server has a leader.
func bootstrapToken(t *testing.T, url string) string {
	t.Helper()
	var secret string
	eventually(t, "ACL bootstrap", 60*time.Second, func() error {
		tok, err := client(t, url, "").ACLBootstrap(context.Background(), &api.ACLBootstrapRequest{})
		if err != nil {
			return err
		}
		secret = tok.SecretID
		return nil
	})
	return secret
}

// run runs one of the Slurm commands in the submit directory.
func (st *stack) run(name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(st.binDir, name), args...)
	cmd.Dir, cmd.Env = st.work, st.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (st *stack) must(name string, args ...string) string {
	st.t.Helper()
	out, err := st.run(name, args...)
	if err != nil {
		st.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// sbatch submits and returns the job id.
func (st *stack) sbatch(args ...string) string {
	st.t.Helper()
	out := strings.TrimSpace(st.must("sbatch", append([]string{"--parsable"}, args...)...))
	id, _, _ := strings.Cut(out, ";")
	return id
}

// script writes a batch script into the submit directory.
func (st *stack) script(name, body string) string {
	st.t.Helper()
	p := filepath.Join(st.work, name)
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		st.t.Fatal(err)
	}
	return p
}

// wait follows job ref with blocking queries until cond holds.
func (st *stack) wait(ref string, within time.Duration, what string, cond func(*state.Job) bool) *state.Job {
	st.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var idx uint64
	var last *state.Job
	for {
		j, meta, err := st.api.Job(ctx, ref, &api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second})
		if err == nil {
			last = j
			if cond(j) {
				return j
			}
			idx = meta.LastIndex
		}
		if ctx.Err() != nil {
			st.t.Fatalf("job %s: not %s within %v (last: %+v, err %v)", ref, what, within, last, err)
		}
	}
}

// waitEnded waits until each job is in a final state.
func (st *stack) waitEnded(within time.Duration, refs ...string) {
	st.t.Helper()
	for _, ref := range refs {
		st.wait(ref, within, "ended", func(j *state.Job) bool { return j.State.Terminal() && !j.IsArrayBase() })
	}
}

// sacctState is the State and ExitCode sacct prints for a job.
func (st *stack) sacctState(ref string) string {
	st.t.Helper()
	return strings.TrimSpace(st.must("sacct", "-n", "-X", "-P", "-j", ref, "--format=State,ExitCode"))
}

func (st *stack) readFile(name string) string {
	st.t.Helper()
	b, err := os.ReadFile(filepath.Join(st.work, name))
	if err != nil {
		st.t.Fatalf("output file: %v", err)
	}
	return string(b)
}

// on is the stack seen from a subtest.
func (st *stack) on(t *testing.T) *stack {
	c := *st
	c.t = t
	return &c
}

func TestNomadRunsJobs(t *testing.T) {
	top := newStack(t)
	t.Run("hello", func(t *testing.T) {
		st := top.on(t)
		id := st.sbatch(st.script("hello.sh", "#!/bin/bash\n#SBATCH -J greet\necho \"hello from ${SLURM_JOB_ID} ${SLURM_JOB_NAME:-none}%{x}\"\necho oops >&2\nexit 0\n"))
		st.waitEnded(2*time.Minute, id)
		if got := st.sacctState(id); got != "COMPLETED|0:0" {
			t.Errorf("sacct: %q, want COMPLETED|0:0", got)
		}
		if got, want := st.readFile("slurm-"+id+".out"), "hello from "+id+" greet%{x}\noops\n"; got != want {
			t.Errorf("slurm-%s.out = %q, want %q", id, got, want)
		}
		out := st.must("hpcbridge", "output", id)
		if !strings.Contains(out, "hello from "+id) {
			t.Errorf("hpcbridge output %s: %q", id, out)
		}
		j := st.wait(id, time.Second*10, "placed", func(j *state.Job) bool { return j.NodeList != "" })
		if j.NodeList != st.agent.Name() {
			t.Errorf("node list %q, want %q", j.NodeList, st.agent.Name())
		}
	})
	t.Run("exit code and signal", func(t *testing.T) {
		st := top.on(t)
		fail := st.sbatch(st.script("fail.sh", "#!/bin/sh\nexit 3\n"))
		killed := st.sbatch(st.script("killed.sh", "#!/bin/sh\nkill -9 $$\n"))
		st.waitEnded(2*time.Minute, fail, killed)
		if got := st.sacctState(fail); got != "FAILED|3:0" {
			t.Errorf("exit 3: sacct %q, want FAILED|3:0", got)
		}
		if got := st.sacctState(killed); got != "FAILED|0:9" {
			t.Errorf("kill -9: sacct %q, want FAILED|0:9", got)
		}
	})
	t.Run("dependencies", func(t *testing.T) {
		st := top.on(t)
		log := filepath.Join(st.work, "chain.log")
		step := func(n string, code int) string {
			return st.script("step"+n+".sh", fmt.Sprintf("#!/bin/sh\necho %s >> %s\nexit %d\n", n, log, code))
		}
		a := st.sbatch(step("1", 0))
		b := st.sbatch("--dependency=afterok:"+a, step("2", 0))
		c := st.sbatch("--dependency=afterok:"+b, step("3", 1))
		ok := st.sbatch("--dependency=afternotok:"+c, step("4", 0))
		never := st.sbatch("--dependency=afternotok:"+a, step("5", 0))
		st.waitEnded(3*time.Minute, a, b, c, ok)
		if got := st.readFile("chain.log"); got != "1\n2\n3\n4\n" {
			t.Errorf("chain ran as %q, want 1 2 3 4 in order", got)
		}
		j := st.wait(never, 30*time.Second, "never satisfiable", func(j *state.Job) bool { return j.Reason == state.ReasonDependencyNeverSatisfied })
		if j.State != state.StatePending {
			t.Errorf("afternotok on a success: %s, want PENDING", j.State)
		}
		st.must("scancel", never)
	})
	t.Run("array throttle", func(t *testing.T) {
		st := top.on(t)
		script := st.script("arr.sh", "#!/bin/sh\n#SBATCH --array=1-6%2\necho task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT\nsleep 2\n")
		base := st.sbatch(script)
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		maxRunning, idx := 0, uint64(0)
		for {
			jobs, meta, err := st.api.Accounting(ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second}})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			idx = meta.LastIndex
			running, ended := 0, 0
			for _, j := range jobs {
				if fmt.Sprint(j.ArrayJobID) != base || j.IsArrayBase() {
					continue
				}
				switch {
				case j.State == state.StateRunning:
					running++
				case j.State.Terminal():
					ended++
				}
			}
			maxRunning = max(maxRunning, running)
			if ended == 6 {
				break
			}
		}
		if maxRunning > 2 {
			t.Errorf("%d array tasks ran at once under %%2", maxRunning)
		}
		for i := 1; i <= 6; i++ {
			name := fmt.Sprintf("slurm-%s_%d.out", base, i)
			if got, want := st.readFile(name), fmt.Sprintf("task %d of 6\n", i); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
	})
	t.Run("time limit", func(t *testing.T) {
		st := top.on(t)
		id := st.sbatch("--time=1", st.script("sleepy.sh", "#!/bin/sh\necho started\nsleep 600\n"))
		st.waitEnded(4*time.Minute, id)
		if got := st.sacctState(id); !strings.HasPrefix(got, "TIMEOUT|") {
			t.Errorf("sacct %q, want TIMEOUT", got)
		}
	})
	t.Run("scancel", func(t *testing.T) {
		st := top.on(t)
		id := st.sbatch(st.script("wait.sh", "#!/bin/sh\necho waiting\nsleep 600\n"))
		st.wait(id, 2*time.Minute, "running on a node", func(j *state.Job) bool { return j.NodeList != "" })
		st.must("scancel", id)
		st.waitEnded(time.Minute, id)
		if got := st.sacctState(id); !strings.HasPrefix(got, "CANCELLED") {
			t.Errorf("sacct %q, want CANCELLED", got)
		}
		// The Nomad job is stopped, not left running: the cancel is
		// committed first and the job's stop follows it, so wait for the
		// stop (blocking queries, at most a minute).
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var index uint64
		for {
			q := (&nomadapi.QueryOptions{WaitIndex: index, WaitTime: 10 * time.Second}).WithContext(ctx)
			nj, meta, err := st.agent.API().Jobs().Info("slurm-"+id, q)
			if err != nil {
				t.Fatalf("Nomad job after scancel: %v", err)
			}
			if nj.Stop != nil && *nj.Stop {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("Nomad job after scancel, a minute later: not stopped (Stop %v)", nj.Stop != nil && *nj.Stop)
			}
			index = meta.LastIndex
		}
	})
	t.Run("output follow", func(t *testing.T) {
		// hpcbridge output --follow prints a running job's output as it
		// comes, and returns once the job ends, with all of it.
		st := top.on(t)
		id := st.sbatch(st.script("talk.sh", "#!/bin/sh\necho first\nwhile [ ! -e release-talk ]; do sleep 0.1; done\necho last\n"))
		st.wait(id, 2*time.Minute, "running on a node", func(j *state.Job) bool { return j.NodeList != "" })
		cmd := exec.Command(filepath.Join(st.binDir, "hpcbridge"), "output", "--follow", id)
		cmd.Env = st.env
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		select {
		case line := <-lines:
			if line != "first" {
				t.Fatalf("first line followed: %q", line)
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Fatalf("hpcbridge output --follow printed nothing of the running job in a minute")
		}
		if err := os.WriteFile(filepath.Join(st.work, "release-talk"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		var rest []string
		for line := range lines {
			rest = append(rest, line)
		}
		if !slices.Equal(rest, []string{"last"}) {
			t.Errorf("rest followed: %q", rest)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("hpcbridge output --follow: %v", err)
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Errorf("hpcbridge output --follow did not return after the job ended")
		}
		st.waitEnded(time.Minute, id)
	})
	t.Run("Nomad agent restart", func(t *testing.T) {
		// The agent running a job restarts (an upgrade, a crash and
		// systemd): the driver recovers the task, which goes on to the
		// end; the coordinator follows Nomad again and records the end.
		st := top.on(t)
		id := st.sbatch(st.script("survivor.sh", "#!/bin/sh\necho before\nwhile [ ! -e release-survivor ]; do sleep 0.1; done\necho after\n"))
		st.wait(id, 2*time.Minute, "running on a node", func(j *state.Job) bool { return j.NodeList != "" })
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := st.agent.Restart(ctx); err != nil {
			t.Fatalf("restart the Nomad agent: %v", err)
		}
		if err := os.WriteFile(filepath.Join(st.work, "release-survivor"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		st.waitEnded(2*time.Minute, id)
		if got := st.sacctState(id); got != "COMPLETED|0:0" {
			t.Errorf("sacct %q, want COMPLETED|0:0", got)
		}
		if got := st.readFile("slurm-" + id + ".out"); got != "before\nafter\n" {
			t.Errorf("slurm-%s.out = %q", id, got)
		}
		if got := st.must("hpcbridge", "output", id); got != "before\nafter\n" {
			t.Errorf("hpcbridge output %s = %q", id, got)
		}
		allocs, _, err := st.agent.API().Jobs().Allocations("slurm-"+id, true, nil)
		if err != nil || len(allocs) != 1 {
			t.Errorf("allocations of slurm-%s: %d, %v; want the one that ran through the restart", id, len(allocs), err)
		}
	})
	t.Run("stopped in Nomad", func(t *testing.T) {
		// An admin stops the Nomad job (UI or nomad job stop): Slurm
		// sees a cancellation, not a success.
		st := top.on(t)
		id := st.sbatch(st.script("admin-stop.sh", "#!/bin/sh\necho waiting\nsleep 600\n"))
		st.wait(id, 2*time.Minute, "running on a node", func(j *state.Job) bool { return j.NodeList != "" })
		if _, _, err := st.agent.API().Jobs().Deregister("slurm-"+id, false, nil); err != nil {
			t.Fatal(err)
		}
		st.waitEnded(time.Minute, id)
		if got := st.sacctState(id); got != "CANCELLED|0:15" {
			t.Errorf("sacct %q, want CANCELLED|0:15", got)
		}
	})
	t.Run("exclusive", func(t *testing.T) {
		st := top.on(t)
		// Each job logs its name and waits until the test releases it.
		gated := func(name string) string {
			return st.script(name+".sh", fmt.Sprintf("#!/bin/sh\necho %[1]s cpus=$SLURM_CPUS_ON_NODE >> excl.log\nwhile [ ! -e release-%[1]s ]; do sleep 0.1; done\n", name))
		}
		release := func(name string) {
			if err := os.WriteFile(filepath.Join(st.work, "release-"+name), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		nomadJob := func(id string) (*nomadapi.JobSummary, error) {
			sum, _, err := st.agent.API().Jobs().Summary("slurm-"+id, nil)
			return sum, err
		}
		placed := func(j *state.Job) bool { return j.NodeList != "" }

		a := st.sbatch(gated("a"))
		st.wait(a, 2*time.Minute, "running on a node", placed)
		b := st.sbatch("--exclusive", gated("b"))
		// c, submitted after b, runs beside a; by the time it has, the
		// scheduler offered b first and found the node busy.
		c := st.sbatch(st.script("c.sh", "#!/bin/sh\necho c >> excl.log\n"))
		st.waitEnded(2*time.Minute, c)
		if j := st.wait(b, 10*time.Second, "known", func(*state.Job) bool { return true }); j.NodeList != "" || j.State != state.StatePending || j.Reason != state.ReasonResources {
			t.Fatalf("exclusive job beside a running job: %s (%s) on %q, want PENDING (Resources)", j.State, j.Reason, j.NodeList)
		}
		if got := strings.TrimSpace(st.must("squeue", "-h", "-j", b, "-o", "%t|%R")); got != "PD|(Resources)" {
			t.Errorf("squeue for the waiting exclusive job: %q, want PD|(Resources)", got)
		}
		if _, err := nomadJob(b); err == nil {
			t.Fatalf("exclusive job registered with Nomad while its only node is busy")
		}
		release("a")
		jb := st.wait(b, 2*time.Minute, "running on a node", placed)
		// d must wait for the node b holds whole.
		d := st.sbatch(st.script("d.sh", "#!/bin/sh\necho d >> excl.log\n"))
		eventually(t, "d queued in Nomad beside the exclusive job", time.Minute, func() error {
			sum, err := nomadJob(d)
			if err != nil {
				return err
			}
			if q := sum.Summary["job"].Queued; q != 1 {
				return fmt.Errorf("queued %d", q)
			}
			return nil
		})
		if j := st.wait(d, 10*time.Second, "known", func(*state.Job) bool { return true }); j.NodeList != "" {
			t.Fatalf("job placed on %s beside an exclusive job", j.NodeList)
		}
		release("b")
		st.waitEnded(2*time.Minute, a, b, d)
		for _, id := range []string{a, b, c, d} {
			if got := st.sacctState(id); got != "COMPLETED|0:0" {
				t.Errorf("job %s: sacct %q", id, got)
			}
		}
		node, _, err := st.agent.API().Nodes().Info(st.agent.NodeID(), nil)
		if err != nil {
			t.Fatal(err)
		}
		cores := node.NodeResources.Cpu.TotalCpuCores
		want := fmt.Sprintf("a cpus=1\nc\nb cpus=%d\nd\n", cores)
		if got := st.readFile("excl.log"); got != want || jb.NodeList != st.agent.Name() {
			t.Errorf("excl.log %q on %s, want %q on %s", got, jb.NodeList, want, st.agent.Name())
		}
	})
	t.Run("nomad meta", func(t *testing.T) {
		st := top.on(t)
		id := st.sbatch("-A", "physics", st.script("meta.sh", "#!/bin/sh\ntrue\n"))
		st.waitEnded(2*time.Minute, id)
		nj, _, err := st.agent.API().Jobs().Info("slurm-"+id, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"slurm_job_id": id, "slurm_account": "physics", "slurm_partition": "debug", "slurm_script": filepath.Join(st.work, "meta.sh"), "slurm_submit_dir": st.work}
		for k, v := range want {
			if nj.Meta[k] != v {
				t.Errorf("Nomad job meta %s = %q, want %q", k, nj.Meta[k], v)
			}
		}
	})
}
