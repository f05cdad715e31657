package taskdriver

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/client/lib/cgroupslib"
	"github.com/hashicorp/nomad/plugins/drivers"
	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// openerScript opens each node it is given read-write and prints the node's
// name and what open said: OPEN, or the errno's name. With no NVIDIA driver
// loaded a node the device rule lets through gives ENXIO; one it denies,
// EPERM. It also tries to leave its devices cgroup (v1): the job must not
// be able to.
const openerScript = `#!/usr/bin/env python3
import errno, os, sys
for p in sys.argv[1:]:
    try:
        os.close(os.open(p, os.O_RDWR))
        r = "OPEN"
    except OSError as e:
        r = errno.errorcode[e.errno]
    print(os.path.basename(p), r)
try:
    with open("/sys/fs/cgroup/devices/cgroup.procs", "w") as f:
        f.write(str(os.getpid()))
    print("leave", "LEFT")
except OSError as e:
    print("leave", errno.errorcode[e.errno])
`

// nvidiaNodes makes NVIDIA device nodes in a fresh directory every user can
// read: nvidia0..nvidia3 (major 195, minors 0-3) and nvidiactl (195:255).
func nvidiaNodes(t *testing.T) (dir string, nodes []string) {
	t.Helper()
	dir = sharedDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		name  string
		minor uint32
	}{{"nvidia0", 0}, {"nvidia1", 1}, {"nvidia2", 2}, {"nvidia3", 3}, {"nvidiactl", 255}} {
		path := filepath.Join(dir, n.name)
		if err := unix.Mknod(path, unix.S_IFCHR|0o666, int(unix.Mkdev(nvidiaMajor, n.minor))); err != nil {
			t.Fatalf("mknod %s: %v", path, err)
		}
		if err := os.Chmod(path, 0o666); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, path)
	}
	return dir, nodes
}

// parseOpens reads openerScript's output: name -> result.
func parseOpens(out string) map[string]string {
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			got[f[0]] = f[1]
		}
	}
	return got
}

