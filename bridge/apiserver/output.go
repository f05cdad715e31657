package apiserver

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// OutputSource serves a job's stdout or stderr: the copy archived when it
// ended, or the live stream while it runs (following it with follow).
type OutputSource interface {
	WriteOutput(ctx context.Context, j *state.Job, stream string, follow bool, w io.Writer) error
}

// ErrNoOutput is what an OutputSource returns (wrapped) when a job has no
// output to show.
var ErrNoOutput = errors.New("no output")

// flushWriter flushes the response after every write, so a followed
// output streams.
type flushWriter struct {
	w     http.ResponseWriter
	wrote bool
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.wrote = true
	n, err := f.w.Write(p)
	if err == nil {
		// Through the server's wrappers (which Unwrap) to the connection.
		err = http.NewResponseController(f.w).Flush()
	}
	return n, err
}

// handleOutput serves GET /v1/job/{ref}/output?stream=stdout|stderr&follow.
// Every server mirrors the archive, but the leader's copy is there first
// (it archives before it reports a job ended), so other servers forward.
func (s *Server) handleOutput(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	ref, err := api.ParseJobRef(r.PathValue("ref"))
	if err != nil {
		return badRequest("%v", err)
	}
	q := r.URL.Query()
	stream := q.Get("stream")
	if stream == "" {
		stream = "stdout"
	}
	if stream != "stdout" && stream != "stderr" {
		return badRequest("stream %q: want stdout or stderr", stream)
	}
	follow, err := boolParam(q, "follow")
	if err != nil {
		return err
	}
	if s.cfg.Outputs == nil {
		e := api.Errorf(api.CodeInternal, "this coordinator has no execution backend, so no job output")
		e.Status = http.StatusNotImplemented
		return e
	}
	j, _ := lookup(s.cfg.Store.View(), ref)
	if j == nil || j.IsArrayBase() {
		return api.Errorf(api.CodeNotFound, "job %s has not run: %v", ref, state.ErrNotFound)
	}
	if !mayTouch(tok, j) {
		return denied("job %s belongs to %s", j.SlurmID(), j.User)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fw := &flushWriter{w: w}
	err = s.cfg.Outputs.WriteOutput(r.Context(), j, stream, follow, fw)
	switch {
	case err == nil:
		return nil
	case fw.wrote:
		// Too late for an error status: the body has begun.
		s.log.Warn("output stream ended early", "job", j.SlurmID(), "err", err)
		return nil
	case errors.Is(err, ErrNoOutput):
		return api.Errorf(api.CodeNotFound, "%v", err)
	}
	return err
}
