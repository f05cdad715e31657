// Package archive is the coordinator's copy of job output, kept on every
// server (DATA_DIR/outputs/<jobid>/{stdout,stderr}) so `hpcbridge output`
// works after Nomad has collected a job's allocation and on whichever
// server leads. The leader's executor copies a run's logs before it
// reports the end (Outputs.Archive, through nomadexec.Archiver); every
// server mirrors the copies of jobs that ended (Outputs.Mirror) and sweeps
// those past the retention (Outputs.Sweep); Outputs.WriteOutput serves the
// API's output route, from the copy or, while the job runs, from Nomad.
package archive
