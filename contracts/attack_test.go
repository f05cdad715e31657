package contracts_test

// Hostile-party tests (review R1 of issue 15): a compromised publisher key, hand-built claim
// calldata, a tree's inner node presented as a leaf, the supply slot's pause copy, and the
// owner giving itself up.

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/merkle"
)

// TestCompromisedPublisherRecovery: a stolen publisher key publishes a root that pays the
// thief, with the last possible epoch so that no later epoch can ever be published. The
// owner (a Safe in production) pauses, puts the last good epoch and root back, rotates the
// publisher and unpauses: the thief's leaf no longer verifies, the new publisher goes on from
// the good epoch, and the donors claim what the good roots give them. Before the owner could
// publish, the contract stayed stuck at epoch 2^64-1 for good.
func TestCompromisedPublisherRecovery(t *testing.T) {
	alice, thief, pub2 := fixedKey(t, "alice"), fixedKey(t, "thief"), fixedKey(t, "publisher 2")
	e := newEnv(t, alice, thief, pub2)
	A, T := addr(alice), addr(thief)
	good := build(t, A, "100")
	e.publish(1, good.Root())

	// The thief holds the publisher key: it publishes its own tree at epoch 2^64-1 and claims
	// at once (before any admin can react).
	bad := build(t, A, "100", T, "1000000")
	e.publish(math.MaxUint64, bad.Root())
	e.claim(thief, bad, T)

	// The owner pauses (claims and publishes by the publisher stop) and, paused, publishes
	// the last good epoch and root back.
	e.mustSend(e.admin, rd.PackPause())
	_, err := contracts.Publish(e.ctx, e.client, e.pub, e.contract, 1, good.Root())
	wantRevert(t, err, "EnforcedPause") // the publisher may not, and never an older epoch
	r, err := contracts.Publish(e.ctx, e.client, e.admin, e.contract, 1, good.Root())
	if err != nil {
		t.Fatalf("the owner puts epoch 1 back: %v", err)
	}
	if ev := events(r, rd.UnpackEpochPublishedEvent); len(ev) != 1 || ev[0].Epoch != 1 || ev[0].Root != good.Root() {
		t.Errorf("EpochPublished events %+v", ev)
	}
	// Not epoch 0 (no epoch yet), not a zero root, not a stranger.
	_, err = contracts.Publish(e.ctx, e.client, e.admin, e.contract, 0, good.Root())
	wantRevert(t, err, "EpochNotNewer")
	_, err = contracts.Publish(e.ctx, e.client, e.admin, e.contract, 1, [32]byte{})
	wantRevert(t, err, "ZeroRoot")
	_, err = contracts.Publish(e.ctx, e.client, thief, e.contract, 1, good.Root())
	wantRevert(t, err, "NotPublisher")
	if !view(e, rd.PackPaused(), rd.UnpackPaused) {
		t.Error("the owner's publish unpaused")
	}
	e.mustSend(e.admin, rd.PackSetPublisher(addr(pub2)))
	e.mustSend(e.admin, rd.PackUnpause())

	if ep, _ := contracts.CurrentEpoch(e.ctx, e.client, e.contract); ep != 1 {
		t.Errorf("epoch %d after the restore, want 1", ep)
	}
	leafT, proofT, _ := bad.Proof(T)
	_, err = contracts.Claim(e.ctx, e.client, thief, e.contract, T, leafT.Amount, proofT)
	wantRevert(t, err, "InvalidProof")
	_, err = contracts.Publish(e.ctx, e.client, e.pub, e.contract, 2, bad.Root())
	wantRevert(t, err, "NotPublisher") // the stolen key is out
	next := build(t, A, "250")
	if _, err := contracts.Publish(e.ctx, e.client, pub2, e.contract, 2, next.Root()); err != nil {
		t.Fatalf("the new publisher publishes epoch 2: %v", err)
	}
	e.claim(alice, next, A)
	if !eq(e.balance(A), bi("250")) {
		t.Errorf("alice %s, want 250", e.balance(A))
	}
	// Epoch 1's root is the good one.
	root, found, err := contracts.PublishedRoot(e.ctx, e.client, e.contract, 1, 0)
	if err != nil || !found || root != good.Root() {
		t.Errorf("PublishedRoot(1) = %x %v %v", root, found, err)
	}
	// The owner may publish any epoch, older or newer, while not paused too; PublishedRoot
	// names the latest root of an epoch published twice.
	if _, err := contracts.Publish(e.ctx, e.client, e.admin, e.contract, 2, [32]byte{0x22}); err != nil {
		t.Errorf("the owner republishes epoch 2: %v", err)
	}
	if root, found, err := contracts.PublishedRoot(e.ctx, e.client, e.contract, 2, 0); err != nil || !found || root != ([32]byte{0x22}) {
		t.Errorf("PublishedRoot(2) = %x %v %v, want the owner's 22..", root, found, err)
	}
}

