package taskdriver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/stepnet"
	"github.com/hpcbridge/hpcbridge/internal/taskspec"
)

// freePort picks a free TCP port on the loopback address.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// randomKey is a step key as the coordinator makes one (64 hex digits).
func randomKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// mnNode is one "node" of a multi-node job under test: a task of its own,
// with its node name and step port.
type mnNode struct {
	name string
	port int
	j    *job
}

// newMultiNodeJob makes one task per node name, all of one job, each with
// a step port of its own on 127.0.0.1, and writes what Nomad's templates
// would render into each task's secrets directory (root's files, 0600):
// the step key and the peers list, one line per node. The test writes
// them, as Nomad's client would; nothing else stands in for Nomad here.
func newMultiNodeJob(t *testing.T, td *testDriver, script, key string, env map[string]string, names ...string) []*mnNode {
	t.Helper()
	var nodes []*mnNode
	var peers strings.Builder
	for _, name := range names {
		tc := TaskConfig{Script: script, Nodes: len(names), NTasks: 4, NTasksPerNode: 2}
		j := td.newJob(t, tc, env)
		j.cfg.NodeName = name
		n := &mnNode{name: name, port: freePort(t), j: j}
		j.cfg.Resources.Ports = &structs.AllocatedPorts{{Label: taskspec.StepPortLabel, Value: n.port, HostIP: "127.0.0.1"}}
		fmt.Fprintf(&peers, "%s 127.0.0.1 %d %s\n", name, n.port, j.cfg.AllocID)
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		dir := n.j.cfg.TaskDir().SecretsDir
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for file, body := range map[string]string{jobdir.KeyFile: key, jobdir.PeersFile: peers.String()} {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return nodes
}

// mnScript is the batch script of the two-node test (it runs on n1).
const mnScript = `#!/bin/bash
echo "job $SLURM_JOB_NODELIST $SLURM_NODELIST $SLURM_NNODES $SLURM_JOB_NUM_NODES $SLURM_NODEID $SLURM_TASKS_PER_NODE $SLURMD_NODENAME uid=$(id -u)"
srun -l -N2 -n4 bash -c 'echo "env $SLURM_PROCID $SLURM_LOCALID $SLURM_NODEID $SLURMD_NODENAME $SLURM_STEP_NODELIST $SLURM_STEP_NUM_NODES $SLURM_STEP_NUM_TASKS $SLURM_STEP_TASKS_PER_NODE $SLURM_TASKS_PER_NODE $SLURM_GTIDS $SLURM_STEP_ID $SLURM_JOB_NODELIST $SLURM_NNODES uid=$(id -u)"'
echo "rc1=$?"
srun -N2 -n2 bash -c 'exit $((SLURM_PROCID + 2))'
echo "rc2=$?"
srun -K -N2 -n2 bash -c 'if [ "$SLURM_PROCID" = 1 ]; then exit 5; fi; sleep 300'
echo "rc3=$?"
for i in 1 2 3 4 5; do srun -N2 -n4 true || echo "fast step failed: $?"; done
head -c 2000000 /dev/zero | srun -K -N2 -n2 bash -c 'if [ "$SLURM_PROCID" = 1 ]; then exit 4; fi; sleep 300'
echo "rc5=$?"
echo hello | srun -N2 -n2 bash -c 'read -t 10 x; echo "in $SLURM_PROCID ${x:-nothing}"'
srun -N2 -n2 -i 1 bash -c 'read -t 10 x; echo "one $SLURM_PROCID ${x:-nothing}"' <<< "only"
srun -N2 -n2 bash -c 'echo $$ > "$SHARED/pid.$SLURM_PROCID"; exec sleep 300' &
sp=$!
for i in $(seq 300); do [ -s "$SHARED/pid.0" ] && [ -s "$SHARED/pid.1" ] && break; sleep 0.1; done
kill -9 $sp; wait $sp 2>/dev/null
for i in $(seq 300); do
  alive=""
  for r in 0 1; do p=$(cat "$SHARED/pid.$r"); [ -e /proc/$p ] && alive="$alive $r"; done
  [ -z "$alive" ] && break; sleep 0.1
done
echo "left after srun was killed:${alive:- none}"
srun -N2 -n2 -o "$SHARED/out-%t-%n-%N.txt" bash -c 'echo "file $SLURM_PROCID"'
cat "$SHARED/out-0-0-n1.txt" "$SHARED/out-1-1-n2.txt"
printf '0 echo prog-a %%t\n1 echo prog-b %%t %%o\n' > "$SHARED/multi.conf"
srun -N2 -n2 -l --multi-prog "$SHARED/multi.conf"
srun -N2 -n2 --export=NONE,ONLY=1 /bin/bash -c 'echo "export $SLURM_PROCID ${ONLY:-} ${SHARED:-unset}"'
echo ready > "$EVENTS"
read x < "$CONTROL"
srun -N2 -n2 bash -c 'trap "echo usr1 \$SLURM_PROCID; exit 7" USR1; echo up > "$EVENTS"; while :; do sleep 0.1; done' &
pid=$!
read x < "$CONTROL"
kill -USR1 $pid
wait $pid
echo "rc4=$?"
`

// TestMultiNodeSteps runs a two-node job on one machine: two tasks of one
// driver, nodes n1 and n2, each with its step port. n1 runs the script;
// its srun steps run tasks on both nodes, each as its own node's pool uid.
func TestMultiNodeSteps(t *testing.T) {
	t.Run("pool", func(t *testing.T) {
		multiNodeSteps(t, Config{RunAs: RunAsPool, PoolUIDs: "62970-62973", PoolDir: filepath.Join(t.TempDir(), "pool")}, 62970, 62973)
	})
	// Donor nodes' sandboxes: every step task, each node's stepd starts
	// it through the trampoline, runs in one (the test's fifos and shared
	// directory bound in, as a test-only setting).
	t.Run("sandbox", func(t *testing.T) {
		multiNodeSteps(t, sandboxConfig(t, true, "", "60232-60235"), 60232, 60235)
	})
}

func multiNodeSteps(t *testing.T, conf Config, first, last int) {
	td := newTestDriver(t, conf)
	ev := newEvents(t)
	shared := sharedDir(t)
	td.d.testBinds = []string{filepath.Dir(ev.path), shared}
	env := ev.env(map[string]string{
		"SLURM_JOB_ID": "77", "SLURM_JOBID": "77", "SLURM_JOB_NAME": "mn", "SLURM_JOB_USER": "alice",
		"SLURM_NTASKS": "4", "SLURM_NPROCS": "4", "SLURM_NTASKS_PER_NODE": "2",
		"SLURM_NNODES": "2", "SLURM_JOB_NUM_NODES": "2", "SHARED": shared,
	})
	key := randomKey(t)
	nodes := newMultiNodeJob(t, td, mnScript, key, env, "n2", "n1")
	n2, n1 := nodes[0], nodes[1]
	ev.job = n1.j
	roles := watchRoleEvents(t, td, n1.j.cfg.ID, n2.j.cfg.ID)
	ch2 := n2.j.start()
	ch1 := n1.j.start()

	ev.expect(1, "ready")
	checkStepAuth(t, key, n1.port, n2.port)
	ev.send("go")
	ev.expect(2, "up")
	ev.send("signal")
	res := n1.j.wait(ch1)
	if res.ExitCode != 0 || res.Signal != 0 {
		t.Errorf("batch node: %s\n%s", describe(res), n1.j.describe())
	}
	if err := td.StopTask(n2.j.cfg.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if res := n2.j.wait(ch2); res.Err != nil {
		t.Errorf("step node: %s", describe(res))
	}
	out := n1.j.file(filepath.Join(n1.j.taskDir(), "slurm-77.out"))
	t.Logf("output:\n%s", out)
	// Each node's tasks run as that node's pool uid (the batch shell's on
	// n1, the other lease on n2).
	m := regexp.MustCompile(`(?m)^job .* uid=(\d+)$`).FindStringSubmatch(out)
	m2 := regexp.MustCompile(`(?m)^2: env .* uid=(\d+)$`).FindStringSubmatch(out)
	if m == nil || m2 == nil {
		t.Fatal("no uids in the output")
	}
	uid1, _ := strconv.Atoi(m[1])
	uid2, _ := strconv.Atoi(m2[1])
	if uid1 == uid2 || uid1 < first || uid1 > last || uid2 < first || uid2 > last {
		t.Fatalf("n1 runs as uid %d, n2 as uid %d: want two distinct pool uids", uid1, uid2)
	}
	mustNotContain(t, "output", out, "Node failure", "chdir", "fast step failed")
	mustContain(t, "output", out,
		fmt.Sprintf("job n[1-2] n[1-2] 2 2 0 2(x2) n1 uid=%d\n", uid1),
		fmt.Sprintf("0: env 0 0 0 n1 n[1-2] 2 4 2(x2) 2(x2) 0,1 0 n[1-2] 2 uid=%d\n", uid1),
		fmt.Sprintf("1: env 1 1 0 n1 n[1-2] 2 4 2(x2) 2(x2) 0,1 0 n[1-2] 2 uid=%d\n", uid1),
		fmt.Sprintf("2: env 2 0 1 n2 n[1-2] 2 4 2(x2) 2(x2) 2,3 0 n[1-2] 2 uid=%d\n", uid2),
		fmt.Sprintf("3: env 3 1 1 n2 n[1-2] 2 4 2(x2) 2(x2) 2,3 0 n[1-2] 2 uid=%d\n", uid2),
		"rc1=0\n",
		"srun: error: n1: task 0: Exited with exit code 2\n",
		"srun: error: n2: task 1: Exited with exit code 3\n",
		"rc2=3\n",
		"srun: error: n2: task 1: Exited with exit code 5\n",
		"rc3=137\n",
		"rc5=137\n",                    // stdin no task reads does not hold up -K's kill
		"in 0 hello\n", "in 1 hello\n", // --input=all, Slurm's default
		"one 0 nothing\n", "one 1 only\n",
		"left after srun was killed: none\n", // each node's stepd killed its tasks
		"file 0\nfile 1\n", "0: prog-a 0\n", "1: prog-b 1 0\n", "export 0 1 unset\n", "export 1 1 unset\n",
		"usr1 0\n", "usr1 1\n", "rc4=7\n",
	)
	checkRoles(t, n1, n2)
	got := roles()
	for id, want := range map[string]string{n1.j.cfg.ID: "batch n[1-2]", n2.j.cfg.ID: "node n[1-2]"} {
		if got[id] != want {
			t.Errorf("role event of task %s: %q, want %q", id, got[id], want)
		}
	}
	checkStepRecords(t, n1.j)
}

// watchRoleEvents collects the role task events of the given tasks; the
// returned function waits for one per task (bounded) and returns them as
// "role nodes" by task id.
func watchRoleEvents(t *testing.T, td *testDriver, ids ...string) func() map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events, err := td.TaskEvents(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	got := map[string]string{}
	all := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-events:
				if e == nil || e.Annotations[AnnotationRole] == "" || !slices.Contains(ids, e.TaskID) {
					continue
				}
				got[e.TaskID] = e.Annotations[AnnotationRole] + " " + e.Annotations[AnnotationNodes]
				if len(got) == len(ids) {
					close(all)
					return
				}
			}
		}
	}()
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return func() map[string]string {
		select {
		case <-all:
		case <-time.After(taskWait):
		}
		stop()
		return got
	}
}

