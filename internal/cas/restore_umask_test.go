package cas

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Restore sets the manifest's permission bits exactly (a node restoring a
// job's files); RestoreWith's Umask clears its bits from every file and
// directory (a user's fetch on a shared host).
func TestRestoreUmask(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "d", "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "d", "f"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "d"), 0o777); err != nil {
		t.Fatal(err)
	}
	m, l, err := Scan(src, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	store, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := StoreRemote(store, "u")
	d, _, err := Upload(ctx, m, l, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		umask      fs.FileMode
		file, dirm fs.FileMode
	}{{0, 0o666, 0o777}, {0o022, 0o644, 0o755}, {0o077, 0o600, 0o700}} {
		dst := t.TempDir()
		if _, err := RestoreWith(ctx, d, dst, r, RestoreOptions{Umask: c.umask}); err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]fs.FileMode{"d/f": c.file, "d": c.dirm} {
			fi, err := os.Stat(filepath.Join(dst, name))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("umask %03o: %s restored %v, want %v", c.umask, name, fi.Mode().Perm(), want)
			}
		}
	}
}
