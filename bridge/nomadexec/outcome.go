package nomadexec

import (
	"strings"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// outcomeOf maps a terminal allocation to the Slurm final state. An
// allocation whose node stopped heartbeating (unknown, until LostAfter
// makes it lost) ends the run as NODE_FAIL.
func outcomeOf(a alloc) (sched.Outcome, bool) {
	var o sched.Outcome
	if a.Task != nil {
		o.Time = a.Task.FinishedAt
	}
	switch a.ClientStatus {
	case api.AllocClientStatusComplete, api.AllocClientStatusFailed:
		if killed(a.Task) {
			// Nomad stopped the task, not the coordinator (whose stops
			// follow a committed final state, so their outcomes are not
			// asked for): a drain took the node away, which Slurm treats
			// as a node failure (a requeueable job runs again), or someone
			// stopped the Nomad job, which is a cancellation.
			o.State, o.ExitSignal = state.StateCancelled, 15
			if a.Migrate {
				o.State, o.ExitSignal = state.StateNodeFail, 0
			}
			return o, true
		}
	}
	switch a.ClientStatus {
	case api.AllocClientStatusComplete:
		o.State = state.StateCompleted
	case api.AllocClientStatusFailed:
		o.State, o.ExitCode = state.StateFailed, 1
		o.Reason = failureReason(a.Task)
		if ev := lastTerminated(a.Task); ev != nil {
			o.ExitCode, o.ExitSignal = ev.ExitCode, ev.Signal
			if ev.Signal != 0 {
				o.ExitCode = 0 // killed by a signal: Slurm's 0:SIG
			}
			if ev.Details["oom_killed"] == "true" {
				o.State = state.StateOutOfMemory
			}
		}
	case api.AllocClientStatusLost, api.AllocClientStatusUnknown:
		o.State = state.StateNodeFail
	default:
		return o, false
	}
	return o, true
}

// killed reports whether Nomad killed the task (a stop, a drain) rather
// than the script ending by itself.
func killed(ts *api.TaskState) bool {
	if ts == nil {
		return false
	}
	for _, ev := range ts.Events {
		if ev.Type == api.TaskKilled {
			return true
		}
	}
	return false
}

// maxReason bounds the reason a failed job keeps.
const maxReason = 512

// failureReason is what the node said when it could not run the job: the
// driver's error when the task never started (the run-as user does not
// exist, an invalid task), or the message a task that ended reported with
// its exit (the task driver reports slurmstepd's "Could not open stdout
// file ..." there). "" when the job simply exited non-zero.
func failureReason(ts *api.TaskState) string {
	if ts == nil {
		return ""
	}
	msg := ""
	for i := len(ts.Events) - 1; i >= 0 && msg == ""; i-- {
		ev := ts.Events[i]
		switch ev.Type {
		case api.TaskDriverFailure:
			msg = "JobLaunchFailure: " + or(ev.DriverError, ev.DisplayMessage)
		case api.TaskSetupFailure:
			msg = "JobLaunchFailure: " + or(ev.SetupError, ev.DisplayMessage)
		case api.TaskFailedValidation:
			msg = "JobLaunchFailure: " + or(ev.ValidationError, ev.DisplayMessage)
		case api.TaskTerminated:
			msg = ev.Details["exit_message"]
		}
	}
	// A driver's error crosses the plugin's gRPC boundary.
	msg = strings.Replace(msg, "rpc error: code = Unknown desc = ", "", 1)
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > maxReason {
		msg = msg[:maxReason] + "..."
	}
	return msg
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func lastTerminated(ts *api.TaskState) *api.TaskEvent {
	if ts == nil {
		return nil
	}
	for i := len(ts.Events) - 1; i >= 0; i-- {
		if ts.Events[i].Type == api.TaskTerminated {
			return ts.Events[i]
		}
	}
	return nil
}

func hasTerminal(allocs []*api.AllocationListStub) bool {
	for _, a := range allocs {
		if _, ok := outcomeOf(stubAlloc(a)); ok {
			return true
		}
	}
	return false
}
