package taskdriver

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/client/lib/cgroupslib"
	"github.com/hashicorp/nomad/helper/uuid"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// sandboxConfig is a donor node's driver configuration (sandbox = true,
// as the hpcbridge agent writes it) with the dynamic uids uids and the
// leases and node key in directories of the test's own; on = false is the
// same node without the sandbox (the control: run_as = pool alone). Give
// every test its own range: the clean-up of a finished job, which may
// still run when the next test starts, kills every process of its uid.
func sandboxConfig(t *testing.T, on bool, nodeKey, uids string) Config {
	return Config{
		RunAs:       RunAsPool,
		PoolUIDs:    uids,
		SandboxUIDs: uids,
		PoolDir:     filepath.Join(t.TempDir(), "pool"),
		Sandbox:     on,
		NodeKeyFile: nodeKey,
	}
}

// sandboxProbe tries what a stranger's job on a donor node must not
// manage, and prints one "NAME RESULT" line per attempt (OK or the
// errno's name), then its ids and the limits of its cgroups.
const sandboxProbe = `#!/usr/bin/env python3
import errno, os
def probe(name, path, op):
    try:
        op(path)
        r = "OK"
    except OSError as e:
        r = errno.errorcode[e.errno]
    print(name, r)
def read(p):
    with open(p) as f:
        f.read()
probe("donor-file", os.environ["DONOR_FILE"], read)
probe("node-key", os.environ["NODE_KEY"], os.stat)
probe("other-alloc", os.environ["OTHER_ALLOC"], os.listdir)
probe("home", "/home", os.listdir)
probe("root", "/root", os.listdir)
probe("var", "/var", os.listdir)
probe("srv", "/srv", os.listdir)
probe("gpu-dir", os.environ["GPU_DIR"], os.listdir)
for n in ["nvidia0", "nvidia1", "nvidia2", "nvidia3", "nvidiactl"]:
    probe("dev-" + n, "/dev/" + n, os.stat)
probe("write-usr", "/usr/hpcbridge-sandbox-probe", lambda p: open(p, "w"))
probe("proc-1", "/proc/1/status", os.stat)
probe("own-dir", os.environ["HOME"], os.listdir)
probe("srun", "srun", lambda p: os.system(p + " true") == 0 or (_ for _ in ()).throw(OSError(errno.EIO, "srun")))
probe("host-tmp", os.environ["HOST_TMP"], read)
try:
    print("ctl-entries", len(os.listdir(os.environ["CTL_DIR"])))
except OSError as e:
    print("ctl-entries", errno.errorcode[e.errno])
home_opts = "none"
with open("/proc/self/mounts") as f:
    for line in f:
        fields = line.split()
        if fields[1] == os.environ["HOME"]:
            home_opts = fields[3]
print("home-nosuid", "nosuid" in home_opts.split(","))
print("uid", os.getuid(), os.geteuid(), os.getgid(), os.getegid(), len(os.getgroups()))
limits = {}
with open("/proc/self/cgroup") as f:
    for line in f:
        _, ctrls, path = line.strip().split(":", 2)
        for c, file in [("pids", "pids.max"), ("cpu", "cpu.cfs_quota_us"), ("memory", "memory.limit_in_bytes")]:
            if c in ctrls.split(","):
                try:
                    with open("/sys/fs/cgroup/%s%s/%s" % (c, path, file)) as g:
                        limits[file] = g.read().strip()
                except OSError as e:
                    limits[file] = errno.errorcode[e.errno]
for k in sorted(limits):
    print(k, limits[k])
`

// parseProbe reads sandboxProbe's output.
func parseProbe(out string) map[string]string {
	got := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			got[k] = v
		}
	}
	return got
}

// sandboxWant is what a sandboxed job must see: nothing of the donor's
// (ENOENT: not even there), only its own GPU's node, read-only system
// directories, its own processes, and limits set. Each is an isolation
// property; isolationBreaches lists those got does not hold.
var sandboxWant = map[string]string{
	"donor-file":    "ENOENT",
	"node-key":      "ENOENT",
	"other-alloc":   "ENOENT",
	"home":          "ENOENT",
	"root":          "ENOENT",
	"var":           "ENOENT",
	"srv":           "ENOENT",
	"gpu-dir":       "ENOENT",
	"dev-nvidia0":   "ENOENT",
	"dev-nvidia1":   "OK",
	"dev-nvidia2":   "ENOENT",
	"dev-nvidia3":   "ENOENT",
	"dev-nvidiactl": "OK",
	"write-usr":     "EROFS",
	"proc-1":        "ENOENT",
	"host-tmp":      "ENOENT",
}

