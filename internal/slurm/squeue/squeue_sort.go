package squeue

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

// sortKey is one item of squeue's --sort: a field letter, ascending unless
// written with a leading "-".
type sortKey struct {
	letter byte
	desc   bool
}

// parseSortSpec reads "P,t,-p"; items that are not field letters are
// ignored, as squeue ignores them.
func parseSortSpec(spec string) []sortKey {
	var keys []sortKey
	for _, it := range strings.Split(spec, ",") {
		it = strings.TrimSpace(it)
		k := sortKey{}
		switch {
		case strings.HasPrefix(it, "-"):
			k.desc, it = true, it[1:]
		case strings.HasPrefix(it, "+"):
			it = it[1:]
		}
		if len(it) != 1 {
			continue
		}
		if _, ok := squeueLetters[it[0]]; !ok {
			continue
		}
		k.letter = it[0]
		keys = append(keys, k)
	}
	return keys
}

// sortViews returns the jobs ordered by the sort keys. Jobs the keys do
// not tell apart keep the order slurmctld hands them out in, which
// squeue's stable sorts preserve: higher priority first; held jobs
// (priority 0) newest first, other jobs oldest first; array tasks by
// index. Each key is computed once per job, not at every comparison.
func sortViews(views []slurm.JobView, spec string) []*slurm.JobView {
	keys := parseSortSpec(spec)
	nk := len(keys)
	vals := make([]sortVal, len(views)*nk)
	inh := make([]inherentKey, len(views))
	for i := range views {
		v := &views[i]
		for k, key := range keys {
			vals[i*nk+k] = sortValue(v, key.letter)
		}
		inh[i] = inherentKeyOf(v)
	}
	order := make([]int32, len(views))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int {
		vx, vy := vals[int(x)*nk:int(x)*nk+nk], vals[int(y)*nk:int(y)*nk+nk]
		for k, key := range keys {
			c := vx[k].compare(vy[k])
			if key.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		if c := inh[x].compare(inh[y]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	out := make([]*slurm.JobView, len(order))
	for i, x := range order {
		out[i] = &views[x]
	}
	return out
}

// sortVal is one job's value of one sort key: a string, or one or two
// numbers.
type sortVal struct {
	s    string
	a, b int64
}

func (x sortVal) compare(y sortVal) int {
	if c := strings.Compare(x.s, y.s); c != 0 {
		return c
	}
	if c := cmp.Compare(x.a, y.a); c != 0 {
		return c
	}
	return cmp.Compare(x.b, y.b)
}

// inherentKey is a job's place in the order squeue's sorts leave in
// place: priority, descending; the job id, descending for held jobs (their
// priority is 0, newest first); the array index.
type inherentKey struct {
	prio, id, task int64
}

func inherentKeyOf(v *slurm.JobView) inherentKey {
	k := inherentKey{prio: v.Priority(), id: int64(v.Job.ID), task: int64(v.Job.ArrayTaskID)}
	if k.prio == 0 {
		k.id = -k.id
	}
	return k
}

func (x inherentKey) compare(y inherentKey) int {
	if c := cmp.Compare(y.prio, x.prio); c != 0 {
		return c
	}
	if c := cmp.Compare(x.id, y.id); c != 0 {
		return c
	}
	return cmp.Compare(x.task, y.task)
}

// jobIDKey orders by job id as squeue's %i sort does: the array's id,
// then the task index, the pending remainder after its tasks.
func jobIDKey(v *slurm.JobView) (uint64, int) {
	task := v.Job.ArrayTaskID
	if v.PendingBase() {
		task = math.MaxInt
	}
	return v.ArrayJobID(), task
}

// limitKey orders time limits, UNLIMITED last.
func limitKey(v *slurm.JobView) int {
	if v.Job.TimeLimitMin <= 0 {
		return math.MaxInt
	}
	return v.Job.TimeLimitMin
}

// timeKey orders times, unset first.
func timeKey(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// sortValue is what a job is sorted by for one field letter: numbers for
// numeric fields, the printed text for the others.
func sortValue(v *slurm.JobView, letter byte) sortVal {
	switch letter {
	case 'i':
		id, task := jobIDKey(v)
		return sortVal{a: int64(id), b: int64(task)}
	case 'A':
		return sortVal{a: int64(v.Job.ID)}
	case 'F':
		return sortVal{a: int64(v.ArrayJobID())}
	case 'K':
		return sortVal{a: int64(v.Job.ArrayTaskID)}
	case 'p', 'Q':
		return sortVal{a: v.Priority()}
	case 'M':
		return sortVal{a: v.Used()}
	case 'l':
		return sortVal{a: int64(limitKey(v))}
	case 'L':
		return sortVal{a: int64(limitKey(v))*60 - v.Used()}
	case 'D':
		return sortVal{a: int64(v.Nodes())}
	case 'C':
		return sortVal{a: int64(v.CPUs())}
	case 'c':
		return sortVal{a: int64(v.MinCPUsNode())}
	case 'y':
		return sortVal{a: int64(v.Job.Nice)}
	case 'S':
		return sortVal{a: timeKey(v.StartTime())}
	case 'e':
		return sortVal{a: timeKey(v.EndTime())}
	case 'V':
		return sortVal{a: timeKey(v.Job.SubmitTime)}
	case 'm':
		return sortVal{a: v.MemTotal()}
	case 't':
		return sortVal{s: v.Job.State.Short()}
	case 'P':
		return sortVal{s: v.Job.Partition}
	case 'j':
		return sortVal{s: v.Job.Name}
	case 'u':
		return sortVal{s: v.Job.User}
	}
	return sortVal{s: squeueLetters[letter].value(*v).Text}
}
