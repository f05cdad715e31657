package slurmoracle

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// LockNode gives the test the oracle's node to itself until it ends: it
// takes an exclusive flock on a file beside the oracle's slurm.conf,
// waiting while another test binary holds it. Tests that run many jobs
// on the oracle, or hold part of its node for minutes (the runtime
// comparison, the pilot job), take it: a job that asks for no memory gets
// the whole node's under the oracle's configuration, so such jobs queue
// behind any other, and go test runs packages at the same time. The lock
// goes with the process, so a test binary that dies releases it.
func LockNode(t testing.TB) {
	t.Helper()
	path := filepath.Join(filepath.Dir(slurmConf()), "hpcbridge-tests.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatalf("the oracle's test lock: %v", err)
	}
	t.Logf("waiting for the Slurm oracle's node (%s)", path)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		t.Fatalf("the oracle's test lock %s: %v", path, err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
