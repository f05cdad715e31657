package merkle

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// Format is the "format" of OZ's StandardMerkleTree dump.
const Format = "standard-v1"

// MaxDumpBytes bounds Load's input: a dump of MaxLeaves leaves takes about
// 300 bytes a leaf compact, more when indented.
const MaxDumpBytes = 512 << 20

// Dump returns the tree as OZ's tree.dump() writes it with JSON.stringify:
//
//	{"format":"standard-v1","leafEncoding":["address","uint256"],
//	 "tree":["0x<root>",...],
//	 "values":[{"value":["0x<account>","<amount>"],"treeIndex":N},...]}
//
// the same keys in the same order, tree hashes in lower-case hex, values
// in Build's input order, accounts EIP-55 checksummed, amounts decimal
// strings (OZ's JSON cannot carry a bigint). OZ's
// StandardMerkleTree.load(JSON.parse(dump)) accepts it and has the same
// root and proofs; Load reads it back.
func (t *Tree) Dump() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(80 + len(t.nodes)*69 + len(t.leaves)*140)
	b.WriteString(`{"format":"` + Format + `","leafEncoding":["address","uint256"],"tree":[`)
	var hx [66]byte
	hx[0], hx[1] = '0', 'x'
	for i := range t.nodes {
		if i > 0 {
			b.WriteByte(',')
		}
		hex.Encode(hx[2:], t.nodes[i][:])
		b.WriteByte('"')
		b.Write(hx[:])
		b.WriteByte('"')
	}
	b.WriteString(`],"values":[`)
	for i, l := range t.leaves {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"value":["`)
		b.WriteString(l.Account.Hex())
		b.WriteString(`","`)
		b.WriteString(l.Amount.String())
		b.WriteString(`"],"treeIndex":`)
		b.WriteString(strconv.Itoa(t.index[i]))
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// Load reads an OZ StandardMerkleTree dump (JSON as Dump or OZ's
// JSON.stringify(tree.dump()) writes it, whitespace allowed) and returns
// its tree. It is strict, as an export from an untrusted place must be
// before anyone trusts its root:
//
//   - at most MaxDumpBytes; one JSON object with exactly the keys
//     "format" ("standard-v1"), "leafEncoding" (exactly
//     ["address","uint256"]), "tree" and "values", each once, nothing
//     after it;
//   - every tree node "0x" and 64 lower-case hex digits (what OZ writes);
//   - every value {"value":[account, amount],"treeIndex":N}: the account
//     "0x" and 40 hex digits, all lower case, all upper case or a valid
//     EIP-55 checksum; the amount a decimal string without sign or leading
//     zeros that fits a uint256; N a non-negative integer;
//   - the tree must be exactly the one Build makes from the values (in
//     their order): same nodes, same tree indices. So a dump made with OZ's
//     sortLeaves false, or with a leaf moved, is refused even though OZ
//     itself would load it.
//
// Every error wraps ErrInvalidDump and says what and where.
func Load(data []byte) (*Tree, error) { return load(data, MaxLeaves) }

// load is Load with the leaf bound a parameter (the test of the bound uses
// a small one).
func load(data []byte, maxLeaves int) (*Tree, error) {
	if len(data) > MaxDumpBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidDump, len(data), MaxDumpBytes)
	}
	p := &parser{data: data, maxLeaves: maxLeaves}
	d, err := p.dump()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDump, err)
	}
	if want := 2*len(d.leaves) - 1; len(d.tree) != want {
		return nil, fmt.Errorf("%w: %d tree nodes for %d values, want %d", ErrInvalidDump, len(d.tree), len(d.leaves), want)
	}
	t, err := Build(d.leaves)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDump, err)
	}
	for i := range t.nodes {
		if t.nodes[i] != d.tree[i] {
			return nil, fmt.Errorf("%w: tree[%d] is 0x%x, the values give 0x%x", ErrInvalidDump, i, d.tree[i], t.nodes[i])
		}
	}
	for i := range t.index {
		if t.index[i] != d.index[i] {
			return nil, fmt.Errorf("%w: values[%d] (%s) has treeIndex %d, the tree has it at %d",
				ErrInvalidDump, i, t.leaves[i].Account.Hex(), d.index[i], t.index[i])
		}
	}
	return t, nil
}

// parsed is a dump's content before the consistency checks.
type parsed struct {
	tree   [][32]byte
	leaves []Leaf
	index  []int
}

