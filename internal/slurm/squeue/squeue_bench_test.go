package squeue

import (
	"bufio"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"io"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// BenchmarkFormatSqueue100k formats a queue of 100,000 pending jobs with
// squeue's default columns and sort, as squeue writes them to its
// standard output (the client-side share of squeue's latency, after the
// list is read).
func BenchmarkFormatSqueue100k(b *testing.B) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	name := "job.sh"
	jobs := make([]*state.Job, 100000)
	for i := range jobs {
		jobs[i] = &state.Job{ID: uint64(i + 1), ArrayTaskID: state.NoTask, Name: name, User: "alice", Partition: "debug",
			State: state.StatePending, Reason: state.ReasonPriority, SubmitTime: now,
			Submission: &state.Submission{ScriptName: name, Cwd: "/home/alice", Spec: &jobspec.Spec{JobName: &name}}}
	}
	opts := squeueOptions{Locale: slurm.Locale{Now: now, Loc: time.UTC}, NoHeader: true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := bufio.NewWriterSize(io.Discard, 64<<10)
		writeSqueue(w, jobs, opts, now, func(bad []string) {
			if len(bad) > 0 {
				b.Fatal(bad)
			}
		})
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(jobs))*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
