// Package srun is hpcbridge's srun on the submit host: run a command as a one-step job and follow its output.
//
// Main is the command as cmd/hpcbridge runs it (by a link named srun or
// "hpcbridge srun"); it reads the options into an options struct and
// runs the command over the coordinator's client (slurm.Deps), so tests
// run it in-process.
package srun
