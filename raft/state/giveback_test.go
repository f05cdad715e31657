package state

import (
	"testing"
	"time"
)

// TestGiveBack: a CONFIGURING run (started, no node list) goes back to
// PENDING with the reason given (Resources by default), its restart count
// up (its next run is a new Nomad job) and no run record; a placed or
// ended job is left alone.
func TestGiveBack(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\n#SBATCH -N 2\ntrue\n")
	f.apply(CmdJobStart, JobStartCmd{Time: t0.Add(time.Second), JobID: f.id, Task: NoTask})
	f.apply(CmdJobGiveBack, JobGiveBackCmd{Time: t0.Add(time.Minute), JobID: f.id})
	j := f.job()
	if j.State != StatePending || j.Reason != ReasonResources || j.RestartCount != 1 || len(j.Runs) != 0 || !j.StartTime.IsZero() {
		t.Fatalf("after give-back: %s (%s), restarts %d, runs %d, start %v; want PENDING (Resources), 1, 0, zero", j.State, j.Reason, j.RestartCount, len(j.Runs), j.StartTime)
	}
	f.run(t0.Add(2*time.Minute), "n[1-2]")
	f.apply(CmdJobGiveBack, JobGiveBackCmd{Time: t0.Add(3 * time.Minute), JobID: f.id})
	if j := f.job(); j.State != StateRunning || j.NodeList != "n[1-2]" || j.RestartCount != 1 {
		t.Errorf("placed job after give-back: %s on %q, restarts %d; want left RUNNING", j.State, j.NodeList, j.RestartCount)
	}
	f.finish(t0.Add(4*time.Minute), StateCompleted, 0, 0)
	f.apply(CmdJobGiveBack, JobGiveBackCmd{Time: t0.Add(5 * time.Minute), JobID: f.id})
	if j := f.job(); j.State != StateCompleted {
		t.Errorf("ended job after give-back: %s", j.State)
	}
}
