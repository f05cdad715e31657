// Package scancel is hpcbridge's scancel: cancel or signal jobs by reference or by filter, -i confirmation.
//
// Main is the command as cmd/hpcbridge runs it (by a link named scancel or
// "hpcbridge scancel"); it reads the options into an options struct and
// runs the command over the coordinator's client (slurm.Deps), so tests
// run it in-process.
package scancel
