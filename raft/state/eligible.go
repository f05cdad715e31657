package state

import "time"

// DepStatus is where a dependency stands.
type DepStatus int

// Dependency outcomes.
const (
	DepWaiting DepStatus = iota // not yet decided
	DepMet                      // the job may start
	DepNever                    // can never be met
)

// Dependency evaluates a job's --dependency at time now. task is the array
// task being considered (for aftercorr), or NoTask.
func (v *View) Dependency(j *Job, task int, now time.Time) DepStatus {
	d := dependencyOf(j)
	if d == nil {
		return DepMet
	}
	all := DepMet
	anyMet := false
	for _, c := range d.Conditions {
		st := v.condition(j, c, task, now)
		if d.Any {
			if st == DepMet {
				return DepMet
			}
			anyMet = anyMet || st == DepWaiting
			continue
		}
		if st == DepNever {
			return DepNever
		}
		if st == DepWaiting {
			all = DepWaiting
		}
	}
	if d.Any {
		if anyMet {
			return DepWaiting
		}
		return DepNever
	}
	return all
}

func (v *View) condition(j *Job, c DepCondition, task int, now time.Time) DepStatus {
	if c.Type == "singleton" {
		return v.singleton(j)
	}
	st := DepMet
	for _, ref := range c.Jobs {
		var s DepStatus
		switch c.Type {
		case "aftercorr":
			s = v.afterCorr(uint64(ref.JobID), task)
		default:
			s = v.after(c.Type, v.members(uint64(ref.JobID), ref.Task), ref.DelayMin, now)
		}
		if s == DepNever {
			return DepNever
		}
		if s == DepWaiting {
			st = DepWaiting
		}
	}
	return st
}

// members are the jobs a reference covers: a job, one array task, or every
// task of an array (pending ones as nil entries: not started yet).
func (v *View) members(id uint64, task int) []*Job {
	if task >= 0 {
		if t := v.Task(id, task); t != nil {
			return []*Job{t}
		}
		if base := v.Job(id); base != nil && base.Pending.Contains(task) && !base.State.Terminal() {
			return []*Job{nil}
		}
		if base := v.Job(id); base != nil && base.Pending.Contains(task) {
			return []*Job{base} // cancelled remainder
		}
		return nil
	}
	j := v.Job(id)
	if j == nil {
		return nil
	}
	if !j.IsArrayBase() {
		return []*Job{j}
	}
	out := v.ArrayTasks(id)
	if !j.Pending.Empty() {
		if j.State.Terminal() {
			out = append(out, j)
		} else {
			out = append(out, nil)
		}
	}
	return out
}

// after judges after, afterany, afterok, afternotok over a set of jobs.
func (v *View) after(kind string, jobs []*Job, delayMin int, now time.Time) DepStatus {
	if len(jobs) == 0 {
		return DepNever // the job does not exist
	}
	st := DepMet
	for _, m := range jobs {
		var s DepStatus
		switch {
		case m == nil:
			s = DepWaiting
		case kind == "after":
			switch {
			case m.State == StatePending:
				s = DepWaiting
			case m.StartTime.IsZero():
				s = DepMet // cancelled before it started
			case now.Before(m.StartTime.Add(time.Duration(delayMin) * time.Minute)):
				s = DepWaiting
			default:
				s = DepMet
			}
		case !m.State.Terminal():
			s = DepWaiting
		case kind == "afterany":
			s = DepMet
		case kind == "afterok":
			s = ternary(okEnd(m), DepMet, DepNever)
		case kind == "afternotok":
			s = ternary(okEnd(m), DepNever, DepMet)
		default:
			s = DepMet // afterburstbuffer: no burst buffers here
		}
		if s == DepNever {
			return DepNever
		}
		if s == DepWaiting {
			st = DepWaiting
		}
	}
	return st
}

// afterCorr: task i waits for task i of the other array to complete
// successfully; jobs that are not array tasks wait for the whole array.
func (v *View) afterCorr(id uint64, task int) DepStatus {
	if task < 0 {
		return v.after("afterok", v.members(id, task), 0, time.Time{})
	}
	m := v.members(id, task)
	if len(m) == 0 {
		return DepMet // no corresponding task: nothing to wait for
	}
	return v.after("afterok", m, 0, time.Time{})
}

// singleton waits while an earlier job of the same name and user is not
// finished.
func (v *View) singleton(j *Job) DepStatus {
	st := DepMet
	v.EachJobOfUser(j.User, func(o *Job) bool {
		if o.ID < j.ID && o.Name == j.Name && !o.State.Terminal() && (o.ArrayJobID == 0 || o.ArrayJobID != j.ArrayJobID) {
			st = DepWaiting
			return false
		}
		return true
	})
	return st
}

func okEnd(j *Job) bool { return j.State == StateCompleted && j.ExitCode == 0 }

func ternary(c bool, a, b DepStatus) DepStatus {
	if c {
		return a
	}
	return b
}
