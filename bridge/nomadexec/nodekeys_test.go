package nomadexec

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// countingRaft counts the commands the watcher commits.
type countingRaft struct {
	directRaft
	n atomic.Int64
}

func (r *countingRaft) Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error) {
	r.n.Add(1)
	return r.directRaft.Apply(ctx, cmd)
}

// TestKeyWatcherOnNomad: a real Nomad client with the hpcbridge driver
// (its node_key_file in the test's directory) publishes its key; the
// leader's watcher registers it once, under the node's id and name. Seen
// again it commits nothing; once revoked it is never registered again;
// another node presenting the same key is not registered (and logged).
func TestKeyWatcherOnNomad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad agent: skipped with -short")
	}
	nomadtest.Require(t)
	dir := t.TempDir()
	plugins := filepath.Join(dir, "plugins")
	if b, err := exec.Command("go", "build", "-o", filepath.Join(plugins, "hpcbridge-driver"), "../../cmd/hpcbridge-driver").CombinedOutput(); err != nil {
		t.Fatalf("go build the task driver: %v\n%s", err, b)
	}
	keyFile := filepath.Join(dir, "node.key")
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: t.TempDir(), PluginDir: plugins,
		Plugins: []nomadagent.Plugin{{Name: "hpcbridge-driver", Config: map[string]any{"node_key_file": keyFile}}}, Drivers: []string{DriverName}})
	store := state.New()
	raft := &countingRaft{directRaft: directRaft{store: store}}
	var logs syncBuf
	w := &KeyWatcher{Client: agent.API(), Store: store, Raft: raft, Wait: time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	term, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.RunTerm(term) })
	defer func() { stop(); wg.Wait() }()

	var k *state.NodeKey
	for k == nil {
		changed := store.WatchJobs()
		k = store.View().CurrentNodeKey(agent.NodeID())
		if k != nil {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("the node's key was never registered:\n%s", logs.String())
		}
	}
	stop()
	wg.Wait()
	priv, err := receipt.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	want := receipt.EncodeKey(priv.Public().(ed25519.PublicKey))
	info, _, err := agent.API().Nodes().Info(agent.NodeID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.Key != want || k.Node != info.Name {
		t.Fatalf("registered %+v; want key %s of node %s", k, want, info.Name)
	}

	stubs, _, err := agent.API().Nodes().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	warned := map[string]string{}
	before := raft.n.Load()
	if err := w.sync(ctx, stubs, warned, w.Logger); err != nil || raft.n.Load() != before {
		t.Fatalf("a known key was committed again (%d commits, %v)", raft.n.Load()-before, err)
	}
	raft.applier(ctx, t)(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRevoke, Time: time.Now(), Node: info.Name, By: state.Actor{Management: true}})
	before = raft.n.Load()
	if err := w.sync(ctx, stubs, warned, w.Logger); err != nil || raft.n.Load() != before {
		t.Fatalf("a revoked key was committed again (%d commits, %v)", raft.n.Load()-before, err)
	}
	// Another node with the same key.
	twin := *stubs[0]
	twin.ID, twin.Name = "00000000-0000-0000-0000-000000000001", "twin"
	twin.Drivers = map[string]*api.DriverInfo{DriverName: stubs[0].Drivers[DriverName]}
	if err := w.sync(ctx, []*api.NodeListStub{&twin}, warned, w.Logger); err != nil {
		t.Fatal(err)
	}
	if store.View().CurrentNodeKey(twin.ID) != nil || !strings.Contains(logs.String(), "another node's key") {
		t.Fatalf("the twin's key: %+v\n%s", store.View().NodeKeysOf(twin.ID), logs.String())
	}
}

// Two nodes present one key the leader has not registered (one copied
// the other's public key from Nomad before the leader first saw it): it
// is registered to neither, and logged; once one holds it (it was seen
// alone first), the other is the one refused.
func TestKeyWatcherSameKeyTwice(t *testing.T) {
	store := state.New()
	raft := &countingRaft{directRaft: directRaft{store: store}}
	var logs syncBuf
	w := &KeyWatcher{Store: store, Raft: raft, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	key := receipt.EncodeKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	stub := func(id, name string) *api.NodeListStub {
		return &api.NodeListStub{ID: id, Name: name, Drivers: map[string]*api.DriverInfo{DriverName: {Attributes: map[string]string{AttrNodeKey: key}}}}
	}
	copycat, honest := stub("00000000-0000-0000-0000-000000000000", "copycat"), stub("8f1c6d2e-0000-4000-8000-000000000001", "gpu1")
	ctx := context.Background()
	if err := w.sync(ctx, []*api.NodeListStub{copycat, honest}, map[string]string{}, w.Logger); err != nil {
		t.Fatal(err)
	}
	if k := store.View().NodeKey(key); k != nil || raft.n.Load() != 0 || !strings.Contains(logs.String(), "several nodes present the same key") {
		t.Fatalf("a key two nodes present was registered to %+v (%d commits)\n%s", k, raft.n.Load(), logs.String())
	}
	if err := w.sync(ctx, []*api.NodeListStub{honest}, map[string]string{}, w.Logger); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(ctx, []*api.NodeListStub{copycat, honest}, map[string]string{}, w.Logger); err != nil {
		t.Fatal(err)
	}
	if k := store.View().CurrentNodeKey(honest.ID); k == nil || k.Key != key || store.View().CurrentNodeKey(copycat.ID) != nil {
		t.Fatalf("keys: %+v", store.View().NodeKeys())
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
