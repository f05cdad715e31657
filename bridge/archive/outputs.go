package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Streams a job writes.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Outputs is the archive of job output on the coordinator's disk: when a
// job ends, the leader copies its stdout and stderr from the Nomad client,
// so `hpcbridge output` works after Nomad has collected the allocation. It
// serves the API's output route (apiserver.OutputSource) and archives for
// the executor (nomadexec.Archiver).
type Outputs struct {
	Dir    string
	Client *api.Client
	// Retention is how long after a job ends its copy is kept (0: for
	// ever); Mirror sweeps older copies away (see Sweep).
	Retention time.Duration
}

// DefaultRetention is the default Outputs.Retention: 30 days.
const DefaultRetention = 30 * 24 * time.Hour

var (
	_ apiserver.OutputSource = (*Outputs)(nil)
	_ nomadexec.Archiver     = (*Outputs)(nil)
)

func (o *Outputs) path(jobID uint64, stream string) string {
	return filepath.Join(o.Dir, strconv.FormatUint(jobID, 10), stream)
}

// Archive copies an allocation's logs into the archive.
func (o *Outputs) Archive(ctx context.Context, jobID uint64, allocID, nodeID string) error {
	dir := filepath.Join(o.Dir, strconv.FormatUint(jobID, 10))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, stream := range []string{Stdout, Stderr} {
		tmp, err := os.CreateTemp(dir, stream+".*")
		if err != nil {
			return err
		}
		_, err = copyLogs(ctx, o.Client, &api.Allocation{ID: allocID, NodeID: nodeID}, stream, 0, false, tmp)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), o.path(jobID, stream))
		}
		if err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("%s: %w", stream, err)
		}
	}
	return nil
}

// copyLogs writes a task's log stream to w; with follow it returns when the
// task ends or ctx does.
//
// It asks the agent c talks to, which serves a remote allocation's logs
// through the client node's RPC. api.AllocFS.Logs would ask the node's
// HTTP API instead, but through a new connection pool per call, whose
// connection then idles for 90 s: a burst of ending jobs leaves hundreds of
// them, and Nomad refuses every request from this host (HTTP 429) beyond
// its 100 (limits.http_max_conns_per_client), job registrations included.
//
// It starts offset bytes into the stream and returns how many bytes it
// wrote. Nomad's follow stream does not end when the task does (it sends
// heartbeats for as long as the allocation exists), so followers cancel ctx
// when the allocation stops (see follow).
func copyLogs(ctx context.Context, c *api.Client, a *api.Allocation, stream string, offset int64, follow bool, w io.Writer) (int64, error) {
	q := (&api.QueryOptions{Params: map[string]string{
		"follow": strconv.FormatBool(follow),
		"task":   nomadexec.TaskName,
		"type":   stream,
		"origin": api.OriginStart,
		"offset": strconv.FormatInt(offset, 10),
	}}).WithContext(ctx)
	body, err := c.Raw().Response("/v1/client/fs/logs/"+a.ID, q)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	var n int64
	for {
		var f api.StreamFrame
		if err := dec.Decode(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			return n, fmt.Errorf("logs of allocation %s: %w", a.ID, err)
		}
		if f.IsHeartbeat() {
			continue
		}
		m, err := w.Write(f.Data)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
}

// follow copies a running allocation's log stream to w until the
// allocation stops, then what the stream had not yet sent.
func (o *Outputs) follow(ctx context.Context, a *api.AllocationListStub, stream string, w io.Writer) error {
	alloc := &api.Allocation{ID: a.ID, NodeID: a.NodeID}
	fctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		o.waitAllocDone(fctx, a)
		cancel()
	}()
	n, err := copyLogs(fctx, o.Client, alloc, stream, 0, true, w)
	cancel()
	<-stopped
	if ctx.Err() != nil {
		return ctx.Err() // the reader went away
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	_, err = copyLogs(ctx, o.Client, alloc, stream, n, false, w)
	return err
}

// waitAllocDone returns when the allocation's tasks have stopped for good
// (or its node is gone), as blocking queries on it report, or ctx ends.
func (o *Outputs) waitAllocDone(ctx context.Context, a *api.AllocationListStub) {
	status, idx := a.ClientStatus, a.ModifyIndex
	for !allocDone(status) && ctx.Err() == nil {
		full, meta, err := o.Client.Allocations().Info(a.ID, (&api.QueryOptions{WaitIndex: idx, WaitTime: 30 * time.Second}).WithContext(ctx))
		if err != nil {
			return
		}
		status, idx = full.ClientStatus, meta.LastIndex
	}
}

// WriteOutput copies a job's output to w: the archived copy when the job
// has ended, else (while it runs, or when the archive lacks it) the log
// from Nomad, followed until the job's allocation stops when follow is set.
func (o *Outputs) WriteOutput(ctx context.Context, j *state.Job, stream string, follow bool, w io.Writer) error {
	if stream != Stdout && stream != Stderr {
		return fmt.Errorf("stream %q: want stdout or stderr", stream)
	}
	if f, err := os.Open(o.path(j.ID, stream)); err == nil {
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}
	if o.Retention > 0 && j.State.Terminal() && time.Since(j.EndTime) > o.Retention {
		return fmt.Errorf("job %s ended %s ago: its output is kept %s (--output-retention): %w",
			j.SlurmID(), time.Since(j.EndTime).Round(time.Hour), o.Retention, apiserver.ErrNoOutput)
	}
	running := j.State == state.StateRunning || j.State == state.StateCompleting
	if !running && !j.State.Terminal() {
		return fmt.Errorf("job %s: %w", j.SlurmID(), apiserver.ErrNoOutput)
	}
	last, err := o.lastAlloc(ctx, j)
	if err != nil {
		return err
	}
	if last == nil {
		if running {
			return fmt.Errorf("job %s has not started on a node yet: %w", j.SlurmID(), apiserver.ErrNoOutput)
		}
		return fmt.Errorf("job %s: %w", j.SlurmID(), apiserver.ErrNoOutput)
	}
	if follow && running {
		return o.follow(ctx, last, stream, w)
	}
	_, err = copyLogs(ctx, o.Client, &api.Allocation{ID: last.ID, NodeID: last.NodeID}, stream, 0, false, w)
	return err
}
