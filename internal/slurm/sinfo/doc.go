// Package sinfo is hpcbridge's sinfo: partitions and nodes in Slurm's layouts (-N, -l, -s, -R, -o, -O, --json).
//
// Main is the command as cmd/hpcbridge runs it (by a link named sinfo or
// "hpcbridge sinfo"); it reads the options into an options struct and
// runs the command over the coordinator's client (slurm.Deps), so tests
// run it in-process.
package sinfo
