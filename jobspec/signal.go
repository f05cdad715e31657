package jobspec

// The --signal value parser.
// See values.go for how these rules were settled.

import (
	"math"
	"strconv"
	"strings"
)

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
