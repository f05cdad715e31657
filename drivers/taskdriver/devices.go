package taskdriver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/nomad/client/lib/cgroupslib"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/opencontainers/cgroups"
	// Registers cgroups.DevicesSetV1 and DevicesSetV2 (already linked
	// through Nomad's executor, which uses runc's libcontainer).
	_ "github.com/opencontainers/cgroups/devices"
	devconfig "github.com/opencontainers/cgroups/devices/config"
	"golang.org/x/sys/unix"
)

// GPU device isolation, as Slurm's ConstrainDevices=yes: Nomad's executor
// without file-system isolation ignores the device nodes the hpcbridge-gpu
// plugin's Reserve returns, so without a device rule any job could open
// every /dev/nvidia<N> of the node, GPUs other jobs hold included. Every
// task therefore runs under a device rule that denies the NVIDIA GPU
// minors it was not given (docs/driver.md, "GPU device isolation"):
//
//   - cgroup v1: a devices cgroup of its own, made by the driver under the
//     driver's own devices cgroup (hpcbridge/<alloc>.<task>.<run>), which stepd
//     joins before anything of the job runs. The job, unprivileged, can
//     neither leave it nor change its rule.
//   - cgroup v2: an eBPF device program attached to the task's cgroup
//     (opencontainers/cgroups, as runc does) before stepd starts.
//
// Everything else (nvidiactl, nvidia-modeset, nvidia-uvm and nvidia-caps,
// whose majors differ, every other device) stays as it was.

const (
	// nvidiaMajor is the character major of the NVIDIA driver's nodes:
	// /dev/nvidia<N> (minor N), nvidia-modeset (254), nvidiactl (255).
	nvidiaMajor = 195
	// nvidiaMaxGPUMinor is the highest minor a GPU can have; 254 and 255
	// are the driver's own nodes, which every CUDA process needs.
	nvidiaMaxGPUMinor = 253
	// deviceCgroupDir is the parent of the tasks' v1 devices cgroups,
	// under the driver's own devices cgroup.
	deviceCgroupDir = "hpcbridge"
)

// devDir is where a node's NVIDIA device nodes are.
const devDir = "/dev"

// errDeviceRule: the task's device rule could not be applied.
var errDeviceRule = errors.New("GPU device isolation")

// deviceRule is which NVIDIA GPU minors a task may open: those of the
// device nodes Nomad handed over from the reservation, no others.
type deviceRule struct {
	// allowed are the GPU minors of the task's reservation, sorted.
	allowed []int64
	// required is why the task must not start without the rule ("": it
	// may, the node has no NVIDIA GPU to keep it from).
	required string
}

// gpuDeviceRule reads the task's GPU minors from TaskConfig.Devices, which
// Nomad fills from the device plugins' reservations only (the device hook;
// they cross the plugin protocol, unlike the allocated device ids): the
// character devices of NVIDIA's major among their host paths. The rule is
// required when the task has GPUs of the real backend, or device nodes, or
// the node has NVIDIA GPU nodes in dev.
func gpuDeviceRule(cfg *drivers.TaskConfig, gpus gpuSet, dev string) deviceRule {
	var r deviceRule
	for _, d := range cfg.Devices {
		if d == nil {
			continue
		}
		if minor, ok := nvidiaGPUMinor(d.HostPath); ok && !slices.Contains(r.allowed, minor) {
			r.allowed = append(r.allowed, minor)
		}
	}
	slices.Sort(r.allowed)
	switch {
	case len(gpus.indexes) > 0 && gpus.backend != "fake":
		r.required = fmt.Sprintf("the task has GPUs %s of backend %q", gpus.list(), gpus.backend)
	case len(r.allowed) > 0:
		r.required = "the task has NVIDIA device nodes"
	default:
		if node := nvidiaGPUNode(dev); node != "" {
			r.required = "this node has NVIDIA GPUs (" + node + ")"
		}
	}
	return r
}

// nvidiaGPUMinor is the minor of path when it is an NVIDIA GPU's character
// device node.
func nvidiaGPUMinor(path string) (int64, bool) {
	var st unix.Stat_t
	if path == "" || unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return 0, false
	}
	if unix.Major(st.Rdev) != nvidiaMajor || unix.Minor(st.Rdev) > nvidiaMaxGPUMinor {
		return 0, false
	}
	return int64(unix.Minor(st.Rdev)), true
}

var gpuNodeName = regexp.MustCompile(`^nvidia[0-9]+$`)

// nvidiaGPUNode is the first NVIDIA GPU node in dir, "" when there is none.
func nvidiaGPUNode(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if !gpuNodeName.MatchString(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if _, ok := nvidiaGPUMinor(path); ok {
			return path
		}
	}
	return ""
}

// rules is the rule as cgroup device rules: every device allowed (the
// cgroup's state as it was: a child never gains what its parent lacks),
// then each NVIDIA GPU minor not allowed denied.
func (r deviceRule) rules() []*devconfig.Rule {
	out := []*devconfig.Rule{{
		Type: devconfig.WildcardDevice, Major: devconfig.Wildcard, Minor: devconfig.Wildcard,
		Permissions: "rwm", Allow: true,
	}}
	for m := int64(0); m <= nvidiaMaxGPUMinor; m++ {
		if !slices.Contains(r.allowed, m) {
			out = append(out, &devconfig.Rule{
				Type: devconfig.CharDevice, Major: nvidiaMajor, Minor: m, Permissions: "rwm", Allow: false,
			})
		}
	}
	return out
}

