package proc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// sandboxRun runs argv through the trampoline in a sandbox, as stepd
// does: root, a mount namespace of its own, stepd's fixed environment,
// the payload on descriptor 3.
func sandboxRun(t testing.TB, spec *sandbox.Spec, env []string, argv ...string) (string, error) {
	t.Helper()
	f, err := sandbox.WritePayload(&sandbox.Payload{Spec: *spec, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := &exec.Cmd{
		Path:        os.Args[0],
		Args:        append([]string{ExecName}, SandboxArgs(spec.Binds[0].Path, ExecTask, "", "", argv)...),
		Env:         []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
		Dir:         "/",
		ExtraFiles:  []*os.File{f},
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: sandbox.Cloneflags},
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// testSpec is a sandbox with a task directory and /tmp and /dev/shm of
// its own, for uid 60238, below a 0700 directory of the test's.
func testSpec(t testing.TB) *sandbox.Spec {
	t.Helper()
	dir := t.TempDir()
	spec := &sandbox.Spec{Root: filepath.Join(dir, "root"), UID: 60238, GID: 60238,
		Binds: []sandbox.Bind{{Path: filepath.Join(dir, "task"), Write: true}},
		Tmp:   filepath.Join(dir, "tmp"), Shm: filepath.Join(dir, "shm")}
	for _, d := range []string{spec.Root, spec.Binds[0].Path, spec.Tmp, spec.Shm} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if d != spec.Root {
			if err := os.Chown(d, spec.UID, spec.GID); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The harness's parents are 0700: the job reaches its directory only
	// through the sandbox's own (root's, 0755) directories.
	return spec
}

// TestSandboxTrampoline: the trampoline builds the sandbox and drops root
// for good before the job's program: the job's uid and gid, no groups,
// no_new_privs, no capabilities, the umask it was started with, in its
// directory; / holds only the sandbox's directories; the job's
// environment is the payload's, not the trampoline's.
func TestSandboxTrampoline(t *testing.T) {
	roottest.Require(t, "the sandbox is built as root")
	spec := testSpec(t)
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	out, err := sandboxRun(t, spec, []string{"PATH=/usr/bin:/bin", "FROM_PAYLOAD=yes"}, "/bin/sh", "-c",
		`echo "ids $(id -u) $(id -g) $(id -G)"; grep -E '^(NoNewPrivs|CapEff|CapPrm):' /proc/self/status; echo "umask $(umask)"; echo "pwd $(pwd)"; echo "root $(ls / | tr '\n' ' ')"; echo "payload $FROM_PAYLOAD"; touch f && echo wrote`)
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("trampoline: %v\n%s", err, out)
	}
	for _, want := range []string{"ids 60238 60238 60238\n", "NoNewPrivs:\t1", "CapEff:\t0000000000000000", "CapPrm:\t0000000000000000",
		"umask 0077", "pwd " + spec.Binds[0].Path + "\n", "payload yes", "wrote"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	root := out[strings.Index(out, "root ")+5:]
	root = root[:strings.Index(root, "\n")]
	for _, bad := range []string{"home", "root", "var", "srv", "mnt", "run", "work"} {
		for _, e := range strings.Fields(root) {
			if e == bad {
				t.Errorf("/ holds %s: %s", bad, root)
			}
		}
	}
}

// BenchmarkSandboxTrampoline: what building the sandbox costs per process
// started through it (a batch script, each step task of a multi-node
// job), against the plain trampoline (as root here: the test binary is
// in a directory only root may enter).
func BenchmarkSandboxTrampoline(b *testing.B) {
	roottest.Require(b, "the sandbox is built as root")
	spec := testSpec(b)
	b.Run("sandbox", func(b *testing.B) {
		for b.Loop() {
			if out, err := sandboxRun(b, spec, []string{"PATH=/usr/bin:/bin"}, "/bin/true"); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(os.Args[0])
			cmd.Args = append([]string{ExecName}, ExecArgs(ExecTask, "", "", []string{"/bin/true"})...)
			cmd.Dir = "/"
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
		}
	})
}
