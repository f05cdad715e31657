package apiserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/api/brief"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// asBrief is what the brief view must say about full records.
func asBrief(jobs []*state.Job) string {
	out := make([]*state.Job, len(jobs))
	for i, j := range jobs {
		cp := *j
		cp.Submission = brief.Submission(j.Submission)
		cp.Runs = nil // sacct -D reads them from the full records
		out[i] = &cp
	}
	return jsonString(out)
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestListBrief checks the brief view against the full records, packed
// (the Go client) and in JSON, whole and in pages.
func TestListBrief(t *testing.T) {
	f := newFixture(t)
	f.submit(t, f.alice, hello, "-t", "10", "--comment=c", "--gres=gpu:2", "--mem=1G")
	f.submit(t, f.bob, hello, "--hold", "--dependency=afterok:1")
	arr := f.submit(t, f.alice, hello, "--array=0-6%2", "-o", "out-%A_%a.txt")
	f.start(t, arr, 0)
	f.start(t, arr, 3)
	f.submit(t, f.alice, hello, "--wrap", "hostname")
	// A requeued job: its earlier run is in the full record only.
	rq := f.start(t, f.submit(t, f.alice, hello), state.NoTask)
	f.apply(t, state.CmdJobRequeue, state.JobRequeueCmd{Time: t0, By: state.Actor{Management: true}, Refs: []state.JobRef{{JobID: rq, Task: state.AllTasks}}})
	if j := f.srv.Store.View().Job(rq); len(j.Runs) != 1 {
		t.Fatalf("requeued job has %d runs", len(j.Runs))
	}
	for _, c := range []struct {
		name string
		q    api.JobsQuery
	}{
		{"default", api.JobsQuery{}},
		{"expand", api.JobsQuery{ExpandArrays: true}},
		{"tasks", api.JobsQuery{Jobs: []string{fmt.Sprintf("%d_[1-4]", arr)}}},
		{"all states", api.JobsQuery{States: []string{"all"}, Users: []string{"alice"}}},
		{"pages", api.JobsQuery{ExpandArrays: true, QueryOptions: api.QueryOptions{PerPage: 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			full, _, err := f.mgmt.JobsAll(f.ctx, &c.q)
			if err != nil {
				t.Fatal(err)
			}
			brief, meta, err := f.alice.JobsBrief(f.ctx, &c.q)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := jsonString(brief), asBrief(full); got != want {
				t.Errorf("brief view\n got %s\nwant %s", got, want)
			}
			if meta.LastIndex == 0 {
				t.Error("no index")
			}
		})
	}
	// JSON clients get the same records (bob would not see alice's --wrap).
	full, _, err := f.mgmt.JobsAll(f.ctx, &api.JobsQuery{ExpandArrays: true})
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := raw(t, http.MethodGet, f.srv.URL+"/v1/jobs?view=brief&array=true", f.aliceTok, nil, "Accept", "application/json")
	var jsonJobs []*state.Job
	if err := json.Unmarshal(body, &jsonJobs); status != 200 || err != nil {
		t.Fatalf("%d %v: %s", status, err, body)
	}
	if got, want := jsonString(jsonJobs), asBrief(full); got != want {
		t.Errorf("brief JSON\n got %s\nwant %s", got, want)
	}
	// An empty list is [] in JSON, the bare header packed.
	for accept, want := range map[string]string{"application/json": "[]\n", brief.ContentType: "HBB1"} {
		_, _, body := raw(t, http.MethodGet, f.srv.URL+"/v1/jobs?view=brief&user=nobody", f.bobTok, nil, "Accept", accept)
		if string(body) != want {
			t.Errorf("empty brief list as %s: %q, want %q", accept, body, want)
		}
	}
	for _, q := range []string{"view=bogus", "view=brief&script=true"} {
		status, e, _ := raw(t, http.MethodGet, f.srv.URL+"/v1/jobs?"+q, f.bobTok, nil)
		if status != 400 || e.Code != api.CodeInvalidRequest {
			t.Errorf("%s: %d %+v", q, status, e)
		}
	}
}

// TestListBriefBlocking checks that the brief view answers blocking
// queries as full lists do.
func TestListBriefBlocking(t *testing.T) {
	f := newFixture(t)
	f.submit(t, f.alice, hello)
	_, meta, err := f.alice.JobsBrief(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []*state.Job, 1)
	go func() {
		q := &api.JobsQuery{QueryOptions: api.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 20 * time.Second}}
		jobs, _, err := f.alice.JobsBrief(f.ctx, q)
		if err != nil {
			t.Error(err)
		}
		done <- jobs
	}()
	f.submit(t, f.alice, hello)
	if jobs := <-done; ids(jobs) != "1 2" {
		t.Errorf("after the blocking query: %q", ids(jobs))
	}
}
