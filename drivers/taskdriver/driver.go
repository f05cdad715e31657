package taskdriver

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/client/lib/cgroupslib"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/drivers/shared/eventer"
	"github.com/hashicorp/nomad/drivers/shared/executor"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"
	pstructs "github.com/hashicorp/nomad/plugins/shared/structs"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/stepd"
)

// stopMargin is how long past the kill timeout the executor waits for
// stepd, which does the killing itself, before killing stepd.
const stopMargin = 5 * time.Second

// ErrNotConfigured is returned by StartTask and RecoverTask before Nomad
// has sent the agent configuration (SetConfig).
var ErrNotConfigured = errors.New("hpcbridge driver: no agent configuration yet")

// Driver is the hpcbridge task driver: it runs a Slurm batch script per
// task, the way slurmd and slurmstepd would (see the package doc).
type Driver struct {
	eventer *eventer.Eventer
	tasks   *taskStore
	ctx     context.Context
	logger  hclog.Logger
	// self is the plugin binary: stepd and srun are personalities of it.
	self string

	mu          sync.RWMutex
	config      Config
	pool        *uidPool // run_as = "pool" only
	nomadConfig *base.ClientDriverConfig
	compute     cpustats.Compute
	key         ed25519.PrivateKey // the node's receipt key (nodekey.go)

	// openNVML opens what GPU jobs of the real backend are measured
	// with, once (nvmlOnce) into nvmlReader (nil: not measured).
	openNVML   func() (gpuReader, error)
	nvmlOnce   sync.Once
	nvmlReader gpuReader
	// gpuPeriod is how often the meter samples (gpuSamplePeriod).
	gpuPeriod time.Duration
	// devDir is where the node's NVIDIA device nodes are (devDir; a
	// test's own directory of nodes made with mknod).
	devDir string
	// testBinds are extra host directories a sandboxed job sees
	// read-write: tests only (their event fifos).
	testBinds []string
}

var _ drivers.DriverPlugin = (*Driver)(nil)

// New returns the driver; ctx ends its background work.
func New(ctx context.Context, logger hclog.Logger) *Driver {
	logger = logger.Named(PluginName)
	self, err := os.Executable()
	if err != nil {
		logger.Error("cannot find the plugin binary; tasks will fail to start", "error", err)
	}
	return &Driver{
		eventer:   eventer.NewEventer(ctx, logger),
		tasks:     newTaskStore(),
		ctx:       ctx,
		logger:    logger,
		self:      self,
		config:    defaultConfig(),
		openNVML:  openRealNVML,
		gpuPeriod: gpuSamplePeriod,
		devDir:    devDir,
	}
}

// PluginInfo names the plugin: a task driver called hpcbridge.
func (d *Driver) PluginInfo() (*base.PluginInfoResponse, error) { return pluginInfo(), nil }

// defaultConfig is the configuration before Nomad sends one.
func defaultConfig() Config {
	c, _ := Config{}.normalize()
	return c
}

// ConfigSchema is the plugin configuration's schema (run_as, pool_uids,
// pool_dir, allow_root).
func (d *Driver) ConfigSchema() (*hclspec.Spec, error) { return configSpec, nil }

// TaskConfigSchema is the schema of a task's config block (docs/driver.md).
func (d *Driver) TaskConfigSchema() (*hclspec.Spec, error) { return taskConfigSpec, nil }

// Capabilities: signals, no exec, no file-system isolation.
func (d *Driver) Capabilities() (*drivers.Capabilities, error) { return capabilities, nil }

// SetConfig takes the plugin configuration and the agent's. The run-as
// policy is checked here for a clear error at agent start.
func (d *Driver) SetConfig(cfg *base.Config) error {
	var c Config
	if cfg != nil && len(cfg.PluginConfig) != 0 {
		if err := base.MsgPackDecode(cfg.PluginConfig, &c); err != nil {
			return fmt.Errorf("hpcbridge driver config: %w", err)
		}
	}
	c, err := c.normalize()
	if err != nil {
		return fmt.Errorf("hpcbridge driver config: %w", err)
	}
	var pool *uidPool
	if c.RunAs == RunAsPool {
		if pool, err = newUIDPool(c); err != nil {
			return fmt.Errorf("hpcbridge driver config: %w", err)
		}
	}
	key, err := loadNodeKey(c.NodeKeyFile)
	if err != nil {
		return fmt.Errorf("hpcbridge driver config: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.config, d.pool, d.key = c, pool, key
	if cfg != nil && cfg.AgentConfig != nil {
		d.nomadConfig = cfg.AgentConfig.Driver
		d.compute = cfg.AgentConfig.Compute()
	}
	return nil
}

func (d *Driver) settings() (Config, *base.ClientDriverConfig, cpustats.Compute) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.config, d.nomadConfig, d.compute
}

func (d *Driver) uidPool() *uidPool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.pool
}

