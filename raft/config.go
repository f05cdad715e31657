package raft

import (
	"crypto/tls"
	"fmt"
	"time"

	hclog "github.com/hashicorp/go-hclog"
)

// Log store kinds for Config.LogStore.
const (
	// LogStoreBolt keeps the Raft log and stable state in one bbolt file,
	// raft.db (hashicorp/raft-boltdb/v2).
	LogStoreBolt = "bolt"
	// LogStoreWAL keeps them in append-only segment files under wal/
	// (hashicorp/raft-wal).
	LogStoreWAL = "wal"
	// DefaultLogStore is the kind used when Config.LogStore is empty and the
	// data directory holds no log yet. docs/raft.md has the measurements
	// behind the choice.
	DefaultLogStore = LogStoreWAL
)

// Timing defaults. They suit a LAN or loopback; a WAN needs larger values.
const (
	DefaultHeartbeatTimeout   = time.Second
	DefaultElectionTimeout    = time.Second
	DefaultLeaderLeaseTimeout = 500 * time.Millisecond
	DefaultSnapshotThreshold  = 8192
	DefaultSnapshotInterval   = 2 * time.Minute
	DefaultTrailingLogs       = 10240
)

// retainSnapshots is how many snapshot files are kept on disk.
const retainSnapshots = 2

// Config configures a Node. ID, DataDir and Bind are required.
type Config struct {
	// ID names the server in the cluster configuration; it must be unique
	// and stable across restarts.
	ID string
	// DataDir holds the Raft log (raft.db or wal/) and snapshots/. It is
	// created if missing.
	DataDir string
	// Bind is the TCP address the Raft transport listens on, e.g.
	// "10.0.0.5:7001" or "127.0.0.1:0" (any free port).
	Bind string
	// Advertise is the address other servers dial; empty means the bound
	// address, which then must not be unspecified (0.0.0.0).
	Advertise string
	// Bootstrap makes this server the single voter of a new cluster when
	// DataDir holds no Raft state yet; it is ignored otherwise. Other
	// servers start without it and are added with AddVoter on the leader.
	Bootstrap bool
	// TLS, when set, secures the traffic between servers with mutual TLS:
	// each side presents Certificates and verifies the other's certificate
	// against RootCAs (as a server: ClientCAs, or RootCAs when ClientCAs is
	// nil). Nil means plaintext TCP.
	TLS *tls.Config
	// LogStore is LogStoreBolt or LogStoreWAL. Empty means the kind already
	// in DataDir, or DefaultLogStore for a new one.
	LogStore string
	// Logger receives Raft's logs; nil means Info and above on stderr.
	Logger hclog.Logger

	// HeartbeatTimeout, ElectionTimeout and LeaderLeaseTimeout tune failure
	// detection (zero: the Default values above).
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	// SnapshotThreshold is how many log entries trigger a snapshot;
	// SnapshotInterval how often the check runs; TrailingLogs how many
	// entries stay in the log after a snapshot so slow followers can catch
	// up without one (zero: the Default values above).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64
	// BatchApply turns on hashicorp/raft's BatchApplyCh (a buffered apply
	// queue). Off by default: the leader already writes queued Applies in
	// one batch, and the buffer measured no faster (docs/raft.md).
	BatchApply bool
}

// withDefaults returns c with zero values replaced and checks it.
func (c Config) withDefaults() (Config, error) {
	if c.ID == "" {
		return c, fmt.Errorf("%w: ID is required", ErrInvalidConfig)
	}
	if c.DataDir == "" {
		return c, fmt.Errorf("%w: DataDir is required", ErrInvalidConfig)
	}
	if c.Bind == "" {
		return c, fmt.Errorf("%w: Bind is required", ErrInvalidConfig)
	}
	switch c.LogStore {
	case "", LogStoreBolt, LogStoreWAL:
	default:
		return c, fmt.Errorf("%w: LogStore %q: want %q or %q", ErrInvalidConfig, c.LogStore, LogStoreBolt, LogStoreWAL)
	}
	if c.TLS != nil && len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil {
		return c, fmt.Errorf("%w: TLS needs a certificate: servers authenticate each other", ErrInvalidConfig)
	}
	if c.Logger == nil {
		c.Logger = hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Info})
	}
	setDefault(&c.HeartbeatTimeout, DefaultHeartbeatTimeout)
	setDefault(&c.ElectionTimeout, DefaultElectionTimeout)
	setDefault(&c.LeaderLeaseTimeout, DefaultLeaderLeaseTimeout)
	setDefault(&c.SnapshotThreshold, DefaultSnapshotThreshold)
	setDefault(&c.SnapshotInterval, DefaultSnapshotInterval)
	setDefault(&c.TrailingLogs, DefaultTrailingLogs)
	return c, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
