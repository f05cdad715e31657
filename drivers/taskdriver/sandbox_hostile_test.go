package taskdriver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// keyringProbe adds (with "plant") or looks for (with "look") a key of
// its own in each keyring a process of the job's uid reaches: its session
// keyring (@s), the uid's user keyring (@u) and user-session keyring
// (@us), and the uid's persistent keyring where the kernel has one. It
// also prints whether its @s is the uid's @us and who owns it.
const keyringProbe = `#!/usr/bin/env python3
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
def keyctl(*a):
    r = libc.syscall(KEYCTL, *[ctypes.c_long(x) if isinstance(x, int) else x for x in a])
    return r if r >= 0 else -ctypes.get_errno()
rings = {"s": -3, "u": -4, "us": -5}
p = keyctl(22, -1, -3)  # KEYCTL_GET_PERSISTENT, linked into @s
if p > 0:
    rings["persistent"] = p
for name in sorted(rings):
    ring, desc = rings[name], b"hpcbridge-left-" + name.encode()
    if sys.argv[1] == "plant":
        r = libc.syscall(ADD_KEY, b"user", desc, b"job A's secret", ctypes.c_long(14), ctypes.c_long(ring))
        print("planted", name, r > 0)
    else:
        r = keyctl(10, ring, b"user", desc, 0)  # KEYCTL_SEARCH
        print("found", name, r > 0)
ids = [keyctl(0, r, 0) for r in (-3, -5)]  # KEYCTL_GET_KEYRING_ID
print("session-is-user-session", ids[0] == ids[1])
buf = ctypes.create_string_buffer(256)
n = keyctl(6, -3, buf, 256)  # KEYCTL_DESCRIBE: type;uid;gid;perm;description
print("session-owner", buf.value.decode().split(";")[1] if n > 0 else "none")
`

// TestSandboxKeyringsScrubbed: the kernel's keyrings of a uid outlive
// every process of it. Job A, on a donor node whose pool has one uid,
// leaves a key in each keyring it reaches; job B, a stranger's, leased
// the same uid next, finds none of them, and its session keyring is a
// new one of its own (not its uid's user-session keyring, where job A's
// key was, and not the session keyring of stepd, root's, where the host's
// keys are). Before the fix job B read job A's keys (the control: run
// with the fix taken out).
func TestSandboxKeyringsScrubbed(t *testing.T) {
	requireRoot(t)
	// One uid, so that job B gets job A's. (R3's range: 60300-60309.)
	td := newTestDriver(t, sandboxConfig(t, true, "", "60300-60300"))
	var uids []string
	for i, arg := range []string{"plant", "look"} {
		id := strconv.Itoa(300 + i)
		out := runSandboxedJob(t, td, TaskConfig{Script: keyringProbe, Args: []string{arg}}, id)
		got := parseProbe(out)
		if got["session-is-user-session"] != "False" {
			t.Errorf("job %s: its session keyring is its uid's user-session keyring (shared with every job of the uid)", id)
		}
		uids = append(uids, got["session-owner"])
		if arg == "plant" {
			for _, r := range []string{"s", "u", "us"} {
				if !strings.Contains(out, "planted "+r+" True") {
					t.Fatalf("job A could not add a key to @%s: the test shows nothing", r)
				}
			}
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "found ") && strings.HasSuffix(line, " True") {
				t.Errorf("job B (the next job of the uid) found job A's key: %s", line)
			}
		}
	}
	if uids[0] != "60300" || uids[1] != "60300" {
		t.Errorf("session keyrings owned by %q: want the job's uid 60300 both times", uids)
	}
}

// rootSessionChild names the environment variable that makes
// TestSandboxRootSessionKeyring's child run the job.
const rootSessionChild = "HPCBRIDGE_TEST_ROOT_SESSION_KEY"

