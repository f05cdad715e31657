package raft

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// ckptCmd is the log entry of checkpoint seq of job 1's first run on
// node-1 (key), claiming the minute before t0+seq minutes; 2 GPU-minutes
// credited.
func ckptCmd(tb testing.TB, key string, seq int) []byte {
	tb.Helper()
	from, to := t0.Add(time.Duration(seq-1)*time.Minute), t0.Add(time.Duration(seq)*time.Minute)
	cmd, err := state.Encode(state.CmdCheckpoint, state.CheckpointCmd{
		Time: to, JobID: 1, Run: 0, Seq: seq, NodeID: "node-1", Node: "n1", AllocID: "alloc-1", Key: key,
		Signed: receipt.Signed{Body: []byte(fmt.Sprintf(`{"seq":%d}`, seq)), Sig: bytes.Repeat([]byte{byte(seq)}, ed25519.SignatureSize)},
		Digest: "sha256:" + strings.Repeat(fmt.Sprintf("%02x", seq), 32),
		Size:   int64(seq), Trigger: receipt.TriggerCommand,
		ClaimStart: from, ClaimEnd: to, ClaimGPUs: 2, ClaimCPUs: 1,
		Credit: state.Credit{Start: from, End: to, GPUs: 2, CPUs: 1, GPUSeconds: 120, CPUSeconds: 60},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cmd
}

// TestCheckpointsSurviveLeaderKill: receipts committed through a 3-server
// cluster survive the leader's loss; a receipt sent again to the next
// leader (its reply was lost with the old one) is answered from the state,
// not counted twice; one in flight when the leader died is recorded once
// whichever way its commit went; every server, the old leader restarted
// from its log and a follower restored from a snapshot, ends with the
// same receipts and totals.
func TestCheckpointsSurviveLeaderKill(t *testing.T) {
	c := NewTestCluster(t, 3, TestClusterOptions{LogStore: LogStoreBolt, TrailingLogs: 2})
	apply := func(cmd []byte) *state.Result {
		t.Helper()
		res, _ := c.Apply(cmd)
		return res
	}
	if res := apply(submitCmd(t, "alice")); res.Err != nil {
		t.Fatal(res.Err)
	}
	must := func(ct state.CommandType, p any) {
		t.Helper()
		cmd, err := state.Encode(ct, p)
		if err != nil {
			t.Fatal(err)
		}
		if res := apply(cmd); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	must(state.CmdJobStart, state.JobStartCmd{Time: t0, JobID: 1, Task: state.NoTask})
	key := receipt.EncodeKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey))
	must(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: t0, NodeID: "node-1", Node: "n1", Key: key})
	for seq := 1; seq <= 5; seq++ {
		if res := apply(ckptCmd(t, key, seq)); res.Err != nil {
			t.Fatalf("receipt %d: %v", seq, res.Err)
		}
	}
	// Receipt 6 is committed; its reply dies with the leader.
	old := c.Leader()
	res, idx, err := c.Node(old).Apply(context.Background(), ckptCmd(t, key, 6))
	if err != nil || res.Err != nil {
		t.Fatalf("receipt 6: %v %v", err, res)
	}
	c.WaitForIndex(idx)
	// Receipt 7 is in flight when the leader dies: committed or not.
	var wg sync.WaitGroup
	leader, r7 := c.Node(old), ckptCmd(t, key, 7)
	wg.Go(func() { _, _, _ = leader.Apply(context.Background(), r7) })
	c.Stop(old)
	wg.Wait()
	if c.Leader() == old {
		t.Fatal("the stopped server leads")
	}
	// The node sends both again to the new leader.
	if again := apply(ckptCmd(t, key, 6)); again.Err != nil || !again.Value.(state.CheckpointResult).Duplicate {
		t.Fatalf("receipt 6 again: %+v, want the recorded answer", again)
	}
	if r7 := apply(ckptCmd(t, key, 7)); r7.Err != nil {
		t.Fatalf("receipt 7 again: %v", r7.Err)
	}
	res, idx = c.Apply(ckptCmd(t, key, 8))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	c.WaitForIndex(idx)
	// A snapshot on the new leader compacts the log (TrailingLogs 2): the
	// old leader, back, catches up from its own log and that snapshot.
	if err := c.Node(c.Leader()).Snapshot(); err != nil {
		t.Fatal(err)
	}
	c.Start(old)
	c.WaitForIndex(idx)
	assertSameState(t, c, nil)
	for i := range c.Len() {
		v := c.Store(i).View()
		cp := v.Job(1).Checkpoints
		var seqs []int
		v.ReceiptsOfJob(1, func(r *state.ReceiptRecord) bool { seqs = append(seqs, r.Seq); return true })
		if cp == nil || cp.Count != 8 || cp.GPUSeconds != 8*120 || len(seqs) != 8 || seqs[7] != 8 {
			t.Errorf("server %d: summary %+v, receipts %v; want 8 receipts counted once", i, cp, seqs)
		}
		if nc := v.Credits(); len(nc) != 1 || nc[0].Receipts != 8 || nc[0].GPUSeconds != 8*120 {
			t.Errorf("server %d: node credit %+v", i, nc)
		}
	}
}
