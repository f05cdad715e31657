package contracts_test

import (
	"encoding/json"
	"math/big"
	"os/exec"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/hpcbridge/hpcbridge/contracts"
)

// ozTree is what @openzeppelin/merkle-tree 1.0.8 (run with node) makes of the values.
type ozTree struct {
	Root    common.Hash `json:"root"`
	Entries []struct {
		Value [2]string     `json:"value"`
		Proof []common.Hash `json:"proof"`
	} `json:"entries"`
}

const ozTreeScript = `
const {StandardMerkleTree} = require("@openzeppelin/merkle-tree");
const values = JSON.parse(require("fs").readFileSync(0, "utf8"));
const t = StandardMerkleTree.of(values, ["address", "uint256"]);
const entries = [...t.entries()].map(([i, v]) => ({value: v, proof: t.getProof(i)}));
process.stdout.write(JSON.stringify({root: t.root, entries}));
`

func ozBuild(t *testing.T, values [][2]string) ozTree {
	t.Helper()
	in, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "-e", ozTreeScript)
	cmd.Dir = "." // contracts/: node resolves node_modules here
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var tr ozTree
	if err := json.Unmarshal(out, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestClaimsWithOZTrees: roots and proofs made by OpenZeppelin's own JavaScript
// StandardMerkleTree (not internal/merkle) publish and claim on the contract, for tree shapes
// of 1 to 9 leaves (every odd and unbalanced layout); each wallet is paid its amount once.
func TestClaimsWithOZTrees(t *testing.T) {
	requireNPM(t)
	relayer := fixedKey(t, "relayer")
	e := newEnv(t, relayer)
	const maxLeaves = 9
	epoch := uint64(0)
	for n := 1; n <= maxLeaves; n++ {
		var values [][2]string
		for i := 0; i < n; i++ {
			var a common.Address
			a[0], a[19] = byte(n), byte(i+1)
			// Each tree's wallets are new: amounts i*1e18 + n.
			amt := new(big.Int).Add(new(big.Int).Mul(big.NewInt(int64(i)), ether), big.NewInt(int64(n)))
			values = append(values, [2]string{a.Hex(), amt.String()})
		}
		tr := ozBuild(t, values)
		epoch++
		e.publish(epoch, tr.Root)
		for _, en := range tr.Entries {
			acct := common.HexToAddress(en.Value[0])
			amt := bi(en.Value[1])
			proof := make([][32]byte, len(en.Proof))
			for i, p := range en.Proof {
				proof[i] = p
			}
			// An amount one higher fails first.
			_, err := contracts.Claim(e.ctx, e.client, relayer, e.contract, acct, new(big.Int).Add(amt, big.NewInt(1)), proof)
			wantRevert(t, err, "InvalidProof")
			if _, err := contracts.Claim(e.ctx, e.client, relayer, e.contract, acct, amt, proof); err != nil {
				t.Fatalf("%d leaves, %s: %v", n, acct, err)
			}
			if got := e.balance(acct); !eq(got, amt) {
				t.Errorf("%d leaves: %s balance %s, want %s", n, acct, got, amt)
			}
		}
	}
	if !t.Failed() {
		t.Logf("claimed every wallet of OZ trees with 1..%d leaves", maxLeaves)
	}
}
