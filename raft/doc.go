// Package raft runs the coordinator's consensus: a hashicorp/raft node
// whose finite state machine is the replicated job store (package
// raft/state).
//
// A Node owns everything below the store: the on-disk Raft log and stable
// store (raft-wal by default, or raft-boltdb), file snapshots (the latest
// two are kept), and a TCP transport between servers that can be wrapped in
// mutual TLS. The FSM adapter adds no state of its own: it hands each
// committed command and its log index to state.Store.Apply, and snapshots
// and restores the store as a whole. On start Raft rebuilds the store from
// the latest snapshot and the log after it, so New takes an empty store.
//
// Writes go through Node.Apply on the leader and return once the command is
// committed and applied locally, with the store's result. Reads are served
// from the local store: Barrier on the leader gives a read that sees every
// acknowledged write, WaitForIndex on any server one that sees a given
// write. LeaderCh tells the scheduler loop when to start and stop.
//
// A cluster starts with one server that has Config.Bootstrap set; the
// others start empty and are added with AddVoter on the leader.
// docs/raft.md describes operations and the measurements behind the
// defaults. TestCluster runs several servers in one process for tests.
package raft
