package taskdriver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/drivers/shared/executor"
	"github.com/hashicorp/nomad/plugins/drivers"
	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/checkpoint"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// A task's checkpoints, node side (docs/checkpoints.md, "What the node
// does"). A task whose config carries the coordinator's address and a run
// token gets a checkpoint service: a unix socket in the driver's own
// directory of the task (root's; the job cannot replace it), named by
// HPCBRIDGE_CHECKPOINT_SOCKET, where `hpcbridge checkpoint` asks for a
// commit. A commit scans the checkpoint directory as the job's user (the
// file helper, package checkpoint), uploads what the store lacks through
// the driver with the run's token, signs a receipt with the node key and
// posts it; the reply comes once the coordinator has committed. The task's
// end commits too: exit code 85 always, a stop when the checkpoint changed
// since the run's last commit. A requeued run's last checkpoint is restored
// into the checkpoint directory before its script starts.

// Bounds of the node side.
const (
	// checkpointSocketName is the socket's name in jobdir.Layout.Dir.
	checkpointSocketName = "checkpoint.sock"
	// checkpointProgressName keeps the run's commits (ctl/, root only),
	// so that a restarted plugin goes on with the next seq.
	checkpointProgressName = "checkpoint.json"
	// checkpointLimit bounds a checkpoint's bytes.
	checkpointLimit int64 = 64 << 30
	// checkpointTimeout bounds one commit (scan, upload, receipt), and a
	// restore.
	checkpointTimeout = 30 * time.Minute
	// endCheckpointTimeout bounds the commit at a task's end (exit 85, a
	// stop): Nomad learns of the end, and the coordinator requeues the
	// job, only after it.
	endCheckpointTimeout = 5 * time.Minute
	// helperWaitDelay is how long a file helper may linger after its
	// result (or its kill) before it is killed and no longer waited for.
	helperWaitDelay = 5 * time.Second
	// conflictRetry bounds the retries of a receipt the coordinator
	// answered "conflict" (409): the Nomad servers may not have seen the
	// task start yet, right after it started.
	conflictRetry = 20 * time.Second
	// firstClaimDelay is how long after the task's start (as the driver
	// saw it) a run's first receipt starts its interval: Nomad's record of
	// the start is a little later, and a receipt that starts before it is
	// clamped (and the clamp recorded) for nothing.
	firstClaimDelay = time.Second
	// commitSpacing is the least time from one commit's end to the next
	// one's start, per task.
	commitSpacing = time.Second
	// checkpointConns bounds the connections served at once per task.
	checkpointConns = 8
	// exitCheckpoint is HTCondor's "checkpointed, requeue me".
	exitCheckpoint = 85
)

// CheckpointSetup is what a task's checkpoints need, fixed at its start and
// kept in TaskState so that RecoverTask serves them again.
type CheckpointSetup struct {
	// Dir is the checkpoint directory (absolute).
	Dir string
	// Coordinator (API URLs, comma separated) and RunToken: from the task
	// config, never given to the job.
	Coordinator string
	RunToken    string
	JobID       int
	Run         int
	// Restore is the checkpoint restored at the start ("" none).
	Restore string
	// SharedWorkdir: the checkpoint directory is the job's own working
	// directory on a shared partition (the user's directory, already on
	// the shared file system). A stop commits it only when the job has
	// used checkpoints (committed or restored one): a plain job that is
	// cancelled must not have its whole directory uploaded.
	SharedWorkdir bool `json:",omitempty"`
	// The job's user: the helper runs as it, the socket serves only it.
	UID, GID int
	Groups   []int
	// Sandbox, on a sandboxed node, is the job's sandbox: the helper runs
	// in one too (never as the job's uid in the host's view).
	Sandbox *sandbox.Spec `json:",omitempty"`
	// GPUs (UUIDs) and CPUs the task holds, for the receipts.
	GPUs []string
	CPUs int
	// Start is when the task's job started (after the restore): the
	// first receipt's interval begins firstClaimDelay later.
	Start time.Time
}

// errNoDir: the checkpoint directory does not exist.
var errNoDir = errors.New("the checkpoint directory does not exist")

// checkpointProgress is what the run has committed.
type checkpointProgress struct {
	Seq    int       `json:"seq"`
	End    time.Time `json:"end"`
	Digest string    `json:"digest"`
}

