package taskdriver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// preloadLib builds a shared library whose constructor records, in dir,
// every process it is loaded into: root-<pid> when the process runs with
// effective uid 0, user-<pid> otherwise. Without a C compiler it skips
// the test (fails it under make test).
func preloadLib(t *testing.T, dir string) string {
	t.Helper()
	cc := roottest.Tool(t, "cc", "building the LD_PRELOAD probe")
	src := filepath.Join(dir, "probe.c")
	lib := filepath.Join(dir, "probe.so")
	code := fmt.Sprintf(`#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void probe(void) {
	char path[512];
	snprintf(path, sizeof path, "%%s/%%s-%%d", %q, geteuid() == 0 ? "root" : "user", (int)getpid());
	FILE *f = fopen(path, "w");
	if (f) { fprintf(f, "euid %%d\n", (int)geteuid()); fclose(f); }
}
`, dir)
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("build the probe library: %v\n%s", err, out)
	}
	if err := os.Chmod(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	return lib
}

// TestSubmittedEnvironmentNeverReachesRoot is the regression test for
// "root on the node from any user token": a job whose environment sets
// LD_PRELOAD (as --export=NONE,LD_PRELOAD=... or the API's env does) must
// not make any process that runs as root load the library; only the job's
// own processes, as the job's user, see it. stepd's own environment holds
// nothing the submitter sent.
func TestSubmittedEnvironmentNeverReachesRoot(t *testing.T) {
	t.Run("submitter", func(t *testing.T) { submittedEnvironmentNeverReachesRoot(t, Config{}) })
	// In a sandbox the exec trampoline runs as root (it builds the
	// sandbox): the job's environment reaches it on a descriptor, never
	// as its environment.
	t.Run("sandbox", func(t *testing.T) { submittedEnvironmentNeverReachesRoot(t, sandboxConfig(t, true, "", "60224-60227")) })
}