func isolationBreaches(got map[string]string) []string {
	var bad []string
	for k, want := range sandboxWant {
		if got[k] != want {
			bad = append(bad, k+"="+got[k]+" (want "+want+")")
		}
	}
	return bad
}

// TestSandboxIsolation runs a stranger's job on a donor node (sandbox =
// true) given the GPU of minor 1 (device nodes made with mknod in a
// directory of the test's, which the driver takes as the node's /dev):
// it cannot read a file of the donor's (world-readable, outside its
// sandbox), reach the node key (kept in a directory below /opt, which the
// job sees read-only: masked) or another allocation's directory, sees no
// /home, /root, /var or /srv, only nvidia1 and nvidiactl of the GPU nodes,
// cannot write the system's directories, sees no process but its own,
// runs as a dynamic uid of the range with no groups, still runs srun in
// its own directory, and its private /tmp is not the host's; its cgroups
// have the job's memory, CPUs and the pids bound. The same job on the
// same node without the sandbox breaches every one of these (the
// control: each check is shown to fail without sandbox = true).
func TestSandboxIsolation(t *testing.T) {
	requireRoot(t)
	// The node key below /opt, a system directory the job sees
	// read-only: the sandbox must mask it.
	keyDir := systemTempDir(t)
	nodeKey := filepath.Join(keyDir, "keys", "node.key")
	donorFile := newDonorFile(t)
	gpuDir, _ := nvidiaNodes(t)

	for i, on := range []bool{true, false} {
		name := map[bool]string{true: "sandbox", false: "control-without-sandbox"}[on]
		t.Run(name, func(t *testing.T) {
			id := strconv.Itoa(70 + i)
			uids := map[bool]string{true: "60190-60193", false: "60194-60197"}[on]
			td := newTestDriver(t, sandboxConfig(t, on, nodeKey, uids))
			td.d.devDir = gpuDir
			other := td.newJob(t, TaskConfig{Script: "#!/bin/sh\ntrue\n"}, coordinatorEnv("69"))
			env := coordinatorEnv(id)
			env["DONOR_FILE"], env["NODE_KEY"], env["GPU_DIR"] = donorFile, nodeKey, gpuDir
			env["OTHER_ALLOC"] = other.cfg.AllocDir
			// A file in the host's /tmp, which the job's /tmp is not.
			hostTmp, err := os.CreateTemp("/tmp", "hpcbridge-sandbox-host-")
			if err != nil {
				t.Fatal(err)
			}
			hostTmp.Close()
			t.Cleanup(func() { os.Remove(hostTmp.Name()) })
			if err := os.Chmod(hostTmp.Name(), 0o644); err != nil {
				t.Fatal(err)
			}
			env["HOST_TMP"] = hostTmp.Name()
			j := td.newJob(t, TaskConfig{Script: sandboxProbe}, env)
			// Its own control directory (root's, 0700), masked in the sandbox.
			j.cfg.Env["CTL_DIR"] = td.layoutOf(j).CtlDir()
			// What Nomad hands over for the real backend's reservation of
			// the GPU of index 1, minor 1.
			j.cfg.DeviceEnv = map[string]string{envGPUIndexes: "1", envGPUUUIDs: "GPU-1", envNvidiaVis: "GPU-1", envGPUBackend: "nvml"}
			j.cfg.Devices = []*drivers.DeviceConfig{
				{TaskPath: "/dev/nvidia1", HostPath: filepath.Join(gpuDir, "nvidia1"), Permissions: "rw"},
			}
			res := j.run()
			out := j.file(filepath.Join(j.taskDir(), "slurm-"+id+".out"))
			t.Logf("%s job:\n%s", name, out)
			if !res.Successful() {
				t.Fatalf("result: %s\n%s", describe(res), out)
			}
			got := parseProbe(out)
			uid := strings.Fields(got["uid"])
			if len(uid) != 5 {
				t.Fatalf("no ids in the output:\n%s", out)
			}
			n, _ := strconv.Atoi(uid[0])
			first, last, _ := parseUIDRange(uids)
			if n < first || n > last || uid[1] != uid[0] || uid[2] != uid[0] || uid[3] != uid[0] || uid[4] != "0" {
				t.Errorf("ids %q: want one dynamic uid of %s as uid and gid, no groups", got["uid"], uids)
			}
			if got["own-dir"] != "OK" || got["srun"] != "OK" {
				t.Errorf("own directory %s, srun %s: want both OK", got["own-dir"], got["srun"])
			}
			breaches := isolationBreaches(got)
			if on {
				for _, b := range breaches {
					t.Errorf("sandbox breached: %s", b)
				}
				// The task's v1 pids cgroup is gone once it ended.
				if cgroupslib.GetMode() == cgroupslib.CG1 {
					own, _ := ownCgroupV1("pids")
					left, _ := filepath.Glob(filepath.Join(cgroupslib.GetDefaultRoot(), "pids", own, deviceCgroupDir, cgroupslib.ScopeCG1(j.cfg.AllocID, j.cfg.Name)+".*"))
					if len(left) > 0 {
						t.Errorf("pids cgroup left behind: %v", left)
					}
				}
				for k, want := range map[string]string{
					"ctl-entries":           "0", // masked: an empty directory
					"home-nosuid":           "True",
					"pids.max":              "4096",
					"cpu.cfs_quota_us":      "400000",
					"memory.limit_in_bytes": strconv.Itoa(256 << 20),
				} {
					if got[k] != want {
						t.Errorf("%s = %q, want %s", k, got[k], want)
					}
				}
				return
			}
			// The control: every isolation property fails without the
			// sandbox, so each check above is shown to detect its lack.
			// (The uid checks hold on a pool node without it too.)
			for k, want := range sandboxWant {
				// This node has no /dev/nvidia<N>: without the sandbox
				// the job sees the node's GPU nodes in gpu-dir instead.
				if got[k] == want && !strings.HasPrefix(k, "dev-nvidia") {
					t.Errorf("without the sandbox %s is %s as in it: the check does not show the sandbox", k, want)
				}
			}
			if got["pids.max"] == "4096" || got["cpu.cfs_quota_us"] == "400000" {
				t.Errorf("without the sandbox, pids.max %s and cpu quota %s are set", got["pids.max"], got["cpu.cfs_quota_us"])
			}
		})
	}
}

