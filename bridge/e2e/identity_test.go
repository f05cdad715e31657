package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// localUsers counts the accounts localUser made, so that two tests of
// one process never ask useradd for the same name.
var localUsers atomic.Int32

// localUser creates a local account with a 0700 home directory for the
// test (useradd; removed with userdel at the end). Its login shell is
// /bin/sh and its profile Debian's /etc/skel: a job that runs its login
// shell (--export=NONE) reads that, not root's profile, the host's.
func localUser(t *testing.T) (name, home string, uid, gid int) {
	t.Helper()
	roottest.Require(t, "creating a local user for the test needs root")
	for _, tool := range []string{"useradd", "userdel"} {
		roottest.Tool(t, tool, "creating a local user for the test")
	}
	base, err := os.MkdirTemp("", "hpcbridge-home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	name = fmt.Sprintf("hbt%d-%d", os.Getpid()%1000000, localUsers.Add(1))
	home = filepath.Join(base, name)
	if out, err := exec.Command("useradd", "-m", "-d", home, "-s", "/bin/sh", "-U", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", "-r", name).CombinedOutput(); err != nil {
			t.Logf("userdel %s: %v\n%s", name, err, out)
		}
	})
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return name, home, uid, gid
}

// devProcess is `hpcbridge dev` running as a child of the test.
type devProcess struct {
	url     string
	dataDir string
	cmd     *exec.Cmd
	out     strings.Builder
}

// startDev runs the embedded default on free ports and waits until it
// says it is running.
func startDev(t *testing.T, binDir, plugins string, flags ...string) *devProcess {
	t.Helper()
	nomadBin, err := nomadagent.Binary()
	if err != nil {
		t.Skip(err)
	}
	d := &devProcess{dataDir: filepath.Join(searchableDir(t), "dev")}
	bind := freePort(t)
	d.url = "http://" + bind
	args := append([]string{"dev", "--data-dir", d.dataDir, "--bind", bind, "--raft-bind", freePort(t), "--plugin-dir", plugins}, flags...)
	d.cmd = exec.Command(filepath.Join(binDir, "hpcbridge"), args...)
	d.cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), nomadagent.EnvBinary+"="+nomadBin)
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stderr = d.cmd.Stdout
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	exited := make(chan struct{})
	t.Cleanup(func() {
		d.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(60 * time.Second):
			d.cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("hpcbridge dev:\n%s", d.out.String())
		}
	})
	running := make(chan struct{})
	go func() {
		defer close(exited)
		for l := range lines {
			d.out.WriteString(l + "\n")
			if strings.Contains(l, "hpcbridge dev is running.") {
				close(running)
			}
		}
		d.cmd.Wait()
	}()
	select {
	case <-running:
	case <-exited:
		t.Fatalf("hpcbridge dev exited:\n%s", d.out.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("hpcbridge dev did not start in 3 minutes")
	}
	return d
}

