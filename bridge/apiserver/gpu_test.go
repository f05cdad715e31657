package apiserver_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestJobViewCarriesGPUAccounting: a job's GPU accounting (its GPUs, node,
// GPU-seconds, NVML figures) is in its full record for its owner and for
// other users alike, as NodeList is (nothing in it is the job's data), in
// every encoding and in the accounting list; the brief view, which is for
// squeue, leaves it out, as it leaves out earlier runs.
func TestJobViewCarriesGPUAccounting(t *testing.T) {
	f := newFixture(t)
	id := f.submit(t, f.alice, hello, "--gres=gpu:2")
	f.start(t, id, state.NoTask)
	g := &state.GPUAlloc{NodeID: "node-id", Node: "n1", UUIDs: []string{"GPU-a", "GPU-b"}}
	f.apply(t, state.CmdJobPlaced, state.JobPlacedCmd{Time: t0, JobID: id, NodeList: "n1", GPU: g})
	m := &state.GPUMeasure{UtilMaxPct: 91, MemPeakMiB: 1024, Samples: 7}
	f.apply(t, state.CmdJobFinish, state.JobFinishCmd{Time: t0.Add(time.Minute), JobID: id, State: state.StateCompleted, Measured: m})
	want := &state.GPUUse{GPUAlloc: *g, Seconds: 120, Measured: m}

	for name, c := range map[string]*api.Client{"alice": f.alice, "bob": f.bob, "management": f.mgmt} {
		j, _, err := c.Job(f.ctx, fmt.Sprint(id), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(j.GPU, want) {
			t.Errorf("%s: GET /v1/job: GPU %+v, want %+v", name, j.GPU, want)
		}
		jobs, _, err := c.AccountingAll(f.ctx, &api.JobsQuery{Jobs: []string{fmt.Sprint(id)}, History: true})
		if err != nil || len(jobs) != 1 || !reflect.DeepEqual(jobs[0].GPU, want) {
			t.Errorf("%s: accounting %v %v, want GPU %+v", name, jobs, err, want)
		}
		brief, _, err := c.JobsBrief(f.ctx, &api.JobsQuery{Jobs: []string{fmt.Sprint(id)}, History: true})
		if err != nil || len(brief) != 1 || brief[0].GPU != nil {
			t.Errorf("%s: brief view %v %v, want the job without GPU accounting", name, brief, err)
		}
	}
	_, _, body := raw(t, http.MethodGet, fmt.Sprintf("%s/v1/job/%d", f.srv.URL, id), f.bobTok, nil, "Accept", "application/json")
	if !strings.Contains(string(body), `"gpu":{"node_id":"node-id","node":"n1","uuids":["GPU-a","GPU-b"],"seconds":120,"measured":{"util_max_pct":91,"mem_peak_mib":1024,"samples":7}}`) {
		t.Errorf("JSON job record lacks its GPU accounting: %s", body)
	}
	_, _, body = raw(t, http.MethodGet, f.srv.URL+"/v1/jobs?view=brief&state=all&history=true", f.bobTok, nil, "Accept", "application/json")
	if strings.Contains(string(body), `"gpu"`) {
		t.Errorf("JSON brief view carries GPU accounting: %s", body)
	}
}