// TestSandboxMemoryLimit: a sandboxed job that allocates past its memory
// (--mem=200M) is killed by the out-of-memory killer and reported so
// (OOMKilled: Slurm's OUT_OF_MEMORY, and slurmstepd's line), even where
// Nomad's memory_max would let it grow to 2 GiB; without the sandbox the
// same job, on the same task, completes.
func TestSandboxMemoryLimit(t *testing.T) {
	requireRoot(t)
	for i, on := range []bool{true, false} {
		name := map[bool]string{true: "sandbox", false: "control-without-sandbox"}[on]
		t.Run(name, func(t *testing.T) {
			id := strconv.Itoa(80 + i)
			td := newTestDriver(t, sandboxConfig(t, on, "", map[bool]string{true: "60200-60203", false: "60204-60207"}[on]))
			j := td.newJob(t, TaskConfig{
				Script: "#!/bin/bash\npython3 -c 'a = bytearray(b\"x\") * (600 << 20)'\necho \"python rc=$?\"\n",
			}, coordinatorEnv(id))
			j.cfg.Resources.NomadResources.Memory.MemoryMB = 200
			j.cfg.Resources.NomadResources.Memory.MemoryMaxMB = 2048
			j.cfg.Resources.LinuxResources.MemoryLimitBytes = 2048 << 20
			res := j.run()
			out := j.file(filepath.Join(j.taskDir(), "slurm-"+id+".out"))
			t.Logf("%s job: %s\n%s", name, describe(res), out)
			if on {
				if !res.OOMKilled || res.ExitCode != 0 {
					t.Fatalf("result: %s, want OOM reported with exit 0", describe(res))
				}
				mustContain(t, "output", out, "python rc=137",
					"slurmstepd-node7: error: Detected 1 oom-kill event(s) in StepId="+id+".batch.")
				return
			}
			if res.OOMKilled || !strings.Contains(out, "python rc=0") {
				t.Errorf("without the sandbox the job was held to 200 MiB (%s): the test does not show the sandbox's limit", describe(res))
			}
		})
	}
}

