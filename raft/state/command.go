package state

import (
	"fmt"
	"time"
)

// CommandType is the first byte of a Raft log entry; the second is the
// payload's version, the rest its JSON. Each type is registered once, with
// its version, payload type and handler, in commands (register.go).
type CommandType uint8

// The commands. Numbers are part of the log format: never reuse one.
const (
	CmdJobSubmit      CommandType = 1
	CmdJobCancel      CommandType = 2
	CmdJobHold        CommandType = 3
	CmdJobRelease     CommandType = 4
	CmdJobRequeue     CommandType = 5
	CmdJobUpdate      CommandType = 6
	CmdJobStart       CommandType = 7
	CmdJobFinish      CommandType = 8
	CmdJobReasons     CommandType = 9
	CmdJobPlaced      CommandType = 10
	CmdJobSteps       CommandType = 11
	CmdJobGiveBack    CommandType = 12
	CmdCheckpoint     CommandType = 15 // checkpoint.go
	CmdNodeKey        CommandType = 16 // nodekeys.go
	CmdNodeReclaim    CommandType = 17 // reclaim.go
	CmdDonor          CommandType = 18 // donors.go
	CmdJoinToken      CommandType = 19 // donors.go
	CmdJobFiles       CommandType = 13 // files.go
	CmdRunToken       CommandType = 14 // files.go
	CmdACLBootstrap   CommandType = 20
	CmdACLTokenCreate CommandType = 21
	CmdACLTokenDelete CommandType = 22
	CmdLedger         CommandType = 23 // ledger.go
	CmdSetMeta        CommandType = 30
)

// JobRef selects jobs: a job id, an array task (ArrayJobID_Task) or, with
// Task == AllTasks, a job and every task of its array.
type JobRef struct {
	JobID uint64 `json:"job_id"`
	Task  int    `json:"task"`
}

// AllTasks in JobRef.Task selects the whole job (all tasks of an array).
const AllTasks = -1

func (r JobRef) String() string {
	if r.Task == AllTasks {
		return fmt.Sprint(r.JobID)
	}
	return fmt.Sprintf("%d_%d", r.JobID, r.Task)
}

// Actor is who asks for a change: a user name, or a management token.
type Actor struct {
	User       string `json:"user"`
	Management bool   `json:"management,omitempty"`
	// Donor is a donor-admin token's donor (TokenDonorAdmin, donors.go).
	Donor string `json:"donor,omitempty"`
}

// JobSubmitCmd adds a job (or an array) to the queue.
type JobSubmitCmd struct {
	Time       time.Time   `json:"time"`
	User       string      `json:"user"`
	Submission *Submission `json:"submission"`
	// Partition is the partition to use when the spec names none.
	DefaultPartition string `json:"default_partition"`
	// Job is what Apply reads (version 2): the job's fields, parsed and
	// checked by the leader. Apply does not look into Submission, which
	// it stores as it came.
	Job *JobRecord `json:"job,omitempty"`
}

// JobRecord is a submission's job as the log carries it: every field of
// the new Job that the submission decides, in this package's types, made
// by the leader from the parsed spec (raft/state/fromspec) before the
// entry is committed. Replaying it never depends on the parser that
// produced it.
type JobRecord struct {
	Name      string `json:"name,omitempty"`
	Account   string `json:"account,omitempty"`
	Partition string `json:"partition"` // the spec's, or the default
	QOS       string `json:"qos,omitempty"`
	Nice      int    `json:"nice,omitempty"`
	// TimeLimitMin is the time limit in minutes; 0 is unlimited.
	TimeLimitMin int  `json:"time_limit_min,omitempty"`
	Requeue      bool `json:"requeue"`
	// Hold is sbatch --hold: the job starts held by its user.
	Hold bool `json:"hold,omitempty"`
	// Begin is the resolved --begin time; zero when not given.
	Begin time.Time `json:"begin,omitzero"`
	// Dependency is the --dependency expression as written, DependsOn
	// its meaning; both empty when the job has none.
	Dependency       string      `json:"dependency,omitempty"`
	DependsOn        *Dependency `json:"depends_on,omitempty"`
	KillOnInvalidDep bool        `json:"kill_on_invalid_dep,omitempty"`
	// Array are the --array indexes, as Slurm normalises them; empty for
	// a job that is not an array.
	Array []ArrayRange `json:"array,omitempty"`
	// StagedInput is the submit directory's manifest digest for a job of
	// a staged partition (JobSubmit 3; Job.Files.Input); empty for a
	// shared one.
	StagedInput string `json:"staged_input,omitempty"`
}