// Fingerprint reports the driver's health every fingerprintPeriod.
func (d *Driver) Fingerprint(ctx context.Context) (<-chan *drivers.Fingerprint, error) {
	ch := make(chan *drivers.Fingerprint)
	go func() {
		defer close(ch)
		timer := time.NewTimer(0)
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-d.ctx.Done():
				return
			case <-timer.C:
				timer.Reset(fingerprintPeriod)
			}
			select {
			case ch <- d.fingerprint():
			case <-ctx.Done():
				return
			case <-d.ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

func (d *Driver) fingerprint() *drivers.Fingerprint {
	fp := &drivers.Fingerprint{
		Attributes: map[string]*pstructs.Attribute{
			"driver." + PluginName:              pstructs.NewBoolAttribute(true),
			"driver." + PluginName + ".version": pstructs.NewStringAttribute(Version),
		},
		Health:            drivers.HealthStateHealthy,
		HealthDescription: drivers.DriverHealthy,
	}
	cfg, _, _ := d.settings()
	switch {
	case runtime.GOOS != "linux":
		fp.Health, fp.HealthDescription = drivers.HealthStateUndetected, "the hpcbridge driver runs on Linux only"
	case os.Geteuid() != 0:
		fp.Health, fp.HealthDescription = drivers.HealthStateUndetected, drivers.DriverRequiresRootMessage
	case cgroupslib.GetMode() == cgroupslib.OFF:
		fp.Health, fp.HealthDescription = drivers.HealthStateUnhealthy, drivers.NoCgroupMountMessage
	case d.self == "":
		fp.Health, fp.HealthDescription = drivers.HealthStateUnhealthy, "cannot find the plugin binary (needed for stepd and srun)"
	case cfg.RunAs == RunAsPool:
		if err := mkdirRootOnly(cfg.PoolDir); err != nil {
			fp.Health, fp.HealthDescription = drivers.HealthStateUnhealthy, fmt.Sprintf("uid pool: %v", err)
		}
	}
	fp.Attributes[AttrRunAs] = pstructs.NewStringAttribute(cfg.RunAs)
	fp.Attributes[AttrAllowRoot] = pstructs.NewBoolAttribute(cfg.AllowRoot)
	if cfg.RunAs == RunAsPool {
		fp.Attributes[AttrPoolUIDs] = pstructs.NewStringAttribute(cfg.PoolUIDs)
	}
	fp.Attributes[AttrSandbox] = pstructs.NewBoolAttribute(cfg.Sandbox)
	if k := d.nodeKeyAttr(); k != "" {
		fp.Attributes[AttrNodeKey] = pstructs.NewStringAttribute(k)
	}
	cfg.addDonationAttrs(fp.Attributes)
	if fp.Health != drivers.HealthStateHealthy {
		delete(fp.Attributes, "driver."+PluginName)
	}
	return fp
}

// StartTask prepares the job's files and starts stepd under Nomad's
// executor (cgroup limits for the task's CPUs and memory, its own process
// group, re-attachable after a restart).
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, *drivers.DriverNetwork, error) {
	if _, ok := d.tasks.Get(cfg.ID); ok {
		return nil, nil, fmt.Errorf("task with ID %q already started", cfg.ID)
	}
	conf, nomadConf, compute := d.settings()
	if nomadConf == nil || nomadConf.Topology == nil {
		return nil, nil, ErrNotConfigured
	}
	var tc TaskConfig
	if err := cfg.DecodeDriverConfig(&tc); err != nil {
		return nil, nil, fmt.Errorf("decode hpcbridge task config: %w", err)
	}
	if err := tc.validate(); err != nil {
		return nil, nil, fmt.Errorf("hpcbridge task config: %w", err)
	}
	if conf.Sandbox {
		cfg = withoutHostEnv(cfg, os.Environ()) // sandbox.go
	}
	gpus, err := reservedGPUs(cfg)
	if err != nil {
		return nil, nil, err
	}
	layout := jobdir.Layout{TaskDir: cfg.TaskDir().Dir}
	logger := d.logger.With("task_name", cfg.Name, "alloc_id", cfg.AllocID)
	acct, release, err := d.identity(conf, cfg)
	if err != nil {
		return nil, nil, err
	}
	started := false
	defer func() {
		if !started {
			release()
		}
	}()
	start := time.Now().Round(time.Millisecond)
	sc, err := d.prepare(cfg, &tc, acct, compute, start, gpus)
	if err != nil {
		return nil, nil, err
	}
	if conf.Sandbox {
		task := jobEnv(cfg.Env, tc.Env)
		if sc.Sandbox, sc.Limits, err = d.sandboxFor(conf, cfg, acct, layout, compute, task); err != nil { // sandbox.go
			return nil, nil, fmt.Errorf("sandbox: %w", err)
		}
		if sc.Limits.MemoryBytes <= 0 {
			return nil, nil, errors.New("sandbox: the task has no memory size, and a sandboxed job runs under a memory limit")
		}
		if cgroupslib.GetMode() == cgroupslib.CG1 {
			if sc.Limits.PidsCgroup, err = makePidsCgroupV1(cfg, sc.Limits.Pids); err != nil {
				return nil, nil, fmt.Errorf("sandbox: cgroup limits: %w", err)
			}
			defer func() {
				if !started {
					removeDeviceCgroup(sc.Limits.PidsCgroup)
				}
			}()
		}
	}
	staged, err := d.stageIn(cfg, &tc, sc, acct, logger) // staging.go
	if err != nil {
		return nil, nil, err
	}
	ck, err := d.startCheckpoints(cfg, &tc, sc, acct, compute, gpus, logger) // checkpoint.go
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if !started {
			ck.stop()
		}
	}()
	// The device rule is in place before stepd starts: on cgroup v1 stepd
	// joins its devices cgroup before the job runs, on v2 it is attached
	// to the task's cgroup.
	devCgroup, err := d.applyDeviceRule(cgroupslib.GetMode(), cfg, gpuDeviceRule(cfg, gpus, d.devDir))
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if !started {
			removeDeviceCgroup(devCgroup)
		}
	}()
	sc.DeviceCgroup = devCgroup
	if sc.Multi, err = multiNodeConfig(cfg, &tc); err != nil {
		return nil, nil, err
	}
	if err := jobdir.WriteJSON(layout.StepdConfig(), sc); err != nil {
		return nil, nil, fmt.Errorf("write stepd config: %w", err)
	}

	exec, client, err := executor.CreateExecutor(logger, nomadConf, &executor.ExecutorConfig{
		LogFile:     layout.ExecutorLog(),
		LogLevel:    "debug",
		FSIsolation: false,
		Compute:     compute,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create executor: %w", err)
	}
	// stepd runs as root: it gets a fixed environment, never the job's
	// (which is in its root-only configuration file), and is named so
	// that the executor cannot find a stand-in in the task directory.
	ps, err := exec.Launch(&executor.ExecCommand{
		Cmd:              executorPath(layout.TaskDir, d.self),
		Args:             []string{stepd.Arg, layout.StepdConfig()},
		Env:              stepdEnv(),
		TaskDir:          layout.TaskDir,
		ResourceLimits:   true,
		Resources:        cfg.Resources,
		StdoutPath:       cfg.StdoutPath,
		StderrPath:       cfg.StderrPath,
		NetworkIsolation: cfg.NetworkIsolation,
	})
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("launch stepd: %w", err)
	}

	h := newTaskHandle(cfg, exec, client, ps.Pid, start, logger)
	h.devCgroup = devCgroup
	if sc.Limits != nil {
		h.pidsCgroup = sc.Limits.PidsCgroup
	}
	h.ckpt = ck
	h.staging = staged
	handle := drivers.NewTaskHandle(taskHandleVersion)
	handle.Config = cfg
	state := TaskState{
		ReattachConfig: pstructs.ReattachConfigFromGoPlugin(client.ReattachConfig()),
		TaskConfig:     cfg,
		Pid:            ps.Pid,
		StartedAt:      start,
		Owner:          &Owner{UID: acct.uid, GID: acct.gid},
		DeviceCgroup:   devCgroup,
		PidsCgroup:     h.pidsCgroup,
		Checkpoint:     ck.saved(),
		Staging:        staged,
	}
	if acct.pool {
		state.PoolUID = acct.uid
		h.finish = d.poolFinisher(acct.uid, cfg)
	}
	if err := handle.SetDriverState(&state); err != nil {
		_ = exec.Shutdown("", 0)
		client.Kill()
		return nil, nil, fmt.Errorf("set driver state: %w", err)
	}
	if r := d.gpuReaderFor(gpus); r != nil && cfg.Resources != nil && cfg.Resources.LinuxResources != nil {
		h.meter = startGPUMeter(r, gpus.uuids, cgroupPids(cfg.Resources.LinuxResources.CpusetCgroupPath), d.gpuPeriod)
	}
	h.emit = d.eventer.EmitEvent
	d.tasks.Set(cfg.ID, h)
	started = true
	go h.run()
	return handle, nil, nil
}

