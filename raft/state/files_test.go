package state

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func digestOf(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

// stagedJob submits a staged job of alice's (JobSubmit 3 with StagedInput).
func stagedJob(t *testing.T, s *Store, idx *uint64) uint64 {
	t.Helper()
	sub := submission(t, "#!/bin/sh\ntrue\n")
	rec := record(t, sub.Spec, "debug")
	rec.StagedInput = digestOf('a')
	res := mustApply(t, s, idx, CmdJobSubmit, JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "debug", Submission: sub, Job: rec})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res.Value.(JobSubmitResult).JobID
}

func runToken(id uint64, run int, name string) RunTokenCmd {
	return RunTokenCmd{Token: ACLToken{AccessorID: name, SecretHash: "hash-" + name, Name: "run", Type: TokenRun, User: "alice", JobID: id, Run: run, CreateTime: t0}}
}

// A run token exists only while its run does: minted for a running run
// only, ended by the cancel that ends the run in Slurm (usable for a
// grace), deleted once the executor saw the run end; a requeue ends it and
// the next run's start deletes it.
func TestRunTokenLifecycle(t *testing.T) {
	s, idx := New(), uint64(0)
	id := stagedJob(t, s, &idx)
	if j := s.View().Job(id); j.Files == nil || j.Files.Input != digestOf('a') {
		t.Fatalf("files after submit: %+v", j.Files)
	}
	// Not running: refused.
	if res := mustApply(t, s, &idx, CmdRunToken, runToken(id, 0, "t0")); !errors.Is(res.Err, ErrState) {
		t.Fatalf("token for a pending job: %v", res.Err)
	}
	mustApply(t, s, &idx, CmdJobStart, JobStartCmd{Time: t0, JobID: id, Task: NoTask})
	if res := mustApply(t, s, &idx, CmdRunToken, runToken(id, 1, "t1")); !errors.Is(res.Err, ErrState) {
		t.Fatalf("token for another run: %v", res.Err)
	}
	if res := mustApply(t, s, &idx, CmdRunToken, runToken(id, 0, "t0")); res.Err != nil {
		t.Fatal(res.Err)
	}
	tok := s.View().Token("t0")
	if tok == nil || !tok.Usable(t0.Add(time.Hour)) {
		t.Fatalf("token after mint: %+v", tok)
	}
	// Outputs of the current run are taken.
	if res := mustApply(t, s, &idx, CmdJobFiles, JobFilesCmd{Time: t0, JobID: id, Run: 1, Output: digestOf('b')}); !errors.Is(res.Err, ErrState) {
		t.Fatalf("outputs of another run: %v", res.Err)
	}
	if res := mustApply(t, s, &idx, CmdJobFiles, JobFilesCmd{Time: t0, JobID: id, Run: 0, Output: digestOf('b')}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if f := s.View().Job(id).Files; f.Output != digestOf('b') || f.Input != digestOf('a') {
		t.Fatalf("files: %+v", f)
	}
	// Requeue ends the token (grace), the next start deletes it.
	end := t0.Add(time.Minute)
	mustApply(t, s, &idx, CmdJobRequeue, JobRequeueCmd{Time: end, By: Actor{User: "alice"}, Refs: []JobRef{{JobID: id, Task: AllTasks}}})
	tok = s.View().Token("t0")
	if tok == nil || !tok.Ended.Equal(end) || !tok.Usable(end.Add(RunTokenGrace-time.Second)) || tok.Usable(end.Add(RunTokenGrace)) {
		t.Fatalf("token after requeue: %+v", tok)
	}
	mustApply(t, s, &idx, CmdJobStart, JobStartCmd{Time: end, JobID: id, Task: NoTask})
	if s.View().Token("t0") != nil {
		t.Fatal("the first run's token outlived the second run's start")
	}
	if res := mustApply(t, s, &idx, CmdRunToken, runToken(id, 1, "t1")); res.Err != nil {
		t.Fatal(res.Err)
	}
	// Cancel ends it, the run's Nomad end deletes it.
	mustApply(t, s, &idx, CmdJobCancel, JobCancelCmd{Time: end, By: Actor{User: "alice"}, Refs: []JobRef{{JobID: id, Task: AllTasks}}})
	if tok := s.View().Token("t1"); tok == nil || tok.Ended.IsZero() {
		t.Fatalf("token after cancel: %+v", tok)
	}
	mustApply(t, s, &idx, CmdJobFinish, JobFinishCmd{Time: end, JobID: id, State: StateCompleted})
	if len(s.View().RunTokens(id)) != 0 || s.View().Token("t1") != nil {
		t.Fatal("run token left after the run's end")
	}
	// Snapshot and restore keep files and tokens.
	mustApply(t, s, &idx, CmdJobSubmit, JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "debug", Submission: submission(t, "#!/bin/sh\n")})
	var buf bytes.Buffer
	if err := s.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	r := New()
	if err := r.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if f := r.View().Job(id).Files; f == nil || f.Output != digestOf('b') {
		t.Fatalf("files after restore: %+v", f)
	}
}

// A JobSubmit 2 entry (an old log) that somehow carries staged_input
// replays as it did: no files.
func TestSubmitV2IgnoresStagedInput(t *testing.T) {
	s, idx := New(), uint64(0)
	sub := submission(t, "#!/bin/sh\n")
	rec := record(t, sub.Spec, "debug")
	rec.StagedInput = digestOf('a')
	res := applyVersion(t, s, &idx, CmdJobSubmit, 2, JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "debug", Submission: sub, Job: rec})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if j := s.View().Job(res.Value.(JobSubmitResult).JobID); j.Files != nil {
		t.Fatalf("JobSubmit 2 made files %+v", j.Files)
	}
}

func TestFilesCommandsValidate(t *testing.T) {
	if _, err := Encode(CmdJobFiles, JobFilesCmd{JobID: 1, Output: "sha256:XYZ"}); err == nil {
		t.Error("JobFiles with a bad digest encoded")
	}
	bad := runToken(1, 0, "x")
	bad.Token.Type = TokenClient
	if _, err := Encode(CmdRunToken, bad); err == nil {
		t.Error("RunToken of type client encoded")
	}
}

// A run whose Nomad end is never reported (the executor stopped the
// cancelled run itself) loses its token once the grace has passed, at the
// next submit or start.
func TestRunTokenSwept(t *testing.T) {
	s, idx := New(), uint64(0)
	id := stagedJob(t, s, &idx)
	mustApply(t, s, &idx, CmdJobStart, JobStartCmd{Time: t0, JobID: id, Task: NoTask})
	if res := mustApply(t, s, &idx, CmdRunToken, runToken(id, 0, "t0")); res.Err != nil {
		t.Fatal(res.Err)
	}
	mustApply(t, s, &idx, CmdJobCancel, JobCancelCmd{Time: t0, By: Actor{User: "alice"}, Refs: []JobRef{{JobID: id, Task: AllTasks}}})
	submit := func(at time.Time) {
		t.Helper()
		sub := submission(t, "#!/bin/sh\n")
		if res := mustApply(t, s, &idx, CmdJobSubmit, JobSubmitCmd{Time: at, User: "alice", DefaultPartition: "debug", Submission: sub}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	submit(t0.Add(RunTokenGrace - time.Second))
	if s.View().Token("t0") == nil {
		t.Fatal("token swept within its grace")
	}
	submit(t0.Add(RunTokenGrace))
	if s.View().Token("t0") != nil {
		t.Fatal("token of a run ended a grace ago not swept")
	}
}
