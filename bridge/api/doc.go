// Package api is the hpcbridge API's wire types and Go client, used by the
// Slurm commands (sbatch, squeue, scancel, sacct, scontrol, sinfo) and the
// operator commands.
//
// DefaultConfig reads the address from HPCBRIDGE_ADDR (DefaultAddress when
// unset) and the token from HPCBRIDGE_TOKEN or the token file (TokenFile),
// so a command on a machine running `hpcbridge dev` needs no setup:
//
//	c, err := api.NewClient(api.DefaultConfig())
//	if err != nil { ... }
//	resp, err := c.Submit(ctx, &api.SubmitRequest{Script: script, ScriptName: "job.sh", Args: opts, Cwd: cwd})
//	if api.IsCode(err, api.CodeInvalidScript) { ... print err.(*api.Error).Diagnostics ... }
//	jobs, meta, err := c.Jobs(ctx, &api.JobsQuery{Users: []string{"alice"}})
//
// Jobs travel as the replicated record itself, state.Job; lists leave out
// the batch script and environment unless asked (JobsQuery.Script,
// Client.JobScript). Client.JobsBrief reads the brief view squeue uses:
// the same records with only the part of each submission squeue prints,
// packed (package brief) so that 100,000 jobs cost tens of milliseconds
// to send and read. Job refs are Slurm's: 123, 123_7 and 123_[1-3,5]
// (ParseJobRefs). Every failed call returns an *Error with the HTTP
// status, a Code constant, a message and, for rejected scripts and job
// actions, the individual problems.
//
// Subpackage wire holds the part of the client that needs neither
// net/http nor encoding/gob: settings from the environment, TLS, the
// submit request and reply, error codes, and one POST on its own
// connection. This package builds on it; cmd/sbatch, which starts once
// per job, uses it alone. Subpackage brief is the packed codec of the
// brief view, which the server writes and Client.JobsBrief reads.
package api
