package main

import (
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// BenchmarkFormatSqueue100k formats a queue of 100,000 pending jobs with
// squeue's default columns (the client-side share of squeue's latency).
func BenchmarkFormatSqueue100k(b *testing.B) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	name := "job.sh"
	jobs := make([]*state.Job, 100000)
	for i := range jobs {
		jobs[i] = &state.Job{ID: uint64(i + 1), ArrayTaskID: state.NoTask, Name: name, User: "alice", Partition: "debug",
			State: state.StatePending, Reason: state.ReasonPriority, SubmitTime: now,
			Submission: &state.Submission{ScriptName: name, Cwd: "/home/alice", Spec: &jobspec.Spec{JobName: &name}}}
	}
	opts := squeueOptions{Now: now, Loc: time.UTC, NoHeader: true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, errs := formatSqueue(jobs, opts, now)
		if len(errs) > 0 || len(out) == 0 {
			b.Fatal(errs)
		}
	}
	b.ReportMetric(float64(len(jobs))*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
