package merkle

import (
	"bytes"
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// randLeaves makes n leaves with distinct random accounts and amounts that
// include 0 and 2^256-1, from a seeded generator (reproducible).
func randLeaves(seed uint64, n int) []Leaf {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Leaf, 0, n)
	seen := map[common.Address]bool{}
	for len(out) < n {
		var a common.Address
		for i := range a {
			a[i] = byte(r.Uint32())
		}
		if seen[a] {
			continue
		}
		seen[a] = true
		var amt *big.Int
		switch len(out) % 5 {
		case 0:
			amt = new(big.Int)
		case 1:
			amt = new(big.Int).Set(maxAmount)
		case 2:
			amt = new(big.Int).SetUint64(r.Uint64())
		default:
			b := make([]byte, 1+r.IntN(32))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			amt = new(big.Int).SetBytes(b)
		}
		out = append(out, Leaf{Account: a, Amount: amt})
	}
	return out
}

// refLeafHash computes the leaf hash independently: go-ethereum's ABI
// encoder and one-shot Keccak256.
func refLeafHash(t testing.TB, l Leaf) [32]byte {
	t.Helper()
	addrT, _ := abi.NewType("address", "", nil)
	uintT, _ := abi.NewType("uint256", "", nil)
	enc, err := abi.Arguments{{Type: addrT}, {Type: uintT}}.Pack(l.Account, l.Amount)
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(crypto.Keccak256(crypto.Keccak256(enc)))
}

func refNode(a, b [32]byte) [32]byte {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	return [32]byte(crypto.Keccak256(a[:], b[:]))
}

func TestLeafHashMatchesABIEncoding(t *testing.T) {
	for _, l := range randLeaves(1, 50) {
		if got, want := LeafHash(l), refLeafHash(t, l); got != want {
			t.Fatalf("LeafHash(%s, %s) = %x, want %x", l.Account.Hex(), l.Amount, got, want)
		}
	}
}

