package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api/brief"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Submit sends one sbatch call. It returns once the job is committed: an
// accepted job is never lost. A rejected script comes back as an *Error
// with code CodeInvalidScript and the parser's diagnostics.
func (c *Client) Submit(ctx context.Context, req *SubmitRequest) (*SubmitResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	var out SubmitResponse
	if _, err := c.do(ctx, http.MethodPost, "/v1/jobs", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Jobs lists one page of jobs (squeue); follow QueryMeta.NextToken for the
// rest, or use JobsAll.
func (c *Client) Jobs(ctx context.Context, q *JobsQuery) ([]*state.Job, *QueryMeta, error) {
	return c.listJobs(ctx, "/v1/jobs", q)
}

// JobsAll lists every job the query selects, following the pages.
func (c *Client) JobsAll(ctx context.Context, q *JobsQuery) ([]*state.Job, *QueryMeta, error) {
	return c.all(ctx, "/v1/jobs", q)
}

// Accounting lists one page of jobs from the accounting history (sacct):
// finished jobs included, never purged.
func (c *Client) Accounting(ctx context.Context, q *JobsQuery) ([]*state.Job, *QueryMeta, error) {
	return c.listJobs(ctx, "/v1/accounting", q)
}

// AccountingAll is Accounting for every page.
func (c *Client) AccountingAll(ctx context.Context, q *JobsQuery) ([]*state.Job, *QueryMeta, error) {
	return c.all(ctx, "/v1/accounting", q)
}

func (c *Client) all(ctx context.Context, path string, q *JobsQuery) ([]*state.Job, *QueryMeta, error) {
	return c.pages(ctx, path, q, nil, gobOrJSON, decodeJobs)
}

// ViewBrief is the value of the view query parameter that asks for the
// brief view of a job list (see package brief).
const ViewBrief = "brief"

// JobsBrief lists every job the query selects in the brief view (see
// brief.ContentType): every field of the job records but Runs and GPU, of their
// submissions only what squeue prints. Its replies take a small part of JobsAll's time
// to send and read; jobs with equal submissions share one record. Fields
// q.Script asks for are not in the brief view: q.Script must be false.
func (c *Client) JobsBrief(ctx context.Context, q *JobsQuery) ([]*state.Job, *QueryMeta, error) {
	return c.pages(ctx, "/v1/jobs", q, url.Values{"view": {ViewBrief}}, brief.ContentType+", application/json", decodeBriefBody)
}

// Accept headers of list requests.
const gobOrJSON = ContentTypeGob + ", application/json"

// decodeJobs decodes a page of full records, as gob or JSON.
func decodeJobs(resp *http.Response) ([]*state.Job, error) {
	var page []*state.Job
	err := decodeBody(resp, &page)
	return page, err
}

// decodeBriefBody decodes a page of the brief view, packed or JSON.
func decodeBriefBody(resp *http.Response) ([]*state.Job, error) {
	if resp.Header.Get("Content-Type") != brief.ContentType {
		return decodeJobs(resp)
	}
	return brief.Read(resp.Body)
}

// pages fetches every page of a list: extra are query parameters beyond
// q's, accept the Accept header, decode reads one page.
func (c *Client) pages(ctx context.Context, path string, q *JobsQuery, extra url.Values, accept string,
	decode func(*http.Response) ([]*state.Job, error)) ([]*state.Job, *QueryMeta, error) {
	var p JobsQuery
	if q != nil {
		p = *q
	}
	type reply struct {
		resp *http.Response
		meta *QueryMeta
		err  error
	}
	fetch := func(p JobsQuery) reply {
		v := p.values()
		for k, vals := range extra {
			v[k] = vals
		}
		resp, meta, err := c.openAccept(ctx, http.MethodGet, path, v, nil, accept)
		return reply{resp, meta, err}
	}
	cur := fetch(p)
	var jobs []*state.Job
	for {
		if cur.err != nil {
			return nil, cur.meta, cur.err
		}
		// Ask for the next page while this one decodes: the server
		// encodes page n+1 while the client decodes page n.
		var next chan reply
		if cur.meta.NextToken != "" {
			p.NextToken, p.WaitIndex = cur.meta.NextToken, 0
			next = make(chan reply, 1)
			go func(p JobsQuery) { next <- fetch(p) }(p)
		}
		page, err := decode(cur.resp)
		cur.resp.Body.Close()
		if err != nil {
			if next != nil {
				if r := <-next; r.resp != nil {
					r.resp.Body.Close()
				}
			}
			return nil, cur.meta, fmt.Errorf("api: decode GET %s reply: %w", path, err)
		}
		if jobs == nil {
			jobs = page
		} else {
			jobs = append(jobs, page...)
		}
		if next == nil {
			return jobs, cur.meta, nil
		}
		cur = <-next
	}
}

func (c *Client) listJobs(ctx context.Context, path string, q *JobsQuery) ([]*state.Job, *QueryMeta, error) {
	if q == nil {
		q = &JobsQuery{}
	}
	var jobs []*state.Job
	meta, err := c.do(ctx, http.MethodGet, path, q.values(), nil, &jobs)
	if err != nil {
		return nil, meta, err
	}
	return jobs, meta, nil
}

func (q *JobsQuery) values() url.Values {
	v := url.Values{}
	q.QueryOptions.values(v)
	for _, f := range []struct {
		key  string
		vals []string
	}{
		{"jobs", q.Jobs}, {"user", q.Users}, {"account", q.Accounts},
		{"partition", q.Partitions}, {"name", q.Names}, {"state", q.States},
	} {
		for _, s := range f.vals {
			v.Add(f.key, s)
		}
	}
	for key, on := range map[string]bool{"history": q.History, "array": q.ExpandArrays, "script": q.Script} {
		if on {
			v.Set(key, "true")
		}
	}
	if !q.Start.IsZero() {
		v.Set("start", q.Start.Format(time.RFC3339))
	}
	if !q.End.IsZero() {
		v.Set("end", q.End.Format(time.RFC3339))
	}
	return v
}

// Job returns one job by ref (123 or 123_7); a pending array task not yet
// started comes back with its array's job id. q may be nil.
func (c *Client) Job(ctx context.Context, ref string, q *QueryOptions) (*state.Job, *QueryMeta, error) {
	v := url.Values{}
	if q != nil {
		q.values(v)
	}
	var j state.Job
	meta, err := c.do(ctx, http.MethodGet, "/v1/job/"+url.PathEscape(ref), v, nil, &j)
	if err != nil {
		return nil, meta, err
	}
	return &j, meta, nil
}

// JobScript returns one job with its batch script and environment (own
// jobs only, unless the token is a management token).
func (c *Client) JobScript(ctx context.Context, ref string) (*state.Job, error) {
	var j state.Job
	_, err := c.do(ctx, http.MethodGet, "/v1/job/"+url.PathEscape(ref), url.Values{"script": {"true"}}, nil, &j)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// Cancel cancels jobs, or signals running ones (scancel).
func (c *Client) Cancel(ctx context.Context, req *CancelRequest) (*ActionResponse, error) {
	return c.action(ctx, "/v1/jobs/cancel", req)
}

// Hold holds pending jobs (scontrol hold; an administrator hold with a
// management token).
func (c *Client) Hold(ctx context.Context, req *RefsRequest) (*ActionResponse, error) {
	return c.action(ctx, "/v1/jobs/hold", req)
}

// Release releases held jobs (scontrol release).
func (c *Client) Release(ctx context.Context, req *RefsRequest) (*ActionResponse, error) {
	return c.action(ctx, "/v1/jobs/release", req)
}

// Requeue puts running or finished jobs back in the queue (scontrol requeue).
func (c *Client) Requeue(ctx context.Context, req *RefsRequest) (*ActionResponse, error) {
	return c.action(ctx, "/v1/jobs/requeue", req)
}

// Update changes pending jobs (scontrol update).
func (c *Client) Update(ctx context.Context, req *UpdateRequest) (*ActionResponse, error) {
	return c.action(ctx, "/v1/jobs/update", req)
}

func (c *Client) action(ctx context.Context, path string, req any) (*ActionResponse, error) {
	var out ActionResponse
	if _, err := c.do(ctx, http.MethodPost, path, nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Partitions lists the partitions with their job counts (sinfo).
func (c *Client) Partitions(ctx context.Context) ([]Partition, error) {
	var out []Partition
	if _, err := c.do(ctx, http.MethodGet, "/v1/partitions", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