// TestRenounceOwnershipRefused: Ownable's renounceOwnership is one step and cannot be undone;
// an owner-less distributor could never be paused, its publisher never replaced, a bad root
// never put right. It is refused; ownership moves only in Ownable2Step's two steps.
func TestRenounceOwnershipRefused(t *testing.T) {
	stranger := fixedKey(t, "stranger")
	e := newEnv(t, stranger)
	_, err := e.send(stranger, rd.PackRenounceOwnership())
	wantRevert(t, err, "OwnableUnauthorizedAccount")
	_, err = e.send(e.admin, rd.PackRenounceOwnership())
	wantRevert(t, err, "OwnableInvalidOwner")
	if got := view(e, rd.PackOwner(), rd.UnpackOwner); got != addr(e.admin) {
		t.Fatalf("owner %s after renounceOwnership, want %s", got, addr(e.admin))
	}
	e.mustSend(e.admin, rd.PackPause())
}

// dumpNodes returns the tree's nodes in OZ's array layout (root at 0, children of i at 2i+1
// and 2i+2) from its dump.
func dumpNodes(t *testing.T, tr *merkle.Tree) [][32]byte {
	t.Helper()
	raw, err := tr.Dump()
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Tree []string }
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	out := make([][32]byte, len(d.Tree))
	for i, h := range d.Tree {
		out[i] = common.HexToHash(h)
	}
	return out
}

// rawClaim is claim's calldata built by hand: selector, the account and amount words as given
// (dirty bits allowed), the proof array's offset word, then tail (length and elements).
func rawClaim(account, amount, offset [32]byte, tail ...[32]byte) []byte {
	data := append([]byte{}, rd.PackClaim(common.Address{}, new(big.Int), nil)[:4]...)
	for _, w := range append([][32]byte{account, amount, offset}, tail...) {
		data = append(data, w[:]...)
	}
	return data
}

func word(v *big.Int) (w [32]byte) {
	v.FillBytes(w[:])
	return w
}

func wordU(v uint64) [32]byte { return word(new(big.Int).SetUint64(v)) }

