package slurmoracle

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

var errUnknown = errors.New("unknown form")

// nodeRange reads "N" or "N-M". An explicit --nodes=N means exactly N
// (min = max = N); the controller's NumNodes=N leaves the maximum open.
func nodeRange(s string, explicit bool) (lo, hi any, err error) {
	a, b, isRange := strings.Cut(s, "-")
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return nil, nil, err
	}
	if !isRange {
		if explicit {
			return float64(n), float64(n), nil
		}
		return float64(n), nil, nil
	}
	if b == "" {
		return float64(n), nil, nil
	}
	x, err := strconv.ParseInt(b, 10, 64)
	if err != nil {
		return nil, nil, err
	}
	return float64(n), float64(x), nil
}

// mebibytes reads sbatch's memory dump ("4000", "480G", "0?") as MiB.
func mebibytes(s string) (any, error) {
	num := strings.TrimRight(s, "KMGTP?")
	unit := s[len(num):]
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || len(unit) > 1 || n < 0 {
		return nil, errUnknown
	}
	switch unit {
	case "", "M":
	case "K":
		n = math.Ceil(n / 1024)
	case "G":
		n *= 1024
	case "T":
		n *= 1024 * 1024
	case "P":
		n *= 1024 * 1024 * 1024
	case "?": // sbatch prints --mem=0 as "0?"
		if n != 0 {
			return nil, errUnknown
		}
	}
	return math.Ceil(n), nil
}

// minutes reads a Slurm time ("MM", "MM:SS", "HH:MM:SS", "D-HH",
// "D-HH:MM", "D-HH:MM:SS") as whole minutes, seconds rounded up;
// "UNLIMITED" (and "INFINITE") stay the string "UNLIMITED".
func minutes(s string) (any, error) {
	switch strings.ToUpper(s) {
	case "UNLIMITED", "INFINITE":
		return "UNLIMITED", nil
	}
	days := int64(0)
	rest := s
	if d, r, ok := strings.Cut(s, "-"); ok {
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil {
			return nil, err
		}
		days, rest = n, r
	}
	var parts []int64
	for _, p := range strings.Split(rest, ":") {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, err
		}
		parts = append(parts, n)
	}
	var h, m, sec int64
	switch {
	case len(parts) > 3:
		return nil, errUnknown
	case s != rest: // D-HH[:MM[:SS]]
		h = parts[0]
		if len(parts) > 1 {
			m = parts[1]
		}
		if len(parts) > 2 {
			sec = parts[2]
		}
	case len(parts) == 1:
		m = parts[0]
	case len(parts) == 2:
		m, sec = parts[0], parts[1]
	default:
		h, m, sec = parts[0], parts[1], parts[2]
	}
	total := days*24*60 + h*60 + m
	if sec > 0 {
		total += (sec + 59) / 60
	}
	return float64(total), nil
}

// gpuList reads a --gpus* value ("2", "a100:1", "a100:1,v100:2"): the
// total count and the types named, in order.
func gpuList(s string) (count any, types []string, err error) {
	total := 0.0
	for _, e := range strings.Split(s, ",") {
		parts := strings.Split(strings.TrimPrefix(e, "gres:"), ":")
		if len(parts) > 1 && parts[0] == "gpu" {
			parts = parts[1:]
		}
		n, typ, err := countAndType(parts)
		if err != nil {
			return nil, nil, err
		}
		total += n
		if typ != "" {
			types = append(types, typ)
		}
	}
	return total, types, nil
}

// gresList reads sbatch's --gres dump ("gres:gpu:a100:1,gres:tmp:5"): the
// entries without the "gres:" prefix, the sum of the gpu counts, the gpu
// types and whether any entry is a gpu.
func gresList(s string) (entries []any, gpus any, types []string, hasGPU bool, err error) {
	total := 0.0
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimPrefix(e, "gres:")
		entries = append(entries, e)
		parts := strings.Split(e, ":")
		if parts[0] != "gpu" {
			continue
		}
		hasGPU = true
		n, typ, err := countAndType(parts[1:])
		if err != nil {
			return entries, nil, nil, hasGPU, err
		}
		total += n
		if typ != "" {
			types = append(types, typ)
		}
	}
	return entries, total, types, hasGPU, nil
}

