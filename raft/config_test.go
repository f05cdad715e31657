package raft

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"testing"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

func TestNewRejects(t *testing.T) {
	used := state.New()
	cmd := submitCmd(t, "alice")
	used.Apply(1, cmd)

	boltDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(boltDir, boltFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	good := func() Config {
		return Config{ID: "a", DataDir: t.TempDir(), Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger()}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		store *state.Store
		want  error
	}{
		{"no ID", func(c *Config) { c.ID = "" }, nil, ErrInvalidConfig},
		{"no DataDir", func(c *Config) { c.DataDir = "" }, nil, ErrInvalidConfig},
		{"no Bind", func(c *Config) { c.Bind = "" }, nil, ErrInvalidConfig},
		{"unknown log store", func(c *Config) { c.LogStore = "sqlite" }, nil, ErrInvalidConfig},
		{"TLS without certificate", func(c *Config) { c.TLS = &tls.Config{} }, nil, ErrInvalidConfig},
		{"unspecified bind, no advertise", func(c *Config) { c.Bind = "0.0.0.0:0" }, nil, ErrInvalidConfig},
		{"advertise without port", func(c *Config) { c.Advertise = "127.0.0.1" }, nil, ErrInvalidConfig},
		{"lease longer than heartbeat", func(c *Config) { c.LeaderLeaseTimeout = 2 * DefaultHeartbeatTimeout }, nil, ErrInvalidConfig},
		{"log store of another kind", func(c *Config) { c.DataDir, c.LogStore = boltDir, LogStoreWAL }, nil, ErrLogStoreMismatch},
		{"store not empty", func(*Config) {}, used, ErrStoreNotEmpty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			tc.edit(&cfg)
			store := tc.store
			if store == nil {
				store = state.New()
			}
			n, err := New(cfg, store)
			if err == nil {
				n.Shutdown()
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestChooseLogStore(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing []string // files or dirs in the data dir
		kind     string
		want     string
		err      error
	}{
		{"new dir, default", nil, "", DefaultLogStore, nil},
		{"new dir, bolt", nil, LogStoreBolt, LogStoreBolt, nil},
		{"new dir, wal", nil, LogStoreWAL, LogStoreWAL, nil},
		{"existing bolt kept", []string{boltFile}, "", LogStoreBolt, nil},
		{"existing wal kept", []string{walDir}, "", LogStoreWAL, nil},
		{"existing wal, bolt asked", []string{walDir}, LogStoreBolt, "", ErrLogStoreMismatch},
		{"both", []string{walDir, boltFile}, "", "", ErrLogStoreMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, e := range tc.existing {
				if err := os.Mkdir(filepath.Join(dir, e), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			got, err := chooseLogStore(dir, tc.kind)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("chooseLogStore = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestDataDirInUse(t *testing.T) {
	cfg := Config{ID: "a", DataDir: t.TempDir(), Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger()}
	first, err := New(cfg, state.New())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg, state.New()); !errors.Is(err, ErrDataDirInUse) {
		t.Errorf("second server on the directory: err = %v, want ErrDataDirInUse", err)
	}
	if err := first.Shutdown(); err != nil {
		t.Fatal(err)
	}
	again, err := New(cfg, state.New())
	if err != nil {
		t.Fatalf("after Shutdown the directory is free again: %v", err)
	}
	again.Shutdown()
}
