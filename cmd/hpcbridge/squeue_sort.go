package main

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
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

// sortViews orders jobs by the sort keys. Jobs the keys do not tell apart
// keep the order slurmctld hands them out in, which squeue's stable sorts
// preserve: higher priority first; held jobs (priority 0) newest first,
// other jobs oldest first; array tasks by index.
func sortViews(views []jobView, spec string) {
	keys := parseSortSpec(spec)
	// Sort pointers: a jobView is too big to copy in every comparison.
	ptrs := make([]*jobView, len(views))
	for i := range views {
		ptrs[i] = &views[i]
	}
	slices.SortStableFunc(ptrs, func(a, b *jobView) int {
		for _, k := range keys {
			c := compareBy(a, b, k.letter)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return inherentOrder(a, b)
	})
	sorted := make([]jobView, len(views))
	for i, p := range ptrs {
		sorted[i] = *p
	}
	copy(views, sorted)
}

// inherentOrder is the order of jobs squeue's sorts leave in place.
func inherentOrder(a, b *jobView) int {
	pa, pb := a.priority(), b.priority()
	if c := cmp.Compare(pb, pa); c != 0 {
		return c
	}
	ida, idb := a.j.ID, b.j.ID
	if c := cmp.Compare(ida, idb); c != 0 {
		if pa == 0 {
			return -c
		}
		return c
	}
	return cmp.Compare(a.j.ArrayTaskID, b.j.ArrayTaskID)
}

// jobIDKey orders by job id as squeue's %i sort does: the array's id,
// then the task index, the pending remainder after its tasks.
func jobIDKey(v *jobView) (uint64, int) {
	task := v.j.ArrayTaskID
	if v.pendingBase() {
		task = math.MaxInt
	}
	return v.arrayJobID(), task
}

// limitKey orders time limits, UNLIMITED last.
func limitKey(v *jobView) int {
	if v.j.TimeLimitMin <= 0 {
		return math.MaxInt
	}
	return v.j.TimeLimitMin
}

// timeKey orders times, unset first.
func timeKey(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// compareBy compares two jobs by one field.
func compareBy(a, b *jobView, letter byte) int {
	switch letter {
	case 'i':
		ia, ta := jobIDKey(a)
		ib, tb := jobIDKey(b)
		if c := cmp.Compare(ia, ib); c != 0 {
			return c
		}
		return cmp.Compare(ta, tb)
	case 'A':
		return cmp.Compare(a.j.ID, b.j.ID)
	case 'F':
		return cmp.Compare(a.arrayJobID(), b.arrayJobID())
	case 'K':
		return cmp.Compare(a.j.ArrayTaskID, b.j.ArrayTaskID)
	case 'p', 'Q':
		return cmp.Compare(a.priority(), b.priority())
	case 'M':
		return cmp.Compare(a.used(), b.used())
	case 'l':
		return cmp.Compare(limitKey(a), limitKey(b))
	case 'L':
		return cmp.Compare(int64(limitKey(a))*60-a.used(), int64(limitKey(b))*60-b.used())
	case 'D':
		return cmp.Compare(a.nodes(), b.nodes())
	case 'C':
		return cmp.Compare(a.cpus(), b.cpus())
	case 'c':
		return cmp.Compare(a.minCPUsNode(), b.minCPUsNode())
	case 'y':
		return cmp.Compare(a.j.Nice, b.j.Nice)
	case 'S':
		return cmp.Compare(timeKey(a.startTime()), timeKey(b.startTime()))
	case 'e':
		return cmp.Compare(timeKey(a.endTime()), timeKey(b.endTime()))
	case 'V':
		return cmp.Compare(timeKey(a.j.SubmitTime), timeKey(b.j.SubmitTime))
	case 'm':
		return cmp.Compare(a.memTotal(), b.memTotal())
	case 't':
		return strings.Compare(a.j.State.Short(), b.j.State.Short())
	}
	col := squeueLetters[letter]
	return strings.Compare(col.value(*a).text, col.value(*b).text)
}