// managementToken is the token dev bootstrapped.
func (d *devProcess) managementToken(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.dataDir, "management-token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestDevRunsJobsAsTheirSubmitter: on the embedded default, a local user
// who submits from a 0700 home directory gets slurm-%j.out there, written
// by a job that ran as that user; a job that cannot open its output, and
// one whose owner has no account on the node, fail with the reason in
// scontrol and sacct.
func TestDevRunsJobsAsTheirSubmitter(t *testing.T) {
	nomadtest.Require(t)
	name, home, uid, gid := localUser(t)
	binDir, plugins := buildTools(t)
	// The user runs sbatch from a directory of commands it may execute.
	ubin := filepath.Join(filepath.Dir(home), "bin")
	if err := os.Mkdir(ubin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"hpcbridge", "sbatch", "scontrol", "sacct"} {
		if err := os.Link(filepath.Join(binDir, "hpcbridge"), filepath.Join(ubin, cmd)); err != nil {
			t.Fatal(err)
		}
	}
	dev := startDev(t, binDir, plugins)
	mgmt := client(t, dev.url, dev.managementToken(t))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tokenFor := func(u string) string {
		tok, err := mgmt.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: u, User: u})
		if err != nil {
			t.Fatal(err)
		}
		return tok.SecretID
	}
	userToken := tokenFor(name)

	script := filepath.Join(home, "job.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"hello from $(id -un) in $(pwd)\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(script, uid, gid); err != nil {
		t.Fatal(err)
	}
	// `cd ~ && sbatch job.sh`, as the user.
	asUser := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(ubin, args[0]), args[1:]...)
		cmd.Dir = home
		cmd.Env = []string{"HOME=" + home, "USER=" + name, "LOGNAME=" + name, "PATH=" + ubin + ":/usr/bin:/bin",
			api.EnvAddress + "=" + dev.url, api.EnvToken + "=" + userToken}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s as %s: %v\n%s", strings.Join(args, " "), name, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	wait := func(id string) *state.Job {
		t.Helper()
		var idx uint64
		for {
			j, meta, err := mgmt.Job(ctx, id, &api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second})
			if err == nil {
				if j.State.Terminal() {
					return j
				}
				idx = meta.LastIndex
			}
			if ctx.Err() != nil {
				t.Fatalf("job %s did not end: %+v %v", id, j, err)
			}
		}
	}

	id := asUser("sbatch", "--parsable", "job.sh")
	if j := wait(id); j.State != state.StateCompleted {
		t.Fatalf("job %s: %s %s, reason %q", id, j.State, j.ExitString(), j.Reason)
	}
	out := filepath.Join(home, "slurm-"+id+".out")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no output in the submitter's home: %v", err)
	}
	if want := fmt.Sprintf("hello from %s in %s\n", name, home); string(b) != want {
		t.Errorf("%s = %q, want %q", out, b, want)
	}
	if fi, err := os.Stat(out); err == nil && fi.Sys().(*syscall.Stat_t).Uid != uint32(uid) {
		t.Errorf("%s belongs to uid %d, want the submitter's %d", out, fi.Sys().(*syscall.Stat_t).Uid, uid)
	}

	// Hole 1: the submitter's environment never reaches a root process.
	// A library whose constructor records the euid of each process that
	// loads it, preloaded through --export.
	probeDir := filepath.Join(filepath.Dir(home), "probe")
	lib := buildProbe(t, probeDir)
	id = asUser("sbatch", "--parsable", "--export=NONE,LD_PRELOAD="+lib, "job.sh")
	if j := wait(id); j.State != state.StateCompleted {
		t.Fatalf("job %s with LD_PRELOAD: %s %s, reason %q", id, j.State, j.ExitString(), j.Reason)
	}
	if roots, _ := filepath.Glob(filepath.Join(probeDir, "root-*")); len(roots) > 0 {
		t.Errorf("the submitter's LD_PRELOAD ran as root in %d processes (%s)", len(roots), roots)
	}
	if users, _ := filepath.Glob(filepath.Join(probeDir, "user-*")); len(users) == 0 {
		t.Errorf("the probe never ran in the job's processes: the check proves nothing")
	}

	// An output directory that does not exist: FAILED, and why.
	id = asUser("sbatch", "--parsable", "-o", "/nonexistent-hpcbridge/out-%j.txt", "job.sh")
	j := wait(id)
	why := "Could not open stdout file /nonexistent-hpcbridge/out-" + id + ".txt: No such file or directory"
	if j.State != state.StateFailed || j.Reason != why {
		t.Errorf("job %s: %s, reason %q; want FAILED, %q", id, j.State, j.Reason, why)
	}
	if show := asUser("scontrol", "show", "job", id); !strings.Contains(show, "Reason="+strings.ReplaceAll(why, " ", "_")+" ") {
		t.Errorf("scontrol show job %s lacks the reason:\n%s", id, show)
	}
	if acct := asUser("sacct", "-n", "-X", "-P", "-j", id, "--format=State,Reason"); acct != "FAILED|"+why {
		t.Errorf("sacct -o State,Reason: %q", acct)
	}
	// slurmstepd's message is in the job's stderr, which the coordinator
	// archived: `hpcbridge output -e`.
	var stderr strings.Builder
	if err := mgmt.Output(ctx, id, "stderr", false, &stderr); err != nil || !strings.Contains(stderr.String(), "error: "+why) {
		t.Errorf("the job's stderr: %q %v; want slurmstepd's message", stderr.String(), err)
	}

	// A job owner without an account on the node (a management token may
	// submit for anyone; the node runs jobs as their owner).
	ghost := "hbnosuch" + strconv.Itoa(os.Getpid()%100000)
	gc := client(t, dev.url, tokenFor(ghost))
	res, err := gc.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "ghost.sh", Cwd: "/tmp"})
	if err != nil {
		t.Fatal(err)
	}
	id = strconv.FormatUint(res.JobID, 10)
	j = wait(id)
	if want := fmt.Sprintf("JobLaunchFailure: user %q does not exist on this node", ghost); j.State != state.StateFailed || !strings.HasPrefix(j.Reason, want) {
		t.Errorf("job %s of a user with no account: %s, reason %q; want FAILED, %q...", id, j.State, j.Reason, want)
	}
}

