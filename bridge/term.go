package bridge

import (
	"context"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Term is one leader term of this server: the span from gaining Raft
// leadership to losing it (or shutting down).
type Term struct {
	// Seq counts this server's terms since Run began, from 1.
	Seq uint64
}

// A LeaderTask is work that runs only while this server leads. The
// coordinator starts every task of a term together, each in its own
// goroutine, when the server gains leadership, and cancels their context
// when it loses leadership or shuts down.
//
// RunTerm must return once ctx ends, and must not leave work behind: the
// coordinator waits for every task of a term to return before the next
// term starts, so two terms never overlap on one server. An error ends
// the term's other tasks too (ctx is cancelled); they are not restarted
// until the server gains leadership again.
type LeaderTask interface {
	// Name names the task in logs and errors.
	Name() string
	// RunTerm runs the task for one term.
	RunTerm(ctx context.Context, t Term) error
}

// leadership is what the term loop needs of the Raft node.
type leadership interface {
	IsLeader() bool
	// LeaderCh delivers leadership changes, keeping only the latest.
	LeaderCh() <-chan bool
}

// lead runs one term of tasks each time node gains leadership, until ctx
// ends; it returns after the last term's tasks have all returned.
func lead(ctx context.Context, node leadership, tasks []LeaderTask, logger *slog.Logger) {
	var seq uint64
	for {
		// A change delivered before this look is part of it.
		select {
		case <-node.LeaderCh():
		default:
		}
		if node.IsLeader() {
			seq++
			runTerm(ctx, node, Term{Seq: seq}, tasks, logger)
		} else {
			select {
			case <-ctx.Done():
			case <-node.LeaderCh():
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// runTerm runs the tasks of one term until leadership changes or ctx ends,
// and returns once every task has returned.
func runTerm(ctx context.Context, node leadership, t Term, tasks []LeaderTask, logger *slog.Logger) {
	logger.Info("leadership changed", "leader", true, "term", t.Seq)
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(tctx)
	for _, task := range tasks {
		g.Go(func() error {
			if err := task.RunTerm(gctx, t); err != nil && gctx.Err() == nil {
				return fmt.Errorf("%s: %w", task.Name(), err)
			}
			return nil
		})
	}
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case <-ctx.Done():
	case <-node.LeaderCh():
		// Leadership lost, or lost and regained (the channel keeps only
		// the latest change): this term is over either way.
	case err := <-done:
		// Every task returned while this server still leads: one failed
		// (its error ended the others), or none had work left.
		if err != nil {
			logger.Error("leader term stopped", "term", t.Seq, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-node.LeaderCh():
		}
		logger.Info("leadership changed", "leader", false, "term", t.Seq)
		return
	}
	cancel()
	if err := <-done; err != nil {
		logger.Error("leader term stopped", "term", t.Seq, "err", err)
	}
	logger.Info("leadership changed", "leader", false, "term", t.Seq)
}

// apiAddressTask publishes this server's API address in the replicated
// state, so followers can forward writes to it.
type apiAddressTask struct {
	srv    *apiserver.Server
	logger *slog.Logger
}

func (apiAddressTask) Name() string { return "api-address" }

func (a apiAddressTask) RunTerm(ctx context.Context, _ Term) error {
	if err := a.srv.EstablishLeadership(ctx); err != nil && ctx.Err() == nil {
		a.logger.Warn("establish leadership", "err", err)
	}
	return nil
}

// executorTask is the Nomad executor's part of a term: its event follower,
// reconcile and outcome delivery.
type executorTask struct {
	exec *nomadexec.Executor
}

func (executorTask) Name() string { return "executor" }

func (e executorTask) RunTerm(ctx context.Context, _ Term) error { return e.exec.RunTerm(ctx) }

// schedulerTask is the scheduler loop; each term gets a new scheduler.
type schedulerTask struct {
	store  *state.Store
	raft   sched.Applier
	exec   sched.Executor
	prio   *fairshare.Priorities
	logger *slog.Logger
}

func (schedulerTask) Name() string { return "scheduler" }

func (s schedulerTask) RunTerm(ctx context.Context, _ Term) error {
	err := sched.New(sched.Config{Store: s.store, Raft: s.raft, Executor: s.exec, Priority: s.prio, Logger: s.logger}).Run(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
