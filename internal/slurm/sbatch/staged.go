package sbatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Staged partitions (docs/files.md): the coordinator answers a submission
// to a partition whose nodes do not see the submit directory with
// staged_input; sbatch then uploads the directory (content addressed:
// what the coordinator has already is not sent again) and submits again
// with its manifest. sbatch --wait brings the job's outputs back into the
// submit directory before it returns.

// EnvStageLimit bounds the bytes of a submit directory sbatch uploads for
// a staged partition (e.g. 500M, 20G; binary units); DefaultStageLimit
// when unset.
const EnvStageLimit = "HPCBRIDGE_STAGE_LIMIT"

// DefaultStageLimit is the upload bound when EnvStageLimit is unset.
const DefaultStageLimit int64 = 10 << 30

// stagedClient is what staging needs of the client (*api.Client is one).
type stagedClient interface {
	BlobsMissingAs(ctx context.Context, user string, digests []string) ([]string, error)
	PutBlobAs(ctx context.Context, user, digest string, data []byte) error
	FetchOutputs(ctx context.Context, ref, dir string) (*cas.Manifest, error)
}

// uploadRemote is the client as the cas.Remote uploads go to, in the
// namespace of the job's owner (the local user; a management token may
// submit as them).
type uploadRemote struct {
	c    stagedClient
	user string
}

func (r uploadRemote) Missing(ctx context.Context, d []string) ([]string, error) {
	return r.c.BlobsMissingAs(ctx, r.user, d)
}

func (r uploadRemote) Put(ctx context.Context, d string, b []byte) error {
	return r.c.PutBlobAs(ctx, r.user, d, b)
}

func (uploadRemote) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("sbatch reads no blobs")
}

// stageLimit reads EnvStageLimit from env.
func stageLimit(env []string) (int64, error) {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == EnvStageLimit {
			v = val
		}
	}
	if v == "" {
		return DefaultStageLimit, nil
	}
	n, err := parseSize(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", EnvStageLimit, v, err)
	}
	return n, nil
}

// parseSize reads a byte count with an optional binary unit: 1024, 64K,
// 500M, 20G, 1T (KiB... also accepted).
func parseSize(v string) (int64, error) {
	s := strings.TrimSpace(strings.ToUpper(v))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "I")
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, errors.New("want a positive size such as 500M or 20G")
	}
	return n * mult, nil
}

// stage uploads the submit directory and returns its manifest's digest
// and what was sent; what the scan left out (sockets, devices, pipes) is
// reported on s.Err.
func (o *sbatchOptions) stage(ctx context.Context, s slurm.Streams) (string, cas.Stats, error) {
	c, ok := o.Client.(stagedClient)
	if !ok {
		return "", cas.Stats{}, errors.New("this client cannot upload files")
	}
	if home, ok := slurm.LookupEnv(o.Env, "HOME"); ok && home != "" && holdsHome(o.Cwd, home) {
		what := "it is your home directory"
		if !samePath(o.Cwd, home) {
			what = fmt.Sprintf("it holds your home directory %s", home)
		}
		return "", cas.Stats{}, fmt.Errorf("%s: all of it (your ssh keys too) would go to the nodes, which are other sites' machines; submit from a project directory", what)
	}
	limit, err := stageLimit(o.Env)
	if err != nil {
		return "", cas.Stats{}, err
	}
	m, l, err := cas.Scan(o.Cwd, nil, limit)
	if err != nil {
		return "", cas.Stats{}, fmt.Errorf("%w (the limit is %s from %s)", err, cas.HumanBytes(limit), EnvStageLimit)
	}
	for _, skipped := range l.Skipped {
		fmt.Fprintf(s.Err, "sbatch: warning: not staged: %s\n", skipped)
	}
	for _, f := range outsideLinks(m) {
		fmt.Fprintf(s.Err, "sbatch: warning: %s -> %s points outside the submit directory: the link travels, not what it points to (the node resolves it on its own file system)\n", f.Path, f.Link)
	}
	d, st, err := cas.Upload(ctx, m, l, uploadRemote{c: c, user: o.User})
	if err != nil {
		return "", st, err
	}
	return d, st, nil
}

