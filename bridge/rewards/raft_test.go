package rewards

import (
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestFailoverRealRaft is the crash window on a real three-server Raft
// cluster: the leader's publish of epoch 1 lands, and the leader's server
// stops before it records it; the intent is in the new leader's log, and
// the new leader records the epoch from the chain with nothing sent, then
// publishes epoch 2 with one transaction.
func TestFailoverRealRaft(t *testing.T) {
	e := newEnv(t)
	c := hbraft.NewTestCluster(t, 3, hbraft.TestClusterOptions{})
	svcs := make([]*Service, c.Len())
	for i := range svcs {
		svcs[i] = e.openOn(c.Store(i), c.Node(i), e.config())
	}
	l := c.Leader()
	svcs[l].hold = 1
	lead := realNode{c.Node(l), c.Store(l)}
	bridgetest.Donate(t, lead, bridgetest.Donation{Donor: "uni-a", Wallet: wallet(t).Hex(), Node: "a1", CPUs: 1, Seconds: 3600})
	if _, err := svcs[l].Close(e.ctx); err != nil {
		t.Fatal(err)
	}
	stop1 := term(t, fastPublisher(svcs[l]))
	waitFor(t, "epoch 1 on the chain", func() bool { n, _ := e.onChain(); return n == 1 })
	waitFor(t, "the hold", func() bool { return strings.Contains(e.logs.String(), "holding the landed publish") })
	stop1()
	c.Stop(l) // the leader's server dies before it recorded the epoch

	l2 := c.Leader()
	waitFor(t, "the intent in the new leader's state", func() bool { return storeState(c.Store(l2), 1) == state.EpochSending })
	stop2 := term(t, fastPublisher(svcs[l2]))
	defer stop2()
	waitFor(t, "epoch 1 recorded by the new leader", func() bool { return storeState(c.Store(l2), 1) == state.EpochPublished })
	if n := e.rpc.sends.Load(); n != 1 {
		t.Errorf("%d transactions sent for epoch 1 across the failover, want 1", n)
	}
	bridgetest.Donate(t, realNode{c.Node(l2), c.Store(l2)}, bridgetest.Donation{Donor: "uni-b", Wallet: wallet(t).Hex(), Node: "b1", CPUs: 1, Seconds: 3600})
	if _, err := svcs[l2].Close(e.ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "epoch 2 published", func() bool { return storeState(c.Store(l2), 2) == state.EpochPublished })
	if n := e.rpc.sends.Load(); n != 2 {
		t.Errorf("%d transactions sent for 2 epochs, want 2", n)
	}
	if got := e.nonce(); got != e.base+2 {
		t.Errorf("publisher nonce %d, want %d", got, e.base+2)
	}
}

// storeState is epoch n's state in st ("" when not closed).
func storeState(st *state.Store, n uint64) string {
	if e := st.View().Epoch(n); e != nil {
		return e.State
	}
	return ""
}
