package contracts_test

import (
	"bytes"
	"crypto/ecdsa"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/contracts/bindings"
)

var (
	safeABI     = bindings.NewSafe()
	safeFactory = bindings.NewSafeProxyFactory()
)

// safeWallet is a Safe 1.4.1 proxy on the simulated chain and its owners' keys.
type safeWallet struct {
	e      *env
	addr   common.Address
	owners []*ecdsa.PrivateKey
}

// deploySafe deploys Safe 1.4.1's singleton and proxy factory from the npm package's
// artifacts and makes a proxy owned by owners with the given threshold.
func deploySafe(e *env, deployer *ecdsa.PrivateKey, threshold int64, owners ...*ecdsa.PrivateKey) *safeWallet {
	e.t.Helper()
	deploy := func(bin string) common.Address {
		opts, err := contracts.Transactor(e.ctx, e.client, deployer)
		if err != nil {
			e.t.Fatal(err)
		}
		a, tx, err := bind.DeployContract(opts, common.FromHex(bin), e.client, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := contracts.Wait(e.ctx, e.client, tx); err != nil {
			e.t.Fatal(err)
		}
		return a
	}
	singleton := deploy(bindings.SafeMetaData.Bin)
	factory := deploy(bindings.SafeProxyFactoryMetaData.Bin)
	var addrs []common.Address
	for _, k := range owners {
		addrs = append(addrs, addr(k))
	}
	setup := safeABI.PackSetup(addrs, big.NewInt(threshold), common.Address{}, nil,
		common.Address{}, common.Address{}, big.NewInt(0), common.Address{})
	r, err := sendTo(e, deployer, factory, safeFactory.PackCreateProxyWithNonce(singleton, setup, big.NewInt(1)))
	if err != nil {
		e.t.Fatal(err)
	}
	var proxy common.Address
	for _, l := range r.Logs {
		if ev, err := safeFactory.UnpackProxyCreationEvent(l); err == nil {
			proxy = ev.Proxy
		}
	}
	if proxy == (common.Address{}) {
		e.t.Fatal("no ProxyCreation event")
	}
	s := &safeWallet{e: e, addr: proxy, owners: owners}
	if got := s.call(safeABI.PackGetThreshold(), safeABI.UnpackGetThreshold); got.Int64() != threshold {
		e.t.Fatalf("threshold %s", got)
	}
	return s
}

func (s *safeWallet) call(data []byte, unpack func([]byte) (*big.Int, error)) *big.Int {
	s.e.t.Helper()
	c := bind.NewBoundContract(s.addr, safeABI.GetABI(), s.e.client, nil, nil)
	v, err := bind.Call(c, &bind.CallOpts{Context: s.e.ctx}, data, unpack)
	if err != nil {
		s.e.t.Fatal(err)
	}
	return v
}

// exec has signers sign the Safe transaction (to, data) over getTransactionHash at the
// Safe's current nonce and sends execTransaction from sender. Signatures are ordered by
// owner address, as Safe requires.
func (s *safeWallet) exec(sender *ecdsa.PrivateKey, to common.Address, data []byte, signers ...*ecdsa.PrivateKey) error {
	s.e.t.Helper()
	zero, none := big.NewInt(0), common.Address{}
	nonce := s.call(safeABI.PackNonce(), safeABI.UnpackNonce)
	c := bind.NewBoundContract(s.addr, safeABI.GetABI(), s.e.client, nil, nil)
	hash, err := bind.Call(c, &bind.CallOpts{Context: s.e.ctx},
		safeABI.PackGetTransactionHash(to, zero, data, 0, zero, zero, zero, none, none, nonce), safeABI.UnpackGetTransactionHash)
	if err != nil {
		s.e.t.Fatal(err)
	}
	signers = slices.Clone(signers)
	slices.SortFunc(signers, func(a, b *ecdsa.PrivateKey) int {
		x, y := addr(a), addr(b)
		return bytes.Compare(x[:], y[:])
	})
	var sigs []byte
	for _, k := range signers {
		sig, err := crypto.Sign(hash[:], k) // r || s || v (0/1): Safe wants v 27/28
		if err != nil {
			s.e.t.Fatal(err)
		}
		sig[64] += 27
		sigs = append(sigs, sig...)
	}
	r, err := sendTo(s.e, sender, s.addr, safeABI.PackExecTransaction(to, zero, data, 0, zero, zero, zero, none, none, sigs))
	if err != nil {
		return err
	}
	for _, l := range r.Logs {
		if _, err := safeABI.UnpackExecutionSuccessEvent(l); err == nil {
			return nil
		}
	}
	s.e.t.Fatalf("execTransaction mined without ExecutionSuccess (logs %d)", len(r.Logs))
	return nil
}

// TestSafeAdmin makes a 2-of-3 Safe the distributor's owner (Ownable2Step: the Safe accepts
// through a Safe transaction) and rotates the publisher through a 2-of-3 Safe transaction:
// one signature is refused, two change it, and the old publisher can no longer publish.
func TestSafeAdmin(t *testing.T) {
	o1, o2, o3, pub2, relayer := fixedKey(t, "owner 1"), fixedKey(t, "owner 2"), fixedKey(t, "owner 3"), fixedKey(t, "publisher 2"), fixedKey(t, "relayer")
	e := newEnv(t, o1, o2, o3, pub2, relayer)
	safe := deploySafe(e, relayer, 2, o1, o2, o3)

	// The admin offers ownership; the Safe accepts with owners 1 and 3.
	e.mustSend(e.admin, rd.PackTransferOwnership(safe.addr))
	if err := safe.exec(relayer, e.contract, rd.PackAcceptOwnership(), o3, o1); err != nil {
		t.Fatalf("accepting ownership through the Safe: %v", err)
	}
	if got := view(e, rd.PackOwner(), rd.UnpackOwner); got != safe.addr {
		t.Fatalf("owner %s, want the Safe %s", got, safe.addr)
	}
	// The former admin key is powerless now.
	_, err := e.send(e.admin, rd.PackSetPublisher(addr(pub2)))
	wantRevert(t, err, "OwnableUnauthorizedAccount")

	e.publish(1, [32]byte{1})

	// One signature is not enough: Safe refuses with GS020 (signatures too short).
	wantSafeError(t, safe.exec(relayer, e.contract, rd.PackSetPublisher(addr(pub2)), o2), "GS020")
	// The same owner twice, or a non-owner's signature, does not make two (GS026: signers must
	// be distinct owners in ascending order).
	wantSafeError(t, safe.exec(relayer, e.contract, rd.PackSetPublisher(addr(pub2)), o2, o2), "GS026")
	wantSafeError(t, safe.exec(relayer, e.contract, rd.PackSetPublisher(addr(pub2)), o2, relayer), "GS026")
	if got, _ := contracts.Publisher(e.ctx, e.client, e.contract); got != addr(e.pub) {
		t.Fatalf("publisher changed by refused Safe transactions: %s", got)
	}

	// Owners 2 and 3 sign: the publisher changes.
	if err := safe.exec(o1, e.contract, rd.PackSetPublisher(addr(pub2)), o2, o3); err != nil {
		t.Fatalf("2-of-3 setPublisher: %v", err)
	}
	if got, _ := contracts.Publisher(e.ctx, e.client, e.contract); got != addr(pub2) {
		t.Fatalf("publisher %s, want %s", got, addr(pub2))
	}
	_, err = contracts.Publish(e.ctx, e.client, e.pub, e.contract, 2, [32]byte{2})
	wantRevert(t, err, "NotPublisher")
	if _, err := contracts.Publish(e.ctx, e.client, pub2, e.contract, 2, [32]byte{2}); err != nil {
		t.Fatalf("the new publisher: %v", err)
	}

	// The Safe pauses too (2-of-3).
	if err := safe.exec(relayer, e.contract, rd.PackPause(), o1, o2); err != nil {
		t.Fatalf("pause through the Safe: %v", err)
	}
	_, err = contracts.Publish(e.ctx, e.client, pub2, e.contract, 3, [32]byte{3})
	wantRevert(t, err, "EnforcedPause")

	// Paused, the Safe (the owner, not the publisher) puts an earlier epoch's root back, as
	// after a stolen publisher key: one signature is refused, two publish (review R1).
	wantSafeError(t, safe.exec(relayer, e.contract, rd.PackPublish(1, [32]byte{1}), o2), "GS020")
	if err := safe.exec(relayer, e.contract, rd.PackPublish(1, [32]byte{1}), o1, o3); err != nil {
		t.Fatalf("2-of-3 publish of epoch 1 again: %v", err)
	}
	if ep, _ := contracts.CurrentEpoch(e.ctx, e.client, e.contract); ep != 1 {
		t.Errorf("epoch %d after the Safe's restore, want 1", ep)
	}
	if root, _ := contracts.MerkleRoot(e.ctx, e.client, e.contract); root != ([32]byte{1}) {
		t.Errorf("root %x after the Safe's restore", root)
	}
	// Nor can the Safe give up ownership (one step, final).
	if err := safe.exec(relayer, e.contract, rd.PackRenounceOwnership(), o1, o2); err == nil {
		t.Error("the Safe renounced ownership")
	}
	if got := view(e, rd.PackOwner(), rd.UnpackOwner); got != safe.addr {
		t.Errorf("owner %s, want the Safe", got)
	}
}

// wantSafeError fails unless err is Safe's require(..., code) revert.
func wantSafeError(t *testing.T, err error, code string) {
	t.Helper()
	name, args, ok := contracts.DecodeRevertArgs(err)
	if !ok || name != "Error" || len(args) != 1 || args[0] != code {
		t.Fatalf("error %v: decoded %s %v, want Safe's %s", err, name, args, code)
	}
}
