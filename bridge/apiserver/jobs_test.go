package apiserver_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

func TestSubmitAndShow(t *testing.T) {
	f := newFixture(t)
	resp, err := f.alice.Submit(f.ctx, &api.SubmitRequest{
		Script:     []byte("#!/bin/bash\n#SBATCH -J train -t 90 -p gpu\necho\n#SBATCH --time=5\n"),
		ScriptName: "train.sh",
		Args:       []string{"--nice=10"},
		ScriptArgs: []string{"a1"},
		Env:        []string{"SECRET=1", "SBATCH_ACCOUNT=chem"},
		Cwd:        "/home/alice",
		SubmitHost: "login1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Warnings) == 0 {
		t.Errorf("no warning for the ignored directive: %+v", resp)
	}
	j, meta, err := f.alice.Job(f.ctx, fmt.Sprint(resp.JobID), nil)
	if err != nil {
		t.Fatal(err)
	}
	if meta.LastIndex < resp.Index {
		t.Errorf("read index %d < commit index %d", meta.LastIndex, resp.Index)
	}
	want := state.Job{ID: resp.JobID, Name: "train", User: "alice", Account: "chem", Partition: "gpu", Nice: 10, TimeLimitMin: 90, State: state.StatePending}
	if j.ID != want.ID || j.Name != want.Name || j.User != want.User || j.Account != want.Account ||
		j.Partition != want.Partition || j.Nice != want.Nice || j.TimeLimitMin != want.TimeLimitMin ||
		j.State != want.State || !j.SubmitTime.Equal(t0) {
		t.Fatalf("job = %+v", j)
	}
	sub := j.Submission
	if sub == nil || sub.Cwd != "/home/alice" || sub.SubmitHost != "login1" || sub.Script != nil || sub.Env != nil || sub.Spec == nil {
		t.Fatalf("submission without script = %+v", sub)
	}
	// The owner may read the script and environment; bob may not.
	full, err := f.alice.JobScript(f.ctx, fmt.Sprint(resp.JobID))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(full.Submission.Script), "train") || !slices.Contains(full.Submission.Env, "SECRET=1") {
		t.Fatalf("owner's view = %+v", full.Submission)
	}
	other, err := f.bob.JobScript(f.ctx, fmt.Sprint(resp.JobID))
	if err != nil {
		t.Fatal(err)
	}
	if other.Submission.Script != nil || other.Submission.Env != nil {
		t.Fatal("bob sees alice's script")
	}
	_, _, err = f.alice.Job(f.ctx, "999", nil)
	wantCode(t, err, api.CodeNotFound)
	_, _, err = f.alice.Job(f.ctx, "12x", nil)
	wantCode(t, err, api.CodeInvalidRequest)
}

func TestSubmitRejected(t *testing.T) {
	f := newFixture(t)
	ok := f.submit(t, f.alice, hello)
	for _, c := range []struct {
		name string
		c    *api.Client
		req  api.SubmitRequest
		code string
		msg  string
	}{
		{"bad option", f.alice, api.SubmitRequest{Script: []byte("#!/bin/sh\n#SBATCH --partiton=gpu\n"), Cwd: "/"}, api.CodeInvalidScript, "partiton"},
		{"no shebang", f.alice, api.SubmitRequest{Script: []byte("echo hi\n"), Cwd: "/"}, api.CodeInvalidScript, ""},
		{"bad partition", f.alice, api.SubmitRequest{Script: []byte(hello), Args: []string{"-p", "nope"}, Cwd: "/"}, api.CodeInvalidRequest, "invalid partition"},
		{"missing dependency", f.alice, api.SubmitRequest{Script: []byte(hello), Args: []string{fmt.Sprintf("--dependency=afterok:%d:999", ok)}, Cwd: "/"}, api.CodeInvalidRequest, "999"},
		{"missing task dependency", f.alice, api.SubmitRequest{Script: []byte(hello), Args: []string{"-d", fmt.Sprintf("afterok:%d_3", ok)}, Cwd: "/"}, api.CodeInvalidRequest, "dependency"},
		{"foreign account", f.alice, api.SubmitRequest{Script: []byte(hello), Args: []string{"-A", "bio"}, Cwd: "/"}, api.CodePermissionDenied, "bio"},
		{"as another user", f.alice, api.SubmitRequest{Script: []byte(hello), User: "bob", Cwd: "/"}, api.CodePermissionDenied, ""},
		{"relative cwd", f.alice, api.SubmitRequest{Script: []byte(hello), Cwd: "home"}, api.CodeInvalidRequest, "cwd"},
		{"bad time zone", f.alice, api.SubmitRequest{Script: []byte(hello), Cwd: "/", TimeZone: "Mars/Olympus"}, api.CodeInvalidRequest, "time zone"},
		{"script too large", f.alice, api.SubmitRequest{Script: make([]byte, api.MaxScriptBytes+1), Cwd: "/"}, api.CodeTooLarge, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.c.Submit(f.ctx, &c.req)
			e := wantCode(t, err, c.code)
			if !strings.Contains(e.Error(), c.msg) {
				t.Errorf("error %q does not mention %q", e.Error(), c.msg)
			}
			if c.code == api.CodeInvalidScript && len(e.Diagnostics) == 0 {
				t.Error("no diagnostics")
			}
		})
	}
	// A dependency on a job that exists is fine; management submits as anyone.
	resp, err := f.mgmt.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), User: "carol", Args: []string{fmt.Sprintf("--dependency=afterok:%d", ok)}, Cwd: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if j := f.srv.Store.View().Job(resp.JobID); j.User != "carol" || j.Dependency == "" {
		t.Fatalf("job = %+v", j)
	}
	// --test-only validates without submitting.
	resp, err = f.alice.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), Args: []string{"--test-only"}, Cwd: "/"})
	if err != nil || !resp.TestOnly || resp.JobID != 0 {
		t.Fatalf("test-only: %+v %v", resp, err)
	}
}

