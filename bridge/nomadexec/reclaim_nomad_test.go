package nomadexec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestReclaimOnNomad: on a real Nomad server with two clients running the
// hpcbridge task driver, the leader's scheduler and executor:
//   - reclaim a node (the command the API commits): the node is made
//     ineligible, the job there gets SIGTERM, ends, and is requeued
//     (its run PREEMPTED, RestartCount 1, SLURM_RESTART_COUNT=1) and runs
//     again on the other node;
//   - a job that exits 85 is requeued (its run REQUEUED 85) and runs again;
//   - a job that ignores the signal is stopped at the deadline and
//     requeued; with both nodes reclaimed it waits PENDING until one is
//     made eligible again, which ends that node's reclaim;
//   - an ordinary `nomad node drain` is a reclaim with the drain's deadline;
//   - a node whose donation window closed (the leader's clock) is
//     reclaimed, and eligible again once the window opens.
func TestReclaimOnNomad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three Nomad agents: skipped with -short")
	}
	roottest.Require(t, "the task driver runs jobs as their user")
	nomadtest.Require(t)
	plugins := buildPlugins(t, "hpcbridge-driver")
	dir := jobDir(t, "hpcbridge-reclaim-")
	// The leader's clock: noon of today (UTC) while the test runs, moved
	// a day on to close n2's donation window (the whole of today's
	// weekday, in UTC).
	today := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	var offset atomic.Int64
	offset.Store(int64(time.Until(today)))
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	nc := startTwoClients(t, dir, plugins, func(name string) map[string]any {
		cfg := submitterDriver(name)
		if name == "n2" {
			cfg["donation_windows"] = []string{today.Weekday().String()[:3]}
			cfg["donation_timezone"] = "UTC"
		}
		return cfg
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	nodeIDs := waitDriverNodes(t, ctx, nc, 2)

	store := state.New()
	raft := &directRaft{store: store}
	apply := raft.applier(ctx, t)
	submit := func(body string) uint64 {
		return submitIn(t, apply, dir, "#!/bin/sh\n#SBATCH --mem=64M -o /dev/null\n"+strings.ReplaceAll(body, "DIR", dir))
	}
	e := New(Config{Client: nc, Store: store, Raft: raft, ReconcileInterval: time.Second, Translation: Translation{KillTimeout: 2 * time.Second},
		Reclaim: ReclaimConfig{Raft: raft, Interval: 200 * time.Millisecond, Now: clock}})
	end := startTerm(ctx, store, raft, e)
	defer end()

	// until polls cond until it holds: the state's jobs change with
	// every commit, the rest (Nomad's nodes) is looked at each 100 ms.
	until := untilState(t, ctx, store, func() string {
		store.View().EachJob(func(j *state.Job) bool {
			t.Logf("job %d: %s %q node %q restarts %d runs %+v", j.ID, j.State, j.Reason, j.NodeList, j.RestartCount, j.Runs)
			return true
		})
		t.Logf("reclaims: %+v", store.View().Reclaims())
		return ""
	})
	running := func(id uint64) string {
		t.Helper()
		var node string
		until("job running on a node", func(v *state.View) bool {
			j := v.Job(id)
			node = j.NodeList
			if j.State.Terminal() {
				t.Fatalf("job %d ended %s %s on %q before it was reclaimed", id, j.State, j.ExitString(), node)
			}
			return j.State == state.StateRunning && node != ""
		})
		return node
	}
	other := map[string]string{"n1": "n2", "n2": "n1"}
	reclaim := func(node string, d time.Duration) {
		t.Helper()
		now := clock()
		apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: node, NodeID: nodeIDs[node], Deadline: now.Add(d), Source: state.ReclaimCommand, By: "test"})
	}
	eligible := func(node string) bool {
		n, _, err := nc.Nodes().Info(nodeIDs[node], (&api.QueryOptions{}).WithContext(ctx))
		return err == nil && n.SchedulingEligibility == api.NodeSchedulingEligible
	}
	// requeuedOnce checks a job that ran twice: first on first, ended in
	// st (exit code), then completed on second with SLURM_RESTART_COUNT=1.
	requeuedOnce := func(id uint64, first, second string, st state.JobState, code int) {
		t.Helper()
		until("the job completes its second run", func(v *state.View) bool { return v.Job(id).State.Terminal() })
		j := store.View().Job(id)
		if j.State != state.StateCompleted || j.RestartCount != 1 || j.NodeList != second || len(j.Runs) != 1 {
			t.Fatalf("job %d: %s restarts %d on %q, %d runs; want COMPLETED, 1 restart, on %s", id, j.State, j.RestartCount, j.NodeList, len(j.Runs), second)
		}
		if r := j.Runs[0]; r.State != st || r.NodeList != first || r.ExitCode != code || r.RestartCount != 0 {
			t.Fatalf("job %d's first run: %s exit %d on %q (restart %d); want %s exit %d on %s", id, r.State, r.ExitCode, r.NodeList, r.RestartCount, st, code, first)
		}
		b, err := os.ReadFile(filepath.Join(dir, "count."+j.SlurmID()))
		if err != nil || string(b) != "1\n" {
			t.Fatalf("the second run's SLURM_RESTART_COUNT: %q, %v; want 1", b, err)
		}
	}

	// A reclaimed job gets SIGTERM, checkpoints (here: a file) and ends;
	// it is requeued and runs on the other node.
	const traps = `if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	trap 'echo term > DIR/term.$SLURM_JOB_ID; exit 0' TERM
	while :; do sleep 0.1; done
fi
echo "$SLURM_RESTART_COUNT" > DIR/count.$SLURM_JOB_ID
`
	a := submit(traps)
	x := running(a)
	y := other[x]
	reclaim(x, time.Minute)
	requeuedOnce(a, x, y, state.StatePreempted, 0)
	if _, err := os.Stat(filepath.Join(dir, "term."+store.View().Job(a).SlurmID())); err != nil {
		t.Fatalf("the reclaimed job got no SIGTERM: %v", err)
	}
	if eligible(x) {
		t.Fatalf("reclaimed node %s is still eligible", x)
	}

	// Exit 85: checkpointed, requeue me.
	c := submit(`if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then exit 85; fi
echo "$SLURM_RESTART_COUNT" > DIR/count.$SLURM_JOB_ID
`)
	requeuedOnce(c, y, y, state.StateRequeued, 85)

	// A job that ignores the signal is stopped at the deadline. Both
	// nodes reclaimed, it waits until one is given back.
	b := submit(`if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	trap '' TERM
	while :; do sleep 0.1; done
fi
echo "$SLURM_RESTART_COUNT" > DIR/count.$SLURM_JOB_ID
`)
	if got := running(b); got != y {
		t.Fatalf("job %d runs on the reclaimed node %s", b, got)
	}
	reclaim(y, 3*time.Second)
	until("the stubborn job requeued", func(v *state.View) bool { return v.Job(b).RestartCount == 1 })
	if j := store.View().Job(b); j.Runs[0].State != state.StatePreempted || j.Runs[0].ExitSignal != 15 || j.NodeList != "" {
		// Started again at once, it waits in Nomad for a node (no
		// node list yet).
		t.Fatalf("job %d: %s on %q, runs %+v; want its first run PREEMPTED 0:15 and no node", b, j.State, j.NodeList, j.Runs)
	}
	if _, err := nc.Nodes().ToggleEligibility(nodeIDs[x], true, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	until("the reclaim of "+x+" ends", func(v *state.View) bool { return v.Reclaim(nodeIDs[x]) == nil })
	requeuedOnce(b, y, x, state.StatePreempted, 0)

	// nomad node drain: a reclaim with the drain's deadline.
	if _, err := nc.Nodes().ToggleEligibility(nodeIDs[y], true, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	until("the reclaim of "+y+" ends", func(v *state.View) bool { return v.Reclaim(nodeIDs[y]) == nil })
	d := submit(traps)
	dn := running(d)
	if _, err := nc.Nodes().UpdateDrainOpts(nodeIDs[dn], &api.DrainOptions{DrainSpec: &api.DrainSpec{Deadline: time.Hour}}, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	until("the drain seen as a reclaim", func(v *state.View) bool {
		rc := v.Reclaim(nodeIDs[dn])
		return rc != nil && rc.Source == state.ReclaimDrain && rc.Deadline.After(time.Now().Add(50*time.Minute))
	})
	requeuedOnce(d, dn, other[dn], state.StatePreempted, 0)

	// n2's donation window closes: the leader reclaims it (the job there
	// is signalled and requeued to n1) and keeps it ineligible until the
	// window opens again.
	if _, err := nc.Nodes().UpdateDrainOpts(nodeIDs[dn], &api.DrainOptions{MarkEligible: true}, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	until("the drain's reclaim ends", func(v *state.View) bool { return len(v.Reclaims()) == 0 })
	if _, err := nc.Nodes().ToggleEligibility(nodeIDs["n1"], false, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	w := submit(traps)
	if got := running(w); got != "n2" {
		t.Fatalf("job %d runs on %s, want n2 (n1 is ineligible)", w, got)
	}
	offset.Add(int64(24 * time.Hour))
	until("n2's closed window seen as a reclaim", func(v *state.View) bool {
		rc := v.Reclaim(nodeIDs["n2"])
		return rc != nil && rc.Source == state.ReclaimWindow
	})
	if _, err := nc.Nodes().ToggleEligibility(nodeIDs["n1"], true, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	requeuedOnce(w, "n2", "n1", state.StatePreempted, 0)
	if eligible("n2") {
		t.Fatal("n2 is eligible outside its donation window")
	}
	offset.Add(int64(-24 * time.Hour))
	until("n2's window open again", func(v *state.View) bool { return v.Reclaim(nodeIDs["n2"]) == nil && eligible("n2") })
}

// TestReclaimAcrossTerms: a reclaim survives a change of leader: the new
// term's executor does not signal the run the old one hit again, stops it
// at the reclaim's deadline, and requeues it once; the job then runs again
// when the node is given back.
func TestReclaimAcrossTerms(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad agent: skipped with -short")
	}
	roottest.Require(t, "the task driver runs jobs as their user")
	nomadtest.Require(t)
	plugins := buildPlugins(t, "hpcbridge-driver")
	dir := jobDir(t, "hpcbridge-reclaim-terms-")
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: filepath.Join(dir, "nomad"), PluginDir: plugins, Drivers: []string{DriverName},
		Plugins: []nomadagent.Plugin{{Name: "hpcbridge-driver", Config: map[string]any{"run_as": "submitter", "allow_root": true}}}})
	nc := agent.API()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	store := state.New()
	raft := &directRaft{store: store}
	apply := raft.applier(ctx, t)
	// USR1 is the reclaim's (--signal=B:USR1), TERM the stop's.
	script := strings.ReplaceAll(`#!/bin/sh
#SBATCH --mem=64M -o /dev/null --signal=B:USR1@10
if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	trap 'echo usr1 >> DIR/signals' USR1
	trap 'echo term >> DIR/signals; exit 0' TERM
	while :; do sleep 0.1; done
fi
echo "$SLURM_RESTART_COUNT" > DIR/count
`, "DIR", dir)
	id := submitIn(t, apply, dir, script)

	// term runs one leader term: a new executor and scheduler on the
	// same replicated state; the returned func ends it.
	term := func() func() {
		return startTerm(ctx, store, raft, New(Config{Client: nc, Store: store, Raft: raft, ReconcileInterval: time.Second, Translation: Translation{KillTimeout: 2 * time.Second},
			Reclaim: ReclaimConfig{Raft: raft, Interval: 200 * time.Millisecond}}))
	}
	until := untilState(t, ctx, store, func() string {
		j := store.View().Job(id)
		return fmt.Sprintf(" (job %s on %q, restarts %d, reclaims %+v)", j.State, j.NodeList, j.RestartCount, store.View().Reclaims())
	})
	signals := func() string { b, _ := os.ReadFile(filepath.Join(dir, "signals")); return string(b) }

	end1 := term()
	var node string
	until("the job running", func(v *state.View) bool { node = v.Job(id).NodeList; return node != "" })
	stubs, _, err := nc.Nodes().List((&api.QueryOptions{}).WithContext(ctx))
	if err != nil || len(stubs) != 1 {
		t.Fatalf("nodes: %v, %v", stubs, err)
	}
	nodeID := stubs[0].ID
	now := time.Now()
	apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: node, NodeID: nodeID, Deadline: now.Add(8 * time.Second), Source: state.ReclaimCommand})
	until("the job signalled", func(*state.View) bool { return signals() == "usr1\n" })
	end1()

	end2 := term()
	defer func() { end2() }()
	until("the job requeued at the deadline", func(v *state.View) bool { return v.Job(id).RestartCount == 1 })
	if j := store.View().Job(id); j.Runs[0].State != state.StatePreempted || signals() != "usr1\nterm\n" {
		t.Fatalf("first run %s; signals %q; want PREEMPTED after one USR1 (the old term's) and the stop's TERM", j.Runs[0].State, signals())
	}
	if _, err := nc.Nodes().ToggleEligibility(nodeID, true, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	until("the job completed its second run", func(v *state.View) bool { return v.Job(id).State.Terminal() })
	if j := store.View().Job(id); j.State != state.StateCompleted || j.RestartCount != 1 || len(j.Runs) != 1 {
		t.Fatalf("job %s, restarts %d, %d runs; want COMPLETED after one requeue", j.State, j.RestartCount, len(j.Runs))
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "count")); string(b) != "1\n" {
		t.Fatalf("second run's SLURM_RESTART_COUNT %q, want 1", b)
	}
	if store.View().Reclaim(nodeID) != nil {
		t.Fatal("the reclaim did not end when the node was given back")
	}
}
