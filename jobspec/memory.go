package jobspec

// The --mem, --mem-per-cpu and --mem-per-gpu value parser.
// See values.go for how these rules were settled.

import "strings"

// ParseMemory parses a --mem, --mem-per-cpu or --mem-per-gpu value and
// returns mebibytes. The value is a whole number with an optional unit
// K, M (the default), G or T in either case, which may be followed by B
// ("1GB", "1gb"); a bare B is rejected. Kibibytes round up ("1025K" is 2).
// Leading white space and a '+' are allowed, trailing text is not;
// decimals ("1.5G"), negative numbers and values beyond int64 are rejected.
// 0 is valid (all the memory of each node). Multiplication wraps as in
// Slurm, so absurd values such as 8796093022208T come back as Slurm stores
// them.
func ParseMemory(s string) (int64, error) {
	const forms = "use a whole number of megabytes, optionally with a K, M, G or T suffix"
	n := strtoll(s, 0)
	if !n.digits || n.overflow || n.v < 0 {
		return 0, badValue("memory size", s, forms)
	}
	rest := s[n.end:]
	unit := byte('M')
	if rest != "" {
		unit = rest[0] &^ 0x20 // upper case
		rest = rest[1:]
		if rest == "B" || rest == "b" {
			rest = ""
		}
		if rest != "" || !strings.ContainsRune("KMGT", rune(unit)) {
			return 0, badValue("memory size", s, forms)
		}
	}
	v := n.v
	switch unit {
	case 'K':
		v = (v + 1023) >> 10
	case 'G':
		v *= 1 << 10
	case 'T':
		v *= 1 << 20
	}
	return v, nil
}
