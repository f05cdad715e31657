package jobdir

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// TestReadSecret: the task's secrets are read only as root's own files: a
// linked directory or file (another task's secrets), a file of the job's
// user, a second link to a file, a FIFO or an oversized file are refused.
func TestReadSecret(t *testing.T) {
	roottest.Require(t, "the secrets must be root's files")
	base := t.TempDir()
	secrets := filepath.Join(base, "secrets")
	other := filepath.Join(base, "other")
	for _, d := range []string{secrets, other} {
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(secrets, "key"), "k1")
	write(filepath.Join(other, "key"), "k2")
	if b, err := ReadSecret(secrets, "key", 16); err != nil || string(b) != "k1" {
		t.Fatalf("plain: %q, %v", b, err)
	}
	if _, err := ReadSecret(secrets, "key", 1); err == nil {
		t.Error("an oversized file was read")
	}
	// The job's user swaps the directory for a link to another task's.
	link := filepath.Join(base, "linked")
	if err := os.Symlink(other, link); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadSecret(link, "key", 16); err == nil {
		t.Errorf("read %q through a linked directory", b)
	}
	// A linked file, a hard link, a file not root's, a FIFO.
	if err := os.Symlink(filepath.Join(other, "key"), filepath.Join(secrets, "sym")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(other, "key"), filepath.Join(secrets, "hard")); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(secrets, "users"), "k3")
	if err := os.Chown(filepath.Join(secrets, "users"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(secrets, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sym", "hard", "users", "fifo"} {
		if b, err := ReadSecret(secrets, name, 16); err == nil {
			t.Errorf("%s: read %q", name, b)
		}
	}
}
