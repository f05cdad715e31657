package nomadexec

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// The harness the Nomad tests of reclaims and GPU admission share: the
// plugins built from cmd/, a job directory, a Nomad server with two
// hpcbridge clients, a leader term and a wait on the replicated state.

// buildPlugins builds the named commands (cmd/<name>) into a fresh
// plugin directory and returns it.
func buildPlugins(t *testing.T, names ...string) string {
	t.Helper()
	plugins := filepath.Join(t.TempDir(), "plugins")
	for _, p := range names {
		if b, err := exec.Command("go", "build", "-o", filepath.Join(plugins, p), "../../cmd/"+p).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", p, err, b)
		}
	}
	return plugins
}

// jobDir makes a directory the test's jobs run in and write to, readable
// by all (a job runs as its submitter), removed at the end of the test.
func jobDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// submitterDriver is the hpcbridge driver's configuration that runs jobs
// as their submitter, root included.
func submitterDriver(string) map[string]any {
	return map[string]any{"run_as": "submitter", "allow_root": true}
}

// startTwoClients starts a Nomad server (1 s heartbeats) and two clients,
// n1 and n2 (state under dir), with the hpcbridge driver from plugins
// configured by driver(name); it returns the server's API client.
func startTwoClients(t *testing.T, dir, plugins string, driver func(name string) map[string]any) *api.Client {
	t.Helper()
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	for i, name := range []string{"n1", "n2"} {
		nomadtest.StartClient(t, srv, nomadagent.Config{Name: name, Dir: filepath.Join(dir, name), PluginDir: plugins, Drivers: []string{DriverName},
			DynamicPorts: nomadagent.DynamicPortRange(i, 2),
			Plugins:      []nomadagent.Plugin{{Name: "hpcbridge-driver", Config: driver(name)}}})
	}
	return srv.API()
}

// waitDriverNodes waits for n ready nodes with a healthy hpcbridge driver
// and returns their IDs by name.
func waitDriverNodes(t *testing.T, ctx context.Context, nc *api.Client, n int) map[string]string {
	t.Helper()
	nodeIDs := map[string]string{}
	for len(nodeIDs) < n {
		stubs, _, err := nc.Nodes().List((&api.QueryOptions{}).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stubs {
			if d := s.Drivers[DriverName]; d != nil && d.Detected && d.Healthy && s.Status == api.NodeStatusReady {
				nodeIDs[s.Name] = s.ID
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("two nodes with the hpcbridge driver: %v (have %v)", ctx.Err(), nodeIDs)
		case <-time.After(200 * time.Millisecond): // Nomad has no watch for a driver's health
		}
	}
	return nodeIDs
}

// submitIn commits the submission of script, run in dir, as root's in
// partition debug, and returns the job's ID.
func submitIn(t *testing.T, apply func(state.CommandType, any) *state.Result, dir, script string) uint64 {
	t.Helper()
	sub := parse(t, script)
	sub.Cwd = dir
	return apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "root", Submission: sub, DefaultPartition: "debug",
		Job: fromspec.MustRecord(sub.Spec, "debug")}).Value.(state.JobSubmitResult).JobID
}

// startTerm runs one leader term of e and a scheduler (200 ms passes) on
// the replicated state; the returned func ends it and waits for both.
func startTerm(ctx context.Context, store *state.Store, raft *directRaft, e *Executor) (end func()) {
	s := sched.New(sched.Config{Store: store, Raft: raft, Executor: e, Interval: 200 * time.Millisecond})
	tctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.RunTerm(tctx) })
	wg.Go(func() { _ = s.Run(tctx) })
	return func() { stop(); wg.Wait() }
}

// untilState returns a wait for cond on the store's state: it looks again
// at each commit to the jobs, and each 100 ms for the rest (Nomad's
// nodes). When ctx ends it fails the test with what it waited for and
// describe's account (which may log more).
func untilState(t *testing.T, ctx context.Context, store *state.Store, describe func() string) func(what string, cond func(v *state.View) bool) {
	return func(what string, cond func(v *state.View) bool) {
		t.Helper()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			changed := store.WatchJobs()
			if cond(store.View()) {
				return
			}
			select {
			case <-changed:
			case <-tick.C:
			case <-ctx.Done():
				t.Fatalf("waiting for %s: %v%s", what, ctx.Err(), describe())
			}
		}
	}
}
