package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestNodeLossRequeues kills the Nomad client a job runs on, as if its
// machine died: the Nomad server misses its heartbeats and holds its
// allocation as unknown without replacing it; the coordinator records
// NODE_FAIL, stops that Nomad job and requeues the job (Slurm's default);
// the second run, a Nomad job of its own, completes on the other node.
func TestNodeLossRequeues(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	binDir, plugins := buildTools(t)
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	var clients []*nomadagent.Agent
	for _, name := range []string{"node-a", "node-b"} {
		clients = append(clients, nomadtest.StartClient(t, srv, nomadagent.Config{
			Name: name, Dir: searchableDir(t), PluginDir: plugins,
			Plugins: []nomadagent.Plugin{driverPlugin()}, Drivers: []string{nomadexec.DriverName},
		}))
	}
	st := startStack(t, binDir, plugins, srv)
	t.Cleanup(func() {
		if t.Failed() {
			logAllocLogs(t, clients...)
		}
	})

	id := st.sbatch(st.script("survivor.sh", `#!/bin/bash
#SBATCH -J survivor
echo "restart=${SLURM_RESTART_COUNT:-0} node=${SLURMD_NODENAME:-unset}"
if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	sleep 600
fi
exit 0
`))
	first := st.wait(id, 3*time.Minute, "running on a node", func(j *state.Job) bool {
		return j.State == state.StateRunning && j.NodeList != ""
	})
	if !first.Requeue || first.RestartCount != 0 {
		t.Fatalf("job %s: requeue %v, restarts %d; want a requeueable job on its first run", id, first.Requeue, first.RestartCount)
	}
	var victim, survivor *nomadagent.Agent
	for _, c := range clients {
		if c.Name() == first.NodeList {
			victim = c
		} else {
			survivor = c
		}
	}
	if victim == nil {
		t.Fatalf("job %s runs on %q, which is none of the clients", id, first.NodeList)
	}
	// The first run must really have started before its node dies.
	eventually(t, "the first run's output", time.Minute, func() error {
		b, err := os.ReadFile(filepath.Join(st.work, "slurm-"+id+".out"))
		if err != nil || !strings.Contains(string(b), "restart=0") {
			return fmt.Errorf("output %q, %v", b, err)
		}
		return nil
	})

	victim.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Down, or disconnected while it holds an allocation that waits for it
	// (nomadexec.LostAfter).
	nodes, err := srv.WaitNodes(ctx, func(ns []*nomadapi.NodeListStub) bool {
		s := nodeStatus(ns, victim.NodeID())
		return s == nomadapi.NodeStatusDown || s == nomadapi.NodeStatusDisconnected
	})
	if err != nil {
		t.Fatalf("Nomad never marked the killed node %s down: %v", victim.Name(), err)
	}
	if s := nodeStatus(nodes, survivor.NodeID()); s != nomadapi.NodeStatusReady {
		t.Fatalf("the other node %s is %s", survivor.Name(), s)
	}

	j := st.wait(id, 5*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
	if j.State != state.StateCompleted || j.ExitString() != "0:0" || j.RestartCount != 1 || j.NodeList != survivor.Name() {
		t.Errorf("job %s: %s %s, restarts %d, on %q; want COMPLETED 0:0 after 1 restart on %q", id, j.State, j.ExitString(), j.RestartCount, j.NodeList, survivor.Name())
	}
	if got := st.sacctState(id); got != "COMPLETED|0:0" {
		t.Errorf("sacct: %q, want COMPLETED|0:0", got)
	}
	if out := st.must("scontrol", "show", "job", id); !strings.Contains(out, "Requeue=1 Restarts=1 ") {
		t.Errorf("scontrol show job %s: no Requeue=1 Restarts=1 in\n%s", id, out)
	}
	out := st.readFile("slurm-" + id + ".out")
	if want := fmt.Sprintf("restart=1 node=%s\n", survivor.Name()); !strings.HasSuffix(out, want) {
		t.Errorf("slurm-%s.out = %q, want it to end with %q", id, out, want)
	}

	// In Nomad: the first run's allocation stayed with its node (unknown, or
	// lost), never replaced, and its job is stopped; the requeued run is a
	// Nomad job of its own that ran on the other node.
	firstRun, requeued := nomadexec.JobPrefix+id, nomadexec.JobPrefix+id+"-r1"
	for nid, want := range map[string]struct {
		node     string
		statuses []string
	}{
		firstRun: {victim.NodeID(), []string{nomadapi.AllocClientStatusUnknown, nomadapi.AllocClientStatusLost}},
		requeued: {survivor.NodeID(), []string{nomadapi.AllocClientStatusComplete}},
	} {
		allocs, _, err := srv.API().Jobs().Allocations(nid, true, nil)
		if err != nil {
			t.Errorf("allocations of %s: %v", nid, err)
			continue
		}
		if len(allocs) != 1 || allocs[0].NodeID != want.node || !slices.Contains(want.statuses, allocs[0].ClientStatus) {
			t.Errorf("Nomad job %s: %s, want one allocation, %v on node %s", nid, describeAllocs(allocs), want.statuses, want.node)
		}
	}
	if nj, _, err := srv.API().Jobs().Info(firstRun, nil); err != nil || nj.Stop == nil || !*nj.Stop {
		t.Errorf("Nomad job %s of the failed run is not stopped: %v", firstRun, err)
	}
	stubs, _, err := srv.API().Jobs().List(&nomadapi.QueryOptions{Prefix: nomadexec.JobPrefix})
	if err != nil {
		t.Fatal(err)
	}
	var nids []string
	for _, s := range stubs {
		nids = append(nids, s.ID)
	}
	if slices.Sort(nids); !slices.Equal(nids, []string{firstRun, requeued}) {
		t.Errorf("Nomad jobs %v, want %s and %s", nids, firstRun, requeued)
	}

	// The first run is kept as an accounting record of its own: sacct -D
	// shows it NODE_FAIL on the lost node, before the run that completed.
	if len(j.Runs) != 1 || j.Runs[0].State != state.StateNodeFail || j.Runs[0].NodeList != victim.Name() {
		t.Errorf("job %s: earlier runs %+v, want one NODE_FAIL run on %s", id, j.Runs, victim.Name())
	}
	all := st.must("sacct", "-n", "-X", "-P", "-D", "-j", id, "--format=JobID,State,ExitCode,NodeList")
	if want := fmt.Sprintf("%[1]s|NODE_FAIL|0:0|%[2]s\n%[1]s|COMPLETED|0:0|%[3]s\n", id, victim.Name(), survivor.Name()); all != want {
		t.Errorf("sacct -D -X -j %s:\n%s\nwant:\n%s", id, all, want)
	}
}

// TestLeaderKillWhileJobsRun runs three coordinators on one Nomad agent and
// SIGKILLs the leader while some jobs run and others wait: a new leader
// takes over the Nomad jobs its predecessor started, starts the rest, and
// no job runs twice or is lost.
func TestLeaderKillWhileJobsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	binDir, plugins := buildTools(t)
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: searchableDir(t), PluginDir: plugins, Plugins: []nomadagent.Plugin{driverPlugin()}, Drivers: []string{nomadexec.DriverName}})
	bin := filepath.Join(binDir, "hpcbridge")
	servers := []*server{newServer(t, bin), newServer(t, bin), newServer(t, bin)}
	t.Cleanup(func() {
		if t.Failed() {
			for i, s := range servers {
				t.Logf("coordinator %d log:\n%s", i, s.logTail())
			}
			logAllocEvents(t, agent.API())
			logAllocLogs(t, agent)
		}
		for _, s := range servers {
			s.kill(syscall.SIGKILL)
		}
	})
	flags := []string{"--nomad-addr", agent.Addr(), "--kill-wait", "3s", "--partition", "debug"}
	servers[0].start(nil, append([]string{"--bootstrap"}, flags...)...)
	token := bootstrapToken(t, servers[0].url())
	for _, s := range servers[1:] {
		s.start([]string{api.EnvToken + "=" + token}, append([]string{"--join", servers[0].url()}, flags...)...)
	}
	ctx := context.Background()
	waitVoters(t, servers[0], token, 3)
	st := &stack{t: t, binDir: binDir, plugins: plugins, agent: agent, token: token, work: sharedDir(t)}
	st.use(servers[0])

	// Each run appends "<Slurm id> <job id> start" to runs.log, sleeps $1
	// seconds and appends "... end": the long ones still run when the
	// leader dies, the short ones end while there is none.
	runsLog := filepath.Join(st.work, "runs.log")
	script := st.script("run.sh", fmt.Sprintf(`#!/bin/sh
id=$SLURM_JOB_ID
if [ -n "$SLURM_ARRAY_TASK_ID" ]; then id=${SLURM_ARRAY_JOB_ID}_$SLURM_ARRAY_TASK_ID; fi
echo "$id $SLURM_JOB_ID start" >> %[1]s
echo "output of $id"
sleep "$1"
echo "$id $SLURM_JOB_ID end" >> %[1]s
`, runsLog))
	var refs []string
	submit := func(args ...string) string {
		id := st.sbatch(args...)
		refs = append(refs, id)
		return id
	}
	long := submit(script, "10")
	submit(script, "2")
	submit(script, "5")
	submit(script, "14")
	arr := st.sbatch("--array=1-4%2", script, "4")
	var tasks []string
	for i := 1; i <= 4; i++ {
		tasks = append(tasks, fmt.Sprintf("%s_%d", arr, i))
	}
	refs = append(refs, tasks...)
	after := map[string][]string{} // dependent -> what it waits for
	after[submit("--dependency=afterok:"+long, script, "1")] = []string{long}
	after[submit("--dependency=afterok:"+arr, script, "1")] = tasks

	// Kill the leader once a job has ended under it and a couple run on
	// Nomad, while others still wait for their dependency or the array's
	// throttle.
	jobs := st.waitJobs(3*time.Minute, "a job ended and two running on a node", func(jobs []*state.Job) bool {
		placed, ended := 0, 0
		for _, j := range jobs {
			switch {
			case j.State == state.StateRunning && j.NodeList != "":
				placed++
			case j.State.Terminal():
				ended++
			}
		}
		return placed >= 2 && ended >= 1
	})
	dead, err := leaderOf(ctx, t, servers, token)
	if err != nil {
		t.Fatal(err)
	}
	servers[dead].kill(syscall.SIGKILL)
	counts := map[state.JobState]int{}
	for _, j := range jobs {
		if !j.IsArrayBase() {
			counts[j.State]++
		}
	}
	t.Logf("killed coordinator %d (the leader) with jobs %v", dead, counts)
	if counts[state.StatePending] == 0 {
		t.Errorf("no job was pending when the leader died: %v", counts)
	}

	var leader int
	eventually(t, "a new leader", time.Minute, func() error {
		leader, err = leaderOf(ctx, t, servers, token)
		return err
	})
	t.Logf("coordinator %d leads", leader)
	st.use(servers[leader])
	st.waitEnded(5*time.Minute, refs...)

	ids := map[string]uint64{} // Slurm id -> job id
	for _, ref := range refs {
		j := st.wait(ref, 30*time.Second, "read", func(*state.Job) bool { return true })
		ids[ref] = j.ID
		if j.State != state.StateCompleted || j.ExitString() != "0:0" || j.RestartCount != 0 {
			t.Errorf("job %s: %s %s, restarts %d; want COMPLETED 0:0 without a restart", ref, j.State, j.ExitString(), j.RestartCount)
		}
		if got := st.sacctState(ref); got != "COMPLETED|0:0" {
			t.Errorf("sacct -j %s: %q, want COMPLETED|0:0", ref, got)
		}
	}

	// Every job's output, also of those that ended under the dead leader,
	// comes from the new leader.
	for _, ref := range refs {
		if got, want := st.must("hpcbridge", "output", ref), "output of "+ref+"\n"; got != want {
			t.Errorf("hpcbridge output %s via the new leader: %q, want %q", ref, got, want)
		}
	}

	// ... because every surviving server keeps a copy of every output.
	for i, srv := range servers {
		if i == dead {
			continue
		}
		eventually(t, fmt.Sprintf("coordinator %d's archive complete", i), time.Minute, func() error {
			for ref, id := range ids {
				b, err := os.ReadFile(filepath.Join(srv.dir, "data", "outputs", fmt.Sprint(id), "stdout"))
				if err != nil || string(b) != "output of "+ref+"\n" {
					return fmt.Errorf("job %s: %q, %v", ref, b, err)
				}
			}
			return nil
		})
	}

	// Each job ran exactly once, to its end, and a dependent started only
	// after what it waits for ended.
	lines := strings.Split(strings.TrimSpace(st.readFile("runs.log")), "\n")
	at := map[string][]int{} // "<ref> start|end" -> line numbers
	for n, line := range lines {
		f := strings.Fields(line)
		if len(f) != 3 || ids[f[0]] == 0 || f[1] != fmt.Sprint(ids[f[0]]) {
			t.Errorf("runs.log line %d: %q: no such job, or the wrong job id", n+1, line)
			continue
		}
		at[f[0]+" "+f[2]] = append(at[f[0]+" "+f[2]], n)
	}
	for _, ref := range refs {
		if len(at[ref+" start"]) != 1 || len(at[ref+" end"]) != 1 {
			t.Errorf("job %s started %d times and ended %d times, want once each", ref, len(at[ref+" start"]), len(at[ref+" end"]))
		}
	}
	for dep, parents := range after {
		for _, p := range parents {
			if s, e := at[dep+" start"], at[p+" end"]; len(s) == 1 && len(e) == 1 && s[0] < e[0] {
				t.Errorf("job %s started before %s, which it waits for (afterok), ended:\n%s", dep, p, strings.Join(lines, "\n"))
			}
		}
	}

	// Nomad saw each job once: one registration, one allocation, no requeue.
	var want []string
	for _, ref := range refs {
		want = append(want, nomadexec.JobPrefix+ref)
	}
	stubs, _, err := agent.API().Jobs().List(&nomadapi.QueryOptions{Prefix: nomadexec.JobPrefix})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range stubs {
		got = append(got, s.ID)
		versions, _, _, err := agent.API().Jobs().Versions(s.ID, false, nil)
		if err != nil {
			t.Errorf("versions of %s: %v", s.ID, err)
		} else if len(versions) != 1 {
			t.Errorf("Nomad job %s has %d versions, want 1: it was registered again", s.ID, len(versions))
		}
		allocs, _, err := agent.API().Jobs().Allocations(s.ID, true, nil)
		if err != nil {
			t.Errorf("allocations of %s: %v", s.ID, err)
		} else if len(allocs) != 1 || allocs[0].ClientStatus != nomadapi.AllocClientStatusComplete {
			t.Errorf("Nomad job %s: %s, want one complete allocation", s.ID, describeAllocs(allocs))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Nomad jobs %v, want %v", got, want)
	}
}

