package chain

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestSimulatedCloseLeavesNoGoroutine: every goroutine a simulated chain
// starts ends after Close, with a data dir and in memory. One ends up to a
// second late, by goleveldb's design: each leveldb DB's mpoolDrain goroutine
// (here go-ethereum's p2p node database, which the chain never uses) waits
// up to 1 s after the DB's Close for a buffer to drain and is not waited for
// by Close. goleak.VerifyNone gives up after about 0.5 s and reports it, so
// this test keeps looking for 5 s. go-ethereum's process-wide transaction
// sender cache is not the chain's.
func TestSimulatedCloseLeavesNoGoroutine(t *testing.T) {
	opts := []goleak.Option{goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("github.com/ethereum/go-ethereum/core.(*txSenderCacher).cache")}
	for _, dir := range []string{t.TempDir(), ""} {
		ch, err := Open(context.Background(), Config{Kind: KindSimulated, DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := findLeaksWithin(5*time.Second, opts...); err != nil {
		t.Fatal(err)
	}
}

// findLeaksWithin is goleak.Find retried until it finds nothing or d passes
// (goleak v1.3.0's own retries stop after about half a second).
func findLeaksWithin(d time.Duration, opts ...goleak.Option) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := goleak.Find(opts...)
		if err == nil {
			return nil
		}
		select {
		case <-deadline.C:
			return err
		case <-tick.C:
		}
	}
}
