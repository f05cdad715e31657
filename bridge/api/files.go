package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// MaxMissingDigests is the most digests one POST /v1/blobs/missing may ask
// about.
const MaxMissingDigests = 10000

// MaxOutputBytes bounds the bytes a staged job's outputs add up to: the
// coordinator refuses a larger output manifest (POST /v1/job/{ref}/output),
// the driver does not send more back, and FetchOutputs does not write more.
const MaxOutputBytes = 64 << 30

// BlobsMissingRequest asks which blobs the caller's namespace lacks.
type BlobsMissingRequest struct {
	Digests []string `json:"digests"`
	// User is the namespace's user when a management token asks for
	// another user's (sbatch submitting as the local user); "" the
	// token's own.
	User string `json:"user,omitempty"`
}

// BlobsMissingResponse lists those of the digests asked about that the
// namespace lacks.
type BlobsMissingResponse struct {
	Missing []string `json:"missing"`
}

// JobFiles are a job's manifests (GET /v1/job/{ref}/files): the staged
// input, the outputs of its last run that sent them, and its checkpoints.
type JobFiles struct {
	Input       string           `json:"input,omitempty"`
	Output      string           `json:"output,omitempty"`
	OutputRun   int              `json:"output_run,omitempty"`
	OutputTime  time.Time        `json:"output_time,omitzero"`
	Checkpoints []FileCheckpoint `json:"checkpoints,omitempty"`
}

// FileCheckpoint is one committed checkpoint of a job.
type FileCheckpoint struct {
	Run    int       `json:"run"`
	Seq    int       `json:"seq"`
	Digest string    `json:"digest"`
	Size   int64     `json:"size"`
	Time   time.Time `json:"time"`
}

// OutputRequest sends a staged run's outputs (POST /v1/job/{ref}/output,
// with the run's token): the manifest of what the job created or changed.
type OutputRequest struct {
	Manifest string `json:"manifest"`
}

// BlobsMissing returns those of digests (at most MaxMissingDigests) that
// the token's namespace (its user's; a run token's job owner's) lacks.
func (c *Client) BlobsMissing(ctx context.Context, digests []string) ([]string, error) {
	return c.BlobsMissingAs(ctx, "", digests)
}

// BlobsMissingAs is BlobsMissing in user's namespace (a management token
// may name any user; another token only its own, or "").
func (c *Client) BlobsMissingAs(ctx context.Context, user string, digests []string) ([]string, error) {
	var out BlobsMissingResponse
	if _, err := c.do(ctx, http.MethodPost, "/v1/blobs/missing", nil, BlobsMissingRequest{Digests: digests, User: user}, &out); err != nil {
		return nil, err
	}
	return out.Missing, nil
}

// PutBlob stores data under its digest in the token's namespace.
func (c *Client) PutBlob(ctx context.Context, digest string, data []byte) error {
	return c.PutBlobAs(ctx, "", digest, data)
}

