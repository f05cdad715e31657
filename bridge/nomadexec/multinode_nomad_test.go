package nomadexec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// mnScript is what each instance of a multi-node test run does, as a
// raw_exec task under the executor's job shape (the task driver is not
// needed to show the coordinator's side): it waits for the peers file
// (rendered by Nomad from the step service) to list both nodes, keeps a
// copy of it and of the step key's length, and then, on the node whose
// name sorts first (the batch node), waits for the test's go file and
// exits 3; the other instance serves until stopped. A run whose Nomad
// job id has no "-r" on node n1 with a "hold" file blocks in a prestart
// task (a partial placement).
const mnScript = `me="${node.unique.name}"
peers="$NOMAD_SECRETS_DIR/hpcbridge-peers"
while [ "$(wc -l < "$peers")" -lt 2 ]; do sleep 0.1; done
cp "$peers" "$OUT/$NOMAD_JOB_ID.$me.peers"
wc -c < "$NOMAD_SECRETS_DIR/hpcbridge-step.key" > "$OUT/$NOMAD_JOB_ID.$me.keylen"
first=$(cut -d' ' -f1 "$peers" | sort | head -n 1)
if [ "$me" = "$first" ]; then
	while [ ! -e "$OUT/$NOMAD_JOB_ID.go" ]; do sleep 0.1; done
	exit 3
fi
exec sleep 600
`

