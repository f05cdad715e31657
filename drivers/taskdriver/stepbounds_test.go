package taskdriver

import (
	"slices"
	"testing"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestStepBoundsMatchState keeps the watcher's step-record checks and
// raft/state's step rules the same. The driver keeps its own copy so that
// the plugin binary does not link raft/state (and go-memdb); a record the
// driver passes that raft/state refuses would be dropped by the
// coordinator instead, so the two must not drift.
func TestStepBoundsMatchState(t *testing.T) {
	for _, c := range []struct {
		name        string
		mine, state int
	}{
		{"steps per job", maxWatchedSteps, state.MaxStepsPerJob},
		{"step id", maxStepID, state.MaxStepID},
		{"name length", maxStepNameLen, state.MaxStepNameLen},
		{"node list length", maxStepNodeListLen, state.MaxStepNodeListLen},
		{"tasks", maxStepTasks, state.MaxStepTasks},
	} {
		if c.mine != c.state {
			t.Errorf("%s: driver %d, raft/state %d", c.name, c.mine, c.state)
		}
	}
	var ends []string
	for _, s := range state.StepStates {
		if s != state.StateRunning {
			ends = append(ends, string(s))
		}
	}
	if !slices.Equal(ends, stepEndStates) {
		t.Errorf("end states: driver %v, raft/state %v", stepEndStates, ends)
	}
}
