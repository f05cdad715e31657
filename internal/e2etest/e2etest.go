// Package e2etest holds what the end-to-end test packages (bridge/e2e and
// the packages of their own below it) share to run hpcbridge's binaries as
// processes: building them, free loopback ports, bounded waits and the
// processes' output. It is imported by tests only.
package e2etest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// FreePort is a loopback address (127.0.0.1:port) free when it returns.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Eventually checks cond every 100 ms until it returns nil, failing the
// test with what and cond's last error when it does not within the bound.
func Eventually(t testing.TB, what string, within time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		<-tick.C
	}
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Log is a process's output as it comes, safe to read while written.
type Log struct {
	mu sync.Mutex
	b  strings.Builder
}

// Add appends s.
func (l *Log) Add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

// String is everything added so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ErrNoGo is BuildInto's error when there is no go tool to build with.
var ErrNoGo = errors.New("the go tool is not on PATH: cannot build the binaries an end-to-end test runs")

// Build builds each of the repository's main packages (such as
// "./cmd/hpcbridge") into dir under the last element of its path, and
// returns dir. It skips the test when there is no go tool.
func Build(t testing.TB, dir string, pkgs ...string) string {
	t.Helper()
	err := BuildInto(dir, pkgs...)
	if errors.Is(err, ErrNoGo) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// BuildInto is Build for a caller without a test (a TestMain, a build
// shared by a package's tests).
func BuildInto(dir string, pkgs ...string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return ErrNoGo
	}
	root, err := slurmoracle.RepoRoot()
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		cmd := exec.Command(gobin, "build", "-o", filepath.Join(dir, filepath.Base(p)), p)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", p, err, out)
		}
	}
	return nil
}

// Proc is a process a test started: its output (stdout and stderr
// together) goes to Log as it comes.
type Proc struct {
	Name   string
	Cmd    *exec.Cmd
	Log    *Log
	exited chan struct{}
	err    error
	banner chan struct{}
}

// Start starts cmd, named name in messages. With banner not empty,
// Start returns once a line of its output starts with banner, failing the
// test when the process exits first or within passes. The test's cleanup
// stops the process (SIGINT, then SIGKILL after 60 s) and, when the test
// failed, logs the end of its output.
func Start(t testing.TB, name string, cmd *exec.Cmd, banner string, within time.Duration) *Proc {
	t.Helper()
	p := &Proc{Name: name, Cmd: cmd, Log: &Log{}, exited: make(chan struct{}), banner: make(chan struct{})}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := banner == ""
		if seen {
			close(p.banner)
		}
		for sc.Scan() {
			p.Log.Add(sc.Text() + "\n")
			if !seen && strings.HasPrefix(strings.TrimSpace(sc.Text()), banner) {
				seen = true
				close(p.banner)
			}
		}
		io.Copy(io.Discard, pipe)
		p.err = cmd.Wait()
	}()
	t.Cleanup(func() {
		p.Stop(syscall.SIGINT, time.Minute)
		if t.Failed() {
			t.Logf("%s (%s):\n%s", name, strings.Join(cmd.Args, " "), Tail(p.Log.String(), 80))
		}
	})
	if banner != "" {
		select {
		case <-p.banner:
		case <-p.exited:
			t.Fatalf("%s exited before it said %q (%v):\n%s", name, banner, p.err, Tail(p.Log.String(), 80))
		case <-time.After(within):
			t.Fatalf("%s did not say %q within %v:\n%s", name, banner, within, Tail(p.Log.String(), 80))
		}
	}
	return p
}

// Exited is closed once the process exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Stop sends sig and waits up to within for the process to exit, then
// kills it. It returns the process's exit error (nil: status 0).
func (p *Proc) Stop(sig syscall.Signal, within time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	_ = p.Cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(within):
		_ = p.Cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not exit %v after %v: killed", p.Name, within, sig)
	}
	return p.err
}

// Kill kills the process (SIGKILL) and waits for it.
func (p *Proc) Kill() { p.Stop(syscall.SIGKILL, time.Minute) }

// Env is os.Environ() with kv added (later values win, as exec does).
func Env(kv ...string) []string { return append(os.Environ(), kv...) }

// SearchableDir is a new directory with mode perm outside the test's
// private temporary directory (t.TempDir's are 0700: a job's uid could not
// reach into them), removed when the test ends.
func SearchableDir(t testing.TB, prefix string, perm os.FileMode) string {
	t.Helper()
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, perm); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
