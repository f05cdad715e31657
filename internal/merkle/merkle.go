// Package merkle builds the reward epochs' Merkle trees exactly as
// OpenZeppelin's StandardMerkleTree (@openzeppelin/merkle-tree 1.0.8) does
// for the leaf encoding ["address","uint256"], so the root the coordinators
// publish, the proofs a donor sends to the RewardDistributor contract and
// the JSON export anyone can rebuild the tree from all agree with OZ's
// JavaScript library and with its MerkleProof contract:
//
//   - a leaf's hash is keccak256(keccak256(abi.encode(account, amount)))
//     (LeafHash), the "double hash" that keeps a 64-byte leaf from being
//     mistaken for an inner node;
//   - an inner node is keccak256 of its two children in ascending byte
//     order (sorted pairs, as MerkleProof.verify expects);
//   - the tree is an array of 2n-1 nodes, node i's children at 2i+1 and
//     2i+2, root at 0; the leaves, sorted by hash ascending (OZ's default
//     sortLeaves), fill the array from its end backwards: the smallest hash
//     at index 2n-2;
//   - Dump writes OZ's tree.dump() ("standard-v1") and Load reads one,
//     checking that it is exactly the tree Build makes from its values.
//
// Build is deterministic (the same leaves in any order give the same root
// and proofs; only Dump's "values" keep the input order, as OZ's do) and
// reads no clock or randomness, so the Raft state machine may call it.
package merkle

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// LeafEncoding is the Solidity type list every leaf is encoded with; it is
// the "leafEncoding" of a dump.
var LeafEncoding = []string{"address", "uint256"}

// MaxLeaves bounds a tree (Build and Load): far above the epochs' wallet
// counts (the benchmark's 100,000), low enough that a dump stays a few
// hundred MiB at most.
const MaxLeaves = 1 << 20

// Errors Build, Proof and Load return, wrapped with the detail (which
// leaf, which field); compare with errors.Is.
var (
	// ErrNoLeaves: a tree needs at least one leaf (OZ refuses too).
	ErrNoLeaves = errors.New("merkle: no leaves")
	// ErrTooManyLeaves: more than MaxLeaves.
	ErrTooManyLeaves = errors.New("merkle: too many leaves")
	// ErrDuplicateAccount: two leaves for one account (a wallet has one
	// cumulative amount per epoch).
	ErrDuplicateAccount = errors.New("merkle: duplicate account")
	// ErrAmount: an amount that is nil, negative or above 2^256-1.
	ErrAmount = errors.New("merkle: invalid amount")
	// ErrNotInTree: Proof for an account that has no leaf.
	ErrNotInTree = errors.New("merkle: account not in tree")
	// ErrInvalidDump: Load's input is not a standard-v1 dump of the tree
	// Build makes from its values.
	ErrInvalidDump = errors.New("merkle: invalid dump")
)

// maxAmount is 2^256-1, the largest uint256.
var maxAmount = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// Leaf is one wallet's cumulative reward: the account the contract pays and
// the total amount, in token base units, it may have claimed by this epoch.
type Leaf struct {
	Account common.Address
	Amount  *big.Int
}

// Tree is a built tree. It is immutable; its methods are safe for
// concurrent use.
type Tree struct {
	nodes  [][32]byte             // OZ's array layout; nodes[0] is the root
	leaves []Leaf                 // input order (Dump's "values")
	index  []int                  // index[i]: tree index of leaves[i]
	byAcct map[common.Address]int // account -> position in leaves (lookup only)
}

// checkAmount says why an amount cannot be a uint256, or nil.
func checkAmount(a *big.Int) error {
	switch {
	case a == nil:
		return errors.New("amount is nil")
	case a.Sign() < 0:
		return fmt.Errorf("amount %s is negative", a)
	case a.Cmp(maxAmount) > 0:
		return fmt.Errorf("amount %s is above 2^256-1", a)
	}
	return nil
}

// hasher computes leaf and node hashes with one reused keccak state and
// buffer (Build hashes 3n times; a fresh state each time would dominate).
type hasher struct {
	k   crypto.KeccakState
	buf [64]byte
}

func newHasher() *hasher { return &hasher{k: crypto.NewKeccakState()} }

func (h *hasher) sum(data []byte) (out [32]byte) {
	h.k.Reset()
	h.k.Write(data)
	h.k.Read(out[:])
	return out
}

// leaf is keccak256(keccak256(abi.encode(address, uint256))). The amount
// must have passed checkAmount.
func (h *hasher) leaf(l Leaf) [32]byte {
	clear(h.buf[:12])
	copy(h.buf[12:32], l.Account[:])
	l.Amount.FillBytes(h.buf[32:64])
	inner := h.sum(h.buf[:64])
	return h.sum(inner[:])
}

// node is keccak256 of a and b concatenated smaller first (OZ's
// standardNodeHash, MerkleProof's commutative hash).
func (h *hasher) node(a, b *[32]byte) [32]byte {
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	copy(h.buf[:32], a[:])
	copy(h.buf[32:], b[:])
	return h.sum(h.buf[:64])
}

