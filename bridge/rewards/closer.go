package rewards

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Close closes the next epoch now, on the leader (POST /v1/rewards/close):
// it answers the closed epoch, or an error wrapping
// apiserver.ErrNothingToClose when no wallet's cumulative credit changed
// since the last epoch (or none has credit).
func (s *Service) Close(ctx context.Context) (*state.Epoch, error) {
	// The epoch's number and "anything changed" are read from the store:
	// a new leader's must have applied everything committed first.
	if err := s.deps.Raft.Barrier(ctx); err != nil {
		return nil, fmt.Errorf("ledger close: catch up with the Raft log: %w", err)
	}
	v := s.deps.Store.View()
	last := v.LastEpoch()
	if !v.RewardsPending() {
		if last == nil {
			return nil, fmt.Errorf("%w: no wallet has credit", apiserver.ErrNothingToClose)
		}
		return nil, fmt.Errorf("%w: no wallet's credit changed since epoch %d", apiserver.ErrNothingToClose, last.Number)
	}
	next := uint64(1)
	if last != nil {
		next = last.Number + 1
	}
	if _, err := s.apply(ctx, state.LedgerCmd{Op: state.LedgerClose, Time: s.deps.Now().UTC(), Epoch: next}); err != nil {
		if errors.Is(err, state.ErrNothingToClose) {
			return nil, fmt.Errorf("%w: %w", apiserver.ErrNothingToClose, err)
		}
		return nil, err
	}
	e := s.deps.Store.View().Epoch(next)
	if e == nil {
		return nil, fmt.Errorf("ledger close: epoch %d not in the state after its close", next)
	}
	s.log.Info("rewards: epoch closed", "epoch", e.Number, "root", e.Root, "wallets", e.Wallets, "total", e.Total)
	return e, nil
}

// Resume commits the resume of halted epoch n (on the leader; the API
// checked the caller's management token): the publisher takes it up again,
// reading the chain first.
func (s *Service) Resume(ctx context.Context, n uint64) error {
	if _, err := s.apply(ctx, state.LedgerCmd{Op: state.LedgerResume, Time: s.deps.Now().UTC(), Epoch: n, By: state.Actor{Management: true}}); err != nil {
		return err
	}
	s.log.Warn("rewards: publishing resumed by an admin", "epoch", n)
	return nil
}

// Closer is the leader task that closes an epoch every Config.Epoch.
type Closer struct{ s *Service }

// Closer returns the closer task.
func (s *Service) Closer() Closer { return Closer{s} }

// Name names the task.
func (Closer) Name() string { return "rewards-closer" }

// RunTerm closes the next epoch each time Config.Epoch has passed since
// the last one closed (or since the term began, when none has), if some
// wallet's credit changed; it returns when ctx ends. Failures are logged
// and retried at the next tick, never returned (they would end the term's
// other tasks).
func (c Closer) RunTerm(ctx context.Context) error {
	s := c.s
	every := s.cfg.Epoch
	if every <= 0 {
		return nil // manual closes only
	}
	start := s.deps.Now()
	// The last epoch's close time decides when the next is due: read it
	// after catching up (Close catches up again before it closes).
	if err := s.deps.Raft.Barrier(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("rewards: the closer could not catch up with the Raft log; the first close may come early", "err", err)
	}
	var tried time.Time // the last tick's time (zero: none yet this term)
	for {
		due := start.Add(every)
		if e := s.deps.Store.View().LastEpoch(); e != nil {
			due = e.Closed.Add(every)
		}
		if !tried.IsZero() && tried.Add(every).After(due) {
			due = tried.Add(every)
		}
		t := time.NewTimer(max(due.Sub(s.deps.Now()), 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		tried = s.deps.Now()
		if _, err := s.Close(ctx); err != nil && ctx.Err() == nil {
			if errors.Is(err, apiserver.ErrNothingToClose) {
				s.log.Debug("rewards: no epoch to close", "why", err)
			} else {
				s.log.Warn("rewards: closing an epoch failed; trying again next epoch", "err", err, "in", every)
			}
		}
	}
}
