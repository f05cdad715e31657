package state

import (
	"strconv"
	"strings"
)

// IndexSet is a set of array task indexes kept as ascending progressions,
// so that a million-task array is a few bytes until its tasks run.
type IndexSet struct {
	Ranges []ArrayRange `json:"ranges"`
}

// NewIndexSet returns the indexes of an array's ranges (JobRecord.Array),
// sorted and distinct.
func NewIndexSet(ranges []ArrayRange) *IndexSet {
	s := &IndexSet{}
	for _, r := range ranges {
		s.add(r)
	}
	return s
}

// add inserts a progression, splitting it where it overlaps existing ones.
func (s *IndexSet) add(r ArrayRange) {
	if r.Step <= 0 {
		r.Step = 1
	}
	if !s.overlaps(r) {
		s.insert(r)
		return
	}
	for x := r.First; x <= r.Last; x += r.Step {
		if !s.Contains(x) {
			s.insert(ArrayRange{First: x, Last: x, Step: 1})
		}
	}
}

func (s *IndexSet) overlaps(r ArrayRange) bool {
	for _, q := range s.Ranges {
		if q.First <= r.Last && r.First <= q.Last {
			return true
		}
	}
	return false
}

func (s *IndexSet) insert(r ArrayRange) {
	i := 0
	for i < len(s.Ranges) && s.Ranges[i].First < r.First {
		i++
	}
	s.Ranges = append(s.Ranges, ArrayRange{})
	copy(s.Ranges[i+1:], s.Ranges[i:])
	s.Ranges[i] = r
}

// Len is the number of indexes.
func (s *IndexSet) Len() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, r := range s.Ranges {
		n += (r.Last-r.First)/r.Step + 1
	}
	return n
}

// Empty reports whether the set has no index.
func (s *IndexSet) Empty() bool { return s == nil || len(s.Ranges) == 0 }

// Contains reports whether x is in the set.
func (s *IndexSet) Contains(x int) bool {
	if s == nil {
		return false
	}
	for _, r := range s.Ranges {
		if x >= r.First && x <= r.Last && (x-r.First)%r.Step == 0 {
			return true
		}
	}
	return false
}

// Min is the smallest index; ok is false for an empty set.
func (s *IndexSet) Min() (x int, ok bool) {
	if s.Empty() {
		return 0, false
	}
	return s.Ranges[0].First, true
}

// Max is the largest index; ok is false for an empty set.
func (s *IndexSet) Max() (x int, ok bool) {
	if s.Empty() {
		return 0, false
	}
	m := s.Ranges[0].Last
	for _, r := range s.Ranges {
		m = max(m, r.Last)
	}
	return m, true
}

// Remove deletes x and reports whether it was present.
func (s *IndexSet) Remove(x int) bool {
	for i, r := range s.Ranges {
		if x < r.First || x > r.Last || (x-r.First)%r.Step != 0 {
			continue
		}
		var parts []ArrayRange
		if x > r.First {
			parts = append(parts, ArrayRange{First: r.First, Last: x - r.Step, Step: r.Step})
		}
		if x < r.Last {
			parts = append(parts, ArrayRange{First: x + r.Step, Last: r.Last, Step: r.Step})
		}
		s.Ranges = append(s.Ranges[:i], append(parts, s.Ranges[i+1:]...)...)
		return true
	}
	return false
}

// Each calls f for every index in ascending order of ranges until f
// returns false.
func (s *IndexSet) Each(f func(int) bool) {
	if s == nil {
		return
	}
	for _, r := range s.Ranges {
		for x := r.First; x <= r.Last; x += r.Step {
			if !f(x) {
				return
			}
		}
	}
}

// Clone returns an independent copy.
func (s *IndexSet) Clone() *IndexSet {
	if s == nil {
		return nil
	}
	return &IndexSet{Ranges: append([]ArrayRange(nil), s.Ranges...)}
}

// String prints the set as Slurm prints array indexes: 1-5,7,9-21:3.
func (s *IndexSet) String() string {
	if s == nil {
		return ""
	}
	parts := make([]string, 0, len(s.Ranges))
	for _, r := range s.Ranges {
		switch {
		case r.First == r.Last:
			parts = append(parts, strconv.Itoa(r.First))
		case r.Step == 1:
			parts = append(parts, strconv.Itoa(r.First)+"-"+strconv.Itoa(r.Last))
		default:
			parts = append(parts, strconv.Itoa(r.First)+"-"+strconv.Itoa(r.Last)+":"+strconv.Itoa(r.Step))
		}
	}
	return strings.Join(parts, ",")
}
