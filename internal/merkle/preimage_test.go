package merkle

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestInnerNodeIsNoLeaf: the second-preimage attack on the tree. An inner node is keccak256
// of its two sorted children, 64 bytes, the size of abi.encode(address, uint256): were a
// leaf hashed once, the children read as (account, amount) with the node's own proof would
// prove a leaf nobody was given. The single-hash fold accepts exactly that (shown first), and
// the double-hashed leaf refuses it for every inner node of trees of 2 to 40 leaves, with the
// first child's low 20 bytes as the account (all a leaf can carry). Real children are
// hashes, so their 12 high bytes are zero only by chance (2^-96); the last case makes a node
// whose children do form abi.encode(account, amount): only the double hash refuses that one.
func TestInnerNodeIsNoLeaf(t *testing.T) {
	account := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	amount := big.NewInt(1)
	var lo, hi [32]byte
	copy(lo[12:], account[:])
	amount.FillBytes(hi[:])
	// A one-level tree over two children that read as (account, amount); lo < hi.
	root := crypto.Keccak256Hash(lo[:], hi[:])
	if Verify(root, Leaf{Account: account, Amount: amount}, nil) {
		t.Fatal("a node whose 64-byte preimage is abi.encode(account, amount) verifies as that leaf")
	}
	for n := 2; n <= 40; n++ {
		tr, err := Build(randLeaves(uint64(1000+n), n))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n-1; i++ {
			lo, hi := tr.nodes[2*i+1], tr.nodes[2*i+2]
			if bytes.Compare(lo[:], hi[:]) > 0 {
				lo, hi = hi, lo
			}
			var proof [][32]byte
			for j := i; j > 0; j = (j - 1) / 2 {
				sib := j + 1
				if j%2 == 0 {
					sib = j - 1
				}
				proof = append(proof, tr.nodes[sib])
			}
			// A single hash of the 64 bytes would be the node, and its proof would reach the root.
			single := crypto.Keccak256Hash(lo[:], hi[:])
			h := newHasher()
			cur := [32]byte(single)
			for k := range proof {
				cur = h.node(&cur, &proof[k])
			}
			if cur != tr.Root() {
				t.Fatalf("%d leaves, node %d: the single-hash fold does not reach the root", n, i)
			}
			forged := Leaf{Account: common.BytesToAddress(lo[12:]), Amount: new(big.Int).SetBytes(hi[:])}
			if Verify(tr.Root(), forged, proof) {
				t.Fatalf("%d leaves: inner node %d's children verify as a leaf", n, i)
			}
			if LeafHash(forged) == tr.nodes[i] {
				t.Fatalf("%d leaves: a leaf hashes to inner node %d", n, i)
			}
		}
	}
}
