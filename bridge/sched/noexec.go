package sched

import (
	"context"
	"errors"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// ErrNoBackend is returned by NoBackend for operations that need one.
var ErrNoBackend = errors.New("no execution backend configured")

// NoBackend is the Executor of a coordinator that has no execution backend
// configured: it runs nothing and has no capacity, so eligible jobs wait
// with reason Resources while dependencies, holds, arrays and reasons are
// still tracked.
type NoBackend struct{}

var _ Executor = NoBackend{}

// Start refuses: nothing can run.
func (NoBackend) Start(context.Context, *state.Job, *state.Submission) error { return ErrNoBackend }

// Stop has nothing to stop.
func (NoBackend) Stop(context.Context, uint64) error { return nil }

// Signal refuses: nothing runs.
func (NoBackend) Signal(context.Context, uint64, string, SignalScope) error { return ErrNoBackend }

// Running is always empty.
func (NoBackend) Running(context.Context) ([]uint64, error) { return nil, nil }

// Capacity is always zero.
func (NoBackend) Capacity(context.Context) (int, error) { return 0, nil }

// Outcomes never delivers.
func (NoBackend) Outcomes() <-chan Outcome { return nil }