// TestSandboxConfig: sandbox = true runs jobs as dynamic uids only.
func TestSandboxConfig(t *testing.T) {
	c, err := Config{Sandbox: true}.normalize()
	if err != nil || c.RunAs != RunAsPool || c.PoolUIDs != DefaultSandboxUIDs || c.SandboxPidsMax != DefaultSandboxPids {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	if _, err := (Config{Sandbox: true, RunAs: RunAsSubmitter}).normalize(); err == nil || !strings.Contains(err.Error(), "never a local account") {
		t.Errorf("sandbox with run_as = submitter: %v, want a refusal", err)
	}
	if _, err := (Config{Sandbox: true, SandboxUIDs: "0-100"}).normalize(); err == nil {
		t.Error("sandbox_uids 0-100 accepted")
	}
}

// systemTempDir is a fresh directory (0755) below one the sandbox shows
// read-only: /opt, else /etc.
func systemTempDir(t *testing.T) string {
	t.Helper()
	parent := "/opt"
	if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
		parent = "/etc"
	}
	dir, err := os.MkdirTemp(parent, "hpcbridge-sandbox-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// helperSpy is a sandboxed job that watches for processes of its own uid
// outside its session (the checkpoint file helper, which the driver starts
// as the job's uid) while it commits checkpoints, and tries to read the
// donor's file through each one's /proc/PID/root: in the host's view that
// would be the host's root.
const helperSpy = `#!/bin/sh
mkdir -p "$HPCBRIDGE_CHECKPOINT_DIR" && cd "$HPCBRIDGE_CHECKPOINT_DIR" || exit 3
i=0; while [ $i -lt 200 ]; do echo $i > f$i; i=$((i+1)); done
python3 - "$DONOR_FILE" "$HOME/spy" <<'PY' &
import os, sys, time
target, out = sys.argv[1], sys.argv[2]
me = os.getsid(0)
seen, leaked = set(), "no"
end = time.time() + 60
while time.time() < end and not os.path.exists(out + ".stop"):
    for p in os.listdir("/proc"):
        if not p.isdigit() or p in seen:
            continue
        try:
            if os.getsid(int(p)) == me:
                continue
        except OSError:
            continue
        seen.add(p)
        try:
            with open("/proc/%s/root%s" % (p, target)) as f:
                leaked = "yes: " + f.read().strip()
        except OSError:
            pass
with open(out, "w") as f:
    f.write("others %d leaked %s\n" % (len(seen), leaked))
PY
spy=$!
n=0; while [ $n -lt 3 ]; do hpcbridge checkpoint >/dev/null || exit 4; n=$((n+1)); done
touch "$HOME/spy.stop"; wait $spy
cat "$HOME/spy"
`

// TestSandboxedFileHelper: the checkpoint file helper of a sandboxed job
// runs in the job's sandbox. The job sees the helper (its uid's process)
// in its /proc, but the helper's root is the sandbox's: the donor's file
// is not there. (Started as the job's uid in the host's view, as before
// the fix, the helper's /proc/PID/root gave the job the host's files.)
func TestSandboxedFileHelper(t *testing.T) {
	requireRoot(t)
	donorFile := newDonorFile(t)
	td := newTestDriver(t, sandboxConfig(t, true, "", "60210-60213"))
	out := runFileHelperJob(t, td, helperSpy, map[string]string{"DONOR_FILE": donorFile})
	if !strings.Contains(out, "leaked no") {
		t.Errorf("the job read the donor's file through the file helper:\n%s", out)
	}
	// The helper drops to the job's uid itself now and is not dumpable:
	// the job does not even see it ("others 0"; before, it saw and could
	// trace it: TestSandboxFileHelperNotTraceable, R3).
}

// TestSandboxStdioNoLinkOut: a link the job left in its directory (a task
// Nomad restarts reuses it) that points out of the sandbox is not followed
// when stepd opens the job's input or output on the host: the job does not
// start (slurmstepd's "Could not open stdin file"), and never reads the
// donor's file through its stdin.
func TestSandboxStdioNoLinkOut(t *testing.T) {
	requireRoot(t)
	donorFile := newDonorFile(t)
	td := newTestDriver(t, sandboxConfig(t, true, "", "60214-60217"))
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\necho \"stdin: $(cat)\"\n", Input: "in.txt"}, coordinatorEnv("90"))
	if err := os.Symlink(donorFile, filepath.Join(j.taskDir(), "in.txt")); err != nil {
		t.Fatal(err)
	}
	res := j.run()
	_, stderr := j.logs.collect()
	out, _ := os.ReadFile(filepath.Join(j.taskDir(), "slurm-90.out"))
	t.Logf("result %s\nstderr: %s\noutput: %s", describe(res), stderr, out)
	if strings.Contains(string(out)+stderr, "the donor's own work") {
		t.Fatalf("the job read the donor's file through a link in its directory")
	}
	if res.ExitCode != 1 || !strings.Contains(stderr, "Could not open stdin file") {
		t.Errorf("result %s, want exit 1 with slurmstepd's stdin message", describe(res))
	}
}

