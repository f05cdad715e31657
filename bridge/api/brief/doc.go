// Package brief is the packed form of the brief view of a job list (GET
// /v1/jobs?view=brief, api.ViewBrief): the codec the server writes
// (Encoder) and the Go client reads (Read, Decode).
//
// The brief view is what a queue listing shows, for 100,000 jobs in well
// under a second: every field of the job record but Runs (a requeued
// job's earlier runs, which only sacct -D prints, from the full records)
// and GPU (the run's GPU accounting, which only sacct prints), and Steps
// and StepsDropped (srun steps, which only sacct prints),
// and of its submission only what squeue prints (no script, environment
// or options as typed, and of the spec only the fields Submission keeps).
// JSON clients get the usual job records with the other fields left out;
// Go clients ask for the packed form (ContentType), a compact binary
// encoding that costs a small part of gob's time to write and read. A
// brief list comes in pages of api.MaxBriefPerPage jobs unless the query
// sets a smaller per_page; api.Client.JobsBrief follows them.
package brief
