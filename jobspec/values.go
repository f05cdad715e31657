package jobspec

// The value parsers in this file read sbatch option arguments the way
// Slurm 22.05 reads them. Every rule was settled against a real Slurm 22.05
// (sbatch -v option dumps, held submissions read back with scontrol, and
// real runs); values_test.go records what Slurm said for each case. Where
// Slurm's C code wraps integers or reads numbers with strtol, the same
// arithmetic is reproduced here so that odd input gives Slurm's odd answer
// rather than a different one.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxArraySize is Slurm's default MaxArraySize: array indexes must be
// smaller than this.
const DefaultMaxArraySize = 1001

// ErrInvalidValue is wrapped by every error the value parsers return, so a
// caller can tell a bad option argument from other failures with errors.Is.
var ErrInvalidValue = errors.New("invalid option value")

// ValueError is an option argument a value parser rejected. Its message
// says what is wrong and what is allowed; the caller adds the position.
type ValueError struct {
	// What names the kind of value, e.g. "time limit".
	What string
	// Value is the argument as given.
	Value string
	// Reason says what is wrong and what is allowed.
	Reason string
}

// Error implements error.
func (e *ValueError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.What, e.Value, e.Reason)
}

// Unwrap returns ErrInvalidValue.
func (e *ValueError) Unwrap() error { return ErrInvalidValue }

func badValue(what, value, reason string, args ...any) error {
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	return &ValueError{What: what, Value: value, Reason: reason}
}

// ---------------------------------------------------------------------------
// Reading numbers the way C does

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

// ---------------------------------------------------------------------------
// --time, --time-min

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

// ---------------------------------------------------------------------------
// --mem, --mem-per-cpu, --mem-per-gpu

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

// ---------------------------------------------------------------------------
// --nodes

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

// ---------------------------------------------------------------------------
// --gres, --gpus, --gpus-per-node, --gpus-per-task

// GresEntry is one element of a --gres list, name[:type][:count].
type GresEntry struct {
	// Name is the resource, e.g. "gpu" (case-sensitive, as in slurm.conf).
	Name string
	// Type is the resource type, e.g. "a100", or "".
	Type string
	// Count is the number requested (1 when not given; 0 is allowed).
	Count int64
}

const gresForms = "use a comma-separated list of name[:type][:count], or none"

// ParseGres parses a --gres value: a comma-separated list of
// name[[:type]:count] entries, each optionally prefixed "gres:". The count
// defaults to 1 and may have a K, M, G, T or P suffix (powers of 1024),
// optionally followed by B. With two fields the second is the count when
// it reads as one and the type otherwise ("gpu:x2" is type x2); a second
// field that starts with a digit but is not a count ("gpu:2x") is an
// error. "none" (any case) alone means no resources and returns nil.
//
// The same name may not appear both with and without a type. Slurm also
// rejects names its cluster does not define; that check needs the
// cluster's GresTypes and is left to the caller.
func ParseGres(s string) ([]GresEntry, error) {
	if strings.EqualFold(s, "none") {
		return nil, nil
	}
	if s == "help" {
		return nil, badValue("gres", s, "help lists the cluster's resources and requests none")
	}
	var out []GresEntry
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimPrefix(item, "gres:")
		e, err := gresEntry(item)
		if err != nil {
			return nil, badValue("gres", s, "%s; %s", err.Error(), gresForms)
		}
		out = append(out, e)
	}
	if err := gresMixed(out); err != nil {
		return nil, badValue("gres", s, "%s", err.Error())
	}
	return out, nil
}

// gresEntry reads one name[[:type]:count] entry.
func gresEntry(item string) (GresEntry, error) {
	if strings.EqualFold(item, "none") {
		return GresEntry{}, errors.New("none cannot be combined with other resources")
	}
	f := strings.Split(item, ":")
	e := GresEntry{Name: f[0], Count: 1}
	if e.Name == "" {
		return e, errors.New("an entry has no name")
	}
	switch len(f) {
	case 1:
	case 2:
		if n, ok := gresCount(f[1]); ok {
			e.Count = n
		} else if f[1] == "" || isDigit(f[1][0]) {
			return e, fmt.Errorf("%q is not a count", f[1])
		} else {
			e.Type = f[1]
		}
	case 3:
		if f[1] == "" {
			return e, errors.New("an entry has an empty type")
		}
		n, ok := gresCount(f[2])
		if !ok {
			return e, fmt.Errorf("%q is not a count", f[2])
		}
		e.Type, e.Count = f[1], n
	default:
		return e, fmt.Errorf("%q has too many fields", item)
	}
	return e, nil
}

// gresCount reads a gres count: digits with an optional K/M/G/T/P suffix
// (optionally followed by B).
func gresCount(s string) (int64, bool) {
	n := strtoll(s, 0)
	if !n.digits || n.overflow || n.v < 0 || (n.end > 0 && strings.ContainsRune(s[:n.end], '-')) {
		return 0, false
	}
	rest := s[n.end:]
	shift := 0
	if rest != "" {
		i := strings.IndexByte("KMGTP", rest[0]&^0x20)
		if i < 0 {
			return 0, false
		}
		shift = 10 * (i + 1)
		rest = rest[1:]
		if rest == "b" || rest == "B" {
			rest = ""
		}
	}
	if rest != "" {
		return 0, false
	}
	if shift > 0 && n.v > math.MaxInt64>>shift {
		return 0, false
	}
	return n.v << shift, true
}

// gresMixed rejects a name requested both with and without a type.
func gresMixed(entries []GresEntry) error {
	typed := map[string]bool{}
	untyped := map[string]bool{}
	for _, e := range entries {
		if e.Type == "" {
			untyped[e.Name] = true
		} else {
			typed[e.Name] = true
		}
		if typed[e.Name] && untyped[e.Name] {
			return fmt.Errorf("%s is requested both with and without a type", e.Name)
		}
	}
	return nil
}

