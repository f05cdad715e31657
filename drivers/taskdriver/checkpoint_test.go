package taskdriver

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/helper/uuid"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/checkpoint"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// harnessObserver answers the coordinator's question "what did Nomad see
// of this allocation?" for a task run by Nomad's driver harness, which
// plays the Nomad client here: the node and allocation the harness gave
// the task, and the start and end the driver reported to it.
// The first `late` questions are answered as the Nomad servers answer
// right after a task started, before its client has told them: no start
// yet.
type harnessObserver struct {
	td   *testDriver
	cfg  *drivers.TaskConfig
	cpus int

	mu   sync.Mutex
	late int
}

func (o *harnessObserver) ObserveAlloc(_ context.Context, _ *state.Job, _ int, allocID string) (*credit.Observed, error) {
	o.mu.Lock()
	td, cfg := o.td, o.cfg
	o.mu.Unlock()
	if cfg == nil || allocID != cfg.AllocID {
		return nil, fmt.Errorf("allocation %s is not the run's", allocID)
	}
	obs := &credit.Observed{NodeID: cfg.NodeID, Node: cfg.NodeName, AllocID: cfg.AllocID, CPUs: o.cpus}
	st, err := td.d.InspectTask(cfg.ID)
	switch {
	case errors.Is(err, drivers.ErrTaskNotFound):
		// Placed, still starting (a restore before the script starts).
	case err != nil:
		return nil, err
	default:
		obs.Start, obs.Finish = st.StartedAt, st.CompletedAt
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.late > 0 {
		o.late--
		obs.Start, obs.Finish = time.Time{}, time.Time{}
	}
	return obs, nil
}

// setCfg makes cfg's allocation the one the observer answers for.
func (o *harnessObserver) setCfg(cfg *drivers.TaskConfig) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cfg = cfg
}

// coordinator is a real API server with a blob store, a running job of
// user alice, its run token, and the driver's node key registered for
// node.
type coordinator struct {
	srv   *bridgetest.Server
	blobs cas.Store
	id    uint64
	token string
	obs   *harnessObserver
}

func newCoordinator(t *testing.T, td *testDriver, nodeID, node string) *coordinator {
	t.Helper()
	blobs, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	obs := &harnessObserver{td: td}
	srv := bridgetest.Start(t, bridgetest.Options{Blobs: blobs, Observer: obs})
	apply := func(ct state.CommandType, p any) *state.Result {
		t.Helper()
		cmd, err := state.Encode(ct, p)
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := srv.Raft.Apply(context.Background(), cmd)
		if err != nil {
			t.Fatal(err)
		}
		if res.Err != nil {
			t.Fatalf("%s: %v", ct, res.Err)
		}
		return res
	}
	script := "#!/bin/sh\nhostname\n"
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
	if spec == nil {
		t.Fatal(diags)
	}
	sub := &state.Submission{Script: []byte(script), ScriptName: "job.sh", Cwd: "/home/alice", Spec: spec}
	id := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "alice", Submission: sub, DefaultPartition: "batch",
		Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	apply(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: id, Task: state.NoTask})
	apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: time.Now(), NodeID: nodeID, Node: node,
		Key: td.d.nodeKeyAttr()})
	return &coordinator{srv: srv, blobs: blobs, id: id, token: srv.RunToken(t, id), obs: obs}
}

// taskEvents collects the driver's task events until the test ends.
func taskEvents(t *testing.T, td *testDriver) func() []string {
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := td.d.TaskEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var msgs []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-ch:
				if !ok {
					return
				}
				mu.Lock()
				msgs = append(msgs, ev.Message)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), msgs...)
	}
}

// waitFile polls for a file the job writes, up to taskWait.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(taskWait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, taskWait)
		}
	}
}

