package nomadexec

import (
	"context"
	"log/slog"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// AttrNodeKey is the node's receipt key, as the hpcbridge driver
// fingerprints it: receipt.EncodeKey of its ed25519 public key.
const AttrNodeKey = "driver." + DriverName + ".node_key"

// Applier commits a command built with state.Encode (the leader's Raft
// node).
type Applier interface {
	Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error)
}

// KeyWatcher registers node keys: in each leader term it follows the
// Nomad node list (a blocking query) and commits a NodeKey register for a
// node whose driver presents a key the replicated state does not hold as
// that node's current key, unless the key was revoked (never registered
// again) or is another node's (refused, logged). It needs one node list
// call per change of any node, not one per node.
type KeyWatcher struct {
	Client *api.Client
	Store  *state.Store
	Raft   Applier
	// Now is the clock (time.Now when nil): a key's first-seen time.
	Now func() time.Time
	// Wait is a blocking query's wait (default 5 minutes); Retry the
	// pause after Nomad or Raft failed (default 5 seconds).
	Wait, Retry time.Duration
	Logger      *slog.Logger
}

// RunTerm watches until ctx ends; Nomad's and Raft's failures are logged
// and retried, never returned (they would end the term's other tasks).
func (w *KeyWatcher) RunTerm(ctx context.Context) error {
	log := w.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wait, retry := w.Wait, w.Retry
	if wait <= 0 {
		wait = 5 * time.Minute
	}
	if retry <= 0 {
		retry = 5 * time.Second
	}
	warned := map[string]string{} // node id -> the key last refused
	var index uint64
	for ctx.Err() == nil {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: wait}).WithContext(ctx)
		stubs, meta, err := w.Client.Nodes().List(q)
		if err == nil {
			err = w.sync(ctx, stubs, warned, log)
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			log.Warn("node keys: watching Nomad nodes failed; retrying", "err", err, "in", retry)
			index = 0
			select {
			case <-ctx.Done():
			case <-time.After(retry):
			}
			continue
		}
		if meta.LastIndex < index {
			index = 0 // Nomad's index went back (a new cluster): read afresh
		} else {
			index = meta.LastIndex
		}
	}
	return nil
}

// sync commits the keys of stubs that the state lacks.
func (w *KeyWatcher) sync(ctx context.Context, stubs []*api.NodeListStub, warned map[string]string, log *slog.Logger) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	keyOf := func(s *api.NodeListStub) string {
		if d := s.Drivers[DriverName]; d != nil {
			return d.Attributes[AttrNodeKey]
		}
		return ""
	}
	// A key two nodes present is registered to neither while neither holds
	// it: a public key is public (Nomad shows every node's attributes),
	// and a node that copies a new node's key before the leader first saw
	// it (a coordinator down while nodes join; the list is in node id
	// order, which a client picks) would take it, and the honest node's
	// receipts would be refused.
	// A donor node's key (donors.go) counts only under the name it joined
	// as (below).
	presenters := map[string]int{}
	for _, s := range stubs {
		if key := keyOf(s); key != "" {
			if dn := w.Store.View().DonorNode(key); dn != nil && dn.NodeName != s.Name {
				continue
			}
			presenters[key]++
		}
	}
	for _, s := range stubs {
		key := keyOf(s)
		if key == "" {
			continue
		}
		if presenters[key] > 1 && w.Store.View().NodeKey(key) == nil {
			if warned[s.ID] != key {
				warned[s.ID] = key
				log.Warn("node keys: several nodes present the same key; registered to none of them", "node", s.Name, "node_id", s.ID, "nodes", presenters[key])
			}
			continue
		}
		if k := w.Store.View().NodeKey(key); k != nil && k.NodeID == s.ID && (k.Current() && k.Node == s.Name || !k.Revoked.IsZero()) {
			continue // known, or revoked: nothing to commit
		} else if k != nil && k.NodeID != s.ID {
			if warned[s.ID] != key {
				warned[s.ID] = key
				log.Warn("node keys: a node presents another node's key; not registered", "node", s.Name, "node_id", s.ID, "owner", k.Node, "owner_id", k.NodeID)
			}
			continue
		}
		// A key a donor's join registered binds the Nomad node to that
		// donor (state.View.DonorOfNode): only under the name it joined
		// as, so that another node that copies the public key before the
		// joined node comes up does not take the donor's node's place.
		dn := w.Store.View().DonorNode(key)
		if dn != nil && dn.NodeName != s.Name {
			if warned[s.ID] != key {
				warned[s.ID] = key
				log.Warn("node keys: a node presents the key a donor's node joined with, under another name; not registered",
					"node", s.Name, "node_id", s.ID, "joined_as", dn.NodeName, "donor", dn.Donor)
			}
			continue
		}
		if _, err := receipt.DecodeKey(key); err != nil {
			if warned[s.ID] != key {
				warned[s.ID] = key
				log.Warn("node keys: a node's key attribute is not a key; not registered", "node", s.Name, "node_id", s.ID, "err", err)
			}
			continue
		}
		cmd, err := state.Encode(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: now().UTC(), NodeID: s.ID, Node: s.Name, Key: key})
		if err != nil {
			if warned[s.ID] != key {
				warned[s.ID] = key
				log.Warn("node keys: not registered", "node", s.Name, "node_id", s.ID, "err", err)
			}
			continue
		}
		res, _, err := w.Raft.Apply(ctx, cmd)
		if err != nil {
			return err
		}
		if res != nil && res.Err != nil {
			if warned[s.ID] != key {
				warned[s.ID] = key
				log.Warn("node keys: not registered", "node", s.Name, "node_id", s.ID, "err", res.Err)
			}
			continue
		}
		if dn != nil {
			log.Info("node key registered", "node", s.Name, "node_id", s.ID, "key", key, "donor", dn.Donor)
		} else {
			log.Info("node key registered", "node", s.Name, "node_id", s.ID, "key", key)
		}
	}
	return nil
}
