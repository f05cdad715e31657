package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The multi-node tests (issue 12) run on a real Nomad server with three
// client agents on this machine, named and host-named as `hpcbridge dev
// --nodes 3` names its nodes (devNodeNames: loopback addresses every node
// reaches), each with the task driver and a dynamic port range of its own.

// envRequireMPI turns a missing MPI (mpicc, mpirun) into a failure; `make
// test` sets it after `make mpi` installed Debian's Open MPI and MPICH.
const envRequireMPI = "HPCBRIDGE_REQUIRE_MPI"

// requireMPI skips the test (fails it under HPCBRIDGE_REQUIRE_MPI=1) when
// one of cmds is not on PATH.
func requireMPI(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			if os.Getenv(envRequireMPI) == "1" {
				t.Fatalf("%s is not installed (make mpi installs Debian's Open MPI and MPICH; required: %s=1)", c, envRequireMPI)
			}
			t.Skipf("%s is not installed (make mpi installs Debian's Open MPI and MPICH)", c)
		}
	}
}

// mnCluster is a coordinator on a Nomad server with client agents.
type mnCluster struct {
	*stack
	server  *nomadagent.Agent
	clients []*nomadagent.Agent
}

// newMultiNodeCluster starts a Nomad server (1 s heartbeats, so a killed
// client is noticed soon), n clients named devNodeNames[:n], each in a UTS
// namespace with its node's name as host name, and one coordinator.
func newMultiNodeCluster(t *testing.T, n int) *mnCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	binDir, plugins := buildTools(t)
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	c := &mnCluster{server: srv}
	for i := range n {
		c.clients = append(c.clients, nomadtest.StartClient(t, srv, nomadagent.Config{
			Name: devNodeNames[i], Hostname: devNodeNames[i], Dir: searchableDir(t), PluginDir: plugins,
			Plugins: []nomadagent.Plugin{driverPlugin()}, Drivers: []string{nomadexec.DriverName},
			DynamicPorts: nomadagent.DynamicPortRange(i, n),
		}))
	}
	c.stack = startStack(t, binDir, plugins, srv)
	t.Cleanup(func() {
		if t.Failed() {
			logAllocLogs(t, c.clients...)
		}
	})
	return c
}

// copyExamples copies files of examples/slurm into the submit directory.
func (st *stack) copyExamples(names ...string) {
	st.t.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(examplesDir(st.t), n))
		if err != nil {
			st.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(st.work, n), b, 0o755); err != nil {
			st.t.Fatal(err)
		}
	}
}

// nodesOf expands a job's node list; an empty or broken one is no nodes.
func nodesOf(list string) []string {
	nodes, err := hostlist.Expand(list)
	if err != nil {
		return nil
	}
	return nodes
}

// jobNodes are an ended job's nodes; a job without a node list fails the
// test (the coordinator records it when every node runs).
func jobNodes(t *testing.T, j *state.Job, want int) []string {
	t.Helper()
	nodes := nodesOf(j.NodeList)
	if len(nodes) != want {
		t.Errorf("job %d ended %s with the node list %q (runs %+v), want %d nodes", j.ID, j.State, j.NodeList, j.Runs, want)
	}
	return nodes
}

// rankLine is "rank R of N on NODE...".
var rankLine = regexp.MustCompile(`(?m)^rank (\d+) of (\d+) on (\S+?):?(?: .*)?$`)

// ranksOn parses the rank lines of an output: rank -> node, and the world
// size every line names.
func ranksOn(t *testing.T, out string) (map[int]string, int) {
	t.Helper()
	ranks := map[int]string{}
	world := -1
	for _, m := range rankLine.FindAllStringSubmatch(out, -1) {
		r, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		if world >= 0 && n != world {
			t.Errorf("ranks disagree on the world size (%d, %d):\n%s", world, n, out)
		}
		world = n
		if _, dup := ranks[r]; dup {
			t.Errorf("rank %d printed twice:\n%s", r, out)
		}
		ranks[r] = m[3]
	}
	return ranks, world
}

