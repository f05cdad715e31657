package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/e2etest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// buildBinary builds cmd/hpcbridge once into a temp dir.
func buildBinary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build the hpcbridge binary for the multi-process test")
	}
	out := filepath.Join(t.TempDir(), "hpcbridge")
	cmd := exec.Command(gobin, "build", "-o", out, "../../cmd/hpcbridge")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func freePort(t *testing.T) string {
	t.Helper()
	return e2etest.FreePort(t)
}

// server is one hpcbridge server process.
type server struct {
	t        *testing.T
	bin      string
	dir      string
	api      string
	raftAddr string
	cmd      *exec.Cmd
	log      *os.File
	done     chan struct{}
}

func newServer(t *testing.T, bin string) *server {
	dir := t.TempDir()
	return &server{t: t, bin: bin, dir: dir, api: freePort(t), raftAddr: freePort(t)}
}

func (s *server) url() string { return "http://" + s.api }

// start launches the process with extra flags and environment.
func (s *server) start(env []string, flags ...string) {
	s.t.Helper()
	args := append([]string{"server", "--data-dir", filepath.Join(s.dir, "data"), "--bind", s.api, "--raft-bind", s.raftAddr, "--log-level", "warn"}, flags...)
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Env = append(os.Environ(), env...)
	f, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	s.log = f
	s.cmd.Stdout, s.cmd.Stderr = f, f
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
}

// kill stops the process with sig and waits for it.
func (s *server) kill(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.log.Close()
	s.cmd = nil
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	lines := strings.Split(string(b), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// submitRetrying submits through servers[first], moving to the next server
// and retrying only when the request certainly did not commit (the server
// was unreachable, or answered that it has no leader), as sbatch retries
// while the controller does not respond.
func submitRetrying(ctx context.Context, t *testing.T, servers []*server, first int, token string, req *api.SubmitRequest) (*api.SubmitResponse, error) {
	deadline := time.Now().Add(30 * time.Second)
	for i := first; ; i++ {
		s := servers[i%len(servers)]
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		res, err := client(t, s.url(), token).Submit(rctx, req)
		cancel()
		if err == nil || !api.Retryable(err) || time.Now().After(deadline) {
			return res, err
		}
		time.Sleep(50 * time.Millisecond) // back off before the next server; not waiting for state
	}
}

func client(t *testing.T, addr, token string) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: addr, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventually polls cond until it holds or the deadline passes
// (e2etest.Eventually).
func eventually(t *testing.T, what string, within time.Duration, cond func() error) {
	t.Helper()
	e2etest.Eventually(t, what, within, cond)
}

// waitVoters waits until s's Raft configuration has n servers.
func waitVoters(t *testing.T, s *server, token string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d voters", n), time.Minute, func() error {
		peers, err := client(t, s.url(), token).RaftPeers(context.Background())
		if err != nil {
			return err
		}
		if len(peers) != n {
			return fmt.Errorf("%d peers", len(peers))
		}
		return nil
	})
}

// leaderOf returns the index of the server that leads, per the servers.
func leaderOf(ctx context.Context, t *testing.T, servers []*server, token string) (int, error) {
	for _, s := range servers {
		if s.cmd == nil {
			continue
		}
		peers, err := client(t, s.url(), token).RaftPeers(ctx)
		if err != nil {
			continue
		}
		for _, p := range peers {
			if !p.Leader {
				continue
			}
			for i, o := range servers {
				if o.raftAddr == p.Address && o.cmd != nil {
					return i, nil
				}
			}
		}
	}
	return -1, fmt.Errorf("no live leader")
}

