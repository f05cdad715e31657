package sacct

import (
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/internal/slurm/squeue"
)

// runCmd runs sacct (or another command the tests name) in-process.
func runCmd(t *testing.T, d slurm.Deps, stdin string, env []string, argv ...string) (code int, stdout, stderr string) {
	t.Helper()
	return slurmtest.Run(t, map[string]slurmtest.Main{
		"sacct":  Main,
		"squeue": squeue.Main,
	}, d, stdin, env, argv...)
}
