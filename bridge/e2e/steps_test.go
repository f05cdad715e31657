package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestNomadRecordsSrunSteps: a one-node job's srun steps reach accounting
// (srun records them, the task driver reports them as task events, the
// coordinator commits them) and sacct lists them after the batch step.
func TestNomadRecordsSrunSteps(t *testing.T) {
	st := newStack(t)
	id := st.sbatch(st.script("steps.sh", "#!/bin/sh\n#SBATCH -n 2\nsrun -n2 hostname\nsrun -n2 hostname\nsrun -n1 false\nexit 0\n"))
	st.waitEnded(2*time.Minute, id)
	j := st.wait(id, time.Minute, "with its 3 steps ended", func(j *state.Job) bool {
		if len(j.Steps) != 3 {
			return false
		}
		for _, s := range j.Steps {
			if !s.Ended() {
				return false
			}
		}
		return true
	})
	node := st.agent.Name()
	want := strings.Join([]string{
		id + "|" + "steps.sh|" + node + "||COMPLETED|0:0",
		id + ".batch|batch|" + node + "|1|COMPLETED|0:0",
		id + ".0|hostname|" + node + "|2|COMPLETED|0:0",
		id + ".1|hostname|" + node + "|2|COMPLETED|0:0",
		id + ".2|false|" + node + "|1|FAILED|1:0",
	}, "\n") + "\n"
	if got := st.must("sacct", "-n", "-P", "-j", id, "-o", "jobid,jobname,nodelist,ntasks,state,exitcode"); got != want {
		t.Errorf("sacct:\n%s\nwant\n%s\n(steps %+v)", got, want, j.Steps)
	}
	if got := st.must("sacct", "-n", "-P", "-j", id+".1", "-o", "jobid,ntasks"); got != id+".1|2\n" {
		t.Errorf("sacct -j %s.1: %q", id, got)
	}
}