// TestMultiNodeOnNomad: on a real Nomad server with three clients, the
// coordinator's scheduler and executor run 2-node jobs all or nothing:
//   - two 2-node jobs: one runs (RUNNING once both allocations run, its
//     node list the two nodes), the other waits PENDING (Resources),
//     never registered with Nomad (holding nothing), and runs when the
//     first ends; each run's step key is in its Nomad Variable (64 hex
//     digits in the task's secrets) and the peers file lists both nodes;
//     the run's exit code is the batch node's (3), the other allocation is
//     stopped and the key deleted;
//   - a client killed under a running 2-node job: NODE_FAIL, the other
//     allocation stopped, the job requeued and run again on the two nodes
//     left;
//   - a partial placement (one allocation held in a prestart task) is given
//     back after the bound: Nomad job stopped, PENDING (Resources), and
//     the next run starts.
func TestMultiNodeOnNomad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four Nomad agents: skipped with -short")
	}
	nomadtest.Require(t)
	out := t.TempDir()
	if err := os.Chmod(out, 0o777); err != nil {
		t.Fatal(err)
	}
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	clients := map[string]*nomadagent.Agent{}
	for i, name := range []string{"n1", "n2", "n3"} {
		clients[name] = nomadtest.StartClient(t, srv, nomadagent.Config{Name: name, Drivers: []string{"raw_exec"},
			DynamicPorts: nomadagent.DynamicPortRange(i, 3),
			Plugins:      []nomadagent.Plugin{{Name: "raw_exec", Config: map[string]any{"enabled": true}}}})
	}
	nc := srv.API()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	store := state.New()
	raft := &directRaft{store: store}
	apply := raft.applier(ctx, t)
	submitArgs := func(name string, args ...string) uint64 {
		sub := parse(t, "#!/bin/sh\n#SBATCH -N 2 -J "+name+" --mem=64M\nsrun hostname\n", args...)
		return apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "ada", Submission: sub, DefaultPartition: "debug",
			Job: fromspec.MustRecord(sub.Spec, "debug")}).Value.(state.JobSubmitResult).JobID
	}
	submit := func(name string) uint64 { return submitArgs(name) }
	kill := 2 * time.Second
	e := New(Config{Client: nc, Store: store, Raft: raft, ReconcileInterval: 300 * time.Millisecond, ConfigureTimeout: 8 * time.Second,
		Translation: Translation{KillTimeout: kill}})
	e.render = func(job *api.Job) {
		task := job.TaskGroups[0].Tasks[0]
		task.Driver, task.User = "raw_exec", ""
		task.Config = map[string]any{"command": "/bin/sh", "args": []string{"-c", mnScript}}
		task.Env = map[string]string{"OUT": out}
		if !strings.Contains(*job.ID, "-r") {
			// The test's partial placement: one instance held before
			// its task, on n1, while the hold file exists.
			hold := filepath.Join(out, *job.ID+".hold")
			job.TaskGroups[0].Tasks = append(job.TaskGroups[0].Tasks, &api.Task{Name: "hold", Driver: "raw_exec",
				Lifecycle: &api.TaskLifecycle{Hook: api.TaskLifecycleHookPrestart},
				Config: map[string]any{"command": "/bin/sh", "args": []string{"-c",
					`if [ "${node.unique.name}" = n1 ]; then while [ -e "` + hold + `" ]; do sleep 0.1; done; fi`}},
				Resources: &api.Resources{CPU: ptr(20), MemoryMB: ptr(16)}, KillTimeout: &kill})
		}
	}
	s := sched.New(sched.Config{Store: store, Raft: raft, Executor: e, Interval: 200 * time.Millisecond})
	term, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.RunTerm(term) })
	wg.Go(func() { _ = s.Run(term) })
	defer func() { stop(); wg.Wait() }()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for {
			changed := store.WatchJobs()
			if ok() {
				return
			}
			select {
			case <-changed:
			case <-time.After(200 * time.Millisecond): // Nomad-side facts are polled
			case <-ctx.Done():
				t.Fatalf("waiting for %s: %v", what, ctx.Err())
			}
		}
	}
	job := func(id uint64) *state.Job { return store.View().Job(id) }
	twoNodes := func(j *state.Job) []string {
		names, err := hostlist.Expand(j.NodeList)
		if err != nil || len(names) != 2 || names[0] == names[1] {
			return nil
		}
		return names
	}
	registered := func(nid string) bool {
		_, _, err := nc.Jobs().Info(nid, nil)
		return err == nil
	}
	stepKey := func(nid string) string {
		v, _, err := nc.Variables().Read(StepKeyPath(nid), nil)
		if err != nil || v == nil {
			return ""
		}
		return v.Items["step_key"]
	}
	// noNomadJobHolds: the waiting job is not on Nomad at all (nor has
	// a key), so it holds no node.
	noNomadJobHolds := func(j *state.Job) {
		t.Helper()
		if nid := NomadID(j); registered(nid) || stepKey(nid) != "" {
			t.Errorf("job %s waits PENDING but has a Nomad job (%v) or a step key", j.SlurmID(), registered(nid))
		}
	}

	// Two 2-node jobs on three nodes: the first runs, the second waits
	// holding nothing.
	a := submit("first")
	b := submit("second")
	waitFor("the first job RUNNING on 2 nodes, the second PENDING (Resources)", func() bool {
		ja, jb := job(a), job(b)
		return ja.State == state.StateRunning && twoNodes(ja) != nil && jb.State == state.StatePending && jb.Reason == state.ReasonResources
	})
	ja := job(a)
	noNomadJobHolds(job(b))
	nidA := NomadID(ja)
	if k := stepKey(nidA); !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(k) {
		t.Errorf("step key of %s: %q, want 64 hex digits", nidA, k)
	}
	var peersSeen string
	waitFor("both instances' peers files", func() bool {
		for _, n := range twoNodes(ja) {
			b, err := os.ReadFile(filepath.Join(out, nidA+"."+n+".peers"))
			if err != nil {
				return false
			}
			peersSeen = string(b)
		}
		return true
	})
	for _, n := range twoNodes(ja) {
		if !regexp.MustCompile(`(?m)^` + n + ` \S+ \d+ [0-9a-f-]{36}$`).MatchString(peersSeen) {
			t.Errorf("peers file %q lacks a line for %s (name address port alloc)", peersSeen, n)
		}
		if b, _ := os.ReadFile(filepath.Join(out, nidA+"."+n+".keylen")); strings.TrimSpace(string(b)) != "64" {
			t.Errorf("%s: the step key file holds %q bytes, want 64", n, b)
		}
	}
	// Still waiting once both instances ran their script.
	if jb := job(b); jb.State != state.StatePending {
		t.Fatalf("second job %s while the first runs on 2 of 3 nodes", jb.State)
	}
	noNomadJobHolds(job(b))

	// The first ends with its batch node's exit; the second runs then.
	if err := os.WriteFile(filepath.Join(out, nidA+".go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("the first job FAILED 3 and the second RUNNING on 2 nodes", func() bool {
		ja, jb := job(a), job(b)
		return ja.State.Terminal() && jb.State == state.StateRunning && twoNodes(jb) != nil
	})
	if ja := job(a); ja.State != state.StateFailed || ja.ExitCode != 3 || twoNodes(ja) == nil {
		t.Errorf("first job %s exit %d on %q, want FAILED 3 (the batch node's exit) on its 2 nodes", ja.State, ja.ExitCode, ja.NodeList)
	}
	waitFor("the first run's other allocation stopped and its key deleted", func() bool {
		allocs, _, err := nc.Jobs().Allocations(nidA, true, nil)
		if err != nil {
			return false
		}
		for _, x := range allocs {
			if x.ClientStatus == api.AllocClientStatusRunning || x.ClientStatus == api.AllocClientStatusPending {
				return false
			}
		}
		return stepKey(nidA) == ""
	})

	// A client killed under the running 2-node job: NODE_FAIL, requeued,
	// and run again on the two nodes left.
	jb := job(b)
	victim := twoNodes(jb)[1]
	clients[victim].Kill()
	waitFor("NODE_FAIL and a second run on the other two nodes", func() bool {
		jb := job(b)
		return jb.RestartCount == 1 && jb.State == state.StateRunning && twoNodes(jb) != nil
	})
	jb = job(b)
	if len(jb.Runs) != 1 || jb.Runs[0].State != state.StateNodeFail {
		t.Errorf("second job's earlier runs %+v, want one NODE_FAIL", jb.Runs)
	}
	if slices.Contains(twoNodes(jb), victim) {
		t.Errorf("second run on %s, which includes the killed %s", jb.NodeList, victim)
	}
	if err := os.WriteFile(filepath.Join(out, NomadID(jb)+".go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("the requeued run's end", func() bool { return job(b).State.Terminal() })
	if jb := job(b); jb.State != state.StateFailed || jb.ExitCode != 3 {
		t.Errorf("requeued run ended %s %d, want FAILED 3", jb.State, jb.ExitCode)
	}

	// A partial placement: one instance held on n1 (the nodes left are
	// n1 and one other) beyond the bound: given back, then run again.
	if victim == "n1" {
		t.Logf("n1 was killed: the give-back check uses no held node")
		return
	}
	c := submit("partial")
	if err := os.WriteFile(filepath.Join(out, "slurm-"+fmt.Sprint(c)+".hold"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("the third job CONFIGURING on Nomad", func() bool {
		jc := job(c)
		return jc.State == state.StateRunning && jc.NodeList == "" && registered(NomadID(jc))
	})
	given := time.Now()
	nidC := NomadID(job(c))
	waitFor("the partial placement given back and the job run again", func() bool {
		jc := job(c)
		return jc.RestartCount == 1 && jc.State == state.StateRunning && twoNodes(jc) != nil
	})
	if d := time.Since(given); d < 7*time.Second {
		t.Errorf("given back after %v, before the 8 s bound", d)
	}
	if info, _, err := nc.Jobs().Info(nidC, nil); err != nil || info.Stop == nil || !*info.Stop {
		t.Errorf("the given-back Nomad job %s is not stopped (%v)", nidC, err)
	}
	if stepKey(nidC) != "" {
		t.Errorf("the given-back run %s still has its step key", nidC)
	}
	if jc := job(c); len(jc.Runs) != 0 {
		t.Errorf("the given-back run left a run record: %+v", jc.Runs)
	}
	if err := os.WriteFile(filepath.Join(out, NomadID(job(c))+".go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("the third job's end", func() bool { return job(c).State.Terminal() })

	// --exclusive: each of its two nodes whole (all its allocatable CPU).
	d := submitArgs("whole", "--exclusive")
	waitFor("the exclusive job RUNNING on 2 nodes", func() bool {
		jd := job(d)
		return jd.State == state.StateRunning && twoNodes(jd) != nil
	})
	nidD := NomadID(job(d))
	allocs, _, err := nc.Jobs().Allocations(nidD, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range allocs {
		if x.ClientStatus != api.AllocClientStatusRunning {
			continue
		}
		full, _, err := nc.Allocations().Info(x.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		node, _, err := nc.Nodes().Info(x.NodeID, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := full.AllocatedResources.Tasks[TaskName].Cpu.CpuShares
		want := node.NodeResources.Cpu.CpuShares - int64(node.ReservedResources.Cpu.CpuShares)
		if got != want {
			t.Errorf("exclusive job on %s: %d MHz, want the node's allocatable %d", x.NodeName, got, want)
		}
	}
	if err := os.WriteFile(filepath.Join(out, nidD+".go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("the exclusive job's end", func() bool { return job(d).State.Terminal() })

	// A short run: the batch instance ends at once; the job ends on
	// both its nodes all the same.
	e2 := submit("short")
	if err := os.WriteFile(filepath.Join(out, "slurm-"+fmt.Sprint(e2)+".go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("the short job's end", func() bool { return job(e2).State.Terminal() })
	if je := job(e2); je.State != state.StateFailed || je.ExitCode != 3 || twoNodes(je) == nil {
		t.Errorf("short job %s %d on %q, want FAILED 3 on 2 nodes", je.State, je.ExitCode, je.NodeList)
	}
}
