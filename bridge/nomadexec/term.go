package nomadexec

import (
	"context"
	"sync"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// RunTerm runs the executor's part of one leader term until ctx ends (the
// term is over): it follows Nomad's event stream from the index committed
// in Raft, reconciles periodically, finishes ended runs (archives their
// output, stops the Nomad job of a lost one) and delivers outcomes to the
// term's scheduler. It returns once all of that has stopped, and leaves
// the executor as New made it: the next term starts from what Nomad and
// the replicated state say, not from what this term knew.
//
// The coordinator starts a term's tasks only after every task of the
// previous term has returned, so two terms never share the executor.
func (e *Executor) RunTerm(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { e.deliver(ctx) })
	wg.Go(func() { _ = e.follow(ctx) })
	wg.Go(func() { e.finishEnds(ctx) })
	wg.Go(func() { e.reclaimLoop(ctx) }) // reclaim.go
	wg.Wait()
	e.mu.Lock()
	e.runs, e.nomad, e.synced, e.pending, e.ends = map[uint64]*run{}, map[string]uint64{}, false, nil, nil
	e.owed = map[uint64]bool{}
	e.multiAdmitted = map[uint64]multiPlan{}
	e.mu.Unlock()
	return nil
}

// ending is a run that ended on Nomad, with what remains to do before its
// outcome is delivered.
type ending struct {
	outcome         sched.Outcome
	nomadJob        string
	allocID, nodeID string
	// multi: a multi-node run, whose other allocations are stopped and
	// step key deleted once it ended.
	multi bool
	// migrate: a drain moved the allocation off its node (a reclaim).
	migrate bool
}

// queueEnd hands an ended run to the term's finisher.
func (e *Executor) queueEnd(en ending) {
	e.mu.Lock()
	e.ends = append(e.ends, en)
	e.mu.Unlock()
	select {
	case e.endsWake <- struct{}{}:
	default:
	}
}

// finishEnds finishes ended runs, each beside the others, until ctx ends,
// and returns once every one it began has finished.
func (e *Executor) finishEnds(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		e.mu.Lock()
		batch := e.ends
		e.ends = nil
		e.mu.Unlock()
		for _, en := range batch {
			wg.Go(func() { e.finish(ctx, en) })
		}
		select {
		case <-ctx.Done():
			return
		case <-e.endsWake:
		}
	}
}

// finish delivers an ended run's outcome after what must come first: a
// lost run's Nomad job is stopped before the outcome requeues the Slurm
// job, so that Nomad neither replaces the allocation nor lets it run on if
// its node comes back (see LostAfter; the node's output is out of reach);
// another run's output is archived first, so `hpcbridge output` works once
// sacct shows the end.
func (e *Executor) finish(ctx context.Context, en ending) {
	en = e.asRequeue(en) // a reclaimed run, or exit 85 (reclaim.go)
	if en.multi {
		// The other instances serve steps until stopped.
		e.stopLost(ctx, en.nomadJob)
		e.deleteStepKey(ctx, en.nomadJob)
	}
	switch {
	case en.outcome.State == state.StateNodeFail:
		if !en.multi {
			e.stopLost(ctx, en.nomadJob)
		}
	case en.outcome.Requeue || en.outcome.State == state.StatePending:
		// The run runs again as a new Nomad job: this one must not be
		// replaced meanwhile (a drain's migration).
		if !en.multi {
			e.stopLost(ctx, en.nomadJob)
		}
		if e.cfg.Outputs != nil && en.outcome.Requeue {
			if err := e.cfg.Outputs.Archive(ctx, en.outcome.JobID, en.allocID, en.nodeID); err != nil {
				e.cfg.Logger.Warn("archive output", "job", en.outcome.JobID, "err", err)
			}
		}
	case e.cfg.Outputs != nil:
		if err := e.cfg.Outputs.Archive(ctx, en.outcome.JobID, en.allocID, en.nodeID); err != nil {
			e.cfg.Logger.Warn("archive output", "job", en.outcome.JobID, "err", err)
		}
	}
	e.emit(en.outcome)
}

// emit queues an outcome without blocking: the scheduler, which takes
// outcomes, also calls Start, which may emit.
func (e *Executor) emit(o sched.Outcome) {
	e.mu.Lock()
	e.pending = append(e.pending, o)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// deliver hands queued outcomes to the scheduler until ctx ends.
func (e *Executor) deliver(ctx context.Context) {
	for {
		e.mu.Lock()
		var next *sched.Outcome
		if len(e.pending) > 0 {
			next = &e.pending[0]
		}
		e.mu.Unlock()
		if next == nil {
			select {
			case <-ctx.Done():
				return
			case <-e.wake:
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case e.outcomes <- *next:
			e.mu.Lock()
			e.pending = e.pending[1:]
			if next.State != state.StateRunning {
				delete(e.owed, next.JobID) // the scheduler has its end
			}
			e.mu.Unlock()
		}
	}
}
