package jobspec

// The --array value parser.
// See values.go for how these rules were settled.

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultMaxArraySize is Slurm's default MaxArraySize: array indexes must be
// smaller than this.
const DefaultMaxArraySize = 1001

const arrayForms = "use indexes, ranges (1-10) and stepped ranges (1-10:2) separated by commas, " +
	"optionally in [ ], with an optional %LIMIT"

// ParseArray parses an --array value: comma-separated items N, N-M or
// N-M:STEP, optionally written inside [ ], followed by an optional %LIMIT
// on the number of tasks running at once. maxArraySize is the cluster's
// MaxArraySize (0 or less means DefaultMaxArraySize): every index and every
// step must be below it.
//
// Spec is the expression as Slurm prints the job's ArrayTaskId: the
// distinct indexes sorted, consecutive runs as "A-B", and a whole set in
// one arithmetic progression as "A-B:STEP" once it has at least 7 members
// (6 when the step is 3 or more) -- "1-10:2" prints as "1,3,5,7,9" but
// "1-14:2" as "1-13:2". Slurm's scontrol cuts ArrayTaskId at 64 characters
// unless SLURM_BITSTR_LEN=0; Spec is never cut.
//
// Slurm reads the expression loosely and so does ParseArray: empty items
// are skipped, a '[' may open and a ']' close any item, an item ends at
// '%', numbers are read with strtol (leading white space and '+' are
// allowed, "-" alone is index 0), and the %LIMIT is read with atoi (junk
// after it is ignored; 0, a negative or a non-number means no limit). A
// value with no items at all ("" or ",") is accepted by Slurm and submits an
// ordinary job: ParseArray then returns nil and no error.
func ParseArray(s string, maxArraySize int) (*Array, error) {
	if maxArraySize <= 0 {
		maxArraySize = DefaultMaxArraySize
	}
	a := &Array{}
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			continue
		}
		r, err := arrayItem(item, int64(maxArraySize))
		if err != nil {
			return nil, badValue("array", s, "%s", err.Error())
		}
		a.Ranges = append(a.Ranges, r)
	}
	if len(a.Ranges) == 0 {
		return nil, nil
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if t := int32(strtoll(s, i+1).v); t > 0 {
			n := int(t)
			a.Throttle = &n
		}
	}
	ids := arrayMembers(a.Ranges)
	a.Count = len(ids)
	a.Spec = formatArrayIndexes(ids)
	if a.Throttle != nil {
		a.Spec += "%" + strconv.Itoa(*a.Throttle)
	}
	return a, nil
}

// arrayItem reads one comma-separated item of an --array value.
func arrayItem(t string, limit int64) (ArrayRange, error) {
	p := 0
	if t[0] == '[' {
		p++
	}
	num := func() int64 {
		n := strtoll(t, p)
		p = n.end
		if p < len(t) && t[p] == ']' {
			p++
		}
		return n.v
	}
	at := func(c byte) bool {
		if p < len(t) && t[p] == c {
			p++
			return true
		}
		return false
	}
	first := num()
	last, step := first, int64(1)
	if at('-') {
		last = num()
		if at(':') {
			step = num()
		}
	}
	if p < len(t) && t[p] != '%' {
		return ArrayRange{}, fmt.Errorf("%q is not an index, range or stepped range; %s", t, arrayForms)
	}
	switch {
	case first < 0:
		return ArrayRange{}, fmt.Errorf("index %d is negative", first)
	case last < first:
		return ArrayRange{}, fmt.Errorf("range %d-%d runs backwards", first, last)
	case step <= 0:
		return ArrayRange{}, fmt.Errorf("the step must be at least 1")
	case last >= limit:
		return ArrayRange{}, fmt.Errorf("index %d is not below MaxArraySize (%d)", last, limit)
	case step >= limit:
		return ArrayRange{}, fmt.Errorf("step %d is not below MaxArraySize (%d)", step, limit)
	}
	last = first + (last-first)/step*step
	return ArrayRange{First: int(first), Last: int(last), Step: int(step)}, nil
}

// arrayMembers returns the distinct indexes of the ranges, sorted.
func arrayMembers(ranges []ArrayRange) []int {
	top := 0
	for _, r := range ranges {
		if r.Last > top {
			top = r.Last
		}
	}
	seen := make([]bool, top+1)
	for _, r := range ranges {
		for i := r.First; i <= r.Last; i += r.Step {
			seen[i] = true
		}
	}
	var ids []int
	for i, ok := range seen {
		if ok {
			ids = append(ids, i)
		}
	}
	return ids
}

// formatArrayIndexes prints sorted distinct indexes as Slurm prints a job's
// ArrayTaskId (see ParseArray).
func formatArrayIndexes(ids []int) string {
	n := len(ids)
	first, last := ids[0], ids[n-1]
	if n > 1 && last-first+1 != n {
		step := ids[1] - ids[0]
		progression := true
		for i := 2; i < n && progression; i++ {
			progression = ids[i]-ids[i-1] == step
		}
		if progression && (n >= 7 || (n == 6 && step >= 3)) {
			return fmt.Sprintf("%d-%d:%d", first, last, step)
		}
	}
	var b strings.Builder
	for i := 0; i < n; {
		j := i
		for j+1 < n && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ids[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return b.String()
}