func TestSubmitTimeZone(t *testing.T) {
	f := newFixture(t)
	resp, err := f.alice.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), Args: []string{"--begin=16:00"}, Cwd: "/", TimeZone: "+02:00"})
	if err != nil {
		t.Fatal(err)
	}
	j := f.srv.Store.View().Job(resp.JobID)
	if want := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC); !j.Begin.Equal(want) {
		t.Fatalf("begin = %v, want %v", j.Begin, want)
	}
}

func TestListFilters(t *testing.T) {
	f := newFixture(t)
	a1 := f.submit(t, f.alice, hello)
	a2 := f.submit(t, f.alice, hello, "-p", "gpu", "-J", "train")
	b1 := f.submit(t, f.bob, hello)
	arr := f.submit(t, f.alice, hello, "--array=0-4")
	task0 := f.start(t, arr, 0)
	f.apply(t, state.CmdJobFinish, state.JobFinishCmd{Time: t0.Add(time.Hour), JobID: task0, State: state.StateCompleted})
	f.start(t, arr, 1)
	cancelled := f.submit(t, f.bob, hello)
	if _, err := f.bob.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(cancelled)}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    api.JobsQuery
		want string
	}{
		{"default", api.JobsQuery{}, "1 2 3 4_[2-4] 4_1"},
		{"history", api.JobsQuery{History: true}, "1 2 3 4_[2-4] 4_0 4_1 7"},
		{"all states", api.JobsQuery{States: []string{"all"}}, "1 2 3 4_[2-4] 4_0 4_1 7"},
		{"user", api.JobsQuery{Users: []string{"bob"}}, "3"},
		{"users", api.JobsQuery{Users: []string{"bob,alice"}}, "1 2 3 4_[2-4] 4_1"},
		{"partition", api.JobsQuery{Partitions: []string{"gpu"}}, "2"},
		{"name", api.JobsQuery{Names: []string{"train"}}, "2"},
		{"account", api.JobsQuery{Accounts: []string{"physics"}}, "1 2 4_[2-4] 4_1"},
		{"state short", api.JobsQuery{States: []string{"R"}}, "4_1"},
		{"states", api.JobsQuery{States: []string{"pending", "CD"}}, "1 2 3 4_[2-4] 4_0"},
		{"cancelled", api.JobsQuery{States: []string{"CA"}}, "7"},
		{"refs", api.JobsQuery{Jobs: []string{fmt.Sprintf("%d,%d", a1, b1)}}, "1 3"},
		{"array ref", api.JobsQuery{Jobs: []string{fmt.Sprint(arr)}}, "4_[2-4] 4_1"},
		{"task refs", api.JobsQuery{Jobs: []string{fmt.Sprintf("%d_[1-3]", arr)}}, "4_2 4_3 4_1"},
		{"expand", api.JobsQuery{ExpandArrays: true, Users: []string{"alice"}}, "1 2 4_2 4_3 4_4 4_1"},
		// 4_0 ended at t0+1h and 7 at t0: both before the window.
		{"window", api.JobsQuery{History: true, Start: t0.Add(2 * time.Hour)}, "1 2 3 4_[2-4] 4_1"},
		{"window end", api.JobsQuery{History: true, Start: t0.Add(30 * time.Minute), End: t0}, "1 2 3 4_[2-4] 4_0 4_1"},
		{"window before", api.JobsQuery{History: true, End: t0.Add(-time.Hour)}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			jobs, _, err := f.alice.Jobs(f.ctx, &c.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(jobs); got != c.want {
				t.Errorf("jobs = %q, want %q", got, c.want)
			}
		})
	}
	_ = a2
	// Accounting always includes finished jobs.
	jobs, _, err := f.bob.Accounting(f.ctx, &api.JobsQuery{Users: []string{"bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(jobs); got != "3 7" {
		t.Errorf("accounting = %q", got)
	}
	for _, bad := range []api.JobsQuery{{States: []string{"sleeping"}}, {Jobs: []string{"1_["}}} {
		_, _, err := f.alice.Jobs(f.ctx, &bad)
		wantCode(t, err, api.CodeInvalidRequest)
	}
	status, e, _ := raw(t, "GET", f.srv.URL+"/v1/jobs?users=bob", f.aliceTok, nil)
	if status != 400 || !strings.Contains(e.Message, "users") {
		t.Errorf("unknown parameter: %d %+v", status, e)
	}
}

func TestPagination(t *testing.T) {
	f := newFixture(t)
	for range 7 {
		f.submit(t, f.alice, hello)
	}
	f.submit(t, f.alice, hello, "--array=1-5")
	var got []string
	q := &api.JobsQuery{ExpandArrays: true, QueryOptions: api.QueryOptions{PerPage: 3}}
	pages := 0
	for {
		jobs, meta, err := f.alice.Jobs(f.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(jobs) > 3 {
			t.Fatalf("page of %d", len(jobs))
		}
		got = append(got, ids(jobs))
		if meta.NextToken == "" {
			break
		}
		q.NextToken = meta.NextToken
	}
	if want := "1 2 3 4 5 6 7 8_1 8_2 8_3 8_4 8_5"; strings.Join(got, " ") != want || pages != 4 {
		t.Fatalf("%d pages: %q, want %q", pages, got, want)
	}
	all, _, err := f.alice.JobsAll(f.ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{PerPage: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(all); got != "1 2 3 4 5 6 7 8_[1-5]" {
		t.Fatalf("JobsAll = %q", got)
	}
	_, _, err = f.alice.Jobs(f.ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{NextToken: "x"}})
	wantCode(t, err, api.CodeInvalidRequest)
}

func TestBlockingQuery(t *testing.T) {
	f := newFixture(t)
	_, meta, err := f.alice.Jobs(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing changes: the wait ends with the same index.
	jobs, m2, err := f.alice.Jobs(f.ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 20 * time.Millisecond}})
	if err != nil || len(jobs) != 0 || m2.LastIndex != meta.LastIndex {
		t.Fatalf("timed-out query: %v %v %+v", jobs, err, m2)
	}
	type reply struct {
		jobs []*state.Job
		meta *api.QueryMeta
		err  error
	}
	done := make(chan reply, 1)
	go func() {
		jobs, m, err := f.alice.Jobs(f.ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: time.Minute}})
		done <- reply{jobs, m, err}
	}()
	id := f.submit(t, f.bob, hello)
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.meta.LastIndex <= meta.LastIndex || len(r.jobs) != 1 || r.jobs[0].ID != id {
			t.Fatalf("blocking query answered %s at %d", ids(r.jobs), r.meta.LastIndex)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("blocking query did not return after a submit")
	}
	// Blocking works on single jobs too.
	go func() {
		j, m, err := f.alice.Job(f.ctx, fmt.Sprint(id), &api.QueryOptions{WaitIndex: f.srv.Store.View().LatestIndex(), WaitTime: time.Minute})
		var jobs []*state.Job
		if j != nil {
			jobs = append(jobs, j)
		}
		done <- reply{jobs, m, err}
	}()
	if _, err := f.bob.Hold(f.ctx, &api.RefsRequest{Refs: []string{fmt.Sprint(id)}}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.jobs[0].Hold != state.HoldUser {
			t.Fatalf("blocking job query: %v %+v", r.err, r.jobs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("blocking job query did not return after a hold")
	}
	status, _, _ := raw(t, "GET", f.srv.URL+"/v1/jobs?index=1&wait=soon", f.aliceTok, nil)
	if status != 400 {
		t.Errorf("bad wait: %d", status)
	}
}

func TestCancel(t *testing.T) {
	f := newFixture(t)
	a := f.submit(t, f.alice, hello)
	// bob may not cancel alice's job; management may.
	_, err := f.bob.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(a)}})
	e := wantCode(t, err, api.CodePermissionDenied)
	if len(e.Refs) != 1 || e.Refs[0].Ref != fmt.Sprint(a) || e.Refs[0].Code != api.CodePermissionDenied {
		t.Fatalf("refs = %+v", e.Refs)
	}
	resp, err := f.mgmt.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(a)}})
	if err != nil || !slices.Equal(resp.Changed, []uint64{a}) || resp.Index == 0 {
		t.Fatalf("management cancel: %+v %v", resp, err)
	}
	// Again: already finished.
	_, err = f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(a)}})
	wantCode(t, err, api.CodeConflict)
	// Partly: one changed, one unknown.
	b := f.submit(t, f.alice, hello)
	resp, err = f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprintf("%d,999", b)}})
	if err != nil || !slices.Equal(resp.Changed, []uint64{b}) || len(resp.Errors) != 1 ||
		resp.Errors[0] != (api.RefError{Ref: "999", Code: api.CodeNotFound, Message: state.ErrNotFound.Error()}) {
		t.Fatalf("partial cancel: %+v %v", resp, err)
	}
	// Failures come in the order of the refs; refs to no job commit nothing.
	bobs := f.submit(t, f.bob, hello)
	before := f.srv.Store.View().LatestIndex()
	_, err = f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{"998", fmt.Sprint(bobs), "997_[1-2]"}})
	e = wantCode(t, err, api.CodeNotFound)
	var got []string
	for _, re := range e.Refs {
		got = append(got, re.Ref+" "+re.Code)
	}
	if want := []string{"998 not_found", fmt.Sprint(bobs, " permission_denied"), "997_[1-2] not_found"}; !slices.Equal(got, want) {
		t.Errorf("failures %q, want %q", got, want)
	}
	_, err = f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{"996_[0-999]"}})
	wantCode(t, err, api.CodeNotFound)
	if after := f.srv.Store.View().LatestIndex(); after != before+1 {
		t.Errorf("index %d -> %d: want one commit (the cancel naming bob's job)", before, after)
	}
	_, err = f.alice.Cancel(f.ctx, &api.CancelRequest{})
	wantCode(t, err, api.CodeInvalidRequest)
	_, err = f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{"1_[3"}})
	wantCode(t, err, api.CodeInvalidRequest)
}