// ArrayRange is First..Last (inclusive) in steps of Step.
type ArrayRange struct {
	First, Last, Step int
}

// Dependency is a parsed --dependency expression.
type Dependency struct {
	// Any is true when the conditions are joined with '?' (any one
	// suffices) rather than ',' (all are required).
	Any        bool           `json:"any,omitempty"`
	Conditions []DepCondition `json:"conditions"`
}

// DepCondition is one term of a dependency, e.g. afterok:12:13.
type DepCondition struct {
	// Type is after, afterany, afterok, afternotok, aftercorr,
	// afterburstbuffer or singleton.
	Type string `json:"type"`
	// Jobs are the referenced jobs; empty for singleton.
	Jobs []DepJob `json:"jobs,omitempty"`
}

// DepJob is one job reference of a condition, JOBID[_TASK][+MINUTES].
type DepJob struct {
	JobID int64 `json:"job_id"`
	// Task is the array index for JOBID_TASK references, or -1.
	Task int `json:"task"`
	// DelayMin is the +MINUTES of "after".
	DelayMin int `json:"delay_min,omitempty"`
}

// JobSubmitResult is Apply's answer to a submit.
type JobSubmitResult struct {
	JobID uint64 `json:"job_id"`
}

// JobCancelCmd cancels jobs (pending or running). Running jobs are marked
// CANCELLED at once; the executor stops them.
type JobCancelCmd struct {
	Time  time.Time `json:"time"`
	By    Actor     `json:"by"`
	Refs  []JobRef  `json:"refs"`
	State JobState  `json:"state,omitempty"` // CANCELLED unless set (e.g. by the scheduler)
}

// JobHoldCmd holds pending jobs; JobReleaseCmd releases them (same payload).
type JobHoldCmd struct {
	By   Actor    `json:"by"`
	Refs []JobRef `json:"refs"`
	// UserHold makes an administrator's hold a user hold (scontrol uhold),
	// which the owner may release. Version 2.
	UserHold bool `json:"user_hold,omitempty"`
}

// JobRequeueCmd puts running or finished jobs back in the queue.
type JobRequeueCmd struct {
	Time time.Time `json:"time"`
	By   Actor     `json:"by"`
	Refs []JobRef  `json:"refs"`
	// Reason is the state the job had when it was requeued by the system
	// (NODE_FAIL, PREEMPTED); empty for scontrol requeue. The ended run's
	// record (Job.Runs) takes it as its state; REQUEUED when empty.
	Reason JobState `json:"reason,omitempty"`
}

// JobUpdateCmd changes a pending job (scontrol update).
type JobUpdateCmd struct {
	By           Actor    `json:"by"`
	Refs         []JobRef `json:"refs"`
	TimeLimitMin *int     `json:"time_limit_min,omitempty"`
	Partition    *string  `json:"partition,omitempty"`
	// Dependency is the new expression as written ("" clears it);
	// DependsOn is its meaning, parsed by the leader (version 3).
	Dependency *string     `json:"dependency,omitempty"`
	DependsOn  *Dependency `json:"depends_on,omitempty"`
	Nice       *int        `json:"nice,omitempty"`
	Name       *string     `json:"name,omitempty"`
}

// JobStartCmd records that the scheduler handed a job (or the next task of
// an array, which gets a new job id) to the executor.
type JobStartCmd struct {
	Time  time.Time `json:"time"`
	JobID uint64    `json:"job_id"`
	// Task is the array task to materialise and start; NoTask for plain jobs.
	Task int `json:"task"`
	// NodeList is where it runs, when known.
	NodeList string `json:"node_list,omitempty"`
}