// checkpointer is one task's checkpoint service.
type checkpointer struct {
	setup  CheckpointSetup
	cfg    *drivers.TaskConfig
	layout jobdir.Layout
	key    ed25519.PrivateKey
	remote *api.BlobRemote
	logger hclog.Logger
	emit   func(*drivers.TaskEvent) error
	// helper is the plugin binary the job's user may run (the bin dir's
	// hpcbridge link).
	helper string
	limit  int64

	// sem holds one commit at a time.
	sem chan struct{}
	mu  sync.Mutex
	got checkpointProgress
	// synced: the coordinator was asked for the run's progress.
	synced bool
	// nextAt is when the next commit may start (held with sem).
	nextAt time.Time

	ln     *net.UnixListener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	conns  chan struct{}
}

// checkpointEnv are the variables the job is told; a task without the
// service has neither (whatever the submitter exported).
var checkpointEnv = []string{checkpoint.EnvSocket, checkpoint.EnvDir}

// setupCheckpoints makes a task's checkpoint setup from its config and
// stepd's (after staging has chosen the working directory), installs the
// in-job hpcbridge command, and gives the job its environment. It returns
// nil when the task has no checkpoints (no coordinator in its config, or a
// multi-node job).
func (d *Driver) setupCheckpoints(cfg *drivers.TaskConfig, tc *TaskConfig, sc *jobdir.StepdConfig,
	acct account, compute cpustats.Compute, gpus gpuSet) (*CheckpointSetup, error) {
	sc.Env = withoutEnv(sc.Env, checkpointEnv...)
	if tc.Coordinator == "" || tc.Nodes > 1 {
		return nil, nil
	}
	if tc.RunToken == "" || tc.JobID <= 0 || tc.Run < 0 {
		return nil, fmt.Errorf("hpcbridge task config: coordinator %q given without a run token, job id and run", tc.Coordinator)
	}
	if tc.Restore != "" && !receipt.ValidDigest(tc.Restore) {
		return nil, fmt.Errorf("hpcbridge task config: restore %q: want sha256:<64 hex>", tc.Restore)
	}
	rel := filepath.Clean(tc.CheckpointDir)
	if tc.CheckpointDir == "" {
		rel = "."
	}
	if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("hpcbridge task config: checkpoint_dir %q must be relative to the working directory, inside it", tc.CheckpointDir)
	}
	workdir := sc.Workdir
	if workdir == "" {
		workdir = sc.TaskDir
	}
	layout := jobdir.Layout{TaskDir: sc.TaskDir}
	if err := installSrun(d.self, filepath.Join(layout.BinDir(), checkpoint.JobName)); err != nil {
		return nil, fmt.Errorf("install the hpcbridge command: %w", err)
	}
	s := &CheckpointSetup{
		Dir:           filepath.Join(workdir, rel),
		Coordinator:   tc.Coordinator,
		RunToken:      tc.RunToken,
		JobID:         tc.JobID,
		Run:           tc.Run,
		Restore:       tc.Restore,
		SharedWorkdir: rel == "." && tc.StagedInput == "",
		UID:           acct.uid,
		GID:           acct.gid,
		Groups:        acct.groups,
		Sandbox:       sc.Sandbox,
		GPUs:          gpus.uuids,
		CPUs:          allocatedCPUs(cfg.Resources, compute, jobEnv(cfg.Env, tc.Env)),
		Start:         sc.Start,
	}
	sc.Env = append(sc.Env,
		checkpoint.EnvSocket+"="+filepath.Join(layout.Dir(), checkpointSocketName),
		checkpoint.EnvDir+"="+s.Dir)
	return s, nil
}

