package nomadagent_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
)

// rawExec enables Nomad's built-in raw_exec driver.
var rawExec = nomadagent.Plugin{Name: "raw_exec", Config: map[string]any{"enabled": true}}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// shJob is a batch job of one raw_exec task running script with sh; it
// never restarts or reschedules (the coordinator owns that).
func shJob(t *testing.T, id, script string) *api.Job {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	task := api.NewTask("main", "raw_exec").
		SetConfig("command", sh).
		SetConfig("args", []string{"-c", script}).
		Require(&api.Resources{CPU: ptr(50), MemoryMB: ptr(32)})
	tg := api.NewTaskGroup("main", 1).AddTask(task)
	tg.RestartPolicy = &api.RestartPolicy{Attempts: ptr(0), Mode: ptr(api.RestartPolicyModeFail)}
	tg.ReschedulePolicy = &api.ReschedulePolicy{Attempts: ptr(0), Unlimited: ptr(false)}
	return api.NewBatchJob(id, id, "global", 50).AddDatacenter("*").AddTaskGroup(tg)
}

func ptr[T any](v T) *T { return &v }

func register(t *testing.T, c *api.Client, job *api.Job) {
	t.Helper()
	if _, _, err := c.Jobs().Register(job, nil); err != nil {
		t.Fatalf("registering %s: %v", *job.ID, err)
	}
}

// allocDone reports whether every allocation has finished, failing the
// test for one that did not complete.
func allocDone(t *testing.T) func([]*api.AllocationListStub) bool {
	return func(as []*api.AllocationListStub) bool {
		for _, a := range as {
			if a.ClientStatus == api.AllocClientStatusFailed || a.ClientStatus == api.AllocClientStatusLost {
				t.Errorf("allocation %s is %s: %v", a.ID, a.ClientStatus, a.TaskStates)
			}
		}
		return len(as) > 0 && as[0].ClientStatus != api.AllocClientStatusPending && as[0].ClientStatus != api.AllocClientStatusRunning
	}
}

