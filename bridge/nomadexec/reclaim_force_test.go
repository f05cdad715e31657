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

// TestForceDrainRunsOnce (review R4): `nomad node drain -force` makes
// Nomad stop a batch allocation and place a replacement at once, before
// the leader's next look at the nodes. The replacement must never run the
// job's script: the first run (still ending after its SIGTERM) and the
// requeued one are the only runs, and the job runs once at a time.
func TestForceDrainRunsOnce(t *testing.T) {
	ctx, dir, nc, nodeIDs, store, raft, apply := twoClientsOnRaft(t, "hpcbridge-force-drain-")
	// Every start of the script is one line; the first run takes 3 s to
	// end after its SIGTERM (a checkpoint being written).
	script := strings.ReplaceAll(`#!/bin/sh
#SBATCH --mem=64M -o /dev/null
echo "start ${SLURM_RESTART_COUNT:-0}" >> DIR/starts
if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	trap 'sleep 3; echo "end 0" >> DIR/starts; exit 0' TERM
	while :; do sleep 0.1; done
fi
echo "end ${SLURM_RESTART_COUNT}" >> DIR/starts
`, "DIR", dir)
	id := submitIn(t, apply, dir, script)
	// The production interval: the leader looks at the nodes every 2 s.
	e := New(Config{Client: nc, Store: store, Raft: raft, ReconcileInterval: time.Second, Translation: Translation{KillTimeout: 10 * time.Second},
		Reclaim: ReclaimConfig{Raft: raft}})
	end := startTerm(ctx, store, raft, e)
	defer end()
	until := untilState(t, ctx, store, func() string {
		j := store.View().Job(id)
		b, _ := os.ReadFile(filepath.Join(dir, "starts"))
		return fmt.Sprintf(" (job %s on %q, restarts %d, runs %+v, starts %q)", j.State, j.NodeList, j.RestartCount, j.Runs, b)
	})
	var node string
	until("the job running", func(v *state.View) bool { node = v.Job(id).NodeList; return node != "" })
	until("the script started", func(*state.View) bool {
		b, _ := os.ReadFile(filepath.Join(dir, "starts"))
		return string(b) == "start 0\n"
	})
	if _, err := nc.Nodes().UpdateDrainOpts(nodeIDs[node], &api.DrainOptions{DrainSpec: &api.DrainSpec{Deadline: -1}}, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	until("the job completed", func(v *state.View) bool { return v.Job(id).State.Terminal() })
	j := store.View().Job(id)
	b, _ := os.ReadFile(filepath.Join(dir, "starts"))
	if j.State != state.StateCompleted || j.RestartCount != 1 || len(j.Runs) != 1 || j.Runs[0].State != state.StatePreempted {
		t.Errorf("job %s, restarts %d, runs %+v; want COMPLETED after one PREEMPTED run", j.State, j.RestartCount, j.Runs)
	}
	if string(b) != "start 0\nend 0\nstart 1\nend 1\n" {
		t.Errorf("the script's starts and ends:\n%s\nwant the first run, then the requeued one, each once (a drain's replacement ran the script)", b)
	}
}

// TestReclaimStopAcrossTermsRunsOnce (review R4): the leader stops a
// reclaimed run at its deadline and loses its term while the allocation
// still ends (its script saving a checkpoint in the kill grace, the
// driver's end commit). The next leader must wait for that end, not
// register the stopped Nomad job again: that placed the same run on the
// other node beside the ending one (two copies of the job at once, the
// second from the previous checkpoint).
func TestReclaimStopAcrossTermsRunsOnce(t *testing.T) {
	ctx, dir, nc, nodeIDs, store, raft, apply := twoClientsOnRaft(t, "hpcbridge-reclaim-stop-")
	script := strings.ReplaceAll(`#!/bin/sh
#SBATCH --mem=64M -o /dev/null
echo "start ${SLURM_RESTART_COUNT:-0}" >> DIR/starts
if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	trap 'sleep 5; echo "end 0" >> DIR/starts; exit 0' TERM
	while :; do sleep 0.1; done
fi
echo "end ${SLURM_RESTART_COUNT}" >> DIR/starts
`, "DIR", dir)
	id := submitIn(t, apply, dir, script)
	term := func() func() {
		return startTerm(ctx, store, raft, New(Config{Client: nc, Store: store, Raft: raft, ReconcileInterval: time.Second, Translation: Translation{KillTimeout: 20 * time.Second},
			Reclaim: ReclaimConfig{Raft: raft, Interval: 200 * time.Millisecond}}))
	}
	starts := func() string { b, _ := os.ReadFile(filepath.Join(dir, "starts")); return string(b) }
	until := untilState(t, ctx, store, func() string {
		j := store.View().Job(id)
		return fmt.Sprintf(" (job %s on %q, restarts %d, runs %+v, starts %q)", j.State, j.NodeList, j.RestartCount, j.Runs, starts())
	})
	end1 := term()
	var node string
	until("the job running", func(v *state.View) bool { node = v.Job(id).NodeList; return node != "" })
	until("the script started", func(*state.View) bool { return starts() == "start 0\n" })
	now := time.Now()
	apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: node, NodeID: nodeIDs[node], Deadline: now, Source: state.ReclaimCommand})
	nid := NomadID(store.View().Job(id))
	until("the run stopped at the deadline", func(*state.View) bool {
		j, _, err := nc.Jobs().Info(nid, (&api.QueryOptions{}).WithContext(ctx))
		return err == nil && j.Stop != nil && *j.Stop
	})
	end1() // the leader goes, its run still ending
	if strings.Contains(starts(), "end 0") {
		t.Fatalf("the first run ended before the term did (the test's timing): %q", starts())
	}
	end2 := term()
	defer func() { end2() }()
	until("the job completed", func(v *state.View) bool { return v.Job(id).State.Terminal() })
	j := store.View().Job(id)
	if j.State != state.StateCompleted || j.RestartCount != 1 || len(j.Runs) != 1 || j.Runs[0].State != state.StatePreempted {
		t.Errorf("job %s, restarts %d, runs %+v; want COMPLETED after one PREEMPTED run", j.State, j.RestartCount, j.Runs)
	}
	if got := starts(); got != "start 0\nend 0\nstart 1\nend 1\n" {
		if allocs, _, err := nc.Jobs().Allocations(nid, true, nil); err == nil {
			for _, a := range allocs {
				t.Logf("alloc %s on %s: %s/%s", a.ID[:8], a.NodeName, a.DesiredStatus, a.ClientStatus)
				if ts := a.TaskStates[TaskName]; ts != nil {
					for _, ev := range ts.Events {
						t.Logf("  %s %s %s", time.Unix(0, ev.Time).Format("15:04:05.000"), ev.Type, ev.DisplayMessage)
					}
				}
			}
		}
		t.Errorf("the script's starts and ends:\n%s\nwant the first run, then the requeued one, each once", got)
	}
}