// ParseGPUList parses a --gpus, --gpus-per-node or --gpus-per-task value:
// a comma-separated list of [type:]count entries ("2", "a100:2",
// "a100:2,h100:1"); a bare type ("a100") means one GPU of that type. Slurm
// reads each entry as the gres gpu:ENTRY, so the rules of ParseGres apply.
// An empty value requests nothing and returns nil, as in sbatch.
func ParseGPUList(s string) ([]GresEntry, error) {
	if s == "" {
		return nil, nil
	}
	var out []GresEntry
	for _, item := range strings.Split(s, ",") {
		e, err := gresEntry("gpu:" + item)
		if err != nil {
			return nil, badValue("gpu count", s, "%s; use [type:]count, or a comma-separated list of them", err.Error())
		}
		out = append(out, e)
	}
	if err := gresMixed(out); err != nil {
		return nil, badValue("gpu count", s, "%s", err.Error())
	}
	return out, nil
}

// ParseGPUs parses a --gpus, --gpus-per-node or --gpus-per-task value of
// one [type:]count entry. Slurm also accepts a list of types
// ("a100:2,h100:1"); that form cannot be returned as one type and count,
// so it is an error here and ParseGPUList reads it. An empty value
// requests nothing: ParseGPUs returns "", 0 and no error.
func ParseGPUs(s string) (gpuType string, count int, err error) {
	entries, err := ParseGPUList(s)
	if err != nil {
		return "", 0, err
	}
	switch {
	case len(entries) == 0:
		return "", 0, nil
	case len(entries) > 1:
		return "", 0, badValue("gpu count", s, "a list of several gpu types cannot be expressed as one type and count; use --gres")
	case entries[0].Count > math.MaxInt32:
		return "", 0, badValue("gpu count", s, "the count is too large")
	}
	return entries[0].Type, int(entries[0].Count), nil
}

// ---------------------------------------------------------------------------
// --mail-type

// mailTypeOrder is the order in which Slurm prints mail types.
var mailTypeOrder = []string{
	"ARRAY_TASKS", "INVALID_DEPEND", "BEGIN", "END", "FAIL", "REQUEUE", "STAGE_OUT",
	"TIME_LIMIT_50", "TIME_LIMIT_80", "TIME_LIMIT_90", "TIME_LIMIT",
}

// mailAll is what ALL stands for.
var mailAll = []string{"INVALID_DEPEND", "BEGIN", "END", "FAIL", "REQUEUE", "STAGE_OUT"}

// mailNone is the canonical form of a --mail-type=NONE.
const mailNone = "NONE"

// ParseMailType parses a --mail-type value: a comma-separated list of
// NONE, BEGIN, END, FAIL, REQUEUE, ALL, INVALID_DEPEND, STAGE_OUT,
// TIME_LIMIT, TIME_LIMIT_90, TIME_LIMIT_80, TIME_LIMIT_50 and ARRAY_TASKS
// in any case. It returns the canonical names in Slurm's order (ARRAY_TASKS,
// INVALID_DEPEND, BEGIN, END, FAIL, REQUEUE, STAGE_OUT, TIME_LIMIT_50,
// TIME_LIMIT_80, TIME_LIMIT_90, TIME_LIMIT), ALL expanded.
//
// As in Slurm: NONE anywhere in the list wins and gives []string{"NONE"};
// empty items are skipped; unknown names are silently ignored as long as
// one name is known; a list with no known name is an error. White space is
// not trimmed ("BEGIN " is unknown).
func ParseMailType(s string) ([]string, error) {
	set := map[string]bool{}
	known, none := false, false
	for _, item := range strings.Split(s, ",") {
		switch {
		case strings.EqualFold(item, mailNone):
			known, none = true, true
		case strings.EqualFold(item, "ALL"):
			known = true
			for _, n := range mailAll {
				set[n] = true
			}
		default:
			for _, n := range mailTypeOrder {
				if strings.EqualFold(item, n) {
					known, set[n] = true, true
				}
			}
		}
	}
	if !known {
		return nil, badValue("mail type", s,
			"use a comma-separated list of NONE, BEGIN, END, FAIL, REQUEUE, ALL, INVALID_DEPEND, "+
				"STAGE_OUT, TIME_LIMIT, TIME_LIMIT_90, TIME_LIMIT_80, TIME_LIMIT_50 or ARRAY_TASKS")
	}
	if none {
		return []string{mailNone}, nil
	}
	return orderedMailTypes(set), nil
}

func orderedMailTypes(set map[string]bool) []string {
	var out []string
	for _, n := range mailTypeOrder {
		if set[n] {
			out = append(out, n)
		}
	}
	return out
}

// MergeMailTypes combines the mail types of two --mail-type occurrences the
// way sbatch does: the flags are ORed, so a later NONE adds nothing
// (BEGIN then NONE is BEGIN) and NONE stays only when neither adds a type.
// Both arguments are canonical lists as ParseMailType returns; the result
// is canonical too (nil when both are empty).
func MergeMailTypes(a, b []string) []string {
	set := map[string]bool{}
	none := false
	for _, list := range [][]string{a, b} {
		for _, n := range list {
			if n == mailNone {
				none = true
			} else {
				set[n] = true
			}
		}
	}
	if out := orderedMailTypes(set); out != nil {
		return out
	}
	if none {
		return []string{mailNone}
	}
	return nil
}

// ---------------------------------------------------------------------------
// --signal

// defaultSignalSeconds is how long before the time limit a signal is sent
// when the value gives no @seconds.
const defaultSignalSeconds = 60

