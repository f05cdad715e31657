package checkpoint

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// The file helper: the driver runs as root, and a job's checkpoint
// directory is the job's to change at any moment (a symbolic link in
// place of a directory would make root read, or write, files the job
// cannot). So the driver never touches the job's files itself: it starts
// the plugin binary under the name HelperName as the job's user, and the
// helper scans (cas.Scan, cas.Upload) or restores (cas.Restore) with a
// Remote that hands every blob to the driver over its standard input and
// output. The driver talks to the coordinator with the run's token, which
// the helper never sees; it checks every blob's digest and bounds every
// frame, as the helper is the job's to tamper with.

// HelperName is the helper's argv[0].
const HelperName = "hpcbridge-checkpoint-files"

// Helper operations.
const (
	OpScan    = "scan"
	OpRestore = "restore"
)

// Frame bounds.
const (
	maxHeader  = 2 << 20
	maxPayload = cas.MaxManifest
	// maxDigestsPerAsk bounds one Missing question (the API's bound).
	maxDigestsPerAsk = 10000
)

// Job is what the driver asks the helper to do.
type Job struct {
	Op string `json:"op"`
	// Dir is the checkpoint directory (absolute).
	Dir string `json:"dir"`
	// Paths (OpScan) are relative to Dir; nil: all of it. Limit bounds the
	// checkpoint's bytes (0: no bound).
	Paths []string `json:"paths,omitempty"`
	Limit int64    `json:"limit,omitempty"`
	// Digest (OpRestore) is the manifest to restore.
	Digest string `json:"digest,omitempty"`
	// Base (OpScan), when set, is a manifest the scan is compared with:
	// only what is new or changed since it is uploaded and listed (a
	// staged job's outputs against its input; cas.Changed).
	Base string `json:"base,omitempty"`
}

// Result is what the helper reports when it is done.
type Result struct {
	Error string `json:"error,omitempty"`
	// NoDir is set when the checkpoint directory does not exist (OpScan).
	NoDir bool `json:"no_dir,omitempty"`
	// Digest is the manifest scanned and uploaded, or restored.
	Digest string `json:"digest,omitempty"`
	// Upload's figures (OpScan), or the restored manifest's files and
	// bytes (OpRestore).
	Stats cas.Stats `json:"stats"`
}

// header is one frame's JSON part; a frame may carry a payload of bytes.
type header struct {
	// helper -> driver: "missing", "put", "get", "done".
	Op      string   `json:"op,omitempty"`
	Digest  string   `json:"digest,omitempty"`
	Digests []string `json:"digests,omitempty"`
	Result  *Result  `json:"result,omitempty"`
	// driver -> helper: the start (Job), answers (Digests, Error).
	Job   *Job   `json:"job,omitempty"`
	Error string `json:"error,omitempty"`
}

func writeFrame(w io.Writer, h *header, payload []byte) error {
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if len(hb) > maxHeader || len(payload) > maxPayload {
		return fmt.Errorf("frame of %d+%d bytes is over the bounds (%d+%d)", len(hb), len(payload), maxHeader, maxPayload)
	}
	b := make([]byte, 8, 8+len(hb)+len(payload))
	binary.BigEndian.PutUint32(b[:4], uint32(len(hb)))
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	b = append(append(b, hb...), payload...)
	_, err = w.Write(b)
	return err
}

func readFrame(r io.Reader) (*header, []byte, error) {
	var n [8]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, nil, err
	}
	hl, pl := binary.BigEndian.Uint32(n[:4]), binary.BigEndian.Uint32(n[4:])
	if hl > maxHeader || pl > maxPayload {
		return nil, nil, fmt.Errorf("frame of %d+%d bytes is over the bounds (%d+%d)", hl, pl, maxHeader, maxPayload)
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, nil, err
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, nil, fmt.Errorf("frame: %w", err)
	}
	var payload []byte
	if pl > 0 {
		payload = make([]byte, pl)
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, nil, err
		}
	}
	return &h, payload, nil
}

// pipeRemote is the helper's cas.Remote: each call is one frame to the
// driver and its answer. cas.Upload and cas.Restore call it from several
// goroutines: one question at a time is on the pipe, so that each answer
// reaches its own question.
type pipeRemote struct {
	mu sync.Mutex
	r  io.Reader
	w  io.Writer
}

func (p *pipeRemote) ask(h *header, payload []byte) (*header, []byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := writeFrame(p.w, h, payload); err != nil {
		return nil, nil, fmt.Errorf("to the driver: %w", err)
	}
	a, b, err := readFrame(p.r)
	if err != nil {
		return nil, nil, fmt.Errorf("from the driver: %w", err)
	}
	if a.Error != "" {
		return nil, nil, errors.New(a.Error)
	}
	return a, b, nil
}

func (p *pipeRemote) Missing(_ context.Context, digests []string) ([]string, error) {
	a, _, err := p.ask(&header{Op: "missing", Digests: digests}, nil)
	if err != nil {
		return nil, err
	}
	return a.Digests, nil
}

func (p *pipeRemote) Put(_ context.Context, digest string, data []byte) error {
	_, _, err := p.ask(&header{Op: "put", Digest: digest}, data)
	return err
}

func (p *pipeRemote) Get(_ context.Context, digest string) ([]byte, error) {
	_, b, err := p.ask(&header{Op: "get", Digest: digest}, nil)
	return b, err
}

