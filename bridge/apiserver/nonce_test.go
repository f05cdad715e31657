package apiserver

import (
	"fmt"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// TestNonceCacheOneNodeCannotFillIt: the leader remembers the nonces of
// node-signed leaves and rejoins (replays refused). A hostile donor's
// node, with its own key, signs as many fresh requests as it likes: it
// must not fill the leader's memory, nor the cache for every other node
// (whose leaves would then be refused for ten minutes: a pilot job could
// not leave before Slurm's time limit). Each node has its own bound.
func TestNonceCacheOneNodeCannotFillIt(t *testing.T) {
	var c nonceCache
	now := time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC)
	for i := range 1 << 16 {
		_ = c.take("evil", fmt.Sprintf("%032x", i), now)
	}
	if err := c.take("good", "00000000000000000000000000000001", now); err != nil {
		t.Fatalf("another node's leave after the flood: %v", err)
	}
	if err := c.take("good", "00000000000000000000000000000001", now); err == nil {
		t.Fatal("a replayed nonce was taken")
	}
	if err := c.take("evil", "ffffffffffffffffffffffffffffffff", now); err == nil {
		t.Fatal("the flooding node is not bounded")
	}
	if n := c.size(); n > 2*maxNoncesPerNode {
		t.Fatalf("the cache holds %d nonces", n)
	}
	// Once its nonces are older than twice the skew (their requests are
	// refused as stale anyway), the node may sign changes again.
	later := now.Add(2*api.NodeRequestSkew + time.Second)
	if err := c.take("evil", "ffffffffffffffffffffffffffffffff", later); err != nil {
		t.Fatalf("later: %v", err)
	}
}