// TestReclaimSecondNodeSameTerm (review R4): a job reclaimed on one node
// and requeued onto another that is reclaimed later in the same leader
// term gets its --signal there too, and is stopped at that reclaim's
// deadline: the term remembered what it had signalled and stopped by job,
// not by run, so the second run was neither signalled nor ever stopped.
func TestReclaimSecondNodeSameTerm(t *testing.T) {
	ctx, dir, nc, nodeIDs, store, raft, apply := twoClientsOnRaft(t, "hpcbridge-reclaim-two-")
	// The first two runs ignore the stop's TERM until killed; the third
	// completes.
	script := strings.ReplaceAll(`#!/bin/sh
#SBATCH --mem=64M -o /dev/null --signal=B:USR1@10
n=${SLURM_RESTART_COUNT:-0}
if [ "$n" -lt 2 ]; then
	trap 'echo "usr1 $n" >> DIR/signals' USR1
	trap 'echo "term $n" >> DIR/signals' TERM
	while :; do sleep 0.1; done
fi
`, "DIR", dir)
	id := submitIn(t, apply, dir, script)
	e := New(Config{Client: nc, Store: store, Raft: raft, ReconcileInterval: time.Second, Translation: Translation{KillTimeout: time.Second},
		Reclaim: ReclaimConfig{Raft: raft, Interval: 200 * time.Millisecond}})
	end := startTerm(ctx, store, raft, e)
	defer end()
	signals := func() string { b, _ := os.ReadFile(filepath.Join(dir, "signals")); return string(b) }
	until := untilState(t, ctx, store, func() string {
		j := store.View().Job(id)
		return fmt.Sprintf(" (job %s on %q, restarts %d, runs %+v, signals %q)", j.State, j.NodeList, j.RestartCount, j.Runs, signals())
	})
	reclaim := func(run int) string {
		var node string
		until("the job running", func(v *state.View) bool {
			j := v.Job(id)
			node = j.NodeList
			return j.RestartCount == run && j.State == state.StateRunning && node != ""
		})
		now := time.Now()
		apply(state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: node, NodeID: nodeIDs[node], Deadline: now.Add(3 * time.Second), Source: state.ReclaimCommand})
		until("the run requeued", func(v *state.View) bool { return v.Job(id).RestartCount == run+1 })
		return node
	}
	first := reclaim(0)
	second := reclaim(1)
	if first == second {
		t.Fatalf("both runs on %s, a reclaimed node", first)
	}
	if _, err := nc.Nodes().ToggleEligibility(nodeIDs[first], true, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	until("the job completed", func(v *state.View) bool { return v.Job(id).State.Terminal() })
	if j := store.View().Job(id); j.State != state.StateCompleted || len(j.Runs) != 2 || j.Runs[0].State != state.StatePreempted || j.Runs[1].State != state.StatePreempted {
		t.Errorf("job %s, runs %+v; want COMPLETED after two PREEMPTED runs", j.State, j.Runs)
	}
	if got := signals(); got != "usr1 0\nterm 0\nusr1 1\nterm 1\n" {
		t.Errorf("signals:\n%s\nwant each reclaimed run's USR1 at once, then the stop's TERM", got)
	}
}

