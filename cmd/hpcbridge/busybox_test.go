package main

import (
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// TestBusyboxStyle: "hpcbridge CMD args" behaves exactly as the link CMD
// with the same arguments, for every Slurm command (the links may not be
// on PATH).
func TestBusyboxStyle(t *testing.T) {
	env := []string{"HPCBRIDGE_ADDR=http://127.0.0.1:1", "HOME=" + t.TempDir()}
	script := slurmtest.WriteScript(t, "#!/bin/sh\n#SBATCH -J busy\n")
	cases := [][]string{
		{"sbatch", "--parse-only", script},
		{"sbatch", "--version"},
		{"sbatch", script},
		{"squeue"},
		{"squeue", "--usage"},
		{"scancel", "12"},
		{"sacct", "-j", "5"},
		{"sinfo"},
		{"scontrol", "show", "job"},
		{"scontrol", "version"},
		{"srun", "--version"},
		{"srun", "true"},
		{"sprio"},
		{"sprio", "--usage"},
		{"sshare", "-l"},
		{"sshare", "--usage"},
	}
	for _, argv := range cases {
		lc, lout, lerr := invoke(t, argv[0], env, "", argv[1:]...)
		bc, bout, berr := invoke(t, "hpcbridge", env, "", argv...)
		if lc != bc || lout != bout || lerr != berr {
			t.Errorf("%q:\n link:     exit %d stdout %q stderr %q\n busybox:  exit %d stdout %q stderr %q", argv, lc, lout, lerr, bc, bout, berr)
		}
		if bc == exitUsage && berr != "" && lerr == "" {
			t.Errorf("%q: hpcbridge did not recognise the command: %s", argv, berr)
		}
	}
}
