package pilot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/e2etest"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// install is hpcbridge laid out as an admin installs it on a cluster's
// nodes: DIR/hpcbridge, DIR/nomad beside it (the agent finds it there),
// DIR/plugins/{hpcbridge-driver,hpcbridge-gpu}. Every directory is
// searchable, so that a job's own uid can run the tools inside its job.
type install struct {
	dir       string
	hpcbridge string
	plugins   string
	// slurm holds the federation's Slurm commands (links to hpcbridge),
	// kept apart from dir: on the pilot's PATH, sbatch and scontrol are
	// the real Slurm's.
	slurm string
}

// buildInstall builds the binaries into a new searchable directory.
func buildInstall(t *testing.T, nomadBin string) install {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build hpcbridge for the pilot test")
	}
	root, err := slurmoracle.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	in := install{dir: searchableDir(t, "hpcbridge-pilot-bin-", 0o755)}
	in.hpcbridge = filepath.Join(in.dir, "hpcbridge")
	in.plugins = filepath.Join(in.dir, "plugins")
	in.slurm = filepath.Join(in.dir, "federation-slurm")
	for _, b := range []struct{ out, pkg string }{
		{in.hpcbridge, "./cmd/hpcbridge"},
		{filepath.Join(in.plugins, "hpcbridge-driver"), "./cmd/hpcbridge-driver"},
		{filepath.Join(in.plugins, "hpcbridge-gpu"), "./cmd/hpcbridge-gpu"},
	} {
		cmd := exec.Command(gobin, "build", "-o", b.out, b.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	if err := os.Symlink(nomadBin, filepath.Join(in.dir, "nomad")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(in.slurm, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sbatch", "squeue", "scontrol", "scancel", "sacct", "sinfo"} {
		if err := os.Symlink(in.hpcbridge, filepath.Join(in.slurm, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{in.dir, in.plugins} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

// The package's process helpers are internal/e2etest's, which the e2e
// packages share: searchableDir (t.TempDir's are 0700: a job's uid could
// not reach into them), freePort, lockedLog (a process's output as it
// comes), tail.
var (
	searchableDir = e2etest.SearchableDir
	freePort      = e2etest.FreePort
	tail          = e2etest.Tail
)

type lockedLog = e2etest.Log

// federation is `hpcbridge dev --staged` run by the test: a coordinator,
// a Nomad agent and its one client node (the "other node"), on free
// loopback ports.
type federation struct {
	t     *testing.T
	in    install
	url   string // the coordinator's API
	token string // its management token
	api   *api.Client
	nomad *nomadapi.Client
	log   *lockedLog
	work  string   // the submit directory of the federation's jobs
	env   []string // the federation's Slurm commands' environment
}

// startFederation starts `hpcbridge dev --staged` and waits for its banner.
func startFederation(t *testing.T, in install, nomadBin string) *federation {
	t.Helper()
	f := &federation{t: t, in: in, log: &lockedLog{}}
	dataDir := filepath.Join(searchableDir(t, "hpcbridge-pilot-dev-", 0o711), "dev")
	bind := freePort(t)
	f.url = "http://" + bind
	cmd := exec.Command(in.hpcbridge, "dev", "--staged", "--gpu-backend", "none", "--log-level", "info",
		"--data-dir", dataDir, "--bind", bind, "--raft-bind", freePort(t), "--plugin-dir", in.plugins)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), nomadagent.EnvBinary+"="+nomadBin)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	running, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		ran := false
		for sc.Scan() {
			f.log.Add(sc.Text() + "\n")
			// The banner comes in one write; its last line is "Try: ...".
			if !ran && strings.HasPrefix(sc.Text(), "Try: ") {
				ran = true
				close(running)
			}
		}
		io.Copy(io.Discard, pipe)
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(90 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("hpcbridge dev:\n%s", tail(f.log.String(), 150))
		}
	})
	select {
	case <-running:
	case <-exited:
		t.Fatalf("hpcbridge dev exited:\n%s", f.log.String())
	case <-time.After(5 * time.Minute):
		t.Fatalf("hpcbridge dev did not start in 5 minutes:\n%s", f.log.String())
	}
	m := regexp.MustCompile(`(?m)^\s*Nomad API:\s+(\S+)`).FindStringSubmatch(f.log.String())
	if m == nil {
		t.Fatalf("hpcbridge dev's banner names no Nomad API:\n%s", f.log.String())
	}
	if f.nomad, err = nomadapi.NewClient(&nomadapi.Config{Address: m[1]}); err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile(filepath.Join(dataDir, "management-token"))
	if err != nil {
		t.Fatal(err)
	}
	f.token = strings.TrimSpace(string(tok))
	if f.api, err = api.NewClient(&api.Config{Address: f.url, Token: f.token}); err != nil {
		t.Fatal(err)
	}
	f.work = searchableDir(t, "hpcbridge-pilot-work-", 0o1777)
	f.env = append(os.Environ(), api.EnvAddress+"="+f.url, api.EnvToken+"="+f.token,
		"PATH="+in.slurm+":"+in.dir+":"+os.Getenv("PATH"))
	return f
}

// run runs one of the federation's commands (sbatch, scontrol, hpcbridge,
// ...) in its submit directory.
func (f *federation) run(name string, args ...string) (stdout, stderr string, err error) {
	bin := filepath.Join(f.in.slurm, name)
	if name == "hpcbridge" {
		bin = f.in.hpcbridge
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = f.work, f.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func (f *federation) must(name string, args ...string) string {
	f.t.Helper()
	out, errOut, err := f.run(name, args...)
	if err != nil {
		f.t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// script writes a batch script into the submit directory.
func (f *federation) script(name, body string) string {
	f.t.Helper()
	p := filepath.Join(f.work, name)
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// submit is sbatch --parsable's job id (stdout only: on a staged partition
// sbatch says on stderr what it uploaded).
func (f *federation) submit(args ...string) string {
	f.t.Helper()
	out := strings.TrimSpace(f.must("sbatch", append([]string{"--parsable"}, args...)...))
	id, _, _ := strings.Cut(out, ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		f.t.Fatalf("sbatch --parsable %s printed %q, want a job id", strings.Join(args, " "), out)
	}
	return id
}

// wait follows job ref with blocking queries until cond holds.
func (f *federation) wait(ref string, within time.Duration, what string, cond func(*state.Job) bool) *state.Job {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var idx uint64
	var last *state.Job
	for {
		j, meta, err := f.api.Job(ctx, ref, &api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second})
		if err == nil {
			last = j
			if cond(j) {
				return j
			}
			idx = meta.LastIndex
		}
		if ctx.Err() != nil {
			f.t.Fatalf("job %s: not %s within %v (last: %+v, err %v)", ref, what, within, last, err)
		}
	}
}

// fetched is file name of job id's outputs, fetched into a new directory.
func (f *federation) fetched(id, name string) string {
	f.t.Helper()
	dir, err := os.MkdirTemp(f.work, "fetched-")
	if err != nil {
		f.t.Fatal(err)
	}
	f.must("hpcbridge", "fetch", id, "--into", dir)
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		f.t.Fatalf("hpcbridge fetch %s: %v", id, err)
	}
	return string(b)
}

// nomadNode waits until Nomad has a ready client node called name, and
// returns its id.
func (f *federation) nomadNode(name string, within time.Duration) string {
	f.t.Helper()
	var id string
	poll(f.t, "Nomad node "+name+" ready", within, func() error {
		nodes, _, err := f.nomad.Nodes().List(nil)
		if err != nil {
			return err
		}
		var seen []string
		for _, n := range nodes {
			seen = append(seen, n.Name+"="+n.Status)
			if n.Name == name && n.Status == nomadapi.NodeStatusReady {
				id = n.ID
				return nil
			}
		}
		return fmt.Errorf("nodes: %v", seen)
	})
	return id
}

// poll checks cond until it holds, failing the test when it does not
// within the bound (e2etest.Eventually).
func poll(t *testing.T, what string, within time.Duration, cond func() error) {
	t.Helper()
	e2etest.Eventually(t, what, within, cond)
}
