package cas

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

// Restore reads the manifest manifestDigest from r and recreates its files
// under dir (created when missing): directories, regular files with their
// permission bits, and symlinks (created as they are, never followed).
// Chunks are fetched up to RestoreParallel ahead of the one being written;
// every chunk's digest is checked, and a file's chunks must add up to its
// size. Restore never writes outside dir: it works through an os.Root, so a
// symlink in dir or in the manifest that points out of dir is not followed
// out (the write fails), and an existing entry in the way of a file or link
// is replaced, not written through. Files are written to a temporary name
// and renamed into place. Directories keep their manifest modes once their
// contents are written. The manifest's permission bits are set exactly
// (no umask): see RestoreWith.
func Restore(ctx context.Context, manifestDigest string, dir string, r Remote) (*Manifest, error) {
	return RestoreWith(ctx, manifestDigest, dir, r, RestoreOptions{})
}

// RestoreOptions change how Restore writes.
type RestoreOptions struct {
	// Umask is cleared from every file's and directory's permission bits
	// (as open(2) and mkdir(2) do with the process umask; Restore's chmod
	// does not): a restore for a user on a shared host (hpcbridge fetch)
	// passes the user's umask, so that a job's 0666 or 0777 files do not
	// come out writable by everyone. Zero keeps the manifest's bits.
	Umask fs.FileMode
}

// RestoreWith is Restore with options.
func RestoreWith(ctx context.Context, manifestDigest string, dir string, r Remote, o RestoreOptions) (*Manifest, error) {
	mask := o.Umask & fs.ModePerm
	m, err := GetManifest(ctx, manifestDigest, r)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer root.Close()
	w := &walker{root: root}
	defer w.close()
	var dirs []*File
	for i := range m.Files {
		f := &m.Files[i]
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		if f.FileMode().IsDir() {
			if _, err := w.dir(f.Path, true); err != nil {
				return nil, fmt.Errorf("restore %s: %w", f.Path, err)
			}
			dirs = append(dirs, f)
			continue
		}
		parent, err := w.dir(path.Dir(f.Path), true)
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", f.Path, err)
		}
		base := path.Base(f.Path)
		if f.FileMode().Type() == fs.ModeSymlink {
			if err := removeEntry(parent, base); err != nil {
				return nil, fmt.Errorf("restore %s: %w", f.Path, err)
			}
			if err := parent.Symlink(f.Link, base); err != nil {
				return nil, fmt.Errorf("restore %s: %w", f.Path, err)
			}
			continue
		}
		if err := restoreFile(ctx, parent, base, f, mask, r); err != nil {
			return nil, fmt.Errorf("restore %s: %w", f.Path, err)
		}
	}
	// Deepest first, so a read-only directory is set after its children.
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Path > dirs[j].Path })
	for _, f := range dirs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		parent, err := w.dir(path.Dir(f.Path), false)
		if err == nil {
			err = parent.Chmod(path.Base(f.Path), f.FileMode().Perm()&^mask)
		}
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", f.Path, err)
		}
	}
	return m, nil
}

// walker reaches the directories of a tree under root one component at a
// time, keeping the last one it reached open, so that each step of a
// restore works on a single name in its parent: a step costs a few system
// calls plus one per component of a directory not below the last one, not
// (as a path through an os.Root does, component by component) the depth of
// the path once per operation and per parent: a manifest of deep paths
// (2048 levels) took seconds per file that way, hours for a whole one.
type walker struct {
	root *os.Root
	path string   // the directory cur is; "" when none is open
	cur  *os.Root // open below root, or nil
}

func (w *walker) close() {
	if w.cur != nil {
		w.cur.Close()
	}
	w.cur, w.path = nil, ""
}

