package cas

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Layout says where the bytes of each chunk of a scanned tree are, so that
// Upload re-reads them from the files instead of holding them in memory.
type Layout struct {
	root string
	at   map[string]chunkAt
	// Skipped notes the entries a scan left out (sockets, devices, named
	// pipes), one line each: "PATH: socket, skipped".
	Skipped []string
}

type chunkAt struct {
	path string
	off  int64
	n    int
}

// Root returns the directory the layout's paths are relative to.
func (l *Layout) Root() string { return l.root }

// read returns a chunk's bytes, re-read from its file and checked against
// its digest (an error when the file changed since the scan).
func (l *Layout) read(digest string) ([]byte, error) {
	at, ok := l.at[digest]
	if !ok {
		return nil, fmt.Errorf("chunk %s: not in the scanned tree", digest)
	}
	r, err := os.OpenRoot(l.root)
	if err != nil {
		return nil, fmt.Errorf("scan root: %w", err)
	}
	defer r.Close()
	f, err := openRegular(r, at.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, at.n)
	if _, err := f.ReadAt(b, at.off); err != nil {
		return nil, fmt.Errorf("read %s: %w", at.path, err)
	}
	if Sum(b) != digest {
		return nil, fmt.Errorf("%s changed while it was being uploaded (chunk at offset %d): %w", at.path, at.off, ErrDigestMismatch)
	}
	return b, nil
}

// openRegular opens name under r for reading without following a final
// symlink and without blocking on a named pipe, and makes sure it is a
// regular file (a job may swap entries while a scan runs).
func openRegular(r *os.Root, name string) (*os.File, error) {
	f, err := r.OpenFile(name, os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is no longer a regular file", name)
	}
	return f, nil
}

// Scan chunks the files under root and returns their manifest and layout.
// paths (relative to root, as CheckPath wants them; "." is the whole tree)
// selects what to scan, each walked when a directory; nil scans the whole
// tree (root itself is not an entry). Symlinks are recorded as links, never
// followed, and nothing outside root is read, even through a symlinked
// parent. Permission bits (0777) are kept; sockets, devices and named pipes
// are skipped and noted in Layout.Skipped. When limit > 0 and the regular
// files add up to more than limit bytes, Scan fails before reading them,
// naming the biggest files.
func Scan(root string, paths []string, limit int64) (*Manifest, *Layout, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, nil, fmt.Errorf("scan: %w", err)
	}
	defer r.Close()
	l := &Layout{root: r.Name(), at: map[string]chunkAt{}}
	ents := map[string]fs.FileInfo{}
	var order []string
	add := func(p string, fi fs.FileInfo) error {
		if _, ok := ents[p]; ok {
			return nil
		}
		switch fi.Mode().Type() {
		case 0, fs.ModeDir, fs.ModeSymlink:
		default:
			l.Skipped = append(l.Skipped, fmt.Sprintf("%s: %s, skipped", p, kindOf(fi.Mode())))
			return nil
		}
		if len(ents) >= MaxFiles {
			return fmt.Errorf("scan %s: more than %d files", root, MaxFiles)
		}
		ents[p] = fi
		order = append(order, p)
		return nil
	}
	walk := func(start string) error {
		return fs.WalkDir(r.FS(), start, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("scan %s: %w", root, err)
			}
			if p == "." {
				return nil
			}
			fi, err := r.Lstat(p)
			if err != nil {
				return fmt.Errorf("scan: %w", err)
			}
			return add(p, fi)
		})
	}
	if paths == nil {
		paths = []string{"."}
	}
	for _, p := range paths {
		if p != "." {
			if err := CheckPath(p); err != nil {
				return nil, nil, fmt.Errorf("scan %s: %w", root, err)
			}
			fi, err := r.Lstat(p)
			if err != nil {
				return nil, nil, fmt.Errorf("scan %s: %w", root, err)
			}
			if !fi.IsDir() {
				if err := add(p, fi); err != nil {
					return nil, nil, err
				}
				continue
			}
		}
		if err := walk(p); err != nil {
			return nil, nil, err
		}
	}
	if err := checkLimit(root, ents, limit); err != nil {
		return nil, nil, err
	}
	if afterLimitCheck != nil {
		afterLimitCheck()
	}
	sort.Strings(order)
	m := &Manifest{Version: ManifestVersion, Files: make([]File, 0, len(order))}
	for _, p := range order {
		fi := ents[p]
		f := File{Path: p, Mode: uint32(fi.Mode().Type() | fi.Mode().Perm())}
		switch fi.Mode().Type() {
		case fs.ModeSymlink:
			if f.Link, err = r.Readlink(p); err != nil {
				return nil, nil, fmt.Errorf("scan: %w", err)
			}
		case 0:
			if err := l.chunkFile(r, &f, fi.Size()); err != nil {
				return nil, nil, err
			}
		}
		m.Files = append(m.Files, f)
	}
	if err := m.Check(); err != nil {
		return nil, nil, fmt.Errorf("scan %s: %w", root, err)
	}
	return m, l, nil
}

