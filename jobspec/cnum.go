package jobspec

// Reading numbers the way C does: the strtol/strtoll arithmetic the value parsers share.
// See values.go for how these rules were settled.

import "math"

const maxUint32 = math.MaxUint32

// cnum is a number read the way C's strtoll reads one: leading white space
// and one sign are skipped, digits are read as far as they go, and a value
// out of range saturates (C sets ERANGE; overflow records that).
type cnum struct {
	v        int64
	end      int  // index after the digits; the start index when none were read
	digits   bool // at least one digit was read
	overflow bool
}

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// strtoll reads a number from s starting at i, as C's strtoll(s+i, &end, 10).
func strtoll(s string, i int) cnum {
	start := i
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	j := i
	var u uint64
	over := false
	for j < len(s) && isDigit(s[j]) {
		d := uint64(s[j] - '0')
		if over || u > (math.MaxUint64-d)/10 {
			over = true
		} else {
			u = u*10 + d
		}
		j++
	}
	if j == i {
		return cnum{end: start}
	}
	n := cnum{end: j, digits: true}
	switch {
	case !neg && (over || u > math.MaxInt64):
		n.v, n.overflow = math.MaxInt64, true
	case neg && (over || u > 1<<63):
		n.v, n.overflow = math.MinInt64, true
	case neg:
		n.v = -int64(u)
	default:
		n.v = int64(u)
	}
	return n
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// cInt is what C gets when it stores a strtoll result in an int: the low 32
// bits.
func cInt(s string) int32 { return int32(strtoll(s, 0).v) }
