package nomadexec

import (
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestTranslateWrap: a --wrap job reaches Nomad with the script sbatch
// generates for it, also when it was committed without one.
func TestTranslateWrap(t *testing.T) {
	spec, diags := jobspec.Parse(jobspec.Input{Args: []string{"--wrap", "echo hi"}})
	if spec == nil {
		t.Fatal(diags)
	}
	want := "#!/bin/sh\n# This script was created by sbatch --wrap.\n\necho hi\n"
	for _, script := range [][]byte{nil, []byte(want)} {
		sub := &state.Submission{Script: script, Cwd: "/home/ada", Spec: spec}
		j := &state.Job{ID: 5, ArrayTaskID: state.NoTask, Name: "wrap", User: "ada", Partition: "debug"}
		job, err := (&Translation{}).Translate(j, sub)
		if err != nil {
			t.Fatal(err)
		}
		if got := job.TaskGroups[0].Tasks[0].Config["script"]; got != want {
			t.Errorf("submitted script %q: Nomad's script %q, want %q", script, got, want)
		}
	}
}
