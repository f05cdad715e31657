// Package checkpoint is the job's side of hpcbridge checkpoints and what
// the driver shares with it: the protocol of the per-task checkpoint
// socket, the `hpcbridge checkpoint` command (in the hpcbridge binary and,
// inside a job, in the plugin binary linked onto the job's PATH), and the
// file helper that scans and restores a checkpoint as the job's user.
//
// A job asks for a commit over the unix socket named by
// HPCBRIDGE_CHECKPOINT_SOCKET: one JSON Request, one JSON Reply, then the
// connection closes. The driver (root) checks the peer's uid, has the
// helper scan the checkpoint as the job's user, uploads what the store
// lacks with the run's token, signs a receipt with the node key and
// commits it at the coordinator; the reply comes once the coordinator has
// committed (docs/checkpoints.md, "What the node does").
//
// The package imports nothing of Nomad: cmd/hpcbridge links it.
package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Environment of a job that can checkpoint.
const (
	// EnvSocket is the driver's checkpoint socket for the job.
	EnvSocket = "HPCBRIDGE_CHECKPOINT_SOCKET"
	// EnvDir is the job's checkpoint directory (absolute): what a commit
	// takes by default and where a requeued run finds it restored.
	EnvDir = "HPCBRIDGE_CHECKPOINT_DIR"
)

// Bounds of a request.
const (
	// MaxPaths is the most paths one request may name.
	MaxPaths = 1000
	// MaxPathBytes bounds one path.
	MaxPathBytes = 4096
	// MaxRequestBytes bounds a request's encoding.
	MaxRequestBytes = 1 << 20
	// MaxReplyBytes bounds a reply's encoding.
	MaxReplyBytes = 64 << 10
	// RequestTimeout is how long the driver waits for a request once a
	// job has connected.
	RequestTimeout = 10 * time.Second
)

// Request asks the driver to commit a checkpoint.
type Request struct {
	// Paths are what to commit, absolute or relative to the checkpoint
	// directory, each inside it (none: the whole checkpoint directory).
	Paths []string `json:"paths,omitempty"`
}

