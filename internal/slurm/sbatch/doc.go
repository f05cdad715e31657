// Package sbatch is hpcbridge's sbatch: parse a batch script locally, submit it, --wait, --test-only, and hpcbridge jobspec (sbatch --parse-only).
//
// Main is the command as cmd/hpcbridge runs it (by a link named sbatch or
// "hpcbridge sbatch"); it reads the options into an options struct and
// runs the command over the coordinator's client (slurm.Deps), so tests
// run it in-process.
package sbatch