// withoutEnv drops the variables names from env ("NAME=value" list).
func withoutEnv(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			if k == n {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// newCheckpointer makes the service of a set-up task (nil setup: none),
// reading the run's progress when a restarted plugin takes the task back.
func (d *Driver) newCheckpointer(s *CheckpointSetup, cfg *drivers.TaskConfig, logger hclog.Logger) (*checkpointer, error) {
	if s == nil {
		return nil, nil
	}
	key := d.nodeKey()
	if key == nil {
		return nil, ErrNotConfigured
	}
	remote, err := api.NewRunRemote(s.Coordinator, s.RunToken, strconv.Itoa(s.JobID), d.runSigner(cfg))
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	layout := jobdir.Layout{TaskDir: cfg.TaskDir().Dir}
	ctx, cancel := context.WithCancel(d.ctx)
	ck := &checkpointer{
		setup:  *s,
		cfg:    cfg,
		layout: layout,
		key:    key,
		remote: remote,
		logger: logger.Named("checkpoint"),
		helper: filepath.Join(layout.BinDir(), checkpoint.JobName),
		limit:  checkpointLimit,
		sem:    make(chan struct{}, 1),
		ctx:    ctx,
		cancel: cancel,
		conns:  make(chan struct{}, checkpointConns),
	}
	if err := jobdir.ReadJSON(ck.progressFile(), &ck.got); err != nil && !errors.Is(err, os.ErrNotExist) {
		logger.Warn("cannot read the run's checkpoint progress; seq starts again", "error", err)
	}
	return ck, nil
}

// progress is what the run has committed. Without a record of it (a
// restarted plugin that lost its control file), the coordinator's list of
// the job's checkpoints says, once.
func (ck *checkpointer) progress(ctx context.Context) checkpointProgress {
	ck.mu.Lock()
	got, synced := ck.got, ck.synced
	ck.synced = true
	ck.mu.Unlock()
	if got.Seq > 0 || synced {
		return got
	}
	files, err := ck.remote.Files(ctx)
	if err != nil {
		ck.logger.Warn("cannot read the job's checkpoints from the coordinator; counting from 1", "error", err)
		return got
	}
	for _, c := range files.Checkpoints {
		if c.Run == ck.setup.Run && c.Seq > got.Seq {
			got = checkpointProgress{Seq: c.Seq, End: c.Time, Digest: c.Digest}
		}
	}
	ck.mu.Lock()
	if ck.got.Seq == 0 {
		ck.got = got
	}
	ck.mu.Unlock()
	return got
}

func (ck *checkpointer) progressFile() string {
	return filepath.Join(ck.layout.CtlDir(), checkpointProgressName)
}

func (ck *checkpointer) socketPath() string {
	return filepath.Join(ck.layout.Dir(), checkpointSocketName)
}

// restore puts the run's restore checkpoint into the checkpoint directory
// (before the script starts).
func (ck *checkpointer) restore() error {
	if ck.setup.Restore == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ck.ctx, checkpointTimeout)
	defer cancel()
	res, err := ck.runHelper(ctx, &checkpoint.Job{Op: checkpoint.OpRestore, Dir: ck.setup.Dir, Digest: ck.setup.Restore})
	if err == nil && res.Error != "" {
		err = errors.New(res.Error)
	}
	if err != nil {
		return fmt.Errorf("restore checkpoint %s into %s: %w", ck.setup.Restore, ck.setup.Dir, err)
	}
	ck.event(fmt.Sprintf("Checkpoint %s restored into %s: %d files, %s", ck.setup.Restore, ck.setup.Dir,
		res.Stats.Files, checkpoint.Bytes(res.Stats.Bytes)), map[string]string{"checkpoint_restored": ck.setup.Restore})
	return nil
}

// serve listens on the task's socket until close.
func (ck *checkpointer) serve() error {
	path := ck.socketPath()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("checkpoint socket: %w", err)
	}
	ln, err := checkpoint.Listen(path)
	if err != nil {
		return fmt.Errorf("checkpoint socket: %w", err)
	}
	// The socket is in the driver's own directory (root's, 0755): the
	// mode lets the job's user connect, the peer check keeps others out.
	if err := os.Chmod(path, 0o666); err != nil {
		ln.Close()
		return fmt.Errorf("checkpoint socket: %w", err)
	}
	ck.ln = ln
	ck.wg.Add(1)
	go func() {
		defer ck.wg.Done()
		ck.accept()
	}()
	return nil
}

func (ck *checkpointer) accept() {
	for {
		c, err := ck.ln.AcceptUnix()
		if err != nil {
			return
		}
		select {
		case ck.conns <- struct{}{}:
		default:
			_ = checkpoint.WriteReply(c, &checkpoint.Reply{Error: "too many checkpoint requests at once on this task"})
			c.Close()
			continue
		}
		ck.wg.Add(1)
		go func() {
			defer ck.wg.Done()
			defer func() { <-ck.conns }()
			defer c.Close()
			ck.handle(c)
		}()
	}
}

// peerUID is the uid of the process at the other end of c.
func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if cerr != nil {
		return -1, cerr
	}
	return int(cred.Uid), nil
}