// TestClusterSurvivesLeaderLoss runs three server processes; while 16
// clients submit 2,000 jobs the leader is killed. Every job whose submit
// returned an id must be present exactly once afterwards, on every server;
// the killed server catches up when restarted; and a full stop and restart
// of the cluster keeps everything.
func TestClusterSurvivesLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	bin := buildBinary(t)
	ctx := context.Background()
	servers := []*server{newServer(t, bin), newServer(t, bin), newServer(t, bin)}
	defer func() {
		for _, s := range servers {
			s.kill(syscall.SIGKILL)
		}
	}()
	servers[0].start(nil, "--bootstrap")
	var token string
	eventually(t, "ACL bootstrap on the first server", 30*time.Second, func() error {
		tok, err := client(t, servers[0].url(), "").ACLBootstrap(ctx, &api.ACLBootstrapRequest{})
		if err != nil {
			return err
		}
		token = tok.SecretID
		return nil
	})
	for _, s := range servers[1:] {
		s.start([]string{api.EnvToken + "=" + token}, "--join", servers[0].url())
	}
	waitVoters(t, servers[0], token, 3)
	user, err := client(t, servers[0].url(), token).ACLCreateToken(ctx, &api.ACLTokenRequest{Type: "client", User: "alice"})
	if err != nil {
		t.Fatal(err)
	}

	const clients, total = 16, 2000
	type accepted struct {
		id   uint64
		name string
	}
	var (
		mu       sync.Mutex
		ok       []accepted
		failures int
		sent     int
	)
	killed := make(chan int, 1)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for n := 0; n < total/clients; n++ {
				name := fmt.Sprintf("c%02d-%03d", c, n)
				mu.Lock()
				sent++
				if sent == total/4 {
					go func() {
						i, err := leaderOf(ctx, t, servers, token)
						if err == nil {
							servers[i].kill(syscall.SIGKILL)
						}
						killed <- i
					}()
				}
				mu.Unlock()
				req := &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "job.sh", Args: []string{"-J", name}, Cwd: "/tmp"}
				res, err := submitRetrying(ctx, t, servers, (c+n)%3, user.SecretID, req)
				mu.Lock()
				if err != nil {
					failures++
				} else {
					ok = append(ok, accepted{res.JobID, name})
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	dead := <-killed
	if dead < 0 {
		t.Fatal("found no leader to kill")
	}
	t.Logf("%d submits accepted, %d failed during the leader change (killed server %d)", len(ok), failures, dead)
	if len(ok) < total/2 {
		t.Fatalf("only %d of %d submits succeeded", len(ok), total)
	}

	check := func(where string, s *server) {
		t.Helper()
		var jobs []*state.Job
		eventually(t, "all accepted jobs on "+where, 60*time.Second, func() error {
			var err error
			jobs, _, err = client(t, s.url(), token).JobsAll(ctx, &api.JobsQuery{States: []string{"all"}})
			if err != nil {
				return err
			}
			byID := map[uint64]*state.Job{}
			for _, j := range jobs {
				if byID[j.ID] != nil {
					return fmt.Errorf("job id %d appears twice", j.ID)
				}
				byID[j.ID] = j
			}
			for _, a := range ok {
				j := byID[a.id]
				if j == nil {
					return fmt.Errorf("accepted job %d (%s) missing (%d jobs listed)", a.id, a.name, len(jobs))
				}
				if j.Name != a.name {
					return fmt.Errorf("job %d is %q, submitted as %q", a.id, j.Name, a.name)
				}
			}
			names := map[string]int{}
			for _, j := range jobs {
				names[j.Name]++
				if names[j.Name] > 1 {
					return fmt.Errorf("job %q was submitted twice", j.Name)
				}
			}
			return nil
		})
	}
	for i, s := range servers {
		if i != dead {
			check(fmt.Sprintf("server %d", i), s)
		}
	}

	// The killed server comes back and catches up.
	servers[dead].start(nil)
	check(fmt.Sprintf("restarted server %d", dead), servers[dead])

	// Stop everything, start everything: the state is intact.
	for _, s := range servers {
		s.kill(syscall.SIGTERM)
	}
	for _, s := range servers {
		s.start(nil)
	}
	eventually(t, "a leader after the full restart", 60*time.Second, func() error {
		_, err := leaderOf(ctx, t, servers, token)
		return err
	})
	for i, s := range servers {
		check(fmt.Sprintf("server %d after the full restart", i), s)
	}
	if t.Failed() {
		for i, s := range servers {
			t.Logf("server %d log:\n%s", i, s.logTail())
		}
	}
}
