// Package sacct is hpcbridge's sacct: the job accounting history (formats, --json, steps, time windows).
//
// Main is the command as cmd/hpcbridge runs it (by a link named sacct or
// "hpcbridge sacct"); it reads the options into an options struct and
// runs the command over the coordinator's client (slurm.Deps), so tests
// run it in-process.
package sacct
