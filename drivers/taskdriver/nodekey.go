package taskdriver

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// DefaultNodeKeyFile is where the node's receipt key is kept when the
// plugin config names no node_key_file: root's, beside the pool's leases,
// never in an allocation's directory.
const DefaultNodeKeyFile = "/var/lib/hpcbridge-driver/node.key"

// AttrNodeKey is the node attribute that publishes the node's public
// receipt key (receipt.EncodeKey: "ed25519:<base64>"). The coordinator
// registers it the first time it sees the node and verifies the node's
// checkpoint receipts with it.
const AttrNodeKey = "driver." + PluginName + ".node_key"

// loadNodeKey reads the node's ed25519 key from path, creating it (mode
// 0600, its directory 0700) on first use.
func loadNodeKey(path string) (ed25519.PrivateKey, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("node_key_file %q must be an absolute path", path)
	}
	key, err := receipt.LoadOrCreateKey(path)
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	return key, nil
}

// nodeKey is the node's receipt key (nil before SetConfig).
func (d *Driver) nodeKey() ed25519.PrivateKey {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.key
}

// nodeKeyAttr is the public key's attribute value ("" before SetConfig).
func (d *Driver) nodeKeyAttr() string {
	k := d.nodeKey()
	if k == nil {
		return ""
	}
	return receipt.EncodeKey(k.Public().(ed25519.PublicKey))
}