// TestWindowOpenLeavesADrainedNodeAlone (review R4): a node drained with
// nomad node drain while its donation window was closed stays ineligible
// when the window opens: the drain is its administrator's. The window's
// reclaim made it eligible again, undoing the drain.
func TestWindowOpenLeavesADrainedNodeAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad agent: skipped with -short")
	}
	roottest.Require(t, "the task driver runs jobs as their user")
	nomadtest.Require(t)
	plugins := buildPlugins(t, "hpcbridge-driver")
	dir, err := os.MkdirTemp("", "hpcbridge-window-drain-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The leader's clock: noon today (UTC), in the window; a day on, out.
	today := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	var offset atomic.Int64
	offset.Store(int64(time.Until(today)))
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: filepath.Join(dir, "nomad"), PluginDir: plugins, Drivers: []string{DriverName},
		Plugins: []nomadagent.Plugin{{Name: "hpcbridge-driver", Config: map[string]any{"run_as": "submitter", "allow_root": true,
			"donation_windows": []string{today.Weekday().String()[:3]}, "donation_timezone": "UTC"}}}})
	nc := agent.API()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	node := waitDriverNode(t, ctx, nc)
	store := state.New()
	raft := &directRaft{store: store}
	e := New(Config{Client: nc, Store: store, Raft: raft,
		Reclaim: ReclaimConfig{Raft: raft, Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }}})
	r := &reclaimer{e: e, stopped: map[state.ReclaimHit]bool{}, sent: map[state.ReclaimHit]bool{}, hit: map[state.ReclaimHit]bool{}, ineligible: map[string]bool{}, nodes: map[string]reclaimNode{}}
	pass := func() {
		t.Helper()
		if err := r.pass(ctx); err != nil {
			t.Fatalf("pass: %v", err)
		}
	}
	info := func() *api.Node {
		t.Helper()
		n, _, err := nc.Nodes().Info(node.ID, (&api.QueryOptions{}).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	offset.Add(int64(24 * time.Hour)) // the window closes
	pass()
	pass()
	if rc := store.View().Reclaim(node.ID); rc == nil || rc.Source != state.ReclaimWindow || info().SchedulingEligibility != api.NodeSchedulingIneligible {
		t.Fatalf("closed window: reclaim %+v, node %s; want the window's reclaim, ineligible", rc, info().SchedulingEligibility)
	}
	if _, err := nc.Nodes().UpdateDrainOpts(node.ID, &api.DrainOptions{DrainSpec: &api.DrainSpec{Deadline: time.Hour}}, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	for n := info(); n.DrainStrategy != nil; n = info() { // no allocation: the drain ends at once
		select {
		case <-ctx.Done():
			t.Fatalf("the drain of a node without allocations did not end: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond): // Nomad's drainer has no watch here
		}
	}
	offset.Add(int64(-24 * time.Hour)) // the window opens
	pass()
	pass()
	if n := info(); n.SchedulingEligibility != api.NodeSchedulingIneligible {
		t.Fatalf("the window opened: node %s, want left ineligible (drained meanwhile)", n.SchedulingEligibility)
	}
}

// twoClientsOnRaft is the setup of the reclaim tests on a real Nomad: a
// server and two clients with the task driver (skipped with -short, needs
// root), the job directory (prefix), a 2-minute context, the clients'
// node ids by name, and a store applied to directly.
func twoClientsOnRaft(t *testing.T, prefix string) (context.Context, string, *api.Client, map[string]string, *state.Store, *directRaft, func(state.CommandType, any) *state.Result) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts three Nomad agents: skipped with -short")
	}
	roottest.Require(t, "the task driver runs jobs as their user")
	nomadtest.Require(t)
	plugins := buildPlugins(t, "hpcbridge-driver")
	dir := jobDir(t, prefix)
	nc := startTwoClients(t, dir, plugins, submitterDriver)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	nodeIDs := waitDriverNodes(t, ctx, nc, 2)
	store := state.New()
	raft := &directRaft{store: store}
	return ctx, dir, nc, nodeIDs, store, raft, raft.applier(ctx, t)
}