// LeafHash is the leaf's hash as OZ's StandardMerkleTree and the contract
// compute it: keccak256(bytes.concat(keccak256(abi.encode(account,
// amount)))). It panics on an amount that is not a uint256 (nil, negative,
// above 2^256-1); Build and Verify check first.
func LeafHash(l Leaf) [32]byte {
	if err := checkAmount(l.Amount); err != nil {
		panic("merkle.LeafHash: " + err.Error())
	}
	return newHasher().leaf(l)
}

// Build makes the tree OZ's StandardMerkleTree.of(values,
// ["address","uint256"]) makes with its default options. It refuses no
// leaves, more than MaxLeaves, two leaves with one account and amounts that
// are not uint256, saying which leaf (its position in leaves). It copies
// the leaves; the caller may reuse them.
func Build(leaves []Leaf) (*Tree, error) {
	n := len(leaves)
	switch {
	case n == 0:
		return nil, ErrNoLeaves
	case n > MaxLeaves:
		return nil, fmt.Errorf("%w: %d, at most %d", ErrTooManyLeaves, n, MaxLeaves)
	}
	t := &Tree{
		nodes:  make([][32]byte, 2*n-1),
		leaves: make([]Leaf, n),
		index:  make([]int, n),
		byAcct: make(map[common.Address]int, n),
	}
	h := newHasher()
	type hashed struct {
		hash [32]byte
		pos  int
	}
	sorted := make([]hashed, n)
	for i, l := range leaves {
		if err := checkAmount(l.Amount); err != nil {
			return nil, fmt.Errorf("%w: leaf %d (%s): %s", ErrAmount, i, l.Account.Hex(), err)
		}
		if j, dup := t.byAcct[l.Account]; dup {
			return nil, fmt.Errorf("%w: leaf %d and leaf %d are both %s", ErrDuplicateAccount, j, i, l.Account.Hex())
		}
		t.byAcct[l.Account] = i
		t.leaves[i] = Leaf{Account: l.Account, Amount: new(big.Int).Set(l.Amount)}
		sorted[i] = hashed{hash: h.leaf(l), pos: i}
	}
	// Distinct accounts make distinct leaf hashes (barring a keccak
	// collision), so the order is total: an unstable sort gives what OZ's
	// stable one does, and is deterministic.
	slices.SortFunc(sorted, func(a, b hashed) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	last := len(t.nodes) - 1
	for k, s := range sorted {
		t.nodes[last-k] = s.hash
		t.index[s.pos] = last - k
	}
	for i := last - n; i >= 0; i-- {
		t.nodes[i] = h.node(&t.nodes[2*i+1], &t.nodes[2*i+2])
	}
	return t, nil
}

// Root is the tree's root, what the contract's publish takes.
func (t *Tree) Root() [32]byte { return t.nodes[0] }

// Len is the number of leaves.
func (t *Tree) Len() int { return len(t.leaves) }

// Leaves returns a copy of the leaves in the order Build got them (Dump's
// "values" order).
func (t *Tree) Leaves() []Leaf {
	out := make([]Leaf, len(t.leaves))
	for i, l := range t.leaves {
		out[i] = Leaf{Account: l.Account, Amount: new(big.Int).Set(l.Amount)}
	}
	return out
}

// Proof returns the account's leaf and its proof: the sibling hashes from
// the leaf up to the root, what OZ's getProof returns and the contract's
// claim takes (MerkleProof.verify, sorted pairs). A one-leaf tree's proof
// is empty. ErrNotInTree when the account has no leaf.
func (t *Tree) Proof(account common.Address) (Leaf, [][32]byte, error) {
	pos, ok := t.byAcct[account]
	if !ok {
		return Leaf{}, nil, fmt.Errorf("%w: %s", ErrNotInTree, account.Hex())
	}
	l := t.leaves[pos]
	proof := [][32]byte{}
	for i := t.index[pos]; i > 0; i = (i - 1) / 2 {
		sib := i + 1 // i odd: a left child, its sibling is to the right
		if i%2 == 0 {
			sib = i - 1
		}
		proof = append(proof, t.nodes[sib])
	}
	return Leaf{Account: l.Account, Amount: new(big.Int).Set(l.Amount)}, proof, nil
}

// Verify says whether proof proves leaf under root, the way OZ's
// StandardMerkleTree.verify and the contract's MerkleProof.verify decide:
// fold the proof into the leaf's hash with sorted-pair hashing and compare
// with root. False for an amount that is not a uint256.
func Verify(root [32]byte, leaf Leaf, proof [][32]byte) bool {
	if checkAmount(leaf.Amount) != nil {
		return false
	}
	h := newHasher()
	cur := h.leaf(leaf)
	for i := range proof {
		cur = h.node(&cur, &proof[i])
	}
	return cur == root
}
