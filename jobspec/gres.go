package jobspec

// The --gres, --gpus, --gpus-per-node and --gpus-per-task value parsers.
// See values.go for how these rules were settled.

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

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
