package raft

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

func TestReplication(t *testing.T) {
	c := NewTestCluster(t, 3, TestClusterOptions{})
	li := c.Leader()
	leader := c.Node(li)
	follower := c.Node((li + 1) % 3)
	ctx, cancel := context.WithTimeout(context.Background(), testWaitTimeout)
	defer cancel()

	select {
	case isLeader := <-leader.LeaderCh():
		if !isLeader {
			t.Error("leader's LeaderCh says false")
		}
	case <-ctx.Done():
		t.Fatal("leader's LeaderCh delivered nothing")
	}

	idx := submitN(t, c, 20)
	c.WaitForIndex(idx)
	assertSameState(t, c, nil)
	for i := range 3 {
		if n := jobCount(c.Store(i)); n != 20 {
			t.Errorf("server %d has %d jobs, want 20", i, n)
		}
		if got := c.Store(i).View().LatestIndex(); got != idx {
			t.Errorf("server %d store index = %d, want %d", i, got, idx)
		}
	}

	// Leader-only operations, on a follower.
	if _, _, err := follower.Apply(ctx, submitCmd(t, "bob")); !errors.Is(err, ErrNotLeader) {
		t.Errorf("follower Apply: err = %v, want ErrNotLeader", err)
	}
	if err := follower.Barrier(ctx); !errors.Is(err, ErrNotLeader) {
		t.Errorf("follower Barrier: err = %v, want ErrNotLeader", err)
	}
	if err := follower.AddVoter(ctx, "x", "127.0.0.1:1"); !errors.Is(err, ErrNotLeader) {
		t.Errorf("follower AddVoter: err = %v, want ErrNotLeader", err)
	}
	if err := leader.Barrier(ctx); err != nil {
		t.Errorf("leader Barrier: %v", err)
	}
	if id, addr := follower.Leader(); id != leader.ID() || addr != leader.Addr() {
		t.Errorf("follower's Leader() = %s %s, want %s %s", id, addr, leader.ID(), leader.Addr())
	}

	servers, err := follower.Servers()
	if err != nil {
		t.Fatal(err)
	}
	leaders := 0
	for _, s := range servers {
		if !s.Voter {
			t.Errorf("%s is not a voter", s.ID)
		}
		if s.Leader {
			leaders++
			if s.ID != leader.ID() {
				t.Errorf("Servers marks %s as leader, want %s", s.ID, leader.ID())
			}
		}
	}
	if len(servers) != 3 || leaders != 1 {
		t.Errorf("Servers() = %+v", servers)
	}

	// Membership changes are idempotent where that is safe.
	if err := leader.AddVoter(ctx, follower.ID(), follower.Addr()); err != nil {
		t.Errorf("AddVoter of a member: %v", err)
	}
	if err := leader.RemoveServer(ctx, "nobody"); !errors.Is(err, ErrUnknownServer) {
		t.Errorf("RemoveServer(nobody): err = %v, want ErrUnknownServer", err)
	}

	// A removed server leaves the configuration and shuts itself down; the
	// other two go on.
	if err := leader.RemoveServer(ctx, follower.ID()); err != nil {
		t.Fatalf("RemoveServer: %v", err)
	}
	if servers, err := leader.Servers(); err != nil || len(servers) != 2 {
		t.Errorf("Servers() after removal = %+v, %v", servers, err)
	}
	res, idx, err := leader.Apply(ctx, submitCmd(t, "bob"))
	if err != nil || res.Err != nil {
		t.Fatalf("apply after removal: %v %v", err, res.Err)
	}

	st := leader.Stats()
	if st["state"] != "Leader" || st["log_store"] != DefaultLogStore || st["fsm_applied_index"] != strconv.FormatUint(idx, 10) {
		t.Errorf("Stats() = %v", st)
	}
}