// parser reads a dump's JSON with a scanner for exactly its shape (an
// object of arrays of strings and objects), so that it can refuse
// duplicate and unknown keys (encoding/json takes the last duplicate and
// matches keys case-insensitively; JavaScript does neither), stop at the
// size bounds early, and read a 100,000-leaf export in a fraction of the
// time json.Decoder's tokens take. Strings must not contain escapes or
// control characters: nothing in a dump needs them.
type parser struct {
	data      []byte
	pos       int
	maxLeaves int
}

// errorf prefixes an error with the byte offset where it was found.
func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

// peek skips white space and returns the next byte, or 0 at the end.
func (p *parser) peek() byte {
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; c {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return c
		}
	}
	return 0
}

// describeAt names what is at the current position, for an error.
func (p *parser) describeAt() string {
	switch c := p.peek(); {
	case p.pos >= len(p.data):
		return "the end of the input"
	case c == '"':
		return "a string"
	case c == '-' || '0' <= c && c <= '9':
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	default:
		return strconv.QuoteRune(rune(c))
	}
}

func (p *parser) expect(c byte, what string) error {
	if p.peek() != c {
		return p.errorf("%s: want %q, got %s", what, c, p.describeAt())
	}
	p.pos++
	return nil
}

// str reads a string without escapes.
func (p *parser) str(what string) (string, error) {
	if p.peek() != '"' {
		return "", p.errorf("%s: want a string, got %s", what, p.describeAt())
	}
	start := p.pos + 1
	for i := start; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '"':
			p.pos = i + 1
			return string(p.data[start:i]), nil
		case c == '\\' || c < 0x20:
			p.pos = i
			return "", p.errorf("%s: escape or control character in a string", what)
		}
	}
	p.pos = len(p.data)
	return "", p.errorf("%s: unterminated string", what)
}

// number reads a JSON number's characters (checked by the caller).
func (p *parser) number(what string) (string, error) {
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		return "", p.errorf("%s: want a number, got %s", what, p.describeAt())
	}
	start := p.pos
	for p.pos < len(p.data) && strings.IndexByte("0123456789+-.eE", p.data[p.pos]) >= 0 {
		p.pos++
	}
	return string(p.data[start:p.pos]), nil
}

// object reads an object, calling field for each key; a key must be in
// allowed and appear once, and all allowed keys are required.
func (p *parser) object(what string, allowed []string, field func(key string) error) error {
	if err := p.expect('{', what); err != nil {
		return err
	}
	seen := make([]bool, len(allowed))
	if p.peek() == '}' {
		p.pos++
	} else {
		for {
			key, err := p.str(what + " key")
			if err != nil {
				return err
			}
			k := slices.Index(allowed, key)
			switch {
			case k < 0:
				return p.errorf("%s: unknown key %s", what, quoteShort(key))
			case seen[k]:
				return p.errorf("%s: duplicate key %q", what, key)
			}
			seen[k] = true
			if err := p.expect(':', what); err != nil {
				return err
			}
			if err := field(key); err != nil {
				return err
			}
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if err := p.expect('}', what); err != nil {
				return err
			}
			break
		}
	}
	for i, a := range allowed {
		if !seen[i] {
			return p.errorf("%s: missing key %q", what, a)
		}
	}
	return nil
}

// array reads an array, calling elem for each element with its position;
// more than max elements is refused before the next one is read.
func (p *parser) array(what string, max int, elem func(i int) error) error {
	if err := p.expect('[', what); err != nil {
		return err
	}
	if p.peek() == ']' {
		p.pos++
		return nil
	}
	for n := 0; ; n++ {
		if n == max {
			return p.errorf("%s: more than %d elements", what, max)
		}
		if err := elem(n); err != nil {
			return err
		}
		if p.peek() == ',' {
			p.pos++
			continue
		}
		return p.expect(']', what)
	}
}

// quoteShort quotes s, cut to 80 bytes, for an error.
func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}