// buildProbe compiles, in a new world-writable dir, a shared library whose
// constructor leaves root-PID or user-PID there for each process that
// loads it (by its effective uid). It skips the test without cc.
func buildProbe(t *testing.T, dir string) string {
	t.Helper()
	cc := roottest.Tool(t, "cc", "building the LD_PRELOAD probe")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "probe.c")
	code := fmt.Sprintf(`#include <stdio.h>
#include <unistd.h>
__attribute__((constructor)) static void probe(void) {
	char path[512];
	snprintf(path, sizeof path, "%%s/%%s-%%d", %q, geteuid() == 0 ? "root" : "user", (int)getpid());
	FILE *f = fopen(path, "w");
	if (f) fclose(f);
}
`, dir)
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "probe.so")
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	return lib
}

// TestDevPoolRunsEachJobAsAUidOfItsOwn: `hpcbridge dev --run-as pool`
// under a real Nomad agent runs a job as a pool uid (the owner, root here,
// has nothing to do with it), in its task directory, and its output comes
// back through `hpcbridge output`.
func TestDevPoolRunsEachJobAsAUidOfItsOwn(t *testing.T) {
	nomadtest.Require(t)
	roottest.Require(t, "the task driver runs jobs as other users only as root")
	binDir, plugins := buildTools(t)
	dev := startDev(t, binDir, plugins, "--run-as", "pool", "--pool-uids", "62950-62959", "--pool-dir", filepath.Join(t.TempDir(), "pool"))
	c := client(t, dev.url, dev.managementToken(t))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := c.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\necho \"uid $(id -u) home $HOME pwd $(pwd)\"\n"), ScriptName: "pool.sh", Cwd: "/tmp"})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatUint(res.JobID, 10)
	var idx uint64
	for {
		j, meta, err := c.Job(ctx, id, &api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second})
		if err == nil && j.State.Terminal() {
			if j.State != state.StateCompleted {
				t.Fatalf("job %s: %s %s, reason %q", id, j.State, j.ExitString(), j.Reason)
			}
			break
		}
		if err == nil {
			idx = meta.LastIndex
		}
		if ctx.Err() != nil {
			t.Fatalf("job %s did not end: %v", id, err)
		}
	}
	var out strings.Builder
	if err := c.Output(ctx, id, "stdout", false, &out); err != nil {
		t.Fatal(err)
	}
	var uid int
	var home, pwd string
	if _, err := fmt.Sscanf(out.String(), "uid %d home %s pwd %s", &uid, &home, &pwd); err != nil || uid < 62950 || uid > 62959 || home != pwd || !strings.HasSuffix(pwd, "/batch") {
		t.Errorf("job output %q: want a pool uid, running in its task directory, its HOME (%v)", out.String(), err)
	}
}
