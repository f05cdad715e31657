package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Output copies a job's stdout or stderr ("stdout", "stderr") to w: what
// the coordinator archived when the job ended, or, while it runs, its live
// output, followed until the job ends when follow is set.
func (c *Client) Output(ctx context.Context, ref, stream string, follow bool, w io.Writer) error {
	q := url.Values{"stream": {stream}}
	if follow {
		q.Set("follow", strconv.FormatBool(true))
	}
	resp, _, err := c.open(ctx, http.MethodGet, "/v1/job/"+url.PathEscape(ref)+"/output", q, nil, false)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}