func TestCancelArrayTasks(t *testing.T) {
	f := newFixture(t)
	arr := f.submit(t, f.alice, hello, "--array=0-9")
	resp, err := f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprintf("%d_[1-3],%d_7", arr, arr)}})
	if err != nil || len(resp.Changed) != 4 { // each task gets its own record
		t.Fatalf("cancel tasks: %+v %v", resp, err)
	}
	jobs, _, err := f.alice.Jobs(f.ctx, &api.JobsQuery{History: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(jobs); got != "1_[0,4-6,8-9] 1_1 1_2 1_3 1_7" {
		t.Fatalf("jobs = %q", got)
	}
}

func TestCancelByFilter(t *testing.T) {
	f := newFixture(t)
	a1 := f.submit(t, f.alice, hello, "-J", "sweep")
	a2 := f.submit(t, f.alice, hello, "-J", "keep")
	b1 := f.submit(t, f.bob, hello, "-J", "sweep")
	arr := f.submit(t, f.alice, hello, "-J", "sweep", "--array=1-4")
	running := f.start(t, arr, 1)

	// A user's filters select only their own jobs.
	_, err := f.alice.Cancel(f.ctx, &api.CancelRequest{Users: []string{"bob"}})
	wantCode(t, err, api.CodePermissionDenied)
	// Pending only: the array's running task stays.
	resp, err := f.alice.Cancel(f.ctx, &api.CancelRequest{Names: []string{"sweep"}, States: []string{"PD"}})
	if err != nil {
		t.Fatal(err)
	}
	v := f.srv.Store.View()
	if v.Job(a1).State != state.StateCancelled || v.Job(a2).State != state.StatePending || v.Job(b1).State != state.StatePending ||
		v.Job(running).State != state.StateRunning || !v.Job(arr).Pending.Empty() {
		t.Fatalf("after cancel %+v: a1 %s a2 %s b1 %s task %s", resp, v.Job(a1).State, v.Job(a2).State, v.Job(b1).State, v.Job(running).State)
	}
	// Management, all of bob's jobs; refs and filters together.
	if _, err := f.mgmt.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprintf("%d,%d", a2, b1)}, Users: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	v = f.srv.Store.View()
	if v.Job(a2).State != state.StatePending || v.Job(b1).State != state.StateCancelled {
		t.Fatal("refs with filters")
	}
	// An array whose tasks all started is selected through its tasks.
	started := f.submit(t, f.alice, hello, "-J", "both", "--array=0-1")
	r0, r1 := f.start(t, started, 0), f.start(t, started, 1)
	if _, err := f.alice.Cancel(f.ctx, &api.CancelRequest{Names: []string{"both"}}); err != nil {
		t.Fatal(err)
	}
	v = f.srv.Store.View()
	if v.Job(r0).State != state.StateCancelled || v.Job(r1).State != state.StateCancelled {
		t.Fatalf("started tasks: %s %s", v.Job(r0).State, v.Job(r1).State)
	}
	// Nothing selected: nothing to do, no error.
	resp, err = f.alice.Cancel(f.ctx, &api.CancelRequest{Names: []string{"none-such"}})
	if err != nil || len(resp.Changed) != 0 {
		t.Fatalf("empty selection: %+v %v", resp, err)
	}
}

