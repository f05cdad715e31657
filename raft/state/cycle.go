package state

import "fmt"

// MaxDependencyScan bounds the unfinished jobs one update's cycle check
// visits. A dependency that reaches more is refused (ErrDependency): the
// check follows at most this many unfinished jobs however large the queue
// is (about 12 ms on a 2-core VM for a chain this long:
// BenchmarkCycleCheck), though listing an array's tasks also passes over
// its finished ones.
// slurmctld bounds its own scan too (max_depend_depth, 10 jobs), but then
// accepts what it did not check.
const MaxDependencyScan = 10000

// depScanLimit is MaxDependencyScan; tests lower it.
var depScanLimit = MaxDependencyScan

// depReach is the set of unfinished job records (by id) that a dependency
// makes a job wait for, directly or through their own
// dependencies. A pending task of an array that is not materialised is
// represented by its array's base record. Finished jobs end a path: what
// they waited for no longer matters. Each record is visited once, and each
// array's tasks are listed once; more than MaxDependencyScan unfinished
// records is an error.
//
// Like slurmctld's circular-dependency scan, every condition counts,
// whether the expression joins them with ',' or '?', and whatever its
// type (after waits for a start, the others for an end): a job that could
// wait for itself is refused.
func (a *applier) depReach(dep *Dependency) (map[uint64]bool, error) {
	seen := map[uint64]bool{}
	arrays := map[uint64]bool{}
	var stack []*Job
	tooMany := false
	push := func(j *Job) bool {
		if j == nil || j.State.Terminal() || seen[j.ID] {
			return true
		}
		if len(seen) == depScanLimit {
			tooMany = true
			return false
		}
		seen[j.ID] = true
		stack = append(stack, j)
		return true
	}
	follow := func(d *Dependency) {
		if d == nil {
			return
		}
		for _, c := range d.Conditions {
			for _, r := range c.Jobs {
				if tooMany {
					return
				}
				if r.JobID <= 0 {
					continue
				}
				a.pushRef(uint64(r.JobID), r.Task, arrays, push)
			}
		}
	}
	legacy := legacyDependencies{}
	follow(dep)
	for len(stack) > 0 && !tooMany {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		follow(legacy.of(j))
	}
	if tooMany {
		return nil, fmt.Errorf("the dependency reaches more than %d unfinished jobs, too many to check for a cycle: %w", depScanLimit, ErrDependency)
	}
	return seen, nil
}

// pushRef pushes the records a dependency's job reference names: one
// task (materialised, or its base while pending), or a job and, for an
// array, every task (listed once per walk). It stops listing when push
// returns false (the scan's bound is reached).
func (a *applier) pushRef(id uint64, task int, arrays map[uint64]bool, push func(*Job) bool) {
	if task >= 0 {
		if raw, err := a.txn.First(tableJobs, "array", id, task); err == nil && raw != nil {
			push(raw.(*Job))
			return
		}
		if base := a.job(id); base != nil && base.IsArrayBase() && base.Pending.Contains(task) {
			push(base)
		}
		return
	}
	j := a.job(id)
	if j == nil {
		return
	}
	push(j)
	if !j.IsArrayBase() || arrays[id] {
		return
	}
	arrays[id] = true
	it, err := a.txn.Get(tableJobs, "array_prefix", id)
	if err != nil {
		panic(err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !push(raw.(*Job)) {
			return
		}
	}
}
