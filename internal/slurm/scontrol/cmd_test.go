package scontrol

import (
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// runCmd runs scontrol (or another command the tests name) in-process.
func runCmd(t *testing.T, d slurm.Deps, stdin string, env []string, argv ...string) (code int, stdout, stderr string) {
	t.Helper()
	return slurmtest.Run(t, map[string]slurmtest.Main{
		"scontrol": Main,
	}, d, stdin, env, argv...)
}
