package bridge

import (
	"context"
	"io"
	"testing"

	"go.uber.org/goleak"
)

// TestRunLeavesNoGoroutines runs a one-server coordinator until its first
// leader term has started every task, stops it, and checks that Run waits
// for a leader task that is slow to stop, returns nil and leaves no
// goroutine behind (goleak retries until its deadline while goroutines
// finish exiting).
func TestRunLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	j := &journal{}
	gate := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := New(Config{
		DataDir: t.TempDir(), Bind: "127.0.0.1:0", RaftBind: "127.0.0.1:0", Bootstrap: true,
		LogLevel: "error", Log: io.Discard,
		LeaderTasks: []LeaderTask{recorded{LeaderTask: idle("probe"), j: j, gate: gate}},
	})
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	eventually(t, "the first leader term", func() bool {
		select {
		case err := <-errc:
			t.Fatalf("Run returned early: %v", err)
		default:
		}
		return j.count(0, 1, "start") == 1
	})
	cancel()
	eventually(t, "the probe to be cancelled", func() bool { return j.count(0, 1, "cancelled") == 1 })
	select {
	case err := <-errc:
		t.Fatalf("Run returned (%v) while a task of its leader term still ran", err)
	default:
	}
	close(gate)
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := j.count(0, 1, "stop"); n != 1 {
		t.Errorf("the term's task returned %d times before Run did, want 1", n)
	}
}
