package api

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// ErrBadRef is wrapped by every error ParseJobRefs and ParseJobRef return.
var ErrBadRef = errors.New("invalid job id")

// Job ids and array indexes as Slurm bounds them.
const (
	maxJobID     = 1<<32 - 1
	maxTaskIndex = 1<<31 - 2
)

// ParseJobRef parses one job ref: a job id (123, which names a job and all
// the tasks of its array) or an array task (123_7).
func ParseJobRef(s string) (state.JobRef, error) {
	refs, err := ParseJobRefs(s)
	if err != nil {
		return state.JobRef{}, err
	}
	if len(refs) != 1 || strings.ContainsAny(s, ",[") {
		return state.JobRef{}, badRef(s, "name one job: 123 or 123_7")
	}
	return refs[0], nil
}

// ParseJobRefs parses a comma-separated list of job refs as scancel, squeue
// -j and scontrol take them: 123, 123_7 and 123_[1-3,5,7-11:2]. Ranges are
// expanded into one ref per task (at most MaxRefs in all); duplicates are
// dropped, the order kept.
func ParseJobRefs(s string) ([]state.JobRef, error) {
	items, err := splitRefs(s)
	if err != nil {
		return nil, err
	}
	var out []state.JobRef
	seen := map[state.JobRef]bool{}
	work := 0 // refs read, duplicates included: bounds the time a list takes
	add := func(r state.JobRef) error {
		if work++; work > 2*MaxRefs {
			return badRef(s, fmt.Sprintf("names more than %d jobs", 2*MaxRefs))
		}
		if seen[r] {
			return nil
		}
		if len(out) == MaxRefs {
			return badRef(s, fmt.Sprintf("names more than %d jobs; name a whole array by its job id", MaxRefs))
		}
		seen[r] = true
		out = append(out, r)
		return nil
	}
	for _, it := range items {
		if err := parseRefItem(s, it, add); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// splitRefs splits a list at the commas outside brackets.
func splitRefs(s string) ([]string, error) {
	if s == "" {
		return nil, badRef(s, "empty job list")
	}
	var items []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			if depth++; depth > 1 {
				return nil, badRef(s, "nested '['")
			}
		case ']':
			if depth--; depth < 0 {
				return nil, badRef(s, "']' without '['")
			}
		case ',':
			if depth == 0 {
				items = append(items, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, badRef(s, "'[' without ']'")
	}
	return append(items, s[start:]), nil
}

// parseRefItem parses ID, ID_TASK or ID_[RANGES] and calls add per ref.
func parseRefItem(whole, it string, add func(state.JobRef) error) error {
	idPart, task, hasTask := strings.Cut(it, "_")
	id, err := parseNum(idPart, maxJobID)
	if err != nil || id == 0 {
		return badRef(whole, fmt.Sprintf("%q is not a job id", idPart))
	}
	if !hasTask {
		return add(state.JobRef{JobID: id, Task: state.AllTasks})
	}
	if !strings.HasPrefix(task, "[") {
		n, err := parseNum(task, maxTaskIndex)
		if err != nil {
			return badRef(whole, fmt.Sprintf("%q is not an array index", task))
		}
		return add(state.JobRef{JobID: id, Task: int(n)})
	}
	if !strings.HasSuffix(task, "]") || len(task) < 3 {
		return badRef(whole, fmt.Sprintf("%q: write an index list as [1-3,5]", task))
	}
	for _, r := range strings.Split(task[1:len(task)-1], ",") {
		first, last, step, err := parseRange(r)
		if err != nil {
			return badRef(whole, err.Error())
		}
		for x := first; x <= last; x += step {
			if err := add(state.JobRef{JobID: id, Task: int(x)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseRange parses N, N-M or N-M:STEP.
func parseRange(r string) (first, last, step uint64, err error) {
	step = 1
	span, st, hasStep := strings.Cut(r, ":")
	a, b, isRange := strings.Cut(span, "-")
	if first, err = parseNum(a, maxTaskIndex); err != nil {
		return 0, 0, 0, fmt.Errorf("%q is not an array index range", r)
	}
	last = first
	if isRange {
		if last, err = parseNum(b, maxTaskIndex); err != nil || last < first {
			return 0, 0, 0, fmt.Errorf("%q is not an array index range", r)
		}
	}
	if hasStep {
		if step, err = parseNum(st, maxTaskIndex); err != nil || step == 0 || !isRange {
			return 0, 0, 0, fmt.Errorf("%q: bad step", r)
		}
	}
	return first, last, step, nil
}

// parseNum reads a plain decimal number up to max.
func parseNum(s string, max uint64) (uint64, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, ErrBadRef
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, ErrBadRef
	}
	return n, nil
}

func badRef(s, why string) error {
	if len(s) > 64 {
		s = s[:61] + "..."
	}
	return fmt.Errorf("%w %q: %s", ErrBadRef, s, why)
}

// allStates lists the job states in the order squeue documents them.
var allStates = []state.JobState{
	state.StatePending, state.StateRunning, state.StateCompleting, state.StateCompleted,
	state.StateFailed, state.StateCancelled, state.StateTimeout, state.StateNodeFail,
	state.StatePreempted, state.StateRequeued, state.StateOutOfMemory,
}

// ParseJobState reads a job state as squeue -t and sacct -s take it: the
// name or the short code in any case (PENDING, pending, PD; CANCELED too).
func ParseJobState(s string) (state.JobState, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "CANCELED" {
		return state.StateCancelled, nil
	}
	for _, st := range allStates {
		if u == string(st) || u == st.Short() {
			return st, nil
		}
	}
	return "", fmt.Errorf("invalid job state %q", s)
}
