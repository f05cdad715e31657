package bridge

import (
	"context"
	"io"
	"testing"

	"go.uber.org/goleak"
)

// TestRunLeavesNoGoroutines runs a one-server coordinator until its first
// leader term has started every task, stops it, and checks that Run
// returned nil and left no goroutine behind (goleak retries until its
// deadline while goroutines finish exiting).
func TestRunLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	j := &journal{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := New(Config{
		DataDir: t.TempDir(), Bind: "127.0.0.1:0", RaftBind: "127.0.0.1:0", Bootstrap: true,
		LogLevel: "error", Log: io.Discard,
		LeaderTasks: []LeaderTask{recorded{LeaderTask: idle("probe"), j: j}},
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
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := j.count(0, 1, "stop"); n != 1 {
		t.Errorf("the term's task returned %d times before Run did, want 1", n)
	}
}
