// Package squeue is hpcbridge's squeue: the live queue in Slurm's layouts (-o, -O, -l, sorting, --json, the brief view).
//
// Main is the command as cmd/hpcbridge runs it (by a link named squeue or
// "hpcbridge squeue"); it reads the options into an options struct and
// runs the command over the coordinator's client (slurm.Deps), so tests
// run it in-process.
package squeue
