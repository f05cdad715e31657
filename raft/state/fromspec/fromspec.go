// Package fromspec makes the records the Raft log carries from parsed
// sbatch options: the leader calls it before it commits a submission or an
// update, so that the log holds the parser's answer in raft/state's own
// types and Apply never runs the parser (a parser change cannot change
// what an old log replays to).
package fromspec

import (
	"fmt"
	"math"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Record is the job record of a JobSubmitCmd (version 2) for spec:
// defaultPartition is the partition when spec names none. The array's
// indexes are those of its normalised expression (Array.Spec), as Slurm
// prints them.
func Record(spec *jobspec.Spec, defaultPartition string) (*state.JobRecord, error) {
	if spec == nil {
		return nil, fmt.Errorf("fromspec: no job spec")
	}
	r := &state.JobRecord{
		Name:             deref(spec.JobName),
		Account:          deref(spec.Account),
		Partition:        defaultPartition,
		QOS:              deref(spec.QOS),
		Requeue:          spec.Requeue == nil || *spec.Requeue,
		Hold:             spec.Hold,
		KillOnInvalidDep: spec.Other["kill-on-invalid-dep"] == "yes",
		DependsOn:        Dependency(spec.Dependency),
	}
	if spec.Partition != nil {
		r.Partition = *spec.Partition
	}
	if spec.Nice != nil {
		r.Nice = *spec.Nice
	}
	if spec.TimeLimit != nil && !spec.TimeLimit.Unlimited {
		r.TimeLimitMin = spec.TimeLimit.Minutes
	}
	if spec.Dependency != nil {
		r.Dependency = spec.Dependency.Raw
	}
	if spec.Begin != nil {
		r.Begin = spec.Begin.At
	}
	if spec.Array != nil {
		arr, err := jobspec.ParseArray(spec.Array.Spec, math.MaxInt32)
		if err != nil {
			return nil, fmt.Errorf("array %q: %w", spec.Array.Spec, err)
		}
		if arr != nil {
			r.Array = Ranges(arr.Ranges)
		}
	}
	return r, nil
}

// MustRecord is Record for specs that jobspec.Parse returned (their array
// expression always parses again); it panics otherwise. For tests and
// fixtures.
func MustRecord(spec *jobspec.Spec, defaultPartition string) *state.JobRecord {
	r, err := Record(spec, defaultPartition)
	if err != nil {
		panic(err)
	}
	return r
}

// Dependency is d in raft/state's types (nil for none).
func Dependency(d *jobspec.Dependency) *state.Dependency {
	if d == nil || len(d.Conditions) == 0 {
		return nil
	}
	out := &state.Dependency{Any: d.Any, Conditions: make([]state.DepCondition, len(d.Conditions))}
	for i, c := range d.Conditions {
		out.Conditions[i] = state.DepCondition{Type: c.Type}
		for _, j := range c.Jobs {
			out.Conditions[i].Jobs = append(out.Conditions[i].Jobs, state.DepJob{JobID: j.JobID, Task: j.Task, DelayMin: j.DelayMin})
		}
	}
	return out
}

// Ranges are rs in raft/state's type.
func Ranges(rs []jobspec.ArrayRange) []state.ArrayRange {
	out := make([]state.ArrayRange, len(rs))
	for i, r := range rs {
		out[i] = state.ArrayRange{First: r.First, Last: r.Last, Step: r.Step}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
