package merkle_test

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/hpcbridge/hpcbridge/internal/merkle"
)

// An epoch's tree over two wallets' cumulative rewards: the root the
// coordinator publishes, and the proof a wallet sends with its claim. The
// root is the one @openzeppelin/merkle-tree prints for the same values.
func Example() {
	five, _ := new(big.Int).SetString("5000000000000000000", 10)    // 5 tokens
	twoHalf, _ := new(big.Int).SetString("2500000000000000000", 10) // 2.5 tokens
	alice := common.HexToAddress("0x1111111111111111111111111111111111111111")
	bob := common.HexToAddress("0x2222222222222222222222222222222222222222")

	tree, err := merkle.Build([]merkle.Leaf{{Account: alice, Amount: five}, {Account: bob, Amount: twoHalf}})
	if err != nil {
		fmt.Println(err)
		return
	}
	root := tree.Root()
	fmt.Println("root", common.Hash(root).Hex())

	leaf, proof, err := tree.Proof(bob)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bob may claim up to", leaf.Amount, "with", len(proof), "proof hash:", common.Hash(proof[0]).Hex())
	fmt.Println("verifies:", merkle.Verify(root, leaf, proof))
	// Output:
	// root 0xd4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77
	// bob may claim up to 2500000000000000000 with 1 proof hash: 0xeb02c421cfa48976e66dfb29120745909ea3a0f843456c263cf8f1253483e283
	// verifies: true
}