// TestSandboxPidsLimit: a sandboxed job cannot have more tasks than
// sandbox_pids_max (here 64, stepd's own threads included): its 100th
// fork fails with EAGAIN long before; without the sandbox all 100 run.
func TestSandboxPidsLimit(t *testing.T) {
	requireRoot(t)
	for i, on := range []bool{true, false} {
		name := map[bool]string{true: "sandbox", false: "control-without-sandbox"}[on]
		t.Run(name, func(t *testing.T) {
			id := strconv.Itoa(95 + i)
			conf := sandboxConfig(t, on, "", map[bool]string{true: "60240-60243", false: "60244-60247"}[on])
			conf.SandboxPidsMax = 64
			td := newTestDriver(t, conf)
			j := td.newJob(t, TaskConfig{Script: `#!/usr/bin/env python3
import errno, os, signal, time
pids = []
for i in range(100):
    try:
        pid = os.fork()
    except OSError as e:
        print("fork failed", errno.errorcode[e.errno])
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    pids.append(pid)
print("forked", len(pids))
for p in pids:
    os.kill(p, signal.SIGKILL)
    os.waitpid(p, 0)
`}, coordinatorEnv(id))
			res := j.run()
			out := j.file(filepath.Join(j.taskDir(), "slurm-"+id+".out"))
			t.Logf("%s job: %s\n%s", name, describe(res), out)
			if !res.Successful() {
				t.Fatalf("result %s", describe(res))
			}
			if on {
				mustContain(t, "output", out, "fork failed EAGAIN")
				if strings.Contains(out, "forked 100") {
					t.Error("the job forked 100 processes under pids.max 64")
				}
				return
			}
			if !strings.Contains(out, "forked 100") {
				t.Errorf("without the sandbox the job could not fork 100 processes: the test does not show the limit\n%s", out)
			}
		})
	}
}

// newDonorFile writes another user's file, readable by all, in a shared
// directory a sandboxed job must not see.
func newDonorFile(t *testing.T) string {
	t.Helper()
	donorDir := sharedDir(t)
	if err := os.Chmod(donorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	donorFile := filepath.Join(donorDir, "thesis.tex")
	if err := os.WriteFile(donorFile, []byte("the donor's own work\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return donorFile
}

// runFileHelperJob runs script as a job of a coordinator of its own, with
// checkpoints (so the file helper) under ckpt and the extra env, and
// returns its output; the job must exit 0.
func runFileHelperJob(t *testing.T, td *testDriver, script string, env map[string]string) string {
	t.Helper()
	nodeID, node := uuid.Generate(), "node7"
	co := newCoordinator(t, td, nodeID, node)
	jobEnv := map[string]string{"SLURM_JOB_ID": strconv.FormatUint(co.id, 10)}
	for k, v := range env {
		jobEnv[k] = v
	}
	j := td.newJob(t, TaskConfig{Script: script, Output: "out.txt", Coordinator: co.srv.URL, RunToken: co.token,
		JobID: int(co.id), Run: 0, CheckpointDir: "ckpt"}, jobEnv)
	j.cfg.NodeID, j.cfg.NodeName = nodeID, node
	co.obs.cfg = j.cfg
	co.obs.cpus = allocatedCPUs(j.cfg.Resources, td.d.compute, nil)
	res := j.run()
	out := j.file(filepath.Join(j.taskDir(), "out.txt"))
	t.Logf("job: %s\n%s", describe(res), out)
	if res.ExitCode != 0 {
		t.Fatalf("result %s", describe(res))
	}
	return out
}