// TestInnerNodeAsLeaf: the second-preimage attack. An inner node is keccak256 of 64 bytes
// (its sorted children), exactly the size of abi.encode(account, amount): with a leaf hashed
// once, presenting the children as (account, amount) with the inner node's proof would prove
// a leaf nobody was given. The double-hashed leaf makes that leaf keccak256(node) instead, so
// every such claim is refused: the ABI decoder refuses a first child that is not a clean
// address, and the same claim with the child cut to an address is an InvalidProof.
func TestInnerNodeAsLeaf(t *testing.T) {
	keys := []string{"alice", "bob", "carol", "dave", "erin"}
	var pairs []any
	for i, k := range keys {
		pairs = append(pairs, addr(fixedKey(t, k)), big.NewInt(int64(1000*(i+1))).String())
	}
	tr := build(t, pairs...)
	e := newEnv(t)
	e.publish(1, tr.Root())
	nodes := dumpNodes(t, tr)
	inner := tr.Len() - 1 // nodes 0 .. n-2 are inner nodes
	for i := 0; i < inner; i++ {
		lo, hi := nodes[2*i+1], nodes[2*i+2]
		if new(big.Int).SetBytes(lo[:]).Cmp(new(big.Int).SetBytes(hi[:])) > 0 {
			lo, hi = hi, lo
		}
		// What a single hash would accept, and what the double hash makes of it.
		if got := crypto.Keccak256Hash(lo[:], hi[:]); got != nodes[i] {
			t.Fatalf("node %d is not keccak256 of its sorted children", i)
		}
		if got := crypto.Keccak256Hash(crypto.Keccak256(lo[:], hi[:])); got == nodes[i] {
			t.Fatalf("node %d equals the double hash of its children", i)
		}
		// The proof of node i: its siblings up to the root.
		var proof [][32]byte
		for j := i; j > 0; j = (j - 1) / 2 {
			sib := j + 1
			if j%2 == 0 {
				sib = j - 1
			}
			proof = append(proof, nodes[sib])
		}
		tail := [][32]byte{wordU(uint64(len(proof)))}
		tail = append(tail, proof...)
		call := func(data []byte) error {
			_, err := e.client.CallContract(e.ctx, ethereum.CallMsg{From: addr(e.pub), To: &e.contract, Data: data}, nil)
			return err
		}
		if err := call(rawClaim(lo, hi, wordU(0x60), tail...)); err == nil {
			t.Errorf("node %d: its children as (account, amount) claim", i)
		}
		var clean [32]byte
		copy(clean[12:], lo[12:])
		err := call(rawClaim(clean, hi, wordU(0x60), tail...))
		wantRevert(t, err, "InvalidProof")
	}
	// A node whose children do read as abi.encode(account, amount) (real children are hashes:
	// that takes 12 zero high bytes, 2^-96 by chance): a single-hashed leaf would be that node
	// and the claim would pay; the double hash refuses it.
	forged := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	var lo, hi [32]byte
	copy(lo[12:], forged[:])
	hi[31] = 1
	e.publish(2, crypto.Keccak256Hash(lo[:], hi[:]))
	_, err := contracts.Claim(e.ctx, e.client, e.pub, e.contract, forged, big.NewInt(1), nil)
	wantRevert(t, err, "InvalidProof")
	e.publish(3, tr.Root())

	// Control: the same hand-built encoding of a real leaf claims.
	a := addr(fixedKey(t, "carol"))
	leaf, proof, _ := tr.Proof(a)
	var acct [32]byte
	copy(acct[12:], a[:])
	tail := append([][32]byte{wordU(uint64(len(proof)))}, proof...)
	if _, err := e.send(e.pub, rawClaim(acct, word(leaf.Amount), wordU(0x60), tail...)); err != nil {
		t.Fatalf("a real leaf in hand-built calldata: %v", err)
	}
	if !eq(e.balance(a), leaf.Amount) {
		t.Errorf("carol %s, want %s", e.balance(a), leaf.Amount)
	}
}

