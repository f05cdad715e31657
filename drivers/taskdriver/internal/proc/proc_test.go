package proc

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// envDie makes the test binary die by the signal it names (see TestMain).
const envDie = "HPCBRIDGE_PROC_TEST_DIE"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == ExecName { // the trampoline (sandbox_test.go)
		os.Exit(ExecMain(os.Args[1:]))
	}
	if s := os.Getenv(envDie); s != "" {
		n, _ := strconv.Atoi(s)
		DieBySignal(syscall.Signal(n))
		os.Exit(200) // the signal's default action does not end a process
	}
	os.Exit(m.Run())
}

func TestDieBySignal(t *testing.T) {
	// SIGQUIT and SIGSEGV are the ones Go's runtime would otherwise turn
	// into a stack dump or ignore.
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGSEGV, syscall.SIGUSR1, syscall.SIGKILL, syscall.SIGABRT} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envDie+"="+strconv.Itoa(int(sig)))
		cmd.Dir = t.TempDir()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%s: %v", SignalName(sig), err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != sig || ws.CoreDump() {
			t.Errorf("%s: wait status %v (signaled %v, signal %v, core %v), stderr %q",
				SignalName(sig), ws, ws.Signaled(), ws.Signal(), ws.CoreDump(), stderr.String())
		}
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{
		"SIGHUP": syscall.SIGHUP, "term": syscall.SIGTERM, " USR2 ": syscall.SIGUSR2, "9": syscall.SIGKILL, "64": 64, "SIG10": syscall.SIGUSR1,
	} {
		if got, err := ParseSignal(in); err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "65", "-1", "SIGNOPE", "B:USR1"} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("ParseSignal(%q) accepted it", bad)
		}
	}
	if SignalName(syscall.SIGUSR1) != "SIGUSR1" {
		t.Errorf("SignalName(SIGUSR1) = %q", SignalName(syscall.SIGUSR1))
	}
}

func TestExecFailure(t *testing.T) {
	cases := []struct {
		mode, script, cmd string
		err               error
		want              string
		code              int
	}{
		{ExecBatch, "/t/slurm_script", "/nonexistent/interp", syscall.ENOENT,
			"slurmstepd-n1: error: execve(): bad interpreter(/nonexistent/interp): No such file or directory\n", 2},
		{ExecBatch, "/t/slurm_script", "/bin/sh", syscall.EACCES,
			"slurmstepd-n1: error: execve(): /t/slurm_script: Permission denied\n", 13},
		{ExecTask, "", "nosuchcmd", syscall.ENOENT,
			"slurmstepd-n1: error: execve(): nosuchcmd: No such file or directory\n", 2},
	}
	for _, c := range cases {
		var b bytes.Buffer
		code := ExecFailure(&b, "n1", c.mode, c.script, c.cmd, &os.PathError{Op: "exec", Path: c.cmd, Err: c.err})
		if b.String() != c.want || code != c.code {
			t.Errorf("ExecFailure(%s %s) = %q %d, want %q %d", c.mode, c.cmd, b.String(), code, c.want, c.code)
		}
	}
}

func TestWaitExitedDoesNotReap(t *testing.T) {
	for _, c := range []struct {
		script string
		ok     bool
	}{{"exit 0", true}, {"exit 3", false}, {"kill -TERM $$", false}} {
		cmd := exec.Command("/bin/sh", "-c", c.script)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ok, err := WaitExited(cmd.Process.Pid)
		if err != nil || ok != c.ok {
			t.Errorf("%s: WaitExited = %v, %v; want %v", c.script, ok, err, c.ok)
		}
		// Still a zombie: its pid is reserved until Wait reaps it.
		if err := syscall.Kill(cmd.Process.Pid, 0); err != nil {
			t.Errorf("%s: the child was reaped: %v", c.script, err)
		}
		_ = cmd.Wait()
	}
}