func submittedEnvironmentNeverReachesRoot(t *testing.T, conf Config) {
	td := newTestDriver(t, conf)
	dir := sharedDir(t)
	if conf.Sandbox {
		// Not below /tmp, where the end of a pool job removes its uid's
		// files (the probe's records among them).
		dir = systemTempDir(t)
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	lib := preloadLib(t, dir)
	ev := newEvents(t)
	td.d.testBinds = []string{dir, filepath.Dir(ev.path)}
	env := ev.env(coordinatorEnv("90"))
	env["LD_PRELOAD"] = lib
	env["LD_LIBRARY_PATH"] = dir
	env["GCONV_PATH"] = dir
	env["HPCBRIDGE_TEST_SENTINEL"] = "from-the-submitter"
	env["SLURM_UMASK"] = "0077"
	j := td.newJob(t, TaskConfig{
		Script: "#!/bin/sh\necho ready > \"$EVENTS\"\nread x < \"$CONTROL\"\necho \"sentinel=$HPCBRIDGE_TEST_SENTINEL\"\n",
	}, env)
	ev.job = j
	ch := j.start()
	ev.expect(1, "ready")
	st, err := td.InspectTask(j.cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	stepdPID, _ := strconv.Atoi(st.DriverAttributes["pid"])
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", stepdPID))
	if err != nil {
		t.Fatalf("read stepd's environment: %v", err)
	}
	for _, bad := range []string{"LD_PRELOAD", "LD_LIBRARY_PATH", "GCONV_PATH", "HPCBRIDGE_TEST_SENTINEL", "SLURM_JOB_ID"} {
		if bytes.Contains(environ, []byte(bad+"=")) {
			t.Errorf("stepd (root) runs with the job's %s in its environment:\n%s", bad, bytes.ReplaceAll(environ, []byte{0}, []byte{'\n'}))
		}
	}
	ev.send("go")
	if res := j.wait(ch); !res.Successful() {
		t.Fatalf("result: %s\n%s", describe(res), j.describe())
	}
	outFile := filepath.Join(j.dir, "slurm-90.out")
	if conf.Sandbox {
		outFile = filepath.Join(j.taskDir(), "slurm-90.out")
	}
	if got := j.file(outFile); got != "sentinel=from-the-submitter\n" {
		t.Errorf("the job lost its environment: output %q", got)
	}
	roots, _ := filepath.Glob(filepath.Join(dir, "root-*"))
	for _, r := range roots {
		b, _ := os.ReadFile(r)
		t.Errorf("the submitter's LD_PRELOAD ran in a root process (%s): %s", filepath.Base(r), b)
	}
	if users, _ := filepath.Glob(filepath.Join(dir, "user-*")); len(users) == 0 {
		t.Errorf("the probe never ran in the job's own processes: the test proves nothing")
	}
	// SLURM_UMASK still applies to the output file (stepd reads it from
	// its configuration now, not from its environment).
	fi, err := os.Stat(outFile)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("output file mode %o, want 0600 (SLURM_UMASK 0077)", perm)
	}
}

// TestLaunchFailureIsReported: a job whose output file cannot be opened
// fails with slurmstepd's message in its exit result (Nomad shows it in the
// Terminated event, where the coordinator reads the job's reason), and a
// job whose submitter has no account on a submitter node does not start,
// with an error that says so.
func TestLaunchFailureIsReported(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\necho never\n", Output: "/nonexistent-hpcbridge/out-%j.txt"}, coordinatorEnv("91"))
	res := j.run()
	if res.ExitCode != 1 || res.Err == nil ||
		res.Err.Error() != "Could not open stdout file /nonexistent-hpcbridge/out-91.txt: No such file or directory" {
		t.Errorf("result: %s, want exit 1 with slurmstepd's message", describe(res))
	}
	k := td.newJob(t, TaskConfig{Script: "#!/bin/sh\ntrue\n"}, coordinatorEnv("92"))
	k.cfg.User = "no-such-user-hpcbridge"
	_, _, err := td.StartTask(k.cfg)
	if err == nil || !strings.Contains(err.Error(), `user "no-such-user-hpcbridge" does not exist on this node`) {
		t.Errorf("StartTask for an unknown user: %v", err)
	}
}

// TestJobCannotReplaceAllocLogs: the executor opens the log fifos in the
// allocation's logs directory as root, so the job must not be able to swap
// that directory for one of its own (Nomad makes the shared allocation
// directory, its parent, 0777).
func TestJobCannotReplaceAllocLogs(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{
		Script: "#!/bin/sh\nif mv \"$SHARED_ALLOC/logs\" \"$SHARED_ALLOC/logs.moved\" 2>/dev/null; then echo moved; else echo kept; fi\n",
	}, coordinatorEnv("93"))
	j.cfg.Env["SHARED_ALLOC"] = filepath.Join(j.cfg.AllocDir, "alloc")
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s\n%s", describe(res), j.describe())
	}
	if got := j.file("slurm-93.out"); got != "kept\n" {
		t.Errorf("the job renamed the allocation's logs directory (%q): it can plant the log fifos the executor opens as root", got)
	}
}

// TestPlantedLogFifoIsRefused: a log fifo replaced by a link (anyone could
// write the logs directory, 0777, before the driver locked it) is refused
// instead of being opened, as root, by the executor.
func TestPlantedLogFifoIsRefused(t *testing.T) {
	td := newTestDriver(t, Config{})
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\necho planted-output >&2\necho planted-output\n"}, coordinatorEnv("94"))
	target := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(target, []byte("untouched\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{j.cfg.StdoutPath, j.cfg.StderrPath} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := td.StartTask(j.cfg)
	if err == nil {
		t.Cleanup(func() { _ = td.d.DestroyTask(j.cfg.ID, true) })
		ch, werr := td.WaitTask(context.Background(), j.cfg.ID)
		if werr != nil {
			t.Fatal(werr)
		}
		<-ch
		t.Errorf("a task whose log fifos are links started")
	}
	if b, _ := os.ReadFile(target); string(b) != "untouched\n" {
		t.Errorf("the job's output went, as root, through the planted link: %q", b)
	}
}
