package apiserver_test

import (
	"fmt"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// TestSubmitWrapStoresScript: a --wrap submission (no script in the
// request, as sbatch sends it) is stored with the script sbatch generates
// for it, as slurmctld stores it.
func TestSubmitWrapStoresScript(t *testing.T) {
	f := newFixture(t)
	resp, err := f.alice.Submit(f.ctx, &api.SubmitRequest{Args: []string{"--wrap", "echo $HOME; exit 3"}, Cwd: "/home/alice"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := f.alice.JobScript(f.ctx, fmt.Sprint(resp.JobID))
	if err != nil {
		t.Fatal(err)
	}
	want := "#!/bin/sh\n# This script was created by sbatch --wrap.\n\necho $HOME; exit 3\n"
	if got := string(j.Submission.Script); got != want || j.Name != "wrap" {
		t.Errorf("job %q script %q, want %q", j.Name, got, want)
	}
}