// signalNames are the names sbatch accepts, with their Linux numbers; a
// number is printed by name when it has one here.
var signalNames = []struct {
	name string
	num  int
}{
	{"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ABRT", 6}, {"KILL", 9}, {"USR1", 10},
	{"USR2", 12}, {"ALRM", 14}, {"TERM", 15}, {"CONT", 18}, {"STOP", 19},
	{"TSTP", 20}, {"TTIN", 21}, {"TTOU", 22}, {"URG", 23}, {"XCPU", 24},
}

// ParseSignal parses a --signal value, [{R|B|RB}:]sig[@secs].
//
// The value may start with the flags B (signal only the batch shell) and R
// (also on reservation end), in any case, in the pattern R?B?R? ("RB",
// "BR", even "RR" and "RBR" as Slurm allows; not "BB"), followed by an
// optional ':' -- Slurm needs no ':' after them ("BUSR1" is B:USR1). The
// signal is a name with or without SIG in any case (HUP INT QUIT ABRT KILL
// USR1 USR2 ALRM TERM CONT STOP TSTP TTIN TTOU URG XCPU: sbatch knows no
// others) or a number, read as Slurm's 16-bit value (65536 is 0 and
// rejected, -1 is 65535), and may be surrounded by white space. secs is 0
// to 65535 ("USR1@" is 0) and defaults to 60.
func ParseSignal(s string) (*Signal, error) {
	const forms = "use [{R|B|RB}:]SIGNAL[@SECONDS] with a signal name or number and 0-65535 seconds"
	sig := &Signal{Seconds: defaultSignalSeconds}
	rest := s[signalFlags(s, sig):]
	rest = strings.TrimPrefix(rest, ":")
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		n := strtoll(rest, i+1)
		if n.end != len(rest) || n.v < 0 || n.v > math.MaxUint16 {
			return nil, badValue("signal", s, forms)
		}
		sig.Seconds = int(n.v)
		rest = rest[:i]
	}
	rest = strings.TrimFunc(rest, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) })
	if rest == "" {
		return nil, badValue("signal", s, forms)
	}
	if c := rest[0]; isDigit(c) || c == '+' || c == '-' {
		n := strtoll(rest, 0)
		num := uint16(n.v)
		if n.end != len(rest) || num == 0 {
			return nil, badValue("signal", s, forms)
		}
		sig.Number, sig.Signal = int(num), strconv.Itoa(int(num))
		for _, sn := range signalNames {
			if sn.num == sig.Number {
				sig.Signal = sn.name
			}
		}
		return sig, nil
	}
	name := rest
	if len(name) > 3 && strings.EqualFold(name[:3], "SIG") {
		name = name[3:]
	}
	for _, sn := range signalNames {
		if strings.EqualFold(name, sn.name) {
			sig.Signal, sig.Number = sn.name, sn.num
			return sig, nil
		}
	}
	return nil, badValue("signal", s, "unknown signal; "+forms)
}

// signalFlags reads the flags at the start of a --signal value, the
// pattern R?B?R? in any case, and returns how many bytes they take.
func signalFlags(p string, sig *Signal) int {
	i := 0
	take := func(c byte) bool {
		if i < len(p) && p[i]&^0x20 == c {
			i++
			return true
		}
		return false
	}
	if take('R') {
		sig.Reservation = true
	}
	if take('B') {
		sig.BatchOnly = true
	}
	if take('R') {
		sig.Reservation = true
	}
	return i
}

// ---------------------------------------------------------------------------
// --array

const arrayForms = "use indexes, ranges (1-10) and stepped ranges (1-10:2) separated by commas, " +
	"optionally in [ ], with an optional %LIMIT"

// ParseArray parses an --array value: comma-separated items N, N-M or
// N-M:STEP, optionally written inside [ ], followed by an optional %LIMIT
// on the number of tasks running at once. maxArraySize is the cluster's
// MaxArraySize (0 or less means DefaultMaxArraySize): every index and every
// step must be below it.
//
// Spec is the expression as Slurm prints the job's ArrayTaskId: the
// distinct indexes sorted, consecutive runs as "A-B", and a whole set in
// one arithmetic progression as "A-B:STEP" once it has at least 7 members
// (6 when the step is 3 or more) -- "1-10:2" prints as "1,3,5,7,9" but
// "1-14:2" as "1-13:2". Slurm's scontrol cuts ArrayTaskId at 64 characters
// unless SLURM_BITSTR_LEN=0; Spec is never cut.
//
// Slurm reads the expression loosely and so does ParseArray: empty items
// are skipped, a '[' may open and a ']' close any item, an item ends at
// '%', numbers are read with strtol (leading white space and '+' are
// allowed, "-" alone is index 0), and the %LIMIT is read with atoi (junk
// after it is ignored; 0, a negative or a non-number means no limit). A
// value with no items at all ("" or ",") is accepted by Slurm and submits an
// ordinary job: ParseArray then returns nil and no error.
func ParseArray(s string, maxArraySize int) (*Array, error) {
	if maxArraySize <= 0 {
		maxArraySize = DefaultMaxArraySize
	}
	a := &Array{}
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			continue
		}
		r, err := arrayItem(item, int64(maxArraySize))
		if err != nil {
			return nil, badValue("array", s, "%s", err.Error())
		}
		a.Ranges = append(a.Ranges, r)
	}
	if len(a.Ranges) == 0 {
		return nil, nil
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if t := int32(strtoll(s, i+1).v); t > 0 {
			n := int(t)
			a.Throttle = &n
		}
	}
	ids := arrayMembers(a.Ranges)
	a.Count = len(ids)
	a.Spec = formatArrayIndexes(ids)
	if a.Throttle != nil {
		a.Spec += "%" + strconv.Itoa(*a.Throttle)
	}
	return a, nil
}