// HelperMain is the helper (argv[0] HelperName): it reads its Job from in,
// does it with the driver as its Remote, and reports the Result. It runs
// as the job's user and holds no secret.
func HelperMain(in io.Reader, out io.Writer) int {
	h, _, err := readFrame(in)
	if err != nil || h.Job == nil {
		fmt.Fprintln(os.Stderr, "hpcbridge checkpoint helper: no job from the driver:", err)
		return 2
	}
	res := runJob(context.Background(), h.Job, &pipeRemote{r: in, w: out})
	if err := writeFrame(out, &header{Op: "done", Result: res}, nil); err != nil {
		fmt.Fprintln(os.Stderr, "hpcbridge checkpoint helper:", err)
		return 1
	}
	return 0
}

func runJob(ctx context.Context, j *Job, r cas.Remote) *Result {
	switch j.Op {
	case OpScan:
		fi, err := os.Stat(j.Dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return &Result{NoDir: true, Error: fmt.Sprintf("the checkpoint directory %s does not exist", j.Dir)}
		case err != nil:
			return &Result{Error: fmt.Sprintf("the checkpoint directory: %v", err)}
		case !fi.IsDir():
			return &Result{Error: fmt.Sprintf("the checkpoint directory %s is not a directory", j.Dir)}
		}
		m, l, err := cas.Scan(j.Dir, j.Paths, j.Limit)
		if err != nil {
			return &Result{Error: err.Error()}
		}
		if j.Base != "" {
			base, err := cas.GetManifest(ctx, j.Base, r)
			if err != nil {
				return &Result{Error: err.Error()}
			}
			m = cas.Changed(base, m)
		}
		d, st, err := cas.Upload(ctx, m, l, r)
		if err != nil {
			return &Result{Error: err.Error()}
		}
		return &Result{Digest: d, Stats: st}
	case OpRestore:
		m, err := cas.Restore(ctx, j.Digest, j.Dir, r)
		if err != nil {
			return &Result{Error: err.Error()}
		}
		st := cas.Stats{Files: len(m.Files)}
		for _, f := range m.Files {
			st.Bytes += f.Size
		}
		return &Result{Digest: j.Digest, Stats: st}
	}
	return &Result{Error: fmt.Sprintf("unknown operation %q", j.Op)}
}

// Serve is the driver's side of one helper run: it sends j on w, answers
// the helper's questions from r with remote, and returns the helper's
// result. Everything from the helper is checked: digests are verified,
// frames and questions bounded. maxBytes bounds the bytes the helper may
// put (0: no bound). The caller ends the helper when ctx ends (that ends
// Serve's reads).
func Serve(ctx context.Context, r io.Reader, w io.Writer, j *Job, remote cas.Remote, maxBytes int64) (*Result, error) {
	if err := writeFrame(w, &header{Job: j}, nil); err != nil {
		return nil, fmt.Errorf("start the helper: %w", err)
	}
	var put int64
	for {
		h, payload, err := readFrame(r)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("the helper: %w", err)
		}
		var (
			ans  *header
			data []byte
		)
		if h.Op == "put" && maxBytes > 0 && put+int64(len(payload)) > maxBytes+maxPayload {
			// Refused before it is stored: a tampered helper may ignore
			// the refusal and go on putting.
			ans = &header{Error: fmt.Sprintf("the checkpoint sent more than its %d bytes", maxBytes)}
		} else {
			ans, data, err = answer(ctx, h, payload, remote)
			switch {
			case h.Op == "done":
				if h.Result == nil {
					return nil, errors.New("the helper ended without a result")
				}
				return h.Result, nil
			case err != nil:
				ans = &header{Error: err.Error()}
			case h.Op == "put":
				put += int64(len(payload))
			}
		}
		if err := writeFrame(w, ans, data); err != nil {
			return nil, fmt.Errorf("answer the helper: %w", err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

// answer does one helper question against remote.
func answer(ctx context.Context, h *header, payload []byte, remote cas.Remote) (*header, []byte, error) {
	switch h.Op {
	case "done":
		return nil, nil, nil
	case "missing":
		if len(h.Digests) == 0 || len(h.Digests) > maxDigestsPerAsk {
			return nil, nil, fmt.Errorf("ask about 1 to %d digests at once", maxDigestsPerAsk)
		}
		for _, d := range h.Digests {
			if !cas.ValidDigest(d) {
				return nil, nil, fmt.Errorf("bad digest %q", d)
			}
		}
		miss, err := remote.Missing(ctx, h.Digests)
		if err != nil {
			return nil, nil, err
		}
		return &header{Digests: miss}, nil, nil
	case "put":
		if err := cas.Verify(h.Digest, payload); err != nil {
			return nil, nil, err
		}
		if err := remote.Put(ctx, h.Digest, payload); err != nil {
			return nil, nil, err
		}
		return &header{}, nil, nil
	case "get":
		if !cas.ValidDigest(h.Digest) {
			return nil, nil, fmt.Errorf("bad digest %q", h.Digest)
		}
		b, err := remote.Get(ctx, h.Digest)
		if err != nil {
			return nil, nil, err
		}
		if err := cas.Verify(h.Digest, b); err != nil {
			return nil, nil, err
		}
		if len(b) > maxPayload {
			return nil, nil, fmt.Errorf("blob %s is over %d bytes", h.Digest, maxPayload)
		}
		return &header{}, b, nil
	}
	return nil, nil, fmt.Errorf("unknown question %q", h.Op)
}
