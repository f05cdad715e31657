package taskdriver

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins/base"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// configure runs SetConfig with conf, as Nomad does at plugin start.
func configure(t *testing.T, d *Driver, conf Config) error {
	t.Helper()
	var data []byte
	if err := base.MsgPackEncode(&data, &conf); err != nil {
		t.Fatal(err)
	}
	return d.SetConfig(&base.Config{PluginConfig: data})
}

// The node key is created on first start (0600, in a 0700 directory),
// kept across restarts, and published as driver.hpcbridge.node_key.
func TestNodeKeyFingerprint(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "state", "node.key")
	d := New(ctx, hclog.NewNullLogger())
	if d.fingerprint().Attributes[AttrNodeKey] != nil {
		t.Fatal("a node key attribute before the plugin was configured")
	}
	if err := configure(t, d, Config{RunAs: RunAsSubmitter, NodeKeyFile: path}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v, want 0700", di.Mode().Perm())
	}
	got, ok := d.fingerprint().Attributes[AttrNodeKey].GetString()
	if !ok {
		t.Fatalf("no %s attribute", AttrNodeKey)
	}
	pub, err := receipt.DecodeKey(got)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(d.nodeKey().Public().(ed25519.PublicKey)) {
		t.Fatal("the published key is not the node key's public half")
	}

	// A restarted plugin publishes the same key.
	d2 := New(ctx, hclog.NewNullLogger())
	if err := configure(t, d2, Config{RunAs: RunAsSubmitter, NodeKeyFile: path}); err != nil {
		t.Fatal(err)
	}
	if again, _ := d2.fingerprint().Attributes[AttrNodeKey].GetString(); again != got {
		t.Fatalf("key after restart %s, want %s", again, got)
	}
}

func TestNodeKeyFileRefused(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := New(ctx, hclog.NewNullLogger())
	if err := configure(t, d, Config{RunAs: RunAsSubmitter, NodeKeyFile: "node.key"}); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("relative node_key_file: %v", err)
	}
	open := filepath.Join(t.TempDir(), "node.key")
	if err := os.WriteFile(open, []byte(strings.Repeat("ab", 32)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := configure(t, d, Config{RunAs: RunAsSubmitter, NodeKeyFile: open}); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("key file readable by others: %v", err)
	}
}
