package taskdriver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/checkpoint"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// Staged files, node side (docs/files.md, "Staged partitions"). A job of a
// staged partition carries its submit directory's manifest (staged_input):
// before the script starts the driver restores it into the task's work
// directory (WorkDirName in the task directory) and runs the job there,
// whatever the node could reach of the real submit directory.
// SLURM_SUBMIT_DIR names the copy, so that a script's usual
// `cd $SLURM_SUBMIT_DIR` works unchanged (and stays in the copy, whose
// files come back and travel with a requeue); the submitter's own path is
// in EnvSubmitDirOrigin. Paths under the submit directory (--chdir,
// -o/-e/-i given absolute) are moved into the copy. When the job has ended, and before its end is reported,
// the driver sends back what the job created or changed there (cas.Changed
// against the input; -o/-e files among them) and posts the outputs'
// manifest. A multi-node job has its input restored on every node, and
// its outputs sent back from the node that ran the batch script. The job's files are only ever read and written by the file
// helper as the job's user (checkpoint.HelperName); the driver talks to
// the coordinator with the run's token, which the job never sees.

// Bounds of staging.
const (
	// WorkDirName is the restored submit directory in the task directory.
	WorkDirName = "work"
	// EnvSubmitDirOrigin, in a staged job's environment, is the submit
	// directory as the submitter named it (on a host the node may not
	// see); SLURM_SUBMIT_DIR is the node's copy of it.
	EnvSubmitDirOrigin = "HPCBRIDGE_SUBMIT_DIR_ORIGIN"
	// stagingTimeout bounds a restore, and a send-back with its post.
	stagingTimeout = 30 * time.Minute
	// stagingLimit bounds the bytes of a job's outputs (the coordinator
	// refuses more).
	stagingLimit int64 = api.MaxOutputBytes
)

// StagingSetup is a staged task's staging, kept in its state so that a
// restarted plugin still sends the outputs back.
type StagingSetup struct {
	// Input is the input manifest; Dir the work directory it was
	// restored into (absolute).
	Input string
	Dir   string
	// Coordinator, RunToken and JobID: from the task config.
	Coordinator string
	RunToken    string
	JobID       int
	// The job's user: the file helper runs as it.
	UID, GID int
	Groups   []int
	// Helper is the plugin binary the job's user may run.
	Helper string
	// Sandbox: the job's, on a sandboxed node (the helper runs in one).
	Sandbox *sandbox.Spec `json:",omitempty"`
	// signer signs the run token's requests as this node (runsign.go).
	signer *api.RunSigner
}