// arrayItem reads one comma-separated item of an --array value.
func arrayItem(t string, limit int64) (ArrayRange, error) {
	p := 0
	if t[0] == '[' {
		p++
	}
	num := func() int64 {
		n := strtoll(t, p)
		p = n.end
		if p < len(t) && t[p] == ']' {
			p++
		}
		return n.v
	}
	at := func(c byte) bool {
		if p < len(t) && t[p] == c {
			p++
			return true
		}
		return false
	}
	first := num()
	last, step := first, int64(1)
	if at('-') {
		last = num()
		if at(':') {
			step = num()
		}
	}
	if p < len(t) && t[p] != '%' {
		return ArrayRange{}, fmt.Errorf("%q is not an index, range or stepped range; %s", t, arrayForms)
	}
	switch {
	case first < 0:
		return ArrayRange{}, fmt.Errorf("index %d is negative", first)
	case last < first:
		return ArrayRange{}, fmt.Errorf("range %d-%d runs backwards", first, last)
	case step <= 0:
		return ArrayRange{}, fmt.Errorf("the step must be at least 1")
	case last >= limit:
		return ArrayRange{}, fmt.Errorf("index %d is not below MaxArraySize (%d)", last, limit)
	case step >= limit:
		return ArrayRange{}, fmt.Errorf("step %d is not below MaxArraySize (%d)", step, limit)
	}
	last = first + (last-first)/step*step
	return ArrayRange{First: int(first), Last: int(last), Step: int(step)}, nil
}

// arrayMembers returns the distinct indexes of the ranges, sorted.
func arrayMembers(ranges []ArrayRange) []int {
	top := 0
	for _, r := range ranges {
		if r.Last > top {
			top = r.Last
		}
	}
	seen := make([]bool, top+1)
	for _, r := range ranges {
		for i := r.First; i <= r.Last; i += r.Step {
			seen[i] = true
		}
	}
	var ids []int
	for i, ok := range seen {
		if ok {
			ids = append(ids, i)
		}
	}
	return ids
}

