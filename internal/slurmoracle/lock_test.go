package slurmoracle

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestLockNode: while a test holds the node, another holder (a second
// open of the file, as another test binary's) cannot take it; when the
// test ends, it can.
func TestLockNode(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SLURM_CONF", filepath.Join(dir, "slurm.conf"))
	other := func() error {
		f, err := os.OpenFile(filepath.Join(dir, "hpcbridge-tests.lock"), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	t.Run("holder", func(t *testing.T) {
		LockNode(t)
		if err := other(); !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Errorf("a second holder got the lock while the test held it: %v", err)
		}
	})
	if err := other(); err != nil {
		t.Errorf("the lock was not released when the test ended: %v", err)
	}
}
