// Package state is the coordinator's replicated state: the job queue and its
// history, ACL tokens and counters, checkpoint receipts and their credit,
// donors, and the reward ledger (ledger.go: rates, wallets' credit, epochs
// and their publishing, with its bounds), kept in an indexed in-memory store
// (hashicorp/go-memdb) and changed only by applying commands from the Raft
// log.
//
// Apply is deterministic: every time, id and random value a command needs is
// chosen by the leader and carried in the command; nothing here reads a
// clock or randomness. A command is one type byte, one version byte and a
// JSON payload, registered once in the dispatch table (register.go). The
// log owns its records: what Apply reads is in this package's types
// (JobRecord, Dependency, ArrayRange), made by the leader from the parsed
// spec (package fromspec); entries and snapshots of older releases are
// read by legacy.go. Bytes that cannot be decoded, or a type this build does not
// know, stop the process (a replica that skips a command diverges, which is
// worse than a crash); business failures (no such job, not allowed) are
// returned as results and change nothing.
package state