// checkStepAuth: the step services answer the job's key only. A process
// with another key (another job's task) or without a certificate, or
// speaking plain TCP, is refused before it can send anything.
func checkStepAuth(t *testing.T, key string, ports ...int) {
	t.Helper()
	ctx := context.Background()
	raw, _ := hex.DecodeString(key)
	good, err := stepnet.NewAuth(raw)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := hex.DecodeString(randomKey(t))
	bad, err := stepnet.NewAuth(other)
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range ports {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if _, err := stepnet.Ping(ctx, good, addr); err != nil {
			t.Errorf("%s: ping with the job's key: %v", addr, err)
		}
		if p, err := stepnet.Ping(ctx, bad, addr); err == nil {
			t.Errorf("%s: a ping with another job's key was answered: %+v", addr, p)
		}
		// TLS 1.3 without a client certificate: the server refuses it.
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}) //nolint:gosec // the attacker's side
		if err == nil {
			_ = stepnet.NewConn(c).Write(stepnet.KindPing, 0, nil)
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if f, err := stepnet.ReadFrame(c); err == nil {
				t.Errorf("%s: a client without a certificate got frame kind %d", addr, f.Kind)
			}
			c.Close()
		}
		// Plain TCP: a launch frame in the clear gets nothing back.
		pc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = stepnet.NewConn(pc).WriteJSON(stepnet.KindLaunch, 0, stepnet.Launch{Job: "77",
			Tasks: []stepnet.Task{{Argv: []string{"/bin/touch", "/tmp/hpcbridge-mn-pwned"}}}})
		_ = pc.SetReadDeadline(time.Now().Add(15 * time.Second))
		if f, err := stepnet.ReadFrame(pc); err == nil {
			t.Errorf("%s: a plain TCP client got frame kind %d", addr, f.Kind)
		}
		pc.Close()
	}
	if _, err := os.Stat("/tmp/hpcbridge-mn-pwned"); err == nil {
		t.Error("an unauthenticated launch ran")
	}
}

