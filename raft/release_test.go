package raft

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestReleaseDataDirLoads starts a server on a copy of a data directory
// that a released build wrote (testdata/release-*/README.md): a bolt log, a
// snapshot in the middle of it and entries after the snapshot. The server
// restores the snapshot, replays the log and reaches the state the release
// had when it stopped.
func TestReleaseDataDirLoads(t *testing.T) {
	const dir = "testdata/release-7ff40b4"
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dataDir, os.DirFS(filepath.Join(dir, "datadir"))); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "last-index"))
	if err != nil {
		t.Fatal(err)
	}
	last, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "state.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	store := state.New()
	n, err := New(Config{
		ID: "coord1", DataDir: dataDir, Bind: "127.0.0.1:0",
		HeartbeatTimeout: testTimeout, ElectionTimeout: testTimeout, LeaderLeaseTimeout: testTimeout,
	}, store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Shutdown(); err != nil {
			t.Error(err)
		}
	})
	if got := n.Stats()["log_store"]; got != LogStoreBolt {
		t.Errorf("log store %q, want %q (the data directory's)", got, LogStoreBolt)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWaitTimeout)
	defer cancel()
	if err := n.WaitForIndex(ctx, last); err != nil {
		t.Fatalf("wait for index %d: %v", last, err)
	}
	if got := persist(t, store); !bytes.Equal(got, want) {
		t.Errorf("state after loading the release's data directory differs (%d bytes, want %d):\n%s", len(got), len(want), got)
	}
}
