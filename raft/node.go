package raft

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"sync"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Errors returned by Node methods (use errors.Is). Errors from hashicorp/raft
// are wrapped in the matching one, so errors.Is works with both.
var (
	// ErrNotLeader: only the leader can do this; Leader says who is.
	ErrNotLeader = errors.New("raft: not the leader")
	// ErrLeadershipLost: this server lost leadership while a command was in
	// flight. The command may or may not have been committed: the new
	// leader decides.
	ErrLeadershipLost = errors.New("raft: leadership lost while committing")
	// ErrShutdown: the node has been shut down.
	ErrShutdown = errors.New("raft: node is shut down")
	// ErrBadCommand: Apply was given bytes that are not a command this build
	// can apply. They never reach the log, where they would stop every
	// replica.
	ErrBadCommand = errors.New("raft: not a valid command")
	// ErrUnknownServer: RemoveServer named a server not in the configuration.
	ErrUnknownServer = errors.New("raft: no such server in the configuration")
	// ErrInvalidConfig: New was given an unusable Config.
	ErrInvalidConfig = errors.New("raft: invalid config")
	// ErrLogStoreMismatch: Config.LogStore names a kind other than the one
	// already in DataDir.
	ErrLogStoreMismatch = errors.New("raft: log store kind does not match the data dir")
	// ErrStoreNotEmpty: New was given a state.Store that already holds
	// state; Raft rebuilds it from the snapshot and the log.
	ErrStoreNotEmpty = errors.New("raft: state store is not empty")
	// ErrDataDirInUse: another server (in this or another process) has
	// Config.DataDir open.
	ErrDataDirInUse = errors.New("raft: data dir is in use by another server")
)

// leaderPoll is how often WaitForLeader looks for a leader.
const leaderPoll = 20 * time.Millisecond

// Node is one coordinator server: a hashicorp/raft instance whose FSM is a
// state.Store. All methods are safe for concurrent use.
type Node struct {
	id      string
	kind    string // log store kind
	raft    *hraft.Raft
	fsm     *fsm
	log     diskLog
	lock    io.Closer // on DataDir
	trans   *hraft.NetworkTransport
	stopped sync.Once
	stopErr error
}