// identity picks the account the task's job runs as under the node's
// policy, and returns what gives it back if the task does not start.
func (d *Driver) identity(conf Config, cfg *drivers.TaskConfig) (account, func(), error) {
	noop := func() {}
	if conf.RunAs == RunAsSubmitter {
		a, err := conf.submitter(cfg.User)
		return a, noop, err
	}
	pool := d.uidPool()
	if pool == nil {
		return account{}, noop, ErrNotConfigured
	}
	taskDir := cfg.TaskDir().Dir
	uid, err := pool.acquire(cfg.ID, taskDir)
	if err != nil {
		return account{}, noop, err
	}
	name := cfg.User
	if name == "" {
		name = cfg.Env["SLURM_JOB_USER"]
	}
	if name == "" {
		name = strconv.Itoa(uid)
	}
	a := account{name: name, uid: uid, gid: uid, home: taskDir, pool: true}
	// What the task's start may already have given the uid goes back to
	// root with it.
	return a, d.poolFinisher(uid, cfg), nil
}

// poolFinisher cleans up after a pool job: its processes, its scratch
// files, its ownership of the task's directories (srun's steps directory
// among them); then the uid is free.
func (d *Driver) poolFinisher(uid int, cfg *drivers.TaskConfig) func() {
	pool := d.uidPool()
	shared := filepath.Join(cfg.AllocDir, "alloc")
	taskDir := cfg.TaskDir().Dir
	layout := jobdir.Layout{TaskDir: taskDir}
	keep := []string{taskDir, layout.StepsDir(), filepath.Join(shared, "data"), filepath.Join(shared, "tmp"),
		layout.SandboxTmp(), layout.SandboxShm()}
	return func() {
		if pool == nil {
			return
		}
		if err := pool.finish(uid, cfg.ID, keep); err != nil {
			d.logger.Error("cleaning up after a pool job", "uid", uid, "error", err)
		}
	}
}

