package jobspec

// The --dependency value parser.
// See values.go for how these rules were settled.

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// depTypes are the dependency types with a job list, in Slurm's spelling.
var depTypes = []string{"after", "afterany", "afterburstbuffer", "aftercorr", "afternotok", "afterok"}

const depForms = "use TYPE:JOBID[:JOBID...] terms (TYPE is after, afterany, afterok, afternotok, " +
	"aftercorr or afterburstbuffer; JOBID may be JOBID_TASK or have +MINUTES) or singleton, " +
	"joined by ',' (all) or '?' (any)"

// ParseDependency parses a --dependency value.
//
// sbatch sends the value to slurmctld unchecked; every error here is one
// slurmctld gives ("Job dependency problem"), except that slurmctld also
// answers "expand" with "Requested operation not supported on this system"
// and, for real jobs, checks that the referenced jobs exist -- which needs
// the controller and is not done here. The grammar, as slurmctld reads it:
//
//   - terms joined by ',' or '?'; one '?' anywhere makes the whole
//     expression "any" (slurmctld accepts a mix and ORs every term);
//   - a term is singleton, TYPE:JOB[:JOB...] with TYPE one of after,
//     afterany, afterok, afternotok, aftercorr, afterburstbuffer (any
//     case), or a bare JOB (meaning afterany; no +time, no list);
//   - JOB is JOBID[_TASK][+MINUTES]. JOBID is read with strtol (white space
//     and a sign allowed, except in a bare JOB, which must start with a
//     digit) and kept as a 32-bit value; 0 is an error. TASK is a number
//     ("_" alone is 0), "*" or -1 (the whole array, Task -1), or a list in
//     brackets ("_[1-3,5]", typed terms only), which adds one job per index.
//     +MINUTES is allowed on every typed term; it must be positive and then
//     also applies to the following jobs of the same term that have none
//     ("after:1+5:2" delays both) -- for a bracket list only the last index;
//   - text after +MINUTES that is not a separator ends the expression:
//     slurmctld ignores the rest ("after:1+5x,afterok:2" is after:1+5);
//   - a whole value "JOBID[,JOBID...]" starting with a digit is the old
//     form, a list of afterany jobs; "0" alone clears the dependency and,
//     like "", returns nil.
//
// A job that appears twice with the same type and task is kept once (the
// first), as slurmctld keeps it; "JOBID" and "JOBID_*" count as different
// there, though both are reported with Task -1. Raw is the value as
// written.
func ParseDependency(s string) (*Dependency, error) {
	if s == "" {
		return nil, nil
	}
	d := &Dependency{Raw: s}
	var err error
	if isDigit(s[0]) {
		err = parseOldDependency(s, d)
	} else {
		err = (&depScanner{s: s, d: d}).parse()
	}
	if err != nil {
		return nil, badValue("dependency", s, "%s", err.Error())
	}
	if len(d.Conditions) == 0 {
		return nil, nil // "0": no dependency
	}
	dedupDependency(d)
	return d, nil
}

// parseOldDependency reads the old form, JOBID[_TASK][,JOBID[_TASK]...].
func parseOldDependency(s string, d *Dependency) error {
	items := strings.Split(s, ",")
	for _, item := range items {
		if item == "" || !isDigit(item[0]) {
			return fmt.Errorf("%q is not a job id; %s", item, depForms)
		}
		sc := &depScanner{s: item, d: d, old: true}
		job, err := sc.jobID()
		if err != nil {
			return err
		}
		if job.JobID == 0 && len(items) == 1 && sc.pos == len(item) {
			return nil
		}
		if job.JobID == 0 {
			return errors.New("job id 0 is not valid")
		}
		if sc.pos < len(item) && item[sc.pos] == '_' {
			sc.pos++
			if job.Task, err = sc.taskNumber(); err != nil {
				return err
			}
		}
		if sc.pos != len(item) {
			return fmt.Errorf("%q is not a job id; %s", item, depForms)
		}
		d.Conditions = append(d.Conditions, DepCondition{Type: "afterany", Jobs: []DepJob{job}})
	}
	return nil
}

