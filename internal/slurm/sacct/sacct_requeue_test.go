package sacct

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// requeueBase is the day of the requeue scenario: its jobs were submitted
// at 17:00:00, hours before scenarioNow.
var requeueBase = time.Date(2026, 11, 21, 17, 0, 0, 0, time.UTC)

// requeueJobs builds, through the coordinator's state machine, jobs that
// were requeued (all submitted at 17:00:00 by root, started at 17:00:05):
//
//	6793 -J lost:  node n1 lost at 17:10:00 (NODE_FAIL, requeued); second
//	               run on n2 17:12:03-17:20:00, COMPLETED
//	6794 -J again: scontrol requeue at 17:05:00 while it ran on n1; pending
//	6795 -J redo:  FAILED 3 on n1 at 17:01:00, scontrol requeue at 17:30:00,
//	               running on n2 since 17:32:01
//	6796 -J plain: COMPLETED on n1 at 17:01:00, never requeued
func requeueJobs(t *testing.T) []*state.Job {
	t.Helper()
	s := state.New()
	var idx uint64
	apply := func(ct state.CommandType, payload any) *state.Result {
		t.Helper()
		b, err := state.Encode(ct, payload)
		if err != nil {
			t.Fatal(err)
		}
		idx++
		res := s.Apply(idx, b)
		if res.Err != nil {
			t.Fatalf("command %d: %v", ct, res.Err)
		}
		return res
	}
	at := func(hms string) time.Time {
		d, err := time.Parse("15:04:05", hms)
		if err != nil {
			t.Fatal(err)
		}
		return requeueBase.Add(time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute + time.Duration(d.Second())*time.Second)
	}
	apply(state.CmdSetMeta, state.SetMetaCmd{Key: state.MetaNextJobID, Value: "6793"})
	var ids []uint64
	for _, name := range []string{"lost", "again", "redo", "plain"} {
		sub := slurmtest.Submitted(t, "/tmp", "", "", []string{"-J", name, "--mem=100", "--wrap", "sleep 600"})
		res := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: requeueBase, User: "root", Submission: sub, DefaultPartition: "debug", Job: fromspec.MustRecord(sub.Spec, "debug")})
		ids = append(ids, res.Value.(state.JobSubmitResult).JobID)
	}
	run := func(id uint64, start, node string) {
		apply(state.CmdJobStart, state.JobStartCmd{Time: at(start), JobID: id, Task: state.NoTask})
		apply(state.CmdJobPlaced, state.JobPlacedCmd{Time: at(start), JobID: id, NodeList: node})
	}
	finish := func(id uint64, end string, st state.JobState, code int) {
		apply(state.CmdJobFinish, state.JobFinishCmd{Time: at(end), JobID: id, State: st, ExitCode: code})
	}
	requeue := func(id uint64, when string) {
		apply(state.CmdJobRequeue, state.JobRequeueCmd{Time: at(when), By: state.Actor{User: "root"}, Refs: []state.JobRef{{JobID: id, Task: state.AllTasks}}})
	}
	lost, again, redo, plain := ids[0], ids[1], ids[2], ids[3]
	for _, id := range ids {
		run(id, "00:00:05", "n1")
	}
	finish(lost, "00:10:00", state.StateNodeFail, 0)
	run(lost, "00:12:03", "n2")
	finish(lost, "00:20:00", state.StateCompleted, 0)
	requeue(again, "00:05:00")
	finish(redo, "00:01:00", state.StateFailed, 3)
	requeue(redo, "00:30:00")
	run(redo, "00:32:01", "n2")
	finish(plain, "00:01:00", state.StateCompleted, 0)

	var out []*state.Job
	s.View().EachJob(func(j *state.Job) bool {
		out = append(out, j)
		return true
	})
	return out
}

