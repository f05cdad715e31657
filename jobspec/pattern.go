package jobspec

import (
	"strconv"
	"strings"
)

// PatternVars are the values substituted into a filename pattern
// (--output, --error, --input).
type PatternVars struct {
	// JobID is the job's own id (%j); for an array task, the task's id.
	JobID int64
	// ArrayJobID is the array's master job id (%A); ignored when the job is
	// not an array task.
	ArrayJobID int64
	// ArrayTaskID is the array index (%a), or -1 when the job is not an
	// array task.
	ArrayTaskID int
	// JobName (%x), User (%u) and Node, the short host name (%N).
	JobName, User, Node string
	// NodeIndex (%n) is the node's index in the job, TaskID (%t) the task
	// rank, and StepID (%s) the step id, or BatchStepID for the batch
	// script, the step whose files sbatch names.
	NodeIndex, TaskID, StepID int
}

// BatchStepID is the PatternVars.StepID of the batch script: %s expands to
// "batch" and %J to the job id alone.
const BatchStepID = -2

// noArrayTask is what %a expands to for a job that is not an array task
// (Slurm's NO_VAL).
const noArrayTask = 4294967294

// maxPatternWidth is the widest zero padding Slurm applies.
const maxPatternWidth = 10

// ExpandPattern expands a Slurm filename pattern as slurmstepd does when the
// job runs (checked by running jobs under Slurm 22.05):
//
//	%%  a percent sign
//	%A  the array's master job id (the job id when not an array)
//	%a  the array index (4294967294 when not an array)
//	%J  jobid.stepid (the job id alone for the batch step)
//	%j  the job id
//	%N  the short host name
//	%n  the node index in the job
//	%s  the step id ("batch" for the batch step)
//	%t  the task rank
//	%u  the user name
//	%x  the job name
//
// A number between % and the letter zero-pads numeric values to that width,
// at most 10 ("%99j" pads to 10); it is ignored for %N, %u, %x and
// "batch". A % followed by any other character is kept as written; when a
// width was given, the % and all but the last digit are dropped ("%12q"
// gives "2q", "x%3" gives "x3"). Slurm 22.05 knows no %b.
//
// If the pattern contains a backslash, nothing is expanded: each
// backslash is removed and the character after it kept ("a\%j" gives
// "a%j", "a\\b" gives "a\b").
func ExpandPattern(pattern string, v PatternVars) string {
	if strings.ContainsRune(pattern, '\\') {
		return unescapePattern(pattern)
	}
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(pattern) && pattern[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		j := i + 1
		for j < len(pattern) && isDigit(pattern[j]) {
			j++
		}
		digits := pattern[i+1 : j]
		spec := byte(0)
		if j < len(pattern) {
			spec = pattern[j]
		}
		out, ok := expandSpec(spec, patternWidth(digits), v)
		switch {
		case ok:
			b.WriteString(out)
			i = j
		case digits != "":
			b.WriteByte(digits[len(digits)-1])
			i = j - 1
		default:
			b.WriteByte('%')
		}
	}
	return b.String()
}

// patternWidth reads the padding width, capped at maxPatternWidth.
func patternWidth(digits string) int {
	w := 0
	for i := 0; i < len(digits); i++ {
		w = w*10 + int(digits[i]-'0')
		if w >= maxPatternWidth {
			return maxPatternWidth
		}
	}
	return w
}

// expandSpec expands one replacement symbol; ok is false for an unknown one.
func expandSpec(spec byte, width int, v PatternVars) (out string, ok bool) {
	pad := func(n int64) string {
		s := strconv.FormatInt(n, 10)
		if n < 0 {
			return s
		}
		for len(s) < width {
			s = "0" + s
		}
		return s
	}
	isArray := v.ArrayTaskID >= 0
	switch spec {
	case 'A':
		if isArray {
			return pad(v.ArrayJobID), true
		}
		return pad(v.JobID), true
	case 'a':
		if isArray {
			return pad(int64(v.ArrayTaskID)), true
		}
		return pad(noArrayTask), true
	case 'J':
		if v.StepID == BatchStepID {
			return pad(v.JobID), true
		}
		return pad(v.JobID) + "." + strconv.Itoa(v.StepID), true
	case 'j':
		return pad(v.JobID), true
	case 'N':
		return v.Node, true
	case 'n':
		return pad(int64(v.NodeIndex)), true
	case 's':
		if v.StepID == BatchStepID {
			return "batch", true
		}
		return pad(int64(v.StepID)), true
	case 't':
		return pad(int64(v.TaskID)), true
	case 'u':
		return v.User, true
	case 'x':
		return v.JobName, true
	}
	return "", false
}

// unescapePattern removes backslashes, keeping the character after each.
func unescapePattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' {
			i++
			if i == len(p) {
				break
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
