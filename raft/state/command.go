package state

import (
	"encoding/json"
	"fmt"
	"time"
)

// CommandType is the first byte of a Raft log entry.
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
	CmdACLBootstrap   CommandType = 20
	CmdACLTokenCreate CommandType = 21
	CmdACLTokenDelete CommandType = 22
	CmdSetMeta        CommandType = 30
)

// currentVersion is the payload version this build writes for each command;
// Apply accepts versions up to it and applies each entry as the version it
// was written with did, so that an old log replays to the same state. A
// command's version goes up whenever what Apply does with it changes:
//
//   - CmdJobHold 2: a user's hold leaves an administrator's hold in place
//     (version 1 replaced it with a user hold, which the user could then
//     release); UserHold (scontrol uhold).
//   - CmdJobUpdate 2: a dependency that closes a cycle is refused
//     (ErrDependency).
//   - CmdJobFinish 2: Reason, why the job failed (a launch failure the
//     node reported), becomes the job's reason.
//
// A server must know a version before a leader writes it: upgrade every
// server before the new build leads (an old follower stops at an entry of
// a version it does not know rather than diverge).
var currentVersion = map[CommandType]uint8{
	CmdJobSubmit: 1, CmdJobCancel: 1, CmdJobHold: 2, CmdJobRelease: 1, CmdJobRequeue: 1,
	CmdJobUpdate: 2, CmdJobStart: 1, CmdJobFinish: 2, CmdJobReasons: 1, CmdJobPlaced: 1,
	CmdACLBootstrap: 1, CmdACLTokenCreate: 1, CmdACLTokenDelete: 1, CmdSetMeta: 1,
}

// Encode builds a log entry: type byte, version byte, JSON payload.
func Encode(t CommandType, payload any) ([]byte, error) {
	v, ok := currentVersion[t]
	if !ok {
		return nil, fmt.Errorf("state: unknown command type %d", t)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("state: encode command %d: %w", t, err)
	}
	return append([]byte{byte(t), v}, body...), nil
}

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
}

// JobSubmitCmd adds a job (or an array) to the queue.
type JobSubmitCmd struct {
	Time       time.Time   `json:"time"`
	User       string      `json:"user"`
	Submission *Submission `json:"submission"`
	// Partition is the partition to use when the spec names none.
	DefaultPartition string `json:"default_partition"`
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
	Dependency   *string  `json:"dependency,omitempty"`
	Nice         *int     `json:"nice,omitempty"`
	Name         *string  `json:"name,omitempty"`
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
}

// JobPlacedCmd records where and when a started job's work began to run on
// the executor (its Nomad allocation's task started): the node list, and the
// start time its time limit counts from.
type JobPlacedCmd struct {
	Time     time.Time `json:"time"`
	JobID    uint64    `json:"job_id"`
	NodeList string    `json:"node_list"`
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
	Type       string    `json:"type"` // "management" or "client"
	User       string    `json:"user,omitempty"`
	Accounts   []string  `json:"accounts,omitempty"`
	CreateTime time.Time `json:"create_time"`
	CreateIdx  uint64    `json:"create_index"`
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