func (p *parser) dump() (*parsed, error) {
	d := &parsed{}
	err := p.object("dump", []string{"format", "leafEncoding", "tree", "values"}, func(key string) error {
		switch key {
		case "format":
			f, err := p.str("format")
			if err != nil {
				return err
			}
			if f != Format {
				return p.errorf("format %s, want %q", quoteShort(f), Format)
			}
		case "leafEncoding":
			return p.array("leafEncoding", len(LeafEncoding), func(i int) error {
				s, err := p.str("leafEncoding")
				if err != nil {
					return err
				}
				if s != LeafEncoding[i] {
					return p.errorf("leafEncoding[%d] is %s, want %q", i, quoteShort(s), LeafEncoding[i])
				}
				return nil
			})
		case "tree":
			return p.array("tree", 2*p.maxLeaves-1, func(i int) error {
				s, err := p.str("tree")
				if err != nil {
					return err
				}
				h, err := parseNode(s)
				if err != nil {
					return p.errorf("tree[%d]: %v", i, err)
				}
				d.tree = append(d.tree, h)
				return nil
			})
		case "values":
			return p.array("values", p.maxLeaves, func(i int) error {
				return p.value(d, i)
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if p.peek() != 0 || p.pos < len(p.data) {
		return nil, p.errorf("data after the dump's object")
	}
	if len(d.leaves) == 0 {
		return nil, ErrNoLeaves
	}
	return d, nil
}

func (p *parser) value(d *parsed, i int) error {
	what := "values[" + strconv.Itoa(i) + "]"
	var leaf Leaf
	idx := -1
	err := p.object(what, []string{"value", "treeIndex"}, func(key string) error {
		switch key {
		case "value":
			var fields [2]string
			n := 0
			err := p.array(what+".value", 2, func(j int) error {
				s, err := p.str(what + ".value")
				fields[j] = s
				n++
				return err
			})
			if err != nil {
				return err
			}
			if n != 2 {
				return p.errorf("%s.value: %d elements, want 2 (address, uint256)", what, n)
			}
			if leaf.Account, err = parseAccount(fields[0]); err != nil {
				return p.errorf("%s.value[0]: %v", what, err)
			}
			if leaf.Amount, err = parseAmount(fields[1]); err != nil {
				return p.errorf("%s.value[1]: %v", what, err)
			}
		case "treeIndex":
			num, err := p.number(what + ".treeIndex")
			if err != nil {
				return err
			}
			if idx, err = parseIndex(num); err != nil {
				return p.errorf("%s.treeIndex: %v", what, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.leaves = append(d.leaves, leaf)
	d.index = append(d.index, idx)
	return nil
}

// parseNode reads "0x" and 64 lower-case hex digits.
func parseNode(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 66 || s[:2] != "0x" || !lowerHex(s[2:]) {
		return h, fmt.Errorf("%s is not 0x and 64 lower-case hex digits", quoteShort(s))
	}
	_, err := hex.Decode(h[:], []byte(s[2:]))
	return h, err
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseAccount reads "0x" and 40 hex digits that are all lower case, all
// upper case or EIP-55 checksummed (mixed case that is not a checksum is a
// typo, refused).
func parseAccount(s string) (common.Address, error) {
	var a common.Address
	if len(s) != 42 || s[:2] != "0x" {
		return a, fmt.Errorf("account %s is not 0x and 40 hex digits", quoteShort(s))
	}
	if _, err := hex.Decode(a[:], []byte(s[2:])); err != nil {
		return a, fmt.Errorf("account %s is not 0x and 40 hex digits", quoteShort(s))
	}
	lower, upper := false, false
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'f':
			lower = true
		case 'A' <= c && c <= 'F':
			upper = true
		}
	}
	if lower && upper && a.Hex() != s {
		return a, fmt.Errorf("account %s has a wrong EIP-55 checksum (want %s)", s, a.Hex())
	}
	return a, nil
}

// parseAmount reads a uint256 in canonical decimal: digits only, no
// leading zero except "0" itself.
func parseAmount(s string) (*big.Int, error) {
	ok := len(s) > 0 && len(s) <= 78 && (s == "0" || s[0] != '0')
	for i := 0; ok && i < len(s); i++ {
		ok = '0' <= s[i] && s[i] <= '9'
	}
	if !ok {
		return nil, fmt.Errorf("amount %s is not a decimal uint256 (digits, no sign, no leading zeros)", quoteShort(s))
	}
	a, _ := new(big.Int).SetString(s, 10)
	if err := checkAmount(a); err != nil {
		return nil, err
	}
	return a, nil
}

// parseIndex reads a non-negative integer in canonical form below
// 2*MaxLeaves.
func parseIndex(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= 2*MaxLeaves || strconv.Itoa(n) != s {
		return 0, fmt.Errorf("%q is not a tree index (an integer from 0 to %d)", s, 2*MaxLeaves-2)
	}
	return n, nil
}