// stepdEnv is stepd's whole environment: the fixed one, plus the race
// detector's options from the plugin's own environment (never the job's),
// so that race-detector test builds do not linger at exit.
func stepdEnv() []string {
	if v, ok := os.LookupEnv("GORACE"); ok {
		return jobdir.StepdEnv("GORACE=" + v)
	}
	return jobdir.StepdEnv()
}

// prepare lays out the task directory (script, srun, control files) and
// returns stepd's configuration, which carries the job's environment.
func (d *Driver) prepare(cfg *drivers.TaskConfig, tc *TaskConfig, acct account,
	compute cpustats.Compute, start time.Time, gpus gpuSet) (*jobdir.StepdConfig, error) {
	if d.self == "" {
		return nil, errors.New("cannot find the plugin binary (needed for stepd and srun)")
	}
	layout := jobdir.Layout{TaskDir: cfg.TaskDir().Dir}
	if err := lockDown(layout.TaskDir, cfg.AllocDir, acct); err != nil {
		return nil, fmt.Errorf("prepare task directory: %w", err)
	}
	for _, p := range []string{cfg.StdoutPath, cfg.StderrPath} {
		if err := rootFifo(p); err != nil {
			return nil, err
		}
	}
	if err := layout.Prepare(acct.uid, acct.gid); err != nil {
		return nil, fmt.Errorf("prepare task directory: %w", err)
	}
	script := filepath.Join(layout.TaskDir, tc.ScriptName)
	if err := writeScript(script, tc.Script, acct.uid, acct.gid); err != nil {
		return nil, err
	}
	if err := installSrun(d.self, layout.Srun()); err != nil {
		return nil, err
	}
	task := jobEnv(cfg.Env, tc.Env)
	node := nodeName(task, cfg.NodeName)
	limit := time.Duration(tc.TimeLimitMin) * time.Minute
	env := batchEnv(task, nodeFacts{
		node:    node,
		cpus:    allocatedCPUs(cfg.Resources, compute, task),
		account: acct,
		layout:  layout,
		start:   start,
		limit:   limit,
		gpus:    gpus,
	})
	workdir := tc.Workdir
	if workdir == "" && filepath.IsAbs(env["SLURM_SUBMIT_DIR"]) {
		workdir = env["SLURM_SUBMIT_DIR"]
	}
	if acct.pool {
		// A pool uid owns nothing of the submitter's: the job runs, and
		// writes its relative output, in its private task directory.
		workdir = ""
		env["HOME"] = layout.TaskDir
	}
	out, errName, in := fileNames(tc, patternVars(env, shortHostname(node)))
	umask := -1
	if m, err := strconv.ParseUint(task["SLURM_UMASK"], 8, 32); err == nil && m <= 0o777 {
		umask = int(m)
	}
	return &jobdir.StepdConfig{
		TaskDir:     layout.TaskDir,
		JobID:       env["SLURM_JOB_ID"],
		Node:        node,
		Script:      script,
		Interpreter: interpreter(tc.Script),
		Args:        tc.Args,
		Workdir:     workdir,
		Output:      out,
		Error:       errName,
		Input:       in,
		Append:      tc.OpenMode == "append",
		User:        acct.name,
		UID:         acct.uid,
		GID:         acct.gid,
		Groups:      acct.groups,
		Exec:        layout.Srun(),
		Env:         envList(env),
		Umask:       umask,
		Start:       start,
		TimeLimit:   limit,
	}, nil
}

