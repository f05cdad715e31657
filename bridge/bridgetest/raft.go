// Package bridgetest runs the hpcbridge API in-process for tests: a fake
// Raft cluster that applies commands straight to state stores, a recording
// Signaller, and a ready server with a bootstrapped management token.
//
// The fake commits synchronously and never fails; it checks the API, not
// consensus. The raft package's TestCluster is the real thing.
package bridgetest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// ErrNotLeader is what a follower's Apply, Barrier, AddVoter and
// RemoveServer return; it wraps raft.ErrNotLeader, as the real node's does.
var ErrNotLeader = fmt.Errorf("bridgetest: %w", raft.ErrNotLeader)

// Cluster is an in-memory stand-in for a Raft cluster: one log, applied in
// order to every member's store as soon as the leader appends it.
type Cluster struct {
	mu      sync.Mutex
	index   uint64
	leader  string
	members []*Raft // with stores, in join order
	servers []api.RaftServer
}

// NewCluster returns an empty cluster.
func NewCluster() *Cluster { return &Cluster{} }

// Add adds a server with its own empty store; the first one added leads.
// Entries already in the log are not replayed: add every server before the
// first Apply.
func (c *Cluster) Add(id, raftAddr string) *Raft {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &Raft{c: c, id: id, addr: raftAddr, store: state.New()}
	c.members = append(c.members, n)
	c.servers = append(c.servers, api.RaftServer{ID: id, Address: raftAddr, Voter: true})
	if c.leader == "" {
		c.leader = id
	}
	return n
}

// SetLeader makes the server with this id the leader ("" for none).
func (c *Cluster) SetLeader(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leader = id
}

// Raft is one server of a Cluster; it implements apiserver.Raft.
type Raft struct {
	c     *Cluster
	id    string
	addr  string
	store *state.Store
}

var _ apiserver.Raft = (*Raft)(nil)

// Store is the server's state store.
func (n *Raft) Store() *state.Store { return n.store }

// ID is the server's id.
func (n *Raft) ID() string { return n.id }

// Apply appends cmd to the log and applies it to every member's store.
func (n *Raft) Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader != n.id {
		return nil, 0, ErrNotLeader
	}
	c.index++
	var res *state.Result
	for _, m := range c.members {
		r := m.store.Apply(c.index, cmd)
		if m == n {
			res = r
		}
	}
	return res, c.index, nil
}

// IsLeader reports whether this server leads.
func (n *Raft) IsLeader() bool {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	return n.c.leader == n.id
}

// Leader returns the leader's id and Raft address.
func (n *Raft) Leader() (id, raftAddr string) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	for _, s := range n.c.servers {
		if s.ID == n.c.leader {
			return s.ID, s.Address
		}
	}
	return "", ""
}

// WaitForIndex waits until the store has applied idx.
func (n *Raft) WaitForIndex(ctx context.Context, idx uint64) error {
	for {
		changed := n.store.WatchJobs()
		if n.store.View().LatestIndex() >= idx {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bridgetest: wait for index %d: %w", idx, ctx.Err())
		case <-changed:
		}
	}
}

// Barrier returns at once on the leader: every store is always current.
func (n *Raft) Barrier(context.Context) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	return nil
}

// AddVoter adds a server to the configuration (without a store).
func (n *Raft) AddVoter(_ context.Context, id, addr string) error {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader != n.id {
		return ErrNotLeader
	}
	c.servers = slices.DeleteFunc(c.servers, func(s api.RaftServer) bool { return s.ID == id || s.Address == addr })
	c.servers = append(c.servers, api.RaftServer{ID: id, Address: addr, Voter: true})
	return nil
}

// RemoveServer removes a server from the configuration and stops
// replicating to it.
func (n *Raft) RemoveServer(_ context.Context, id string) error {
	c := n.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader != n.id {
		return ErrNotLeader
	}
	c.servers = slices.DeleteFunc(c.servers, func(s api.RaftServer) bool { return s.ID == id })
	c.members = slices.DeleteFunc(c.members, func(m *Raft) bool { return m.id == id })
	if c.leader == id {
		c.leader = ""
	}
	return nil
}

// Servers lists the configuration with the leader marked (for
// apiserver.Config.Servers).
func (n *Raft) Servers() ([]api.RaftServer, error) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	out := slices.Clone(n.c.servers)
	for i := range out {
		out[i].Leader = out[i].ID == n.c.leader
	}
	return out, nil
}

// Signal is one signal request a Signaller recorded.
type Signal struct {
	JobID  uint64
	Signal string
	Scope  sched.SignalScope
}

// Signaller records signal requests (apiserver.Signaller).
type Signaller struct {
	mu   sync.Mutex
	sent []Signal
}

var _ apiserver.Signaller = (*Signaller)(nil)

// Signal records the request.
func (s *Signaller) Signal(_ context.Context, jobID uint64, sig string, scope sched.SignalScope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, Signal{JobID: jobID, Signal: sig, Scope: scope})
	return nil
}

// Sent returns the requests recorded so far.
func (s *Signaller) Sent() []Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}
