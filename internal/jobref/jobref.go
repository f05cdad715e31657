// Package jobref is the grammar of Slurm job references, which the API
// (bridge/api.ParseJobRefs) and the Slurm commands (internal/slurm:
// ParseJobArg, SplitJobArgs) share: a list of items separated by the
// commas outside brackets; an item is JOBID, JOBID_INDEX or
// JOBID_[RANGES], a range N, N-M or N-M:STEP. Job ids are 1..MaxJobID,
// array indexes 0..MaxTaskIndex, both plain decimal digits.
//
// What each consumer adds stays with it: the commands read a .STEP
// suffix and an empty index ("123_") and word errors as Slurm does; the
// API expands ranges into refs and bounds how many a list may name. The
// package imports nothing of the project.
package jobref

import (
	"errors"
	"strconv"
	"strings"
)

// Job ids and array indexes as Slurm bounds them.
const (
	MaxJobID     = 1<<32 - 1
	MaxTaskIndex = 1<<31 - 2
)

// Number reads a job id or an array index: decimal digits only (no sign,
// no blanks), at most max.
func Number(s string, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n <= max
}

// Range is the array indexes First, First+Step, ... up to Last.
type Range struct{ First, Last, Step uint64 }

// Errors of ParseRange.
var (
	ErrRange = errors.New("not an array index range")
	ErrStep  = errors.New("bad step")
)

// ParseRange reads one range of a bracketed index list: N, N-M (M >= N)
// or N-M:STEP (STEP > 0).
func ParseRange(r string) (Range, error) {
	span, st, hasStep := strings.Cut(r, ":")
	a, b, isRange := strings.Cut(span, "-")
	first, ok := Number(a, MaxTaskIndex)
	if !ok {
		return Range{}, ErrRange
	}
	out := Range{First: first, Last: first, Step: 1}
	if isRange {
		if out.Last, ok = Number(b, MaxTaskIndex); !ok || out.Last < first {
			return Range{}, ErrRange
		}
	}
	if hasStep {
		if out.Step, ok = Number(st, MaxTaskIndex); !ok || out.Step == 0 || !isRange {
			return Range{}, ErrStep
		}
	}
	return out, nil
}

// Split splits a list at the commas outside brackets, refusing an empty
// list and brackets that do not pair (the error says which).
func Split(s string) ([]string, error) {
	if s == "" {
		return nil, errors.New("empty job list")
	}
	var items []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			if depth++; depth > 1 {
				return nil, errors.New("nested '['")
			}
		case ']':
			if depth--; depth < 0 {
				return nil, errors.New("']' without '['")
			}
		case ',':
			if depth == 0 {
				items = append(items, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, errors.New("'[' without ']'")
	}
	return append(items, s[start:]), nil
}

// Fields splits a list at the commas outside brackets as Slurm's commands
// do, leniently: brackets that do not pair are left to the item's parser
// ("12,13_[1,2]" is two items, "1,2_[3" too).
func Fields(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth <= 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