// RecoverTask re-attaches to a task's executor after the plugin or the
// Nomad client restarted; the job itself never stopped. A task that cannot
// be taken back (its pool uid no longer this node's, say) is ended: Nomad
// then calls DestroyTask for a task this driver does not know, and starts
// it again, so a job left running would run twice, and its executor stay
// for ever.
func (d *Driver) RecoverTask(handle *drivers.TaskHandle) error {
	if handle == nil {
		return errors.New("RecoverTask: nil handle")
	}
	if _, ok := d.tasks.Get(handle.Config.ID); ok {
		return nil
	}
	var state TaskState
	if err := handle.GetDriverState(&state); err != nil {
		return fmt.Errorf("decode task state: %w", err)
	}
	rc, err := pstructs.ReattachConfigToGoPlugin(state.ReattachConfig)
	if err != nil {
		return fmt.Errorf("build reattach config: %w", err)
	}
	_, _, compute := d.settings()
	logger := d.logger.With("task_name", handle.Config.Name, "alloc_id", handle.Config.AllocID)
	exec, client, err := executor.ReattachToExecutor(rc, logger, compute)
	if err != nil {
		return fmt.Errorf("reattach to executor: %w", err)
	}
	if err := d.adopt(&state); err != nil {
		h := newTaskHandle(state.TaskConfig, exec, client, state.Pid, state.StartedAt, logger)
		h.kill()
		return err
	}
	h := newTaskHandle(state.TaskConfig, exec, client, state.Pid, state.StartedAt, logger)
	h.devCgroup = state.DeviceCgroup
	h.pidsCgroup = state.PidsCgroup
	h.ckpt = d.recoverCheckpoints(state.Checkpoint, state.TaskConfig, logger)
	h.staging = state.Staging
	if h.staging != nil {
		h.staging.signer = d.runSigner(state.TaskConfig) // runsign.go
	}
	if state.PoolUID != 0 {
		h.finish = d.poolFinisher(state.PoolUID, state.TaskConfig)
	}
	h.emit = d.eventer.EmitEvent
	d.tasks.Set(state.TaskConfig.ID, h)
	go h.run()
	return nil
}

// adopt takes back what a recovered task holds on this node: its pool
// uid, and its directories made private again.
func (d *Driver) adopt(state *TaskState) error {
	if state.PoolUID != 0 {
		pool := d.uidPool()
		if pool == nil {
			return fmt.Errorf("the task runs as pool uid %d, but this node's run_as is not %q", state.PoolUID, RunAsPool)
		}
		if err := pool.reown(state.PoolUID, state.TaskConfig.ID, state.TaskConfig.TaskDir().Dir); err != nil {
			return fmt.Errorf("recover the task's uid: %w", err)
		}
	}
	if o := state.Owner; o != nil {
		tc := state.TaskConfig
		if err := lockDown(tc.TaskDir().Dir, tc.AllocDir, account{uid: o.UID, gid: o.GID}); err != nil {
			d.logger.Warn("cannot make the recovered task's directories private again", "error", err)
		}
	}
	return nil
}