// depScanner reads the current form of a dependency expression.
type depScanner struct {
	s    string
	pos  int
	d    *Dependency
	old  bool // reading the old form, where "0" alone is allowed
	stop bool // text after +MINUTES ended the expression
}

func (sc *depScanner) peek() byte {
	if sc.pos < len(sc.s) {
		return sc.s[sc.pos]
	}
	return 0
}

func (sc *depScanner) atSeparator() bool {
	c := sc.peek()
	return sc.pos == len(sc.s) || c == ',' || c == '?'
}

func (sc *depScanner) parse() error {
	for {
		if err := sc.term(); err != nil {
			return err
		}
		if sc.stop || sc.pos == len(sc.s) {
			return nil
		}
		switch sc.peek() {
		case ',':
		case '?':
			sc.d.Any = true
		default:
			return fmt.Errorf("unexpected %q; %s", sc.s[sc.pos:], depForms)
		}
		sc.pos++
	}
}

// term reads one term: singleton, TYPE:JOB[:JOB...] or a bare JOB.
func (sc *depScanner) term() error {
	if sc.pos == len(sc.s) || sc.atSeparator() {
		return errors.New("an empty term; " + depForms)
	}
	if isDigit(sc.peek()) {
		return sc.bareJob()
	}
	end := sc.pos
	for end < len(sc.s) && !strings.ContainsRune(":,?", rune(sc.s[end])) {
		end++
	}
	name := sc.s[sc.pos:end]
	if strings.EqualFold(name, "singleton") && (end == len(sc.s) || sc.s[end] != ':') {
		sc.pos = end
		sc.d.Conditions = append(sc.d.Conditions, DepCondition{Type: "singleton"})
		return nil
	}
	if strings.EqualFold(name, "expand") {
		return errors.New("expand dependencies are not supported")
	}
	typ := ""
	for _, t := range depTypes {
		if strings.EqualFold(name, t) {
			typ = t
		}
	}
	if typ == "" || end == len(sc.s) || sc.s[end] != ':' {
		return fmt.Errorf("%q is not a dependency type; %s", name, depForms)
	}
	sc.pos = end + 1
	cond := DepCondition{Type: typ}
	delay := 0
	for {
		jobs, err := sc.typedJob(&delay)
		if err != nil {
			return err
		}
		cond.Jobs = append(cond.Jobs, jobs...)
		if sc.stop || sc.peek() != ':' {
			break
		}
		sc.pos++
	}
	sc.d.Conditions = append(sc.d.Conditions, cond)
	return nil
}

// bareJob reads a term that is only JOBID[_TASK]: afterany.
func (sc *depScanner) bareJob() error {
	job, err := sc.jobID()
	if err != nil {
		return err
	}
	if sc.peek() == '_' {
		sc.pos++
		if job.Task, err = sc.taskNumber(); err != nil {
			return err
		}
	}
	if !sc.atSeparator() {
		return fmt.Errorf("unexpected %q after job %d; %s", sc.s[sc.pos:], job.JobID, depForms)
	}
	sc.d.Conditions = append(sc.d.Conditions, DepCondition{Type: "afterany", Jobs: []DepJob{job}})
	return nil
}

// typedJob reads JOBID[_TASK][+MINUTES] in a typed term; a bracket list of
// tasks gives several jobs. delay carries +MINUTES to later jobs of the term.
func (sc *depScanner) typedJob(delay *int) ([]DepJob, error) {
	job, err := sc.jobID()
	if err != nil {
		return nil, err
	}
	jobs := []DepJob{job}
	if sc.peek() == '_' {
		sc.pos++
		if sc.peek() == '[' {
			if jobs, err = sc.taskList(job); err != nil {
				return nil, err
			}
		} else if jobs[0].Task, err = sc.taskNumber(); err != nil {
			return nil, err
		}
	}
	for i := range jobs {
		jobs[i].DelayMin = *delay
	}
	if sc.peek() == '+' {
		n := strtoll(sc.s, sc.pos+1)
		mins := int32(n.v)
		if mins <= 0 {
			return nil, fmt.Errorf("the delay after job %d must be a positive number of minutes", job.JobID)
		}
		// slurmctld keeps the delay as 32-bit seconds.
		*delay = int((uint32(mins) * 60) / 60)
		jobs[len(jobs)-1].DelayMin = *delay
		sc.pos = n.end
		if !sc.atSeparator() && sc.peek() != ':' {
			sc.stop = true
		}
		return jobs, nil
	}
	if !sc.atSeparator() && sc.peek() != ':' {
		return nil, fmt.Errorf("unexpected %q after job %d; %s", sc.s[sc.pos:], job.JobID, depForms)
	}
	return jobs, nil
}

