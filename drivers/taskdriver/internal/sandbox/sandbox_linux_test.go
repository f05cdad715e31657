//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResolveIn follows links inside a tree standing for the host's root:
// systemd-resolved's resolv.conf, a relative link, a loop.
func TestResolveIn(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc", "run/systemd/resolve"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"etc/resolv.conf": "../run/systemd/resolve/stub-resolv.conf",
		"etc/hosts":       "/run/hosts",
		"run/hosts":       "/etc/real-hosts",
		"etc/a":           "/etc/b",
		"etc/b":           "/etc/a",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{
		"/etc/resolv.conf": "/run/systemd/resolve/stub-resolv.conf",
		"/etc/hosts":       "/etc/real-hosts",
		"/etc/a":           "",
	} {
		got, ok := resolveIn(root, path)
		if got != want || ok != (want != "") {
			t.Errorf("resolveIn %s = %q, %v; want %q", path, got, ok, want)
		}
	}
	if _, ok := resolveIn(root, "/etc"); ok {
		t.Error("a directory that is no link resolved")
	}
	if underSystemDir("/run/systemd/resolve/stub-resolv.conf") || !underSystemDir("/usr/share/zoneinfo/UTC") {
		t.Error("underSystemDir")
	}
}