// TestSacctDuplicates renders requeued jobs. The oracle has no accounting
// storage; the goldens follow Slurm 22.05's slurmctld, slurmdbd and sacct
// (see testdata/README.md): each run is a record of its own, the earlier
// ones ended NODE_FAIL or REQUEUED at the requeue, the later ones submitted
// at the requeue; -D lists them all, in submit order; without -D only a
// job's latest record that matches the selection.
func TestSacctDuplicates(t *testing.T) {
	jobs := "6793,6794,6795,6796"
	times := "jobid,state,exitcode,submit,start,end,elapsed,nodelist"
	cases := []struct {
		golden string
		args   []string
	}{
		{"duplicates", []string{"-D", "-j", jobs}},
		{"duplicates-latest", []string{"-j", jobs}},
		{"duplicates-times", []string{"-D", "-P", "-j", jobs, "-o", times}},
		{"duplicates-allocations", []string{"-D", "-X", "-P", "-j", jobs, "-o", times}},
		// A window that ends before the second run of 6793 was queued:
		// its first run is then its latest record.
		{"duplicates-window", []string{"-a", "-S", "17:00", "-E", "17:08", "-X", "-o", "jobid,state,submit,end"}},
		// A state matches a job's earlier runs too.
		{"duplicates-state", []string{"-a", "-s", "NF,RQ", "-S", "17:00", "-E", "18:00", "-o", "jobid,state,exitcode,end"}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: requeueJobs(t)}
			code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sacct"}, c.args...)...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			slurmtest.Golden(t, "sacct/"+c.golden+".golden", out)
		})
	}
}

func TestSacctDuplicatesJSON(t *testing.T) {
	type step struct {
		Step     struct{ ID string } `json:"step"`
		State    string              `json:"state"`
		ExitCode struct {
			ReturnCode int `json:"return_code"`
		} `json:"exit_code"`
		Time struct{ Start, End int64 } `json:"time"`
	}
	type job struct {
		JobID    uint64 `json:"job_id"`
		Nodes    string `json:"nodes"`
		ExitCode struct {
			ReturnCode int `json:"return_code"`
		} `json:"exit_code"`
		State struct{ Current string }               `json:"state"`
		Time  struct{ Submission, Start, End int64 } `json:"time"`
		Steps []step                                 `json:"steps"`
	}
	read := func(args ...string) []job {
		t.Helper()
		f := &slurmtest.FakeClient{Jobs: requeueJobs(t)}
		code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sacct", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var doc struct{ Jobs []job }
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Jobs
	}
	clock := func(hms string) int64 {
		d, _ := time.Parse("15:04:05", hms)
		return time.Date(2026, 11, 21, d.Hour(), d.Minute(), d.Second(), 0, time.UTC).Unix()
	}
	// One object per record: the run 6795 failed (its batch step FAILED
	// then) and requeued half an hour later, then the current run.
	got := read("-D", "-j", "6795")
	if len(got) != 2 {
		t.Fatalf("%d records, want 2: %+v", len(got), got)
	}
	first, cur := got[0], got[1]
	if first.JobID != 6795 || first.State.Current != "REQUEUED" || first.ExitCode.ReturnCode != 3 || first.Nodes != "n1" ||
		first.Time.Submission != clock("17:00:00") || first.Time.Start != clock("17:00:05") || first.Time.End != clock("17:30:00") {
		t.Errorf("first run = %+v", first)
	}
	if len(first.Steps) != 1 || first.Steps[0].State != "FAILED" || first.Steps[0].ExitCode.ReturnCode != 3 || first.Steps[0].Time.End != clock("17:01:00") {
		t.Errorf("first run's steps = %+v", first.Steps)
	}
	if cur.JobID != 6795 || cur.State.Current != "RUNNING" || cur.Nodes != "n2" || cur.Time.Submission != clock("17:30:00") || cur.Time.Start != clock("17:32:01") ||
		len(cur.Steps) != 1 || cur.Steps[0].State != "RUNNING" {
		t.Errorf("current run = %+v", cur)
	}
	// Without -D only the latest.
	if got := read("-j", "6795"); len(got) != 1 || got[0].State.Current != "RUNNING" {
		t.Errorf("without -D: %+v", got)
	}
	// The run a lost node ended, and the pending job requeued while it ran.
	got = read("-D", "-j", "6793,6794")
	var states []string
	for _, j := range got {
		s := strconv.FormatUint(j.JobID, 10) + ":" + j.State.Current
		for _, st := range j.Steps {
			s += "/" + st.Step.ID + ":" + st.State
		}
		states = append(states, s)
	}
	// In submit order, as sacct sorts: the second run of 6793 was queued
	// at 17:10, after 6794 was requeued.
	want := []string{"6793:NODE_FAIL/batch:FAILED", "6794:REQUEUED/batch:CANCELLED", "6794:PENDING", "6793:COMPLETED/batch:COMPLETED"}
	if len(states) != len(want) {
		t.Fatalf("records %v, want %v", states, want)
	}
	for i := range want {
		if states[i] != want[i] {
			t.Errorf("records %v, want %v", states, want)
			break
		}
	}
}
