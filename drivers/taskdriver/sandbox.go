package taskdriver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/nomad/client/lib/cgroupslib"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"
	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
)

// Sandbox mode (plugin config `sandbox = true`, for donor nodes;
// docs/driver.md, "Sandbox mode (donor nodes)"): every job runs as a
// dynamic uid of its own (the pool, from sandbox_uids), in a private
// mount namespace that shows it its own directories, the system's tools
// read-only, a private /tmp, a /dev with only its own devices and a /proc
// of its own processes (internal/sandbox), under cgroup limits that stepd
// enforces before the job starts (stepd/sandbox.go).

// nvidiaControlNodes are the NVIDIA driver's non-GPU nodes a GPU job
// needs (when the node has them).
var nvidiaControlNodes = []string{"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset"}

// sandboxFor is the sandbox of a job: its spec for the trampoline and its
// limits for stepd.
func (d *Driver) sandboxFor(conf Config, cfg *drivers.TaskConfig, acct account, layout jobdir.Layout,
	compute cpustats.Compute, task map[string]string) (*sandbox.Spec, *jobdir.Limits, error) {
	if err := layout.PrepareSandbox(acct.uid, acct.gid); err != nil {
		return nil, nil, err
	}
	shared := filepath.Join(cfg.AllocDir, "alloc")
	spec := &sandbox.Spec{
		Root: layout.SandboxRoot(),
		UID:  acct.uid,
		GID:  acct.gid,
		Binds: []sandbox.Bind{
			// The task directory: the job's home, working directory,
			// outputs and checkpoint directory (and Nomad's local/ and
			// secrets/ in it).
			{Path: layout.TaskDir, Write: true, Rec: true},
			// NOMAD_ALLOC_DIR's data and tmp (logs is root's).
			{Path: filepath.Join(shared, "data"), Write: true, Optional: true},
			{Path: filepath.Join(shared, "tmp"), Write: true, Optional: true},
			// The driver's directory for the task: srun and hpcbridge
			// (bin/), srun's steps/, the checkpoint socket, stepnet.json;
			// root's where the job must not write. Its ctl/ is masked.
			{Path: layout.Dir(), Write: true},
		},
		Mask: []string{layout.CtlDir()},
		Tmp:  layout.SandboxTmp(),
		Shm:  layout.SandboxShm(),
	}
	for _, p := range d.testBinds {
		spec.Binds = append(spec.Binds, sandbox.Bind{Path: p, Write: true})
	}
	spec.Devices = sandboxDevices(cfg, d.devDir)
	spec.Hide = sandboxHidden(conf, cfg)
	if err := spec.Check(); err != nil {
		return nil, nil, err
	}
	return spec, sandboxLimits(conf, cfg, compute, task), nil
}

