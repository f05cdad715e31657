// Package scontrol is hpcbridge's scontrol: show job/partition/node/config, hold, release, requeue, update, and the interactive mode.
//
// Main is the command as cmd/hpcbridge runs it (by a link named scontrol or
// "hpcbridge scontrol"); it reads the options into an options struct and
// runs the command over the coordinator's client (slurm.Deps), so tests
// run it in-process.
package scontrol
