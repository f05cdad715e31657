package raft

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	hclog "github.com/hashicorp/go-hclog"
	hraft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
)

// Paths inside Config.DataDir.
const (
	boltFile = "raft.db"
	walDir   = "wal"
	lockFile = "LOCK"
)

// logCacheSize is how many recent entries are served from memory when
// replicating to followers.
const logCacheSize = 512

// diskLog is an on-disk Raft log and stable store.
type diskLog interface {
	hraft.LogStore
	hraft.StableStore
	io.Closer
}

// chooseLogStore settles which kind to open: the one already in dataDir,
// which must match kind when kind is set, else kind, else the default.
func chooseLogStore(dataDir, kind string) (string, error) {
	var existing []string
	if exists(filepath.Join(dataDir, boltFile)) {
		existing = append(existing, LogStoreBolt)
	}
	if exists(filepath.Join(dataDir, walDir)) {
		existing = append(existing, LogStoreWAL)
	}
	switch {
	case len(existing) > 1:
		return "", fmt.Errorf("%w: %s holds both a bolt and a wal log", ErrLogStoreMismatch, dataDir)
	case len(existing) == 1 && kind != "" && kind != existing[0]:
		return "", fmt.Errorf("%w: %s holds a %s log, not %s", ErrLogStoreMismatch, dataDir, existing[0], kind)
	case len(existing) == 1:
		return existing[0], nil
	case kind != "":
		return kind, nil
	}
	return DefaultLogStore, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// openLogStore opens (creating if needed) the log of the given kind.
func openLogStore(dataDir, kind string, logger hclog.Logger) (diskLog, error) {
	switch kind {
	case LogStoreBolt:
		s, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dataDir, boltFile)})
		if err != nil {
			return nil, fmt.Errorf("raft: open bolt log: %w", err)
		}
		return s, nil
	case LogStoreWAL:
		dir := filepath.Join(dataDir, walDir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("raft: create wal dir: %w", err)
		}
		s, err := wal.Open(dir, wal.WithLogger(logger.Named("wal")))
		if err != nil {
			return nil, fmt.Errorf("raft: open wal log: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w: LogStore %q", ErrInvalidConfig, kind)
}