// Reply says what was committed, or why nothing was.
type Reply struct {
	// Error is why the commit failed ("" when it succeeded).
	Error string `json:"error,omitempty"`
	// Seq is the checkpoint's number within the run; Digest its manifest.
	Seq    int    `json:"seq,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Files and Size are the checkpoint's entries and bytes; Uploaded
	// the bytes this commit sent (what the store lacked).
	Files    int   `json:"files,omitempty"`
	Size     int64 `json:"size,omitempty"`
	Uploaded int64 `json:"uploaded,omitempty"`
	// GPUSeconds and CPUSeconds are what the coordinator credited for
	// the receipt; Clamped and Note say whether and why it credited less
	// than the node claimed.
	GPUSeconds int64  `json:"gpu_seconds,omitempty"`
	CPUSeconds int64  `json:"cpu_seconds,omitempty"`
	Clamped    bool   `json:"clamped,omitempty"`
	Note       string `json:"note,omitempty"`
	// Unchanged is set when nothing changed since the run's last commit
	// (a stop's commit is then skipped).
	Unchanged bool `json:"unchanged,omitempty"`
}

// ErrRequest is wrapped by every error about a request's form.
var ErrRequest = errors.New("checkpoint request")

// ReadRequest reads one request from r, bounded by MaxRequestBytes,
// MaxPaths and MaxPathBytes.
func ReadRequest(r io.Reader) (*Request, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxRequestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	if len(b) > MaxRequestBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrRequest, MaxRequestBytes)
	}
	var req Request
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	if len(req.Paths) > MaxPaths {
		return nil, fmt.Errorf("%w: %d paths (at most %d)", ErrRequest, len(req.Paths), MaxPaths)
	}
	for _, p := range req.Paths {
		if p == "" || len(p) > MaxPathBytes || strings.ContainsRune(p, 0) {
			return nil, fmt.Errorf("%w: a path must be 1 to %d bytes, without NUL", ErrRequest, MaxPathBytes)
		}
	}
	return &req, nil
}

// RelPaths turns a request's paths into paths relative to dir (the
// checkpoint directory), clean and inside it; nil when none were given.
// A path that leaves dir is refused: a requeued run gets back only what
// is under its checkpoint directory.
func RelPaths(dir string, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(paths))
	seen := map[string]bool{}
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(dir, p)
		}
		rel, err := filepath.Rel(dir, filepath.Clean(abs))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("%w: %q is outside the checkpoint directory %s", ErrRequest, p, dir)
		}
		if !seen[rel] {
			seen[rel] = true
			out = append(out, rel)
		}
	}
	return out, nil
}

// Commit asks the driver behind socket to commit paths (nil: the whole
// checkpoint directory) and waits for its reply. A reply that reports a
// failure is returned with an error saying why.
func Commit(ctx context.Context, socket string, paths []string) (*Reply, error) {
	if len(paths) > MaxPaths {
		return nil, fmt.Errorf("%d paths: at most %d may be committed at once (name their directory instead)", len(paths), MaxPaths)
	}
	conn, err := dial(ctx, socket)
	if err != nil {
		return nil, fmt.Errorf("reach the node's checkpoint service at %s: %w", socket, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	b, err := json.Marshal(&Request{Paths: paths})
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRequestBytes {
		return nil, fmt.Errorf("the paths add up to over %d bytes: name their directory instead", MaxRequestBytes)
	}
	if _, err := conn.Write(b); err != nil {
		return nil, fmt.Errorf("send the request: %w", err)
	}
	_ = conn.CloseWrite()
	rb, err := io.ReadAll(io.LimitReader(conn, MaxReplyBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no reply from the node: %w", ctx.Err())
		}
		return nil, fmt.Errorf("read the reply: %w", err)
	}
	if len(rb) == 0 {
		return nil, errors.New("the node closed the connection without a reply")
	}
	var rep Reply
	if err := json.Unmarshal(rb, &rep); err != nil {
		return nil, fmt.Errorf("the node's reply: %w", err)
	}
	if rep.Error != "" {
		return &rep, errors.New(rep.Error)
	}
	return &rep, nil
}

// WriteReply writes rep to w (the server's half of the exchange).
func WriteReply(w io.Writer, rep *Reply) error {
	if len(rep.Error) > MaxReplyBytes/2 {
		rep.Error = rep.Error[:MaxReplyBytes/2] + "..."
	}
	if len(rep.Note) > MaxReplyBytes/4 {
		rep.Note = rep.Note[:MaxReplyBytes/4] + "..."
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// maxSunPath is the longest path a unix socket address holds (with its NUL).
const maxSunPath = 107

// dial connects to the unix socket at path. A path too long for a socket
// address (a deep Nomad data dir) is reached through /proc/self/fd and a
// handle on its directory.
func dial(ctx context.Context, path string) (*net.UnixConn, error) {
	var d net.Dialer
	if len(path) <= maxSunPath {
		c, err := d.DialContext(ctx, "unix", path)
		if err != nil {
			return nil, err
		}
		return c.(*net.UnixConn), nil
	}
	dir, err := os.OpenFile(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	short := fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path))
	if len(short) > maxSunPath {
		return nil, fmt.Errorf("socket name %q too long", filepath.Base(path))
	}
	c, err := d.DialContext(ctx, "unix", short)
	if err != nil {
		return nil, err
	}
	return c.(*net.UnixConn), nil
}

// Listen binds a unix socket at path (see dial for long paths); the
// caller removes the file when done.
func Listen(path string) (*net.UnixListener, error) {
	name := path
	if len(path) > maxSunPath {
		dir, err := os.OpenFile(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		defer dir.Close()
		name = fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path))
		if len(name) > maxSunPath {
			return nil, fmt.Errorf("socket name %q too long", filepath.Base(path))
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l.SetUnlinkOnClose(false)
	return l, nil
}
