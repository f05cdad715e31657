package apiserver_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// Reviewer R1's attacks on the donor registry, as a hostile donor, node
// and scientist (issue 14).

// TestDonorAdminNodeOracle: a donor-admin's reclaim of a node that is not
// its donor's is refused alike whether or not such a node exists, so a
// donor's admin cannot map the federation's (or other donors') nodes by
// the answers (404 "no node" against 403).
func TestDonorAdminNodeOracle(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	e.register("uni-b")
	e.join("uni-a", "a1")
	e.join("uni-b", "b1")
	adminA := e.adminToken("uni-a")
	var msgs []string
	for _, n := range []string{"b1", "nowhere"} {
		var ae *api.Error
		_, err := adminA.ReclaimNode(e.ctx, n, "1m")
		if !errors.As(err, &ae) || ae.Status != http.StatusForbidden || ae.Code != api.CodePermissionDenied {
			t.Fatalf("uni-a's admin reclaims %s: %v, want 403 permission_denied", n, err)
		}
		msgs = append(msgs, strings.ReplaceAll(ae.Message, n, "NODE"))
	}
	if msgs[0] != msgs[1] {
		t.Fatalf("the refusals differ: %q and %q", msgs[0], msgs[1])
	}
	// Management still learns that a node does not exist, and so does
	// the donor's admin of its own node (it knows its nodes' names):
	// a2 joined, its Nomad client is not up.
	if _, err := e.mgmt.ReclaimNode(e.ctx, "nowhere", "1m"); errCode(err) != api.CodeNotFound {
		t.Fatalf("management reclaims a missing node: %v", err)
	}
	jt, err := e.mgmt.JoinTokenCreate(e.ctx, "uni-a", "")
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	if _, err := anon.NodeJoin(e.ctx, joinReq(jt.Secret, "a2", nodeKey("a2"), e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := adminA.ReclaimNode(e.ctx, "a2", "1m"); errCode(err) != api.CodeNotFound {
		t.Fatalf("uni-a's admin reclaims its a2, not in Nomad: %v, want not_found", err)
	}
	if _, err := adminA.CancelReclaim(e.ctx, "a2"); errCode(err) != api.CodeNotFound {
		t.Fatalf("uni-a's admin gives back its a2, not in Nomad: %v, want not_found", err)
	}
}

// TestJoinRace: many nodes redeem one join token at once: exactly one
// joins (the Raft apply decides), the others are told it is used.
func TestJoinRace(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	jt, err := e.mgmt.JoinTokenCreate(e.ctx, "uni-a", "")
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("r%d", i)
			_, errs[i] = anon.NodeJoin(e.ctx, joinReq(jt.Secret, name, nodeKey(name), e.clock.Now()))
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errCode(err) != api.CodeJoinTokenUsed:
			t.Errorf("join %d: %v, want join_token_used", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d joins with one token, want 1", ok)
	}
	if nodes := e.srv.Store.View().DonorNodes("uni-a"); len(nodes) != 1 {
		t.Fatalf("uni-a's nodes: %d records", len(nodes))
	}
}

// TestDeletedDonorLeavesNothing: a donor deleted and registered again
// under its name starts bare: the old donor's admin tokens are gone (401),
// its join tokens redeem nothing, its node records are not the new
// donor's.
func TestDeletedDonorLeavesNothing(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	e.join("uni-a", "a1")
	oldAdmin := e.adminToken("uni-a")
	pending, err := oldAdmin.JoinTokenCreate(e.ctx, "uni-a", "")
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	if _, err := anon.NodeLeave(e.ctx, &api.NodeSigner{NodeName: "a1", Key: nodeKey("a1"), Now: e.clock.Now}, "0s"); err != nil {
		t.Fatal(err)
	}
	if err := e.mgmt.DonorDelete(e.ctx, "uni-a"); err != nil {
		t.Fatal(err)
	}
	e.register("uni-a")
	if _, err := oldAdmin.JoinTokenCreate(e.ctx, "uni-a", ""); errCode(err) != api.CodeUnauthenticated {
		t.Fatalf("the deleted donor's admin token issues a join token for the new uni-a: %v", err)
	}
	if _, err := oldAdmin.ReclaimNode(e.ctx, "a1", "1m"); errCode(err) != api.CodeUnauthenticated {
		t.Fatalf("the deleted donor's admin token reclaims: %v", err)
	}
	if _, err := anon.NodeJoin(e.ctx, joinReq(pending.Secret, "a2", nodeKey("a2"), e.clock.Now())); errCode(err) != api.CodeJoinTokenInvalid {
		t.Fatalf("the deleted donor's join token: %v", err)
	}
	// Its old node cannot rejoin the new donor without a new token.
	if _, err := anon.NodeRejoin(e.ctx, &api.NodeSigner{NodeName: "a1", Key: nodeKey("a1"), Now: e.clock.Now}); err == nil {
		t.Fatal("the deleted donor's node rejoined the new uni-a")
	}
	v := e.srv.Store.View()
	if len(v.DonorNodes("uni-a")) != 0 || v.DonorOfNode("a1") != "" || v.DonorOfNode("id-a1") != "" {
		t.Fatalf("the new uni-a inherits: nodes %v, a1's donor %q", v.DonorNodes("uni-a"), v.DonorOfNode("a1"))
	}
	if len(v.JoinTokens("uni-a")) != 0 {
		t.Fatal("the old join tokens remain")
	}
	_ = state.TokenDonorAdmin
}

// TestJoinConflictHidesDonor: a join under a node name another donor's
// node holds is refused (409) without naming that donor: the joiner holds
// only its own donor's join secret.
func TestJoinConflictHidesDonor(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	e.register("secret-sponsor")
	e.join("secret-sponsor", "b1")
	jt, err := e.mgmt.JoinTokenCreate(e.ctx, "uni-a", "")
	if err != nil {
		t.Fatal(err)
	}
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	_, err = anon.NodeJoin(e.ctx, joinReq(jt.Secret, "b1", nodeKey("evil"), e.clock.Now()))
	if errCode(err) != api.CodeConflict {
		t.Fatalf("join as b1 under uni-a: %v, want 409", err)
	}
	if strings.Contains(err.Error(), "secret-sponsor") {
		t.Fatalf("the refusal names the other donor: %v", err)
	}
	// The same key under another name: uni-a's key cannot be
	// secret-sponsor's b1's (it signs nothing for it), but a node that
	// joined one donor and tries another with its key is refused alike.
	jt2, _ := e.mgmt.JoinTokenCreate(e.ctx, "uni-a", "")
	_, err = anon.NodeJoin(e.ctx, joinReq(jt2.Secret, "a9", nodeKey("b1"), e.clock.Now()))
	if errCode(err) != api.CodeConflict {
		t.Fatalf("b1's key joins uni-a as a9: %v, want 409", err)
	}
	if strings.Contains(err.Error(), "secret-sponsor") {
		t.Fatalf("the refusal names the other donor: %v", err)
	}
}

// TestDonorAccountNeedsItsToken: an account affiliated with a donor gets
// that donor's fair share (its jobs start sooner). A scientist whose token
// is not held to accounts (no --account at its creation: any account, as
// Slurm without association enforcement) may not simply submit under the
// donor's account (sbatch -A physics) and take the priority its
// organisation earned: only a token that lists the account may.
func TestDonorAccountNeedsItsToken(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a", "physics")
	script := func(acct string) []byte { return []byte("#!/bin/sh\n#SBATCH -A " + acct + "\ntrue\n") }
	eve := e.srv.Client(t, e.srv.UserToken(t, "eve"))
	if _, err := eve.Submit(e.ctx, &api.SubmitRequest{Script: script("physics"), Cwd: "/"}); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("an unrestricted token submits under the donor's account: %v, want permission_denied", err)
	}
	// Any other account: as before.
	if _, err := eve.Submit(e.ctx, &api.SubmitRequest{Script: script("chem"), Cwd: "/"}); err != nil {
		t.Fatalf("an unrestricted token, another account: %v", err)
	}
	ada := e.srv.Client(t, e.srv.UserToken(t, "ada", "physics"))
	if _, err := ada.Submit(e.ctx, &api.SubmitRequest{Script: script("physics"), Cwd: "/"}); err != nil {
		t.Fatalf("a token that lists the donor's account: %v", err)
	}
	if _, err := e.mgmt.Submit(e.ctx, &api.SubmitRequest{Script: script("physics"), Cwd: "/"}); err != nil {
		t.Fatalf("management: %v", err)
	}
}

// TestDonorSquatsAFutureName: a hostile donor joins under a name a home
// node does not have yet (gpu-7 after gpu-6), and its Nomad client
// presents its key under it; then the federation's own gpu-7 comes up
// with its key. Two Nomad nodes are called gpu-7: the home node's jobs
// (users, accounts, names) must not be listed in the donor's summary, nor
// the home node shown as the donor's (sinfo): an ambiguous name is
// nobody's.
func TestDonorSquatsAFutureName(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	e.join("uni-a", "gpu-7")
	e.clock.add(time.Minute)
	e.srv.RegisterNodeKey(t, "id-home-gpu-7", "gpu-7", nodeKey("home-gpu-7").Public().(ed25519.PublicKey))
	// A home user's job runs on the home gpu-7.
	script := "#!/bin/sh\ntrue\n"
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	apply := func(ct state.CommandType, p any) *state.Result {
		t.Helper()
		return e.srv.Apply(t, ct, p)
	}
	now := e.clock.Now()
	id := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: now, User: "secret-lab", DefaultPartition: "batch",
		Submission: &state.Submission{Script: []byte(script), Spec: spec}, Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	apply(state.CmdJobStart, state.JobStartCmd{Time: now, JobID: id, Task: state.NoTask, NodeList: "gpu-7"})

	sum, err := e.adminToken("uni-a").DonorSummary(e.ctx, "uni-a", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sum.Jobs.Recent {
		if r.User == "secret-lab" {
			t.Errorf("uni-a's summary lists the home node's job: %+v", r)
		}
	}
	if sum.Jobs.Runs != 0 {
		t.Errorf("uni-a's summary counts %d runs on gpu-7", sum.Jobs.Runs)
	}
	if d := e.srv.Store.View().DonorOfNode("gpu-7"); d != "" {
		t.Errorf("DonorOfNode(gpu-7) = %q with the home gpu-7 up", d)
	}
	// By its Nomad node id, the donor's own node is still the donor's.
	if d := e.srv.Store.View().DonorOfNode("id-gpu-7"); d != "uni-a" {
		t.Errorf("DonorOfNode(id-gpu-7) = %q, want uni-a", d)
	}
}

// TestNodeRequestVerifiesFewKeys: a node-signed request (no ACL token) is
// checked against the keys joins recorded under its node name. A hostile
// donor that joins one name again and again with new keys (each join
// leaves the one before) piles up records: if every one were tried, each
// unauthenticated request with a bogus signature would cost the leader
// thousands of signature checks. Only the newest few of a name are tried:
// the current key works, a key nine joins old does not.
func TestNodeRequestVerifiesFewKeys(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	keys := make([]ed25519.PrivateKey, 10)
	for i := range keys {
		keys[i] = nodeKey(fmt.Sprintf("x-%d", i))
		jt, err := e.mgmt.JoinTokenCreate(e.ctx, "uni-a", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := anon.NodeJoin(e.ctx, joinReq(jt.Secret, "x", keys[i], e.clock.Now())); err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
		e.clock.add(time.Second)
	}
	if n := len(e.srv.Store.View().DonorNodesNamed("x")); n != 10 {
		t.Fatalf("%d records of x", n)
	}
	if _, err := anon.NodeLeaveStatus(e.ctx, &api.NodeSigner{NodeName: "x", Key: keys[9], Now: e.clock.Now}); err != nil {
		t.Fatalf("the current key: %v", err)
	}
	if _, err := anon.NodeLeaveStatus(e.ctx, &api.NodeSigner{NodeName: "x", Key: keys[0], Now: e.clock.Now}); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("a key nine joins old: %v, want permission_denied", err)
	}
}

// TestDonorAdminCancelsOnlyItsReclaims: a donor's admin gives back its
// donor's node from a reclaim its donor began, not from one the
// federation's operator began (a node pulled for a reason: a bad GPU,
// forged receipts), which would put jobs back on it; and the refusal for
// a node that does not exist is the refusal for another donor's node.
func TestDonorAdminCancelsOnlyItsReclaims(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	e.register("uni-b")
	e.join("uni-a", "a1")
	e.join("uni-b", "b1")
	adminA := e.adminToken("uni-a")
	if _, err := e.mgmt.ReclaimNode(e.ctx, "a1", "1m"); err != nil {
		t.Fatal(err)
	}
	if _, err := adminA.CancelReclaim(e.ctx, "a1"); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("uni-a's admin cancels the operator's reclaim of a1: %v, want permission_denied", err)
	}
	if len(e.srv.Store.View().Reclaims()) != 1 {
		t.Fatal("the operator's reclaim was ended")
	}
	if _, err := e.mgmt.CancelReclaim(e.ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := adminA.ReclaimNode(e.ctx, "a1", "1m"); err != nil {
		t.Fatal(err)
	}
	if _, err := adminA.CancelReclaim(e.ctx, "a1"); err != nil {
		t.Fatalf("uni-a's admin cancels its own reclaim: %v", err)
	}
	var msgs []string
	for _, n := range []string{"b1", "nowhere"} {
		var ae *api.Error
		_, err := adminA.CancelReclaim(e.ctx, n)
		if !errors.As(err, &ae) || ae.Code != api.CodePermissionDenied {
			t.Fatalf("uni-a's admin cancels %s: %v, want permission_denied", n, err)
		}
		msgs = append(msgs, strings.ReplaceAll(ae.Message, n, "NODE"))
	}
	if msgs[0] != msgs[1] {
		t.Fatalf("the refusals differ: %q and %q", msgs[0], msgs[1])
	}
}

// TestOperatorReclaimStays: the operator's reclaim of a donor's node is
// not taken over by the donor: its admin reclaiming the node too, then
// cancelling "its" reclaim, or the node leaving (a leave's reclaim is
// ended by the leader's reclaimer when the node rejoins), left the
// reclaim the donor's to end.
func TestOperatorReclaimStays(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	e.join("uni-a", "a1")
	adminA := e.adminToken("uni-a")
	if _, err := e.mgmt.ReclaimNode(e.ctx, "a1", "10m"); err != nil {
		t.Fatal(err)
	}
	if _, err := adminA.ReclaimNode(e.ctx, "a1", "1m"); err != nil {
		t.Fatalf("uni-a's admin reclaims its node again: %v", err)
	}
	if _, err := adminA.CancelReclaim(e.ctx, "a1"); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("uni-a's admin cancels after reclaiming over the operator: %v, want permission_denied", err)
	}
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	if _, err := anon.NodeLeave(e.ctx, &api.NodeSigner{NodeName: "a1", Key: nodeKey("a1"), Now: e.clock.Now}, "1m"); err != nil {
		t.Fatal(err)
	}
	rc := e.srv.Store.View().Reclaim("id-a1")
	if rc == nil || state.IsLeaveReclaim(rc) || strings.HasPrefix(rc.By, "donor-admin:") {
		t.Fatalf("after the donor's reclaim and leave, the reclaim is %+v: no longer the operator's", rc)
	}
	// The earliest deadline still wins.
	if !rc.Deadline.Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("deadline %v", rc.Deadline)
	}
}

