package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm/srun"
)

func TestSrunArgsAndScript(t *testing.T) {
	o, err := srun.ParseArgs([]string{"-n2", "-l", "-p", "gpu", "--time=5", "-o", "out-%t", "--export=ALL,A=b", "--mpi=pmix", "sh", "-c", "echo 'x y'; exit 3"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--ntasks=2", "--partition=gpu", "--time=5", "--export=ALL,A=b"}; !slices.Equal(o.JobArgs, want) {
		t.Errorf("job options %q, want %q", o.JobArgs, want)
	}
	if want := []string{"--ntasks=2", "--label", "--output=out-%t", "--export=ALL,A=b"}; !slices.Equal(o.StepArgs, want) {
		t.Errorf("step options %q, want %q", o.StepArgs, want)
	}
	want := "#!/bin/sh\n# This script was created by hpcbridge srun.\n\nexec srun --ntasks=2 --label --output=out-%t --export=ALL,A=b -- sh -c 'echo '\\''x y'\\''; exit 3'\n"
	if got := string(srun.Script(o)); got != want {
		t.Errorf("script:\n%q\nwant\n%q", got, want)
	}
	for _, bad := range [][]string{{"--bogus", "x"}, {"-n"}, {"--label=1", "x"}, {"-Z", "x"}} {
		if _, err := srun.ParseArgs(bad); err == nil {
			t.Errorf("parseSrunArgs(%q): no error", bad)
		}
	}
}

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