// TestSandboxRootSessionKeyring: a Nomad client started as a system
// service, or from a login, has a session keyring of root's (systemd gives
// each service one; Kerberos and fscrypt keep keys there), which stepd and
// the trampoline inherit. A sandboxed job must not possess it: job B of
// the first test found nothing of root's because this test binary has no
// session keyring, so this one runs the job from a copy of the test binary
// started in a session keyring holding a key of root's. (Before the fix
// the job read the key: the control, run with the fix taken out.)
func TestSandboxRootSessionKeyring(t *testing.T) {
	requireRoot(t)
	if id := os.Getenv(rootSessionChild); id != "" {
		td := newTestDriver(t, sandboxConfig(t, true, "", "60301-60301"))
		out := runSandboxedJob(t, td, TaskConfig{Script: `#!/usr/bin/env python3
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
KEYCTL = {"x86_64": 250, "aarch64": 219}[os.uname().machine]
r = libc.syscall(KEYCTL, ctypes.c_long(10), ctypes.c_long(-3), b"user", b"hpcbridge-root-secret", ctypes.c_long(0))
if r > 0:
    buf = ctypes.create_string_buffer(64)
    n = libc.syscall(KEYCTL, ctypes.c_long(11), ctypes.c_long(r), buf, ctypes.c_long(64))
    print("root-key", buf.raw[:max(n, 0)].decode())
else:
    print("root-key", os.strerror(ctypes.get_errno()))
`}, "310")
		if strings.Contains(out, "root's secret") {
			t.Errorf("the sandboxed job read a key of root's session keyring:\n%s", out)
		}
		return
	}
	// The thread that starts the child joins a new session keyring and
	// ends with this goroutine (never unlocked): nothing else of the
	// test binary has it.
	type started struct {
		out []byte
		err error
	}
	done := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		ring, err := unix.KeyctlJoinSessionKeyring("hpcbridge-test-root-session")
		if err != nil {
			done <- started{err: fmt.Errorf("join a session keyring: %w", err)}
			return
		}
		key, err := unix.AddKey("user", "hpcbridge-root-secret", []byte("root's secret"), ring)
		if err != nil {
			done <- started{err: fmt.Errorf("add a key: %w", err)}
			return
		}
		defer unix.KeyctlInt(unix.KEYCTL_REVOKE, key, 0, 0, 0)
		cmd := exec.Command(os.Args[0], "-test.run=^TestSandboxRootSessionKeyring$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), rootSessionChild+"="+strconv.Itoa(key))
		out, err := cmd.CombinedOutput()
		done <- started{out: out, err: err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, lastLines(string(r.out), 40))
	}
	t.Logf("child:\n%s", lastLines(string(r.out), 12))
}

