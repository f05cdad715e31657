package jobspec

// The --nodes value parser.
// See values.go for how these rules were settled.

import "strings"

// ParseNodes parses a --nodes value, "N" or "MIN-MAX", and returns the
// minimum and maximum node counts as sbatch records them: "N" is N-N, and a
// maximum of 0 ("1-0"), which Slurm reads as no maximum, is returned as 0.
// Counts may have a k (×1024) or m (×1048576) suffix in either case and
// trailing white space. As in Slurm:
//
//   - "-MAX", and a minimum that does not fit a C int, mean a minimum of 1;
//   - "N-" (empty maximum) is an error, as is a maximum other than 0 below
//     the minimum;
//   - "0" is a valid count.
func ParseNodes(s string) (min int, max *int, err error) {
	const forms = "use N or MIN-MAX, optionally with a k or m suffix"
	dash := strings.IndexByte(s, '-')
	if dash < 0 {
		v, ok := nodeCount(s)
		if !ok || v < 0 {
			return 0, nil, badValue("node count", s, forms)
		}
		n := int(v)
		return n, &n, nil
	}
	left, right := s[:dash], s[dash+1:]
	lo := int32(1)
	if left != "" {
		v, ok := nodeCount(left)
		if !ok {
			return 0, nil, badValue("node count", left, forms)
		}
		if v >= 0 {
			lo = v
		}
	}
	hi := int32(-1)
	if right != "" {
		v, ok := nodeCount(right)
		if !ok {
			return 0, nil, badValue("node count", right, forms)
		}
		hi = v
	}
	if hi != 0 && hi < lo {
		return 0, nil, badValue("node count", s,
			"the maximum node count %d is less than the minimum node count %d", hi, lo)
	}
	h := int(hi)
	return int(lo), &h, nil
}

// nodeCount reads one node count as a C int.
func nodeCount(s string) (int32, bool) {
	n := strtoll(s, 0)
	if !n.digits {
		return 0, false
	}
	v, i := n.v, n.end
	if i < len(s) {
		switch s[i] {
		case 'k', 'K':
			v *= 1 << 10
			i++
		case 'm', 'M':
			v *= 1 << 20
			i++
		}
	}
	for ; i < len(s); i++ {
		if !isCSpace(s[i]) {
			return 0, false
		}
	}
	return int32(v), true
}
