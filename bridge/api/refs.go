package api

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/jobref"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// ErrBadRef is wrapped by every error ParseJobRefs and ParseJobRef return.
var ErrBadRef = errors.New("invalid job id")

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

// splitRefs splits a list at the commas outside brackets (jobref.Split).
func splitRefs(s string) ([]string, error) {
	items, err := jobref.Split(s)
	if err != nil {
		return nil, badRef(s, err.Error())
	}
	return items, nil
}

// parseRefItem parses ID, ID_TASK or ID_[RANGES] and calls add per ref.
func parseRefItem(whole, it string, add func(state.JobRef) error) error {
	idPart, task, hasTask := strings.Cut(it, "_")
	id, ok := jobref.Number(idPart, jobref.MaxJobID)
	if !ok || id == 0 {
		return badRef(whole, fmt.Sprintf("%q is not a job id", idPart))
	}
	if !hasTask {
		return add(state.JobRef{JobID: id, Task: state.AllTasks})
	}
	if !strings.HasPrefix(task, "[") {
		n, ok := jobref.Number(task, jobref.MaxTaskIndex)
		if !ok {
			return badRef(whole, fmt.Sprintf("%q is not an array index", task))
		}
		return add(state.JobRef{JobID: id, Task: int(n)})
	}
	if !strings.HasSuffix(task, "]") || len(task) < 3 {
		return badRef(whole, fmt.Sprintf("%q: write an index list as [1-3,5]", task))
	}
	for _, r := range strings.Split(task[1:len(task)-1], ",") {
		rg, err := jobref.ParseRange(r)
		switch {
		case errors.Is(err, jobref.ErrStep):
			return badRef(whole, fmt.Sprintf("%q: bad step", r))
		case err != nil:
			return badRef(whole, fmt.Sprintf("%q is not an array index range", r))
		}
		for x := rg.First; x <= rg.Last; x += rg.Step {
			if err := add(state.JobRef{JobID: id, Task: int(x)}); err != nil {
				return err
			}
		}
	}
	return nil
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