// perNode counts ranks by node.
func perNode(ranks map[int]string) map[string]int {
	n := map[string]int{}
	for _, node := range ranks {
		n[node]++
	}
	return n
}

// checkTwoByTwo checks that ranks 0..3 ran, two on each of two distinct
// nodes of the job, and that the output says the ranks summed to 6.
func checkTwoByTwo(t *testing.T, what, out string, job *state.Job) {
	t.Helper()
	ranks, world := ranksOn(t, out)
	by := perNode(ranks)
	nodes := jobNodes(t, job, 2)
	if len(nodes) != 2 {
		nodes = devNodeNames
	}
	if world != 4 || len(ranks) != 4 || len(by) != 2 {
		t.Fatalf("%s: want ranks 0-3 of 4 on 2 nodes, got %v (world %d) on job nodes %q:\n%s", what, ranks, world, job.NodeList, out)
	}
	for node, n := range by {
		if n != 2 || !slices.Contains(nodes, node) {
			t.Errorf("%s: %d ranks on %s, want 2 on each of the job's nodes %v:\n%s", what, n, node, nodes, out)
		}
	}
	if !strings.Contains(out, "sum of ranks: 6\n") {
		t.Errorf("%s: no \"sum of ranks: 6\" (the ranks did not talk):\n%s", what, out)
	}
}