// formatArrayIndexes prints sorted distinct indexes as Slurm prints a job's
// ArrayTaskId (see ParseArray).
func formatArrayIndexes(ids []int) string {
	n := len(ids)
	first, last := ids[0], ids[n-1]
	if n > 1 && last-first+1 != n {
		step := ids[1] - ids[0]
		progression := true
		for i := 2; i < n && progression; i++ {
			progression = ids[i]-ids[i-1] == step
		}
		if progression && (n >= 7 || (n == 6 && step >= 3)) {
			return fmt.Sprintf("%d-%d:%d", first, last, step)
		}
	}
	var b strings.Builder
	for i := 0; i < n; {
		j := i
		for j+1 < n && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ids[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// --dependency

// depTypes are the dependency types with a job list, in Slurm's spelling.
var depTypes = []string{"after", "afterany", "afterburstbuffer", "aftercorr", "afternotok", "afterok"}

const depForms = "use TYPE:JOBID[:JOBID...] terms (TYPE is after, afterany, afterok, afternotok, " +
	"aftercorr or afterburstbuffer; JOBID may be JOBID_TASK or have +MINUTES) or singleton, " +
	"joined by ',' (all) or '?' (any)"

// ParseDependency parses a --dependency value.
//
// sbatch sends the value to slurmctld unchecked; every error here is one
// slurmctld gives ("Job dependency problem"), except that slurmctld also
// answers "expand" with "Requested operation not supported on this system"
// and, for real jobs, checks that the referenced jobs exist -- which needs
// the controller and is not done here. The grammar, as slurmctld reads it:
//
//   - terms joined by ',' or '?'; one '?' anywhere makes the whole
//     expression "any" (slurmctld accepts a mix and ORs every term);
//   - a term is singleton, TYPE:JOB[:JOB...] with TYPE one of after,
//     afterany, afterok, afternotok, aftercorr, afterburstbuffer (any
//     case), or a bare JOB (meaning afterany; no +time, no list);
//   - JOB is JOBID[_TASK][+MINUTES]. JOBID is read with strtol (white space
//     and a sign allowed, except in a bare JOB, which must start with a
//     digit) and kept as a 32-bit value; 0 is an error. TASK is a number
//     ("_" alone is 0), "*" or -1 (the whole array, Task -1), or a list in
//     brackets ("_[1-3,5]", typed terms only), which adds one job per index.
//     +MINUTES is allowed on every typed term; it must be positive and then
//     also applies to the following jobs of the same term that have none
//     ("after:1+5:2" delays both) -- for a bracket list only the last index;
//   - text after +MINUTES that is not a separator ends the expression:
//     slurmctld ignores the rest ("after:1+5x,afterok:2" is after:1+5);
//   - a whole value "JOBID[,JOBID...]" starting with a digit is the old
//     form, a list of afterany jobs; "0" alone clears the dependency and,
//     like "", returns nil.
//
// A job that appears twice with the same type and task is kept once (the
// first), as slurmctld keeps it; "JOBID" and "JOBID_*" count as different
// there, though both are reported with Task -1. Raw is the value as
// written.
func ParseDependency(s string) (*Dependency, error) {
	if s == "" {
		return nil, nil
	}
	d := &Dependency{Raw: s}
	var err error
	if isDigit(s[0]) {
		err = parseOldDependency(s, d)
	} else {
		err = (&depScanner{s: s, d: d}).parse()
	}
	if err != nil {
		return nil, badValue("dependency", s, "%s", err.Error())
	}
	if len(d.Conditions) == 0 {
		return nil, nil // "0": no dependency
	}
	dedupDependency(d)
	return d, nil
}

// parseOldDependency reads the old form, JOBID[_TASK][,JOBID[_TASK]...].
func parseOldDependency(s string, d *Dependency) error {
	items := strings.Split(s, ",")
	for _, item := range items {
		if item == "" || !isDigit(item[0]) {
			return fmt.Errorf("%q is not a job id; %s", item, depForms)
		}
		sc := &depScanner{s: item, d: d, old: true}
		job, err := sc.jobID()
		if err != nil {
			return err
		}
		if job.JobID == 0 && len(items) == 1 && sc.pos == len(item) {
			return nil
		}
		if job.JobID == 0 {
			return errors.New("job id 0 is not valid")
		}
		if sc.pos < len(item) && item[sc.pos] == '_' {
			sc.pos++
			if job.Task, err = sc.taskNumber(); err != nil {
				return err
			}
		}
		if sc.pos != len(item) {
			return fmt.Errorf("%q is not a job id; %s", item, depForms)
		}
		d.Conditions = append(d.Conditions, DepCondition{Type: "afterany", Jobs: []DepJob{job}})
	}
	return nil
}

// depScanner reads the current form of a dependency expression.
type depScanner struct {
	s    string
	pos  int
	d    *Dependency
	old  bool // reading the old form, where "0" alone is allowed
	stop bool // text after +MINUTES ended the expression
}

func (sc *depScanner) peek() byte {
	if sc.pos < len(sc.s) {
		return sc.s[sc.pos]
	}
	return 0
}

func (sc *depScanner) atSeparator() bool {
	c := sc.peek()
	return sc.pos == len(sc.s) || c == ',' || c == '?'
}

func (sc *depScanner) parse() error {
	for {
		if err := sc.term(); err != nil {
			return err
		}
		if sc.stop || sc.pos == len(sc.s) {
			return nil
		}
		switch sc.peek() {
		case ',':
		case '?':
			sc.d.Any = true
		default:
			return fmt.Errorf("unexpected %q; %s", sc.s[sc.pos:], depForms)
		}
		sc.pos++
	}
}

// term reads one term: singleton, TYPE:JOB[:JOB...] or a bare JOB.
func (sc *depScanner) term() error {
	if sc.pos == len(sc.s) || sc.atSeparator() {
		return errors.New("an empty term; " + depForms)
	}
	if isDigit(sc.peek()) {
		return sc.bareJob()
	}
	end := sc.pos
	for end < len(sc.s) && !strings.ContainsRune(":,?", rune(sc.s[end])) {
		end++
	}
	name := sc.s[sc.pos:end]
	if strings.EqualFold(name, "singleton") && (end == len(sc.s) || sc.s[end] != ':') {
		sc.pos = end
		sc.d.Conditions = append(sc.d.Conditions, DepCondition{Type: "singleton"})
		return nil
	}
	if strings.EqualFold(name, "expand") {
		return errors.New("expand dependencies are not supported")
	}
	typ := ""
	for _, t := range depTypes {
		if strings.EqualFold(name, t) {
			typ = t
		}
	}
	if typ == "" || end == len(sc.s) || sc.s[end] != ':' {
		return fmt.Errorf("%q is not a dependency type; %s", name, depForms)
	}
	sc.pos = end + 1
	cond := DepCondition{Type: typ}
	delay := 0
	for {
		jobs, err := sc.typedJob(&delay)
		if err != nil {
			return err
		}
		cond.Jobs = append(cond.Jobs, jobs...)
		if sc.stop || sc.peek() != ':' {
			break
		}
		sc.pos++
	}
	sc.d.Conditions = append(sc.d.Conditions, cond)
	return nil
}

// bareJob reads a term that is only JOBID[_TASK]: afterany.
func (sc *depScanner) bareJob() error {
	job, err := sc.jobID()
	if err != nil {
		return err
	}
	if sc.peek() == '_' {
		sc.pos++
		if job.Task, err = sc.taskNumber(); err != nil {
			return err
		}
	}
	if !sc.atSeparator() {
		return fmt.Errorf("unexpected %q after job %d; %s", sc.s[sc.pos:], job.JobID, depForms)
	}
	sc.d.Conditions = append(sc.d.Conditions, DepCondition{Type: "afterany", Jobs: []DepJob{job}})
	return nil
}

// typedJob reads JOBID[_TASK][+MINUTES] in a typed term; a bracket list of
// tasks gives several jobs. delay carries +MINUTES to later jobs of the term.
func (sc *depScanner) typedJob(delay *int) ([]DepJob, error) {
	job, err := sc.jobID()
	if err != nil {
		return nil, err
	}
	jobs := []DepJob{job}
	if sc.peek() == '_' {
		sc.pos++
		if sc.peek() == '[' {
			if jobs, err = sc.taskList(job); err != nil {
				return nil, err
			}
		} else if jobs[0].Task, err = sc.taskNumber(); err != nil {
			return nil, err
		}
	}
	for i := range jobs {
		jobs[i].DelayMin = *delay
	}
	if sc.peek() == '+' {
		n := strtoll(sc.s, sc.pos+1)
		mins := int32(n.v)
		if mins <= 0 {
			return nil, fmt.Errorf("the delay after job %d must be a positive number of minutes", job.JobID)
		}
		// slurmctld keeps the delay as 32-bit seconds.
		*delay = int((uint32(mins) * 60) / 60)
		jobs[len(jobs)-1].DelayMin = *delay
		sc.pos = n.end
		if !sc.atSeparator() && sc.peek() != ':' {
			sc.stop = true
		}
		return jobs, nil
	}
	if !sc.atSeparator() && sc.peek() != ':' {
		return nil, fmt.Errorf("unexpected %q after job %d; %s", sc.s[sc.pos:], job.JobID, depForms)
	}
	return jobs, nil
}

// jobID reads a job id as slurmctld does (strtol, kept as uint32).
func (sc *depScanner) jobID() (DepJob, error) {
	n := strtoll(sc.s, sc.pos)
	if !n.digits {
		return DepJob{}, fmt.Errorf("missing job id at %q; %s", sc.s[sc.pos:], depForms)
	}
	sc.pos = n.end
	id := int64(uint32(n.v))
	if id == 0 && !sc.old {
		return DepJob{}, errors.New("job id 0 is not valid")
	}
	return DepJob{JobID: id, Task: -1}, nil
}

// depTaskAll marks "_*" (and "_-1") while parsing: slurmctld keeps it apart
// from a reference without a task when it drops duplicates, though both
// mean the whole job. ParseDependency reports it as -1.
const depTaskAll = math.MinInt32

// taskNumber reads the TASK after '_': "*", or a number read with strtol
// (none is 0; -1 means all tasks, -2 none given).
func (sc *depScanner) taskNumber() (int, error) {
	if sc.peek() == '*' {
		sc.pos++
		return depTaskAll, nil
	}
	n := strtoll(sc.s, sc.pos)
	sc.pos = n.end
	switch t := int32(n.v); t {
	case -1:
		return depTaskAll, nil
	case -2:
		return -1, nil
	default:
		return int(uint32(t)), nil
	}
}

// taskList reads "[N,N-M,...]" after '_' and returns one job per index.
// Slurm reads odd lists ("[x]", "[-1]", "[1,]") loosely; they are rejected
// here.
func (sc *depScanner) taskList(job DepJob) ([]DepJob, error) {
	end := strings.IndexByte(sc.s[sc.pos:], ']')
	if end < 0 {
		return nil, fmt.Errorf("the task list of job %d has no ']'", job.JobID)
	}
	body := sc.s[sc.pos+1 : sc.pos+end]
	sc.pos += end + 1
	var jobs []DepJob
	for _, item := range strings.Split(body, ",") {
		item = strings.TrimFunc(item, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) })
		lo, hi, ok := strings.Cut(item, "-")
		if !ok {
			hi = lo
		}
		if !allDigits(lo) || !allDigits(hi) {
			return nil, fmt.Errorf("the task list of job %d must hold indexes or ranges, not %q", job.JobID, item)
		}
		a, b := cInt(lo), cInt(hi)
		if a < 0 || b < a {
			return nil, fmt.Errorf("the task range %q of job %d is not valid", item, job.JobID)
		}
		if len(jobs)+int(b-a) >= 1<<20 {
			return nil, fmt.Errorf("the task list of job %d is too long", job.JobID)
		}
		for t := a; t <= b; t++ {
			j := job
			j.Task = int(t)
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// dedupDependency drops repeated (type, job, task) references and repeated
// singletons, keeping the first, then conditions left empty, and reports
// "_*" as task -1.
func dedupDependency(d *Dependency) {
	type key struct {
		typ  string
		job  int64
		task int
	}
	seen := map[key]bool{}
	conds := d.Conditions[:0]
	for _, c := range d.Conditions {
		if c.Type == "singleton" {
			if !seen[key{typ: c.Type}] {
				seen[key{typ: c.Type}] = true
				conds = append(conds, c)
			}
			continue
		}
		var jobs []DepJob
		for _, j := range c.Jobs {
			k := key{c.Type, j.JobID, j.Task}
			if !seen[k] {
				seen[k] = true
				if j.Task == depTaskAll {
					j.Task = -1
				}
				jobs = append(jobs, j)
			}
		}
		if len(jobs) > 0 {
			c.Jobs = jobs
			conds = append(conds, c)
		}
	}
	d.Conditions = conds
}

// ---------------------------------------------------------------------------
// --begin

const beginForms = "use HH:MM[:SS] [AM|PM], midnight, noon, fika, teatime, today, tomorrow, " +
	"MMDD[YY], MM/DD[/YY], MM.DD[.YY], YYYY-MM-DD[THH:MM[:SS]] or now[+COUNT[seconds|minutes|hours|days|weeks]]"

// beginUnits are the time units of now+COUNT, plural before singular, as
// they are matched against the start of the text.
var beginUnits = []struct {
	name string
	secs int64
}{
	{"seconds", 1}, {"second", 1}, {"minutes", 60}, {"minute", 60}, {"hours", 3600}, {"hour", 3600},
	{"days", 86400}, {"day", 86400}, {"weeks", 604800}, {"week", 604800},
}

// beginWords are the named days and times of --begin.
var beginWords = []struct {
	word   string
	day    int // days from today, for today and tomorrow
	hour   int // for the times of day
	isDay  bool
	lowerT bool // must start with a lower-case t, as 'T' is a separator
}{
	{word: "today", isDay: true, lowerT: true},
	{word: "tomorrow", day: 1, isDay: true, lowerT: true},
	{word: "teatime", hour: 16, lowerT: true},
	{word: "midnight", hour: 0},
	{word: "noon", hour: 12},
	{word: "fika", hour: 15},
}

// ParseBegin parses a --begin value and resolves it against now, in now's
// location. It never reads the clock.
//
// A value is a sequence of parts, each setting the date, the time of day or
// both, later parts overriding earlier ones; white space between parts is
// optional ("midnight9:05", "18:30:1512/25" and "noon tomorrow" are all
// read), and an upper-case 'T' or a '-' between parts is only a separator:
//
//   - HH:MM[:SS] with an optional AM or PM (any case, white space allowed
//     before it); the hour has one or two digits, minutes and seconds two;
//   - midnight, noon, fika (15:00) and teatime (16:00), in any case;
//   - today and tomorrow (the words starting with t need a lower-case t);
//   - MMDD, MMDDYY, MM/DD[/YY], MM/DDYY and MM.DD[.YY] (YY is 20YY; 00
//     means none);
//     YYYY-MM-DD, e.g. followed by T and a time;
//   - now, only at the very start, alone or followed by +COUNT or -COUNT
//     and an optional unit (seconds, the default, minutes, hours, days or
//     weeks, singular or plural, any case); it sets both date and time. A
//     COUNT without a unit must end the value.
//
// now, today, tomorrow and the dates with a year fix the year, which a
// later date without one keeps ("today 11/20" is this year's, even though
// past). A time of day without any date is today's, or tomorrow's when its
// hour and minute are not after now's (18:10:59 given at 18:10:21 is
// tomorrow). A month and day without any year are this year's, or next
// year's when month, day, hour and minute are not after now's. Days roll
// over as in C's mktime (2027-02-30 is March 2), but a day above 31 or a
// month above 12 is an error. A value that resolves to the Unix epoch is
// an error, because Slurm reads time 0 as failure, and so is one outside
// the years 1 to 9999 (BeginInRange), which Slurm wraps around.
//
// Slurm reads some nonsensical values in ways not reproduced here: "now"
// after another part ("23:59:59todaynow", "18:30 now-2days") and a '/'
// after a date ("1120/") are errors here, and "112/25" (Slurm: 2025-11-02)
// is one too.
func ParseBegin(s string, now time.Time) (*Begin, error) {
	b := beginParser{s: s, now: now.Truncate(time.Second)}
	if err := b.parse(); err != nil {
		return nil, badValue("begin time", s, "%s", err.Error())
	}
	at, err := b.resolve()
	if err != nil {
		return nil, badValue("begin time", s, "%s", err.Error())
	}
	return &Begin{At: at, Raw: s}, nil
}

type beginParser struct {
	s   string
	pos int
	now time.Time

	haveYear, haveDay  bool
	year, month, day   int
	haveTime           bool
	hour, minute, secs int
}

var errBeginSyntax = errors.New(beginForms)

func (b *beginParser) parse() error {
	if b.hasPrefixFold("now") {
		b.pos = 3
		if err := b.nowOffset(); err != nil {
			return err
		}
	}
	for {
		b.skipSpace()
		if b.pos == len(b.s) {
			break
		}
		c := b.s[b.pos]
		var err error
		switch {
		case c == 'T' || c == '-':
			b.pos++ // separators
			continue
		case isDigit(c):
			err = b.number()
		default:
			err = b.word()
		}
		if err != nil {
			return err
		}
	}
	if !b.haveDay && !b.haveTime {
		return errors.New("no date or time; " + beginForms)
	}
	return nil
}

func (b *beginParser) hasPrefixFold(w string) bool {
	return len(b.s)-b.pos >= len(w) && strings.EqualFold(b.s[b.pos:b.pos+len(w)], w)
}

func (b *beginParser) skipSpace() {
	for b.pos < len(b.s) && isCSpace(b.s[b.pos]) {
		b.pos++
	}
}

// nowOffset reads what follows a leading "now": nothing, or +COUNT[unit].
func (b *beginParser) nowOffset() error {
	b.skipSpace()
	t := b.now
	if b.pos < len(b.s) {
		sign := int64(1)
		switch b.s[b.pos] {
		case '+':
		case '-':
			sign = -1
		default:
			return errors.New("now may only be followed by +COUNT or -COUNT")
		}
		b.pos++
		b.skipSpace()
		start := b.pos
		for b.pos < len(b.s) && isDigit(b.s[b.pos]) {
			b.pos++
		}
		n, err := strconv.ParseInt(b.s[start:b.pos], 10, 64)
		if err != nil {
			return errors.New("now+ needs a count; " + beginForms)
		}
		b.skipSpace()
		unit := int64(0)
		for _, u := range beginUnits {
			if b.hasPrefixFold(u.name) {
				unit = u.secs
				b.pos += len(u.name)
				break
			}
		}
		if unit == 0 {
			if b.pos < len(b.s) {
				return errors.New("unknown time unit; use seconds, minutes, hours, days or weeks")
			}
			unit = 1
		}
		if n > math.MaxInt64/unit/2 {
			return errors.New("the offset is too large")
		}
		t = time.Unix(b.now.Unix()+sign*n*unit, 0).In(b.now.Location())
	}
	b.haveYear, b.haveDay = true, true
	b.year, b.month, b.day = t.Year(), int(t.Month()), t.Day()
	b.setTime(t.Hour(), t.Minute(), t.Second())
	return nil
}

// word reads today, tomorrow, midnight, noon, fika or teatime.
func (b *beginParser) word() error {
	for _, w := range beginWords {
		if !b.hasPrefixFold(w.word) || (w.lowerT && b.s[b.pos] != 't') {
			continue
		}
		b.pos += len(w.word)
		if w.isDay {
			t := time.Date(b.now.Year(), b.now.Month(), b.now.Day()+w.day, 0, 0, 0, 0, b.now.Location())
			b.haveYear, b.haveDay = true, true
			b.year, b.month, b.day = t.Year(), int(t.Month()), t.Day()
		} else {
			b.setTime(w.hour, 0, 0)
		}
		return nil
	}
	if b.hasPrefixFold("now") {
		return errors.New("now must come first")
	}
	return fmt.Errorf("unexpected %q; %s", b.s[b.pos:], beginForms)
}

func (b *beginParser) setTime(h, m, s int) {
	b.haveTime, b.hour, b.minute, b.secs = true, h, m, s
}

// digits reads a run of digits and returns it.
func (b *beginParser) digits() string {
	start := b.pos
	for b.pos < len(b.s) && isDigit(b.s[b.pos]) {
		b.pos++
	}
	return b.s[start:b.pos]
}

// number reads a part that starts with a digit: a time, or a date.
func (b *beginParser) number() error {
	start := b.pos
	d := b.digits()
	next := byte(0)
	if b.pos < len(b.s) {
		next = b.s[b.pos]
	}
	switch {
	case next == ':' && len(d) <= 2:
		b.pos = start
		return b.timeOfDay()
	case (next == '/' || next == '.') && len(d) <= 2:
		return b.slashDate(d, next)
	case next == '-' && len(d) == 4:
		return b.isoDate(d)
	case len(d) == 4 || len(d) == 6:
		return b.setDate(atoiDigits(d[2:4]), atoiDigits(d[:2]), d[4:])
	}
	return fmt.Errorf("unexpected %q; %s", d, beginForms)
}

func atoiDigits(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// timeOfDay reads H[H]:MM[:SS] [AM|PM].
func (b *beginParser) timeOfDay() error {
	h := b.digits()
	b.pos++ // ':'
	start := b.pos
	for b.pos < len(b.s) && b.pos < start+2 && isDigit(b.s[b.pos]) {
		b.pos++
	}
	m := b.s[start:b.pos]
	sec := "00"
	if len(m) == 2 && b.pos < len(b.s) && b.s[b.pos] == ':' {
		b.pos++
		start = b.pos
		for b.pos < len(b.s) && b.pos < start+2 && isDigit(b.s[b.pos]) {
			b.pos++
		}
		sec = b.s[start:b.pos]
	}
	if len(m) != 2 || len(sec) != 2 {
		return errors.New("minutes and seconds need two digits; " + beginForms)
	}
	hour, minute, second := atoiDigits(h), atoiDigits(m), atoiDigits(sec)
	if hour > 23 || minute > 59 || second > 59 {
		return errors.New("the time of day is out of range")
	}
	// An optional AM or PM, possibly after white space.
	p := b.pos
	for p < len(b.s) && isCSpace(b.s[p]) {
		p++
	}
	if p+2 <= len(b.s) {
		switch ampm := strings.ToLower(b.s[p : p+2]); ampm {
		case "am", "pm":
			if hour > 12 {
				return fmt.Errorf("hour %d cannot have %s", hour, strings.ToUpper(ampm))
			}
			if ampm == "am" && hour == 12 {
				hour = 0
			}
			if ampm == "pm" && hour < 12 {
				hour += 12
			}
			b.pos = p + 2
		}
	}
	b.setTime(hour, minute, second)
	return nil
}

// slashDate reads MM/DD[/YY] or MM.DD[.YY] (also MM/DDYY); month is
// already read.
func (b *beginParser) slashDate(month string, sep byte) error {
	b.pos++
	day := b.digits()
	year := ""
	switch len(day) {
	case 1, 2:
	case 4:
		day, year = day[:2], day[2:]
	default:
		return errBeginSyntax
	}
	if year == "" && b.pos < len(b.s) && b.s[b.pos] == sep {
		b.pos++
		start := b.pos
		for b.pos < len(b.s) && b.pos < start+2 && isDigit(b.s[b.pos]) {
			b.pos++
		}
		year = b.s[start:b.pos]
		if len(year) != 2 {
			return errors.New("the year needs two digits (YY); " + beginForms)
		}
	}
	return b.setDate(atoiDigits(day), atoiDigits(month), year)
}

// setDate records a month and day with a two-digit year ("" or "00" for
// none, which keeps a year set before).
func (b *beginParser) setDate(day, month int, yy string) error {
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return errors.New("the month or day is out of range")
	}
	b.haveDay, b.month, b.day = true, month, day
	if y := atoiDigits(yy); y != 0 {
		b.haveYear, b.year = true, 2000+y
	}
	return nil
}

// isoDate reads YYYY-MM-DD; the year is already read.
func (b *beginParser) isoDate(year string) error {
	b.pos++
	m := b.digits()
	if len(m) != 2 || b.pos >= len(b.s) || b.s[b.pos] != '-' {
		return errBeginSyntax
	}
	b.pos++
	start := b.pos
	for b.pos < len(b.s) && b.pos < start+2 && isDigit(b.s[b.pos]) {
		b.pos++
	}
	d := b.s[start:b.pos]
	if len(d) != 2 {
		return errBeginSyntax
	}
	if err := b.setDate(atoiDigits(d), atoiDigits(m), ""); err != nil {
		return err
	}
	b.haveYear, b.year = true, atoiDigits(year)
	return nil
}

// resolve turns the parts read into a time.
func (b *beginParser) resolve() (time.Time, error) {
	now := b.now
	loc := now.Location()
	h, m, s := 0, 0, 0
	if b.haveTime {
		h, m, s = b.hour, b.minute, b.secs
	}
	// notAfterNow compares the trailing fields of (month, day, hour,
	// minute) with now's.
	notAfterNow := func(fields ...int) bool {
		nowFields := []int{int(now.Month()), now.Day(), now.Hour(), now.Minute()}
		nowFields = nowFields[len(nowFields)-len(fields):]
		for i := range fields {
			if fields[i] != nowFields[i] {
				return fields[i] < nowFields[i]
			}
		}
		return true
	}
	var t time.Time
	switch {
	case b.haveYear:
		t = time.Date(b.year, time.Month(b.month), b.day, h, m, s, 0, loc)
	case b.haveDay:
		year := now.Year()
		if notAfterNow(b.month, b.day, h, m) {
			year++
		}
		t = time.Date(year, time.Month(b.month), b.day, h, m, s, 0, loc)
	default:
		day := now.Day()
		if notAfterNow(h, m) {
			day++
		}
		t = time.Date(now.Year(), now.Month(), day, h, m, s, 0, loc)
	}
	if t.Unix() == 0 {
		return time.Time{}, errors.New("it resolves to the Unix epoch, which Slurm reads as an error")
	}
	if !BeginInRange(t) {
		return time.Time{}, fmt.Errorf("it resolves to the year %d; the begin time must be in the years 1 to 9999", t.Year())
	}
	return t, nil
}

// BeginInRange reports whether a --begin time is one hpcbridge keeps: in
// the years 1 to 9999 both where it was given and in UTC (the years that
// RFC 3339 can write). Slurm 22.05 computes far offsets in 64-bit seconds
// and wraps around (now+99999999999days is the year 273792727,
// now+999999999999999days a negative year); such values are refused here.
// A coordinator checks again in the zone it stores the time in.
func BeginInRange(t time.Time) bool {
	ok := func(y int) bool { return y >= 1 && y <= 9999 }
	return ok(t.Year()) && ok(t.UTC().Year())
}