// use points the stack's API client and Slurm commands at s.
func (st *stack) use(s *server) {
	st.srv = s
	st.api = client(st.t, s.url(), st.token)
	st.env = append(os.Environ(), "HPCBRIDGE_ADDR="+s.url(), "HPCBRIDGE_TOKEN="+st.token, "PATH="+st.binDir+":"+os.Getenv("PATH"))
}

// waitJobs follows every job with blocking queries until cond holds of
// them, and returns them.
func (st *stack) waitJobs(within time.Duration, what string, cond func([]*state.Job) bool) []*state.Job {
	st.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var idx uint64
	var last []*state.Job
	for {
		jobs, meta, err := st.api.Accounting(ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second}})
		if err == nil {
			last = jobs
			if cond(jobs) {
				return jobs
			}
			idx = meta.LastIndex
		}
		if ctx.Err() != nil {
			var states []string
			for _, j := range last {
				states = append(states, fmt.Sprintf("%s:%s@%s", j.SlurmID(), j.State, j.NodeList))
			}
			st.t.Fatalf("jobs: not %s within %v (last: %v, err %v)", what, within, states, err)
		}
	}
}

func nodeStatus(ns []*nomadapi.NodeListStub, id string) string {
	for _, n := range ns {
		if n.ID == id {
			return n.Status
		}
	}
	return "missing"
}

