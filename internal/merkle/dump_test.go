package merkle

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// ozTwoLeaves is what @openzeppelin/merkle-tree 1.0.8 prints for
// JSON.stringify(StandardMerkleTree.of([["0x1111…","5000000000000000000"],
// ["0x2222…","2500000000000000000"]], ["address","uint256"]).dump()),
// run with node when this test was written (the cross-check test does it
// live on random trees).
const ozTwoLeaves = `{"format":"standard-v1","leafEncoding":["address","uint256"],"tree":["0xd4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77","0xeb02c421cfa48976e66dfb29120745909ea3a0f843456c263cf8f1253483e283","0xb92c48e9d7abe27fd8dfd6b5dfdbfb1c9a463f80c712b66f3a5180a090cccafc"],"values":[{"value":["0x1111111111111111111111111111111111111111","5000000000000000000"],"treeIndex":1},{"value":["0x2222222222222222222222222222222222222222","2500000000000000000"],"treeIndex":2}]}`

func TestOZGolden(t *testing.T) {
	five, _ := new(big.Int).SetString("5000000000000000000", 10)
	twoHalf, _ := new(big.Int).SetString("2500000000000000000", 10)
	tr, err := Build([]Leaf{
		{Account: common.HexToAddress("0x1111111111111111111111111111111111111111"), Amount: five},
		{Account: common.HexToAddress("0x2222222222222222222222222222222222222222"), Amount: twoHalf},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.Dump()
	if err != nil {
		t.Fatal(err)
	}
	// These addresses have no letters, so EIP-55 leaves them as they are
	// and the dump is byte-for-byte OZ's.
	if string(got) != ozTwoLeaves {
		t.Fatalf("Dump:\n%s\nOZ:\n%s", got, ozTwoLeaves)
	}
	loaded, err := Load([]byte(ozTwoLeaves))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Root() != tr.Root() {
		t.Fatalf("Load(OZ) root %x, want %x", loaded.Root(), tr.Root())
	}
}

func TestDumpLoadRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 100} {
		ls := randLeaves(uint64(100+n), n)
		tr, err := Build(ls)
		if err != nil {
			t.Fatal(err)
		}
		d, err := tr.Dump()
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(d) {
			t.Fatalf("n=%d: Dump is not JSON: %s", n, d)
		}
		back, err := Load(d)
		if err != nil {
			t.Fatalf("n=%d: Load(Dump): %v", n, err)
		}
		d2, _ := back.Dump()
		if !bytes.Equal(d, d2) || back.Root() != tr.Root() {
			t.Fatalf("n=%d: round trip changed the dump", n)
		}
		// Indented, as JSON.stringify(dump, null, 2) writes it.
		var ind bytes.Buffer
		if err := json.Indent(&ind, d, "", "  "); err != nil {
			t.Fatal(err)
		}
		if back, err := Load(ind.Bytes()); err != nil || back.Root() != tr.Root() {
			t.Fatalf("n=%d: indented dump: %v", n, err)
		}
	}
}

// threeDump is a valid dump to break in TestLoadRefuses.
func threeDump(t *testing.T) (string, *Tree) {
	t.Helper()
	tr, err := Build(randLeaves(42, 3))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := tr.Dump()
	return string(d), tr
}