// TestJoinNodeNameIsAHostName: a joining node's name is a host name
// (ASCII letters, digits, '.', '_', '-'): a name with ',' or brackets is
// a Slurm host list ("evil,gpu-1": a job there reads as running on gpu-1
// too, and counts in gpu-1's donor's summary), and a name in look-alike
// letters (Cyrillic "а") shows in sinfo as the node it mimics.
func TestJoinNodeNameIsAHostName(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	for i, name := range []string{"evil,gpu-1", "gpu[1-2]", "gpu-\u0430", "-gpu", "a/b", "a:b", "ａ1"} {
		jt, err := e.mgmt.JoinTokenCreate(e.ctx, "uni-a", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := anon.NodeJoin(e.ctx, joinReq(jt.Secret, name, nodeKey(fmt.Sprint("n", i)), e.clock.Now())); errCode(err) != api.CodeInvalidRequest {
			t.Errorf("join as %q: %v, want invalid_request", name, err)
		}
	}
	jt, _ := e.mgmt.JoinTokenCreate(e.ctx, "uni-a", "")
	if _, err := anon.NodeJoin(e.ctx, joinReq(jt.Secret, "gpu-7.cluster_b.example", nodeKey("ok"), e.clock.Now())); err != nil {
		t.Fatalf("a host name: %v", err)
	}
}

// TestDonorAdminThroughFollower: a donor-admin token sent to a follower
// is held to the same bounds as on the leader, on the routes the follower
// forwards (reclaim, join tokens, wallet, submit) and on those it answers
// itself (donor, summary, jobs), consistent reads included.
func TestDonorAdminThroughFollower(t *testing.T) {
	ctx := t.Context()
	f := newFollowerPair(ctx, t)
	anon, mgmt := f.anon, f.mgmt
	for _, d := range []string{"uni-a", "uni-b"} {
		registerDonor(ctx, t, mgmt, d)
		node := d[len(d)-1:] + "1"
		jt, err := mgmt.JoinTokenCreate(ctx, d, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := anon.NodeJoin(ctx, joinReq(jt.Secret, node, nodeKey(node), time.Now())); err != nil {
			t.Fatal(err)
		}
		f.nodeUp(ctx, t, node)
	}
	at, err := mgmt.ACLCreateToken(ctx, &api.ACLTokenRequest{Type: state.TokenDonorAdmin, Donor: "uni-a"})
	if err != nil {
		t.Fatal(err)
	}
	adminA := client(t, f.followerURL, at.SecretID)
	denied := func(what string, err error) {
		t.Helper()
		if errCode(err) != api.CodePermissionDenied {
			t.Errorf("uni-a's admin through the follower, %s: %v, want permission_denied", what, err)
		}
	}
	_, err = adminA.ReclaimNode(ctx, "b1", "1m")
	denied("reclaim b1", err)
	_, err = adminA.JoinTokenCreate(ctx, "uni-b", "")
	denied("uni-b's join token", err)
	_, err = adminA.DonorWallet(ctx, "uni-b", &api.DonorWalletRequest{Wallet: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", Signature: "0x00", Issued: time.Now()})
	denied("uni-b's wallet", err)
	_, err = adminA.Donor(ctx, "uni-b")
	denied("uni-b", err)
	_, err = adminA.DonorSummary(ctx, "uni-b", 0)
	denied("uni-b's summary", err)
	_, _, err = adminA.Jobs(ctx, &api.JobsQuery{})
	denied("jobs", err)
	_, _, err = adminA.Jobs(ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{Consistent: true}})
	denied("jobs, consistent", err)
	_, err = adminA.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), Cwd: "/"})
	denied("submit", err)
	if _, err := adminA.ReclaimNode(ctx, "a1", "1m"); err != nil {
		t.Fatalf("uni-a's admin reclaims a1 through the follower: %v", err)
	}
	if v := f.leader.Store().View(); v.Reclaim("id-b1") != nil || v.Reclaim("id-a1") == nil {
		t.Fatalf("reclaims %+v", v.Reclaims())
	}
}
