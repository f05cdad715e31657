package cas_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

func write(t *testing.T, p string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func byPath(m *cas.Manifest) map[string]cas.File {
	out := map[string]cas.File{}
	for _, f := range m.Files {
		out[f.Path] = f
	}
	return out
}

func TestScanTree(t *testing.T) {
	root := t.TempDir()
	big := randBytes(7, 3<<20+123)
	write(t, filepath.Join(root, "data/big.bin"), big, 0o640)
	write(t, filepath.Join(root, "run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	write(t, filepath.Join(root, "empty"), nil, 0o600)
	if err := os.Symlink("/etc/passwd", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("data", filepath.Join(root, "dlink")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(root, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	m, l, err := cas.Scan(root, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := byPath(m)
	if len(f) != 6 {
		t.Fatalf("entries %v", m.Files)
	}
	if e := f["data/big.bin"]; e.Size != int64(len(big)) || e.FileMode() != 0o640 || len(e.Chunks) < 1 {
		t.Errorf("big.bin = %+v", e)
	}
	if e := f["run.sh"]; e.FileMode() != 0o755 || len(e.Chunks) != 1 {
		t.Errorf("run.sh = %+v", e)
	}
	if e := f["empty"]; e.Size != 0 || len(e.Chunks) != 0 {
		t.Errorf("empty = %+v", e)
	}
	if e := f["link"]; e.FileMode().Type() != fs.ModeSymlink || e.Link != "/etc/passwd" {
		t.Errorf("link = %+v", e)
	}
	if e := f["dlink"]; e.FileMode().Type() != fs.ModeSymlink || e.Link != "data" {
		t.Errorf("dlink = %+v (a symlinked directory must not be walked)", e)
	}
	if e := f["data"]; !e.FileMode().IsDir() {
		t.Errorf("data = %+v", e)
	}
	if len(l.Skipped) != 2 || !strings.Contains(strings.Join(l.Skipped, "\n"), "fifo: named pipe, skipped") ||
		!strings.Contains(strings.Join(l.Skipped, "\n"), "s: socket, skipped") {
		t.Errorf("Skipped = %q", l.Skipped)
	}

	// Selected paths.
	m, _, err = cas.Scan(root, []string{"run.sh", "data"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(m.Files); got != 3 {
		t.Fatalf("scan of run.sh and data: %v", m.Files)
	}
	for _, p := range []string{"../x", "/etc", "nope"} {
		if _, _, err := cas.Scan(root, []string{p}, 0); err == nil {
			t.Errorf("Scan of %q succeeded", p)
		}
	}
}

func TestScanLimit(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a"), make([]byte, 3000), 0o644)
	write(t, filepath.Join(root, "sub/b"), make([]byte, 2000), 0o644)
	write(t, filepath.Join(root, "c"), make([]byte, 10), 0o644)
	_, _, err := cas.Scan(root, nil, 4000)
	if err == nil || !strings.Contains(err.Error(), "a (2.9 KiB), sub/b (2.0 KiB), c (10 B)") || !strings.Contains(err.Error(), "over the limit of 3.9 KiB") {
		t.Fatalf("Scan over the limit: %v", err)
	}
	if _, _, err := cas.Scan(root, nil, 5010); err != nil {
		t.Fatalf("Scan at the limit: %v", err)
	}
}

// A selected path below a symlink that leaves the root is not read: the
// driver scans a job's checkpoint paths with its own privileges.
func TestScanDoesNotFollowOut(t *testing.T) {
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret"), []byte("root only"), 0o600)
	root := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "ckpt")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cas.Scan(root, []string{"ckpt/secret"}, 0); err == nil {
		t.Fatal("Scan read a file through a symlink out of the root")
	}
	m, _, err := cas.Scan(root, []string{"ckpt"}, 0)
	if err != nil || len(m.Files) != 1 || m.Files[0].Link != outside {
		t.Fatalf("Scan of the symlink itself = %+v, %v", m, err)
	}
}

func newStore(t *testing.T) cas.Store {
	s, err := cas.NewDir(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUploadRestore(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	big := randBytes(11, 20<<20)
	write(t, filepath.Join(src, "model.bin"), big, 0o600)
	write(t, filepath.Join(src, "copy.bin"), big, 0o644) // same chunks: dedup
	write(t, filepath.Join(src, "bin/run.sh"), []byte("#!/bin/sh\n"), 0o755)
	write(t, filepath.Join(src, "ro/file"), []byte("x"), 0o444)
	os.Chmod(filepath.Join(src, "ro"), 0o555)
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "ro"), 0o755) })
	os.Symlink("bin/run.sh", filepath.Join(src, "go"))

	s := newStore(t)
	r := cas.StoreRemote(s, "alice")
	m, l, err := cas.Scan(src, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	md, st, err := cas.Upload(ctx, m, l, r)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 7 || st.Bytes != int64(2*len(big)+11) || st.SentChunks != st.Chunks || st.SentBytes < int64(len(big)) || st.SentBytes > int64(len(big))+100000 {
		t.Fatalf("first upload stats %+v", st)
	}
	// Again: nothing to send.
	md2, st2, err := cas.Upload(ctx, m, l, r)
	if err != nil || md2 != md || st2.SentChunks != 0 || st2.SentBytes != 0 {
		t.Fatalf("second upload = %s %+v %v", md2, st2, err)
	}
	// Change 1% in the middle: a few chunks are sent.
	copy(big[10<<20:], randBytes(12, 200<<10))
	write(t, filepath.Join(src, "model.bin"), big, 0o600)
	m3, l3, err := cas.Scan(src, []string{"model.bin"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, st3, err := cas.Upload(ctx, m3, l3, r)
	if err != nil || st3.SentChunks > 3 || st3.SentChunks == 0 {
		t.Fatalf("delta upload %+v %v", st3, err)
	}
	t.Logf("1%% change of 20 MiB: sent %d of %d chunks, %d bytes", st3.SentChunks, st3.Chunks, st3.SentBytes)

	dst := filepath.Join(t.TempDir(), "restored")
	got, err := cas.Restore(ctx, md, dst, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dst, "ro"), 0o755) })
	if len(got.Files) != 7 {
		t.Fatalf("restored manifest %+v", got)
	}
	m4, _, err := cas.Scan(dst, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	e1, _ := m.Encode()
	e4, _ := m4.Encode()
	if !bytes.Equal(e1, e4) {
		t.Fatalf("restored tree differs:\n%s\n%s", e1, e4)
	}
	// Another user's namespace has none of it.
	if _, err := cas.Restore(ctx, md, t.TempDir(), cas.StoreRemote(s, "bob")); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("bob restored alice's tree: %v", err)
	}
}

// putRaw stores hostile manifest bytes (Put checks only the digest).
func putRaw(t *testing.T, r cas.Remote, b []byte) string {
	d := cas.Sum(b)
	if err := r.Put(context.Background(), d, b); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRestoreHostile(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r := cas.StoreRemote(s, "mallory")
	payload := []byte("pwned\n")
	dp := putRaw(t, r, payload)
	outside := t.TempDir()
	file := func(p string) string {
		return `{"path":"` + p + `","mode":420,"size":6,"chunks":["` + dp + `"]}`
	}
	cases := map[string]string{
		"dotdot":   `{"version":1,"files":[` + file("../../"+filepath.Base(outside)+"/pwned") + `]}`,
		"absolute": `{"version":1,"files":[` + file(outside+"/pwned") + `]}`,
		"symlink-then-write": `{"version":1,"files":[{"path":"a","mode":134218239,"size":0,"link":"` + outside + `"},` +
			file("a/pwned") + `]}`,
	}
	for name, man := range cases {
		t.Run(name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "x", "y")
			if _, err := cas.Restore(ctx, putRaw(t, r, []byte(man)), dst, r); err == nil {
				t.Error("Restore succeeded")
			}
			if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
				t.Fatal("Restore wrote outside its directory")
			}
		})
	}
	// A symlink already in the directory (from an earlier restore or the
	// job) that points out is not written through.
	t.Run("existing-symlink", func(t *testing.T) {
		dst := t.TempDir()
		if err := os.Symlink(outside, filepath.Join(dst, "ckpt")); err != nil {
			t.Fatal(err)
		}
		man := `{"version":1,"files":[` + file("ckpt/pwned") + `]}`
		if _, err := cas.Restore(ctx, putRaw(t, r, []byte(man)), dst, r); err == nil {
			t.Error("Restore succeeded")
		}
		if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
			t.Fatal("Restore wrote through a symlink out of its directory")
		}
	})
	// An existing symlink at a file's own path is replaced, not followed.
	t.Run("existing-symlink-at-path", func(t *testing.T) {
		dst := t.TempDir()
		target := filepath.Join(outside, "victim")
		write(t, target, []byte("keep"), 0o644)
		if err := os.Symlink(target, filepath.Join(dst, "out")); err != nil {
			t.Fatal(err)
		}
		man := `{"version":1,"files":[` + file("out") + `]}`
		if _, err := cas.Restore(ctx, putRaw(t, r, []byte(man)), dst, r); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(target); string(b) != "keep" {
			t.Fatalf("Restore wrote through a symlink: victim = %q", b)
		}
		if b, _ := os.ReadFile(filepath.Join(dst, "out")); string(b) != "pwned\n" {
			t.Fatalf("out = %q", b)
		}
	})
	// Chunks that do not add up to the size.
	t.Run("size-mismatch", func(t *testing.T) {
		man := `{"version":1,"files":[{"path":"f","mode":420,"size":7,"chunks":["` + dp + `"]}]}`
		if _, err := cas.Restore(ctx, putRaw(t, r, []byte(man)), t.TempDir(), r); !errors.Is(err, cas.ErrInvalid) {
			t.Fatalf("Restore: %v, want ErrInvalid", err)
		}
	})
	// A remote that hands out wrong bytes.
	t.Run("corrupt-remote", func(t *testing.T) {
		man := `{"version":1,"files":[` + file("f") + `]}`
		md := putRaw(t, r, []byte(man))
		lying := lyingRemote{Remote: r, chunk: dp}
		if _, err := cas.Restore(ctx, md, t.TempDir(), lying); !errors.Is(err, cas.ErrDigestMismatch) {
			t.Fatalf("Restore from a lying remote: %v, want ErrDigestMismatch", err)
		}
	})
}

type lyingRemote struct {
	cas.Remote
	chunk string
}

func (l lyingRemote) Get(ctx context.Context, d string) ([]byte, error) {
	if d == l.chunk {
		return []byte("PWNED\n"), nil
	}
	return l.Remote.Get(ctx, d)
}

// BenchmarkScan measures Scan (read, chunk, hash) of a 256 MiB file.
func BenchmarkScan(b *testing.B) {
	root := b.TempDir()
	data := randBytes(13, 256<<20)
	if err := os.WriteFile(filepath.Join(root, "f"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := cas.Scan(root, nil, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// A chunk missing from the store fails the restore after the chunks being
// fetched ahead are done, and leaves no partial file behind.
func TestRestoreMissingChunk(t *testing.T) {
	ctx := context.Background()
	blobs := filepath.Join(t.TempDir(), "blobs")
	s, err := cas.NewDir(blobs)
	if err != nil {
		t.Fatal(err)
	}
	r := cas.StoreRemote(s, "alice")
	src := t.TempDir()
	write(t, filepath.Join(src, "model.bin"), randBytes(21, 16<<20), 0o600)
	m, l, err := cas.Scan(src, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	md, _, err := cas.Upload(ctx, m, l, r)
	if err != nil {
		t.Fatal(err)
	}
	chunks := m.Files[0].Chunks
	if len(chunks) < 6 {
		t.Fatalf("want at least 6 chunks, got %d", len(chunks))
	}
	h := strings.TrimPrefix(chunks[2], "sha256:")
	if err := os.Remove(filepath.Join(blobs, "alice", h[:2], h[2:4], h)); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if _, err := cas.Restore(ctx, md, dst, r); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Restore with a chunk missing: %v, want ErrNotFound", err)
	}
	if ents, _ := os.ReadDir(dst); len(ents) != 0 {
		t.Fatalf("a failed restore left %v", ents)
	}
}

// A file changed between Scan and Upload is not sent under its old digest.
func TestUploadFileChangedSinceScan(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, "f"), []byte("before"), 0o644)
	m, l, err := cas.Scan(src, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(src, "f"), []byte("after!"), 0o644)
	if _, _, err := cas.Upload(context.Background(), m, l, cas.StoreRemote(newStore(t), "alice")); !errors.Is(err, cas.ErrDigestMismatch) {
		t.Fatalf("Upload of a file changed since the scan: %v, want ErrDigestMismatch", err)
	}
}

// A file that grows after the scan checked the size limit (the job appends
// to it, or extends it on purpose while its checkpoint is scanned) is taken
// as it was when it was listed: the limit holds for what is uploaded.
func TestScanFileGrowsAfterLimitCheck(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "log"), []byte("line 1\n"), 0o644)
	defer cas.SetAfterLimitCheck(func() {
		f, err := os.OpenFile(filepath.Join(root, "log"), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if _, err := f.Write(make([]byte, 8<<20)); err != nil {
			t.Error(err)
		}
	})()
	m, l, err := cas.Scan(root, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if f := m.Files[0]; f.Size != 7 || len(f.Chunks) != 1 || f.Chunks[0] != cas.Sum([]byte("line 1\n")) {
		t.Fatalf("scanned %+v; want the 7 bytes there were at the limit check", f)
	}
	if _, st, err := cas.Upload(context.Background(), m, l, cas.StoreRemote(newStore(t), "alice")); err != nil || st.Bytes != 7 {
		t.Fatalf("upload %+v, %v", st, err)
	}
}

// A manifest of deep paths (2040 levels, distinct chains) restores in
// seconds, and again over itself: each step works on one name in its
// parent's directory. Through paths resolved from the root for every
// operation and every parent, each file took about 5 s (hours for a whole
// 16 MiB manifest, on a donor's node before the job starts).
func TestRestoreDeepPathsIsCheap(t *testing.T) {
	ctx := context.Background()
	r := cas.StoreRemote(newStore(t), "alice")
	data := []byte("deep\n")
	dd := putRaw(t, r, data)
	deep := strings.Repeat("/a", 2040)
	var files []string
	files = append(files, fmt.Sprintf(`{"path":"d","mode":%d,"size":0}`, uint32(fs.ModeDir|0o700)))
	for i := range 6 {
		files = append(files, fmt.Sprintf(`{"path":"d/%d%s/f","mode":420,"size":5,"chunks":[%q]}`, i, deep, dd))
	}
	files = append(files, fmt.Sprintf(`{"path":"d/6%s","mode":%d,"size":0,"link":"x"}`, deep, uint32(fs.ModeSymlink|0o777)))
	md := putRaw(t, r, []byte(`{"version":1,"files":[`+strings.Join(files, ",")+`]}`))
	dst := t.TempDir()
	start := time.Now()
	for range 2 {
		if _, err := cas.Restore(ctx, md, dst, r); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("two restores took %v", time.Since(start))
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("two restores of 7 entries 2040 levels deep took %v", d)
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	f, err := root.Open("d/5" + deep + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "deep\n" {
		t.Fatalf("restored file = %q, %v", b, err)
	}
	if l, err := root.Readlink("d/6" + deep); err != nil || l != "x" {
		t.Fatalf("restored link = %q, %v", l, err)
	}
	if fi, err := root.Stat("d"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("d: %v, %v", fi, err)
	}
}