// checkRoles: n1 (first in hostlist order) took the batch role, n2 the
// node role, both with the job's node list.
func checkRoles(t *testing.T, n1, n2 *mnNode) {
	t.Helper()
	for _, c := range []struct {
		n    *mnNode
		role string
	}{{n1, "batch"}, {n2, "node"}} {
		var r jobdir.Role
		if err := jobdir.ReadJSON(c.n.j.td.layoutOf(c.n.j).RoleFile(), &r); err != nil {
			t.Errorf("%s: %v", c.n.name, err)
			continue
		}
		if r.Role != c.role || r.Nodes != "n[1-2]" {
			t.Errorf("%s: role %+v, want %s on n[1-2]", c.n.name, r, c.role)
		}
	}
}

// layoutOf is a job's driver files.
func (td *testDriver) layoutOf(j *job) jobdir.Layout { return jobdir.Layout{TaskDir: j.taskDir()} }

// checkStepRecords: srun wrote the contract's start and end records.
func checkStepRecords(t *testing.T, j *job) {
	t.Helper()
	dir := j.td.layoutOf(j).StepsDir()
	want := map[string]*regexp.Regexp{
		"0.start.json": regexp.MustCompile(`^\{"id":0,"name":"bash","nodelist":"n\[1-2\]","nnodes":2,"ntasks":4,"start":\d+\}$`),
		"0.end.json":   regexp.MustCompile(`^\{"id":0,"end":\d+,"state":"COMPLETED","exit":0,"signal":0\}$`),
		"1.end.json":   regexp.MustCompile(`^\{"id":1,"end":\d+,"state":"FAILED","exit":3,"signal":0\}$`),
		"2.end.json":   regexp.MustCompile(`^\{"id":2,"end":\d+,"state":"CANCELLED","exit":0,"signal":9\}$`),
	}
	for name, re := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("step record: %v", err)
			continue
		}
		if !re.Match(b) {
			t.Errorf("%s: %s, want %s", name, b, re)
		}
	}
}