// stageIn restores a staged task's input as its working directory and
// points stepd's configuration there; nil (and sc unchanged) for a task
// that is not staged. Call it after prepare, before the checkpoint setup.
func (d *Driver) stageIn(cfg *drivers.TaskConfig, tc *TaskConfig, sc *jobdir.StepdConfig, acct account, logger hclog.Logger) (*StagingSetup, error) {
	if tc.StagedInput == "" {
		return nil, nil
	}
	if !cas.ValidDigest(tc.StagedInput) {
		return nil, fmt.Errorf("hpcbridge task config: staged_input %q: want sha256:<64 hex>", tc.StagedInput)
	}
	if tc.Coordinator == "" || tc.RunToken == "" || tc.JobID <= 0 {
		return nil, errors.New("hpcbridge task config: staged_input without the coordinator, run token and job id to fetch it with")
	}
	layout := jobdir.Layout{TaskDir: sc.TaskDir}
	helper := filepath.Join(layout.BinDir(), checkpoint.JobName)
	if err := installSrun(d.self, helper); err != nil {
		return nil, fmt.Errorf("install the file helper: %w", err)
	}
	s := &StagingSetup{
		Input: tc.StagedInput, Dir: filepath.Join(sc.TaskDir, WorkDirName),
		Coordinator: tc.Coordinator, RunToken: tc.RunToken, JobID: tc.JobID,
		UID: acct.uid, GID: acct.gid, Groups: acct.groups, Helper: helper, Sandbox: sc.Sandbox,
		signer: d.runSigner(cfg),
	}
	remote, err := s.remote()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(d.ctx, stagingTimeout)
	defer cancel()
	var res *checkpoint.Result
	err = retrying(ctx, func() (bool, error) {
		tr := &transientRemote{Remote: remote}
		var err error
		res, err = s.helper(ctx, &checkpoint.Job{Op: checkpoint.OpRestore, Dir: s.Dir, Digest: s.Input}, tr)
		if err == nil && res.Error != "" {
			err = errors.New(res.Error)
		}
		return tr.seen(), err
	})
	if err != nil {
		return nil, fmt.Errorf("restore the staged submit directory %s: %w", s.Input, err)
	}
	origin := envValue(sc.Env, "SLURM_SUBMIT_DIR")
	s.redirect(sc, origin)
	sc.Env = append(withoutEnv(sc.Env, "SLURM_SUBMIT_DIR", EnvSubmitDirOrigin), "SLURM_SUBMIT_DIR="+s.Dir)
	if origin != "" {
		sc.Env = append(sc.Env, EnvSubmitDirOrigin+"="+origin)
	}
	logger.Info("staged input restored", "manifest", s.Input, "dir", s.Dir, "workdir", sc.Workdir, "files", res.Stats.Files, "bytes", res.Stats.Bytes)
	d.stagingEvent(cfg, fmt.Sprintf("Staged input %s restored: %d files, %s; the job runs in %s", s.Input, res.Stats.Files,
		checkpoint.Bytes(res.Stats.Bytes), sc.Workdir), map[string]string{"staged_input": s.Input})
	return s, nil
}

// redirect moves stepd's working directory and absolute file names from
// under the submit directory into the restored copy. A working directory
// outside it (an absolute --chdir elsewhere) becomes the copy's root: the
// node does not see the submitter's file system.
func (s *StagingSetup) redirect(sc *jobdir.StepdConfig, submitDir string) {
	move := func(p string) (string, bool) {
		if submitDir == "" || !filepath.IsAbs(p) {
			return p, false
		}
		rel, err := filepath.Rel(filepath.Clean(submitDir), filepath.Clean(p))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return p, false
		}
		return filepath.Join(s.Dir, rel), true
	}
	if w, ok := move(sc.Workdir); ok {
		sc.Workdir = w
	} else {
		sc.Workdir = s.Dir
	}
	for _, p := range []*string{&sc.Output, &sc.Error, &sc.Input} {
		if *p != "" {
			*p, _ = move(*p)
		}
	}
}

