package state

import (
	"errors"
	"fmt"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// This file reads what older entries and snapshots carry as jobspec text
// or jobspec types: a JobSubmit 1 entry's embedded spec (its --array is
// parsed again here), a JobUpdate 1-2 entry's dependency text, and the
// dependency text of a job such an entry wrote (Job.DependsOn nil). It is
// the only place Apply reaches the parser, and only for those records;
// testdata/release-* holds a log of them that must keep replaying to the
// same state.

// applySubmitV1 is JobSubmit version 1: the job's fields from the
// embedded spec.
func applySubmitV1(a *applier, c *JobSubmitCmd) *Result {
	sub := c.Submission
	if sub == nil || sub.Spec == nil {
		return &Result{Err: errors.New("submission without a job spec")}
	}
	spec := sub.Spec
	j := &Job{
		ID:          a.nextJobID(),
		ArrayTaskID: NoTask,
		Name:        deref(spec.JobName),
		User:        c.User,
		Account:     deref(spec.Account),
		Partition:   c.DefaultPartition,
		QOS:         deref(spec.QOS),
		State:       StatePending,
		Reason:      ReasonPriority,
		Requeue:     spec.Requeue == nil || *spec.Requeue,
		SubmitTime:  c.Time,
		Submission:  sub,
	}
	if spec.Partition != nil {
		j.Partition = *spec.Partition
	}
	if spec.Nice != nil {
		j.Nice = *spec.Nice
	}
	if spec.TimeLimit != nil && !spec.TimeLimit.Unlimited {
		j.TimeLimitMin = spec.TimeLimit.Minutes
	}
	if spec.Dependency != nil {
		j.Dependency = spec.Dependency.Raw
		j.Reason = ReasonDependency
	}
	j.KillOnInvalidDep = spec.Other["kill-on-invalid-dep"] == "yes"
	if spec.Begin != nil {
		j.Begin = spec.Begin.At
		if j.Begin.After(c.Time) {
			j.Reason = ReasonBeginTime
		}
	}
	if spec.Hold {
		j.Hold, j.Reason = HoldUser, ReasonHeldUser
	}
	if spec.Array != nil {
		// The ranges do not travel in JSON; the normalised spec holds them.
		arr, err := jobspec.ParseArray(spec.Array.Spec, 1<<31-1)
		if err != nil {
			return &Result{Err: fmt.Errorf("array %q: %w", spec.Array.Spec, err)}
		}
		j.ArrayJobID = j.ID
		ranges := make([]ArrayRange, len(arr.Ranges))
		for i, r := range arr.Ranges {
			ranges[i] = ArrayRange{First: r.First, Last: r.Last, Step: r.Step}
		}
		j.Pending = NewIndexSet(ranges)
	}
	a.put(j)
	return &Result{Changed: []uint64{j.ID}, Value: JobSubmitResult{JobID: j.ID}}
}

// legacyUpdateDependency parses a JobUpdate 1-2 entry's dependency text
// ("" clears the dependency: nil).
func legacyUpdateDependency(text string) (*Dependency, error) {
	if text == "" {
		return nil, nil
	}
	d, err := jobspec.ParseDependency(text)
	if err != nil {
		return nil, err
	}
	return legacyDependency(d), nil
}

// dependencyOf is what j waits for: the dependency its command carried,
// or, for a job whose dependency an older entry wrote, its text parsed
// (stored texts were checked when they were committed).
func dependencyOf(j *Job) *Dependency {
	if j.DependsOn != nil || j.Dependency == "" {
		return j.DependsOn
	}
	d, _ := jobspec.ParseDependency(j.Dependency)
	return legacyDependency(d)
}

// legacyDependencies is dependencyOf for one walk over many jobs, parsing
// each older text once.
type legacyDependencies map[string]*Dependency

func (m legacyDependencies) of(j *Job) *Dependency {
	if j.DependsOn != nil || j.Dependency == "" {
		return j.DependsOn
	}
	d, ok := m[j.Dependency]
	if !ok {
		d = dependencyOf(j)
		m[j.Dependency] = d
	}
	return d
}

// legacyDependency is a parsed jobspec dependency in this package's types.
func legacyDependency(d *jobspec.Dependency) *Dependency {
	if d == nil {
		return nil
	}
	out := &Dependency{Any: d.Any, Conditions: make([]DepCondition, len(d.Conditions))}
	for i, c := range d.Conditions {
		out.Conditions[i] = DepCondition{Type: c.Type}
		for _, r := range c.Jobs {
			out.Conditions[i].Jobs = append(out.Conditions[i].Jobs, DepJob{JobID: r.JobID, Task: r.Task, DelayMin: r.DelayMin})
		}
	}
	return out
}