// handle serves one request: only the job's user may ask.
func (ck *checkpointer) handle(c *net.UnixConn) {
	reply := func(rep *checkpoint.Reply) {
		_ = c.SetWriteDeadline(time.Now().Add(checkpoint.RequestTimeout))
		_ = checkpoint.WriteReply(c, rep)
	}
	_ = c.SetReadDeadline(time.Now().Add(checkpoint.RequestTimeout))
	uid, err := peerUID(c)
	if err != nil || uid != ck.setup.UID {
		ck.logger.Warn("checkpoint request refused: not the job's user", "peer_uid", uid, "job_uid", ck.setup.UID, "error", err)
		// Read (and drop) what was sent, so that the refusal reaches the
		// caller instead of a reset connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(c, checkpoint.MaxRequestBytes))
		reply(&checkpoint.Reply{Error: fmt.Sprintf("refused: this is the checkpoint service of a job of uid %d", ck.setup.UID)})
		return
	}
	req, err := checkpoint.ReadRequest(c)
	if err != nil {
		reply(&checkpoint.Reply{Error: err.Error()})
		return
	}
	paths, err := checkpoint.RelPaths(ck.setup.Dir, req.Paths)
	if err != nil {
		reply(&checkpoint.Reply{Error: err.Error()})
		return
	}
	reply(ck.commit(ck.ctx, receipt.TriggerCommand, paths, checkpointTimeout))
}

// close stops serving and waits for the requests under way.
func (ck *checkpointer) close() {
	if ck.ln != nil {
		ck.ln.Close()
		_ = os.Remove(ck.socketPath())
	}
	ck.wg.Wait()
}

// stop ends the service at once (the task is going away for good).
func (ck *checkpointer) stop() {
	if ck == nil {
		return
	}
	ck.cancel()
	ck.close()
}

// commit commits the checkpoint: paths (relative to the checkpoint
// directory; nil: all of it) scanned and uploaded as the job's user, a
// receipt signed and committed at the coordinator. Nothing is committed
// when the checkpoint is what the run committed (or restored) last.
func (ck *checkpointer) commit(ctx context.Context, trigger string, paths []string, timeout time.Duration) *checkpoint.Reply {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case ck.sem <- struct{}{}:
	case <-ctx.Done():
		return &checkpoint.Reply{Error: "another checkpoint of this task was still being committed: " + ctx.Err().Error()}
	}
	defer func() { <-ck.sem }()
	// Each commit is a write at the coordinator: a job committing in a
	// loop gets one a second at most.
	if wait := time.Until(ck.nextAt); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return &checkpoint.Reply{Error: "no commit before the timeout: " + ctx.Err().Error()}
		}
	}
	defer func() { ck.nextAt = time.Now().Add(commitSpacing) }()
	rep, err := ck.commitLocked(ctx, trigger, paths)
	if errors.Is(err, errNoDir) && trigger == receipt.TriggerStop {
		// A job stopped before it made its checkpoint directory has
		// nothing to commit.
		return &checkpoint.Reply{Unchanged: true}
	}
	if err != nil {
		rep = &checkpoint.Reply{Error: err.Error()}
		ck.event(fmt.Sprintf("Checkpoint not committed (%s): %v", trigger, err), map[string]string{"checkpoint_error": err.Error()})
		ck.logger.Warn("checkpoint not committed", "trigger", trigger, "error", err)
	}
	return rep
}

