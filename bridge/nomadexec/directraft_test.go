package nomadexec

import (
	"context"
	"sync"
	"testing"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// directRaft applies commands straight to a store, as a one-server
// cluster's leader does.
type directRaft struct {
	mu    sync.Mutex
	store *state.Store
	index uint64
}

func (r *directRaft) Apply(_ context.Context, cmd []byte) (*state.Result, uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.index++
	return r.store.Apply(r.index, cmd), r.index, nil
}

func (r *directRaft) Barrier(context.Context) error { return nil }

// applier returns a function that encodes and applies one command and
// fails the test if the state refuses it.
func (r *directRaft) applier(ctx context.Context, t *testing.T) func(ct state.CommandType, payload any) *state.Result {
	return func(ct state.CommandType, payload any) *state.Result {
		t.Helper()
		b, err := state.Encode(ct, payload)
		if err != nil {
			t.Fatal(err)
		}
		res, _, _ := r.Apply(ctx, b)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return res
	}
}