// TestMultiNodeJobs: on a Nomad server with three clients, 2-node jobs run
// as under Slurm: srun starts tasks on both nodes with Slurm's environment;
// the MPI example (a plain `mpirun ./mpi-hello`, Open MPI launching its
// daemons through srun) prints 4 ranks, 2 on each of 2 distinct nodes, and
// so does MPICH's mpiexec (hydra's Slurm launcher); the torchrun-style
// rendezvous meets at the first node's name; sacct lists the steps with
// their node lists; two 2-node jobs on 3 nodes never deadlock; scancel of a
// 2-node job leaves no process on either node.
func TestMultiNodeJobs(t *testing.T) {
	c := newMultiNodeCluster(t, 3)

	t.Run("srun", func(t *testing.T) {
		st := c.on(t).in("srun")
		id := st.sbatch("-N", "2", "--ntasks-per-node=2", "-o", "srun-%j.out", st.script("srun.sh", `#!/bin/bash
echo "nodelist=$SLURM_JOB_NODELIST nnodes=$SLURM_NNODES ntasks=$SLURM_NTASKS tasks_per_node=$SLURM_TASKS_PER_NODE nodeid=$SLURM_NODEID node=$SLURMD_NODENAME host=$(uname -n)"
echo "first=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"
srun -l bash -c 'echo "task procid=$SLURM_PROCID localid=$SLURM_LOCALID nodeid=$SLURM_NODEID node=$SLURMD_NODENAME host=$(uname -n) step=$SLURM_STEP_ID step_nodes=$SLURM_STEP_NODELIST ntasks=$SLURM_STEP_NUM_TASKS"' | sort
`))
		j := st.wait(id, 5*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
		out := st.readFile("srun-" + id + ".out")
		if j.State != state.StateCompleted || j.ExitString() != "0:0" {
			t.Fatalf("job %s: %s %s, want COMPLETED 0:0:\n%s", id, j.State, j.ExitString(), out)
		}
		nodes := jobNodes(t, j, 2)
		if len(nodes) != 2 || !slices.Contains(devNodeNames, nodes[0]) || !slices.Contains(devNodeNames, nodes[1]) || nodes[0] == nodes[1] {
			t.Fatalf("job %s ran on %q, want 2 of %v:\n%s", id, j.NodeList, devNodeNames, out)
		}
		want := fmt.Sprintf("nodelist=%s nnodes=2 ntasks=4 tasks_per_node=2(x2) nodeid=0 node=%s host=%s\nfirst=%s\n", hostlist.Compress(nodes), nodes[0], nodes[0], nodes[0])
		if !strings.HasPrefix(out, want) {
			t.Errorf("the batch script's environment (on the first node):\n%s\nwant it to start with\n%s", out, want)
		}
		for r := range 4 {
			node := nodes[r/2]
			line := fmt.Sprintf("%d: task procid=%d localid=%d nodeid=%d node=%s host=%s step=0 step_nodes=%s ntasks=4\n", r, r, r%2, r/2, node, node, hostlist.Compress(nodes))
			if !strings.Contains(out, line) {
				t.Errorf("no line %q in\n%s", line, out)
			}
		}
	})

	t.Run("mpi-hello.sh (Open MPI)", func(t *testing.T) {
		requireMPI(t, "mpicc", "mpirun")
		st := c.on(t).in("openmpi")
		st.copyExamples("mpi-hello.sh", "mpi-hello.c")
		// Built in the test's set-up; the script would build it too.
		cmd := exec.Command("mpicc", "-O2", "-o", "mpi-hello", "mpi-hello.c")
		cmd.Dir = st.work
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mpicc: %v\n%s", err, b)
		}
		id := st.sbatch("mpi-hello.sh")
		j := st.wait(id, 5*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
		out := st.readOutput("mpi-hello-" + id + ".out")
		if j.State != state.StateCompleted || j.ExitString() != "0:0" || !strings.HasSuffix(out, "mpi done\n") {
			t.Fatalf("job %s: %s %s, want COMPLETED 0:0 ending in \"mpi done\":\n%s", id, j.State, j.ExitString(), out)
		}
		checkTwoByTwo(t, "mpirun ./mpi-hello", out, j)
		if !strings.Contains(out, "nodes: "+j.NodeList+"\n") {
			t.Errorf("no \"nodes: %s\" line:\n%s", j.NodeList, out)
		}
	})

	t.Run("mpiexec (MPICH, hydra's Slurm launcher)", func(t *testing.T) {
		requireMPI(t, "mpicc.mpich", "mpiexec.mpich")
		st := c.on(t).in("mpich")
		st.copyExamples("mpi-hello.c")
		cmd := exec.Command("mpicc.mpich", "-O2", "-o", "mpi-hello-mpich", "mpi-hello.c")
		cmd.Dir = st.work
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mpicc.mpich: %v\n%s", err, b)
		}
		id := st.sbatch("-N", "2", "--ntasks-per-node=2", "-o", "mpich-%j.out", st.script("mpich.sh", "#!/bin/bash\nmpiexec.mpich ./mpi-hello-mpich\n"))
		j := st.wait(id, 5*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
		out := st.readOutput("mpich-" + id + ".out")
		if j.State != state.StateCompleted || j.ExitString() != "0:0" {
			t.Fatalf("job %s: %s %s, want COMPLETED 0:0:\n%s", id, j.State, j.ExitString(), out)
		}
		checkTwoByTwo(t, "mpiexec.mpich ./mpi-hello-mpich", out, j)
	})

	t.Run("rendezvous.sh and sacct's steps", func(t *testing.T) {
		st := c.on(t).in("rendezvous")
		st.copyExamples("rendezvous.sh", "rendezvous.py")
		id := st.sbatch("rendezvous.sh")
		j := st.wait(id, 5*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
		out := st.readOutput("rendezvous-" + id + ".out")
		if j.State != state.StateCompleted || j.ExitString() != "0:0" {
			t.Fatalf("job %s: %s %s, want COMPLETED 0:0:\n%s", id, j.State, j.ExitString(), out)
		}
		nodes := jobNodes(t, j, 2)
		if len(nodes) != 2 {
			t.Fatalf("job %s ran on %q, want 2 nodes:\n%s", id, j.NodeList, out)
		}
		id64, _ := strconv.Atoi(id)
		met := fmt.Sprintf("met rank 0 on %s, rank 1 on %s\n", nodes[0], nodes[1])
		want := fmt.Sprintf("nodes: %s\nmaster: %s:%d\nrank 0 of 2 on %s: %srank 1 of 2 on %s: %srendezvous done\n",
			j.NodeList, nodes[0], 10000+id64%10000, nodes[0], met, nodes[1], met)
		if out != want {
			t.Errorf("rendezvous-%s.out:\n%s\nwant\n%s", id, out, want)
		}

		// sacct: the job, its batch step on the first node, the srun step
		// on both, as Slurm lists them (step records reach the coordinator
		// after the job's end at the latest).
		st.wait(id, time.Minute, "with its step 0 ended", func(j *state.Job) bool {
			return len(j.Steps) == 1 && j.Steps[0].Ended()
		})
		acct := st.must("sacct", "-j", id, "-n", "-P", "--format=JobID,NodeList,NNodes,NTasks,State,ExitCode")
		for _, line := range []string{
			fmt.Sprintf("%s|%s|2||COMPLETED|0:0", id, j.NodeList),
			fmt.Sprintf("%s.batch|%s|1|1|COMPLETED|0:0", id, nodes[0]),
			fmt.Sprintf("%s.0|%s|2|2|COMPLETED|0:0", id, j.NodeList),
		} {
			if !slices.Contains(strings.Split(strings.TrimSpace(acct), "\n"), line) {
				t.Errorf("sacct -j %s lacks the line %q:\n%s", id, line, acct)
			}
		}
	})

	t.Run("two 2-node jobs on 3 nodes never deadlock", func(t *testing.T) {
		st := c.on(t).in("deadlock")
		script := st.script("hold.sh", `#!/bin/bash
echo "started on $SLURM_JOB_NODELIST"
while [ ! -e "release-$SLURM_JOB_ID" ]; do sleep 0.1; done
srun -l uname -n | sort
echo released
`)
		// Both at once, as two users would; --exclusive, so that the
		// two cannot share a node (each client offers the whole machine).
		ids := make([]string, 2)
		outs := make([]string, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				outs[i], errs[i] = st.run("sbatch", "--parsable", "-N", "2", "--exclusive", "--ntasks-per-node=1", "-o", "hold-%j.out", script)
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil {
				t.Fatalf("sbatch: %v\n%s", errs[i], outs[i])
			}
			ids[i], _, _ = strings.Cut(strings.TrimSpace(outs[i]), ";")
		}
		var running, pending string
		eventually(t, "one job RUNNING on 2 nodes, the other PENDING", 5*time.Minute, func() error {
			running, pending = "", ""
			for _, id := range ids {
				j, _, err := st.api.Job(t.Context(), id, nil)
				if err != nil {
					return err
				}
				switch {
				case j.State == state.StateRunning && len(nodesOf(j.NodeList)) == 2 && strings.Contains(st.readOutput("hold-"+id+".out"), "started on "):
					running = id
				case j.State == state.StatePending:
					pending = id
				}
			}
			if running == "" || pending == "" {
				return fmt.Errorf("running %q, pending %q", running, pending)
			}
			return nil
		})
		// The pending job holds nothing: no Nomad allocation of it that
		// runs or waits to, the whole time the other runs (3 s looked at).
		watch := time.NewTicker(200 * time.Millisecond)
		defer watch.Stop()
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); <-watch.C {
			if held := liveAllocs(t, c.server.API(), pending); len(held) > 0 {
				t.Fatalf("job %s is PENDING but holds allocations: %s", pending, held)
			}
			j, _, err := st.api.Job(t.Context(), pending, nil)
			if err != nil || j.State != state.StatePending {
				t.Fatalf("job %s left PENDING while %s runs on 2 of 3 nodes: %+v %v", pending, running, j, err)
			}
		}
		if j, _, err := st.api.Job(t.Context(), pending, nil); err == nil && j.Reason != "Resources" {
			t.Errorf("pending job %s: reason %q, want Resources", pending, j.Reason)
		}
		st.release(running)
		st.wait(pending, 5*time.Minute, "RUNNING on 2 nodes", func(j *state.Job) bool {
			return j.State == state.StateRunning && len(nodesOf(j.NodeList)) == 2
		})
		st.release(pending)
		for _, id := range ids {
			j := st.wait(id, 3*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
			out := st.readOutput("hold-" + id + ".out")
			if j.State != state.StateCompleted || !strings.HasSuffix(out, "released\n") {
				t.Errorf("job %s: %s %s, want COMPLETED:\n%s", id, j.State, j.ExitString(), out)
			}
		}
	})

	t.Run("scancel leaves no process on either node", func(t *testing.T) {
		st := c.on(t).in("scancel")
		marker := fmt.Sprintf("hpcbridge-e2e-mn-%d", time.Now().UnixNano())
		id := st.sbatch("-N", "2", "--ntasks-per-node=1", "-o", "cancel-%j.out", st.script("cancel.sh", `#!/bin/bash
srun bash -c 'echo "task $SLURM_PROCID on $(uname -n)"; exec -a `+marker+`-task sleep 600' &
exec -a `+marker+`-batch sleep 600
`))
		st.wait(id, 5*time.Minute, "RUNNING", func(j *state.Job) bool { return j.State == state.StateRunning })
		var before []markedProc
		eventually(t, "the batch process and a task on each node", 2*time.Minute, func() error {
			before = markedProcs(marker)
			hosts := map[string]bool{}
			batch := 0
			for _, p := range before {
				if strings.HasSuffix(p.argv0, "-batch") {
					batch++
				} else {
					hosts[p.uts] = true
				}
			}
			if batch != 1 || len(hosts) != 2 {
				return fmt.Errorf("%d batch processes, tasks on %v: %+v", batch, hosts, before)
			}
			return nil
		})
		st.must("scancel", id)
		j := st.wait(id, 2*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
		if j.State != state.StateCancelled {
			t.Errorf("job %s: %s after scancel", id, j.State)
		}
		eventually(t, "no process of the job left on either node", time.Minute, func() error {
			if left := markedProcs(marker); len(left) > 0 {
				return fmt.Errorf("left: %+v", left)
			}
			return nil
		})
		if held := liveAllocs(t, c.server.API(), id); len(held) > 0 {
			t.Errorf("job %s cancelled, but allocations live on: %s", id, held)
		}
	})
}

// TestMultiNodeNodeFail: the client under the second node of a running,
// requeueable 2-node job is killed; the job's run ends NODE_FAIL, the
// allocation on the other node is stopped, and the job is requeued and
// completes on the two nodes left.
func TestMultiNodeNodeFail(t *testing.T) {
	c := newMultiNodeCluster(t, 3)
	st := c.in("nodefail")
	id := st.sbatch("-N", "2", "--ntasks-per-node=1", "--requeue", "-o", "nodefail-%j.out", st.script("nodefail.sh", `#!/bin/bash
echo "run ${SLURM_RESTART_COUNT:-0} on $SLURM_JOB_NODELIST"
srun -l uname -n | sort
if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	srun sleep 600
fi
echo finished
`))
	first := st.wait(id, 5*time.Minute, "RUNNING on 2 nodes", func(j *state.Job) bool {
		return j.State == state.StateRunning && len(nodesOf(j.NodeList)) == 2
	})
	nodes := nodesOf(first.NodeList)
	eventually(t, "the first run's srun on both nodes", 2*time.Minute, func() error {
		out := st.readOutput("nodefail-" + id + ".out")
		if !strings.Contains(out, "0: "+nodes[0]+"\n1: "+nodes[1]+"\n") {
			return fmt.Errorf("output %q", out)
		}
		return nil
	})
	var victim *nomadagent.Agent
	var survivors []string
	for _, a := range c.clients {
		if a.Name() == nodes[1] {
			victim = a
		} else {
			survivors = append(survivors, a.Name())
		}
	}
	if victim == nil {
		t.Fatalf("job %s runs on %v, which are not the clients", id, nodes)
	}
	victim.Kill()

	j := st.wait(id, 5*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
	sort.Strings(survivors)
	if j.State != state.StateCompleted || j.ExitString() != "0:0" || j.RestartCount != 1 || j.NodeList != hostlist.Compress(survivors) {
		t.Errorf("job %s: %s %s, restarts %d, on %q; want COMPLETED 0:0 after 1 restart on %v", id, j.State, j.ExitString(), j.RestartCount, j.NodeList, survivors)
	}
	if len(j.Runs) != 1 || j.Runs[0].State != state.StateNodeFail || j.Runs[0].NodeList != first.NodeList {
		t.Errorf("job %s's earlier runs: %+v, want one NODE_FAIL run on %s", id, j.Runs, first.NodeList)
	}
	out := st.readOutput("nodefail-" + id + ".out")
	if !strings.HasSuffix(out, "finished\n") || !strings.Contains(out, "run 1 on "+hostlist.Compress(survivors)+"\n") {
		t.Errorf("nodefail-%s.out:\n%s", id, out)
	}
	// The first run's allocation on the surviving node was stopped.
	allocs, _, err := c.server.API().Jobs().Allocations(nomadexec.JobPrefix+id, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range allocs {
		if a.NodeID != victim.NodeID() && (a.ClientStatus == nomadapi.AllocClientStatusRunning || a.ClientStatus == nomadapi.AllocClientStatusPending) {
			t.Errorf("the failed run's allocation %s on %s is still %s", a.ID, a.NodeName, a.ClientStatus)
		}
	}
}

// liveAllocs describes the allocations of hpcbridge job id's Nomad jobs
// (every run's) that run or wait to.
func liveAllocs(t *testing.T, nc *nomadapi.Client, id string) string {
	t.Helper()
	jobs, _, err := nc.Jobs().List(&nomadapi.QueryOptions{Prefix: nomadexec.JobPrefix + id})
	if err != nil {
		t.Fatal(err)
	}
	var live []string
	for _, nj := range jobs {
		if nj.ID != nomadexec.JobPrefix+id && !strings.HasPrefix(nj.ID, nomadexec.JobPrefix+id+"-") {
			continue
		}
		allocs, _, err := nc.Jobs().Allocations(nj.ID, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range allocs {
			if a.DesiredStatus == nomadapi.AllocDesiredStatusRun &&
				(a.ClientStatus == nomadapi.AllocClientStatusRunning || a.ClientStatus == nomadapi.AllocClientStatusPending) {
				live = append(live, fmt.Sprintf("%s %s on %s", nj.ID, a.ClientStatus, a.NodeName))
			}
		}
	}
	return strings.Join(live, ", ")
}

// markedProc is a process whose argv[0] starts with a test's marker, and
// its UTS namespace (its node's, under these tests).
type markedProc struct {
	pid   int
	argv0 string
	uts   string
}

// markedProcs lists the live processes whose argv[0] starts with marker.
func markedProcs(marker string) []markedProc {
	ents, _ := os.ReadDir("/proc")
	var out []markedProc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv0, _, _ := bytes.Cut(b, []byte{0})
		if !bytes.HasPrefix(argv0, []byte(marker)) {
			continue
		}
		if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && strings.Contains(string(st), ") Z ") {
			continue // a zombie: ended, not yet reaped
		}
		uts := "?"
		if ns, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "uts")); err == nil {
			uts = ns
		}
		out = append(out, markedProc{pid: pid, argv0: string(argv0), uts: uts})
	}
	return out
}
