package bridge_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// BenchmarkListJobs100k measures the server's share of squeue with 100,000
// pending jobs: one page of 10,000, encoded as the Go client asks (gob).
func BenchmarkListJobs100k(b *testing.B) {
	srv := bridgetest.Start(b, bridgetest.Options{})
	name := "job.sh"
	for i := 0; i < 100000; i++ {
		cmd, _ := state.Encode(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "alice", DefaultPartition: "batch",
			Submission: &state.Submission{ScriptName: name, Cwd: "/tmp", Spec: &jobspec.Spec{JobName: &name, Hold: true}}})
		if _, _, err := srv.Raft.Apply(context.Background(), cmd); err != nil {
			b.Fatal(err)
		}
	}
	h := srv.Bridge.Handler()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, "/v1/jobs?per_page=10000", nil)
		req.Header.Set(api.HeaderToken, srv.ManagementToken)
		req.Header.Set("Accept", api.ContentTypeGob)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