// WaitTask returns a channel that yields the task's exit result once.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *drivers.ExitResult, error) {
	h, ok := d.tasks.Get(taskID)
	if !ok {
		return nil, drivers.ErrTaskNotFound
	}
	ch := make(chan *drivers.ExitResult)
	go func() {
		defer close(ch)
		select {
		case <-h.done:
		case <-ctx.Done():
			return
		case <-d.ctx.Done():
			return
		}
		select {
		case ch <- h.result():
		case <-ctx.Done():
		case <-d.ctx.Done():
		}
	}()
	return ch, nil
}

// StopTask ends the job as scancel does: stepd writes Slurm's cancel line
// into the error file, sends SIGCONT and signal (SIGTERM when Nomad gives
// none) to every process of the job, and SIGKILL after timeout (Slurm's
// KillWait). The executor kills stepd itself only if it is still there
// stopMargin later.
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	h, ok := d.tasks.Get(taskID)
	if !ok {
		return drivers.ErrTaskNotFound
	}
	if signal == "" {
		signal = "SIGTERM"
	}
	h.stopping.Store(true) // a stop's checkpoint (checkpoint.go)
	_, sig, err := jobdir.ParseSignalSpec(signal)
	if err != nil {
		return fmt.Errorf("stop signal: %w", err)
	}
	if h.IsRunning() {
		req := jobdir.Request{Kind: jobdir.KindStop, Signal: int(sig), Grace: timeout}
		if err := jobdir.WriteRequest(h.layout.CtlDir(), req); err != nil {
			h.logger.Warn("cannot queue the stop request; the executor will kill stepd", "error", err)
		}
	}
	if err := h.exec.Shutdown(proc.SignalName(jobdir.WakeSignal), timeout+stopMargin); err != nil {
		if h.pluginClient.Exited() {
			return nil
		}
		return fmt.Errorf("executor shutdown: %w", err)
	}
	return nil
}

// DestroyTask forgets a task, killing it first when force is set.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	h, ok := d.tasks.Get(taskID)
	if !ok {
		return drivers.ErrTaskNotFound
	}
	if h.IsRunning() && !force {
		return errors.New("cannot destroy a running task (use force)")
	}
	h.kill()
	h.removeDeviceCgroup()
	d.tasks.Delete(taskID)
	return nil
}

// InspectTask reports a task's state and, once it ended, its exit result.
func (d *Driver) InspectTask(taskID string) (*drivers.TaskStatus, error) {
	h, ok := d.tasks.Get(taskID)
	if !ok {
		return nil, drivers.ErrTaskNotFound
	}
	return h.TaskStatus(), nil
}

// TaskStats streams the task's resource usage, as the executor measures it.
func (d *Driver) TaskStats(ctx context.Context, taskID string, interval time.Duration) (<-chan *drivers.TaskResourceUsage, error) {
	h, ok := d.tasks.Get(taskID)
	if !ok {
		return nil, drivers.ErrTaskNotFound
	}
	return h.exec.Stats(ctx, interval)
}

// TaskEvents streams the driver's task events.
func (d *Driver) TaskEvents(ctx context.Context) (<-chan *drivers.TaskEvent, error) {
	return d.eventer.TaskEvents(ctx)
}

// SignalTask delivers a signal with Slurm's scopes, encoded in the signal
// string (Nomad passes `nomad alloc signal -s` and the API's signal through
// unchanged): "SIGUSR1" to the job's srun steps, "B:SIGUSR1" to the batch
// shell alone, "F:SIGUSR1" to every process of the job. See
// jobdir.ParseSignalSpec.
func (d *Driver) SignalTask(taskID string, signal string) error {
	h, ok := d.tasks.Get(taskID)
	if !ok {
		return drivers.ErrTaskNotFound
	}
	scope, sig, err := jobdir.ParseSignalSpec(signal)
	if err != nil {
		return err
	}
	if !h.IsRunning() {
		return fmt.Errorf("task %s is not running", taskID)
	}
	h.stopping.Store(true) // a --signal before a stop: the end commits (checkpoint.go)
	req := jobdir.Request{Kind: jobdir.KindSignal, Signal: int(sig), Scope: scope}
	if err := jobdir.WriteRequest(h.layout.CtlDir(), req); err != nil {
		return err
	}
	return h.exec.Signal(jobdir.WakeSignal)
}

// ExecTask is not supported: the executor would run the command as root
// on the donor's machine.
func (d *Driver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*drivers.ExecTaskResult, error) {
	return nil, errors.New("the hpcbridge driver does not support exec into tasks")
}