// New starts a server. store must be empty (state.New()): Raft fills it
// from the latest snapshot and the log in cfg.DataDir. With cfg.Bootstrap
// and no Raft state in DataDir, the server becomes the single voter of a
// new cluster and elects itself.
func New(cfg Config, store *state.Store) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rc, err := hraftConfig(cfg)
	if err != nil {
		return nil, err
	}
	if store.View().LatestIndex() != 0 {
		return nil, ErrStoreNotEmpty
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("raft: data dir: %w", err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	n := &Node{id: cfg.ID, fsm: newFSM(store), lock: lock}
	if err := n.start(cfg, rc); err != nil {
		n.closeFiles()
		return nil, err
	}
	return n, nil
}

// hraftConfig turns cfg into hashicorp/raft's configuration.
func hraftConfig(cfg Config) (*hraft.Config, error) {
	rc := hraft.DefaultConfig()
	rc.LocalID = hraft.ServerID(cfg.ID)
	rc.Logger = cfg.Logger
	rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	rc.ElectionTimeout = cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.LeaderLeaseTimeout
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.TrailingLogs = cfg.TrailingLogs
	rc.BatchApplyCh = cfg.BatchApply
	if err := hraft.ValidateConfig(rc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return rc, nil
}

// start opens the log, the snapshot store and the transport, bootstraps
// if asked to, and starts Raft. On error, closeFiles releases what it
// opened.
func (n *Node) start(cfg Config, rc *hraft.Config) error {
	logger := cfg.Logger
	kind, err := chooseLogStore(cfg.DataDir, cfg.LogStore)
	if err != nil {
		return err
	}
	n.kind = kind
	if n.log, err = openLogStore(cfg.DataDir, kind, logger); err != nil {
		return err
	}
	cache, err := hraft.NewLogCache(logCacheSize, n.log)
	if err != nil {
		return fmt.Errorf("raft: log cache: %w", err)
	}
	snaps, err := hraft.NewFileSnapshotStoreWithLogger(cfg.DataDir, retainSnapshots, logger.Named("snapshots"))
	if err != nil {
		return fmt.Errorf("raft: snapshot store: %w", err)
	}
	stream, err := newStreamLayer(cfg.Bind, cfg.Advertise, cfg.TLS)
	if err != nil {
		return err
	}
	n.trans = hraft.NewNetworkTransportWithConfig(&hraft.NetworkTransportConfig{
		Stream:  stream,
		MaxPool: transportMaxPool,
		Timeout: transportTimeout,
		Logger:  logger.Named("transport"),
	})

	if cfg.Bootstrap {
		has, err := hraft.HasExistingState(cache, n.log, snaps)
		if err != nil {
			return fmt.Errorf("raft: look for existing state: %w", err)
		}
		if !has {
			conf := hraft.Configuration{Servers: []hraft.Server{{
				Suffrage: hraft.Voter, ID: rc.LocalID, Address: n.trans.LocalAddr(),
			}}}
			if err := hraft.BootstrapCluster(rc, cache, n.log, snaps, n.trans, conf); err != nil {
				return fmt.Errorf("raft: bootstrap: %w", err)
			}
		}
	}
	n.raft, err = hraft.NewRaft(rc, n.fsm, cache, n.log, snaps, n.trans)
	if err != nil {
		return fmt.Errorf("raft: start: %w", err)
	}
	return nil
}

// closeFiles closes the transport (when Raft has not taken it over), the
// log and the data dir lock.
func (n *Node) closeFiles() error {
	var errs []error
	if n.raft == nil && n.trans != nil {
		errs = append(errs, n.trans.Close())
	}
	if n.log != nil {
		errs = append(errs, n.log.Close())
	}
	errs = append(errs, n.lock.Close())
	return errors.Join(errs...)
}

// ID is this server's id.
func (n *Node) ID() string { return n.id }

// Addr is the address other servers dial to reach this one.
func (n *Node) Addr() string { return string(n.trans.LocalAddr()) }

// Apply commits a command (built with state.Encode) through the log and
// returns the store's result and the entry's index. Only the leader can
// apply: other servers return ErrNotLeader. A business failure (no such
// job, not allowed) is the result's Err; the error is for failures to
// commit. When ctx ends first, Apply returns ctx's error, and the command
// may still be committed.
func (n *Node) Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error) {
	if err := checkCommand(cmd); err != nil {
		return nil, 0, err
	}
	if err := n.leaderOnly(ctx); err != nil {
		return nil, 0, err
	}
	f := n.raft.Apply(cmd, timeout(ctx))
	if err := wait(ctx, f); err != nil {
		return nil, 0, err
	}
	res, ok := f.Response().(*state.Result)
	if !ok {
		return nil, f.Index(), fmt.Errorf("raft: entry %d: the state store returned %T", f.Index(), f.Response())
	}
	return res, f.Index(), nil
}

// checkCommand rejects bytes that would stop every replica when applied:
// too short, an unknown command type or version, or a payload that is not
// JSON. state.Encode writes the newest version a type has, so encoding an
// empty payload tells which versions this build knows.
func checkCommand(cmd []byte) error {
	if err := state.Check(cmd); err != nil {
		return fmt.Errorf("%w: %w", ErrBadCommand, err)
	}
	return nil
}

// IsLeader reports whether this server is the leader now.
func (n *Node) IsLeader() bool { return n.raft.State() == hraft.Leader }

// Leader returns the current leader's id and Raft address as this server
// knows them; both are empty when there is none.
func (n *Node) Leader() (id, raftAddr string) {
	addr, sid := n.raft.LeaderWithID()
	return string(sid), string(addr)
}

// LeaderCh delivers true when this server becomes leader and false when it
// stops being leader. It has one slot that keeps only the latest change, so
// a slow reader sees the current state rather than every transition; read
// it from one goroutine (the scheduler loop) and check IsLeader on start.
func (n *Node) LeaderCh() <-chan bool { return n.raft.LeaderCh() }

// WaitForLeader blocks until this server knows a leader (itself or
// another), or ctx ends.
func (n *Node) WaitForLeader(ctx context.Context) error {
	t := time.NewTicker(leaderPoll)
	defer t.Stop()
	for {
		if id, _ := n.Leader(); id != "" {
			return nil
		}
		if n.raft.State() == hraft.Shutdown {
			return ErrShutdown
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("raft: wait for leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// WaitForIndex blocks until the local store has applied the entry at idx,
// an index returned by Apply, or ctx ends. Followers use it to serve reads
// at least as new as a write they were told about. (Entries that are not
// commands, such as a new leader's no-op, do not count: on the leader, use
// Barrier to catch up with everything committed.)
func (n *Node) WaitForIndex(ctx context.Context, idx uint64) error {
	for {
		applied, changed := n.fsm.appliedIndex()
		if applied >= idx {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("raft: wait for index %d (applied %d): %w", idx, applied, ctx.Err())
		case <-changed:
		}
	}
}

// AppliedIndex is the index of the last entry the local store has applied.
func (n *Node) AppliedIndex() uint64 {
	idx, _ := n.fsm.appliedIndex()
	return idx
}

// Barrier blocks until every entry committed before the call is applied to
// the local store. On the leader, a read after Barrier sees every write
// acknowledged to any client (?consistent reads). Leader only.
func (n *Node) Barrier(ctx context.Context) error {
	if err := n.leaderOnly(ctx); err != nil {
		return err
	}
	return wait(ctx, n.raft.Barrier(timeout(ctx)))
}

// AddVoter adds a server as a voter, changes the address of a known id, or
// promotes a non-voter; adding a voter already at addr does nothing. A
// different server recorded at addr (a machine rebuilt under a new id) is
// removed first. Leader only.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	if err := n.leaderOnly(ctx); err != nil {
		return err
	}
	servers, err := n.configuration(ctx)
	if err != nil {
		return err
	}
	sid, saddr := hraft.ServerID(id), hraft.ServerAddress(addr)
	for _, s := range servers {
		switch {
		case s.ID == sid && s.Address == saddr && s.Suffrage == hraft.Voter:
			return nil
		case s.ID != sid && s.Address == saddr:
			if string(s.ID) == n.id {
				return fmt.Errorf("raft: add voter %s: %s is the leader's own address", id, addr)
			}
			if err := wait(ctx, n.raft.RemoveServer(s.ID, 0, timeout(ctx))); err != nil {
				return fmt.Errorf("raft: remove %s, which held %s before: %w", s.ID, addr, err)
			}
		}
	}
	if err := wait(ctx, n.raft.AddVoter(sid, saddr, 0, timeout(ctx))); err != nil {
		return fmt.Errorf("raft: add voter %s at %s: %w", id, addr, err)
	}
	return nil
}

// RemoveServer removes a server from the cluster; it returns
// ErrUnknownServer when the configuration does not name it. A removed
// server that learns of its removal shuts itself down (the others ignore
// it either way); removing the leader makes it step down. Leader only.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	if err := n.leaderOnly(ctx); err != nil {
		return err
	}
	servers, err := n.configuration(ctx)
	if err != nil {
		return err
	}
	for _, s := range servers {
		if s.ID == hraft.ServerID(id) {
			if err := wait(ctx, n.raft.RemoveServer(s.ID, 0, timeout(ctx))); err != nil {
				return fmt.Errorf("raft: remove %s: %w", id, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrUnknownServer, id)
}

// Server is one member of the cluster configuration.
type Server struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Voter   bool   `json:"voter"`
	Leader  bool   `json:"leader"`
}

// Servers returns the cluster configuration as this server knows it, with
// the leader marked.
func (n *Node) Servers() ([]Server, error) {
	servers, err := n.configuration(context.Background())
	if err != nil {
		return nil, err
	}
	leader, _ := n.Leader()
	out := make([]Server, 0, len(servers))
	for _, s := range servers {
		out = append(out, Server{
			ID:      string(s.ID),
			Address: string(s.Address),
			Voter:   s.Suffrage == hraft.Voter,
			Leader:  leader != "" && string(s.ID) == leader,
		})
	}
	return out, nil
}

func (n *Node) configuration(ctx context.Context) ([]hraft.Server, error) {
	f := n.raft.GetConfiguration()
	if err := wait(ctx, f); err != nil {
		return nil, fmt.Errorf("raft: configuration: %w", err)
	}
	return f.Configuration().Servers, nil
}

// TransferLeadership hands leadership to the voter with id, or, with id
// "", to the most up-to-date other voter, and returns once that server
// leads or the transfer failed. Leader only.
func (n *Node) TransferLeadership(ctx context.Context, id string) error {
	if err := n.leaderOnly(ctx); err != nil {
		return err
	}
	if id == "" {
		return wait(ctx, n.raft.LeadershipTransfer())
	}
	servers, err := n.configuration(ctx)
	if err != nil {
		return err
	}
	for _, s := range servers {
		if string(s.ID) == id {
			return wait(ctx, n.raft.LeadershipTransferToServer(s.ID, s.Address))
		}
	}
	return fmt.Errorf("raft: transfer leadership: no server %q in the configuration", id)
}

// Snapshot takes a snapshot now and compacts the log down to
// Config.TrailingLogs entries; it fails (wrapping
// hashicorp/raft's ErrNothingNewToSnapshot) when nothing was applied since
// the last one. Raft also takes snapshots by itself every
// Config.SnapshotThreshold entries.
func (n *Node) Snapshot() error {
	return translate(n.raft.Snapshot().Error())
}

// Stats returns hashicorp/raft's counters (state, term, last_log_index,
// applied_index, ...) plus this node's log_store, fsm_applied_index and id.
func (n *Node) Stats() map[string]string {
	st := maps.Clone(n.raft.Stats())
	st["id"] = n.id
	st["log_store"] = n.kind
	st["fsm_applied_index"] = strconv.FormatUint(n.AppliedIndex(), 10)
	return st
}

// Shutdown stops the server and closes its log; it does not leave the
// cluster (use RemoveServer on the leader for that). Calling it again
// returns the first call's result.
func (n *Node) Shutdown() error {
	n.stopped.Do(func() {
		err := n.raft.Shutdown().Error() // also closes the transport
		n.stopErr = errors.Join(err, n.closeFiles())
	})
	return n.stopErr
}

// leaderOnly returns ctx's error, ErrShutdown or ErrNotLeader when a
// leader-only operation cannot start.
func (n *Node) leaderOnly(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch n.raft.State() {
	case hraft.Leader:
		return nil
	case hraft.Shutdown:
		return ErrShutdown
	}
	return ErrNotLeader
}

// timeout turns ctx's deadline into the enqueue timeout hraft takes
// (0: none).
func timeout(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(time.Until(dl), time.Millisecond)
}

// wait waits for a future or ctx. The helper goroutine ends when the future
// resolves, which hraft guarantees (at the latest with ErrRaftShutdown).
func wait(ctx context.Context, f hraft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return translate(err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// translate wraps hashicorp/raft's errors in this package's sentinels.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hraft.ErrNotLeader), errors.Is(err, hraft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	case errors.Is(err, hraft.ErrLeadershipLost):
		return fmt.Errorf("%w: %w", ErrLeadershipLost, err)
	case errors.Is(err, hraft.ErrRaftShutdown):
		return fmt.Errorf("%w: %w", ErrShutdown, err)
	}
	return err
}
