package apiserver_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/api/brief"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// hugeArray submits a held array of n pending tasks as alice.
func hugeArray(t testing.TB, c *api.Client, n int) uint64 {
	t.Helper()
	resp, err := c.Submit(context.Background(), &api.SubmitRequest{Script: []byte(hello), ScriptName: "job.sh", Cwd: "/home/u",
		Args: []string{"--hold", fmt.Sprintf("--array=0-%d", n-1)}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.JobID
}

// TestListPageBound is the regression test for one list request that cost
// gigabytes: per_page=1048576 over a 1,000,001-task array. Whatever
// per_page asks, a page holds at most api.MaxBriefPerPage rows in the brief
// view and api.MaxPerPage in the full view, so the reply and what the
// server holds for it are bounded; the next token leads on. (The JSON
// brief page of the report is BenchmarkListHugeArray's: 100,000 rows take
// seconds to encode under -race.)
func TestListPageBound(t *testing.T) {
	f := newFixture(t)
	arr := hugeArray(t, f.alice, 1000001)
	for _, c := range []struct {
		query, accept string
		rows          int
	}{
		{"view=brief&array=true&per_page=1048576", brief.ContentType, api.MaxBriefPerPage},
		{"view=brief&array=true", brief.ContentType, api.MaxBriefPerPage},
		{"array=true&per_page=1048576", "application/json", api.MaxPerPage},
		{"array=true&per_page=99999999999", api.ContentTypeGob, api.MaxPerPage},
	} {
		req, err := http.NewRequest(http.MethodGet, f.srv.URL+"/v1/jobs?"+c.query, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(api.HeaderToken, f.bobTok)
		req.Header.Set("Accept", c.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v %.200s", c.query, resp.StatusCode, err, body)
		}
		var rows int
		switch c.accept {
		case brief.ContentType:
			jobs, err := brief.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			rows = len(jobs)
		default:
			rows = bytes.Count(body, []byte(`"job_id":`))
			if c.accept == api.ContentTypeGob {
				var jobs []*state.Job
				if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&jobs); err != nil {
					t.Fatal(err)
				}
				rows = len(jobs)
			}
		}
		next := resp.Header.Get(api.HeaderNextToken)
		t.Logf("%s (%s): %d rows, %d bytes, next %q", c.query, c.accept, rows, len(body), next)
		if rows != c.rows {
			t.Errorf("%s (%s): %d rows, want the bound %d", c.query, c.accept, rows, c.rows)
		}
		if want := fmt.Sprintf("%d.%d", arr, c.rows); next != want {
			t.Errorf("%s (%s): next token %q, want %q", c.query, c.accept, next, want)
		}
	}
}

// TestClientPagesPastBound checks that the Go client (what squeue and
// sacct use) follows the pages of lists longer than one page.
func TestClientPagesPastBound(t *testing.T) {
	f := newFixture(t)
	n := api.MaxBriefPerPage + 3
	arr := hugeArray(t, f.alice, n)
	q := &api.JobsQuery{ExpandArrays: true, Jobs: []string{fmt.Sprint(arr)}}
	brief, _, err := f.bob.JobsBrief(f.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(brief) != n || brief[n-1].ArrayTaskID != n-1 {
		t.Fatalf("JobsBrief: %d jobs, want %d", len(brief), n)
	}
	q.Jobs = []string{fmt.Sprintf("%d_[%d-%d]", arr, n-api.MaxPerPage-2, n-1)}
	full, _, err := f.bob.JobsAll(f.ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != api.MaxPerPage+2 || full[0].ArrayTaskID != n-api.MaxPerPage-2 {
		t.Fatalf("JobsAll: %d jobs, want %d", len(full), api.MaxPerPage+2)
	}
}

// BenchmarkListHugeArray measures one request of the report: a brief
// page as large as per_page=1048576 asks over a 1,000,001-task array, as
// JSON and packed. It reports the reply's size and rows, the bytes
// allocated (-benchmem) and the peak of the heap in use while it is served
// (peak-heap-MB, above the heap before it).
func BenchmarkListHugeArray(b *testing.B) {
	srv := bridgetest.Start(b, bridgetest.Options{})
	hugeArray(b, srv.Client(b, srv.UserToken(b, "alice")), 1000001)
	bobTok := srv.UserToken(b, "bob")
	h := srv.Bridge.Handler()
	for _, accept := range []string{"application/json", brief.ContentType} {
		b.Run(accept, func(b *testing.B) {
			b.ReportAllocs()
			var w countingWriter
			var peak uint64
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest(http.MethodGet, "/v1/jobs?view=brief&array=true&per_page=1048576", nil)
				req.Header.Set(api.HeaderToken, bobTok)
				req.Header.Set("Accept", accept)
				w = countingWriter{}
				peak = max(peak, heapPeak(func() { h.ServeHTTP(&w, req) }))
				if w.status != http.StatusOK {
					b.Fatal(w.status)
				}
			}
			b.ReportMetric(float64(w.n)/1e6, "reply-MB")
			b.ReportMetric(float64(w.rows), "rows")
			b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		})
	}
	// Sixteen such JSON requests at once (four, before the bound, peaked
	// at 7.6 GB).
	b.Run("application/json x16", func(b *testing.B) {
		b.ReportAllocs()
		var peak uint64
		for i := 0; i < b.N; i++ {
			peak = max(peak, heapPeak(func() {
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						req, _ := http.NewRequest(http.MethodGet, "/v1/jobs?view=brief&array=true&per_page=1048576", nil)
						req.Header.Set(api.HeaderToken, bobTok)
						h.ServeHTTP(&countingWriter{}, req)
					})
				}
				wg.Wait()
			}))
		}
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	})
}

// countingWriter is a ResponseWriter that keeps only the size of the reply
// and, for JSON, its number of rows.
type countingWriter struct {
	hdr     http.Header
	status  int
	n, rows int
	tail    []byte
}

func (w *countingWriter) Header() http.Header {
	if w.hdr == nil {
		w.hdr = http.Header{}
	}
	return w.hdr
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	// Count across writes: the tail of the last write, then this one.
	const row = `"job_id":`
	joined := append(w.tail, p[:min(len(p), len(row)-1)]...)
	w.rows += bytes.Count(joined, []byte(row)) + bytes.Count(p, []byte(row))
	w.tail = append(w.tail[:0], p[max(0, len(p)-len(row)+1):]...)
	return len(p), nil
}

// heapPeak runs fn and returns how far the heap's objects rose above
// where they were before, sampled every millisecond while fn runs.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	done, peakc := make(chan struct{}), make(chan uint64)
	go func() {
		peak := base
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				peakc <- peak
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	return <-peakc - base
}
