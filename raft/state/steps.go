package state

import (
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// Job steps. Every srun in a batch script is a step of the job (JOBID.0,
// JOBID.1, ...). The task driver reads the records srun writes when a step
// starts and ends and reports them to Nomad as task events; the executor
// reads those events from the job's allocation and commits them (JobSteps)
// for sacct. A step record is a claim the job's node makes, checked
// against the bounds below: it never changes the job's own state, times or
// exit code, which come from the Nomad servers.

// Bounds of what a step record may hold.
const (
	// MaxStepsPerJob caps the step records a job keeps, all its runs
	// together: a step past it is not recorded (Job.StepsDropped counts
	// them) and sacct does not list it. 256 records of at most ~1.5 KiB
	// each bound what one job adds to every replica.
	MaxStepsPerJob = 256
	// MaxStepsPerCommand caps the records one JobSteps entry carries.
	MaxStepsPerCommand = 64
	// MaxStepID bounds a step id (Slurm's ids are 32-bit; ids of batch,
	// extern and friends sit above 0xfffffff0).
	MaxStepID = 1<<31 - 1
	// MaxStepNameLen bounds a step's name (srun -J, or the command).
	MaxStepNameLen = 256
	// MaxStepNodeListLen bounds a step's node list (a compressed hostlist).
	MaxStepNodeListLen = 1024
	// MaxStepTasks bounds a step's task and node counts.
	MaxStepTasks = 1 << 20
)

// Step is one srun step of a job's run.
type Step struct {
	// Run is the job's RestartCount during the step's run (0: the first).
	Run int `json:"run"`
	// ID is the step id: 0 for the first srun of the run, then 1, 2, ...
	ID       int       `json:"id"`
	Name     string    `json:"name"`
	NodeList string    `json:"node_list"`
	NNodes   int       `json:"nnodes"`
	NTasks   int       `json:"ntasks"`
	Start    time.Time `json:"start"`
	// End is zero while the step runs (State RUNNING).
	End   time.Time `json:"end,omitzero"`
	State JobState  `json:"state"`
	// ExitCode and ExitSignal are sacct's ExitCode (code:signal).
	ExitCode   int `json:"exit_code"`
	ExitSignal int `json:"exit_signal"`
}

// StepStates are the states a step record may carry.
var StepStates = []JobState{StateRunning, StateCompleted, StateFailed, StateCancelled, StateNodeFail, StateTimeout, StateOutOfMemory}

// Ended reports whether the record has the step's end.
func (s *Step) Ended() bool { return s.State != StateRunning }

// Check reports why a step record cannot be kept.
func (s *Step) Check() error {
	switch {
	case s.Run < 0 || s.Run > 1<<20:
		return fmt.Errorf("step run %d out of range", s.Run)
	case s.ID < 0 || s.ID > MaxStepID:
		return fmt.Errorf("step id %d: want 0 to %d", s.ID, MaxStepID)
	case len(s.Name) > MaxStepNameLen || !stepText(s.Name):
		return fmt.Errorf("step %d: name %.40q: want at most %d printable characters", s.ID, s.Name, MaxStepNameLen)
	case s.NodeList == "" || len(s.NodeList) > MaxStepNodeListLen || !stepText(s.NodeList):
		return fmt.Errorf("step %d: node list %.40q: want 1 to %d printable characters", s.ID, s.NodeList, MaxStepNodeListLen)
	case s.NNodes < 1 || s.NNodes > MaxStepTasks || s.NTasks < 1 || s.NTasks > MaxStepTasks:
		return fmt.Errorf("step %d: %d nodes, %d tasks: want 1 to %d", s.ID, s.NNodes, s.NTasks, MaxStepTasks)
	case s.Start.IsZero():
		return fmt.Errorf("step %d without a start", s.ID)
	case !slices.Contains(StepStates, s.State):
		return fmt.Errorf("step %d: state %.20q is not a step state", s.ID, s.State)
	case s.Ended() != !s.End.IsZero():
		return fmt.Errorf("step %d: state %s with end %v", s.ID, s.State, s.End)
	case !s.End.IsZero() && s.End.Before(s.Start):
		return fmt.Errorf("step %d ends before it starts", s.ID)
	case s.ExitCode < 0 || s.ExitCode > 255 || s.ExitSignal < 0 || s.ExitSignal > 127:
		return fmt.Errorf("step %d: exit %d:%d out of range", s.ID, s.ExitCode, s.ExitSignal)
	}
	return nil
}

// stepText reports whether s is text a step record may hold: UTF-8 of
// printable characters (spaces, but no other blank or control character,
// so that nothing a node sends moves a terminal's cursor).
func stepText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// JobStepsCmd records steps of a job's run as its node reported them: a
// step that started (RUNNING), or one that ended. A record for a step the
// job already has replaces it only when it brings the step's end; a step
// past MaxStepsPerJob is counted, not kept.
type JobStepsCmd struct {
	JobID uint64 `json:"job_id"`
	Steps []Step `json:"steps"`
}

// validate refuses an entry over its bounds (the executor checks what a
// node reported before it asks).
func (c *JobStepsCmd) validate() error {
	if len(c.Steps) == 0 || len(c.Steps) > MaxStepsPerCommand {
		return fmt.Errorf("%d steps in one entry: want 1 to %d", len(c.Steps), MaxStepsPerCommand)
	}
	for i := range c.Steps {
		if err := c.Steps[i].Check(); err != nil {
			return err
		}
	}
	return nil
}

// StepOf is the job's record of step id of run, or nil.
func (j *Job) StepOf(run, id int) *Step {
	i, ok := slices.BinarySearchFunc(j.Steps, [2]int{run, id}, cmpStep)
	if !ok {
		return nil
	}
	return &j.Steps[i]
}

// RunSteps are the job's steps of run, by id.
func (j *Job) RunSteps(run int) []Step {
	var out []Step
	for _, s := range j.Steps {
		if s.Run == run {
			out = append(out, s)
		}
	}
	return out
}

func cmpStep(s Step, k [2]int) int {
	if s.Run != k[0] {
		return s.Run - k[0]
	}
	return s.ID - k[1]
}

// applySteps keeps the steps the entry brings (version 1). Records that do
// not pass Step.Check are skipped, as is the rest once the job holds
// MaxStepsPerJob (counted in StepsDropped).
func applySteps(a *applier, _ uint8, c *JobStepsCmd) *Result {
	j := a.job(c.JobID)
	if j == nil {
		return &Result{Err: fmt.Errorf("%d: %w", c.JobID, ErrNotFound)}
	}
	cp := *j
	cp.Steps = slices.Clone(j.Steps)
	changed := false
	for _, s := range c.Steps {
		if s.Check() != nil {
			continue
		}
		i, ok := slices.BinarySearchFunc(cp.Steps, [2]int{s.Run, s.ID}, cmpStep)
		switch {
		case ok && (cp.Steps[i].Ended() || !s.Ended()):
			continue // already known as well
		case ok:
			cp.Steps[i] = s
		case len(cp.Steps) >= MaxStepsPerJob:
			cp.StepsDropped++
		default:
			cp.Steps = slices.Insert(cp.Steps, i, s)
		}
		changed = true
	}
	if !changed {
		return &Result{}
	}
	a.put(&cp)
	return &Result{Changed: []uint64{cp.ID}}
}