// envValue is NAME's value in a "NAME=value" list ("" when unset).
func envValue(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

func (s *StagingSetup) remote() (*api.BlobRemote, error) {
	r, err := api.NewRunRemote(s.Coordinator, s.RunToken, strconv.Itoa(s.JobID), s.signer)
	if err != nil {
		return nil, fmt.Errorf("staged files: %w", err)
	}
	return r, nil
}

// stageOut sends back what a staged job created or changed in its work
// directory and posts the outputs' manifest; it runs once the job has
// ended, before its end is reported. Failures are reported as task events
// and logged: the job's exit status stands.
func (h *taskHandle) stageOut() {
	s := h.staging
	if s == nil {
		return
	}
	var role jobdir.Role
	if err := jobdir.ReadJSON(h.layout.RoleFile(), &role); err == nil && role.Role != "batch" {
		// A multi-node job's outputs come from the node that ran the
		// script; the others only served its steps.
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stagingTimeout)
	defer cancel()
	n, sent, err := s.out(ctx)
	if err != nil {
		h.logger.Error("cannot send the staged job's outputs back", "error", err)
		h.stagingEvent(fmt.Sprintf("Staged outputs not sent back: %v", err), nil)
		return
	}
	h.stagingEvent(fmt.Sprintf("Staged outputs sent back: %d files new or changed, %s uploaded", n, checkpoint.Bytes(sent)), nil)
}

// stagingAttempts bounds the tries of a restore or send-back that failed
// in a way that may pass (the coordinator unreachable or failing over): waits of
// 1, 2, 4, ... seconds between them, about a minute in all. The task
// directory, and the outputs with it, go when the task is reported ended.
const stagingAttempts = 7

// out scans the work directory (as the job's user), uploads the chunks
// the store lacks, and posts the manifest of what differs from the input,
// trying again while what failed may pass. It returns the files sent back
// and the bytes uploaded.
func (s *StagingSetup) out(ctx context.Context) (int, int64, error) {
	var (
		n    int
		sent int64
	)
	err := retrying(ctx, func() (bool, error) {
		var again bool
		var err error
		n, sent, again, err = s.outOnce(ctx)
		return again, err
	})
	return n, sent, err
}

// retrying calls try until it succeeds, fails in a way that will not pass
// (again false), stagingAttempts tries were made or ctx ends; it returns
// the last error.
func retrying(ctx context.Context, try func() (again bool, err error)) error {
	for attempt := 1; ; attempt++ {
		again, err := try()
		if err == nil || !again || attempt >= stagingAttempts {
			return err
		}
		t := time.NewTimer(time.Duration(1<<(attempt-1)) * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// outOnce is one try of out; again reports whether its failure may pass.
func (s *StagingSetup) outOnce(ctx context.Context) (n int, sent int64, again bool, err error) {
	remote, err := s.remote()
	if err != nil {
		return 0, 0, false, err
	}
	tr := &transientRemote{Remote: remote}
	res, err := s.helper(ctx, &checkpoint.Job{Op: checkpoint.OpScan, Dir: s.Dir, Limit: stagingLimit, Base: s.Input}, tr)
	if err == nil && res.Error != "" {
		err = errors.New(res.Error)
	}
	if err != nil {
		return 0, 0, tr.seen(), fmt.Errorf("scan %s: %w", s.Dir, err)
	}
	if err := remote.PostOutput(ctx, res.Digest); err != nil {
		// Incomplete: a new leader that has not all the chunks yet.
		return 0, 0, transient(err) || api.IsCode(err, api.CodeStagedInput), fmt.Errorf("post outputs %s: %w", res.Digest, err)
	}
	return res.Stats.Files, res.Stats.SentBytes, false, nil
}

// transient reports whether err may pass if tried again: the coordinator
// could not be reached or answered (a transport error), is not the leader,
// or failed on its side (5xx).
func transient(err error) bool {
	if api.Retryable(err) {
		return true
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	var ue *url.Error
	return errors.As(err, &ue)
}

// transientRemote is a cas.Remote that notes whether a call failed in a
// way that may pass (the helper only reports errors as text).
type transientRemote struct {
	cas.Remote
	failed atomic.Bool
}

func (r *transientRemote) note(err error) error {
	if err != nil && transient(err) {
		r.failed.Store(true)
	}
	return err
}

func (r *transientRemote) seen() bool { return r.failed.Load() }

func (r *transientRemote) Missing(ctx context.Context, d []string) ([]string, error) {
	out, err := r.Remote.Missing(ctx, d)
	return out, r.note(err)
}

func (r *transientRemote) Put(ctx context.Context, d string, b []byte) error {
	return r.note(r.Remote.Put(ctx, d, b))
}

func (r *transientRemote) Get(ctx context.Context, d string) ([]byte, error) {
	b, err := r.Remote.Get(ctx, d)
	return b, r.note(err)
}

// helper runs the file helper as the job's user with remote behind it.
func (s *StagingSetup) helper(ctx context.Context, j *checkpoint.Job, remote cas.Remote) (*checkpoint.Result, error) {
	return runFileHelper(ctx, s.Helper, s.UID, s.GID, s.Groups, s.Sandbox, j, remote, stagingLimit)
}

// runFileHelper runs the plugin binary as checkpoint.HelperName under
// uid/gid/groups, serves its questions with remote (at most limit bytes
// put; 0: no bound) and returns its result. ctx ending kills it.
//
// With sb (a sandboxed node) the helper runs in the job's sandbox, as the
// job's uid: started as root through the exec trampoline, which builds the
// sandbox; the helper then drops to the job's ids itself (proc.DropHelper),
// which leaves it not dumpable. Started as the job's uid in the host's view, the
// job (same uid, its /proc shows its uid's processes) could reach the
// host's files through the helper's /proc/PID/root, or trace it.
func runFileHelper(ctx context.Context, path string, uid, gid int, groups []int, sb *sandbox.Spec, j *checkpoint.Job, remote cas.Remote, limit int64) (*checkpoint.Result, error) {
	cmd := exec.Command(path)
	cmd.Args = []string{checkpoint.HelperName}
	cmd.Dir = "/"
	cmd.Env = helperEnv()
	gs := make([]uint32, 0, len(groups))
	for _, g := range groups {
		gs = append(gs, uint32(g))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: gs},
		Setpgid:    true,
	}
	if sb != nil {
		payload, err := sandbox.WritePayload(&sandbox.Payload{Spec: *sb, Env: helperEnv()})
		if err != nil {
			return nil, err
		}
		defer payload.Close()
		cmd.Args = append([]string{proc.ExecName}, proc.SandboxArgs("/", proc.ExecFile, path, "", []string{checkpoint.HelperName})...)
		cmd.ExtraFiles = []*os.File{payload}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Cloneflags: sandbox.Cloneflags}
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr tailBuffer
	cmd.Stderr = &stderr
	// The helper runs as the job's user, who can keep it (or a child
	// holding its stderr) alive: Wait stops waiting for its pipes
	// helperWaitDelay after it ended or was killed.
	cmd.WaitDelay = helperWaitDelay
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the file helper: %w", err)
	}
	pid := cmd.Process.Pid
	stopKill := context.AfterFunc(ctx, func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	res, serr := checkpoint.Serve(ctx, stdout, stdin, j, remote, limit)
	stdin.Close()
	if serr != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	// Done: a helper that does not end at once is ended (its group).
	exited := make(chan struct{})
	stopLinger := time.AfterFunc(helperWaitDelay, func() {
		select {
		case <-exited:
		default:
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
	werr := cmd.Wait()
	close(exited)
	stopLinger.Stop()
	stopKill()
	if serr != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("%w (helper: %s)", serr, msg)
		}
		if werr != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("%w (helper: %v)", serr, werr)
		}
		return nil, serr
	}
	return res, nil
}

// stagingEvent reports a task event of a starting task.
func (d *Driver) stagingEvent(cfg *drivers.TaskConfig, msg string, ann map[string]string) {
	ev := &drivers.TaskEvent{TaskID: cfg.ID, TaskName: cfg.Name, AllocID: cfg.AllocID, Timestamp: time.Now(), Message: msg, Annotations: ann}
	if err := d.eventer.EmitEvent(ev); err != nil {
		d.logger.Warn("cannot report a staging event", "error", err)
	}
}

// stagingEvent reports a task event of a running task.
func (h *taskHandle) stagingEvent(msg string, ann map[string]string) {
	if h.emit == nil {
		return
	}
	cfg := h.taskConfig
	ev := &drivers.TaskEvent{TaskID: cfg.ID, TaskName: cfg.Name, AllocID: cfg.AllocID, Timestamp: time.Now(), Message: msg, Annotations: ann}
	if err := h.emit(ev); err != nil {
		h.logger.Warn("cannot report a staging event", "error", err)
	}
}
