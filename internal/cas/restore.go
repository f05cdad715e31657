package cas

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
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
// contents are written.
func Restore(ctx context.Context, manifestDigest string, dir string, r Remote) (*Manifest, error) {
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
	var dirs []*File
	for i := range m.Files {
		f := &m.Files[i]
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		if parent := path.Dir(f.Path); parent != "." {
			if err := mkdirAll(root, parent); err != nil {
				return nil, fmt.Errorf("restore %s: %w", f.Path, err)
			}
		}
		switch f.FileMode().Type() {
		case fs.ModeDir:
			if err := mkdirAll(root, f.Path); err != nil {
				return nil, fmt.Errorf("restore %s: %w", f.Path, err)
			}
			dirs = append(dirs, f)
		case fs.ModeSymlink:
			if err := removeEntry(root, f.Path); err != nil {
				return nil, fmt.Errorf("restore %s: %w", f.Path, err)
			}
			if err := root.Symlink(f.Link, f.Path); err != nil {
				return nil, fmt.Errorf("restore: %w", err)
			}
		default:
			if err := restoreFile(ctx, root, f, r); err != nil {
				return nil, fmt.Errorf("restore %s: %w", f.Path, err)
			}
		}
	}
	// Deepest first, so a read-only directory is set after its children.
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Path > dirs[j].Path })
	for _, f := range dirs {
		if err := root.Chmod(f.Path, f.FileMode().Perm()); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	return m, nil
}

// mkdirAll makes p and its parents under root; an existing directory is
// kept, anything else in the way (a file, a symlink) is refused.
func mkdirAll(root *os.Root, p string) error {
	if parent := path.Dir(p); parent != "." && parent != p {
		if err := mkdirAll(root, parent); err != nil {
			return err
		}
	}
	fi, err := root.Lstat(p)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("%s exists and is not a directory (%v)", p, fi.Mode().Type())
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := root.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// removeEntry removes a non-directory entry at p, so that what replaces it is not
// written through it.
func removeEntry(root *os.Root, p string) error {
	fi, err := root.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s exists and is a directory", p)
	}
	return root.Remove(p)
}

func restoreFile(ctx context.Context, root *os.Root, f *File, r Remote) error {
	if fi, err := root.Lstat(f.Path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s exists and is a directory", f.Path)
	}
	tmp := path.Join(path.Dir(f.Path), fmt.Sprintf(".cas-restore-%d-%s", os.Getpid(), path.Base(f.Path)))
	if len(path.Base(tmp)) > 255 {
		tmp = path.Join(path.Dir(f.Path), fmt.Sprintf(".cas-restore-%d", os.Getpid()))
	}
	_ = root.Remove(tmp)
	out, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			out.Close()
			root.Remove(tmp)
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
	if err := out.Chmod(f.FileMode().Perm()); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := root.Rename(tmp, f.Path); err != nil {
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