func TestLoadRefuses(t *testing.T) {
	good, tr := threeDump(t)
	ls := tr.Leaves()
	acct := ls[0].Account.Hex()
	lowerAcct := strings.ToLower(acct)
	amt := ls[0].Amount.String()  // 0 (randLeaves)
	amt2 := ls[2].Amount.String() // random
	var dumpObj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(good), &dumpObj); err != nil {
		t.Fatal(err)
	}
	root := common.Hash(tr.Root()).Hex()

	// swapped: the first two values' treeIndex exchanged.
	i0 := `"treeIndex":` + itoa(tr.index[0]) + `}`
	i1 := `"treeIndex":` + itoa(tr.index[1]) + `}`
	swapped := strings.Replace(strings.Replace(strings.Replace(good, i0, "@@", 1), i1, i0, 1), "@@", i1, 1)

	for _, tc := range []struct {
		name, in, say string
	}{
		{"empty", ``, "got the end of the input"},
		{"not an object", `[]`, `want '{', got '['`},
		{"escape", strings.Replace(good, `"format"`, `"for\u006dat"`, 1), `escape`},
		{"unterminated", good[:len(good)-30], `unterminated string`},
		{"truncated", good[:len(good)-2], `values: want ']', got the end of the input`},
		{"trailing comma", strings.Replace(good, `}]}`, `},]}`, 1), `want '{', got ']'`},
		{"trailing data", good + `{}`, "data after"},
		{"unknown key", strings.Replace(good, `"format"`, `"extra":1,"format"`, 1), `unknown key`},
		{"case-folded key", strings.Replace(good, `"format"`, `"Format"`, 1), `unknown key`},
		{"duplicate key", strings.Replace(good, `"format":"standard-v1"`, `"format":"standard-v1","format":"standard-v1"`, 1), `duplicate key "format"`},
		{"missing key", `{"format":"standard-v1","leafEncoding":["address","uint256"],"tree":[]}`, `missing key "values"`},
		{"format", strings.Replace(good, `standard-v1`, `simple-v1`, 1), `format`},
		{"leaf encoding", strings.Replace(good, `"address","uint256"`, `"address","uint128"`, 1), `leafEncoding[1]`},
		{"leaf encoding long", strings.Replace(good, `"address","uint256"`, `"address","uint256","bool"`, 1), `leafEncoding: more than 2`},
		{"upper-case node", strings.Replace(good, root, strings.ToUpper(root[2:3])+root[3:], 1), `tree[0]`},
		{"node hex", strings.Replace(good, root, "0x"+strings.Repeat("g", 64), 1), `tree[0]`},
		{"root", strings.Replace(good, root, "0x"+strings.Repeat("0", 64), 1), `tree[0] is 0x0000`},
		{"tree too short", strings.Replace(good, `"`+root+`",`, ``, 1), `4 tree nodes for 3 values`},
		{"swapped indices", swapped, `has treeIndex`},
		{"amount inflated", strings.Replace(good, `"`+amt2+`"]`, `"`+amt2+`1"]`, 1), `tree[`},
		{"amount leading zero", strings.Replace(good, `"`+amt+`"]`, `"0`+amt+`"]`, 1), `values[0].value[1]`},
		{"amount negative", strings.Replace(good, `"`+amt+`"]`, `"-1"]`, 1), `values[0].value[1]`},
		{"amount hex", strings.Replace(good, `"`+amt+`"]`, `"0x10"]`, 1), `values[0].value[1]`},
		{"amount number", strings.Replace(good, `"`+amt+`"]`, `16]`, 1), `want a string`},
		{"amount too large", strings.Replace(good, `"`+amt+`"]`, `"`+new(big.Int).Lsh(big.NewInt(1), 256).String()+`"]`, 1), `above 2^256-1`},
		{"bad checksum", strings.Replace(good, acct, flipCase(acct), 1), `EIP-55`},
		{"short account", strings.Replace(good, acct, acct[:41], 1), `40 hex digits`},
		{"three fields", strings.Replace(good, `"`+amt+`"]`, `"`+amt+`","x"]`, 1), `more than 2`},
		{"one field", strings.Replace(good, `"`+acct+`","`+amt+`"]`, `"`+acct+`"]`, 1), `1 elements, want 2`},
		{"index float", strings.Replace(good, i0, `"treeIndex":`+itoa(tr.index[0])+`.0}`, 1), `treeIndex`},
		{"index string", strings.Replace(good, i0, `"treeIndex":"`+itoa(tr.index[0])+`"}`, 1), `want a number`},
		{"index negative", strings.Replace(good, i0, `"treeIndex":-1}`, 1), `treeIndex`},
		{"no values", `{"format":"standard-v1","leafEncoding":["address","uint256"],"tree":[],"values":[]}`, `no leaves`},
		{"duplicate account", strings.Replace(good, `"`+ls[1].Account.Hex()+`"`, `"`+acct+`"`, 1), `duplicate account`},
		{"null", strings.Replace(good, `"`+amt+`"]`, `null]`, 1), `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in == good {
				t.Fatal("test case does not change the dump")
			}
			tr, err := Load([]byte(tc.in))
			if !errors.Is(err, ErrInvalidDump) || tr != nil {
				t.Fatalf("Load: %v, %v; want ErrInvalidDump", tr, err)
			}
			if !strings.Contains(err.Error(), tc.say) {
				t.Fatalf("error %q does not say %q", err, tc.say)
			}
		})
	}

	// An all-lower-case account is fine (OZ takes any case).
	if _, err := Load([]byte(strings.Replace(good, acct, lowerAcct, 1))); err != nil {
		t.Fatalf("lower-case account refused: %v", err)
	}
	if _, err := Load(make([]byte, MaxDumpBytes+1)); !errors.Is(err, ErrInvalidDump) {
		t.Fatalf("oversized dump: %v", err)
	}
}

// TestLoadBoundsValues: a values array longer than the bound (MaxLeaves
// in Load; 1000 here, to keep the test short) is refused while reading,
// before the rest is parsed.
func TestLoadBoundsValues(t *testing.T) {
	const max = 1000
	var b strings.Builder
	b.WriteString(`{"format":"standard-v1","leafEncoding":["address","uint256"],"tree":[],"values":[`)
	for i := 0; i <= max; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"value":["0x0000000000000000000000000000000000000000","0"],"treeIndex":0}`)
	}
	b.WriteString(`]}`)
	_, err := load([]byte(b.String()), max)
	if !errors.Is(err, ErrInvalidDump) {
		t.Fatalf("Load: %v", err)
	}
	// The duplicate account (all the same) is found only after parsing;
	// the bound must come first.
	if !strings.Contains(err.Error(), "more than") {
		t.Fatalf("error %q does not name the bound", err)
	}
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// flipCase swaps the case of the first letter in a hex address, breaking
// its checksum while leaving it mixed case.
func flipCase(s string) string {
	b := []byte(s)
	for i := 2; i < len(b); i++ {
		switch c := b[i]; {
		case 'a' <= c && c <= 'f':
			b[i] = c - 'a' + 'A'
			return string(b)
		case 'A' <= c && c <= 'F':
			b[i] = c - 'A' + 'a'
			return string(b)
		}
	}
	return s
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(ozTwoLeaves))
	for _, n := range []int{1, 2, 3, 5} {
		tr, err := Build(randLeaves(uint64(n), n))
		if err != nil {
			f.Fatal(err)
		}
		d, _ := tr.Dump()
		f.Add(d)
	}
	f.Add([]byte(`{"format":"standard-v1","leafEncoding":["address","uint256"],"tree":[],"values":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Load(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidDump) {
				t.Fatalf("error does not wrap ErrInvalidDump: %v", err)
			}
			return
		}
		// Whatever loads is a tree Build makes: dumping and loading again
		// gives the same tree, and every leaf's proof verifies.
		d, err := tr.Dump()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Load(d)
		if err != nil {
			t.Fatalf("Load(Dump(Load(x))): %v", err)
		}
		if back.Root() != tr.Root() {
			t.Fatal("root changed across Dump/Load")
		}
		for _, l := range tr.Leaves() {
			got, p, err := tr.Proof(l.Account)
			if err != nil || !Verify(tr.Root(), got, p) {
				t.Fatalf("proof of %s: %v", l.Account.Hex(), err)
			}
		}
	})
}