// TestHostileProofCalldata: claim's proof array with offsets and lengths that point outside
// the calldata, wrap around, or alias the head. The assembly proof walk reads proof.offset
// and proof.length as the ABI decoder leaves them; the decoder must refuse every such layout
// (a revert without data), and layouts that are odd but valid must verify the same proof.
func TestHostileProofCalldata(t *testing.T) {
	alice := fixedKey(t, "alice")
	e := newEnv(t, alice)
	A := addr(alice)
	tr := build(t, A, "500", addr(fixedKey(t, "bob")), "7", addr(fixedKey(t, "carol")), "9")
	e.publish(1, tr.Root())
	leaf, proof, _ := tr.Proof(A)
	var acct [32]byte
	copy(acct[12:], A[:])
	amt := word(leaf.Amount)
	n := wordU(uint64(len(proof)))
	body := append([][32]byte{n}, proof...)
	two := func(exp uint) [32]byte { return word(new(big.Int).Lsh(big.NewInt(1), exp)) }

	bad := map[string][]byte{
		"offset past the end":              rawClaim(acct, amt, wordU(0x1000), body...),
		"offset 2^64":                      rawClaim(acct, amt, two(64), body...),
		"offset 2^256-32 (wraps to head)":  rawClaim(acct, amt, word(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(32))), body...),
		"length one too many":              rawClaim(acct, amt, wordU(0x60), append([][32]byte{wordU(uint64(len(proof) + 1))}, proof...)...),
		"length 2^64":                      rawClaim(acct, amt, wordU(0x60), append([][32]byte{two(64)}, proof...)...),
		"length 2^251 (32*len wraps to 0)": rawClaim(acct, amt, wordU(0x60), append([][32]byte{two(251)}, proof...)...),
		"length 2^256-1":                   rawClaim(acct, amt, wordU(0x60), append([][32]byte{word(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)))}, proof...)...),
		"offset 0 (length = account)":      rawClaim(acct, amt, wordU(0), body...),
		"offset 0x20 (length = amount)":    rawClaim(acct, amt, wordU(0x20), body...),
		"no proof words at all":            rawClaim(acct, amt, wordU(0x60)),
	}
	truncated := rawClaim(acct, amt, wordU(0x60), body...)
	bad["last byte cut"] = truncated[:len(truncated)-1]
	bad["selector and head only, cut"] = truncated[:4+3*32-1]
	for name, data := range bad {
		_, err := e.client.CallContract(e.ctx, ethereum.CallMsg{From: A, To: &e.contract, Data: data}, nil)
		if err == nil {
			t.Errorf("%s: the claim went through", name)
			continue
		}
		if n, ok := contracts.DecodeRevert(err); ok {
			t.Errorf("%s: refused by the contract (%s), want the ABI decoder's revert", name, n)
		}
	}

	// Valid if unusual encodings: the array after a junk word, trailing bytes.
	ok := map[string][]byte{
		"array after a junk word": rawClaim(acct, amt, wordU(0x80), append([][32]byte{{0xde, 0xad}}, body...)...),
		"trailing bytes":          append(rawClaim(acct, amt, wordU(0x60), body...), 1, 2, 3),
	}
	for name, data := range ok {
		if _, err := e.client.CallContract(e.ctx, ethereum.CallMsg{From: A, To: &e.contract, Data: data}, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The junk word is not read as proof: the same layout with a wrong element is refused.
	wrong := append([][32]byte{}, body...)
	wrong[1][0] ^= 1
	_, err := e.client.CallContract(e.ctx, ethereum.CallMsg{From: A, To: &e.contract, Data: rawClaim(acct, amt, wordU(0x80), append([][32]byte{proof[0]}, wrong...)...)}, nil)
	wantRevert(t, err, "InvalidProof")
	// An aliased proof (its words are the head's) is just another proof: refused.
	_, err = e.client.CallContract(e.ctx, ethereum.CallMsg{From: A, To: &e.contract, Data: rawClaim(acct, wordU(1), wordU(0x20), body...)}, nil)
	wantRevert(t, err, "InvalidProof")
	if e.balance(A).Sign() != 0 {
		t.Fatalf("alice has %s after calls only", e.balance(A))
	}
}

// TestPauseCopyInSync: the supply slot's copy of the pause flag (what claim reads) follows
// the hot slot's (what publish and paused() read) through pause, unpause, claims, transfers,
// transferFrom and an owner's publish, and claims and transfers keep both flags and the
// slot's never-empty marker. Slots: 7 = publisher | epoch << 160 | paused << 224, 8 = root,
// 9 = supply | paused << 128 | set << 136 (OZ's ERC20 and Ownable2Step take 0-6).
func TestPauseCopyInSync(t *testing.T) {
	alice, bob := fixedKey(t, "alice"), fixedKey(t, "bob")
	e := newEnv(t, alice, bob)
	A, B := addr(alice), addr(bob)
	slot := func(i int64) *big.Int {
		t.Helper()
		v, err := e.client.StorageAt(e.ctx, e.contract, common.BigToHash(big.NewInt(i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(v)
	}
	bit := func(v *big.Int, i int) bool { return v.Bit(i) == 1 }
	check := func(when string, paused bool, supply string) {
		t.Helper()
		hot, sup := slot(7), slot(9)
		if common.BigToAddress(hot) != addr(e.pub) {
			t.Fatalf("%s: slot 7 is %x, not the publisher's slot", when, hot)
		}
		if bit(hot, 224) != paused || bit(sup, 128) != paused || view(e, rd.PackPaused(), rd.UnpackPaused) != paused {
			t.Errorf("%s: hot paused %v, supply copy %v, want %v", when, bit(hot, 224), bit(sup, 128), paused)
		}
		if !bit(sup, 136) {
			t.Errorf("%s: supply slot lost its set marker: %x", when, sup)
		}
		low := new(big.Int).And(sup, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1)))
		if !eq(low, bi(supply)) || !eq(view(e, rd.PackTotalSupply(), rd.UnpackTotalSupply), bi(supply)) {
			t.Errorf("%s: supply %s in the slot, want %s", when, low, supply)
		}
		if rest := new(big.Int).Rsh(sup, 137); rest.Sign() != 0 {
			t.Errorf("%s: stray bits in the supply slot: %x", when, sup)
		}
	}
	check("deployed", false, "0")
	t1 := build(t, A, "100", B, "5")
	e.publish(1, t1.Root())
	e.mustSend(e.admin, rd.PackPause())
	check("paused", true, "0")
	e.mustSend(e.admin, rd.PackUnpause())
	check("unpaused", false, "0")
	e.claim(alice, t1, A)
	check("claimed", false, "100")
	e.mustSend(e.admin, rd.PackPause())
	e.mustSend(alice, rd.PackTransfer(B, bi("30")))
	e.mustSend(alice, rd.PackApprove(B, bi("10")))
	e.mustSend(bob, rd.PackTransferFrom(A, B, bi("10")))
	e.mustSend(bob, rd.PackTransfer(B, bi("40")))
	check("paused, transfers", true, "100")
	if _, err := contracts.Publish(e.ctx, e.client, e.admin, e.contract, 2, t1.Root()); err != nil {
		t.Fatal(err)
	}
	check("paused, the owner published", true, "100")
	leaf, proof, _ := t1.Proof(B)
	_, err := contracts.Claim(e.ctx, e.client, bob, e.contract, B, leaf.Amount, proof)
	wantRevert(t, err, "EnforcedPause")
	e.mustSend(e.admin, rd.PackUnpause())
	e.claim(bob, t1, B)
	check("unpaused, claimed", false, "105")
	if !eq(e.balance(A), bi("60")) || !eq(e.balance(B), bi("45")) || !eq(e.claimed(B), bi("5")) || !eq(e.claimed(A), bi("100")) {
		t.Errorf("balances alice %s bob %s, claimed alice %s bob %s", e.balance(A), e.balance(B), e.claimed(A), e.claimed(B))
	}
}

// TestProofWalkEdges: the assembly proof walk against OpenZeppelin's commutativeKeccak256
// semantics (a < b ? keccak(a, b) : keccak(b, a)) on proofs made to hit its edges: a sibling
// equal to the running hash, siblings one above or below it, all zeros, all ones, 0 to 40
// levels. Each root is folded in Go the OZ way; the contract must accept exactly that claim
// and refuse the same proof against the root with the last pair hashed unsorted.
func TestProofWalkEdges(t *testing.T) {
	e := newEnv(t)
	fold := func(h [32]byte, s [32]byte) [32]byte {
		a, b := new(big.Int).SetBytes(h[:]), new(big.Int).SetBytes(s[:])
		if a.Cmp(b) < 0 {
			return crypto.Keccak256Hash(h[:], s[:])
		}
		return crypto.Keccak256Hash(s[:], h[:])
	}
	var ep uint64
	publish := func(root [32]byte) {
		ep++
		e.publish(ep, root)
	}
	one := big.NewInt(1)
	max := new(big.Int).Sub(new(big.Int).Lsh(one, 256), one)
	for i := 0; i < 24; i++ {
		var account common.Address
		account[0], account[19] = 0xed, byte(i+1)
		amount := big.NewInt(int64(1000 + i))
		h := merkle.LeafHash(merkle.Leaf{Account: account, Amount: amount})
		var proof [][32]byte
		levels := []int{0, 1, 2, 3, 5, 8, 17, 40}[i%8]
		for k := 0; k < levels; k++ {
			hv := new(big.Int).SetBytes(h[:])
			var s [32]byte
			switch (i + k) % 6 {
			case 0:
				s = h // equal pair
			case 1:
				s = word(new(big.Int).Add(hv, one).And(new(big.Int).Add(hv, one), max))
			case 2:
				s = word(new(big.Int).Sub(hv, one).And(new(big.Int).Sub(hv, one), max))
			case 3:
				s = [32]byte{}
			case 4:
				s = word(max)
			default:
				s = crypto.Keccak256Hash([]byte{byte(i), byte(k)})
			}
			proof = append(proof, s)
			h = fold(h, s)
		}
		publish(h)
		// The same walk with the last pair hashed unsorted, where the order matters.
		if levels > 0 {
			last := proof[len(proof)-1]
			prev := merkle.LeafHash(merkle.Leaf{Account: account, Amount: amount})
			for _, s := range proof[:len(proof)-1] {
				prev = fold(prev, s)
			}
			if prev != last {
				var flipped [32]byte
				if new(big.Int).SetBytes(prev[:]).Cmp(new(big.Int).SetBytes(last[:])) < 0 {
					flipped = crypto.Keccak256Hash(last[:], prev[:])
				} else {
					flipped = crypto.Keccak256Hash(prev[:], last[:])
				}
				publish(flipped)
				_, err := contracts.Claim(e.ctx, e.client, e.pub, e.contract, account, amount, proof)
				wantRevert(t, err, "InvalidProof")
				publish(h)
			}
		}
		if _, err := contracts.Claim(e.ctx, e.client, e.pub, e.contract, account, amount, proof); err != nil {
			t.Fatalf("case %d (%d levels): %v", i, levels, err)
		}
		if !eq(e.balance(account), amount) {
			t.Errorf("case %d: balance %s", i, e.balance(account))
		}
	}
}
