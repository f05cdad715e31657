package rewards

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestCloserSchedule: the closer closes an epoch each interval in which
// some wallet's credit changed, and only then (an interval with no change
// logs that there was nothing to close).
func TestCloserSchedule(t *testing.T) {
	e := newEnv(t)
	r := e.server("s1")
	cfg := e.config()
	cfg.Epoch = 50 * time.Millisecond
	s := e.open(r, cfg)
	stop := term(t, s.Closer())
	defer stop()
	e.donate(r, "uni-a", wallet(t), "a1")
	waitFor(t, "epoch 1 closed", func() bool { return epochState(r, 1) == state.EpochClosed })
	waitFor(t, "an interval with nothing to close", func() bool { return strings.Contains(e.logs.String(), "no epoch to close") })
	if n := len(r.Store().View().Epochs()); n != 1 {
		t.Fatalf("%d epochs with no change since the first, want 1", n)
	}
	e.donate(r, "uni-b", wallet(t), "b1")
	waitFor(t, "epoch 2 closed", func() bool { return epochState(r, 2) == state.EpochClosed })
	if ep := r.Store().View().Epoch(2); ep.Wallets != 2 {
		t.Errorf("epoch 2 has %d wallets, want 2", ep.Wallets)
	}
}

// TestCloserManualOnly: with no interval the closer does nothing.
func TestCloserManualOnly(t *testing.T) {
	e, _, s := newService(t)
	if err := s.Closer().RunTerm(e.ctx); err != nil {
		t.Fatal(err)
	}
}
