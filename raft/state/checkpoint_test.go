package state

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

func testKey(seed byte) string {
	s := bytes.Repeat([]byte{seed}, ed25519.SeedSize)
	return receipt.EncodeKey(ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey))
}

func registerKey(f *requeueFixture, nodeID, node, key string, at time.Time) *Result {
	f.t.Helper()
	return mustApply(f.t, f.s, &f.idx, CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: at, NodeID: nodeID, Node: node, Key: key})
}

// ckpt is checkpoint seq of run on node n1 (key 1) claiming [from, to),
// credited as claimed with 2 GPUs and 4 CPUs. The signed body is only
// kept (Apply does not parse it): it differs per receipt.
func ckpt(job uint64, run, seq int, from, to time.Time) CheckpointCmd {
	secs := int64(to.Sub(from) / time.Second)
	return CheckpointCmd{
		Time: to, JobID: job, Run: run, Seq: seq, NodeID: "node-1", Node: "n1", AllocID: "alloc-1", Key: testKey(1),
		Signed: receipt.Signed{Body: []byte(fmt.Sprintf(`{"job":%d,"run":%d,"seq":%d}`, job, run, seq)), Sig: bytes.Repeat([]byte{7}, ed25519.SignatureSize)},
		Digest: "sha256:" + strings.Repeat(fmt.Sprintf("%02x", seq%256), 32),
		Size:   int64(1000 * seq), Uploaded: 10, Trigger: receipt.TriggerCommand,
		ClaimStart: from, ClaimEnd: to, ClaimGPUs: 2, ClaimCPUs: 4,
		Credit: Credit{Start: from, End: to, GPUs: 2, CPUs: 4, GPUSeconds: 2 * secs, CPUSeconds: 4 * secs},
	}
}

func applyCkpt(f *requeueFixture, c CheckpointCmd) *Result {
	f.t.Helper()
	return mustApply(f.t, f.s, &f.idx, CmdCheckpoint, c)
}

func TestCheckpointRecords(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(time.Second)
	registerKey(f, "node-1", "n1", testKey(1), t0)
	f.run(start, "n1")
	c1 := ckpt(f.id, 0, 1, start, start.Add(time.Minute))
	res := applyCkpt(f, c1)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	c2 := ckpt(f.id, 0, 2, start.Add(time.Minute), start.Add(3*time.Minute))
	if res := applyCkpt(f, c2); res.Err != nil {
		t.Fatal(res.Err)
	}
	j := f.job()
	cp := j.Checkpoints
	if cp == nil || cp.Count != 2 || cp.Digest != c2.Digest || cp.Size != 2000 || !cp.Time.Equal(c2.Time) || cp.Seq != 2 ||
		cp.GPUSeconds != 2*180 || cp.CPUSeconds != 4*180 {
		t.Fatalf("summary %+v", cp)
	}
	// The same receipt again (a retry after a leader change): the
	// recorded answer, nothing counted twice.
	again := applyCkpt(f, c2)
	if r, ok := again.Value.(CheckpointResult); again.Err != nil || !ok || !r.Duplicate || r.Record.Seq != 2 {
		t.Fatalf("retry: %+v", again)
	}
	if got := f.job().Checkpoints; got.Count != 2 || got.GPUSeconds != 2*180 {
		t.Fatalf("a retry counted twice: %+v", got)
	}
	if nc := f.s.View().Credits(); len(nc) != 1 || nc[0].Receipts != 2 || nc[0].GPUSeconds != 360 || nc[0].CPUSeconds != 720 {
		t.Fatalf("node credit %+v", nc)
	}
	var n int
	f.s.View().ReceiptsOfJob(f.id, func(*ReceiptRecord) bool { n++; return true })
	if n != 2 {
		t.Fatalf("%d receipts kept, want 2", n)
	}
}

func TestCheckpointRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(f *requeueFixture, c *CheckpointCmd)
	}{
		{"seq repeated with another body", func(_ *requeueFixture, c *CheckpointCmd) { c.Seq = 1 }},
		{"seq skipped", func(_ *requeueFixture, c *CheckpointCmd) { c.Seq = 3 }},
		{"interval before the previous end", func(_ *requeueFixture, c *CheckpointCmd) { c.ClaimStart = c.ClaimStart.Add(-time.Second) }},
		{"another run", func(_ *requeueFixture, c *CheckpointCmd) { c.Run = 1 }},
		{"key not registered", func(_ *requeueFixture, c *CheckpointCmd) { c.Key = testKey(9) }},
		{"key of another node", func(f *requeueFixture, c *CheckpointCmd) {
			registerKey(f, "node-2", "n2", testKey(2), t0)
			c.Key = testKey(2)
		}},
		{"key revoked before the commit", func(f *requeueFixture, _ *CheckpointCmd) {
			res := mustApply(f.t, f.s, &f.idx, CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: t0, Node: "n1", By: Actor{Management: true}})
			if res.Err != nil {
				f.t.Fatal(res.Err)
			}
		}},
		{"key replaced before the commit", func(f *requeueFixture, _ *CheckpointCmd) { registerKey(f, "node-1", "n1", testKey(3), t0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
			start := t0.Add(time.Second)
			registerKey(f, "node-1", "n1", testKey(1), t0)
			f.run(start, "n1")
			if res := applyCkpt(f, ckpt(f.id, 0, 1, start, start.Add(time.Minute))); res.Err != nil {
				t.Fatal(res.Err)
			}
			c := ckpt(f.id, 0, 2, start.Add(time.Minute), start.Add(2*time.Minute))
			tc.edit(f, &c)
			before := f.job().Checkpoints
			res := applyCkpt(f, c)
			if !errors.Is(res.Err, ErrReceipt) {
				t.Fatalf("got %+v, want ErrReceipt", res)
			}
			if after := f.job().Checkpoints; *after != *before {
				t.Fatalf("a refused receipt changed the summary: %+v -> %+v", before, after)
			}
		})
	}
}

// A receipt of a run a requeue ended is taken while the job waits (its
// node commits the stopped run's last checkpoint after Slurm requeued it);
// once the next run starts it is not; a pending job that never ran takes
// none.
func TestCheckpointOfARequeuedRun(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	registerKey(f, "node-1", "n1", testKey(1), t0)
	if res := applyCkpt(f, ckpt(f.id, 0, 1, t0, t0.Add(time.Minute))); !errors.Is(res.Err, ErrReceipt) {
		t.Fatalf("a pending job took a receipt: %+v", res)
	}
	start := t0.Add(time.Second)
	f.run(start, "n1")
	f.requeue(start.Add(time.Minute))
	if res := applyCkpt(f, ckpt(f.id, 0, 1, start, start.Add(time.Minute))); res.Err != nil {
		t.Fatalf("the requeued run's last receipt: %v", res.Err)
	}
	if j := f.job(); j.Checkpoints.Count != 1 || j.Checkpoints.Run != 0 {
		t.Fatalf("summary %+v", j.Checkpoints)
	}
	f.run(start.Add(2*time.Minute), "n1")
	if res := applyCkpt(f, ckpt(f.id, 0, 2, start.Add(time.Minute), start.Add(2*time.Minute))); !errors.Is(res.Err, ErrReceipt) {
		t.Fatalf("a receipt of the run before the current one was taken: %+v", res)
	}
	if res := applyCkpt(f, ckpt(f.id, 1, 1, start.Add(2*time.Minute), start.Add(3*time.Minute))); res.Err != nil {
		t.Fatalf("the new run's first receipt: %v", res.Err)
	}
	if j := f.job(); j.Checkpoints.Count != 2 || j.Checkpoints.Run != 1 || j.Checkpoints.Seq != 1 {
		t.Fatalf("summary %+v", j.Checkpoints)
	}
}

// The end of a run as the coordinator recorded it (what credit is bounded
// by): none while it runs; its EndTime once it finished; the requeue that
// ended it while the job waits; none for an older run.
func TestRunEnded(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(time.Second)
	if e := f.job().RunEnded(0); !e.IsZero() {
		t.Fatalf("a pending job's run 0 ended at %v", e)
	}
	f.run(start, "n1")
	if e := f.job().RunEnded(0); !e.IsZero() {
		t.Fatalf("a running run ended at %v", e)
	}
	f.requeue(start.Add(time.Minute))
	if e := f.job().RunEnded(0); !e.Equal(start.Add(time.Minute)) {
		t.Fatalf("the requeued run ended at %v, want the requeue", e)
	}
	f.run(start.Add(2*time.Minute), "n1")
	f.finish(start.Add(3*time.Minute), StateCompleted, 0, 0)
	j := f.job()
	if e := j.RunEnded(1); !e.Equal(start.Add(3 * time.Minute)) {
		t.Fatalf("the finished run ended at %v", e)
	}
	if e := j.RunEnded(0); !e.Equal(start.Add(time.Minute)) {
		t.Fatalf("run 0 ended at %v, want the requeue", e)
	}
	if e := j.RunEnded(5); !e.IsZero() {
		t.Fatalf("a run that never was ended at %v", e)
	}
}

