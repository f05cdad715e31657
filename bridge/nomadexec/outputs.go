package nomadexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge"
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
// serves the API's output route (bridge.OutputSource).
type Outputs struct {
	Dir    string
	Client *api.Client
}

var _ bridge.OutputSource = (*Outputs)(nil)

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
		err = copyLogs(ctx, o.Client, &api.Allocation{ID: allocID, NodeID: nodeID}, stream, false, tmp)
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
func copyLogs(ctx context.Context, c *api.Client, a *api.Allocation, stream string, follow bool, w io.Writer) error {
	q := (&api.QueryOptions{Params: map[string]string{
		"follow": strconv.FormatBool(follow),
		"task":   TaskName,
		"type":   stream,
		"origin": api.OriginStart,
		"offset": "0",
	}}).WithContext(ctx)
	body, err := c.Raw().Response("/v1/client/fs/logs/"+a.ID, q)
	if err != nil {
		return err
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	for {
		var f api.StreamFrame
		if err := dec.Decode(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("logs of allocation %s: %w", a.ID, err)
		}
		if f.IsHeartbeat() {
			continue
		}
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
	}
}

// WriteOutput copies a job's output to w: the archived copy when the job
// has ended, else (while it runs) the live log from Nomad, following it
// until the job ends when follow is set.
func (o *Outputs) WriteOutput(ctx context.Context, j *state.Job, stream string, follow bool, w io.Writer) error {
	if stream != Stdout && stream != Stderr {
		return fmt.Errorf("stream %q: want stdout or stderr", stream)
	}
	if f, err := os.Open(o.path(j.ID, stream)); err == nil {
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}
	if j.State != state.StateRunning && j.State != state.StateCompleting {
		return fmt.Errorf("job %s: %w", j.SlurmID(), bridge.ErrNoOutput)
	}
	allocs, _, err := o.Client.Jobs().Allocations(NomadID(j), true, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return err
	}
	var last *api.AllocationListStub
	for _, a := range allocs {
		if last == nil || a.CreateIndex > last.CreateIndex {
			last = a
		}
	}
	if last == nil {
		return fmt.Errorf("job %s has not started on a node yet: %w", j.SlurmID(), bridge.ErrNoOutput)
	}
	return copyLogs(ctx, o.Client, &api.Allocation{ID: last.ID, NodeID: last.NodeID}, stream, follow, w)
}
