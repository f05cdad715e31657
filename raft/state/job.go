package state

import (
	"fmt"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// JobState is a Slurm job state.
type JobState string

// The Slurm job states hpcbridge uses.
const (
	StatePending     JobState = "PENDING"
	StateRunning     JobState = "RUNNING"
	StateCompleting  JobState = "COMPLETING"
	StateCompleted   JobState = "COMPLETED"
	StateFailed      JobState = "FAILED"
	StateCancelled   JobState = "CANCELLED"
	StateTimeout     JobState = "TIMEOUT"
	StateNodeFail    JobState = "NODE_FAIL"
	StatePreempted   JobState = "PREEMPTED"
	StateRequeued    JobState = "REQUEUED"
	StateOutOfMemory JobState = "OUT_OF_MEMORY"
)

// Terminal reports whether a job in this state will not run again by itself.
func (s JobState) Terminal() bool {
	switch s {
	case StateCompleted, StateFailed, StateCancelled, StateTimeout, StateNodeFail, StatePreempted, StateOutOfMemory:
		return true
	}
	return false
}

// Short is the two-letter code squeue's %t prints.
func (s JobState) Short() string {
	switch s {
	case StatePending:
		return "PD"
	case StateRunning:
		return "R"
	case StateCompleting:
		return "CG"
	case StateCompleted:
		return "CD"
	case StateFailed:
		return "F"
	case StateCancelled:
		return "CA"
	case StateTimeout:
		return "TO"
	case StateNodeFail:
		return "NF"
	case StatePreempted:
		return "PR"
	case StateRequeued:
		return "RQ"
	case StateOutOfMemory:
		return "OOM"
	}
	return string(s)
}

// Pending reasons, as squeue prints them.
const (
	ReasonNone                     = "None"
	ReasonPriority                 = "Priority"
	ReasonResources                = "Resources"
	ReasonDependency               = "Dependency"
	ReasonDependencyNeverSatisfied = "DependencyNeverSatisfied"
	ReasonHeldUser                 = "JobHeldUser"
	ReasonHeldAdmin                = "JobHeldAdmin"
	ReasonBeginTime                = "BeginTime"
	ReasonArrayTaskLimit           = "JobArrayTaskLimit"
)

// Hold says who holds a pending job.
type Hold string

// Holds.
const (
	HoldNone  Hold = ""
	HoldUser  Hold = "user"
	HoldAdmin Hold = "admin"
)

// NoTask is ArrayTaskID for jobs that are not array tasks.
const NoTask = -1

// Job is one Slurm job: a plain job, one task of an array, or an array's
// base record, which holds the tasks not yet materialised (Slurm prints it
// as 123_[5-999%10]). A task gets its own job id when it is materialised
// (to start, or to record a cancel), and is addressed as ArrayJobID_TaskID.
type Job struct {
	ID uint64 `json:"job_id"`
	// ArrayJobID is the array's job id (the base record's ID) for array
	// tasks and for the base record itself; 0 for plain jobs.
	ArrayJobID uint64 `json:"array_job_id,omitempty"`
	// ArrayTaskID is the task index, or NoTask.
	ArrayTaskID int `json:"array_task_id"`
	// Pending are the indexes of a base record not yet materialised.
	Pending *IndexSet `json:"array_pending,omitempty"`

	Name      string `json:"name"`
	User      string `json:"user"`
	Account   string `json:"account,omitempty"`
	Partition string `json:"partition"`
	QOS       string `json:"qos,omitempty"`

	State  JobState `json:"state"`
	Reason string   `json:"reason"`
	Hold   Hold     `json:"hold,omitempty"`

	Nice         int    `json:"nice"`
	TimeLimitMin int    `json:"time_limit_min"` // 0: unlimited
	Dependency   string `json:"dependency,omitempty"`
	// DependsOn is Dependency's meaning, as the command that set it
	// carried it; nil for a job whose dependency came from a JobSubmit 1
	// or JobUpdate 1-2 entry (dependencyOf reads the text then).
	DependsOn *Dependency `json:"depends_on,omitempty"`
	// KillOnInvalidDep cancels the job when its dependency can never be met.
	KillOnInvalidDep bool      `json:"kill_on_invalid_dep,omitempty"`
	Begin            time.Time `json:"begin,omitzero"`
	Requeue          bool      `json:"requeue"`
	RestartCount     int       `json:"restart_count"`

	SubmitTime time.Time `json:"submit_time"`
	StartTime  time.Time `json:"start_time,omitzero"`
	EndTime    time.Time `json:"end_time,omitzero"`
	ExitCode   int       `json:"exit_code"`
	ExitSignal int       `json:"exit_signal"`
	NodeList   string    `json:"node_list,omitempty"`
	// GPU is the current run's GPU accounting (gpu.go): the GPUs Nomad
	// allocated to it, its GPU-seconds once it ended, NVML's figures; nil
	// for a run that was allocated no GPUs (or whose allocation the
	// executor has not yet seen).
	GPU *GPUUse `json:"gpu,omitempty"`
	// Runs are the earlier runs of a requeued job, oldest first (the last
	// MaxRuns of them). The fields above describe the current run.
	Runs []Run `json:"runs,omitempty"`
	// Steps are the srun steps of all its runs (steps.go), by run and id:
	// at most MaxStepsPerJob; StepsDropped counts those past it.
	Steps        []Step `json:"steps,omitempty"`
	StepsDropped int    `json:"steps_dropped,omitempty"`
	// Checkpoints summarises the job's committed checkpoints, all runs
	// (checkpoint.go); nil before the first.
	Checkpoints *Checkpoints `json:"checkpoints,omitempty"`

	// Submission is what the user sent; shared by all tasks of an array.
	Submission *Submission `json:"submission,omitempty"`
	// Files are a staged job's manifests (files.go); nil for a job of a
	// shared partition.
	Files *JobFiles `json:"files,omitempty"`

	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// MaxRuns is how many earlier runs a job keeps in Job.Runs; a requeue past
// it drops the oldest.
const MaxRuns = 16

// Run is an earlier run of a requeued job, as Slurm's accounting keeps it:
// a record of its own under the job's id, which sacct -D lists before the
// job's current record.
type Run struct {
	// RestartCount is the job's restart count during the run (0: the first).
	RestartCount int `json:"restart_count"`
	// SubmitTime is when the run was queued: the job's submit time for the
	// first run, the requeue that ended the previous run for later ones.
	SubmitTime time.Time `json:"submit_time"`
	StartTime  time.Time `json:"start_time,omitzero"`
	// EndTime is when the run was requeued: Slurm ends the run's record
	// then, also for a run that had finished before.
	EndTime  time.Time `json:"end_time"`
	NodeList string    `json:"node_list,omitempty"`
	// State is the record's final state: NODE_FAIL for a run a node
	// failure requeued, REQUEUED for scontrol requeue.
	State JobState `json:"state"`
	// Finished is the state a run that had ended before it was requeued
	// ended in, at FinishTime (its batch step ended then); empty for a run
	// requeued while it ran.
	Finished   JobState  `json:"finished,omitempty"`
	FinishTime time.Time `json:"finish_time,omitzero"`
	ExitCode   int       `json:"exit_code"`
	ExitSignal int       `json:"exit_signal"`
	// GPU is the run's GPU accounting, its GPU-seconds counted to
	// FinishTime for a run that had finished, else to EndTime.
	GPU *GPUUse `json:"gpu,omitempty"`
}

// RunSubmitTime is when the current run was queued: the job's submit time,
// or the requeue that ended its last run (Slurm's accounting record of a
// requeued job starts there).
func (j *Job) RunSubmitTime() time.Time {
	if n := len(j.Runs); n > 0 {
		return j.Runs[n-1].EndTime
	}
	return j.SubmitTime
}

// endRun is the current run as accounting closes it when the job is
// requeued at end, in state st.
func (j *Job) endRun(end time.Time, st JobState) Run {
	r := Run{
		RestartCount: j.RestartCount, SubmitTime: j.RunSubmitTime(), StartTime: j.StartTime, EndTime: end,
		NodeList: j.NodeList, State: st, ExitCode: j.ExitCode, ExitSignal: j.ExitSignal, GPU: j.GPU,
	}
	if j.State.Terminal() {
		r.Finished, r.FinishTime = j.State, j.EndTime
	} else {
		// Requeued while it ran: its GPUs were held until now.
		cp := *j
		closeGPU(&cp, end)
		r.GPU = cp.GPU
	}
	return r
}

// withRun returns runs and r in a new slice (records are shared with
// readers: never append in place), the oldest dropped past MaxRuns.
func withRun(runs []Run, r Run) []Run {
	keep := runs[max(0, len(runs)-MaxRuns+1):]
	out := make([]Run, 0, len(keep)+1)
	return append(append(out, keep...), r)
}

// Submission is one sbatch call as the client sent it, with the parsed spec.
type Submission struct {
	Script     []byte        `json:"script"`
	ScriptName string        `json:"script_name"`
	Args       []string      `json:"args,omitempty"`        // sbatch options
	ScriptArgs []string      `json:"script_args,omitempty"` // after the script
	Env        []string      `json:"env,omitempty"`         // exported per --export
	Cwd        string        `json:"cwd"`
	SubmitHost string        `json:"submit_host,omitempty"`
	Spec       *jobspec.Spec `json:"spec"`
}

// IsArrayBase reports whether j is an array's base record.
func (j *Job) IsArrayBase() bool { return j.ArrayJobID != 0 && j.ArrayTaskID == NoTask }

// SlurmID is the id Slurm prints: 123, 123_7, or 123_[5-9%2] for the
// pending remainder of an array.
func (j *Job) SlurmID() string {
	switch {
	case j.ArrayJobID == 0:
		return fmt.Sprint(j.ID)
	case j.ArrayTaskID != NoTask:
		return fmt.Sprintf("%d_%d", j.ArrayJobID, j.ArrayTaskID)
	}
	s := fmt.Sprintf("%d_[%s", j.ID, j.Pending.String())
	if t := j.throttle(); t > 0 {
		s += fmt.Sprintf("%%%d", t)
	}
	return s + "]"
}

func (j *Job) throttle() int {
	if j.Submission == nil || j.Submission.Spec == nil || j.Submission.Spec.Array == nil || j.Submission.Spec.Array.Throttle == nil {
		return 0
	}
	return *j.Submission.Spec.Array.Throttle
}

// Throttle is the array's %N limit (0: none).
func (j *Job) Throttle() int { return j.throttle() }

// ExitString is Slurm's "code:signal".
func (j *Job) ExitString() string { return fmt.Sprintf("%d:%d", j.ExitCode, j.ExitSignal) }

// Priority orders pending jobs: higher runs first. It falls with the submit
// order and with nice, as Slurm's priority/basic does.
func (j *Job) Priority() int64 {
	p := int64(1<<32-1) - int64(j.ID) - int64(j.Nice)
	if p < 1 {
		p = 1
	}
	return p
}
