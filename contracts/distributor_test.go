package contracts_test

import (
	"crypto/ecdsa"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/contracts/bindings"
)

var rd = bindings.NewRewardDistributor()

// send signs calldata to the distributor with key and waits for the receipt.
func (e *env) send(key *ecdsa.PrivateKey, calldata []byte) (*types.Receipt, error) {
	e.t.Helper()
	return sendTo(e, key, e.contract, calldata)
}

func sendTo(e *env, key *ecdsa.PrivateKey, to common.Address, calldata []byte) (*types.Receipt, error) {
	e.t.Helper()
	opts, err := contracts.Transactor(e.ctx, e.client, key)
	if err != nil {
		e.t.Fatal(err)
	}
	c := bind.NewBoundContract(to, rd.GetABI(), e.client, e.client, e.client)
	tx, err := bind.Transact(c, opts, calldata)
	if err != nil {
		return nil, err
	}
	return contracts.Wait(e.ctx, e.client, tx)
}

func (e *env) mustSend(key *ecdsa.PrivateKey, calldata []byte) *types.Receipt {
	e.t.Helper()
	r, err := e.send(key, calldata)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// view calls the distributor.
func view[T any](e *env, calldata []byte, unpack func([]byte) (T, error)) T {
	e.t.Helper()
	c := bind.NewBoundContract(e.contract, rd.GetABI(), e.client, nil, nil)
	v, err := bind.Call(c, &bind.CallOpts{Context: e.ctx}, calldata, unpack)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// events returns the receipt's logs the unpacker accepts (the others are skipped).
func events[T any](r *types.Receipt, unpack func(*types.Log) (*T, error)) []*T {
	var out []*T
	for _, l := range r.Logs {
		if v, err := unpack(l); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func eq(a, b *big.Int) bool { return a.Cmp(b) == 0 }

func TestDeployState(t *testing.T) {
	e := newEnv(t)
	if got := view(e, rd.PackName(), rd.UnpackName); got != contracts.TokenName {
		t.Errorf("name %q", got)
	}
	if got := view(e, rd.PackSymbol(), rd.UnpackSymbol); got != contracts.TokenSymbol {
		t.Errorf("symbol %q", got)
	}
	if got := view(e, rd.PackDecimals(), rd.UnpackDecimals); got != 18 {
		t.Errorf("decimals %d", got)
	}
	if got := view(e, rd.PackOwner(), rd.UnpackOwner); got != addr(e.admin) {
		t.Errorf("owner %s, want %s", got, addr(e.admin))
	}
	if got, err := contracts.Publisher(e.ctx, e.client, e.contract); err != nil || got != addr(e.pub) {
		t.Errorf("publisher %s %v, want %s", got, err, addr(e.pub))
	}
	if view(e, rd.PackPaused(), rd.UnpackPaused) {
		t.Error("paused after deploy")
	}
	if ep, err := contracts.CurrentEpoch(e.ctx, e.client, e.contract); err != nil || ep != 0 {
		t.Errorf("epoch %d %v", ep, err)
	}
	if root, err := contracts.MerkleRoot(e.ctx, e.client, e.contract); err != nil || root != [32]byte{} {
		t.Errorf("root %x %v", root, err)
	}
	if s := view(e, rd.PackTotalSupply(), rd.UnpackTotalSupply); s.Sign() != 0 {
		t.Errorf("supply %s", s)
	}
	r, err := e.client.TransactionReceipt(e.ctx, e.deployTx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if ev := events(r, rd.UnpackPublisherChangedEvent); len(ev) != 1 || ev[0].Previous != (common.Address{}) || ev[0].Current != addr(e.pub) {
		t.Errorf("deploy's PublisherChanged events %+v", ev)
	}
}

// TestDeployRefusals: the constructor refuses a zero publisher (ZeroAddress) and a zero admin
// (OpenZeppelin's OwnableInvalidOwner); Deploy refuses both before sending.
func TestDeployRefusals(t *testing.T) {
	k := fixedKey(t, "admin")
	_, client := newChain(t, k)
	ctx := t.Context()
	code := common.FromHex(bindings.RewardDistributorMetaData.Bin)
	for _, c := range []struct {
		admin, pub common.Address
		want       string
	}{
		{addr(k), common.Address{}, "ZeroAddress"},
		{common.Address{}, addr(k), "OwnableInvalidOwner"},
	} {
		opts, err := contracts.Transactor(ctx, client, k)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = bind.DeployContract(opts, code, client, rd.PackConstructor(c.admin, c.pub, "n", "s"))
		wantRevert(t, err, c.want)
		if _, _, err := contracts.Deploy(ctx, client, k, c.admin, c.pub); err == nil {
			t.Errorf("Deploy(admin %s, publisher %s) succeeded", c.admin, c.pub)
		}
	}
}

func TestPublish(t *testing.T) {
	stranger := fixedKey(t, "stranger")
	e := newEnv(t, stranger)
	root1 := [32]byte{1}
	r := e.publish(1, root1)
	ev := events(r, rd.UnpackEpochPublishedEvent)
	if len(ev) != 1 || ev[0].Epoch != 1 || ev[0].Root != root1 {
		t.Fatalf("EpochPublished events %+v", ev)
	}
	check := func(wantEpoch uint64, wantRoot [32]byte) {
		t.Helper()
		ep, err := contracts.CurrentEpoch(e.ctx, e.client, e.contract)
		if err != nil || ep != wantEpoch {
			t.Errorf("epoch %d %v, want %d", ep, err, wantEpoch)
		}
		root, err := contracts.MerkleRoot(e.ctx, e.client, e.contract)
		if err != nil || root != wantRoot {
			t.Errorf("root %x %v, want %x", root, err, wantRoot)
		}
	}
	check(1, root1)

	// Replayed and older epochs, a zero root, a stranger: refused, nothing changes.
	_, err := contracts.Publish(e.ctx, e.client, e.pub, e.contract, 1, [32]byte{2})
	wantRevert(t, err, "EpochNotNewer")
	if name, args, ok := contracts.DecodeRevertArgs(err); !ok || name != "EpochNotNewer" || args[0] != uint64(1) || args[1] != uint64(1) {
		t.Errorf("replayed epoch: %s %v", name, args)
	}
	_, err = contracts.Publish(e.ctx, e.client, e.pub, e.contract, 0, [32]byte{2})
	wantRevert(t, err, "EpochNotNewer")
	_, err = contracts.Publish(e.ctx, e.client, e.pub, e.contract, 2, [32]byte{})
	wantRevert(t, err, "ZeroRoot")
	_, err = contracts.Publish(e.ctx, e.client, stranger, e.contract, 2, [32]byte{2})
	wantRevert(t, err, "NotPublisher")
	if name, args, ok := contracts.DecodeRevertArgs(err); !ok || name != "NotPublisher" || args[0] != addr(stranger) {
		t.Errorf("stranger: %s %v", name, args)
	}
	check(1, root1)
	// (The owner may publish any epoch: TestCompromisedPublisherRecovery.)

	// Epochs may skip (the coordinator numbers them; strictly newer is the rule).
	r5 := e.publish(5, [32]byte{5})
	check(5, [32]byte{5})
	_, err = contracts.Publish(e.ctx, e.client, e.pub, e.contract, 4, [32]byte{4})
	wantRevert(t, err, "EpochNotNewer")

	// History is in the events.
	for ep, want := range map[uint64][32]byte{1: root1, 5: {5}} {
		root, found, err := contracts.PublishedRoot(e.ctx, e.client, e.contract, ep, 0)
		if err != nil || !found || root != want {
			t.Errorf("PublishedRoot(%d) = %x %v %v, want %x", ep, root, found, err, want)
		}
	}
	if _, found, err := contracts.PublishedRoot(e.ctx, e.client, e.contract, 4, 0); err != nil || found {
		t.Errorf("PublishedRoot(4): found %v err %v", found, err)
	}
	// From a later block: found from the publish's own block on, not after it (which reads
	// as not published, never as another root); epoch 1's earlier publish is not found from
	// epoch 5's block.
	b5 := r5.BlockNumber.Uint64()
	e.backend.Commit() // a block after it
	if root, found, err := contracts.PublishedRoot(e.ctx, e.client, e.contract, 5, b5); err != nil || !found || root != ([32]byte{5}) {
		t.Errorf("PublishedRoot(5) from its block %d = %x %v %v", b5, root, found, err)
	}
	for ep, from := range map[uint64]uint64{5: b5 + 1, 1: b5} {
		if _, found, err := contracts.PublishedRoot(e.ctx, e.client, e.contract, ep, from); err != nil || found {
			t.Errorf("PublishedRoot(%d) from block %d: found %v err %v, want nothing", ep, from, found, err)
		}
	}
}

// TestRevertedTransactionDecoded: a transaction mined despite reverting (gas given, no
// estimate) comes back from Wait as a *RevertedError that DecodeRevert names.
func TestRevertedTransactionDecoded(t *testing.T) {
	e := newEnv(t)
	opts, err := contracts.Transactor(e.ctx, e.client, e.pub)
	if err != nil {
		t.Fatal(err)
	}
	opts.GasLimit = 100_000
	c := bind.NewBoundContract(e.contract, rd.GetABI(), e.client, e.client, e.client)
	tx, err := bind.Transact(c, opts, contracts.PackPublish(1, [32]byte{}))
	if err != nil {
		t.Fatal(err)
	}
	r, err := contracts.Wait(e.ctx, e.client, tx)
	var re *contracts.RevertedError
	if !errors.As(err, &re) || r == nil || r.Status != types.ReceiptStatusFailed {
		t.Fatalf("Wait: %v (receipt %v)", err, r)
	}
	wantRevert(t, err, "ZeroRoot")
	if _, ok := contracts.DecodeRevert(errors.New("no data")); ok {
		t.Error("DecodeRevert named an error without revert data")
	}
}

func TestClaim(t *testing.T) {
	alice, bob, carol, relayer := fixedKey(t, "alice"), fixedKey(t, "bob"), fixedKey(t, "carol"), fixedKey(t, "relayer")
	e := newEnv(t, alice, bob, relayer)
	A, B, C := addr(alice), addr(bob), addr(carol)

	t1 := build(t, A, "1000", B, "250", C, "7")
	leafA, proofA, _ := t1.Proof(A)

	// No root yet.
	_, err := contracts.Claim(e.ctx, e.client, alice, e.contract, A, leafA.Amount, proofA)
	wantRevert(t, err, "NoRoot")

	// A leaf for the zero address cannot be claimed: tokens are never minted to it.
	tz := build(t, common.Address{}, "5", A, "1")
	e.publish(1, tz.Root())
	leafZ, proofZ, _ := tz.Proof(common.Address{})
	_, err = contracts.Claim(e.ctx, e.client, alice, e.contract, common.Address{}, leafZ.Amount, proofZ)
	wantRevert(t, err, "ERC20InvalidReceiver")

	e.publish(10, t1.Root())

	// Wrong proof (bob's for alice), inflated amount, a proof for another account: refused.
	_, proofB, _ := t1.Proof(B)
	_, err = contracts.Claim(e.ctx, e.client, alice, e.contract, A, leafA.Amount, proofB)
	wantRevert(t, err, "InvalidProof")
	_, err = contracts.Claim(e.ctx, e.client, alice, e.contract, A, bi("1001"), proofA)
	wantRevert(t, err, "InvalidProof")
	_, err = contracts.Claim(e.ctx, e.client, alice, e.contract, B, leafA.Amount, proofA)
	wantRevert(t, err, "InvalidProof")
	_, err = contracts.Claim(e.ctx, e.client, alice, e.contract, A, leafA.Amount, nil)
	wantRevert(t, err, "InvalidProof")

	// Alice claims: 1000 minted to her, events Transfer(0, A, 1000) and Claimed(A, 1000, 1000).
	r := e.claim(alice, t1, A)
	tr := events(r, rd.UnpackTransferEvent)
	if len(tr) != 1 || tr[0].From != (common.Address{}) || tr[0].To != A || !eq(tr[0].Value, bi("1000")) {
		t.Errorf("Transfer events %+v", tr)
	}
	cl := events(r, rd.UnpackClaimedEvent)
	if len(cl) != 1 || cl[0].Account != A || !eq(cl[0].Amount, bi("1000")) || !eq(cl[0].CumulativeAmount, bi("1000")) {
		t.Errorf("Claimed events %+v", cl)
	}
	if !eq(e.balance(A), bi("1000")) || !eq(e.claimed(A), bi("1000")) {
		t.Errorf("alice: balance %s claimed %s", e.balance(A), e.claimed(A))
	}

	// Double claim: NothingToClaim(1000, 1000).
	_, err = contracts.Claim(e.ctx, e.client, alice, e.contract, A, leafA.Amount, proofA)
	wantRevert(t, err, "NothingToClaim")
	if _, args, _ := contracts.DecodeRevertArgs(err); len(args) != 2 || !eq(args[0].(*big.Int), bi("1000")) || !eq(args[1].(*big.Int), bi("1000")) {
		t.Errorf("NothingToClaim args %v", args)
	}

	// Anyone may send a claim; the tokens go to the account, not the sender.
	e.claim(relayer, t1, B)
	if !eq(e.balance(B), bi("250")) || e.balance(addr(relayer)).Sign() != 0 {
		t.Errorf("relayed claim: bob %s, relayer %s", e.balance(B), e.balance(addr(relayer)))
	}

	// Epoch 2: alice tops up 1000 -> 1600, bob 250 -> 250 (unchanged), carol 7 -> 9.
	t2 := build(t, A, "1600", B, "250", C, "9")
	e.publish(11, t2.Root())
	// The stale epoch-1 proof no longer verifies against the current root.
	_, err = contracts.Claim(e.ctx, e.client, alice, e.contract, A, leafA.Amount, proofA)
	wantRevert(t, err, "InvalidProof")
	r = e.claim(alice, t2, A)
	if cl := events(r, rd.UnpackClaimedEvent); len(cl) != 1 || !eq(cl[0].Amount, bi("600")) || !eq(cl[0].CumulativeAmount, bi("1600")) {
		t.Errorf("top-up Claimed events %+v", cl)
	}
	if !eq(e.balance(A), bi("1600")) || !eq(e.claimed(A), bi("1600")) {
		t.Errorf("alice after top-up: balance %s claimed %s", e.balance(A), e.claimed(A))
	}
	// Bob's cumulative did not grow: nothing to claim.
	leafB2, proofB2, _ := t2.Proof(B)
	_, err = contracts.Claim(e.ctx, e.client, bob, e.contract, B, leafB2.Amount, proofB2)
	wantRevert(t, err, "NothingToClaim")

	// Carol never claimed in epochs 1-2; after epoch 3 she claims everything at once.
	t3 := build(t, A, "1600", B, "300", C, "20")
	e.publish(12, t3.Root())
	e.claim(relayer, t3, C)
	if !eq(e.balance(C), bi("20")) || !eq(e.claimed(C), bi("20")) {
		t.Errorf("carol: balance %s claimed %s", e.balance(C), e.claimed(C))
	}
	if s := view(e, rd.PackTotalSupply(), rd.UnpackTotalSupply); !eq(s, bi("1870")) {
		t.Errorf("supply %s, want 1870 (1600 + 250 + 20)", s)
	}
}

// TestSingleLeafTree: a one-wallet tree's root is the leaf, its proof empty.
func TestSingleLeafTree(t *testing.T) {
	alice := fixedKey(t, "alice")
	e := newEnv(t, alice)
	tr := build(t, addr(alice), "5")
	e.publish(1, tr.Root())
	if _, p, _ := tr.Proof(addr(alice)); len(p) != 0 {
		t.Fatalf("proof %v", p)
	}
	e.claim(alice, tr, addr(alice))
	if !eq(e.balance(addr(alice)), bi("5")) {
		t.Errorf("balance %s", e.balance(addr(alice)))
	}
}

// TestSupplyCap: claims that would take the supply past 2^128-1 are refused with
// SupplyOverflow; up to the cap they pay.
func TestSupplyCap(t *testing.T) {
	alice, bob := fixedKey(t, "alice"), fixedKey(t, "bob")
	e := newEnv(t, alice)
	A, B := addr(alice), addr(bob)
	max128 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))
	two128 := new(big.Int).Lsh(big.NewInt(1), 128)
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

	// One leaf of 2^128 and one of 2^256-1: neither fits.
	t1 := build(t, A, two128.String(), B, max256.String())
	e.publish(1, t1.Root())
	for _, k := range []common.Address{A, B} {
		leaf, proof, _ := t1.Proof(k)
		_, err := contracts.Claim(e.ctx, e.client, alice, e.contract, k, leaf.Amount, proof)
		wantRevert(t, err, "SupplyOverflow")
	}
	// 2^128-1 for alice fits exactly; then one more base unit for bob does not.
	t2 := build(t, A, max128.String(), B, "1")
	e.publish(2, t2.Root())
	e.claim(alice, t2, A)
	if !eq(e.balance(A), max128) {
		t.Fatalf("balance %s", e.balance(A))
	}
	leaf, proof, _ := t2.Proof(B)
	_, err := contracts.Claim(e.ctx, e.client, alice, e.contract, B, leaf.Amount, proof)
	wantRevert(t, err, "SupplyOverflow")
	// Transfers of the whole supply still work with the packed balances.
	e.mustSend(alice, rd.PackTransfer(B, max128))
	if e.balance(A).Sign() != 0 || !eq(e.balance(B), max128) {
		t.Errorf("after transfer: alice %s bob %s", e.balance(A), e.balance(B))
	}
}

// TestERC20 checks that OpenZeppelin's transfer, approve and transferFrom still hold with the
// packed accounts, and that transfers never touch what an account has claimed.
func TestERC20(t *testing.T) {
	alice, bob, carol := fixedKey(t, "alice"), fixedKey(t, "bob"), fixedKey(t, "carol")
	e := newEnv(t, alice, bob, carol)
	A, B, C := addr(alice), addr(bob), addr(carol)
	t1 := build(t, A, "1000", B, "10")
	e.publish(1, t1.Root())
	e.claim(alice, t1, A)

	r := e.mustSend(alice, rd.PackTransfer(B, bi("300")))
	if tr := events(r, rd.UnpackTransferEvent); len(tr) != 1 || tr[0].From != A || tr[0].To != B || !eq(tr[0].Value, bi("300")) {
		t.Errorf("Transfer events %+v", tr)
	}
	if !eq(e.balance(A), bi("700")) || !eq(e.balance(B), bi("300")) {
		t.Errorf("after transfer: alice %s bob %s", e.balance(A), e.balance(B))
	}
	// Claimed totals are not balances: alice still claimed 1000, bob 0, and bob's claim pays 10
	// on top of what he was sent.
	if !eq(e.claimed(A), bi("1000")) || e.claimed(B).Sign() != 0 {
		t.Errorf("claimed: alice %s bob %s", e.claimed(A), e.claimed(B))
	}
	e.claim(bob, t1, B)
	if !eq(e.balance(B), bi("310")) || !eq(e.claimed(B), bi("10")) {
		t.Errorf("bob: balance %s claimed %s", e.balance(B), e.claimed(B))
	}

	// Too much, to the zero address: OpenZeppelin's errors.
	_, err := e.send(alice, rd.PackTransfer(B, bi("701")))
	wantRevert(t, err, "ERC20InsufficientBalance")
	_, err = e.send(alice, rd.PackTransfer(common.Address{}, bi("1")))
	wantRevert(t, err, "ERC20InvalidReceiver")

	// approve + transferFrom.
	r = e.mustSend(alice, rd.PackApprove(C, bi("200")))
	if ap := events(r, rd.UnpackApprovalEvent); len(ap) != 1 || ap[0].Owner != A || ap[0].Spender != C || !eq(ap[0].Value, bi("200")) {
		t.Errorf("Approval events %+v", ap)
	}
	if got := view(e, rd.PackAllowance(A, C), rd.UnpackAllowance); !eq(got, bi("200")) {
		t.Errorf("allowance %s", got)
	}
	_, err = e.send(carol, rd.PackTransferFrom(A, C, bi("201")))
	wantRevert(t, err, "ERC20InsufficientAllowance")
	e.mustSend(carol, rd.PackTransferFrom(A, C, bi("150")))
	if !eq(e.balance(A), bi("550")) || !eq(e.balance(C), bi("150")) {
		t.Errorf("after transferFrom: alice %s carol %s", e.balance(A), e.balance(C))
	}
	if got := view(e, rd.PackAllowance(A, C), rd.UnpackAllowance); !eq(got, bi("50")) {
		t.Errorf("allowance after transferFrom %s", got)
	}
	// Self-transfer keeps the balance.
	e.mustSend(carol, rd.PackTransfer(C, bi("150")))
	if !eq(e.balance(C), bi("150")) {
		t.Errorf("self-transfer: carol %s", e.balance(C))
	}
	if s := view(e, rd.PackTotalSupply(), rd.UnpackTotalSupply); !eq(s, bi("1010")) {
		t.Errorf("supply %s, want 1010", s)
	}
	sum := new(big.Int)
	for _, a := range []common.Address{A, B, C} {
		sum.Add(sum, e.balance(a))
	}
	if !eq(sum, bi("1010")) {
		t.Errorf("balances sum to %s, supply 1010", sum)
	}
}

func TestOwnerControls(t *testing.T) {
	stranger, pub2, alice := fixedKey(t, "stranger"), fixedKey(t, "publisher 2"), fixedKey(t, "alice")
	e := newEnv(t, stranger, pub2, alice)
	t1 := build(t, addr(alice), "10", addr(stranger), "1")
	e.publish(1, t1.Root())

	// Only the owner sets the publisher, pauses, unpauses.
	for _, data := range [][]byte{rd.PackSetPublisher(addr(pub2)), rd.PackPause(), rd.PackUnpause()} {
		_, err := e.send(stranger, data)
		wantRevert(t, err, "OwnableUnauthorizedAccount")
		_, err = e.send(e.pub, data)
		wantRevert(t, err, "OwnableUnauthorizedAccount")
	}
	_, err := e.send(e.admin, rd.PackSetPublisher(common.Address{}))
	wantRevert(t, err, "ZeroAddress")
	_, err = e.send(e.admin, rd.PackUnpause())
	wantRevert(t, err, "ExpectedPause")

	// Pause: publishing and claiming stop, transfers go on.
	r := e.mustSend(e.admin, rd.PackPause())
	if ev := events(r, rd.UnpackPausedEvent); len(ev) != 1 || ev[0].Account != addr(e.admin) {
		t.Errorf("Paused events %+v", ev)
	}
	if !view(e, rd.PackPaused(), rd.UnpackPaused) {
		t.Error("not paused")
	}
	_, err = e.send(e.admin, rd.PackPause())
	wantRevert(t, err, "EnforcedPause")
	_, err = contracts.Publish(e.ctx, e.client, e.pub, e.contract, 2, [32]byte{2})
	wantRevert(t, err, "EnforcedPause")
	leaf, proof, _ := t1.Proof(addr(alice))
	_, err = contracts.Claim(e.ctx, e.client, alice, e.contract, addr(alice), leaf.Amount, proof)
	wantRevert(t, err, "EnforcedPause")
	r = e.mustSend(e.admin, rd.PackUnpause())
	if ev := events(r, rd.UnpackUnpausedEvent); len(ev) != 1 || ev[0].Account != addr(e.admin) {
		t.Errorf("Unpaused events %+v", ev)
	}
	e.claim(alice, t1, addr(alice))
	e.mustSend(e.admin, rd.PackPause())
	e.mustSend(alice, rd.PackTransfer(addr(stranger), bi("4")))
	e.mustSend(e.admin, rd.PackUnpause())

	// Rotate the publisher: the old one is refused, the new one publishes.
	r = e.mustSend(e.admin, rd.PackSetPublisher(addr(pub2)))
	if ev := events(r, rd.UnpackPublisherChangedEvent); len(ev) != 1 || ev[0].Previous != addr(e.pub) || ev[0].Current != addr(pub2) {
		t.Errorf("PublisherChanged events %+v", ev)
	}
	_, err = contracts.Publish(e.ctx, e.client, e.pub, e.contract, 2, [32]byte{2})
	wantRevert(t, err, "NotPublisher")
	if _, err := contracts.Publish(e.ctx, e.client, pub2, e.contract, 2, [32]byte{2}); err != nil {
		t.Fatal(err)
	}
	// The rotation kept the epoch, and pause/unpause kept publisher and epoch.
	if ep, _ := contracts.CurrentEpoch(e.ctx, e.client, e.contract); ep != 2 {
		t.Errorf("epoch %d", ep)
	}
}

// TestOwnable2Step: ownership moves only when the new owner accepts.
func TestOwnable2Step(t *testing.T) {
	next, stranger := fixedKey(t, "next admin"), fixedKey(t, "stranger")
	e := newEnv(t, next, stranger)
	_, err := e.send(stranger, rd.PackTransferOwnership(addr(stranger)))
	wantRevert(t, err, "OwnableUnauthorizedAccount")
	e.mustSend(e.admin, rd.PackTransferOwnership(addr(next)))
	if got := view(e, rd.PackOwner(), rd.UnpackOwner); got != addr(e.admin) {
		t.Errorf("owner %s before acceptance", got)
	}
	if got := view(e, rd.PackPendingOwner(), rd.UnpackPendingOwner); got != addr(next) {
		t.Errorf("pending owner %s", got)
	}
	_, err = e.send(stranger, rd.PackAcceptOwnership())
	wantRevert(t, err, "OwnableUnauthorizedAccount")
	r := e.mustSend(next, rd.PackAcceptOwnership())
	if ev := events(r, rd.UnpackOwnershipTransferredEvent); len(ev) != 1 || ev[0].PreviousOwner != addr(e.admin) || ev[0].NewOwner != addr(next) {
		t.Errorf("OwnershipTransferred events %+v", ev)
	}
	_, err = e.send(e.admin, rd.PackPause())
	wantRevert(t, err, "OwnableUnauthorizedAccount")
	e.mustSend(next, rd.PackPause())
}
