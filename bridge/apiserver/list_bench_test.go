package apiserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/api/brief"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// BenchmarkListJobs100k measures the server's share of squeue with 100,000
// pending jobs: one page of 10,000 full records, encoded as the Go client
// asks (gob), and the whole brief list that squeue asks for (packed).
func BenchmarkListJobs100k(b *testing.B) {
	srv := bridgetest.Start(b, bridgetest.Options{})
	name := "job.sh"
	for i := 0; i < 100000; i++ {
		spec := &jobspec.Spec{JobName: &name, Hold: true}
		cmd, _ := state.Encode(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "alice", DefaultPartition: "batch",
			Submission: &state.Submission{ScriptName: name, Cwd: "/tmp", Spec: spec}, Job: fromspec.MustRecord(spec, "batch")})
		if _, _, err := srv.Raft.Apply(context.Background(), cmd); err != nil {
			b.Fatal(err)
		}
	}
	h := srv.Bridge.Handler()
	for _, c := range []struct {
		name, query, accept string
		jobs                int
	}{
		{"full", "per_page=10000", api.ContentTypeGob, 10000},
		{"brief", "view=brief", brief.ContentType, 100000},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodGet, "/v1/jobs?"+c.query, nil)
				req.Header.Set(api.HeaderToken, srv.ManagementToken)
				req.Header.Set("Accept", c.accept)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code, rec.Body.String())
				}
			}
			b.ReportMetric(float64(c.jobs)*float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}
