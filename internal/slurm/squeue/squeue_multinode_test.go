package squeue

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestSqueueMultiNode: a multi-node job's node count, state and node list
// as squeue prints them: pending, the count asked for (-N, or the names
// --nodelist gives); CONFIGURING (CF) while not all its nodes run; then
// RUNNING on its hostlist, counted.
func TestSqueueMultiNode(t *testing.T) {
	for _, c := range []struct {
		args  []string
		state state.JobState
		nodes string
		want  string
	}{
		{[]string{"-N", "2-4"}, state.StatePending, "", "PD|2|"},
		{[]string{"-w", "n[1-3]"}, state.StatePending, "", "PD|3|"},
		{[]string{"-N", "2"}, state.StateRunning, "", "CF|2|"},
		{[]string{"-N", "2"}, state.StateRunning, "n[1-2]", "R|2|n[1-2]"},
		{[]string{"-N", "3", "--ntasks-per-node=2"}, state.StateRunning, "n1,n7,m3", "R|3|n1,n7,m3"},
	} {
		sub := slurmtest.Submitted(t, "/tmp/sj", "job.sh", "#!/bin/sh\ntrue\n", c.args)
		j := slurmtest.NewJob(7001, sub)
		if c.state == state.StateRunning {
			j.State, j.Reason, j.StartTime, j.NodeList = state.StateRunning, state.ReasonNone, slurmtest.ScenarioSubmit, c.nodes
		}
		d := slurmtest.Deps(&slurmtest.FakeClient{Jobs: []*state.Job{j}})
		d.Now = func() time.Time { return slurmtest.ScenarioSubmit.Add(time.Second) }
		code, out, errs := runCmd(t, d, "", nil, "squeue", "-h", "-o", "%t|%D|%N")
		if code != 0 || errs != "" || strings.TrimSuffix(out, "\n") != c.want {
			t.Errorf("squeue for %v %s %q: exit %d, %q (stderr %q), want %q", c.args, c.state, c.nodes, code, out, errs, c.want)
		}
	}
}
