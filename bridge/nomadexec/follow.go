package nomadexec

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// follow follows Nomad's event stream and reconciles periodically until ctx
// ends.
func (e *Executor) follow(ctx context.Context) error {
	index, _ := strconv.ParseUint(e.cfg.Store.View().Meta(MetaEventIndex), 10, 64)
	committed := index
	tick := time.NewTicker(e.cfg.ReconcileInterval)
	defer tick.Stop()
	retry := time.NewTimer(0)
	defer retry.Stop()
	var events <-chan *api.Events
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			e.commitIndex(context.Background(), committed, index)
			return ctx.Err()
		case <-retry.C:
			ch, err := e.cfg.Client.EventStream().Stream(ctx, map[api.Topic][]string{api.TopicAllocation: {"*"}}, index+1, (&api.QueryOptions{}).WithContext(ctx))
			if err != nil {
				e.cfg.Logger.Warn("nomad event stream", "err", err)
				retry.Reset(backoff)
				backoff = min(2*backoff, 10*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
			events = ch
			e.reconcile(ctx) // heal what happened while not streaming
		case evs, ok := <-events:
			if !ok || evs.Err != nil {
				if ok {
					e.cfg.Logger.Warn("nomad event stream", "err", evs.Err)
				}
				events = nil
				retry.Reset(backoff)
				continue
			}
			if evs.IsHeartbeat() {
				continue
			}
			for i := range evs.Events {
				ev := &evs.Events[i]
				if ev.Topic != api.TopicAllocation {
					continue
				}
				a, err := ev.Allocation()
				if err != nil || a == nil || !strings.HasPrefix(a.JobID, JobPrefix) {
					continue
				}
				e.handleAlloc(ctx, fullAlloc(a))
			}
			index = max(index, evs.Index)
		case <-tick.C:
			e.reconcile(ctx)
			committed = e.commitIndex(ctx, committed, index)
		}
	}
}

// commitIndex saves the event index when it moved (Checkpoints).
func (e *Executor) commitIndex(ctx context.Context, committed, index uint64) uint64 {
	if index <= committed || e.cfg.Checkpoints == nil {
		return committed
	}
	if err := e.cfg.Checkpoints.SaveEventIndex(ctx, index); err != nil {
		e.cfg.Logger.Warn("commit nomad event index", "err", err)
		return committed
	}
	return index
}
