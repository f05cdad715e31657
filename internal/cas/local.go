package cas

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Dir is a Store of files under a directory: DIR/<ns>/<h0h1>/<h2h3>/<64 hex>.
// Writes go to a temporary file in the same directory, are synced, and are
// renamed into place, so a reader sees a whole blob or none.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// NewDir returns the store under path, creating it (0700) when missing.
func NewDir(path string) (*Dir, error) {
	if path == "" {
		return nil, fmt.Errorf("%w blob store: dir: needs a path", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("blob store dir %s: %w", path, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("blob store dir: %w", err)
	}
	return &Dir{root: abs}, nil
}

// Path returns the store's directory.
func (d *Dir) Path() string { return d.root }

// file returns the path of a blob, after checking ns and digest: neither can
// name anything outside the store's directory.
func (d *Dir) file(ns, digest string) (string, error) {
	if err := checkKey(ns, digest); err != nil {
		return "", err
	}
	h := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(d.root, ns, h[0:2], h[2:4], h), nil
}

// Has reports whether the blob is in the store (without reading it).
func (d *Dir) Has(ctx context.Context, ns, digest string) (bool, error) {
	p, err := d.file(ns, digest)
	if err != nil {
		return false, err
	}
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("blob store: %w", err)
	}
	return fi.Mode().IsRegular(), nil
}

// Put stores data as digest in ns; it refuses data that does not hash to
// digest. Putting a blob that is already there (intact) is a no-op; a
// damaged copy is replaced.
func (d *Dir) Put(ctx context.Context, ns, digest string, data []byte) error {
	p, err := d.file(ns, digest)
	if err != nil {
		return err
	}
	if err := Verify(digest, data); err != nil {
		return fmt.Errorf("blob store put: %w", err)
	}
	if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(data)) {
		// Already there; a copy damaged on disk is replaced.
		if old, err := os.ReadFile(p); err == nil && Sum(old) == digest {
			return nil
		}
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("blob store put: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("blob store put: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("blob store put %s: %w", digest, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("blob store put %s: %w", digest, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("blob store put %s: %w", digest, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("blob store put %s: %w", digest, err)
	}
	ok = true
	if df, err := os.Open(dir); err == nil {
		df.Sync()
		df.Close()
	}
	return nil
}

// Get reads the blob and checks its digest.
func (d *Dir) Get(ctx context.Context, ns, digest string) ([]byte, error) {
	p, err := d.file(ns, digest)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|oNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s in %s: %w", digest, ns, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob store get: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("blob store get %s: %w", digest, err)
	}
	if err := Verify(digest, data); err != nil {
		return nil, fmt.Errorf("blob store get (%s): %w", p, err)
	}
	return data, nil
}
