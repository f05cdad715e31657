package archive

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

func parse(t *testing.T, script string) *state.Submission {
	t.Helper()
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
	if spec == nil {
		t.Fatalf("parse: %v", diags)
	}
	return &state.Submission{Script: []byte(script), ScriptName: "job.sh", Cwd: "/home/ada/run", SubmitHost: "login1", Spec: spec}
}

func TestSweep(t *testing.T) {
	store := state.New()
	var idx uint64
	apply := func(ct state.CommandType, payload any) {
		t.Helper()
		cmd, err := state.Encode(ct, payload)
		if err != nil {
			t.Fatal(err)
		}
		idx++
		if res := store.Apply(idx, cmd); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for range 3 {
		sub := parse(t, "#!/bin/sh\ntrue\n")
		apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: now.Add(-50 * time.Hour), User: "ada", Submission: sub, DefaultPartition: "debug", Job: fromspec.MustRecord(sub.Spec, "debug")})
	}
	for id := uint64(1); id <= 3; id++ {
		apply(state.CmdJobStart, state.JobStartCmd{Time: now.Add(-49 * time.Hour), JobID: id, Task: state.NoTask})
	}
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: now.Add(-48 * time.Hour), JobID: 1, State: state.StateCompleted}) // old
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: now.Add(-time.Hour), JobID: 2, State: state.StateFailed})         // recent
	// Job 3 still runs; job 9 is unknown to the store; "notes" is no copy.

	o := &Outputs{Dir: t.TempDir(), Retention: 24 * time.Hour}
	for _, name := range []string{"1", "2", "3", "9", "notes"} {
		if err := os.MkdirAll(filepath.Join(o.Dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(o.Dir, name, Stdout), []byte("out "+name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := o.Sweep(store.View(), now)
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2 removed", n, err)
	}
	entries, _ := os.ReadDir(o.Dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{"2", "3", "notes"}) {
		t.Errorf("left %v, want the recent, the running and the non-copy", left)
	}

	// Asking for a swept job's output says why there is none.
	err = o.WriteOutput(t.Context(), store.View().Job(1), Stdout, false, io.Discard)
	if !errors.Is(err, apiserver.ErrNoOutput) {
		t.Errorf("output of a job past the retention: %v", err)
	}

	// Retention 0 keeps everything.
	o.Retention = 0
	if n, err := o.Sweep(store.View(), now.Add(1000*time.Hour)); n != 0 || err != nil {
		t.Errorf("Sweep without retention = %d, %v", n, err)
	}
}
