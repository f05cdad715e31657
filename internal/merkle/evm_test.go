package merkle

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/vm/runtime"
)

// solcScript compiles a contract that checks a proof exactly as the
// RewardDistributor's claim does — leaf keccak256(bytes.concat(keccak256(
// abi.encode(account, amount)))), OZ 5.7.0's MerkleProof.verifyCalldata —
// with the pinned solc, and prints its ABI and creation bytecode.
const solcScript = `
const fs = require('fs');
const path = require('path');
const solc = require('solc');
const src = ` + "`" + `// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.20;
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
contract ProofCheck {
    function check(bytes32 root, address account, uint256 amount, bytes32[] calldata proof) external pure returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}` + "`" + `;
const input = {
  language: 'Solidity',
  sources: { 'ProofCheck.sol': { content: src } },
  settings: { evmVersion: 'cancun', optimizer: { enabled: true, runs: 200 },
              outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
};
const find = p => {
  try { return { contents: fs.readFileSync(require.resolve(p), 'utf8') }; }
  catch (e) { return { error: String(e) }; }
};
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: find }));
const errs = (out.errors || []).filter(e => e.severity === 'error');
if (errs.length) { console.error(JSON.stringify(errs, null, 2)); process.exit(1); }
const c = out.contracts['ProofCheck.sol'].ProofCheck;
process.stdout.write(JSON.stringify({ abi: JSON.stringify(c.abi), bytecode: '0x' + c.evm.bytecode.object }));
`

// TestProofsInEVM: our proofs verify in the EVM with OpenZeppelin's
// MerkleProof (sorted pairs) and the contract's leaf encoding; an inflated
// amount or a proof for another leaf does not.
func TestProofsInEVM(t *testing.T) {
	modules, node := nodeModules(t)
	if _, err := os.Stat(filepath.Join(modules, "solc", "package.json")); err != nil {
		if os.Getenv("HPCBRIDGE_REQUIRE_NPM") == "1" {
			t.Fatal("HPCBRIDGE_REQUIRE_NPM=1 but contracts/node_modules/solc is missing")
		}
		t.Skip("no contracts/node_modules/solc (run make npm-deps)")
	}
	var compiled struct{ ABI, Bytecode string }
	runNode(t, modules, node, solcScript, struct{}{}, &compiled)
	parsed, err := abi.JSON(strings.NewReader(compiled.ABI))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &runtime.Config{}
	_, addr, _, err := runtime.Create(hexutil.MustDecode(compiled.Bytecode), cfg)
	if err != nil {
		t.Fatalf("deploy ProofCheck: %v", err)
	}
	check := func(root [32]byte, l Leaf, p [][32]byte) bool {
		t.Helper()
		in, err := parsed.Pack("check", root, l.Account, l.Amount, p)
		if err != nil {
			t.Fatal(err)
		}
		ret, _, err := runtime.Call(addr, in, cfg)
		if err != nil {
			t.Fatalf("call check: %v", err)
		}
		var ok bool
		if err := parsed.UnpackIntoInterface(&ok, "check", ret); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, n := range []int{1, 2, 3, 7, 100, 1000} {
		ls := randLeaves(uint64(2000+n), n)
		tr, err := Build(ls)
		if err != nil {
			t.Fatal(err)
		}
		root := tr.Root()
		step := max(1, n/25) // every leaf of the small trees, 25 of the big
		for i := 0; i < n; i += step {
			l, p, err := tr.Proof(ls[i].Account)
			if err != nil {
				t.Fatal(err)
			}
			if !check(root, l, p) {
				t.Fatalf("n=%d: MerkleProof refuses our proof of leaf %d", n, i)
			}
			if l.Amount.Cmp(maxAmount) < 0 {
				up := Leaf{Account: l.Account, Amount: new(big.Int).Add(l.Amount, big.NewInt(1))}
				if check(root, up, p) {
					t.Fatalf("n=%d: MerkleProof takes an inflated amount for leaf %d", n, i)
				}
			}
			other := Leaf{Account: common.Address{0xba, 0xd}, Amount: l.Amount}
			if check(root, other, p) {
				t.Fatalf("n=%d: MerkleProof takes leaf %d's proof for another account", n, i)
			}
		}
	}
}