// String says which minors the rule allows, for messages.
func (r deviceRule) String() string {
	if len(r.allowed) == 0 {
		return "no NVIDIA GPU"
	}
	s := make([]string, len(r.allowed))
	for i, m := range r.allowed {
		s[i] = strconv.FormatInt(m, 10)
	}
	return fmt.Sprintf("NVIDIA GPU minor(s) %s only", strings.Join(s, ","))
}

// applyDeviceRule confines the task's processes to rule before they run.
// On cgroup v1 it returns the devices cgroup stepd must join (the caller
// removes it when the task is over: removeDeviceCgroup). A rule that
// cannot be applied is an error when it is required, and is logged and
// skipped otherwise.
func (d *Driver) applyDeviceRule(mode cgroupslib.Mode, cfg *drivers.TaskConfig, rule deviceRule) (string, error) {
	dir, err := applyDeviceRuleTo(mode, cfg, rule)
	if err == nil {
		return dir, nil
	}
	if rule.required != "" {
		return "", fmt.Errorf("%w: %s, but the rule that keeps it off other GPUs cannot be applied, so it is not started: %w",
			errDeviceRule, rule.required, err)
	}
	d.logger.Debug("no device rule for the task: no real GPU to keep it from", "error", err)
	return "", nil
}

func applyDeviceRuleTo(mode cgroupslib.Mode, cfg *drivers.TaskConfig, rule deviceRule) (string, error) {
	if inUserNamespace() {
		return "", errors.New("the driver runs in a user namespace, where device cgroups are not enforced")
	}
	res := &cgroups.Resources{Devices: rule.rules()}
	switch mode {
	case cgroupslib.CG1:
		dir, err := deviceCgroupV1(cfg)
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return "", fmt.Errorf("make devices cgroup: %w", err)
		}
		// A fresh cgroup: in one that exists, rules denied earlier would
		// not show (devices.list of a default-allow cgroup lists none).
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", fmt.Errorf("make devices cgroup: %w", err)
		}
		if err := cgroups.DevicesSetV1(dir, res); err != nil {
			removeDeviceCgroup(dir)
			return "", fmt.Errorf("devices cgroup %s: %w", dir, err)
		}
		return dir, nil
	case cgroupslib.CG2:
		if cfg.Resources == nil || cfg.Resources.LinuxResources == nil || cfg.Resources.LinuxResources.CpusetCgroupPath == "" {
			return "", errors.New("Nomad gave no cgroup for the task")
		}
		path := cfg.Resources.LinuxResources.CpusetCgroupPath
		if err := cgroups.DevicesSetV2(path, res); err != nil {
			return "", fmt.Errorf("eBPF device program on %s: %w", path, err)
		}
		return "", nil
	default:
		return "", errors.New("no cgroups on this node")
	}
}

// deviceCgroupV1 is the task's devices cgroup: <mount>/<the driver's own
// devices cgroup>/hpcbridge/<alloc>.<task>. A child of the driver's, so
// whatever the node's service manager denied Nomad stays denied.
func deviceCgroupV1(cfg *drivers.TaskConfig) (string, error) {
	mount := filepath.Join(cgroupslib.GetDefaultRoot(), "devices")
	if _, err := os.Stat(filepath.Join(mount, "devices.deny")); err != nil {
		return "", fmt.Errorf("no devices controller at %s: %w", mount, err)
	}
	own, err := ownCgroupV1("devices")
	if err != nil {
		return "", err
	}
	// One per run of the task (Nomad gives each its own task ID): a run
	// never inherits the rule of an earlier one that a leftover process
	// kept busy.
	run := sha256.Sum256([]byte(cfg.ID))
	name := cgroupslib.ScopeCG1(cfg.AllocID, cfg.Name) + "." + hex.EncodeToString(run[:4])
	if cfg.AllocID == "" || filepath.Base(name) != name || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("no devices cgroup name for alloc %q task %q", cfg.AllocID, cfg.Name)
	}
	return filepath.Join(mount, own, deviceCgroupDir, name), nil
}

// ownCgroupV1 is this process's cgroup in the v1 hierarchy of controller.
func ownCgroupV1(controller string) (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && slices.Contains(strings.Split(f[1], ","), controller) {
			return filepath.Clean("/" + f[2]), nil
		}
	}
	return "", fmt.Errorf("no %s cgroup in /proc/self/cgroup", controller)
}

// removeDeviceCgroup removes a task's v1 devices cgroup once nothing of
// the job is left in it; it reports whether it is gone.
func removeDeviceCgroup(dir string) bool {
	if dir == "" {
		return true
	}
	err := os.Remove(dir)
	return err == nil || errors.Is(err, os.ErrNotExist)
}

// inUserNamespace reports whether this process runs in a user namespace
// other than the initial one, where device cgroups are not enforced.
func inUserNamespace() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false // a kernel without user namespaces
	}
	f := strings.Fields(string(b))
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}