// dir returns directory p ("." is the root), creating the missing
// directories on the way (0755) when create is set; an existing directory
// is kept, anything else in the way (a file, a symlink) is refused. Every
// directory is opened through its parent's os.Root, so nothing is reached
// outside the root, even if the tree changes meanwhile.
func (w *walker) dir(p string, create bool) (*os.Root, error) {
	if p == "." {
		return w.root, nil
	}
	if w.cur != nil && p == w.path {
		return w.cur, nil
	}
	cur, done, rest := w.root, "", p
	if w.cur != nil && strings.HasPrefix(p, w.path+"/") {
		cur, done, rest = w.cur, w.path, p[len(w.path)+1:]
	}
	var opened *os.Root // cur when it is ours to close
	if cur == w.cur {
		opened = w.cur
		w.cur, w.path = nil, ""
	} else {
		w.close()
	}
	fail := func(err error) (*os.Root, error) {
		if opened != nil {
			opened.Close()
		}
		return nil, err
	}
	for _, c := range strings.Split(rest, "/") {
		done = path.Join(done, c)
		fi, err := cur.Lstat(c)
		switch {
		case err == nil && fi.IsDir():
		case err == nil:
			return fail(fmt.Errorf("%s exists and is not a directory (%v)", done, fi.Mode().Type()))
		case create && errors.Is(err, fs.ErrNotExist):
			if err := cur.Mkdir(c, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fail(err)
			}
		default:
			return fail(err)
		}
		next, err := cur.OpenRoot(c)
		if err != nil {
			return fail(err)
		}
		if opened != nil {
			opened.Close()
		}
		opened, cur = next, next
	}
	w.cur, w.path = opened, p
	return opened, nil
}

// removeEntry removes a non-directory entry name of dir, so that what
// replaces it is not written through it.
func removeEntry(dir *os.Root, name string) error {
	fi, err := dir.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s exists and is a directory", name)
	}
	return dir.Remove(name)
}

func restoreFile(ctx context.Context, dir *os.Root, name string, f *File, mask fs.FileMode, r Remote) error {
	if fi, err := dir.Lstat(name); err == nil && fi.IsDir() {
		return fmt.Errorf("%s exists and is a directory", f.Path)
	}
	tmp := fmt.Sprintf(".cas-restore-%d-%s", os.Getpid(), name)
	if len(tmp) > 255 {
		tmp = fmt.Sprintf(".cas-restore-%d", os.Getpid())
	}
	_ = dir.Remove(tmp)
	out, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			out.Close()
			dir.Remove(tmp)
		}
	}()
	var n int64
	err = fetchChunks(ctx, f.Chunks, r, func(c string, b []byte) error {
		if len(b) > MaxChunk {
			return fmt.Errorf("chunk %s is %d bytes, over the %d-byte limit", c, len(b), MaxChunk)
		}
		if err := Verify(c, b); err != nil {
			return err
		}
		if n+int64(len(b)) > f.Size {
			return fmt.Errorf("%w: chunks add up to more than the size %d", ErrInvalid, f.Size)
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
		n += int64(len(b))
		return nil
	})
	if err != nil {
		return err
	}
	if n != f.Size {
		return fmt.Errorf("%w: chunks add up to %d bytes, the manifest says %d", ErrInvalid, n, f.Size)
	}
	if err := out.Chmod(f.FileMode().Perm() &^ mask); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := dir.Rename(tmp, name); err != nil {
		return err
	}
	ok = true
	return nil
}

// RestoreParallel is how many chunks Restore fetches ahead of the one it
// writes.
const RestoreParallel = 4

// fetchChunks gets chunks from r, up to RestoreParallel at once, and hands
// each to use in order; it returns use's first error (or a Get's) after
// every fetch it started has ended.
func fetchChunks(ctx context.Context, chunks []string, r Remote, use func(c string, b []byte) error) error {
	type fetch struct {
		done chan struct{}
		b    []byte
		err  error
	}
	gctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	fetches := make([]*fetch, len(chunks))
	next := 0
	launch := func() {
		i := next
		next++
		f := &fetch{done: make(chan struct{})}
		fetches[i] = f
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(f.done)
			f.b, f.err = r.Get(gctx, chunks[i])
		}()
	}
	for next < len(chunks) && next < RestoreParallel {
		launch()
	}
	for i, c := range chunks {
		f := fetches[i]
		<-f.done
		fetches[i] = nil
		if next < len(chunks) {
			launch()
		}
		if f.err != nil {
			return fmt.Errorf("chunk %s: %w", c, f.err)
		}
		if err := use(c, f.b); err != nil {
			return err
		}
	}
	return nil
}