func (ck *checkpointer) commitLocked(ctx context.Context, trigger string, paths []string) (*checkpoint.Reply, error) {
	res, err := ck.runHelper(ctx, &checkpoint.Job{Op: checkpoint.OpScan, Dir: ck.setup.Dir, Paths: paths, Limit: ck.limit})
	if err == nil && res.NoDir {
		return nil, fmt.Errorf("%w: %s", errNoDir, ck.setup.Dir)
	}
	if err == nil && res.Error != "" {
		err = errors.New(res.Error)
	}
	if err != nil {
		return nil, fmt.Errorf("scan and upload %s: %w", ck.setup.Dir, err)
	}
	got := ck.progress(ctx)
	last := got.Digest
	if got.Seq == 0 {
		last = ck.setup.Restore
	}
	if res.Digest == last {
		return &checkpoint.Reply{Unchanged: true, Seq: got.Seq, Digest: res.Digest, Files: res.Stats.Files, Size: res.Stats.Bytes}, nil
	}
	r := ck.receipt(got, res, trigger, time.Now())
	signed, err := receipt.Sign(r, ck.key)
	if err != nil {
		return nil, fmt.Errorf("sign the receipt: %w", err)
	}
	cr, err := ck.post(ctx, signed)
	if err != nil {
		return nil, fmt.Errorf("commit checkpoint %d at the coordinator: %w", r.Seq, err)
	}
	next := checkpointProgress{Seq: r.Seq, End: r.End, Digest: r.Digest}
	ck.mu.Lock()
	ck.got = next
	ck.mu.Unlock()
	if err := jobdir.WriteJSON(ck.progressFile(), &next); err != nil {
		ck.logger.Warn("cannot keep the run's checkpoint progress", "error", err)
	}
	rep := &checkpoint.Reply{
		Seq: r.Seq, Digest: r.Digest, Files: res.Stats.Files, Size: r.Size, Uploaded: r.Uploaded,
		GPUSeconds: cr.GPUSeconds, CPUSeconds: cr.CPUSeconds, Clamped: cr.Clamped, Note: cr.Note,
	}
	ck.event(fmt.Sprintf("Checkpoint %d committed (%s): %d files, %s, %s uploaded; credited %d GPU-seconds, %d CPU-seconds%s",
		r.Seq, trigger, rep.Files, checkpoint.Bytes(rep.Size), checkpoint.Bytes(rep.Uploaded), cr.GPUSeconds, cr.CPUSeconds, clampNote(cr)),
		map[string]string{"checkpoint_seq": strconv.Itoa(r.Seq), "checkpoint_digest": r.Digest, "checkpoint_trigger": trigger})
	return rep, nil
}

func clampNote(cr *api.CheckpointReply) string {
	if !cr.Clamped {
		return ""
	}
	return " (clamped: " + cr.Note + ")"
}

// receipt is the statement the node signs for a commit: the interval runs
// from the end of the run's previous receipt (or the task's start) to now.
func (ck *checkpointer) receipt(got checkpointProgress, res *checkpoint.Result, trigger string, now time.Time) *receipt.Receipt {
	start := got.End
	if got.Seq == 0 || start.IsZero() {
		// The Nomad client stamps the task's start a little after the
		// driver returns from StartTask; the node claims none of that.
		start = ck.setup.Start.Add(firstClaimDelay)
	}
	if now.Before(start) {
		start = now
	}
	return &receipt.Receipt{
		Version:  receipt.Version,
		JobID:    uint64(ck.setup.JobID),
		Run:      ck.setup.Run,
		Seq:      got.Seq + 1,
		Node:     ck.cfg.NodeName,
		NodeID:   ck.cfg.NodeID,
		AllocID:  ck.cfg.AllocID,
		GPUs:     ck.setup.GPUs,
		CPUs:     ck.setup.CPUs,
		Start:    start,
		End:      now,
		Digest:   res.Digest,
		Size:     res.Stats.Bytes,
		Uploaded: res.Stats.SentBytes,
		Trigger:  trigger,
	}
}

