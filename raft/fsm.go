package raft

import (
	"io"
	"sync"

	hraft "github.com/hashicorp/raft"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// fsm adapts a state.Store to hraft's FSM. It adds nothing to the state:
// it hands each command with its log index to the store and records how
// far the store has got, so that WaitForIndex can wait without polling.
//
// hraft calls Apply, ApplyBatch, Snapshot and Restore from one goroutine;
// Persist runs concurrently with later Applies, which the store's
// point-in-time snapshots allow.
type fsm struct {
	store *state.Store

	mu      sync.Mutex
	applied uint64        // last log index the store has seen
	changed chan struct{} // closed and replaced when applied moves
}

var _ hraft.BatchingFSM = (*fsm)(nil)

func newFSM(store *state.Store) *fsm {
	return &fsm{store: store, changed: make(chan struct{})}
}

// Apply applies one committed entry. The store panics on an entry it
// cannot decode: a replica that skipped it would diverge.
func (f *fsm) Apply(l *hraft.Log) any {
	return f.ApplyBatch([]*hraft.Log{l})[0]
}

// ApplyBatch applies committed entries in order and returns one
// *state.Result per command (nil for configuration entries).
func (f *fsm) ApplyBatch(logs []*hraft.Log) []any {
	out := make([]any, len(logs))
	for i, l := range logs {
		if l.Type == hraft.LogCommand {
			out[i] = f.store.Apply(l.Index, l.Data)
		}
	}
	if len(logs) > 0 {
		f.advance(logs[len(logs)-1].Index)
	}
	return out
}

// Snapshot captures the store at this point; Persist writes it out later.
func (f *fsm) Snapshot() (hraft.FSMSnapshot, error) {
	return &fsmSnapshot{snap: f.store.Snapshot()}, nil
}

// Restore replaces the store's state with a snapshot.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	if err := f.store.Restore(rc); err != nil {
		return err
	}
	// The snapshot knows the last command it holds; entries after it and
	// up to the snapshot's own index carry no state.
	f.advance(f.store.View().LatestIndex())
	return nil
}

// advance records that the store has applied everything up to idx.
func (f *fsm) advance(idx uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if idx == f.applied {
		return
	}
	f.applied = idx
	close(f.changed)
	f.changed = make(chan struct{})
}

// appliedIndex returns the last applied index and a channel closed when it
// changes.
func (f *fsm) appliedIndex() (uint64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied, f.changed
}

// fsmSnapshot streams a state.Snapshot into an hraft snapshot sink.
type fsmSnapshot struct {
	snap *state.Snapshot
}

// Persist writes the snapshot and closes the sink, or cancels it on error.
func (s *fsmSnapshot) Persist(sink hraft.SnapshotSink) error {
	if err := s.snap.Persist(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

// Release does nothing: the snapshot holds only a read transaction.
func (s *fsmSnapshot) Release() {}
