package main

import (
	"strings"
	"testing"
)

func TestSrunOutsideAndInsideJobs(t *testing.T) {
	env := []string{"HPCBRIDGE_ADDR=http://127.0.0.1:1", "HOME=" + t.TempDir()}
	if code, _, errs := invoke(t, "srun", env, ""); code != exitRejected || !strings.Contains(errs, "No command given") {
		t.Errorf("no command: exit %d %q", code, errs)
	}
	if code, _, errs := invoke(t, "srun", env, "", "--bogus", "true"); code != 255 || !strings.Contains(errs, "unrecognized option '--bogus'") {
		t.Errorf("bad option: exit %d %q", code, errs)
	}
	if code, _, errs := invoke(t, "srun", env, "", "hostname"); code != exitRejected || !strings.Contains(errs, "srun: error: Unable to allocate resources: Unable to contact slurm controller") {
		t.Errorf("no coordinator: exit %d %q", code, errs)
	}
	code, _, errs := invoke(t, "srun", append(env, "SLURM_JOB_ID=44"), "", "hostname")
	if code != exitRejected || !strings.Contains(errs, "inside job 44") {
		t.Errorf("inside a job: exit %d %q", code, errs)
	}
}