// jobID reads a job id as slurmctld does (strtol, kept as uint32).
func (sc *depScanner) jobID() (DepJob, error) {
	n := strtoll(sc.s, sc.pos)
	if !n.digits {
		return DepJob{}, fmt.Errorf("missing job id at %q; %s", sc.s[sc.pos:], depForms)
	}
	sc.pos = n.end
	id := int64(uint32(n.v))
	if id == 0 && !sc.old {
		return DepJob{}, errors.New("job id 0 is not valid")
	}
	return DepJob{JobID: id, Task: -1}, nil
}

// depTaskAll marks "_*" (and "_-1") while parsing: slurmctld keeps it apart
// from a reference without a task when it drops duplicates, though both
// mean the whole job. ParseDependency reports it as -1.
const depTaskAll = math.MinInt32

// taskNumber reads the TASK after '_': "*", or a number read with strtol
// (none is 0; -1 means all tasks, -2 none given).
func (sc *depScanner) taskNumber() (int, error) {
	if sc.peek() == '*' {
		sc.pos++
		return depTaskAll, nil
	}
	n := strtoll(sc.s, sc.pos)
	sc.pos = n.end
	switch t := int32(n.v); t {
	case -1:
		return depTaskAll, nil
	case -2:
		return -1, nil
	default:
		return int(uint32(t)), nil
	}
}

// taskList reads "[N,N-M,...]" after '_' and returns one job per index.
// Slurm reads odd lists ("[x]", "[-1]", "[1,]") loosely; they are rejected
// here.
func (sc *depScanner) taskList(job DepJob) ([]DepJob, error) {
	end := strings.IndexByte(sc.s[sc.pos:], ']')
	if end < 0 {
		return nil, fmt.Errorf("the task list of job %d has no ']'", job.JobID)
	}
	body := sc.s[sc.pos+1 : sc.pos+end]
	sc.pos += end + 1
	var jobs []DepJob
	for _, item := range strings.Split(body, ",") {
		item = strings.TrimFunc(item, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) })
		lo, hi, ok := strings.Cut(item, "-")
		if !ok {
			hi = lo
		}
		if !allDigits(lo) || !allDigits(hi) {
			return nil, fmt.Errorf("the task list of job %d must hold indexes or ranges, not %q", job.JobID, item)
		}
		a, b := cInt(lo), cInt(hi)
		if a < 0 || b < a {
			return nil, fmt.Errorf("the task range %q of job %d is not valid", item, job.JobID)
		}
		if len(jobs)+int(b-a) >= 1<<20 {
			return nil, fmt.Errorf("the task list of job %d is too long", job.JobID)
		}
		for t := a; t <= b; t++ {
			j := job
			j.Task = int(t)
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// dedupDependency drops repeated (type, job, task) references and repeated
// singletons, keeping the first, then conditions left empty, and reports
// "_*" as task -1.
func dedupDependency(d *Dependency) {
	type key struct {
		typ  string
		job  int64
		task int
	}
	seen := map[key]bool{}
	conds := d.Conditions[:0]
	for _, c := range d.Conditions {
		if c.Type == "singleton" {
			if !seen[key{typ: c.Type}] {
				seen[key{typ: c.Type}] = true
				conds = append(conds, c)
			}
			continue
		}
		var jobs []DepJob
		for _, j := range c.Jobs {
			k := key{c.Type, j.JobID, j.Task}
			if !seen[k] {
				seen[k] = true
				if j.Task == depTaskAll {
					j.Task = -1
				}
				jobs = append(jobs, j)
			}
		}
		if len(jobs) > 0 {
			c.Jobs = jobs
			conds = append(conds, c)
		}
	}
	d.Conditions = conds
}