// post sends the signed receipt to the coordinator's servers in turn while
// one cannot be reached (a write refused before it was applied), and again
// for a while when it answers "conflict": right after the task started the
// Nomad servers may not have seen its start yet. Sending the same signed
// receipt again is safe: the coordinator answers a receipt it has
// recorded with its recorded credit.
func (ck *checkpointer) post(ctx context.Context, s *receipt.Signed) (*api.CheckpointReply, error) {
	ref := strconv.Itoa(ck.setup.JobID)
	giveUp := time.Now().Add(conflictRetry)
	var err error
	for attempt := 1; ; attempt++ {
		for _, c := range ck.remote.Clients {
			var rep *api.CheckpointReply
			if rep, err = c.Checkpoint(ctx, ref, s); err == nil {
				return rep, nil
			}
			if !api.Retryable(err) {
				break
			}
		}
		var ae *api.Error
		conflict := errors.As(err, &ae) && ae.Code == api.CodeConflict
		wait := time.Duration(attempt) * time.Second
		if (!api.Retryable(err) && !conflict) || attempt >= 5 || time.Now().Add(wait).After(giveUp) {
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// runHelper runs the file helper as the job's user and serves it.
func (ck *checkpointer) runHelper(ctx context.Context, j *checkpoint.Job) (*checkpoint.Result, error) {
	return runFileHelper(ctx, ck.helper, ck.setup.UID, ck.setup.GID, ck.setup.Groups, ck.setup.Sandbox, j, ck.remote, ck.limit)
}

// helperEnv is the file helper's whole environment.
func helperEnv() []string {
	env := []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	if v, ok := os.LookupEnv("GORACE"); ok {
		env = append(env, "GORACE="+v)
	}
	return env
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if t.buf.Len() > 4096 {
		b := t.buf.Bytes()
		keep := append([]byte(nil), b[len(b)-4096:]...)
		t.buf.Reset()
		t.buf.Write(keep)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// event reports a task event (the job's owner sees it with the alloc's
// events; the coordinator may show it).
func (ck *checkpointer) event(msg string, ann map[string]string) {
	if ck.emit == nil {
		return
	}
	ev := &drivers.TaskEvent{
		TaskID:      ck.cfg.ID,
		TaskName:    ck.cfg.Name,
		AllocID:     ck.cfg.AllocID,
		Timestamp:   time.Now(),
		Message:     msg,
		Annotations: ann,
	}
	if err := ck.emit(ev); err != nil {
		ck.logger.Warn("cannot report a checkpoint event", "error", err)
	}
}

// atEnd is the task's last checkpoint, once the job has ended and before
// its end is reported: exit code 85 commits the checkpoint directory; a
// stop (StopTask: scancel, a time limit, a reclaim), or an end after a
// signal (SignalTask: a reclaim and a time limit signal first, and the job
// may save its state and exit by itself), commits it when it changed since
// the run's last commit. Then the service ends. ps and waitErr are the
// executor's Wait.
func (ck *checkpointer) atEnd(ps *executor.ProcessState, waitErr error, stopped bool) {
	if ck == nil {
		return
	}
	ck.close()
	defer ck.cancel()
	trigger := ""
	switch {
	case waitErr == nil && ps != nil && ps.ExitCode == exitCheckpoint:
		trigger = receipt.TriggerExit85
	case stopped:
		trigger = receipt.TriggerStop
		if ck.setup.SharedWorkdir && ck.setup.Restore == "" && ck.progress(context.WithoutCancel(ck.ctx)).Seq == 0 {
			ck.event("Checkpoint not taken at the stop: the job never committed one and its checkpoint directory is its shared working directory", nil)
			return
		}
	default:
		return
	}
	rep := ck.commit(context.WithoutCancel(ck.ctx), trigger, nil, endCheckpointTimeout)
	if rep.Unchanged {
		ck.event(fmt.Sprintf("Checkpoint unchanged at the job's end (%s): nothing committed", trigger), nil)
	}
}

// startCheckpoints gives a starting task its checkpoint service (nil when
// it has none): the job's environment, the in-job command, the restore of
// a requeued run's checkpoint, the socket. Call it after staging has
// restored the working directory, before stepd's config is written.
func (d *Driver) startCheckpoints(cfg *drivers.TaskConfig, tc *TaskConfig, sc *jobdir.StepdConfig,
	acct account, compute cpustats.Compute, gpus gpuSet, logger hclog.Logger) (*checkpointer, error) {
	s, err := d.setupCheckpoints(cfg, tc, sc, acct, compute, gpus)
	if err != nil || s == nil {
		return nil, err
	}
	ck, err := d.newCheckpointer(s, cfg, logger)
	if err != nil {
		return nil, err
	}
	ck.emit = d.eventer.EmitEvent
	if err := ck.restore(); err != nil {
		ck.stop()
		return nil, err
	}
	// The run's work starts now, after the restore: Nomad records the
	// task's start once StartTask has returned.
	ck.setup.Start = time.Now()
	if err := ck.serve(); err != nil {
		ck.stop()
		return nil, err
	}
	return ck, nil
}

// recoverCheckpoints serves a recovered task's checkpoints again; a
// failure is logged (the job runs on without them).
func (d *Driver) recoverCheckpoints(s *CheckpointSetup, cfg *drivers.TaskConfig, logger hclog.Logger) *checkpointer {
	ck, err := d.newCheckpointer(s, cfg, logger)
	if err == nil && ck != nil {
		ck.emit = d.eventer.EmitEvent
		if err = ck.serve(); err != nil {
			ck.stop()
			ck = nil
		}
	}
	if err != nil {
		logger.Error("cannot serve the recovered task's checkpoints", "error", err)
	}
	return ck
}

// saved is the setup kept in the task's state (nil: none).
func (ck *checkpointer) saved() *CheckpointSetup {
	if ck == nil {
		return nil
	}
	s := ck.setup
	return &s
}
