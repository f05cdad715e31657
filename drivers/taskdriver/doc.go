// Package taskdriver is the hpcbridge Nomad task driver: it runs one Slurm
// batch job per Nomad task the way slurmd and slurmstepd run it on a Slurm
// node. Jobs use `driver = "hpcbridge"`; the plugin binary is
// hpcbridge-driver (cmd/hpcbridge-driver), configured by the agent's
// `plugin "hpcbridge-driver"` block. docs/driver.md is the contract with
// the coordinator and the operator's guide.
//
// One binary plays these parts:
//
//   - the plugin (Driver), serving Nomad over go-plugin;
//   - Nomad's executor (drivers/shared/executor), which puts the task in its
//     cgroups and process group and survives plugin and client restarts;
//   - stepd (package stepd), which the executor starts as root: it opens
//     the Slurm output files as the run-as user, runs the script as that
//     user, tees its output into the files and Nomad's logs, and carries
//     out signals and stops with Slurm's scopes;
//   - srun (package srun), linked into the job's PATH, which runs job
//     steps on the job's node;
//   - `hpcbridge checkpoint` (package checkpoint), linked into the job's
//     PATH as hpcbridge, and the checkpoint file helper, which scans and
//     restores a job's files as the job's user (checkpoint.go, staging.go).
//
// The driver talks to stepd through files in the task directory (package
// jobdir) and a wake-up signal sent through the executor, so that a
// restarted plugin reaches a running job the same way.
package taskdriver
