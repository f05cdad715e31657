package archive

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// MirrorGap is the least time between two looks of Mirror at the store.
const MirrorGap = 500 * time.Millisecond

// mirrorCatchUp bounds how far back Mirror's first look archives jobs that
// ended while this server was away.
const mirrorCatchUp = time.Hour

// Mirror keeps this server's archive complete, leader or not: whenever a
// job that ran on a node has ended and the archive has no copy of its
// output, it copies it from Nomad. The leader archives before it reports a
// job ended (so its copy is there first); followers copy right after they
// apply the end, while Nomad still has the allocation. So `hpcbridge
// output` keeps working on whichever server leads after a failover. The
// first look also copies what ended in the last hour while this server was
// down. Mirror returns when ctx ends.
func (o *Outputs) Mirror(ctx context.Context, store *state.Store, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var seen uint64 // the log index looked at last
	var swept time.Time
	// Copies run beside each other, a few at a time: one may wait for a
	// cancelled job's task to finish dying.
	slots := make(chan struct{}, 4)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		changed := store.WatchJobs()
		v := store.View()
		now := time.Now()
		var ended []*state.Job
		v.EachJobModifiedAfter(seen, func(j *state.Job) bool {
			if j.State.Terminal() && j.NodeList != "" && (seen > 0 || now.Sub(j.EndTime) < mirrorCatchUp) {
				ended = append(ended, j)
			}
			return true
		})
		seen = v.LatestIndex()
		if now.Sub(swept) >= sweepEvery {
			swept = now
			if n, err := o.Sweep(v, now); err != nil {
				logger.Warn("sweep old job output", "err", err)
			} else if n > 0 {
				logger.Info("removed old job output", "jobs", n, "retention", o.Retention)
			}
		}
		for _, j := range ended {
			select {
			case <-ctx.Done():
				return
			case slots <- struct{}{}:
			}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				if err := o.mirror(ctx, j); err != nil && ctx.Err() == nil {
					logger.Warn("copy job output", "job", j.SlurmID(), "err", err)
				}
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-time.After(sweepEvery): // an idle cluster still sweeps
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(MirrorGap): // let ends collect
		}
	}
}

// sweepEvery is how often Mirror removes copies past the retention.
const sweepEvery = time.Hour

// Sweep removes the copies of jobs that ended more than Retention before
// now, and of jobs the store does not know (a store rebuilt from an older
// snapshot keeps nothing of them). It returns how many it removed.
func (o *Outputs) Sweep(v *state.View, now time.Time) (int, error) {
	if o.Retention <= 0 {
		return 0, nil
	}
	entries, err := os.ReadDir(o.Dir)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, nil
		}
		return 0, err
	}
	removed := 0
	for _, e := range entries {
		id, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue // not a copy
		}
		j := v.Job(id)
		if j != nil && (!j.State.Terminal() || now.Sub(j.EndTime) <= o.Retention) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(o.Dir, e.Name())); err != nil {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// mirrorWait bounds how long a copy waits for the task of a job the
// coordinator ended (cancelled, timed out) to stop, so its last words
// (Slurm's "CANCELLED AT ... DUE TO TIME LIMIT") are in the copy.
const mirrorWait = 2 * time.Minute

// mirror archives j's output unless the archive has it.
func (o *Outputs) mirror(ctx context.Context, j *state.Job) error {
	if _, err := os.Stat(o.path(j.ID, Stderr)); err == nil {
		return nil
	}
	a, err := o.lastAlloc(ctx, j)
	if err != nil || a == nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, mirrorWait)
	o.waitAllocDone(wctx, a) // or copy what there is by then
	cancel()
	return o.Archive(ctx, j.ID, a.ID, a.NodeID)
}

// allocDone reports whether an allocation's tasks have stopped for good,
// or its node is gone (nothing to wait for).
func allocDone(status string) bool {
	switch status {
	case api.AllocClientStatusComplete, api.AllocClientStatusFailed, api.AllocClientStatusLost, api.AllocClientStatusUnknown:
		return true
	}
	return false
}

// lastAlloc is the newest allocation of j's current run, or nil.
func (o *Outputs) lastAlloc(ctx context.Context, j *state.Job) (*api.AllocationListStub, error) {
	allocs, _, err := o.Client.Jobs().Allocations(nomadexec.NomadID(j), true, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		if nomadexec.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var last *api.AllocationListStub
	for _, a := range allocs {
		if last == nil || a.CreateIndex > last.CreateIndex {
			last = a
		}
	}
	return last, nil
}
