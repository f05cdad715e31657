package sacct

import (
	"slices"
	"strconv"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// srun steps in sacct. A record lists its job, its .batch step, then the
// srun steps of its run (JOBID.0, JOBID.1, ...) as the job's node reported
// them (raft/state's Job.Steps). hpcbridge has no .extern step: Slurm
// 22.05 makes one only with PrologFlags=Contain, which the Slurm this
// mirrors does not set. A step still RUNNING in a record that has ended
// (its end was not reported) is shown CANCELLED at the record's end, as
// the end of the job's allocation killed it.

// stepSel is what -j named of a job when it named only steps: its .batch
// step, its numbered steps.
type stepSel struct {
	batch bool
	ids   []int
}

// selects reports whether the record has a step sel names.
func (r acctRecord) selects(sel stepSel) bool {
	if sel.batch && r.batch != nil {
		return true
	}
	for _, s := range r.runSteps() {
		if slices.Contains(sel.ids, s.ID) {
			return true
		}
	}
	return false
}

// runSteps are the srun steps of the record's run, by id; none for a
// record that never ran on a node.
func (r acctRecord) runSteps() []state.Step {
	if r.batch == nil {
		return nil
	}
	return r.job.RunSteps(r.job.RestartCount)
}

// shownSteps are the steps the record prints: all of them, or those -j
// named.
func (r acctRecord) shownSteps() []state.Step {
	steps := r.runSteps()
	if r.stepsOnly {
		steps = slices.DeleteFunc(steps, func(s state.Step) bool { return !slices.Contains(r.sel.ids, s.ID) })
	}
	for i := range steps {
		s := &steps[i]
		if !s.Ended() && recordEnded(r.job) {
			s.State, s.End, s.ExitCode, s.ExitSignal = state.StateCancelled, r.job.EndTime, 0, 9
			if s.End.Before(s.Start) {
				s.End = s.Start
			}
		}
	}
	return steps
}

// stepRows are the record's step lines.
func (r acctRecord) stepRows(vc *slurm.ViewCtx) []sacctRow {
	var rows []sacctRow
	for _, s := range r.shownSteps() {
		rows = append(rows, sacctRow{v: vc.View(r.job), batch: true, step: &s})
	}
	return rows
}

// stepElapsed is a step's elapsed seconds, to now while it runs.
func stepElapsed(s *state.Step, now time.Time) int64 {
	end := s.End
	if !s.Ended() {
		end = now
	}
	if end.Before(s.Start) {
		return 0
	}
	return int64(end.Sub(s.Start) / time.Second)
}

// stepCPUs is a step's CPUs: its tasks times the job's CPUs per task, at
// most the job's.
func stepCPUs(v slurm.JobView, s *state.Step) int {
	return min(s.NTasks*max(v.CPUsPerTask(), 1), max(v.CPUs(), s.NTasks))
}

// stepValue is a field of a step line, where it is not the batch step's
// (ok false: sacctValue answers as for the batch step).
func stepValue(r sacctRow, field string, o sacctOptions) (string, bool) {
	v, s := r.v, r.step
	stamp := func(t time.Time) string { return o.stamp(v, t) }
	elapsed := stepElapsed(s, v.Now)
	cpus := stepCPUs(v, s)
	switch field {
	case "AllocCPUS", "NCPUS", "ReqCPUS":
		return strconv.Itoa(cpus), true
	case "AllocNodes", "NNodes", "ReqNodes":
		return strconv.Itoa(s.NNodes), true
	case "AllocTRES":
		tres := "cpu=" + strconv.Itoa(cpus)
		if m := v.MemTotal(); m > 0 {
			tres += ",mem=" + slurm.MemString(m)
		}
		return tres + ",node=" + strconv.Itoa(s.NNodes), true
	case "CPUTime":
		return slurm.DurationLong(elapsed * int64(cpus)), true
	case "CPUTimeRAW":
		return strconv.FormatInt(elapsed*int64(cpus), 10), true
	case "Elapsed":
		return slurm.DurationLong(elapsed), true
	case "ElapsedRaw":
		return strconv.FormatInt(elapsed, 10), true
	case "End":
		if !s.Ended() {
			return "Unknown", true
		}
		return stamp(s.End), true
	case "ExitCode":
		return strconv.Itoa(s.ExitCode) + ":" + strconv.Itoa(s.ExitSignal), true
	case "GPUSeconds", "TRESUsageInMax", "Checkpoints", "LastCheckpoint", "CheckpointSize", "CreditGPUSeconds", "CreditCPUSeconds":
		return "", true
	case "JobID":
		return v.ID() + "." + strconv.Itoa(s.ID), true
	case "JobIDRaw":
		return strconv.FormatUint(v.Job.ID, 10) + "." + strconv.Itoa(s.ID), true
	case "JobName":
		return s.Name, true
	case "NodeList":
		return s.NodeList, true
	case "NTasks":
		return strconv.Itoa(s.NTasks), true
	case "Start":
		return stamp(s.Start), true
	case "State":
		return string(s.State), true
	}
	return "", false
}

// stepsJSON are the record's srun steps as sacct --json lists them.
func (r acctRecord) stepsJSON(vc *slurm.ViewCtx) []sacctJSONStep {
	var out []sacctJSONStep
	for _, s := range r.shownSteps() {
		var st sacctJSONStep
		st.Step.JobID, st.Step.ID, st.Step.Name = r.job.ID, strconv.Itoa(s.ID), s.Name
		st.State = string(s.State)
		st.ExitCode = exitJSON(exitStatusName(s.ExitCode, s.ExitSignal), s.ExitCode, s.ExitSignal)
		st.Time.Elapsed = stepElapsed(&s, vc.Now)
		st.Time.Start = s.Start.Unix()
		if s.Ended() {
			st.Time.End = s.End.Unix()
		}
		st.Time.Submission, st.Time.Eligible = st.Time.Start, st.Time.Start
		st.Nodes.Count, st.Nodes.Range, st.Nodes.List = s.NNodes, s.NodeList, stepHosts(s.NodeList, s.NNodes)
		st.Tasks.Count = s.NTasks
		st.Tres.Requested.Max = []sacctJSONTres{}
		out = append(out, st)
	}
	return out
}

// stepHosts are the names of a step's node list of n nodes (the list
// itself when it does not expand to at most n names: the node said so).
func stepHosts(list string, n int) []string {
	if n > 4096 {
		return []string{list}
	}
	if names, err := hostlist.Expand(list); err == nil && len(names) <= n {
		return names
	}
	return []string{list}
}
