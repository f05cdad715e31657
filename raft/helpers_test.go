package raft

import (
	"bytes"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// submitCmd builds the log entry of a small sbatch submission.
func submitCmd(tb testing.TB, user string) []byte {
	tb.Helper()
	script := []byte("#!/bin/sh\ntrue\n")
	spec, diags := jobspec.Parse(jobspec.Input{File: "j.sh", Script: script, Now: t0})
	if spec == nil {
		tb.Fatal(diags.Render())
	}
	cmd, err := state.Encode(state.CmdJobSubmit, state.JobSubmitCmd{
		Time:             t0,
		User:             user,
		DefaultPartition: "debug",
		Submission:       &state.Submission{Script: script, ScriptName: "j.sh", Cwd: "/home/" + user, Spec: spec},
		Job:              fromspec.MustRecord(spec, "debug"),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cmd
}

// persist is a store's snapshot bytes: equal bytes, equal state.
func persist(tb testing.TB, s *state.Store) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := s.Snapshot().Persist(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// submitN applies n submissions through the cluster's leader and returns
// the last entry's index.
func submitN(tb testing.TB, c *TestCluster, n int) uint64 {
	tb.Helper()
	var idx uint64
	for range n {
		res, i := c.Apply(submitCmd(tb, "alice"))
		if res.Err != nil {
			tb.Fatal(res.Err)
		}
		idx = i
	}
	return idx
}

// assertSameState checks that every running server's store equals want
// (or the first running server's, when want is nil).
func assertSameState(tb testing.TB, c *TestCluster, want []byte) {
	tb.Helper()
	for i := range c.Len() {
		if c.Node(i) == nil {
			continue
		}
		got := persist(tb, c.Store(i))
		if want == nil {
			want = got
			continue
		}
		if !bytes.Equal(got, want) {
			tb.Errorf("server %d: state differs (%d bytes, want %d)", i, len(got), len(want))
		}
	}
}

// jobCount counts the jobs in a store.
func jobCount(s *state.Store) int {
	n := 0
	s.View().EachJob(func(*state.Job) bool { n++; return true })
	return n
}
