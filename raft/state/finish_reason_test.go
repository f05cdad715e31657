package state

import "testing"

// A job the node could not start (JobFinish version 2) keeps the node's
// words as its reason; a version 1 entry replays as before, with none.
func TestFinishReason(t *testing.T) {
	s := New()
	var idx uint64
	why := `JobLaunchFailure: user "ada" does not exist on this node`
	for _, v := range []uint8{1, 2} {
		id := submitAs(t, s, &idx, "ada", "#!/bin/sh\ntrue\n")
		mustApply(t, s, &idx, CmdJobStart, JobStartCmd{Time: t0, JobID: id, Task: NoTask})
		if res := applyVersion(t, s, &idx, CmdJobFinish, v, JobFinishCmd{Time: t0, JobID: id, State: StateFailed, ExitCode: 1, Reason: why}); res.Err != nil {
			t.Fatal(res.Err)
		}
		want := why
		if v == 1 {
			want = ReasonNone
		}
		if got := s.View().Job(id).Reason; got != want {
			t.Errorf("version %d: reason %q, want %q", v, got, want)
		}
	}
}
