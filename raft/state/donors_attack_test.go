package state

import (
	"fmt"
	"testing"
	"time"
)

// TestJoinTokensBounded: a donor's admin that issues join tokens that
// expire at once (ttl 1ns), or issues and redeems them, is not held by
// MaxJoinTokens (which counts the live ones) while every such token is
// kept JoinTokenKeep after it expired: the replicated state (every
// server's memory, every snapshot) would grow without end. The tokens a
// donor has, live or kept, are bounded.
func TestJoinTokensBounded(t *testing.T) {
	f := newDonorFixture(t)
	f.register("uni-a")
	admin := Actor{User: "donor-admin:uni-a", Donor: "uni-a"}
	at := t0
	refused := false
	for i := range 4 * MaxJoinTokensKept {
		at = at.Add(time.Millisecond)
		_, res := f.issue("uni-a", at, time.Nanosecond, admin)
		if res.Err != nil {
			refused = true
			break
		}
		if i%2 == 1 {
			continue
		}
		// Every other one redeemed: used tokens are kept too.
		h, res := f.issue("uni-a", at, time.Hour, admin)
		if res.Err != nil {
			refused = true
			break
		}
		name := fmt.Sprintf("n%d", i%8)
		if res := f.redeem(h, name, testKey(byte(10+i%8)), at); res.Err != nil {
			t.Fatalf("redeem %d: %v", i, res.Err)
		}
	}
	if n := len(f.s.View().JoinTokens("uni-a")); !refused || n > MaxJoinTokensKept {
		t.Fatalf("uni-a holds %d join tokens (refused: %v), want at most %d", n, refused, MaxJoinTokensKept)
	}
	// Once the kept ones are swept (JoinTokenKeep after they expired),
	// the donor issues again.
	if _, res := f.issue("uni-a", at.Add(time.Hour+JoinTokenKeep), time.Hour, admin); res.Err != nil {
		t.Fatalf("after the sweep: %v", res.Err)
	}
}