// lastLines is the end of a long output.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestSandboxInheritedDescriptors: a descriptor that whatever started the
// Nomad client left open without close-on-exec (here this test binary
// holds one, on a root-only file of the donor's) passes to every process
// Go starts (the executor, stepd, the trampoline). The sandboxed job
// gets its standard files only: it cannot read the file through it.
// (Before the fix the job read it: the control, run with the fix taken
// out.)
func TestSandboxInheritedDescriptors(t *testing.T) {
	requireRoot(t)
	secret := filepath.Join(sharedDir(t), "donor-secret")
	if err := os.WriteFile(secret, []byte("the donor's secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(secret, unix.O_RDONLY, 0) // no O_CLOEXEC: inherited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	td := newTestDriver(t, sandboxConfig(t, true, "", "60304-60305"))
	j := td.newJob(t, TaskConfig{Script: `#!/usr/bin/env python3
import os, stat
for name in sorted(os.listdir("/proc/self/fd"), key=int):
    fd = int(name)
    if fd < 3:
        continue
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            print("fd", fd, os.pread(fd, 100, 0).decode(errors="replace").strip())
        else:
            print("fd", fd, "not a file")
    except OSError as e:
        print("fd", fd, e.strerror)
`}, coordinatorEnv("330"))
	res := j.run()
	out := j.file(filepath.Join(j.taskDir(), "slurm-330.out"))
	t.Logf("the test holds descriptor %d; job: %s\n%s", fd, describe(res), out)
	if !res.Successful() {
		t.Fatalf("job: %s", describe(res))
	}
	if strings.Contains(out, "the donor's secret") {
		t.Errorf("the sandboxed job read a root-only file through a descriptor it inherited:\n%s", out)
	}
}

// TestSandboxNoHostEnvironment: Nomad gives a task of a driver without
// file-system isolation its client's own environment (less its
// env.denylist: the agent's HPCBRIDGE_TOKEN, SSH_AUTH_SOCK, KRB5CCNAME, a
// pilot's Slurm job all pass), and the plugin has the same environment. A
// job from the coordinator has its environment in the task config; a
// hand-written Nomad job (which a job can submit through the Nomad
// client's HTTP API on 127.0.0.1 where ACLs are off) has none, and used
// to get the task's environment as it is. In a sandbox it gets none of
// the host's. (The control: run with the fix taken out.)
func TestSandboxNoHostEnvironment(t *testing.T) {
	requireRoot(t)
	t.Setenv("HPCBRIDGE_TOKEN", "the-agent's-token")
	td := newTestDriver(t, sandboxConfig(t, true, "", "60306-60307"))
	env := coordinatorEnv("340")
	env["OWN_VAR"] = "the job's own"
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\necho \"token=$HPCBRIDGE_TOKEN own=$OWN_VAR\"\n"}, env)
	res := j.run()
	out, _ := os.ReadFile(filepath.Join(j.taskDir(), "slurm-340.out"))
	t.Logf("job: %s\n%s", describe(res), out)
	if !res.Successful() {
		t.Fatalf("job: %s", describe(res))
	}
	if strings.Contains(string(out), "the-agent's-token") {
		t.Errorf("the sandboxed job got the Nomad client's environment:\n%s", out)
	}
	if !strings.Contains(string(out), "own=the job's own") {
		t.Errorf("the job's own variable is gone:\n%s", out)
	}
}

// mqueueProbe creates (with "plant") or opens (with "look") a POSIX
// message queue of the job's uid.
const mqueueProbe = `#!/usr/bin/env python3
import ctypes, os, sys
rt = ctypes.CDLL("librt.so.1", use_errno=True)
name = b"/hpcbridge-left-behind"
if sys.argv[1] == "plant":
    q = rt.mq_open(name, os.O_CREAT | os.O_RDWR, 0o600, None)
    print("planted", q >= 0 and rt.mq_send(q, b"job A's data", 12, 0) == 0)
else:
    q = rt.mq_open(name, os.O_RDWR)
    print("found", q >= 0)
    if q >= 0:
        rt.mq_unlink(name)
`

// TestSandboxMqueueScrubbed: a POSIX message queue outlives every process
// of its uid, in the host's IPC namespace. Job A leaves one; job B, leased
// the same uid next, does not find it. The pool's sweep of /dev/mqueue
// removed it only where the host mounts the queues there (this dev
// machine does not: the control, with the scrub helper's removal taken
// out, fails here).
func TestSandboxMqueueScrubbed(t *testing.T) {
	requireRoot(t)
	td := newTestDriver(t, sandboxConfig(t, true, "", "60308-60308"))
	for i, arg := range []string{"plant", "look"} {
		id := strconv.Itoa(350 + i)
		out := runSandboxedJob(t, td, TaskConfig{Script: mqueueProbe, Args: []string{arg}}, id)
		if arg == "plant" && !strings.Contains(out, "planted True") {
			t.Fatalf("job A could not make a message queue: the test shows nothing")
		}
		if arg == "look" && !strings.Contains(out, "found False") {
			t.Errorf("job B (the next job of the uid) found job A's message queue:\n%s", out)
		}
	}
}

