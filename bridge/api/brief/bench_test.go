package brief

import (
	"io"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// benchJobs are n pending jobs as sbatch job.sh leaves them.
func benchJobs(n int) []*state.Job {
	name := "job.sh"
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	jobs := make([]*state.Job, n)
	for i := range jobs {
		jobs[i] = &state.Job{ID: uint64(i + 1), ArrayTaskID: state.NoTask, Name: name, User: "alice", Partition: "debug",
			State: state.StatePending, Reason: state.ReasonHeldUser, Hold: state.HoldUser, SubmitTime: now.Add(time.Duration(i) * time.Millisecond),
			CreateIndex: uint64(i + 10), ModifyIndex: uint64(i + 10),
			Submission: &state.Submission{ScriptName: name, Cwd: "/home/alice", Script: []byte("#!/bin/sh\ntrue\n"),
				Spec: &jobspec.Spec{JobName: &name, Hold: true}}}
	}
	return jobs
}

// BenchmarkBrief100k encodes and decodes the brief view of 100,000 jobs.
func BenchmarkBrief100k(b *testing.B) {
	jobs := benchJobs(100000)
	packed := encodeBrief(jobs)
	b.Run("encode", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e := NewEncoder(io.Discard)
			for _, j := range jobs {
				e.Encode(j, j.Submission)
			}
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(jobs))*float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
	b.Run("decode", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := Decode(packed); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(jobs))*float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
}
