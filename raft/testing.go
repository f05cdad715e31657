package raft

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Timing for in-process test clusters: short enough for quick elections on
// loopback, long enough not to flap on a loaded 2-core machine under -race.
const (
	testTimeout     = 500 * time.Millisecond
	testWaitTimeout = 20 * time.Second
)

// TestClusterOptions configures NewTestCluster. The zero value is a
// plaintext cluster on the default log store.
type TestClusterOptions struct {
	// LogStore is the Config.LogStore of every server.
	LogStore string
	// TLS returns server i's TLS configuration; nil means plaintext.
	TLS func(i int) *tls.Config
	// SnapshotThreshold and TrailingLogs are passed to every server
	// (zero: the defaults).
	SnapshotThreshold uint64
	TrailingLogs      uint64
	// BatchApply is passed to every server.
	BatchApply bool
}

// TestCluster is a cluster of servers in this process for tests: each has
// its own state.Store, on-disk log and snapshots in a temporary directory
// and a real TCP transport on a loopback port. Servers can be stopped and
// restarted on the same directory and address. Everything is shut down
// when the test ends.
type TestCluster struct {
	t       testing.TB
	opts    TestClusterOptions
	servers []*testServer
}

type testServer struct {
	cfg   Config
	node  *Node // nil while stopped
	store *state.Store
}

// NewTestCluster starts n servers: server 0 bootstraps the cluster, the
// others join it through the leader. It returns once every server knows
// the leader.
func NewTestCluster(t testing.TB, n int, opts TestClusterOptions) *TestCluster {
	t.Helper()
	c := &TestCluster{t: t, opts: opts}
	c.AddServer(c.tlsConfig(0), true)
	leader := c.Node(c.Leader())
	for i := 1; i < n; i++ {
		j := c.AddServer(c.tlsConfig(i), false)
		ctx, cancel := context.WithTimeout(context.Background(), testWaitTimeout)
		err := leader.AddVoter(ctx, c.servers[j].cfg.ID, c.Node(j).Addr())
		cancel()
		if err != nil {
			t.Fatalf("join server %d: %v", j, err)
		}
	}
	for i := range c.servers {
		c.waitFor(i, "know the leader", func(ctx context.Context, nd *Node) error { return nd.WaitForLeader(ctx) })
	}
	return c
}

func (c *TestCluster) tlsConfig(i int) *tls.Config {
	if c.opts.TLS == nil {
		return nil
	}
	return c.opts.TLS(i)
}

// AddServer starts one more server on a fresh directory and loopback port
// and returns its index. It joins no cluster by itself: pass bootstrap to
// make it a cluster of its own, or add it with AddVoter on the leader.
func (c *TestCluster) AddServer(tlsCfg *tls.Config, bootstrap bool) int {
	c.t.Helper()
	i := len(c.servers)
	id := fmt.Sprintf("server%d", i)
	s := &testServer{cfg: Config{
		ID:                 id,
		DataDir:            c.t.TempDir(),
		Bind:               "127.0.0.1:0",
		Bootstrap:          bootstrap,
		TLS:                tlsCfg,
		LogStore:           c.opts.LogStore,
		Logger:             testLogger(c.t, id),
		HeartbeatTimeout:   testTimeout,
		ElectionTimeout:    testTimeout,
		LeaderLeaseTimeout: testTimeout,
		SnapshotThreshold:  c.opts.SnapshotThreshold,
		TrailingLogs:       c.opts.TrailingLogs,
		BatchApply:         c.opts.BatchApply,
	}}
	c.servers = append(c.servers, s)
	c.Start(i)
	// Later starts reuse the port the first one got.
	s.cfg.Bind = s.node.Addr()
	return i
}

// Len is the number of servers, running or stopped.
func (c *TestCluster) Len() int { return len(c.servers) }

// Node returns server i's node, or nil while it is stopped.
func (c *TestCluster) Node(i int) *Node { return c.servers[i].node }

// Store returns the state store of server i's current run.
func (c *TestCluster) Store(i int) *state.Store { return c.servers[i].store }