// TestSandboxMasksLinkedSecretDir: a secret directory of the host's that
// is a link into a directory the sandbox shows (/etc/vault.d ->
// /opt/.../vault, as configuration management lays out) is masked where
// the link ends: the job cannot read a world-readable file in it (a
// token in an agent's configuration). The link is made only where the
// host has no /etc/vault.d. (Before the fix the link was skipped and the
// job read the file: the control, run with the fix taken out.)
func TestSandboxMasksLinkedSecretDir(t *testing.T) {
	requireRoot(t)
	const link = "/etc/vault.d"
	if _, err := os.Lstat(link); err == nil {
		t.Skipf("%s exists on this host", link)
	}
	target := filepath.Join(systemTempDir(t), "vault")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "agent.hcl"), []byte("token = \"the donor's vault token\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(link) })
	td := newTestDriver(t, sandboxConfig(t, true, "", "60309-60309"))
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\ncat " + link + "/agent.hcl " + target + "/agent.hcl\necho done\n"}, coordinatorEnv("360"))
	res := j.run()
	out := j.file(filepath.Join(j.taskDir(), "slurm-360.out"))
	t.Logf("job: %s\n%s", describe(res), out)
	if !strings.Contains(out, "done") {
		t.Fatalf("job: %s", describe(res))
	}
	if strings.Contains(out, "vault token") {
		t.Errorf("the sandboxed job read a file of a masked directory through its link:\n%s", out)
	}
}

// helperTracer is a sandboxed job that commits checkpoints while it
// watches for processes of its own uid outside its session (the file
// helper) and tries to open each one's memory (what ptrace's attach
// takes): a
// traced helper is code of the job's running outside the job's cgroups
// (the helper is the driver's child), so its memory, CPU and tasks would
// escape the job's limits.
const helperTracer = `#!/bin/sh
mkdir -p "$HPCBRIDGE_CHECKPOINT_DIR" && cd "$HPCBRIDGE_CHECKPOINT_DIR" || exit 3
i=0; while [ $i -lt 200 ]; do echo $i > f$i; i=$((i+1)); done
python3 - "$HOME/tracer" <<'PY' &
import os, sys, time
out = sys.argv[1]
me = os.getsid(0)
mine = open("/proc/self/cgroup").read()
seen, attached, outside = set(), 0, 0
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
            # Opening its memory takes what PTRACE_ATTACH takes.
            os.close(os.open("/proc/%s/mem" % p, os.O_RDONLY))
        except OSError:
            continue
        attached += 1
        try:
            if open("/proc/%s/cgroup" % p).read() != mine:
                outside += 1
        except OSError:
            pass
with open(out, "w") as f:
    f.write("others %d attached %d outside %d\n" % (len(seen), attached, outside))
PY
tracer=$!
n=0; while [ $n -lt 5 ]; do hpcbridge checkpoint >/dev/null || exit 4; n=$((n+1)); done
touch "$HOME/tracer.stop"; wait $tracer
cat "$HOME/tracer"
`

// TestSandboxFileHelperNotTraceable: the checkpoint file helper of a
// sandboxed job runs as the job's uid, outside the job's cgroups; the job
// must not be able to trace it (and so run code outside its limits). The
// helper starts as root in the sandbox and drops to the job's uid itself,
// which leaves it not dumpable: the job can neither attach to it nor see
// it. (Before the fix the job attached to it: the control, run with the
// fix taken out.)
func TestSandboxFileHelperNotTraceable(t *testing.T) {
	requireRoot(t)
	td := newTestDriver(t, sandboxConfig(t, true, "", "60310-60310"))
	out := runFileHelperJob(t, td, helperTracer, nil)
	if !strings.Contains(out, "attached 0 ") {
		t.Errorf("the job attached to a process of its uid outside its session (the file helper):\n%s", out)
	}
}

// runSandboxedJob runs tc as job id (its output slurm-ID.out) and returns
// its output; the job must succeed.
func runSandboxedJob(t *testing.T, td *testDriver, tc TaskConfig, id string) string {
	t.Helper()
	j := td.newJob(t, tc, coordinatorEnv(id))
	res := j.run()
	out := j.file(filepath.Join(j.taskDir(), "slurm-"+id+".out"))
	t.Logf("job %s (%q): %s\n%s", id, tc.Args, describe(res), out)
	if !res.Successful() {
		t.Fatalf("job %s: %s", id, describe(res))
	}
	return out
}