// A job runs `hpcbridge checkpoint` (the plugin binary on its PATH): the
// driver scans its checkpoint directory as the job's user, uploads it
// with the run's token, signs a receipt with the node key and commits it
// at a real coordinator; the command prints what was committed. Another
// user cannot use the task's socket, a path outside the checkpoint
// directory is refused, and exit 85 commits the changed checkpoint
// before the driver reports the exit. A requeued run finds the last
// checkpoint restored before its script starts.
func TestCheckpointCommitsReachTheCoordinator(t *testing.T) {
	td := newTestDriver(t, Config{})
	events := taskEvents(t, td)
	nodeID, node := uuid.Generate(), "node7"
	co := newCoordinator(t, td, nodeID, node)
	script := `#!/bin/sh
mkdir -p "$HPCBRIDGE_CHECKPOINT_DIR"
cd "$HPCBRIDGE_CHECKPOINT_DIR" || exit 3
echo "epoch 1" > state
head -c 300000 /dev/zero > model.bin
hpcbridge checkpoint || exit 4
hpcbridge checkpoint /etc/passwd; echo "escape=$?"
hpcbridge checkpoint state; echo "named=$?"
touch ../ready
while [ ! -e ../go ]; do sleep 0.05; done
echo "epoch 2" > state
exit 85
`
	j := td.newJob(t, TaskConfig{Script: script, Output: "out.txt", Coordinator: co.srv.URL, RunToken: co.token,
		JobID: int(co.id), Run: 0, CheckpointDir: "ckpt"}, map[string]string{"SLURM_JOB_ID": strconv.FormatUint(co.id, 10)})
	j.cfg.NodeID, j.cfg.NodeName = nodeID, node
	co.obs.cfg = j.cfg
	co.obs.cpus = allocatedCPUs(j.cfg.Resources, td.d.compute, nil)
	// The first commit comes before the Nomad servers saw the task start:
	// the driver sends its receipt again until they have.
	co.obs.late = 1
	ch := j.start()

	waitFile(t, filepath.Join(j.dir, "ready"))
	// Root is not the job's user (nobody): the socket refuses it.
	sock := filepath.Join(jobdir.Layout{TaskDir: j.taskDir()}.Dir(), checkpointSocketName)
	ctx, cancel := context.WithTimeout(context.Background(), taskWait)
	defer cancel()
	if _, err := checkpoint.Commit(ctx, sock, nil); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a commit by another user: %v", err)
	}
	if err := os.WriteFile(filepath.Join(j.dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res := j.wait(ch)
	out := j.file("out.txt")
	if res.ExitCode != exitCheckpoint {
		t.Fatalf("exit %s\n%s", describe(res), out)
	}
	mustContain(t, "job output", out,
		"checkpoint 1 committed: 2 files, 293.0 KiB",
		"outside the checkpoint directory", "escape=1",
		"checkpoint 2 committed: 1 files", "named=0")

	v := co.srv.Store.View()
	cp := v.Job(co.id).Checkpoints
	if cp == nil || cp.Count != 3 || cp.Seq != 3 {
		t.Fatalf("coordinator's checkpoints %+v, want 3 (command, command, exit85)\n%s", cp, out)
	}
	pub, err := receipt.DecodeKey(td.d.nodeKeyAttr())
	if err != nil {
		t.Fatal(err)
	}
	for seq, trigger := range map[int]string{1: receipt.TriggerCommand, 2: receipt.TriggerCommand, 3: receipt.TriggerExit85} {
		rec := v.Receipt(co.id, 0, seq)
		if rec == nil {
			t.Fatalf("no receipt %d", seq)
		}
		r, err := receipt.Open(&rec.Signed, ed25519.PublicKey(pub))
		if err != nil {
			t.Fatalf("receipt %d: %v", seq, err)
		}
		if r.Trigger != trigger || r.Node != node || r.NodeID != nodeID || r.AllocID != j.cfg.AllocID || r.CPUs != co.obs.cpus {
			t.Errorf("receipt %d: %+v", seq, r)
		}
		if rec.Credit.Clamped {
			t.Errorf("receipt %d clamped: %s", seq, rec.Credit.Note)
		}
	}
	r1, _ := receipt.Open(&v.Receipt(co.id, 0, 1).Signed, ed25519.PublicKey(pub))
	r2, _ := receipt.Open(&v.Receipt(co.id, 0, 2).Signed, ed25519.PublicKey(pub))
	st, _ := td.d.InspectTask(j.cfg.ID)
	// The first interval starts a little after the task's start (Nomad
	// stamps its start after StartTask returns); each next one where the
	// previous one ended.
	if !r1.Start.After(st.StartedAt) || r1.Start.After(st.StartedAt.Add(firstClaimDelay+10*time.Second)) || !r2.Start.Equal(r1.End) {
		t.Errorf("intervals: first %s..%s (task start %s), second from %s", r1.Start, r1.End, st.StartedAt, r2.Start)
	}
	// Commits of one task are a second apart at least (each is a write
	// at the coordinator).
	if d := r2.End.Sub(r1.End); d < commitSpacing {
		t.Errorf("two commits %s apart, want %s at least", d, commitSpacing)
	}
	msgs := strings.Join(events(), "\n")
	mustContain(t, "task events", msgs, "Checkpoint 1 committed (command)", "Checkpoint 3 committed (exit85)")

	// The requeued run, on a fresh task: the checkpoint is back before
	// the script starts.
	restore := cp.Digest
	j2 := td.newJob(t, TaskConfig{Script: "#!/bin/sh\ncat \"$HPCBRIDGE_CHECKPOINT_DIR/state\"; wc -c < \"$HPCBRIDGE_CHECKPOINT_DIR/model.bin\"\n",
		Output: "out2.txt", Coordinator: co.srv.URL, RunToken: co.token, JobID: int(co.id), Run: 0, CheckpointDir: "ckpt", Restore: restore}, nil)
	j2.cfg.NodeID, j2.cfg.NodeName = nodeID, node
	co.obs.setCfg(j2.cfg) // the run's allocation now, on the same node (its token signed by it)
	if res := j2.run(); res.ExitCode != 0 {
		t.Fatalf("restored run: %s\n%s", describe(res), j2.file("out2.txt"))
	}
	mustContain(t, "restored run's output", j2.file("out2.txt"), "epoch 2", "300000")
}

// A stop commits the checkpoint when it changed since the run's last
// commit, and so does a job's end after a signal (a reclaim, or a time
// limit, signals first: the job may save its state and exit by itself).
func TestCheckpointAtStop(t *testing.T) {
	t.Run("stop", func(t *testing.T) { checkpointAtStop(t, "TERM", false) })
	t.Run("signal", func(t *testing.T) { checkpointAtStop(t, "USR1", true) })
}

func checkpointAtStop(t *testing.T, sig string, signal bool) {
	td := newTestDriver(t, Config{})
	events := taskEvents(t, td)
	nodeID, node := uuid.Generate(), "node7"
	co := newCoordinator(t, td, nodeID, node)
	script := `#!/bin/sh
echo "epoch 1" > "$HPCBRIDGE_CHECKPOINT_DIR/state"
touch "$HPCBRIDGE_CHECKPOINT_DIR/../ready"
trap 'echo "epoch 9" > "$HPCBRIDGE_CHECKPOINT_DIR/state"; exit 0' ` + sig + `
while :; do sleep 0.05; done
`
	j := td.newJob(t, TaskConfig{Script: script, Output: "/dev/null", Coordinator: co.srv.URL, RunToken: co.token,
		JobID: int(co.id), Run: 0, CheckpointDir: "ckpt"}, nil)
	if err := os.Mkdir(filepath.Join(j.dir, "ckpt"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(j.dir, "ckpt"), 0o777); err != nil {
		t.Fatal(err)
	}
	j.cfg.NodeID, j.cfg.NodeName = nodeID, node
	co.obs.cfg = j.cfg
	co.obs.cpus = allocatedCPUs(j.cfg.Resources, td.d.compute, nil)
	ch := j.start()
	waitFile(t, filepath.Join(j.dir, "ready"))
	if signal {
		if err := td.SignalTask(j.cfg.ID, "B:SIG"+sig); err != nil {
			t.Fatal(err)
		}
	} else if err := td.StopTask(j.cfg.ID, 10*time.Second, "SIG"+sig); err != nil {
		t.Fatal(err)
	}
	j.wait(ch)
	rec := co.srv.Store.View().Receipt(co.id, 0, 1)
	if rec == nil || rec.Trigger != receipt.TriggerStop {
		t.Fatalf("stop receipt %+v\nevents: %q", rec, events())
	}
	// What the job wrote in its grace is what was committed.
	m, err := cas.GetManifest(context.Background(), rec.Digest, cas.StoreRemote(co.blobs, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 1 || m.Files[0].Path != "state" || m.Files[0].Size != int64(len("epoch 9\n")) {
		t.Errorf("stop checkpoint %+v", m.Files)
	}
}

// The driver never reads the job's files as root: a job that puts a
// symbolic link to a root-only directory (here the node key's) in place
// of its checkpoint directory gets "permission denied", not the key
// uploaded to its owner's namespace.
func TestCheckpointNeverReadsAsRoot(t *testing.T) {
	keyDir := filepath.Join(t.TempDir(), "state")
	td := newTestDriver(t, Config{NodeKeyFile: filepath.Join(keyDir, "node.key")})
	nodeID, node := uuid.Generate(), "node7"
	co := newCoordinator(t, td, nodeID, node)
	script := `#!/bin/sh
rm -rf "$HPCBRIDGE_CHECKPOINT_DIR"
ln -s "$KEY_DIR" "$HPCBRIDGE_CHECKPOINT_DIR"
hpcbridge checkpoint; echo "rc=$?"
`
	j := td.newJob(t, TaskConfig{Script: script, Output: "out.txt", Coordinator: co.srv.URL, RunToken: co.token,
		JobID: int(co.id), Run: 0, CheckpointDir: "ckpt"}, map[string]string{"KEY_DIR": keyDir})
	j.cfg.NodeID, j.cfg.NodeName = nodeID, node
	co.obs.cfg = j.cfg
	if res := j.run(); res.ExitCode != 0 {
		t.Fatalf("exit %s", describe(res))
	}
	out := j.file("out.txt")
	mustContain(t, "job output", out, "permission denied", "rc=1")
	if cp := co.srv.Store.View().Job(co.id).Checkpoints; cp != nil {
		t.Fatalf("a checkpoint of a root-only directory was committed: %+v", cp)
	}
	key, err := os.ReadFile(filepath.Join(keyDir, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := co.blobs.Has(context.Background(), "alice", cas.Sum(key)); ok {
		t.Fatal("the node key reached the job owner's namespace")
	}
}

// A restarted plugin serves a running task's checkpoints again, at the
// same socket, and its receipts go on with the run's next number: from
// its control file, or, when that is lost, from the coordinator.
func TestCheckpointAfterPluginRestart(t *testing.T) {
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprintf("progress_lost=%v", lost), func(t *testing.T) {
			keyFile := filepath.Join(t.TempDir(), "node.key")
			td := newTestDriver(t, Config{NodeKeyFile: keyFile})
			nodeID, node := uuid.Generate(), "node7"
			co := newCoordinator(t, td, nodeID, node)
			script := `#!/bin/sh
cd "$HPCBRIDGE_CHECKPOINT_DIR" || exit 3
echo 1 > state
hpcbridge checkpoint || exit 4
touch ready
while [ ! -e go ]; do sleep 0.05; done
echo 2 > state
hpcbridge checkpoint || exit 5
`
			j := td.newJob(t, TaskConfig{Script: script, Output: "out.txt", Coordinator: co.srv.URL, RunToken: co.token,
				JobID: int(co.id), Run: 0}, nil)
			j.cfg.NodeID, j.cfg.NodeName = nodeID, node
			co.obs.cfg = j.cfg
			co.obs.cpus = allocatedCPUs(j.cfg.Resources, td.d.compute, nil)
			handle, _, err := td.StartTask(j.cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = td.d.DestroyTask(j.cfg.ID, true) })
			waitFile(t, filepath.Join(j.dir, "ready"))

			td.cancel()
			if lost {
				if err := os.Remove(filepath.Join(jobdir.Layout{TaskDir: j.taskDir()}.CtlDir(), checkpointProgressName)); err != nil {
					t.Fatal(err)
				}
			}
			td2 := newTestDriver(t, Config{NodeKeyFile: keyFile})
			if err := td2.RecoverTask(handle); err != nil {
				t.Fatalf("RecoverTask: %v", err)
			}
			t.Cleanup(func() { _ = td2.d.DestroyTask(j.cfg.ID, true) })
			co.obs.mu.Lock()
			co.obs.td = td2
			co.obs.mu.Unlock()
			ch, err := td2.WaitTask(context.Background(), j.cfg.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(j.dir, "go"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if res := j.wait(ch); res.ExitCode != 0 {
				t.Fatalf("exit %s\n%s", describe(res), j.file("out.txt"))
			}
			v := co.srv.Store.View()
			r1, r2 := v.Receipt(co.id, 0, 1), v.Receipt(co.id, 0, 2)
			if r1 == nil || r2 == nil {
				t.Fatalf("receipts %+v %+v\n%s", r1, r2, j.file("out.txt"))
			}
			if r2.ClaimStart.Before(r1.ClaimEnd) {
				t.Errorf("second receipt starts at %s, before the first's end %s", r2.ClaimStart, r1.ClaimEnd)
			}
			mustContain(t, "job output", j.file("out.txt"), "checkpoint 1 committed", "checkpoint 2 committed")
		})
	}
}

// On a pool node (the donor's default) the file helper runs as the job's
// pool uid: exit 85 commits the checkpoint before the uid is cleaned up,
// and a requeued run, under another pool uid, finds it restored in its
// private task directory.
func TestCheckpointOnPoolNode(t *testing.T) {
	t.Run("pool", func(t *testing.T) {
		checkpointOnPoolNode(t, Config{RunAs: RunAsPool, PoolUIDs: "62990-62991", PoolDir: filepath.Join(t.TempDir(), "pool")}, "6299")
	})
	// A donor node's sandbox: the job reaches the checkpoint socket (bound
	// into its mount namespace) and its restored directory.
	t.Run("sandbox", func(t *testing.T) {
		checkpointOnPoolNode(t, sandboxConfig(t, true, "", "60230-60231"), "6023")
	})
}

func checkpointOnPoolNode(t *testing.T, conf Config, uidPrefix string) {
	td := newTestDriver(t, conf)
	nodeID, node := uuid.Generate(), "node7"
	co := newCoordinator(t, td, nodeID, node)
	script := `#!/bin/sh
mkdir -p "$HPCBRIDGE_CHECKPOINT_DIR" && echo "epoch 5 by $(id -u)" > "$HPCBRIDGE_CHECKPOINT_DIR/state"
exit 85
`
	j := td.newJob(t, TaskConfig{Script: script, Output: "out.txt", Coordinator: co.srv.URL, RunToken: co.token,
		JobID: int(co.id), Run: 0, CheckpointDir: "ckpt"}, nil)
	j.cfg.NodeID, j.cfg.NodeName = nodeID, node
	co.obs.cfg = j.cfg
	co.obs.cpus = allocatedCPUs(j.cfg.Resources, td.d.compute, nil)
	if res := j.run(); res.ExitCode != exitCheckpoint {
		t.Fatalf("exit %s", describe(res))
	}
	rec := co.srv.Store.View().Receipt(co.id, 0, 1)
	if rec == nil || rec.Trigger != receipt.TriggerExit85 {
		t.Fatalf("exit-85 receipt %+v", rec)
	}

	j2 := td.newJob(t, TaskConfig{Script: "#!/bin/sh\ncat \"$HPCBRIDGE_CHECKPOINT_DIR/state\"; ls -ln \"$HPCBRIDGE_CHECKPOINT_DIR/state\"; id -u\n",
		Output: "out.txt", Coordinator: co.srv.URL, RunToken: co.token, JobID: int(co.id), Run: 0, CheckpointDir: "ckpt",
		Restore: rec.Digest}, nil)
	j2.cfg.NodeID, j2.cfg.NodeName = nodeID, node
	co.obs.setCfg(j2.cfg) // the run's allocation now, on the same node (its token signed by it)
	if res := j2.run(); res.ExitCode != 0 {
		t.Fatalf("restored run: %s", describe(res))
	}
	out := j2.file(filepath.Join(j2.taskDir(), "out.txt"))
	lines := strings.Fields(out)
	uid := lines[len(lines)-1]
	mustContain(t, "restored run's output", out, "epoch 5 by "+uidPrefix, " "+uid+" "+uid+" ")
}

// A requeued run whose checkpoint cannot be restored does not start (it
// would start from scratch without saying so); the error says why.
func TestCheckpointRestoreFailureFailsStart(t *testing.T) {
	td := newTestDriver(t, Config{})
	nodeID, node := uuid.Generate(), "node7"
	co := newCoordinator(t, td, nodeID, node)
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\ntrue\n", Coordinator: co.srv.URL, RunToken: co.token,
		JobID: int(co.id), Run: 0, Restore: "sha256:" + strings.Repeat("0", 64)}, nil)
	j.cfg.NodeID, j.cfg.NodeName = nodeID, node
	_, _, err := td.StartTask(j.cfg)
	if err == nil {
		_ = td.d.DestroyTask(j.cfg.ID, true)
		t.Fatal("the task started without its checkpoint")
	}
	if !strings.Contains(err.Error(), "restore checkpoint sha256:0000") {
		t.Errorf("error %v", err)
	}
	if _, err := os.Stat(filepath.Join(jobdir.Layout{TaskDir: j.taskDir()}.Dir(), checkpointSocketName)); !os.IsNotExist(err) {
		t.Errorf("the failed task's socket is left: %v", err)
	}
}

// A job on a shared partition that never used checkpoints (its checkpoint
// directory is its own working directory, the user's) is not uploaded
// whole when it is stopped; once it has committed one, a stop commits what
// changed.
func TestCheckpointAtStopSharedWorkdir(t *testing.T) {
	for _, committed := range []bool{false, true} {
		t.Run(fmt.Sprintf("committed=%v", committed), func(t *testing.T) {
			td := newTestDriver(t, Config{})
			nodeID, node := uuid.Generate(), "node7"
			co := newCoordinator(t, td, nodeID, node)
			first := ""
			if committed {
				first = `echo "epoch 1" > "$HPCBRIDGE_CHECKPOINT_DIR/state"; hpcbridge checkpoint || exit 3` + "\n"
			}
			script := "#!/bin/sh\n" + first + `echo "epoch 2" > "$HPCBRIDGE_CHECKPOINT_DIR/state"
touch "$HPCBRIDGE_CHECKPOINT_DIR/ready"
while :; do sleep 0.05; done
`
			j := td.newJob(t, TaskConfig{Script: script, Output: "/dev/null", Coordinator: co.srv.URL, RunToken: co.token,
				JobID: int(co.id), Run: 0}, nil)
			j.cfg.NodeID, j.cfg.NodeName = nodeID, node
			co.obs.cfg = j.cfg
			co.obs.cpus = allocatedCPUs(j.cfg.Resources, td.d.compute, nil)
			ch := j.start()
			waitFile(t, filepath.Join(j.dir, "ready"))
			if err := td.StopTask(j.cfg.ID, 10*time.Second, "SIGTERM"); err != nil {
				t.Fatal(err)
			}
			j.wait(ch)
			cp := co.srv.Store.View().Job(co.id).Checkpoints
			switch {
			case !committed && cp != nil:
				t.Fatalf("a plain job's shared directory was committed at its stop: %+v", cp)
			case committed && (cp == nil || cp.Count != 2):
				t.Fatalf("checkpoints %+v, want the command's and the stop's", cp)
			}
		})
	}
}