// Config returns server i's configuration.
func (c *TestCluster) Config(i int) Config { return c.servers[i].cfg }

// Start starts stopped server i with a new, empty store on its old
// directory and address: Raft rebuilds the state from disk.
func (c *TestCluster) Start(i int) {
	c.t.Helper()
	s := c.servers[i]
	if s.node != nil {
		c.t.Fatalf("server %d is running", i)
	}
	store := state.New()
	node, err := New(s.cfg, store)
	if err != nil {
		c.t.Fatalf("start server %d: %v", i, err)
	}
	s.node, s.store = node, store
	// Registered after the directory's own cleanup, so it runs before it.
	c.t.Cleanup(func() { node.Shutdown() })
}

// Stop shuts server i down; its directory stays for a later Start.
func (c *TestCluster) Stop(i int) {
	c.t.Helper()
	s := c.servers[i]
	if s.node == nil {
		return
	}
	if err := s.node.Shutdown(); err != nil {
		c.t.Errorf("stop server %d: %v", i, err)
	}
	s.node = nil
}

// Leader waits until exactly one running server is leader and every
// running voter agrees, and returns its index.
func (c *TestCluster) Leader() int {
	c.t.Helper()
	deadline := time.Now().Add(testWaitTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if i, ok := c.agreedLeader(); ok {
			return i
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no agreed leader within %v", testWaitTimeout)
		}
		<-tick.C
	}
}

// agreedLeader returns the leader if exactly one running server leads and
// all running servers name it.
func (c *TestCluster) agreedLeader() (int, bool) {
	leader := -1
	for i, s := range c.servers {
		if s.node != nil && s.node.IsLeader() {
			if leader >= 0 {
				return 0, false
			}
			leader = i
		}
	}
	if leader < 0 {
		return 0, false
	}
	for _, s := range c.servers {
		if s.node == nil {
			continue
		}
		if id, _ := s.node.Leader(); id != c.servers[leader].cfg.ID && c.isMember(s.cfg.ID) {
			return 0, false
		}
	}
	return leader, true
}

// isMember reports whether the leader's configuration holds id.
func (c *TestCluster) isMember(id string) bool {
	for _, s := range c.servers {
		if s.node == nil || !s.node.IsLeader() {
			continue
		}
		servers, err := s.node.Servers()
		if err != nil {
			return true
		}
		for _, m := range servers {
			if m.ID == id {
				return true
			}
		}
		return false
	}
	return true
}

// Apply commits cmd on the leader, retrying on another leader when it was
// refused before reaching the log, and fails the test otherwise.
func (c *TestCluster) Apply(cmd []byte) (*state.Result, uint64) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWaitTimeout)
	defer cancel()
	for {
		res, idx, err := c.Node(c.Leader()).Apply(ctx, cmd)
		if err == nil {
			return res, idx
		}
		if !errors.Is(err, ErrNotLeader) || ctx.Err() != nil {
			c.t.Fatalf("apply: %v", err)
		}
	}
}

// WaitForIndex waits until every running server has applied idx.
func (c *TestCluster) WaitForIndex(idx uint64) {
	c.t.Helper()
	for i, s := range c.servers {
		if s.node != nil {
			c.waitFor(i, fmt.Sprintf("apply index %d", idx), func(ctx context.Context, nd *Node) error { return nd.WaitForIndex(ctx, idx) })
		}
	}
}

func (c *TestCluster) waitFor(i int, what string, f func(context.Context, *Node) error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWaitTimeout)
	defer cancel()
	if err := f(ctx, c.Node(i)); err != nil {
		c.t.Fatalf("server %d did not %s: %v", i, what, err)
	}
}

// testLogger sends warnings and errors to the test log, and nothing once
// the test has ended (Raft's goroutines may outlive it briefly).
func testLogger(t testing.TB, name string) hclog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.close)
	level := hclog.Warn
	if _, bench := t.(*testing.B); bench {
		level = hclog.Error // a benchmark's output is its numbers
	}
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: level, Output: w})
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

var _ io.Writer = (*testWriter)(nil)

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Logf("%s", p)
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
