package taskdriver

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/nomad/drivers/shared/executor"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
)

// taskHandle is one running (or finished) batch job.
type taskHandle struct {
	exec         executor.Executor
	pluginClient *plugin.Client
	logger       hclog.Logger
	layout       jobdir.Layout
	pid          int // stepd's
	taskConfig   *drivers.TaskConfig
	startedAt    time.Time
	// finish, when set, runs once the job has ended, before its end is
	// reported (a pool uid's cleanup).
	finish func()
	// meter, when set, samples the job's GPUs (NVML); its figures are
	// reported through emit when the job ends, before its end is.
	meter *gpuMeter
	emit  func(*drivers.TaskEvent) error
	// devCgroup is the job's cgroup v1 devices cgroup ("" none): removed
	// once the job has ended (or, if a process of the job outlived it,
	// when the task is destroyed).
	devCgroup string
	// pidsCgroup is a sandboxed job's cgroup v1 pids cgroup ("" none),
	// removed as devCgroup is.
	pidsCgroup string
	// ckpt is the task's checkpoint service (nil: none), stopping set by
	// StopTask and SignalTask (a reclaim or a time limit signals first):
	// the job's end then commits a changed checkpoint (checkpoint.go).
	ckpt     *checkpointer
	stopping atomic.Bool
	// staging is a staged task's (nil: none): its outputs go back at the
	// end (staging.go).
	staging *StagingSetup

	// done is closed when the job has ended and exitResult is final.
	done chan struct{}
	// waited is closed once the executor's Wait has returned (run; runs
	// says run started): a destroy waits for it, at most waitReplyGrace,
	// before it kills the executor, whose Wait reply (the job's exit)
	// would otherwise be lost to an EOF.
	waited chan struct{}
	runs   atomic.Bool

	mu          sync.RWMutex
	state       drivers.TaskState
	completedAt time.Time
	exitResult  *drivers.ExitResult
}

func newTaskHandle(cfg *drivers.TaskConfig, exec executor.Executor, client *plugin.Client,
	pid int, started time.Time, logger hclog.Logger) *taskHandle {
	return &taskHandle{
		exec:         exec,
		pluginClient: client,
		logger:       logger,
		layout:       jobdir.Layout{TaskDir: cfg.TaskDir().Dir},
		pid:          pid,
		taskConfig:   cfg,
		startedAt:    started,
		done:         make(chan struct{}),
		waited:       make(chan struct{}),
		state:        drivers.TaskStateRunning,
	}
}

func (h *taskHandle) TaskStatus() *drivers.TaskStatus {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return &drivers.TaskStatus{
		ID:          h.taskConfig.ID,
		Name:        h.taskConfig.Name,
		State:       h.state,
		StartedAt:   h.startedAt,
		CompletedAt: h.completedAt,
		ExitResult:  h.exitResult.Copy(),
		DriverAttributes: map[string]string{
			"pid": strconv.Itoa(h.pid),
		},
	}
}

func (h *taskHandle) IsRunning() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.state == drivers.TaskStateRunning
}

// result returns the exit result once the job has ended.
func (h *taskHandle) result() *drivers.ExitResult {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.exitResult.Copy()
}

// kill ends the job, if it still runs, and its executor. A job still
// running is killed by stepd, which knows all of it; the executor alone
// would only kill stepd.
func (h *taskHandle) kill() {
	if h.pluginClient.Exited() {
		return
	}
	sig, grace := "", time.Duration(0)
	if h.IsRunning() {
		req := jobdir.Request{Kind: jobdir.KindStop, Signal: int(syscall.SIGKILL)}
		if err := jobdir.WriteRequest(h.layout.CtlDir(), req); err == nil {
			sig, grace = proc.SignalName(jobdir.WakeSignal), stopMargin
		}
	}
	if err := h.exec.Shutdown(sig, grace); err != nil {
		h.logger.Error("destroying executor failed", "error", err)
	}
	if h.runs.Load() {
		select {
		case <-h.waited:
		case <-time.After(waitReplyGrace):
			h.logger.Warn("the executor did not report the job's end; killing it", "waited", waitReplyGrace)
		}
	}
	h.pluginClient.Kill()
}

// waitReplyGrace is how long a destroy waits, once the executor shut the
// job down, for the executor's reply to Wait before it kills the executor.
const waitReplyGrace = 2 * time.Second

// removeDeviceCgroup removes the job's devices cgroup when nothing of the
// job is left in it.
func (h *taskHandle) removeDeviceCgroup() {
	if !removeDeviceCgroup(h.devCgroup) {
		h.logger.Debug("devices cgroup still in use; removed when the task is destroyed", "cgroup", h.devCgroup)
	}
	if !removeDeviceCgroup(h.pidsCgroup) {
		h.logger.Debug("pids cgroup still in use; removed when the task is destroyed", "cgroup", h.pidsCgroup)
	}
}

// reportGPUUse stops the GPU meter and reports what it measured as a task
// event (none when nothing was sampled).
func (h *taskHandle) reportGPUUse() {
	if h.meter == nil {
		return
	}
	ev := h.meter.stop().event(h.taskConfig)
	if ev == nil || h.emit == nil {
		return
	}
	if err := h.emit(ev); err != nil {
		h.logger.Warn("cannot report the job's GPU use", "error", err)
	}
}

// run waits for stepd to end and records how the job ended: the exit code
// or signal from the executor, out-of-memory kills from stepd's result.
func (h *taskHandle) run() {
	h.runs.Store(true)
	defer close(h.done)
	defer h.watchSteps()() // srun's step records, as task events (stepevents.go)
	defer h.watchRole()()  // a multi-node job's role, as a task event (multinode.go)
	ps, err := h.exec.Wait(context.Background())
	close(h.waited)
	h.ckpt.atEnd(ps, err, h.stopping.Load())
	h.stageOut() // staging.go
	h.reportGPUUse()
	h.removeDeviceCgroup()
	if h.finish != nil {
		h.finish()
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	h.completedAt = time.Now()
	if err != nil {
		h.state = drivers.TaskStateUnknown
		h.exitResult = &drivers.ExitResult{ExitCode: -1, Err: err}
		return
	}
	h.state = drivers.TaskStateExited
	h.exitResult = &drivers.ExitResult{
		ExitCode:  ps.ExitCode,
		Signal:    ps.Signal,
		OOMKilled: ps.OOMKilled,
	}
	if !ps.Time.IsZero() {
		h.completedAt = ps.Time
	}
	var res jobdir.Result
	if err := jobdir.ReadJSON(h.layout.ResultFile(), &res); err == nil {
		h.exitResult.OOMKilled = h.exitResult.OOMKilled || res.OOMKills > 0
		if res.Error != "" {
			// Nomad puts it in the Terminated event's message, where the
			// coordinator finds why the job failed.
			h.exitResult.Err = errors.New(res.Error)
		}
	} else {
		h.logger.Debug("no result from stepd (killed?)", "error", err)
	}
}