// afterLimitCheck, when set (by tests), runs between the size check and
// the reading of the files.
var afterLimitCheck func()

// chunkFile cuts f's file into chunks and hashes them, the hashing spread
// over the CPUs (chunking and hashing are each about 1 GB/s on one core)
// with at most hashers chunk copies in flight. It reads at most size bytes,
// the size the limit was checked against: a file that grows while it is
// scanned (a log the job appends to, or one it extends on purpose to get
// past the limit) is taken as it was when the scan listed it.
func (l *Layout) chunkFile(r *os.Root, f *File, size int64) error {
	fh, err := openRegular(r, f.Path)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	defer fh.Close()
	type piece struct {
		off    int64
		n      int
		digest string
	}
	var (
		pieces []*piece
		wg     sync.WaitGroup
		sem    = make(chan []byte, hashers)
	)
	for range hashers {
		sem <- nil
	}
	c := NewChunker(io.LimitReader(fh, size))
	var off int64
	var rerr error
	for {
		b, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rerr = fmt.Errorf("scan: read %s: %w", f.Path, err)
			break
		}
		p := &piece{off: off, n: len(b)}
		pieces = append(pieces, p)
		off += int64(len(b))
		buf := <-sem
		buf = append(buf[:0], b...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.digest = Sum(buf)
			sem <- buf
		}()
	}
	wg.Wait()
	if rerr != nil {
		return rerr
	}
	for _, p := range pieces {
		if _, ok := l.at[p.digest]; !ok {
			l.at[p.digest] = chunkAt{path: f.Path, off: p.off, n: p.n}
		}
		f.Chunks = append(f.Chunks, p.digest)
	}
	f.Size = off
	return nil
}

// hashers is how many chunks Scan hashes at once.
var hashers = max(2, runtime.GOMAXPROCS(0))

// checkLimit fails when the regular files add up to more than limit bytes,
// naming the five biggest.
func checkLimit(root string, ents map[string]fs.FileInfo, limit int64) error {
	if limit <= 0 {
		return nil
	}
	var total int64
	type big struct {
		p string
		n int64
	}
	var all []big
	for p, fi := range ents {
		if fi.Mode().IsRegular() {
			total += fi.Size()
			all = append(all, big{p, fi.Size()})
		}
	}
	if total <= limit {
		return nil
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].p < all[j].p
	})
	if len(all) > 5 {
		all = all[:5]
	}
	var names []string
	for _, b := range all {
		names = append(names, fmt.Sprintf("%s (%s)", b.p, HumanBytes(b.n)))
	}
	return fmt.Errorf("%s holds %s in %d entries, over the limit of %s; the biggest: %s", root, HumanBytes(total), len(ents), HumanBytes(limit), strings.Join(names, ", "))
}

// HumanBytes renders n as "512 B", "3.0 KiB", "1.5 GiB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "irregular file"
}