func TestCancelSignal(t *testing.T) {
	f := newFixture(t)
	j := f.submit(t, f.alice, hello)
	p := f.submit(t, f.alice, hello)
	f.start(t, j, state.NoTask)
	arr := f.submit(t, f.alice, hello, "--array=0-3")
	t0id := f.start(t, arr, 0)
	t2id := f.start(t, arr, 2)

	resp, err := f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(j), fmt.Sprint(arr)}, Signal: "SIGUSR1"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.Changed, []uint64{j, t0id, t2id}) {
		t.Fatalf("signalled %v", resp.Changed)
	}
	sent := f.srv.Signals.Sent()
	if len(sent) != 3 || sent[0].JobID != j || sent[0].Signal != "USR1" {
		t.Fatalf("sent %+v", sent)
	}
	if f.srv.Store.View().Job(j).State != state.StateRunning {
		t.Fatal("a signal cancelled the job")
	}
	// Pending jobs are not signalled; bob may not signal; bad signals are rejected.
	_, err = f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(p)}, Signal: "TERM"})
	wantCode(t, err, api.CodeConflict)
	_, err = f.bob.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(j)}, Signal: "TERM"})
	wantCode(t, err, api.CodePermissionDenied)
	for _, bad := range []string{"NOPE", "B:USR1", "USR1@30"} {
		_, err = f.alice.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(j)}, Signal: bad})
		wantCode(t, err, api.CodeInvalidRequest)
	}
	resp, err = f.mgmt.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(j)}, Signal: "9"})
	if err != nil || len(resp.Changed) != 1 || f.srv.Signals.Sent()[3].Signal != "KILL" {
		t.Fatalf("management signal 9: %+v %v %+v", resp, err, f.srv.Signals.Sent())
	}
}