// TestMultiNodeOpenMPI: Debian's Open MPI mpirun, run plainly in a
// two-node job, finds the allocation in the environment and starts its
// orted daemons through srun (--ntasks-per-node=1 --kill-on-bad-exit
// --nodes=N --nodelist=... --ntasks=N orted ...); the four ranks meet. The
// two "nodes" share this machine's host name here, so Open MPI's shared
// memory transport is left out (OMPI_MCA_btl=self,tcp); hpcbridge dev gives
// each node a host name of its own.
func TestMultiNodeOpenMPI(t *testing.T) {
	mpicc, err := exec.LookPath("mpicc")
	if err != nil {
		t.Skip("no mpicc (apt-get install openmpi-bin libopenmpi-dev)")
	}
	td := newTestDriver(t, Config{RunAs: RunAsPool, PoolUIDs: "62974-62977", PoolDir: filepath.Join(t.TempDir(), "pool")})
	dir := sharedDir(t)
	hello := filepath.Join(dir, "mpi-hello")
	if out, err := exec.Command(mpicc, "-O2", "-o", hello, "../../examples/slurm/mpi-hello.c").CombinedOutput(); err != nil {
		t.Fatalf("mpicc: %v\n%s", err, out)
	}
	env := map[string]string{
		"SLURM_JOB_ID": "78", "SLURM_JOBID": "78", "SLURM_JOB_NAME": "mpi", "SLURM_JOB_USER": "alice",
		"SLURM_NTASKS": "4", "SLURM_NPROCS": "4", "SLURM_NTASKS_PER_NODE": "2",
		"SLURM_NNODES": "2", "SLURM_JOB_NUM_NODES": "2",
		"OMPI_MCA_btl": "self,tcp", "OMPI_MCA_btl_tcp_if_include": "lo", "OMPI_MCA_oob_tcp_if_include": "lo",
	}
	script := "#!/bin/bash\nmpirun " + hello + " | sort\necho \"mpirun=${PIPESTATUS[0]}\"\n"
	nodes := newMultiNodeJob(t, td, script, randomKey(t), env, "n1", "n2")
	n1, n2 := nodes[0], nodes[1]
	ch2 := n2.j.start()
	res := n1.j.run()
	out := n1.j.file(filepath.Join(n1.j.taskDir(), "slurm-78.out"))
	t.Logf("output:\n%s", out)
	if err := td.StopTask(n2.j.cfg.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	n2.j.wait(ch2)
	if res.ExitCode != 0 {
		t.Errorf("batch node: %s", describe(res))
	}
	mustContain(t, "output", out, "rank 0 of 4", "rank 1 of 4", "rank 2 of 4", "rank 3 of 4", "sum of ranks: 6", "mpirun=0")
	// The daemons went through srun, to n2 at least (Open MPI starts none
	// on the node it takes for its own).
	rec, err := os.ReadFile(filepath.Join(td.layoutOf(n1.j).StepsDir(), "0.start.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("orted step: %s", rec)
	if !regexp.MustCompile(`"name":"orted","nodelist":"(n2|n\[1-2\])"`).Match(rec) {
		t.Errorf("orted step record %s: want orted on n2", rec)
	}
}

// TestMultiNodeShortJobNodeRole: the node-role instance of a job that
// ends before that node's own wait for its peers did (Nomad's template
// listed the other node there a moment after the batch node was done, as
// on a real cluster) still reports its role when it is stopped: the
// coordinator stops it once the batch ends. The e2e showed no node role
// event for short 2-node jobs.
func TestMultiNodeShortJobNodeRole(t *testing.T) {
	td := newTestDriver(t, Config{})
	env := map[string]string{"SLURM_JOB_ID": "80", "SLURM_NTASKS": "2", "SLURM_NNODES": "2"}
	nodes := newMultiNodeJob(t, td, "#!/bin/sh\nexit 0\n", randomKey(t), env, "n1", "n2")
	n1, n2 := nodes[0], nodes[1]
	// n2's template has rendered only n2 so far; n1's lists both.
	peers := filepath.Join(n2.j.cfg.TaskDir().SecretsDir, jobdir.PeersFile)
	full, err := os.ReadFile(peers)
	if err != nil {
		t.Fatal(err)
	}
	own := fmt.Sprintf("n2 127.0.0.1 %d %s\n", n2.port, n2.j.cfg.AllocID)
	if err := os.WriteFile(peers, []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	roles := watchRoleEvents(t, td, n1.j.cfg.ID, n2.j.cfg.ID)
	ch2 := n2.j.start()
	ch1 := n1.j.start()
	if res := n1.j.wait(ch1); res.ExitCode != 0 {
		_, stderr := n1.j.logs.collect()
		t.Fatalf("batch node: %s; stepd said:\n%s", describe(res), stderr)
	}
	// The template catches up, and the coordinator stops n2 at once.
	if err := os.WriteFile(peers, full, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := td.StopTask(n2.j.cfg.ID, 30*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if res := n2.j.wait(ch2); res.ExitCode != 0 || res.Signal != 0 {
		_, stderr := n2.j.logs.collect()
		t.Errorf("node n2 stopped: %s, want exit 0; stepd said:\n%s", describe(res), stderr)
	}
	got := roles()
	for id, want := range map[string]string{n1.j.cfg.ID: "batch n[1-2]", n2.j.cfg.ID: "node n[1-2]"} {
		if got[id] != want {
			t.Errorf("role event of task %s: %q, want %q", id, got[id], want)
		}
	}
}

// TestMultiNodeStoppedWhileWaiting: a node whose peers never all register
// (a partial placement the coordinator gives back) ends at once when
// stopped, by itself, without the executor's kill.
func TestMultiNodeStoppedWhileWaiting(t *testing.T) {
	td := newTestDriver(t, Config{})
	env := map[string]string{"SLURM_JOB_ID": "79", "SLURM_NTASKS": "2", "SLURM_NNODES": "2"}
	nodes := newMultiNodeJob(t, td, "#!/bin/sh\necho never\n", randomKey(t), env, "n1")
	j := nodes[0].j
	// The test's one node of two: the peers list stays one short.
	var tc TaskConfig
	if err := j.cfg.DecodeDriverConfig(&tc); err != nil {
		t.Fatal(err)
	}
	tc.Nodes = 2
	if err := j.cfg.EncodeConcreteDriverConfig(&tc); err != nil {
		t.Fatal(err)
	}
	ch := j.start()
	role := td.layoutOf(j).RoleFile()
	if err := td.StopTask(j.cfg.ID, 30*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := j.wait(ch)
	if res.Signal != 0 || res.ExitCode != 0 || time.Since(start) > 20*time.Second {
		_, stderr := j.logs.collect()
		t.Errorf("stopped while waiting: %s after %s, want exit 0 at once; stepd said:\n%s", describe(res), time.Since(start), stderr)
	}
	if _, err := os.Stat(role); err == nil {
		t.Error("a node without all its peers took a role")
	}
}