func describeAllocs(allocs []*nomadapi.AllocationListStub) string {
	var s []string
	for _, a := range allocs {
		s = append(s, fmt.Sprintf("%s %s on %s", a.ID[:8], a.ClientStatus, a.NodeName))
	}
	return fmt.Sprintf("%d allocations %v", len(allocs), s)
}

// logAllocEvents logs the task events of every allocation, for a failed
// test.
func logAllocEvents(t *testing.T, c *nomadapi.Client) {
	allocs, _, err := c.Allocations().List(nil)
	if err != nil {
		t.Logf("list allocations: %v", err)
		return
	}
	for _, a := range allocs {
		for task, ts := range a.TaskStates {
			for _, ev := range ts.Events {
				t.Logf("alloc %s %s task %s: %s %s %v", a.ID[:8], a.JobID, task, ev.Type, ev.DisplayMessage, ev.Details)
			}
		}
	}
}

// logAllocLogs logs the batch tasks' stderr on the agents, for a failed
// test.
func logAllocLogs(t *testing.T, agents ...*nomadagent.Agent) {
	for _, a := range agents {
		logs, _ := filepath.Glob(filepath.Join(a.Dir(), "data", "alloc", "*", "alloc", "logs", nomadexec.TaskName+".stderr.0"))
		for _, l := range logs {
			if b, err := os.ReadFile(l); err == nil && len(b) > 0 {
				t.Logf("%s:\n%s", l, b)
			}
		}
	}
}