// outsideLinks are the manifest's symbolic links whose targets are not in
// it: absolute, or climbing out of the directory.
func outsideLinks(m *cas.Manifest) []cas.File {
	var out []cas.File
	for _, f := range m.Files {
		if f.Link == "" {
			continue
		}
		t := f.Link
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(filepath.FromSlash(f.Path)), t)
		}
		if filepath.IsAbs(t) || t == ".." || strings.HasPrefix(t, ".."+string(filepath.Separator)) {
			out = append(out, f)
		}
	}
	return out
}

// holdsHome reports whether dir is home or one of its parents (a scan of
// dir would take home along), comparing the paths as given and with
// symbolic links resolved.
func holdsHome(dir, home string) bool {
	under := func(d, h string) bool {
		rel, err := filepath.Rel(filepath.Clean(d), filepath.Clean(h))
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	if under(dir, home) {
		return true
	}
	rd, err1 := filepath.EvalSymlinks(dir)
	rh, err2 := filepath.EvalSymlinks(home)
	return err1 == nil && err2 == nil && under(rd, rh)
}

// samePath reports whether a and b name the same directory.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// submit submits req and, when its partition is staged, uploads the
// submit directory and submits again with it.
func (o *sbatchOptions) submit(ctx context.Context, req *api.SubmitRequest, s slurm.Streams) (*api.SubmitResponse, error) {
	resp, err := o.Client.Submit(ctx, req)
	// A second upload when the coordinator still finds the input
	// incomplete (a new leader that had not mirrored all of it yet).
	for tries := 0; tries < 2 && api.IsCode(err, api.CodeStagedInput); tries++ {
		d, st, serr := o.stage(ctx, s)
		if serr != nil {
			return nil, &api.Error{Code: api.CodeStagedInput, Message: fmt.Sprintf("%v; cannot stage the submit directory %s: %v", err, o.Cwd, serr)}
		}
		fmt.Fprintf(s.Err, "sbatch: staged %s: %d files, %s; sent %d of %d chunks (%s)\n", o.Cwd, st.Files, cas.HumanBytes(st.Bytes), st.SentChunks, st.Chunks, cas.HumanBytes(st.SentBytes))
		req.StagedInput = d
		resp, err = o.Client.Submit(ctx, req)
	}
	return resp, err
}

// fetchOutputs brings the staged outputs of the job's records (the job,
// or its array's tasks) into the submit directory, after sbatch --wait. It
// reports whether every staged record's outputs came back.
func (o *sbatchOptions) fetchOutputs(ctx context.Context, s slurm.Streams, jobs []*state.Job) bool {
	c, ok := o.Client.(stagedClient)
	if !ok {
		return true
	}
	all := true
	for _, j := range jobs {
		if j.Files == nil || j.IsArrayBase() {
			continue
		}
		if fi, err := os.Stat(o.Cwd); err != nil || !fi.IsDir() {
			fmt.Fprintf(s.Err, "sbatch: error: job %s's outputs: the submit directory %s is gone; use hpcbridge fetch %s --into DIR\n", j.SlurmID(), o.Cwd, j.SlurmID())
			return false
		}
		m, err := c.FetchOutputs(ctx, j.SlurmID(), o.Cwd)
		if err != nil {
			fmt.Fprintf(s.Err, "sbatch: error: job %s's outputs: %v\n", j.SlurmID(), err)
			all = false
			continue
		}
		fmt.Fprintf(s.Err, "sbatch: job %s: fetched %d files into %s\n", j.SlurmID(), countFiles(m), o.Cwd)
	}
	return all
}

// countFiles counts a manifest's regular files and links.
func countFiles(m *cas.Manifest) int {
	n := 0
	for _, f := range m.Files {
		if !f.FileMode().IsDir() {
			n++
		}
	}
	return n
}