// countAndType reads "[type][:count]" split on ':' (count defaults to 1).
func countAndType(parts []string) (float64, string, error) {
	if len(parts) == 0 || (len(parts) == 1 && parts[0] == "") {
		return 1, "", nil
	}
	last := parts[len(parts)-1]
	if n, err := strconv.ParseUint(last, 10, 64); err == nil {
		return float64(n), strings.Join(parts[:len(parts)-1], ":"), nil
	}
	if len(parts) > 1 {
		return 0, "", errUnknown
	}
	return 1, last, nil
}

// arrayCount reads the controller's ArrayTaskId ("1-999:2", "1-3,5%2"):
// the number of tasks and the throttle (0 when none).
func arrayCount(spec string) (count, throttle float64, err error) {
	list, thr, hasThr := strings.Cut(spec, "%")
	if hasThr {
		t, err := strconv.ParseInt(thr, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		throttle = float64(t)
	}
	n := int64(0)
	for _, r := range strings.Split(list, ",") {
		rng, stepStr, hasStep := strings.Cut(r, ":")
		step := int64(1)
		if hasStep {
			if step, err = strconv.ParseInt(stepStr, 10, 64); err != nil || step < 1 {
				return 0, 0, errUnknown
			}
		}
		a, b, isRange := strings.Cut(rng, "-")
		lo, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		hi := lo
		if isRange {
			if hi, err = strconv.ParseInt(b, 10, 64); err != nil {
				return 0, 0, err
			}
		}
		if hi < lo {
			return 0, 0, errUnknown
		}
		n += (hi-lo)/step + 1
	}
	return float64(n), throttle, nil
}

// signalNames maps Linux signal numbers to names without "SIG".
var signalNames = map[int]string{
	1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 5: "TRAP", 6: "ABRT", 7: "BUS", 8: "FPE", 9: "KILL",
	10: "USR1", 11: "SEGV", 12: "USR2", 13: "PIPE", 14: "ALRM", 15: "TERM", 16: "STKFLT", 17: "CHLD",
	18: "CONT", 19: "STOP", 20: "TSTP", 21: "TTIN", 22: "TTOU", 23: "URG", 24: "XCPU", 25: "XFSZ",
	26: "VTALRM", 27: "PROF", 28: "WINCH", 29: "IO", 30: "PWR", 31: "SYS",
}

// signalSpec reads sbatch's --signal dump ("USR1", "B:USR1@120",
// "RB:TERM@5"); sbatch omits the default "@60".
func signalSpec(s string) (map[string]any, error) {
	flags, rest, hasFlags := strings.Cut(s, ":")
	if !hasFlags {
		flags, rest = "", s
	}
	name, secStr, hasSec := strings.Cut(rest, "@")
	secs := int64(60)
	if hasSec {
		var err error
		if secs, err = strconv.ParseInt(secStr, 10, 64); err != nil {
			return nil, err
		}
	}
	name = strings.TrimPrefix(strings.ToUpper(name), "SIG")
	if n, err := strconv.Atoi(name); err == nil {
		if name = signalNames[n]; name == "" {
			return nil, fmt.Errorf("signal number %d: %w", n, errUnknown)
		}
	}
	if name == "" || strings.Trim(flags, "RB") != "" {
		return nil, errUnknown
	}
	return map[string]any{
		"signal":     name,
		"seconds":    float64(secs),
		"batch_only": strings.Contains(flags, "B"),
	}, nil
}

// beginLayout is how sbatch prints --begin (local time).
const beginLayout = "2006-01-02T15:04:05"

// beginValue turns sbatch's resolved --begin back into a relative form
// where it plainly was one: within 2 s of the submit time it is "now",
// within 2 s of a whole number of minutes after it "now+<N>s"; anything
// else stays absolute. This is a heuristic: an absolute time that happens
// to fall on such a point reads as relative.
func beginValue(s string, submitted time.Time) (string, error) {
	loc := time.Local
	if !submitted.IsZero() {
		loc = submitted.Location() // sbatch printed it in the submitting machine's zone
	}
	t, err := time.ParseInLocation(beginLayout, s, loc)
	if err != nil {
		return "", err
	}
	if submitted.IsZero() {
		return s, nil
	}
	d := t.Sub(submitted.Truncate(time.Second)).Seconds()
	if math.Abs(d) <= 2 {
		return "now", nil
	}
	mins := math.Round(d / 60)
	if mins >= 1 && math.Abs(d-mins*60) <= 2 {
		return fmt.Sprintf("now+%ds", int64(mins*60)), nil
	}
	return s, nil
}
