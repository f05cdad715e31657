package state

import (
	"errors"
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

// TestDonorOfNodeNotByNameAlone: a home node's key revoked (its Nomad node
// gone, or the key stolen), a hostile donor joins under that node's name,
// or its Nomad node id, with a key of its own: the node (and the receipts
// it signed, which fair share credits by the node's name when their key
// is no donor's) must not become the donor's. A name that a key no join
// registered was bound to is not claimed by a join record.
func TestDonorOfNodeNotByNameAlone(t *testing.T) {
	f := newDonorFixture(t)
	f.register("uni-a")
	home := testKey(40)
	if res := f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: t0, NodeID: "id-gpu-1", Node: "gpu-1", Key: home}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: t0.Add(time.Minute), Node: "id-gpu-1", By: mgmt}); res.Err != nil {
		t.Fatal(res.Err)
	}
	admin := Actor{User: "donor-admin:uni-a", Donor: "uni-a"}
	for i, name := range []string{"gpu-1", "id-gpu-1"} {
		h, res := f.issue("uni-a", t0.Add(2*time.Minute), time.Hour, admin)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if res := f.redeem(h, name, testKey(byte(41+i)), t0.Add(2*time.Minute)); res.Err != nil {
			t.Fatalf("join as %s: %v", name, res.Err)
		}
	}
	v := f.s.View()
	for _, n := range []string{"gpu-1", "id-gpu-1"} {
		if d := v.DonorOfNode(n); d != "" {
			t.Errorf("DonorOfNode(%s) = %q: the home node is the hostile donor's by the name it joined as", n, d)
		}
	}
	// A node that joined under a fresh name is its donor's from the join
	// on (before its Nomad node shows its key).
	h, _ := f.issue("uni-a", t0.Add(3*time.Minute), time.Hour, admin)
	if res := f.redeem(h, "a1", testKey(43), t0.Add(3*time.Minute)); res.Err != nil {
		t.Fatal(res.Err)
	}
	if d := f.s.View().DonorOfNode("a1"); d != "uni-a" {
		t.Fatalf("DonorOfNode(a1) = %q, want uni-a", d)
	}
}

// TestJoinNotAsAFederationNode: a donor's node may not join under the
// name of a node the federation already knows by another key (a home
// node, or another donor's node whose Nomad client still presents its
// key): two Nomad nodes of one name, one of them a stranger's, would take
// the jobs pinned to the name (sbatch -w), make reclaims and drains by
// name ambiguous, and show the stranger where the trusted node should be.
func TestJoinNotAsAFederationNode(t *testing.T) {
	f := newDonorFixture(t)
	f.register("uni-a")
	f.register("uni-b")
	if res := f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: t0, NodeID: "id-gpu-1", Node: "gpu-1", Key: testKey(50)}); res.Err != nil {
		t.Fatal(res.Err)
	}
	admin := Actor{User: "donor-admin:uni-a", Donor: "uni-a"}
	h, _ := f.issue("uni-a", t0, time.Hour, admin)
	if res := f.redeem(h, "gpu-1", testKey(51), t0); !errors.Is(res.Err, ErrNodeTaken) {
		t.Fatalf("uni-a's node joins as the home node gpu-1: %v, want ErrNodeTaken", res.Err)
	}
	// uni-b's b1 joined, its Nomad client came up, then it left: its
	// Nomad node still presents its key, and uni-a cannot take the name.
	hb, _ := f.issue("uni-b", t0, time.Hour, Actor{User: "x", Donor: "uni-b"})
	if res := f.redeem(hb, "b1", testKey(52), t0); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: t0, NodeID: "id-b1", Node: "b1", Key: testKey(52)}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinLeave, Time: t0.Add(time.Minute), NodeName: "b1", Key: testKey(52)}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.redeem(h, "b1", testKey(53), t0.Add(2*time.Minute)); !errors.Is(res.Err, ErrNodeTaken) {
		t.Fatalf("uni-a's node joins as uni-b's left b1: %v, want ErrNodeTaken", res.Err)
	}
	// The home node's key revoked (the machine retired): its name is free.
	if res := f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: t0.Add(3 * time.Minute), Node: "id-gpu-1", By: mgmt}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.redeem(h, "gpu-1", testKey(51), t0.Add(3*time.Minute)); res.Err != nil {
		t.Fatalf("join as gpu-1 after its key was revoked: %v", res.Err)
	}
	// A node that joined, whose Nomad client registered its key, joins
	// again (same donor) with a new key: allowed.
	if res := f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: t0.Add(4 * time.Minute), NodeID: "id-a-gpu-1", Node: "gpu-1", Key: testKey(51)}); res.Err != nil {
		t.Fatal(res.Err)
	}
	h2, _ := f.issue("uni-a", t0.Add(4*time.Minute), time.Hour, admin)
	if res := f.redeem(h2, "gpu-1", testKey(54), t0.Add(4*time.Minute)); res.Err != nil {
		t.Fatalf("uni-a's gpu-1 joins again with a new key: %v", res.Err)
	}
}

// TestReclaimNotTakenOverByADonor: a command reclaim under way passes to
// a newer one's By only of the same rank or higher (the operator over a
// donor's admin over a node's leave), and a donor's reclaim never takes
// an operator's drain over: else the donor would own, and end, what the
// operator began.
func TestReclaimNotTakenOverByADonor(t *testing.T) {
	f := newDonorFixture(t)
	begin := func(source, by string, at time.Time) Reclaim {
		t.Helper()
		res := f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: at, Op: ReclaimBegin, Node: "a1", NodeID: "id-a1",
			Deadline: at.Add(time.Hour), Source: source, By: by})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return res.Value.(Reclaim)
	}
	begin(ReclaimDrain, "nomad", t0)
	if rc := begin(ReclaimCommand, DonorAdminBy("uni-a"), t0.Add(time.Minute)); rc.Source != ReclaimDrain {
		t.Fatalf("a donor's admin took the operator's drain over: %+v", rc)
	}
	if rc := begin(ReclaimCommand, "root", t0.Add(2*time.Minute)); rc.Source != ReclaimCommand || rc.By != "root" {
		t.Fatalf("the operator's reclaim over a drain: %+v", rc)
	}
	var last Reclaim
	for _, by := range []string{DonorAdminBy("uni-a"), LeaveReclaimBy("uni-a")} {
		if last = begin(ReclaimCommand, by, t0.Add(3*time.Minute)); last.By != "root" {
			t.Fatalf("%s took the operator's reclaim over: %+v", by, last)
		}
	}
	// Between the donor's own: the admin's over the leave's.
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(4 * time.Minute), Op: ReclaimEnd, Node: "a1", NodeID: "id-a1", Begins: last.Begins})
	begin(ReclaimCommand, LeaveReclaimBy("uni-a"), t0.Add(5*time.Minute))
	if rc := begin(ReclaimCommand, DonorAdminBy("uni-a"), t0.Add(6*time.Minute)); rc.By != DonorAdminBy("uni-a") {
		t.Fatalf("the admin's reclaim over the leave's: %+v", rc)
	}
}