// sandboxDevices are the device nodes a job sees besides the base ones:
// the character devices Nomad handed over from its device reservations
// (its GPUs' /dev/nvidia<N>) and, when it has an NVIDIA GPU, the driver's
// control nodes present in dev.
func sandboxDevices(cfg *drivers.TaskConfig, dev string) []string {
	var out []string
	gpu := false
	for _, dc := range cfg.Devices {
		if dc == nil || !isCharDevice(dc.HostPath) || slices.Contains(out, dc.HostPath) {
			continue
		}
		if name := filepath.Base(dc.HostPath); slices.Contains(nvidiaControlNodes, name) {
			continue // added below, once
		}
		out = append(out, dc.HostPath)
		if _, ok := nvidiaGPUMinor(dc.HostPath); ok {
			gpu = true
		}
	}
	if gpu {
		for _, n := range nvidiaControlNodes {
			if p := filepath.Join(dev, n); isCharDevice(p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func isCharDevice(path string) bool {
	var st unix.Stat_t
	return path != "" && unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR
}

// sandboxHidden are the host paths that must never show in a job's
// sandbox, should a read-only system directory hold them: the node's
// receipt key and its directory, the uid leases, the Nomad data directory
// (other allocations, the client's state).
func sandboxHidden(conf Config, cfg *drivers.TaskConfig) []string {
	allocs := filepath.Dir(cfg.AllocDir)
	cands := []string{conf.NodeKeyFile, filepath.Dir(conf.NodeKeyFile), conf.PoolDir, allocs, filepath.Dir(allocs)}
	var out []string
	for _, p := range cands {
		p = filepath.Clean(p)
		if !filepath.IsAbs(p) || p == "/" || slices.Contains(sandbox.SystemDirs, p) || slices.Contains(out, p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// makePidsCgroupV1 makes the task's pids cgroup on cgroup v1, where
// Nomad makes none: <mount>/<the driver's own pids cgroup>/hpcbridge/
// <alloc>.<task>.<run> (named as the devices cgroup), pids.max set. stepd
// joins it before the job starts; the driver removes it when the task is
// over (removeDeviceCgroup works for any cgroup directory).
func makePidsCgroupV1(cfg *drivers.TaskConfig, max int64) (string, error) {
	mount := filepath.Join(cgroupslib.GetDefaultRoot(), "pids")
	if _, err := os.Stat(filepath.Join(mount, "cgroup.procs")); err != nil {
		return "", fmt.Errorf("no pids controller at %s: %w", mount, err)
	}
	own, err := ownCgroupV1("pids")
	if err != nil {
		return "", err
	}
	run := sha256.Sum256([]byte(cfg.ID))
	name := cgroupslib.ScopeCG1(cfg.AllocID, cfg.Name) + "." + hex.EncodeToString(run[:4])
	if cfg.AllocID == "" || filepath.Base(name) != name || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("no pids cgroup name for alloc %q task %q", cfg.AllocID, cfg.Name)
	}
	dir := filepath.Join(mount, own, deviceCgroupDir, name)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("make pids cgroup: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("make pids cgroup: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(strconv.FormatInt(max, 10)), 0); err != nil {
		removeDeviceCgroup(dir)
		return "", fmt.Errorf("pids cgroup %s: %w", dir, err)
	}
	return dir, nil
}

// sandboxLimits are the job's cgroup limits: its memory as the hard limit
// (memory_max, Nomad's oversubscription, is not honoured) with no swap,
// its CPUs as a CFS quota, and the node's bound on its tasks.
func sandboxLimits(conf Config, cfg *drivers.TaskConfig, compute cpustats.Compute, task map[string]string) *jobdir.Limits {
	l := &jobdir.Limits{Pids: conf.SandboxPidsMax}
	if r := cfg.Resources; r != nil {
		if r.NomadResources != nil {
			l.MemoryBytes = r.NomadResources.Memory.MemoryMB << 20
		}
		if l.MemoryBytes <= 0 && r.LinuxResources != nil {
			l.MemoryBytes = r.LinuxResources.MemoryLimitBytes
		}
	}
	l.CPUs = allocatedCPUs(cfg.Resources, compute, task)
	return l
}

// withoutHostEnv is cfg without the Nomad client's own environment in its
// env. Nomad adds its agent's environment (less env.denylist) to the task
// env of a driver without file-system isolation, and the plugin, started
// by the client, has the same one (host). A job from the coordinator has
// its environment in the task config and takes only NOMAD_* from the task
// env; a hand-written Nomad job (which a job can submit through the Nomad
// client's HTTP API where ACLs are off) takes the task env as it is: the
// agent's tokens, SSH_AUTH_SOCK, KRB5CCNAME, a pilot's Slurm job. In a
// sandbox every variable that has the plugin's own value is dropped (a
// job's own setting that happens to equal the host's too).
func withoutHostEnv(cfg *drivers.TaskConfig, host []string) *drivers.TaskConfig {
	own := make(map[string]string, len(host))
	for _, kv := range host {
		if k, v, ok := strings.Cut(kv, "="); ok {
			own[k] = v
		}
	}
	c := *cfg
	c.Env = make(map[string]string, len(cfg.Env))
	for k, v := range cfg.Env {
		if hv, ok := own[k]; ok && hv == v {
			continue
		}
		c.Env[k] = v
	}
	return &c
}