// PutBlobAs is PutBlob in user's namespace (as BlobsMissingAs).
func (c *Client) PutBlobAs(ctx context.Context, user, digest string, data []byte) error {
	path := "/v1/blobs/" + url.PathEscape(digest)
	if user != "" {
		path += "?" + url.Values{"user": {user}}.Encode()
	}
	resp, err := c.raw(ctx, http.MethodPut, path, data)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// JobBlob reads a blob of a job's (one of its manifests, or a chunk one
// of them lists); the caller verifies its digest (cas.Verify).
func (c *Client) JobBlob(ctx context.Context, ref, digest string) ([]byte, error) {
	resp, err := c.raw(ctx, http.MethodGet, "/v1/job/"+url.PathEscape(ref)+"/blobs/"+url.PathEscape(digest), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, cas.MaxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("api: read blob %s: %w", digest, err)
	}
	if len(b) > cas.MaxManifest {
		return nil, fmt.Errorf("api: blob %s is over %d bytes", digest, cas.MaxManifest)
	}
	return b, nil
}

// JobFiles returns a job's manifests.
func (c *Client) JobFiles(ctx context.Context, ref string) (*JobFiles, error) {
	var out JobFiles
	if _, err := c.do(ctx, http.MethodGet, "/v1/job/"+url.PathEscape(ref)+"/files", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PostOutput records manifest as the outputs of the run whose token the
// client holds; every blob it names must be in the store already.
func (c *Client) PostOutput(ctx context.Context, ref, manifest string) (*WriteResponse, error) {
	var out WriteResponse
	if _, err := c.do(ctx, http.MethodPost, "/v1/job/"+url.PathEscape(ref)+"/output", nil, OutputRequest{Manifest: manifest}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// raw sends a request with a raw body (nil: none) and returns the
// successful reply, body unread.
func (c *Client) raw(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	u := *c.base
	path, query, _ := strings.Cut(path, "?")
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = query
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if c.token != "" {
		req.Header.Set(HeaderToken, c.token)
		c.signer.sign(req, c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hpcbridge at %s: %w", c.base.Host, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

// BlobRemote is the coordinator's blob store seen through the API, as a
// cas.Remote: Missing and Put in the token's namespace, Get through Job's
// blob route (a job the token may read). Clients are the coordinator's
// servers, tried in turn while one cannot be reached; every call is
// idempotent, so trying the next is safe.
type BlobRemote struct {
	Clients []*Client
	// Job is the job whose blobs Get reads ("": Get fails).
	Job string
}

var _ cas.Remote = (*BlobRemote)(nil)

// NewBlobRemote is a BlobRemote for one client.
func NewBlobRemote(c *Client, job string) *BlobRemote {
	return &BlobRemote{Clients: []*Client{c}, Job: job}
}

// NewRunRemote is a BlobRemote for a run token: addrs are the
// coordinator's API URLs, comma separated (the task config's coordinator);
// signer signs every request as the node that runs the job (the
// coordinator refuses a run token's requests without it).
func NewRunRemote(addrs, token, job string, signer *RunSigner) (*BlobRemote, error) {
	r := &BlobRemote{Job: job}
	for _, a := range strings.Split(addrs, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		c, err := NewClient(&Config{Address: a, Token: token, Signer: signer})
		if err != nil {
			return nil, err
		}
		r.Clients = append(r.Clients, c)
	}
	if len(r.Clients) == 0 {
		return nil, errors.New("api: no coordinator address")
	}
	return r, nil
}

// each calls f with each client until one answers (not a transport
// failure or not_leader).
func (r *BlobRemote) each(f func(c *Client) error) error {
	var err error
	for _, c := range r.Clients {
		if err = f(c); err == nil || !Retryable(err) {
			return err
		}
	}
	if err == nil {
		err = errors.New("api: no coordinator address")
	}
	return err
}

// Missing implements cas.Remote.
func (r *BlobRemote) Missing(ctx context.Context, digests []string) (out []string, err error) {
	err = r.each(func(c *Client) error {
		out, err = c.BlobsMissing(ctx, digests)
		return err
	})
	return out, err
}

// Put implements cas.Remote.
func (r *BlobRemote) Put(ctx context.Context, digest string, data []byte) error {
	return r.each(func(c *Client) error { return c.PutBlob(ctx, digest, data) })
}

// Get implements cas.Remote.
func (r *BlobRemote) Get(ctx context.Context, digest string) (out []byte, err error) {
	if r.Job == "" {
		return nil, errors.New("api: reading a blob needs the job it belongs to")
	}
	err = r.each(func(c *Client) error {
		out, err = c.JobBlob(ctx, r.Job, digest)
		return err
	})
	return out, err
}

// Files returns the job's manifests.
func (r *BlobRemote) Files(ctx context.Context) (out *JobFiles, err error) {
	err = r.each(func(c *Client) error {
		out, err = c.JobFiles(ctx, r.Job)
		return err
	})
	return out, err
}

// PostOutput records manifest as the outputs of the token's run of Job.
func (r *BlobRemote) PostOutput(ctx context.Context, manifest string) error {
	return r.each(func(c *Client) error {
		_, err := c.PostOutput(ctx, r.Job, manifest)
		return err
	})
}

// ErrNoOutputs: the job has no staged outputs (not a staged job, or its
// run has not sent them back yet).
var ErrNoOutputs = errors.New("no staged outputs")

// FetchOutputs restores the staged outputs of a job (one job or array
// task, JOBID or JOBID_INDEX) into dir, and returns their manifest. Nothing
// is written outside dir (cas.Restore); files of the same name in dir are
// replaced. The process's umask is cleared from the files' modes.
func (c *Client) FetchOutputs(ctx context.Context, ref, dir string) (*cas.Manifest, error) {
	files, err := c.JobFiles(ctx, ref)
	if err != nil {
		return nil, err
	}
	if files.Output == "" {
		if files.Input == "" {
			return nil, fmt.Errorf("job %s did not run in a staged partition: %w", ref, ErrNoOutputs)
		}
		return nil, fmt.Errorf("job %s has not sent its outputs back (yet): %w", ref, ErrNoOutputs)
	}
	r := &keepRemote{Remote: NewBlobRemote(c, ref), keep: files.Output}
	m, err := cas.GetManifest(ctx, files.Output, r)
	if err != nil {
		return nil, fmt.Errorf("job %s's outputs: %w", ref, err)
	}
	// Checked before anything is written: a full disk would leave some of
	// the files written and the rest not.
	var total int64
	for _, f := range m.Files {
		total += f.Size
	}
	if total > MaxOutputBytes {
		return nil, fmt.Errorf("job %s's outputs add up to %s, over the %s a job may send back", ref, cas.HumanBytes(total), cas.HumanBytes(MaxOutputBytes))
	}
	if free, ok := freeBytes(dir); ok && total > free {
		return nil, fmt.Errorf("job %s's outputs are %s, and %s has %s free: make room, or fetch them elsewhere (hpcbridge fetch %s --into DIR)", ref, cas.HumanBytes(total), dir, cas.HumanBytes(free), ref)
	}
	// The user's umask applies, as to any file they create: a job's 0666
	// file is not left writable by everyone on a shared login node.
	return cas.RestoreWith(ctx, files.Output, dir, r, cas.RestoreOptions{Umask: processUmask()})
}

// keepRemote keeps the blob keep (a manifest, read once to check it and
// once by the restore) after its first read.
type keepRemote struct {
	cas.Remote
	keep string
	mu   sync.Mutex
	data []byte
}

func (r *keepRemote) Get(ctx context.Context, digest string) ([]byte, error) {
	if digest != r.keep {
		return r.Remote.Get(ctx, digest)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.data != nil {
		return r.data, nil
	}
	b, err := r.Remote.Get(ctx, digest)
	if err == nil {
		r.data = b
	}
	return b, err
}