// TestLayout checks the array layout by hand for 1, 2 and 3 leaves: sorted
// leaf hashes fill the array from its end, node i = H(2i+1, 2i+2).
func TestLayout(t *testing.T) {
	ls := randLeaves(2, 3)
	h := make([][32]byte, 3)
	for i, l := range ls {
		h[i] = refLeafHash(t, l)
	}

	one, err := Build(ls[:1])
	if err != nil {
		t.Fatal(err)
	}
	if one.Root() != h[0] {
		t.Errorf("one leaf: root %x, want the leaf hash %x", one.Root(), h[0])
	}
	if _, p, err := one.Proof(ls[0].Account); err != nil || len(p) != 0 {
		t.Errorf("one leaf: proof %x, %v; want empty", p, err)
	}

	two, err := Build(ls[:2])
	if err != nil {
		t.Fatal(err)
	}
	if want := refNode(h[0], h[1]); two.Root() != want {
		t.Errorf("two leaves: root %x, want %x", two.Root(), want)
	}

	three, err := Build(ls)
	if err != nil {
		t.Fatal(err)
	}
	s := append([][32]byte(nil), h...)
	for i := range s { // sort ascending
		for j := i + 1; j < len(s); j++ {
			if bytes.Compare(s[j][:], s[i][:]) < 0 {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	// nodes: [root, H(n3,n4), n2=s2, n3=s1, n4=s0]
	want := refNode(refNode(s[1], s[0]), s[2])
	if three.Root() != want {
		t.Errorf("three leaves: root %x, want %x", three.Root(), want)
	}
	for i, l := range ls {
		got, p, err := three.Proof(l.Account)
		if err != nil {
			t.Fatal(err)
		}
		if got.Account != l.Account || got.Amount.Cmp(l.Amount) != 0 {
			t.Errorf("leaf %d: Proof returned %v", i, got)
		}
		wantLen := 2
		if h[i] == s[2] {
			wantLen = 1 // the leaf at index 2 hangs right under the root
		}
		if len(p) != wantLen {
			t.Errorf("leaf %d: proof of %d hashes, want %d", i, len(p), wantLen)
		}
	}
}

func TestProofsVerify(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 100, 1000} {
		ls := randLeaves(uint64(n), n)
		tr, err := Build(ls)
		if err != nil {
			t.Fatal(err)
		}
		root := tr.Root()
		for _, l := range ls {
			got, p, err := tr.Proof(l.Account)
			if err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			if !Verify(root, got, p) {
				t.Fatalf("n=%d: proof of %s does not verify", n, l.Account.Hex())
			}
			bad := Leaf{Account: l.Account, Amount: new(big.Int).Add(l.Amount, big.NewInt(1))}
			if Verify(root, bad, p) {
				t.Fatalf("n=%d: inflated amount verifies", n)
			}
			if len(p) > 0 {
				p[0][0] ^= 1
				if Verify(root, got, p) {
					t.Fatalf("n=%d: tampered proof verifies", n)
				}
			}
		}
		if _, _, err := tr.Proof(common.Address{0xde, 0xad}); !errors.Is(err, ErrNotInTree) {
			t.Fatalf("n=%d: Proof of a stranger: %v, want ErrNotInTree", n, err)
		}
	}
}

// TestOrderIndependent: the root depends on the set of leaves, not their
// order (OZ sorts them), and Build does not keep the caller's slice.
func TestOrderIndependent(t *testing.T) {
	ls := randLeaves(7, 257)
	a, err := Build(ls)
	if err != nil {
		t.Fatal(err)
	}
	rev := make([]Leaf, len(ls))
	for i, l := range ls {
		rev[len(ls)-1-i] = l
	}
	b, err := Build(rev)
	if err != nil {
		t.Fatal(err)
	}
	if a.Root() != b.Root() {
		t.Fatalf("roots differ by order: %x vs %x", a.Root(), b.Root())
	}
	before := new(big.Int).Set(ls[3].Amount)
	ls[3].Amount.Add(ls[3].Amount, big.NewInt(5))
	if got := a.Leaves()[3].Amount; got.Cmp(before) != 0 {
		t.Fatalf("tree follows a caller's change to an amount: %s, want %s", got, before)
	}
	if _, p, _ := a.Proof(ls[3].Account); !Verify(a.Root(), Leaf{Account: ls[3].Account, Amount: before}, p) {
		t.Fatal("proof of the original amount no longer verifies")
	}
}

func TestBuildRefuses(t *testing.T) {
	ok := randLeaves(3, 3)
	neg := append([]Leaf(nil), ok...)
	neg[1] = Leaf{Account: ok[1].Account, Amount: big.NewInt(-1)}
	big257 := append([]Leaf(nil), ok...)
	big257[2] = Leaf{Account: ok[2].Account, Amount: new(big.Int).Lsh(big.NewInt(1), 256)}
	nilAmt := append([]Leaf(nil), ok...)
	nilAmt[0] = Leaf{Account: ok[0].Account}
	dup := append(append([]Leaf(nil), ok...), Leaf{Account: ok[1].Account, Amount: big.NewInt(9)})
	for _, tc := range []struct {
		name   string
		leaves []Leaf
		want   error
		say    string
	}{
		{"none", nil, ErrNoLeaves, "no leaves"},
		{"negative", neg, ErrAmount, "leaf 1 (" + ok[1].Account.Hex() + "): amount -1 is negative"},
		{"too large", big257, ErrAmount, "leaf 2 (" + ok[2].Account.Hex() + ")"},
		{"nil", nilAmt, ErrAmount, "leaf 0"},
		{"duplicate", dup, ErrDuplicateAccount, "leaf 1 and leaf 3 are both " + ok[1].Account.Hex()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Build(tc.leaves)
			if !errors.Is(err, tc.want) || tr != nil {
				t.Fatalf("Build: %v, %v; want %v", tr, err, tc.want)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.say)) {
				t.Fatalf("error %q does not say %q", err, tc.say)
			}
		})
	}
	if Verify([32]byte{}, Leaf{Account: ok[0].Account}, nil) {
		t.Fatal("Verify of a nil amount is true")
	}
}

func BenchmarkBuild100k(b *testing.B) {
	ls := randLeaves(100000, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tr, err := Build(ls)
		if err != nil {
			b.Fatal(err)
		}
		_ = tr.Root()
	}
}

func BenchmarkProof100k(b *testing.B) {
	ls := randLeaves(100000, 100000)
	tr, err := Build(ls)
	if err != nil {
		b.Fatal(err)
	}
	acct := ls[12345].Account
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := tr.Proof(acct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDump100k(b *testing.B) {
	tr, err := Build(randLeaves(100000, 100000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d, err := tr.Dump()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(d)))
	}
}

func BenchmarkLoad100k(b *testing.B) {
	tr, err := Build(randLeaves(100000, 100000))
	if err != nil {
		b.Fatal(err)
	}
	d, _ := tr.Dump()
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Load(d); err != nil {
			b.Fatal(err)
		}
	}
}