// A time limit (the scheduler's TIMEOUT, before Nomad ends the run)
// leaves the run's token usable for the grace, as a cancel does: the node
// commits the last checkpoint (trigger stop) and sends a staged job's
// outputs while the run stops. The run's Nomad end (a JobFinish from the
// executor) drops it.
func TestTimeLimitLeavesTheRunTokenItsGrace(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	start := t0.Add(time.Second)
	registerKey(f, "node-1", "n1", testKey(1), t0)
	f.run(start, "n1")
	tok, _ := NewRunToken(f.job(), start)
	f.apply(CmdRunToken, RunTokenCmd{Token: tok})
	limit := start.Add(time.Hour)
	f.finish(limit, StateTimeout, 0, 15)
	toks := f.s.View().RunTokens(f.id)
	if len(toks) != 1 || !toks[0].Ended.Equal(limit) || !toks[0].Usable(limit.Add(RunTokenGrace/2)) {
		t.Fatalf("the run's tokens after its time limit: %+v", toks)
	}
	if res := applyCkpt(f, ckpt(f.id, 0, 1, start, limit.Add(20*time.Second))); res.Err != nil {
		t.Fatalf("the timed-out run's last checkpoint: %v", res.Err)
	}
	f.finish(limit.Add(30*time.Second), StateCompleted, 0, 0) // Nomad's end, reported
	if toks := f.s.View().RunTokens(f.id); len(toks) != 0 {
		t.Fatalf("the run's tokens after its Nomad end: %+v", toks)
	}
}

// Past MaxReceiptsPerJob the oldest receipt row goes; the count and the
// credit stay whole.
func TestCheckpointReceiptCap(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	registerKey(f, "node-1", "n1", testKey(1), t0)
	start := t0.Add(time.Second)
	f.run(start, "n1")
	n := MaxReceiptsPerJob + 3
	for i := 1; i <= n; i++ {
		at := start.Add(time.Duration(i-1) * time.Second)
		if res := applyCkpt(f, ckpt(f.id, 0, i, at, at.Add(time.Second))); res.Err != nil {
			t.Fatalf("receipt %d: %v", i, res.Err)
		}
	}
	cp := f.job().Checkpoints
	if cp.Count != n || cp.Dropped != 3 || cp.GPUSeconds != int64(2*n) {
		t.Fatalf("summary %+v", cp)
	}
	var seqs []int
	f.s.View().ReceiptsOfJob(f.id, func(r *ReceiptRecord) bool { seqs = append(seqs, r.Seq); return true })
	if len(seqs) != MaxReceiptsPerJob || seqs[0] != 4 || seqs[len(seqs)-1] != n {
		t.Fatalf("kept %d receipts, %d..%d", len(seqs), seqs[0], seqs[len(seqs)-1])
	}
	if nc := f.s.View().Credits(); nc[0].Receipts != int64(n) {
		t.Fatalf("node credit %+v", nc[0])
	}
}

func TestCheckpointCommandBounds(t *testing.T) {
	good := ckpt(1, 0, 1, t0, t0.Add(time.Second))
	for _, tc := range []struct {
		name string
		edit func(c *CheckpointCmd)
	}{
		{"no signature", func(c *CheckpointCmd) { c.Signed.Sig = nil }},
		{"body over the bound", func(c *CheckpointCmd) { c.Signed.Body = make([]byte, receipt.MaxBytes+1) }},
		{"bad digest", func(c *CheckpointCmd) { c.Digest = "sha256:XY" }},
		{"negative credit", func(c *CheckpointCmd) { c.Credit.GPUSeconds = -1 }},
		{"credited interval backwards", func(c *CheckpointCmd) { c.Credit.End = c.Credit.Start.Add(-time.Second) }},
		{"note over its bound", func(c *CheckpointCmd) { c.Credit.Note = strings.Repeat("x", MaxCreditNote+1) }},
		{"no node", func(c *CheckpointCmd) { c.NodeID = "" }},
	} {
		c := good
		tc.edit(&c)
		if _, err := Encode(CmdCheckpoint, c); err == nil {
			t.Errorf("%s: encoded", tc.name)
		}
	}
	if _, err := Encode(CmdCheckpoint, good); err != nil {
		t.Fatal(err)
	}
}

