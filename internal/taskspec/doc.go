// Package taskspec is the contract between the coordinator's Nomad executor
// (bridge/nomadexec), which writes a job's Nomad task, and the hpcbridge
// task driver (drivers/taskdriver), which runs it: the task's config block
// (Config) and the job-level Slurm environment (JobEnv). Node-level
// variables (the node's name, the task's CPUs, uid, start time, ...) are
// the driver's (drivers/taskdriver/env.go). docs/driver.md describes both.
//
// It imports the standard library only: neither Nomad's API nor its plugin
// SDK.
package taskspec