// TestGPUDeviceIsolation: a job given the GPU of minor 1 can open its node
// (ENXIO: the rule lets it through to a driver that is not there) but not
// those of the other GPUs (EPERM, the devices cgroup), nor leave its
// devices cgroup; nvidiactl stays open to it. A job without GPUs can open
// no GPU node. Without the rule every open gives ENXIO.
func TestGPUDeviceIsolation(t *testing.T) {
	requireRoot(t)
	if cgroupslib.GetMode() != cgroupslib.CG1 {
		t.Skip("the device rule is tested for real on cgroup v1 only (v2: TestDeviceRuleEBPF)")
	}
	dir, nodes := nvidiaNodes(t)
	cases := []struct {
		name string
		gpu  bool
		want map[string]string
	}{
		{"gpu1", true, map[string]string{"nvidia0": "EPERM", "nvidia1": "ENXIO", "nvidia2": "EPERM", "nvidia3": "EPERM", "nvidiactl": "ENXIO", "leave": "EACCES"}},
		{"none", false, map[string]string{"nvidia0": "EPERM", "nvidia1": "EPERM", "nvidia2": "EPERM", "nvidia3": "EPERM", "nvidiactl": "ENXIO", "leave": "EACCES"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := []string{"31", "32"}[i]
			td := newTestDriver(t, Config{})
			j := td.newJob(t, TaskConfig{Script: openerScript, Args: nodes}, coordinatorEnv(id))
			if c.gpu {
				// What Nomad hands over for the real backend's
				// reservation of the GPU of index 1, minor 1.
				j.cfg.DeviceEnv = map[string]string{envGPUIndexes: "1", envGPUUUIDs: "GPU-1", envNvidiaVis: "GPU-1", envGPUBackend: "nvml"}
				j.cfg.Devices = []*drivers.DeviceConfig{
					{TaskPath: "/dev/nvidia1", HostPath: filepath.Join(dir, "nvidia1"), Permissions: "rw"},
					{TaskPath: "/dev/nvidiactl", HostPath: filepath.Join(dir, "nvidiactl"), Permissions: "rw"},
				}
			}
			cg, err := deviceCgroupV1(j.cfg)
			if err != nil {
				t.Fatal(err)
			}
			res := j.run()
			out := j.file("slurm-" + id + ".out")
			if !res.Successful() {
				t.Fatalf("result: %s\n%s", describe(res), out)
			}
			if got := parseOpens(out); !equalMaps(got, c.want) {
				t.Errorf("opens %v, want %v\n%s", got, c.want, out)
			}
			// The task's devices cgroup is gone once it ended.
			if _, err := os.Stat(cg); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("devices cgroup %s left behind (%v)", cg, err)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDeviceRuleFailsClosed: a rule that cannot be applied (here: no
// cgroups) refuses a task that needs it, and is skipped for one that does
// not (fake backend, no NVIDIA nodes on the node).
func TestDeviceRuleFailsClosed(t *testing.T) {
	d := New(t.Context(), hclog.NewNullLogger())
	cfg := &drivers.TaskConfig{AllocID: "a", Name: "batch"}
	_, err := d.applyDeviceRule(cgroupslib.OFF, cfg, deviceRule{required: "the task has GPUs 0 of backend \"nvml\""})
	if !errors.Is(err, errDeviceRule) || !strings.Contains(err.Error(), "not started") {
		t.Errorf("required rule, no cgroups: %v; want a refusal", err)
	}
	if dir, err := d.applyDeviceRule(cgroupslib.OFF, cfg, deviceRule{}); err != nil || dir != "" {
		t.Errorf("optional rule, no cgroups: %q, %v; want nothing", dir, err)
	}
}

// TestGPUDeviceRule: the minors come from the reservation's device nodes,
// and the rule is required for real GPUs, device nodes, or a node with
// NVIDIA GPU nodes; it denies every other GPU minor and nothing else.
func TestGPUDeviceRule(t *testing.T) {
	roottest.Require(t, "making device nodes (mknod) needs root")
	dir, _ := nvidiaNodes(t)
	empty := t.TempDir()
	fake := reservation("GPU-a", "1", "fake")
	if r := gpuDeviceRule(fake, mustGPUs(t, fake), empty); len(r.allowed) != 0 || r.required != "" {
		t.Errorf("fake backend, no nodes: %+v", r)
	}
	if r := gpuDeviceRule(&drivers.TaskConfig{}, gpuSet{}, dir); r.required == "" || !strings.Contains(r.required, "nvidia0") {
		t.Errorf("no GPUs on a node with GPU nodes: %+v; want required", r)
	}
	real := reservation("GPU-a,GPU-b", "0,3", "nvml")
	if r := gpuDeviceRule(real, mustGPUs(t, real), empty); r.required == "" || len(r.allowed) != 0 {
		t.Errorf("real backend without nodes: %+v; want required, nothing allowed", r)
	}
	real.Devices = []*drivers.DeviceConfig{
		{HostPath: filepath.Join(dir, "nvidia3")}, {HostPath: filepath.Join(dir, "nvidia0")},
		{HostPath: filepath.Join(dir, "nvidia0")}, {HostPath: filepath.Join(dir, "nvidiactl")},
		{HostPath: filepath.Join(dir, "missing")}, {HostPath: "/dev/null"},
	}
	r := gpuDeviceRule(real, mustGPUs(t, real), empty)
	if !slices.Equal(r.allowed, []int64{0, 3}) || r.required == "" {
		t.Errorf("real backend: %+v; want minors 0,3 allowed, required", r)
	}
	rules := r.rules()
	if w := rules[0]; w.CgroupString() != "a *:* rwm" || !w.Allow {
		t.Errorf("first rule %q (allow %v), want a *:* rwm allowed", w.CgroupString(), w.Allow)
	}
	var denied []string
	for _, x := range rules[1:] {
		if x.Allow {
			t.Errorf("rule %q allows", x.CgroupString())
		}
		denied = append(denied, x.CgroupString())
	}
	if len(denied) != nvidiaMaxGPUMinor+1-2 || denied[0] != "c 195:1 rwm" || denied[1] != "c 195:2 rwm" ||
		denied[len(denied)-1] != "c 195:253 rwm" {
		t.Errorf("denied %d rules: %q ... %q", len(denied), denied[:2], denied[len(denied)-1])
	}
	for _, keep := range []string{"c 195:0 rwm", "c 195:3 rwm", "c 195:254 rwm", "c 195:255 rwm"} {
		if slices.Contains(denied, keep) {
			t.Errorf("%s denied", keep)
		}
	}
	if got := r.String(); got != "NVIDIA GPU minor(s) 0,3 only" {
		t.Errorf("String %q", got)
	}
}

func mustGPUs(t *testing.T, cfg *drivers.TaskConfig) gpuSet {
	t.Helper()
	g, err := reservedGPUs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestDeviceRuleEBPF applies the cgroup v2 rule (an eBPF device program)
// to a cgroup of the unified hierarchy, which a hybrid cgroup v1 node
// mounts at /sys/fs/cgroup/unified, and opens the nodes from a process in
// it. It checks the program, not Nomad's v2 layout (nothing here runs
// Nomad in v2 mode).
func TestDeviceRuleEBPF(t *testing.T) {
	requireRoot(t)
	root := cgroupslib.GetDefaultRoot()
	if cgroupslib.GetMode() == cgroupslib.CG1 {
		root = filepath.Join(root, "unified")
	}
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Skipf("no cgroup v2 hierarchy at %s", root)
	}
	cg, err := os.MkdirTemp(root, "hpcbridge-devtest-")
	if err != nil {
		t.Skipf("cannot make a cgroup v2 group: %v", err)
	}
	t.Cleanup(func() { os.Remove(cg) })
	python := roottest.Tool(t, "python3", "the device test's opener")
	dir, nodes := nvidiaNodes(t)
	cfg := &drivers.TaskConfig{Resources: &drivers.Resources{LinuxResources: &drivers.LinuxResources{CpusetCgroupPath: cg}}}
	rule := gpuDeviceRule(&drivers.TaskConfig{Devices: []*drivers.DeviceConfig{{HostPath: filepath.Join(dir, "nvidia2")}}}, gpuSet{}, dir)
	if _, err := applyDeviceRuleTo(cgroupslib.CG2, cfg, rule); err != nil {
		t.Fatalf("apply: %v", err)
	}
	fd, err := unix.Open(cg, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	script := strings.SplitN(openerScript, "\n", 2)[1]
	cmd := exec.Command(python, append([]string{"-c", script}, nodes...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("opener: %v\n%s", err, out)
	}
	got := parseOpens(string(out))
	delete(got, "leave") // a v1 matter
	want := map[string]string{"nvidia0": "EPERM", "nvidia1": "EPERM", "nvidia2": "ENXIO", "nvidia3": "EPERM", "nvidiactl": "ENXIO"}
	if !equalMaps(got, want) {
		t.Errorf("opens %v, want %v", got, want)
	}
}