func TestNodeKeys(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	mgmt := Actor{User: "root", Management: true}
	k1, k2 := testKey(1), testKey(2)
	if res := registerKey(f, "node-1", "n1", k1, t0); res.Err != nil || res.Value != k1 {
		t.Fatalf("register: %+v", res)
	}
	if res := registerKey(f, "node-1", "n1", k1, t0.Add(time.Second)); res.Err != nil || res.Value != nil {
		t.Fatalf("register again: %+v (want nothing changed)", res)
	}
	if res := registerKey(f, "node-2", "n2", k1, t0); !errors.Is(res.Err, ErrKeyOtherNode) {
		t.Fatalf("another node's key: %+v", res)
	}
	// A new key replaces the node's current one; the old one comes back.
	registerKey(f, "node-1", "n1", k2, t0.Add(time.Minute))
	v := f.s.View()
	if cur := v.CurrentNodeKey("node-1"); cur == nil || cur.Key != k2 {
		t.Fatalf("current key %+v", cur)
	}
	if old := v.NodeKey(k1); old == nil || old.Superseded.IsZero() {
		t.Fatalf("old key %+v", old)
	}
	registerKey(f, "node-1", "n1", k1, t0.Add(2*time.Minute))
	if cur := f.s.View().CurrentNodeKey("node-1"); cur == nil || cur.Key != k1 {
		t.Fatalf("current key after it came back %+v", cur)
	}
	// Revocation: management only, by name; never registered again.
	if res := mustApply(t, f.s, &f.idx, CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: t0, Node: "n1", By: Actor{User: "alice"}}); !errors.Is(res.Err, ErrPermission) {
		t.Fatalf("a user revoked a key: %+v", res)
	}
	if res := mustApply(t, f.s, &f.idx, CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: t0.Add(3 * time.Minute), Node: "n1", By: mgmt}); res.Err != nil || res.Value != k1 {
		t.Fatalf("revoke: %+v", res)
	}
	if f.s.View().CurrentNodeKey("node-1") != nil {
		t.Fatal("a revoked key is current")
	}
	if res := registerKey(f, "node-1", "n1", k1, t0.Add(4*time.Minute)); !errors.Is(res.Err, ErrKeyRevoked) {
		t.Fatalf("a revoked key registered again: %+v", res)
	}
	// The node's next key is registered.
	k3 := testKey(3)
	if res := registerKey(f, "node-1", "n1", k3, t0.Add(5*time.Minute)); res.Err != nil {
		t.Fatal(res.Err)
	}
	// Superseded keys are bounded; revoked ones stay.
	for i := 0; i < MaxOldNodeKeys+4; i++ {
		registerKey(f, "node-1", "n1", testKey(byte(10+i)), t0.Add(time.Duration(6+i)*time.Minute))
	}
	var revoked, superseded int
	for _, k := range f.s.View().NodeKeysOf("node-1") {
		switch {
		case !k.Revoked.IsZero():
			revoked++
		case !k.Superseded.IsZero():
			superseded++
		}
	}
	if revoked != 1 || superseded != MaxOldNodeKeys {
		t.Fatalf("%d revoked, %d superseded keys kept; want 1, %d", revoked, superseded, MaxOldNodeKeys)
	}
}

// A Nomad client names itself: a second node may take an honest node's
// name. A revoke by that name is refused (which node's key it meant is
// not known, and picking one would differ between replicas); by node id
// it revokes that node's only.
func TestRevokeByAnAmbiguousName(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	mgmt := Actor{User: "root", Management: true}
	registerKey(f, "node-1", "gpu1", testKey(1), t0)
	registerKey(f, "node-2", "gpu1", testKey(2), t0)
	if res := mustApply(t, f.s, &f.idx, CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: t0, Node: "gpu1", By: mgmt}); res.Err == nil ||
		!strings.Contains(res.Err.Error(), "give the node id") {
		t.Fatalf("revoke by a name two nodes hold: %+v", res)
	}
	if f.s.View().CurrentNodeKey("node-1") == nil || f.s.View().CurrentNodeKey("node-2") == nil {
		t.Fatal("a refused revoke revoked a key")
	}
	if res := mustApply(t, f.s, &f.idx, CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: t0, Node: "node-2", By: mgmt}); res.Err != nil || res.Value != testKey(2) {
		t.Fatalf("revoke by id: %+v", res)
	}
	if f.s.View().CurrentNodeKey("node-1") == nil || f.s.View().CurrentNodeKey("node-2") != nil {
		t.Fatal("the revoke by id took the wrong node's key")
	}
}