// JobStartResult is Apply's answer to a start: the id the job runs under.
type JobStartResult struct {
	JobID uint64 `json:"job_id"`
}

// JobFinishCmd records how a running job ended.
type JobFinishCmd struct {
	Time       time.Time `json:"time"`
	JobID      uint64    `json:"job_id"`
	State      JobState  `json:"state"`
	ExitCode   int       `json:"exit_code"`
	ExitSignal int       `json:"exit_signal"`
	// Reason says why the job failed when the node knows more than an
	// exit code (it could not start it, or not open its output), for
	// scontrol's and sacct's Reason. Version 2.
	Reason string `json:"reason,omitempty"`
	// GPU is the run's GPU allocation as the Nomad servers had it, for a
	// run whose placement did not record it; Measured is what NVML
	// measured on the node (nil: not measured). Version 3; GPU.OtherNodes
	// version 4.
	GPU      *GPUAlloc   `json:"gpu,omitempty"`
	Measured *GPUMeasure `json:"measured,omitempty"`
}

// JobPlacedCmd records where and when a started job's work began to run on
// the executor (its Nomad allocation's task started): the node list, and the
// start time its time limit counts from.
type JobPlacedCmd struct {
	Time     time.Time `json:"time"`
	JobID    uint64    `json:"job_id"`
	NodeList string    `json:"node_list"`
	// GPU is the GPUs Nomad allocated to the run's task, and its node;
	// nil when it has none. Version 2; GPU.OtherNodes (a multi-node
	// run's other nodes) version 3.
	GPU *GPUAlloc `json:"gpu,omitempty"`
}

// JobGiveBackCmd returns a started job that no node has taken yet
// (CONFIGURING: a multi-node run whose allocations did not all start
// within the executor's bound) to the queue: PENDING with Reason, its
// restart count up by one (its next run is a new Nomad job), no run record
// (it never ran). A job placed, ended or requeued meanwhile is left alone.
type JobGiveBackCmd struct {
	Time   time.Time `json:"time"`
	JobID  uint64    `json:"job_id"`
	Reason string    `json:"reason,omitempty"`
}

// JobReasonsCmd records the pending reasons the scheduler computed.
type JobReasonsCmd struct {
	Reasons map[uint64]string `json:"reasons"`
}

// ACLToken is a stored token: its secret is kept only as a SHA-256 hash.
type ACLToken struct {
	AccessorID string    `json:"accessor_id"`
	SecretHash string    `json:"secret_hash"`
	Name       string    `json:"name"`
	Type       string    `json:"type"` // "management", "client", "run" or "donor-admin"
	User       string    `json:"user,omitempty"`
	Accounts   []string  `json:"accounts,omitempty"`
	CreateTime time.Time `json:"create_time"`
	CreateIdx  uint64    `json:"create_index"`
	// JobID and Run are a run token's job and run (TokenRun, files.go);
	// Ended is when Slurm ended that run (zero while it runs).
	JobID uint64    `json:"job_id,omitempty"`
	Run   int       `json:"run,omitempty"`
	Ended time.Time `json:"ended,omitzero"`
	// Donor is a donor-admin token's donor (TokenDonorAdmin, donors.go).
	Donor string `json:"donor,omitempty"`
}

// Token types.
const (
	TokenManagement = "management"
	TokenClient     = "client"
)

// ACLTokenCmd creates a token (bootstrap or create).
type ACLTokenCmd struct {
	Token ACLToken `json:"token"`
}

// ACLTokenDeleteCmd deletes a token by accessor id.
type ACLTokenDeleteCmd struct {
	AccessorID string `json:"accessor_id"`
}

// SetMetaCmd sets a replicated key (e.g. the last Nomad event index).
type SetMetaCmd struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Result is Apply's answer to business commands: what changed, or why not.
type Result struct {
	// Err is a business error (not found, not allowed, bad state); the
	// command changed nothing for the refs it names.
	Err error `json:"-"`
	// Changed lists the job ids the command changed.
	Changed []uint64 `json:"changed,omitempty"`
	// Value is a command-specific answer (JobSubmitResult, JobStartResult).
	Value any `json:"value,omitempty"`
}
