package slurm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/jobref"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Job id lists, as the Slurm commands read them. squeue -j is lenient (it
// reads each item with strtol and ignores what follows the number); scancel
// and scontrol take a stricter grammar with bracketed task ranges.

// The grammar of the ids, indexes, ranges and lists is package
// internal/jobref, which the API shares.

// JobSel selects a job (Task == state.AllTasks: the job and, for an array,
// every task) or one array task.
type JobSel struct {
	JobID uint64
	Task  int
}

// String renders the selection as the API takes it: 123 or 123_7.
func (s JobSel) String() string {
	if s.Task == state.AllTasks {
		return strconv.FormatUint(s.JobID, 10)
	}
	return fmt.Sprintf("%d_%d", s.JobID, s.Task)
}

// ParseSqueueJobs parses squeue's -j list: comma-separated items, each a
// job id optionally followed by _TASK. As squeue reads them with strtol,
// leading blanks are skipped and anything after the number is ignored
// ("123.0" is 123; "123_x" is task 0 of 123). An item whose job id is not
// in 1..4294967295 is invalid; the error names it.
func ParseSqueueJobs(list string) ([]JobSel, error) {
	var out []JobSel
	for _, item := range strings.Split(list, ",") {
		if item == "" {
			continue
		}
		id, rest, ok := Strtol(item)
		if !ok || id <= 0 || id > jobref.MaxJobID {
			return nil, fmt.Errorf("Invalid job id: %s", item)
		}
		sel := JobSel{JobID: uint64(id), Task: state.AllTasks}
		if strings.HasPrefix(rest, "_") {
			t, _, _ := Strtol(rest[1:])
			if t < 0 || t > jobref.MaxTaskIndex {
				t = jobref.MaxTaskIndex + 1 // matches no task
			}
			sel.Task = int(t)
		}
		out = append(out, sel)
	}
	return out, nil
}

// Strtol reads a decimal number the way C's strtol does: leading blanks,
// an optional sign, digits. ok is false when there are no digits; values
// beyond int64 saturate.
func Strtol(s string) (n int64, rest string, ok bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if n < 1<<62 {
			n = n*10 + int64(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, s, false
	}
	if neg {
		n = -n
	}
	return n, s[i:], true
}

// JobArg is one job id argument of scancel or scontrol: 123, 123_7,
// 123_[1-3,5] or any of these with a .STEP.
type JobArg struct {
	// Text is the argument as written (error messages quote it).
	Text  string
	JobID uint64
	// Tasks are the array indexes named; nil names the whole job.
	Tasks []taskRange
	// Step is the .STEP suffix ("" when none was given).
	Step string
	// Empty is true for "123_" (an empty task, which names no job).
	Empty bool
}

// taskRange is First..Last inclusive.
type taskRange struct{ First, Last int }

// Ref returns the API ref of the argument: 123, 123_7, 123_[1-3,5].
func (a JobArg) Ref() string {
	switch {
	case a.Empty:
		return fmt.Sprintf("%d_", a.JobID)
	case a.Tasks == nil:
		return strconv.FormatUint(a.JobID, 10)
	case len(a.Tasks) == 1 && a.Tasks[0].First == a.Tasks[0].Last:
		return fmt.Sprintf("%d_%d", a.JobID, a.Tasks[0].First)
	}
	parts := make([]string, len(a.Tasks))
	for i, r := range a.Tasks {
		if r.First == r.Last {
			parts[i] = strconv.Itoa(r.First)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", r.First, r.Last)
		}
	}
	return fmt.Sprintf("%d_[%s]", a.JobID, strings.Join(parts, ","))
}

// RefError is a job id argument scancel or scontrol rejects; Range, when
// set, is the bracketed range that was wrong (scancel reports it first).
type RefError struct {
	Text  string
	Range string
}

func (e *RefError) Error() string { return "Invalid job id " + e.Text }

// SplitJobArgs splits a list of job id arguments at the commas outside
// brackets ("12,13_[1,2]" is two arguments).
func SplitJobArgs(s string) []string {
	return jobref.Fields(s)
}

// ParseJobArg parses one scancel/scontrol job id argument.
func ParseJobArg(s string) (JobArg, error) {
	a := JobArg{Text: s}
	body, step, hasStep := strings.Cut(s, ".")
	if hasStep {
		if step == "" || strings.ContainsAny(step, "._[]") {
			return a, &RefError{Text: s}
		}
		a.Step = step
	}
	idPart, task, hasTask := strings.Cut(body, "_")
	id, ok := jobref.Number(idPart, jobref.MaxJobID)
	if !ok || id == 0 {
		return a, &RefError{Text: s}
	}
	a.JobID = id
	if !hasTask {
		return a, nil
	}
	switch {
	case task == "":
		a.Empty = true
		return a, nil
	case task[0] != '[':
		n, ok := jobref.Number(task, jobref.MaxTaskIndex)
		if !ok {
			return a, &RefError{Text: s}
		}
		a.Tasks = []taskRange{{int(n), int(n)}}
		return a, nil
	}
	if len(task) < 2 || task[len(task)-1] != ']' || strings.Count(task, "[") != 1 || strings.Count(task, "]") != 1 {
		return a, &RefError{Text: s}
	}
	for _, r := range strings.Split(task[1:len(task)-1], ",") {
		tr, ok := parseTaskRange(r)
		if !ok {
			return a, &RefError{Text: s, Range: r}
		}
		a.Tasks = append(a.Tasks, tr)
	}
	return a, nil
}

// parseTaskRange reads N or N-M (N <= M): a range without a step.
func parseTaskRange(r string) (taskRange, bool) {
	rg, err := jobref.ParseRange(r)
	if err != nil || strings.Contains(r, ":") {
		return taskRange{}, false
	}
	return taskRange{int(rg.First), int(rg.Last)}, true
}
