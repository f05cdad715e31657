package state

import (
	"errors"
	"fmt"
	"slices"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// Node keys. Every Nomad client that runs the hpcbridge driver has its own
// ed25519 key, made on the node; the driver publishes the public key as a
// node attribute and the leader registers it here (NodeKey register) the
// first time it sees it, keyed by the Nomad node id. Receipts a node signs
// are verified with its current key; a management token can revoke a key
// (NodeKey revoke), after which no receipt it signs is credited and the
// watcher never registers it again. A node that presents a new key (its
// key file was replaced) gets the new key registered as its current one:
// the old one is kept as superseded (the last MaxOldNodeKeys of them, and
// every revoked one).

// NodeKey operations.
const (
	NodeKeyRegister = "register"
	NodeKeyRevoke   = "revoke"
)

// Bounds of the node key records.
const (
	// MaxOldNodeKeys caps the superseded (not revoked) keys a node keeps;
	// past it the oldest is dropped.
	MaxOldNodeKeys = 8
	// MaxNodeIDLen and MaxNodeNameLen bound a node's id and name.
	MaxNodeIDLen   = 64
	MaxNodeNameLen = 256
)

// Node key errors (in Result.Err).
var (
	// ErrKeyRevoked: the key was revoked; it is never registered again.
	ErrKeyRevoked = errors.New("node key revoked")
	// ErrKeyOtherNode: the key is registered to another node.
	ErrKeyOtherNode = errors.New("node key registered to another node")
)

// NodeKey is one registered public key of a Nomad node.
type NodeKey struct {
	// Key is the public key as receipt.EncodeKey writes it.
	Key string `json:"key"`
	// NodeID is the Nomad node's id, Node its name when registered.
	NodeID string `json:"node_id"`
	Node   string `json:"node"`
	// FirstSeen is when the leader first saw the key on the node.
	FirstSeen time.Time `json:"first_seen"`
	// Superseded is when a newer key of the node was registered (zero
	// for the node's current key).
	Superseded time.Time `json:"superseded,omitzero"`
	// Revoked is when a management token revoked the key (zero: not
	// revoked), RevokedBy who did.
	Revoked   time.Time `json:"revoked,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`

	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// Current reports whether k is its node's key now (not superseded, not
// revoked): the only key receipts are verified with.
func (k *NodeKey) Current() bool { return k.Superseded.IsZero() && k.Revoked.IsZero() }

// NodeKeyCmd registers a node's key (Op register: NodeID, Node, Key, Time
// the leader saw it) or revokes one (Op revoke, management only: Node is
// the node's name or id; Key, when set, the key to revoke, else the
// node's current key).
type NodeKeyCmd struct {
	Op     string    `json:"op"`
	Time   time.Time `json:"time"`
	NodeID string    `json:"node_id,omitempty"`
	Node   string    `json:"node,omitempty"`
	Key    string    `json:"key,omitempty"`
	By     Actor     `json:"by"`
}

// validate refuses a command over its bounds (Encode calls it).
func (c NodeKeyCmd) validate() error {
	switch c.Op {
	case NodeKeyRegister:
		if c.NodeID == "" || len(c.NodeID) > MaxNodeIDLen || !printable(c.NodeID) {
			return fmt.Errorf("node id %.40q: want 1 to %d printable characters", c.NodeID, MaxNodeIDLen)
		}
		if c.Node == "" || len(c.Node) > MaxNodeNameLen || !printable(c.Node) {
			return fmt.Errorf("node name %.40q: want 1 to %d printable characters", c.Node, MaxNodeNameLen)
		}
		if _, err := receipt.DecodeKey(c.Key); err != nil {
			return err
		}
	case NodeKeyRevoke:
		if c.Node == "" || len(c.Node) > MaxNodeNameLen {
			return fmt.Errorf("node %.40q: want 1 to %d bytes", c.Node, MaxNodeNameLen)
		}
		if c.Key != "" {
			if _, err := receipt.DecodeKey(c.Key); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("node key operation %q: want register or revoke", c.Op)
	}
	return nil
}

func (a *applier) putNodeKey(k *NodeKey) {
	if k.CreateIndex == 0 {
		k.CreateIndex = a.index
	}
	k.ModifyIndex = a.index
	if err := a.txn.Insert(tableNodeKeys, k); err != nil {
		panic(fmt.Sprintf("state: insert node key of %s: %v", k.NodeID, err))
	}
}

// nodeKeysOf lists the keys of node id, oldest first.
func nodeKeysOf(txn *memdb.Txn, nodeID string) []*NodeKey {
	it, err := txn.Get(tableNodeKeys, "node", nodeID)
	if err != nil {
		panic(err)
	}
	var out []*NodeKey
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*NodeKey))
	}
	slices.SortFunc(out, func(a, b *NodeKey) int { return cmpUint(a.CreateIndex, b.CreateIndex) })
	return out
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// applyNodeKey registers or revokes a node key (version 1).
func applyNodeKey(a *applier, _ uint8, c *NodeKeyCmd) *Result {
	if err := c.validate(); err != nil {
		return &Result{Err: err}
	}
	if c.Op == NodeKeyRevoke {
		return a.revokeNodeKey(c)
	}
	if raw, _ := a.txn.First(tableNodeKeys, "id", c.Key); raw != nil {
		k := raw.(*NodeKey)
		switch {
		case k.NodeID != c.NodeID:
			return &Result{Err: fmt.Errorf("%s: %w (%s)", c.Node, ErrKeyOtherNode, k.Node)}
		case !k.Revoked.IsZero():
			return &Result{Err: fmt.Errorf("%s: %w at %s", c.Node, ErrKeyRevoked, k.Revoked.Format(time.RFC3339))}
		case k.Current() && k.Node == c.Node:
			return &Result{} // known
		case k.Current():
			cp := *k
			cp.Node = c.Node // the node was renamed
			a.putNodeKey(&cp)
			return &Result{Value: cp.Key}
		}
		// A superseded key back in use: it is current again.
	}
	keys := nodeKeysOf(a.txn, c.NodeID)
	var old []*NodeKey
	var again *NodeKey
	for _, k := range keys {
		switch {
		case k.Key == c.Key:
			again = k
		case k.Current():
			cp := *k
			cp.Superseded = c.Time
			a.putNodeKey(&cp)
			old = append(old, &cp)
		case k.Revoked.IsZero():
			old = append(old, k)
		}
	}
	if again != nil {
		cp := *again
		cp.Superseded, cp.Node = time.Time{}, c.Node
		a.putNodeKey(&cp)
	} else {
		a.putNodeKey(&NodeKey{Key: c.Key, NodeID: c.NodeID, Node: c.Node, FirstSeen: c.Time})
	}
	// Keep the newest MaxOldNodeKeys superseded keys (revoked ones stay).
	slices.SortStableFunc(old, func(x, y *NodeKey) int {
		if c := x.Superseded.Compare(y.Superseded); c != 0 {
			return c
		}
		return cmpUint(x.CreateIndex, y.CreateIndex)
	})
	for len(old) > MaxOldNodeKeys {
		if err := a.txn.Delete(tableNodeKeys, old[0]); err != nil {
			panic(err)
		}
		old = old[1:]
	}
	return &Result{Value: c.Key}
}

// revokeNodeKey is NodeKey revoke.
func (a *applier) revokeNodeKey(c *NodeKeyCmd) *Result {
	if !c.By.Management {
		return &Result{Err: fmt.Errorf("revoke a node key: %w (management token only)", ErrPermission)}
	}
	keys := nodeKeysOf(a.txn, c.Node)
	if len(keys) == 0 {
		it, err := a.txn.Get(tableNodeKeys, "name", c.Node)
		if err != nil {
			panic(err)
		}
		ids := map[string]bool{}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			ids[raw.(*NodeKey).NodeID] = true
		}
		if len(ids) > 1 {
			return &Result{Err: fmt.Errorf("node name %s is held by %d nodes: give the node id", c.Node, len(ids))}
		}
		for id := range ids {
			keys = nodeKeysOf(a.txn, id)
		}
	}
	var target *NodeKey
	for _, k := range keys {
		if (c.Key == "" && k.Current()) || (c.Key != "" && k.Key == c.Key) {
			target = k
		}
	}
	if target == nil {
		what := "a current key"
		if c.Key != "" {
			what = "key " + c.Key
		}
		return &Result{Err: fmt.Errorf("node %s has no %s: %w", c.Node, what, ErrNotFound)}
	}
	if !target.Revoked.IsZero() {
		return &Result{Err: fmt.Errorf("node %s key: %w already", c.Node, ErrKeyRevoked)}
	}
	cp := *target
	cp.Revoked, cp.RevokedBy = c.Time, c.By.User
	if cp.RevokedBy == "" {
		cp.RevokedBy = "management"
	}
	a.putNodeKey(&cp)
	return &Result{Value: cp.Key}
}

// NodeKeys lists every registered node key, by node id then age.
func (v *View) NodeKeys() []*NodeKey {
	it, err := v.txn.Get(tableNodeKeys, "id")
	if err != nil {
		return nil
	}
	var out []*NodeKey
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*NodeKey))
	}
	slices.SortStableFunc(out, func(a, b *NodeKey) int {
		if a.NodeID != b.NodeID {
			if a.NodeID < b.NodeID {
				return -1
			}
			return 1
		}
		return cmpUint(a.CreateIndex, b.CreateIndex)
	})
	return out
}

// NodeKeysOf lists node id's keys, oldest first.
func (v *View) NodeKeysOf(nodeID string) []*NodeKey {
	return nodeKeysOf(v.txn, nodeID)
}

// CurrentNodeKey is node id's current key, or nil (none registered, or
// its current one revoked).
func (v *View) CurrentNodeKey(nodeID string) *NodeKey {
	for _, k := range v.NodeKeysOf(nodeID) {
		if k.Current() {
			return k
		}
	}
	return nil
}

// NodeKey returns the record of a key, or nil.
func (v *View) NodeKey(key string) *NodeKey {
	raw, err := v.txn.First(tableNodeKeys, "id", key)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*NodeKey)
}