// TestDevAgent runs a batch job on a dev agent, checks the UI and the
// node's configuration, then restarts the agent and finds the same node and
// the job's history.
func TestDevAgent(t *testing.T) {
	a := nomadtest.StartDev(t, nomadagent.Config{
		Name:     "dev-1",
		NodePool: "gpu-donors",
		Meta:     map[string]string{"hpcbridge.donor": "uni-a"},
		Plugins:  []nomadagent.Plugin{rawExec},
		Drivers:  []string{"raw_exec"},
	})
	ctx := ctxFor(t, 2*time.Minute)
	c := a.API()
	if a.PID() == 0 || a.NodeID() == "" {
		t.Fatalf("PID %d, node %q", a.PID(), a.NodeID())
	}

	node, _, err := c.Nodes().Info(a.NodeID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if node.Name != "dev-1" || node.NodePool != "gpu-donors" || node.Meta["hpcbridge.donor"] != "uni-a" {
		t.Errorf("node %s: name %q, pool %q, meta %v", node.ID, node.Name, node.NodePool, node.Meta)
	}

	job := shJob(t, "hello", "echo hello from $NOMAD_JOB_ID")
	job.NodePool = ptr("gpu-donors")
	register(t, c, job)
	allocs, err := a.WaitAllocs(ctx, "hello", allocDone(t))
	if err != nil {
		t.Fatal(err)
	}
	if allocs[0].ClientStatus != api.AllocClientStatusComplete {
		t.Fatalf("allocation %s is %s", allocs[0].ID, allocs[0].ClientStatus)
	}
	alloc, _, err := c.Allocations().Info(allocs[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.AllocFS().Cat(alloc, "alloc/logs/main.stdout.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out)
	out.Close()
	if got := strings.TrimSpace(string(b)); got != "hello from hello" {
		t.Errorf("stdout %q", got)
	}

	t.Run("ui", func(t *testing.T) {
		resp, err := http.Get(a.UIURL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<title>Nomad</title>") {
			t.Errorf("GET %s: %s, %d bytes:\n%.300s", a.UIURL(), resp.Status, len(body), body)
		}
	})

	t.Run("restart", func(t *testing.T) {
		id, pid := a.NodeID(), a.PID()
		if err := a.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		if a.NodeID() != id || a.PID() == pid {
			t.Errorf("after restart: node %q (was %q), pid %d (was %d)", a.NodeID(), id, a.PID(), pid)
		}
		j, _, err := c.Jobs().Info("hello", nil)
		if err != nil {
			t.Fatalf("the job is gone after a restart: %v", err)
		}
		if *j.Status != "dead" {
			t.Errorf("job status %s", *j.Status)
		}
	})
}

// TestServerAndClients kills one of two clients, as if its machine died:
// its task dies with it, the server marks the node down, the other client
// stays ready; the killed client comes back as the same node. The other
// client crashes and restarts with its task still running, which Stop then
// ends.
func TestServerAndClients(t *testing.T) {
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	cfg := nomadagent.Config{Plugins: []nomadagent.Plugin{rawExec}, Drivers: []string{"raw_exec"}}
	cfg.Name = "client-a"
	ca := nomadtest.StartClient(t, srv, cfg)
	cfg.Name = "client-b"
	cb := nomadtest.StartClient(t, srv, cfg)
	ctx := ctxFor(t, 2*time.Minute)
	if ca.NodeID() == cb.NodeID() || ca.Addr() == cb.Addr() || ca.Dir() == cb.Dir() {
		t.Fatalf("clients share a node, an address or a directory: %s %s, %s %s", ca.NodeID(), cb.NodeID(), ca.Addr(), cb.Addr())
	}
	ra := longTask(t, ctx, srv, "client-a")
	rb := longTask(t, ctx, srv, "client-b")

	exited := cb.Exited()
	cb.Kill()
	<-exited
	if cb.Exited() != nil || cb.PID() != 0 {
		t.Errorf("a killed client still has a process: pid %d", cb.PID())
	}
	expectEOF(t, rb, "the task outlived its killed client")
	nodes, err := srv.WaitNodes(ctx, func(ns []*api.NodeListStub) bool {
		return status(ns, cb.NodeID()) == api.NodeStatusDown
	})
	if err != nil {
		t.Fatalf("client-b never went down: %v", err)
	}
	if s := status(nodes, ca.NodeID()); s != api.NodeStatusReady {
		t.Errorf("client-a is %s", s)
	}
	id := cb.NodeID()
	if err := cb.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if cb.NodeID() != id {
		t.Errorf("client-b came back as node %s, was %s", cb.NodeID(), id)
	}

	ca.Crash()
	if err := ca.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ca.Stop(); err != nil {
		t.Fatal(err)
	}
	expectEOF(t, ra, "the task outlived Stop after a crash and a restart")
}

// longTask runs a task on the named node that holds the write end of a
// FIFO and returns the read end: opening it waits until the task starts,
// and reading it returns EOF when the task dies.
func longTask(t *testing.T, ctx context.Context, srv *nomadagent.Agent, node string) *os.File {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "task.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	job := shJob(t, "long-"+node, "exec sleep 600 > "+fifo)
	job.Constrain(api.NewConstraint("${node.unique.name}", "=", node))
	register(t, srv.API(), job)
	return openRead(t, ctx, fifo)
}

func expectEOF(t *testing.T, r *os.File, msg string) {
	t.Helper()
	if err := r.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("%s: read %d, %v", msg, n, err)
	}
}

func status(ns []*api.NodeListStub, id string) string {
	for _, n := range ns {
		if n.ID == id {
			return n.Status
		}
	}
	return "missing"
}

// openRead opens a FIFO for reading, which blocks until a writer opens it.
func openRead(t *testing.T, ctx context.Context, path string) *os.File {
	t.Helper()
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_RDONLY, 0)
		ch <- result{f, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(func() { r.f.Close() })
		return r.f
	case <-ctx.Done():
		// Unblock the open so the goroutine ends.
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatalf("the task never opened %s: %v", path, ctx.Err())
		return nil
	}
}

// TestJoinServers starts a client that joins a server by its RPC address
// alone (as `hpcbridge agent` joins the servers a join token names),
// offering 512 MiB with its meta, runs a job there, and waits
// for the node to be idle.
func TestJoinServers(t *testing.T) {
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	if _, err := nomadagent.StartJoin(context.Background(), nil, nomadagent.Config{Dir: t.TempDir()}); err == nil {
		t.Error("StartJoin without servers started")
	}
	if _, err := nomadagent.StartJoin(context.Background(), []string{"nowhere"}, nomadagent.Config{Dir: t.TempDir()}); err == nil {
		t.Error("StartJoin with a server that is not host:port started")
	}
	c := nomadtest.StartJoin(t, []string{srv.RPCAddr()}, nomadagent.Config{
		Name: "donor-1", Plugins: []nomadagent.Plugin{rawExec}, Drivers: []string{"raw_exec"},
		Meta: map[string]string{"hpcbridge.donor": "uni-b"}, MemoryMiB: 512,
	})
	node, _, err := srv.API().Nodes().Info(c.NodeID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if node.Name != "donor-1" || node.Meta["hpcbridge.donor"] != "uni-b" {
		t.Errorf("node %q meta %v: want donor-1 with hpcbridge.donor=uni-b", node.Name, node.Meta)
	}
	// (ReservableCores is not tried here: other Nomad clients of the
	// machine, other tests', would keep Nomad from shrinking the cpuset.)
	if r := node.NodeResources; r == nil || r.Memory.MemoryMB != 512 {
		t.Errorf("node resources %+v: want 512 MiB", node.NodeResources)
	}
	ctx := ctxFor(t, 2*time.Minute)
	r := longTask(t, ctx, srv, "donor-1")
	if left, err := c.WaitNodeIdle(ctxFor(t, time.Second), "long-"); err == nil || len(left) != 1 || !strings.HasPrefix(left[0], "long-donor-1/") {
		t.Errorf("WaitNodeIdle with a task running: %v, %v; want it named and a timeout", left, err)
	}
	if _, _, err := srv.API().Jobs().Deregister("long-donor-1", false, nil); err != nil {
		t.Fatal(err)
	}
	expectEOF(t, r, "the stopped job's task still runs")
	if left, err := c.WaitNodeIdle(ctx, "long-"); err != nil {
		t.Fatalf("WaitNodeIdle: %v (left %v)", err, left)
	}
}