func TestHoldReleaseRequeueUpdate(t *testing.T) {
	f := newFixture(t)
	j := f.submit(t, f.alice, hello)
	ref := []string{fmt.Sprint(j)}
	job := func() *state.Job { return f.srv.Store.View().Job(j) }

	if _, err := f.alice.Hold(f.ctx, &api.RefsRequest{Refs: ref}); err != nil || job().Hold != state.HoldUser {
		t.Fatalf("hold: %v %+v", err, job())
	}
	_, err := f.bob.Release(f.ctx, &api.RefsRequest{Refs: ref})
	wantCode(t, err, api.CodePermissionDenied)
	if _, err := f.mgmt.Hold(f.ctx, &api.RefsRequest{Refs: ref}); err != nil || job().Hold != state.HoldAdmin {
		t.Fatalf("admin hold: %v %+v", err, job())
	}
	_, err = f.alice.Release(f.ctx, &api.RefsRequest{Refs: ref})
	wantCode(t, err, api.CodePermissionDenied)
	if _, err := f.mgmt.Release(f.ctx, &api.RefsRequest{Refs: ref}); err != nil || job().Hold != state.HoldNone {
		t.Fatalf("release: %v %+v", err, job())
	}
	_, err = f.alice.Hold(f.ctx, &api.RefsRequest{})
	wantCode(t, err, api.CodeInvalidRequest)

	str := func(s string) *string { return &s }
	nice := 7
	if _, err := f.alice.Update(f.ctx, &api.UpdateRequest{Refs: ref, TimeLimit: str("1:00:00"), Partition: str("gpu"), Nice: &nice, Name: str("renamed")}); err != nil {
		t.Fatal(err)
	}
	if got := job(); got.TimeLimitMin != 60 || got.Partition != "gpu" || got.Nice != 7 || got.Name != "renamed" {
		t.Fatalf("updated job %+v", got)
	}
	// Users may only lower a limit; nice below 0 is for administrators.
	_, err = f.alice.Update(f.ctx, &api.UpdateRequest{Refs: ref, TimeLimit: str("UNLIMITED")})
	wantCode(t, err, api.CodePermissionDenied)
	neg := -1
	_, err = f.alice.Update(f.ctx, &api.UpdateRequest{Refs: ref, Nice: &neg})
	wantCode(t, err, api.CodePermissionDenied)
	for _, bad := range []api.UpdateRequest{
		{Refs: ref},
		{Refs: ref, TimeLimit: str("soon")},
		{Refs: ref, Partition: str("nope")},
		{Refs: ref, Dependency: str("afterok:999")},
		{Refs: ref, Dependency: str("afterok:")},
	} {
		_, err = f.alice.Update(f.ctx, &bad)
		wantCode(t, err, api.CodeInvalidRequest)
	}
	other := f.submit(t, f.alice, hello)
	if _, err := f.alice.Update(f.ctx, &api.UpdateRequest{Refs: ref, Dependency: str(fmt.Sprintf("afterany:%d", other))}); err != nil || job().Dependency == "" {
		t.Fatalf("dependency: %v", err)
	}
	if _, err := f.alice.Update(f.ctx, &api.UpdateRequest{Refs: ref, Dependency: str("")}); err != nil || job().Dependency != "" {
		t.Fatalf("clear dependency: %v %q", err, job().Dependency)
	}

	// Requeue: pending jobs cannot be requeued; finished ones can.
	_, err = f.alice.Requeue(f.ctx, &api.RefsRequest{Refs: ref})
	wantCode(t, err, api.CodeConflict)
	f.start(t, j, state.NoTask)
	f.apply(t, state.CmdJobFinish, state.JobFinishCmd{Time: t0, JobID: j, State: state.StateFailed, ExitCode: 1})
	if _, err := f.alice.Requeue(f.ctx, &api.RefsRequest{Refs: ref}); err != nil || job().State != state.StatePending || job().RestartCount != 1 {
		t.Fatalf("requeue: %v %+v", err, job())
	}
	// The failed run is kept, and the API's full records carry it.
	one, _, err := f.alice.Job(f.ctx, ref[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	acct, _, err := f.alice.AccountingAll(f.ctx, &api.JobsQuery{Jobs: ref})
	if err != nil || len(acct) != 1 {
		t.Fatalf("accounting: %v %v", acct, err)
	}
	for _, got := range []*state.Job{one, acct[0]} {
		if len(got.Runs) != 1 || got.Runs[0].State != state.StateRequeued || got.Runs[0].Finished != state.StateFailed ||
			got.Runs[0].ExitCode != 1 || got.Runs[0].NodeList != "n1" || !got.Runs[0].EndTime.Equal(t0) {
			t.Errorf("runs = %+v", got.Runs)
		}
	}
	nr := f.submit(t, f.alice, hello, "--no-requeue")
	f.start(t, nr, state.NoTask)
	_, err = f.alice.Requeue(f.ctx, &api.RefsRequest{Refs: []string{fmt.Sprint(nr)}})
	wantCode(t, err, api.CodeConflict)
}

func TestPartitions(t *testing.T) {
	f := newFixture(t)
	f.submit(t, f.alice, hello)
	arr := f.submit(t, f.alice, hello, "-p", "gpu", "--array=1-10")
	f.start(t, arr, 1)
	parts, err := f.bob.Partitions(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Partition{
		{Name: "batch", Default: true, State: "up", PendingJobs: 1, Files: "shared"},
		{Name: "gpu", State: "up", PendingJobs: 9, RunningJobs: 1, Files: "shared"},
	}
	if !slices.Equal(parts, want) {
		t.Fatalf("partitions = %+v", parts)
	}
}