// Replicas that apply the same random checkpoint and node key entries
// (between starts, requeues and finishes) agree on every result and
// snapshot, and a restore of a snapshot goes on applying the same.
func TestCheckpointReplicasAgree(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			replicas := []*Store{New(), New(), New()}
			idx := uint64(0)
			apply := func(ct CommandType, p any) *Result {
				if c, ok := p.(JobSubmitCmd); ok {
					c.Job = record(t, c.Submission.Spec, c.DefaultPartition)
					p = c
				}
				b, err := Encode(ct, p)
				if err != nil {
					t.Fatal(err)
				}
				idx++
				var first []byte
				var res0 *Result
				for k, s := range replicas {
					res := s.Apply(idx, b)
					d, _ := json.Marshal(struct {
						Err string
						Res *Result
					}{fmt.Sprint(res.Err), res})
					if k == 0 {
						first, res0 = d, res
					} else if !bytes.Equal(d, first) {
						t.Fatalf("entry %d: replica %d answered %s, replica 0 %s", idx, k, d, first)
					}
				}
				if idx%97 == 0 {
					replicas[2] = restoreOf(t, replicas[0])
				}
				return res0
			}
			apply(CmdJobSubmit, JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "debug", Submission: submission(t, "#!/bin/sh\ntrue\n")})
			now := t0
			cur, revoked := "", map[string]bool{}
			accepted := 0
			for i := 0; i < 400; i++ {
				now = now.Add(time.Second)
				j := replicas[0].View().Job(1)
				switch r.Intn(10) {
				case 0:
					k := testKey(byte(1 + r.Intn(4)))
					apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: now, NodeID: "node-1", Node: "n1", Key: k})
					if !revoked[k] {
						cur = k
					}
				case 1:
					if r.Intn(4) == 0 && cur != "" {
						apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: now, Node: "n1", By: Actor{Management: true}})
						revoked[cur], cur = true, ""
					}
				case 2:
					apply(CmdJobStart, JobStartCmd{Time: now, JobID: 1, Task: NoTask})
				case 3:
					if r.Intn(3) == 0 {
						apply(CmdJobRequeue, JobRequeueCmd{Time: now, By: Actor{User: "alice"}, Refs: []JobRef{{JobID: 1, Task: AllTasks}}})
					}
				default:
					run, seq, end := j.RestartCount, 0, now.Add(-time.Second)
					if cp := j.Checkpoints; cp != nil && cp.Run == run {
						seq, end = cp.Seq, cp.End
					}
					s := seq + 1
					if r.Intn(5) == 0 {
						s = max(seq+r.Intn(3), 1) // a repeat or a gap
					}
					c := ckpt(1, run, s, end, now)
					c.Key = cur
					if r.Intn(6) == 0 || cur == "" {
						c.Key = testKey(byte(1 + r.Intn(4)))
					}
					if res := apply(CmdCheckpoint, c); res.Err == nil {
						accepted++
					}
				}
			}
			a, b, c := snap(t, replicas[0]), snap(t, replicas[1]), snap(t, replicas[2])
			if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
				t.Fatal("replicas' snapshots differ")
			}
			if again := snap(t, restoreOf(t, replicas[0])); !bytes.Equal(a, again) {
				t.Fatal("snapshot -> restore -> snapshot differs")
			}
			if accepted < 10 || !bytes.Contains(a, []byte(`"t":"receipts"`)) || !bytes.Contains(a, []byte(`"t":"node_keys"`)) || !bytes.Contains(a, []byte(`"t":"credit"`)) {
				t.Fatalf("%d receipts accepted; the snapshot lacks the checkpoint tables", accepted)
			}
			// The job's totals are the sum of its receipts (none was dropped).
			var gpu int64
			n := 0
			replicas[0].View().ReceiptsOfJob(1, func(rec *ReceiptRecord) bool { gpu += rec.Credit.GPUSeconds; n++; return true })
			if cp := replicas[0].View().Job(1).Checkpoints; cp.Count != n || cp.GPUSeconds != gpu {
				t.Fatalf("summary %+v; receipts %d of %d GPU-s", cp, n, gpu)
			}
		})
	}
}

func snap(t *testing.T, s *Store) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := s.Snapshot().Persist(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func restoreOf(t *testing.T, s *Store) *Store {
	t.Helper()
	r := New()
	if err := r.Restore(bytes.NewReader(snap(t, s))); err != nil {
		t.Fatal(err)
	}
	return r
}