func TestApplyRejects(t *testing.T) {
	c := NewTestCluster(t, 1, TestClusterOptions{})
	n := c.Node(0)
	ctx, cancel := context.WithTimeout(context.Background(), testWaitTimeout)
	defer cancel()
	good := submitCmd(t, "alice")
	for _, tc := range []struct {
		name string
		cmd  []byte
	}{
		{"empty", nil},
		{"one byte", good[:1]},
		{"unknown type", append([]byte{200}, good[1:]...)},
		{"future version", append([]byte{good[0], 99}, good[2:]...)},
		{"version zero", append([]byte{good[0], 0}, good[2:]...)},
		{"not json", append([]byte{good[0], good[1]}, "{oops"...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := n.Apply(ctx, tc.cmd); !errors.Is(err, ErrBadCommand) {
				t.Errorf("err = %v, want ErrBadCommand", err)
			}
		})
	}
	// A business failure is a result, not an error.
	cancelCmd, err := state.Encode(state.CmdJobCancel, state.JobCancelCmd{Time: t0, By: state.Actor{User: "alice"}, Refs: []state.JobRef{{JobID: 42, Task: state.AllTasks}}})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := n.Apply(ctx, cancelCmd)
	if err != nil || !errors.Is(res.Err, state.ErrNotFound) {
		t.Errorf("cancel of a missing job: res.Err = %v, err = %v", res.Err, err)
	}
	// A context that has ended stops Apply before it proposes.
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, _, err := n.Apply(done, good); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context: err = %v", err)
	}
	if err := n.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.Apply(ctx, good); !errors.Is(err, ErrShutdown) {
		t.Errorf("Apply after Shutdown: err = %v, want ErrShutdown", err)
	}
}

func TestLeaderFailover(t *testing.T) {
	c := NewTestCluster(t, 3, TestClusterOptions{})
	old := c.Leader()
	idx := submitN(t, c, 10)
	c.WaitForIndex(idx)

	c.Stop(old)
	next := c.Leader()
	if next == old {
		t.Fatalf("server %d still leads after shutdown", old)
	}
	idx = submitN(t, c, 10)
	c.WaitForIndex(idx)
	assertSameState(t, c, nil)

	// The old leader comes back as a follower and catches up.
	c.Start(old)
	c.WaitForIndex(idx)
	assertSameState(t, c, nil)
	if n := jobCount(c.Store(old)); n != 20 {
		t.Errorf("old leader has %d jobs, want 20", n)
	}
}

func TestRestartCatchesUpFromLog(t *testing.T) {
	for _, kind := range []string{LogStoreBolt, LogStoreWAL} {
		t.Run(kind, func(t *testing.T) {
			c := NewTestCluster(t, 3, TestClusterOptions{LogStore: kind})
			f := (c.Leader() + 1) % 3
			idx := submitN(t, c, 10)
			c.WaitForIndex(idx)
			c.Stop(f)
			idx = submitN(t, c, 5)
			c.Start(f)
			c.WaitForIndex(idx)
			assertSameState(t, c, nil)
			if n := jobCount(c.Store(f)); n != 15 {
				t.Errorf("restarted server has %d jobs, want 15", n)
			}
			if got := c.Node(f).Stats()["last_snapshot_index"]; got != "0" {
				t.Errorf("restarted server used a snapshot (last_snapshot_index %s); want the log", got)
			}
		})
	}
}

func TestSnapshotRestore(t *testing.T) {
	// Bolt, because raft-wal keeps serving compacted entries until their
	// whole segment goes, so a follower on it may not need the snapshot.
	c := NewTestCluster(t, 3, TestClusterOptions{LogStore: LogStoreBolt, TrailingLogs: 2})
	f := (c.Leader() + 1) % 3
	idx := submitN(t, c, 10)
	c.WaitForIndex(idx)

	// The follower misses entries the leader then compacts away: it can
	// only catch up by installing the leader's snapshot.
	c.Stop(f)
	idx = submitN(t, c, 10)
	li := c.Leader()
	if err := c.Node(li).Snapshot(); err != nil {
		t.Fatal(err)
	}
	c.Start(f)
	c.WaitForIndex(idx)
	assertSameState(t, c, nil)
	if got := c.Node(f).Stats()["last_snapshot_index"]; got == "0" {
		t.Error("follower caught up without installing a snapshot")
	}

	// A whole-cluster restart rebuilds each store from its snapshot plus
	// the log after it.
	for i := range 3 {
		if err := c.Node(i).Snapshot(); err != nil && i == li {
			t.Fatalf("snapshot on server %d: %v", i, err)
		}
	}
	idx = submitN(t, c, 3)
	c.WaitForIndex(idx)
	want := persist(t, c.Store(li))
	for i := range 3 {
		c.Stop(i)
	}
	for i := range 3 {
		c.Start(i)
	}
	c.Leader()
	c.WaitForIndex(idx)
	assertSameState(t, c, want)
	if n := jobCount(c.Store(li)); n != 23 {
		t.Errorf("%d jobs after restart, want 23", n)
	}
}

func TestWaitForIndexHonoursContext(t *testing.T) {
	c := NewTestCluster(t, 1, TestClusterOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Node(0).WaitForIndex(ctx, 1<<40); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}
