package jobspec

// The --time and --time-min value parser.
// See values.go for how these rules were settled.

import "strings"

const timeForms = "use minutes, minutes:seconds, hours:minutes:seconds, days-hours, " +
	"days-hours:minutes, days-hours:minutes:seconds or UNLIMITED"

// ParseTime parses a --time or --time-min value: "minutes",
// "minutes:seconds", "hours:minutes:seconds", "days-hours",
// "days-hours:minutes", "days-hours:minutes:seconds", or UNLIMITED,
// INFINITE (any case) and -1 for no limit.
//
// Seconds are rounded up to whole minutes (0:30 is 1 minute) and a result
// of 0 means no limit (Slurm: "a time limit of zero requests that no time
// limit be imposed"), so "0" and "0:0" are Unlimited. Fields may have any
// number of digits and overflow the way Slurm's 32-bit arithmetic does;
// "-N" (negative days) is accepted as Slurm accepts it and yields the same
// huge limit. No white space, sign or unit letter is allowed.
func ParseTime(s string) (TimeLimit, error) {
	if strings.EqualFold(s, "unlimited") || strings.EqualFold(s, "infinite") || s == "-1" {
		return TimeLimit{Unlimited: true}, nil
	}
	secs, ok := timeSeconds(s)
	if !ok {
		return TimeLimit{}, badValue("time limit", s, timeForms)
	}
	// Round up to minutes in 32-bit signed arithmetic, then read the result
	// as Slurm's uint32: NO_VAL (0xfffffffe) is its error value, INFINITE
	// (0xffffffff) and 0 mean no limit.
	mins := uint32((int32(secs + 59)) / 60)
	if mins == maxUint32-1 {
		return TimeLimit{}, badValue("time limit", s, "the value overflows Slurm's arithmetic")
	}
	return timeLimitFromMinutes(mins), nil
}

// timeLimitFromMinutes reads a minute count as Slurm stores it.
func timeLimitFromMinutes(m uint32) TimeLimit {
	if m == 0 || m == maxUint32 {
		return TimeLimit{Unlimited: true}
	}
	return TimeLimit{Minutes: int(m)}
}

// timeSeconds checks the shape of a time value and returns its length in
// seconds, computed modulo 2^32 as Slurm computes it.
func timeSeconds(s string) (uint32, bool) {
	field := func(f string) uint32 { return uint32(cInt(f)) }
	if strings.HasPrefix(s, "-") {
		// "-N": N negative days.
		if !allDigits(s[1:]) {
			return 0, false
		}
		return field(s) * 86400, true
	}
	var days uint32
	rest := s
	hasDays := false
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if !allDigits(s[:i]) {
			return 0, false
		}
		days, rest, hasDays = field(s[:i]), s[i+1:], true
		if rest == "" {
			return days * 86400, true
		}
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 {
		return 0, false
	}
	for _, p := range parts {
		if !allDigits(p) {
			return 0, false
		}
	}
	var h, m, sec uint32
	switch {
	case hasDays: // days-hours[:minutes[:seconds]]
		h = field(parts[0])
		if len(parts) > 1 {
			m = field(parts[1])
		}
		if len(parts) > 2 {
			sec = field(parts[2])
		}
	case len(parts) == 1:
		m = field(parts[0])
	case len(parts) == 2:
		m, sec = field(parts[0]), field(parts[1])
	default:
		h, m, sec = field(parts[0]), field(parts[1]), field(parts[2])
	}
	return days*86400 + h*3600 + m*60 + sec, true
}
