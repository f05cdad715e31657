package stepd

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
)

// TestOpenJobFileBeneath: a sandboxed job's files open below its own
// directories, through links that stay there, never through one that
// leaves (openat2, and the part-by-part fallback for kernels without it,
// which follows no link at all).
func TestOpenJobFileBeneath(t *testing.T) {
	dir := t.TempDir()
	task := filepath.Join(dir, "task")
	outside := filepath.Join(dir, "outside")
	for _, d := range []string{filepath.Join(task, "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(task, "sub", "in"), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"out": filepath.Join(outside, "secret"), "rel": "../outside/secret", "in-link": "sub/in", "dirlink": outside} {
		if err := os.Symlink(target, filepath.Join(task, name)); err != nil {
			t.Fatal(err)
		}
	}
	c := &jobdir.StepdConfig{Sandbox: &sandbox.Spec{Binds: []sandbox.Bind{{Path: task, Write: true}}, Tmp: filepath.Join(dir, "tmp")}}
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{filepath.Join(task, "sub", "in"), true},
		{filepath.Join(task, "in-link"), true},
		{filepath.Join(task, "new.out"), true},
		{filepath.Join(task, "out"), false},
		{filepath.Join(task, "rel"), false},
		{filepath.Join(task, "dirlink", "secret"), false},
		{filepath.Join(outside, "secret"), false},
	} {
		f, err := openJobFile(c, tc.path, os.O_RDWR|os.O_CREATE, 0o644)
		if f != nil {
			f.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("open %s: %v, want ok=%v", tc.path, err, tc.ok)
		}
	}
	// The fallback follows no link, not even one that stays inside.
	dirfd, err := unix.Open(task, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)
	for rel, ok := range map[string]bool{"sub/in": true, "in-link": false, "out": false, "dirlink/secret": false} {
		fd, err := openNoLinks(dirfd, rel, os.O_RDONLY, 0)
		if err == nil {
			unix.Close(fd)
		}
		if (err == nil) != ok || (err != nil && !errors.Is(err, unix.ELOOP) && !errors.Is(err, unix.ENOTDIR)) {
			t.Errorf("openNoLinks %s: %v, want ok=%v", rel, err, ok)
		}
	}
}

// TestLimitsV2 checks what stepd writes into a cgroup v2 task cgroup (a
// directory standing in for it: this machine's v2 hierarchy has no
// controllers), and that it refuses the root cgroup.
func TestLimitsV2(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "nomad.slice", "task.scope")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("max\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cg := ownCgroups{unified: "/nomad.slice/task.scope", root: root}
	if err := cg.applyV2(&jobdir.Limits{MemoryBytes: 200 << 20, CPUs: 3, Pids: 512}); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory.max": "209715200", "memory.swap.max": "0", "cpu.max": "300000 100000", "pids.max": "512",
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q (%v), want %q", file, b, err, want)
		}
	}
	if err := (ownCgroups{unified: "/", root: root}).applyV2(&jobdir.Limits{MemoryBytes: 1}); err == nil {
		t.Error("limits written into the root cgroup")
	}
}
