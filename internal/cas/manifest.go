package cas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

// ManifestVersion is the only manifest version Decode accepts.
const ManifestVersion = 1

// File is one entry of a manifest.
type File struct {
	// Path is relative to the tree's root, slash-separated and clean: no
	// leading "/", no "." or ".." element, no empty element.
	Path string `json:"path"`
	// Mode is the fs.FileMode bits: the type (regular, fs.ModeDir or
	// fs.ModeSymlink, nothing else) and the permission bits (0777 only:
	// no setuid, setgid or sticky bit survives a scan).
	Mode uint32 `json:"mode"`
	// Size is a regular file's length in bytes (0 for a directory or link).
	Size int64 `json:"size"`
	// Link is a symlink's target, as read (never followed).
	Link string `json:"link,omitempty"`
	// Chunks are a regular file's chunks in order.
	Chunks []string `json:"chunks,omitempty"`
}

// Manifest lists a tree's files, sorted by path. Encode gives its canonical
// form, so equal trees have equal digests.
type Manifest struct {
	Version int    `json:"version"`
	Files   []File `json:"files"`
}

// FileMode returns f.Mode as an fs.FileMode.
func (f *File) FileMode() fs.FileMode { return fs.FileMode(f.Mode) }

// Encode returns the manifest's canonical form (its files sorted by path,
// compact JSON) after checking it as Decode would.
func (m *Manifest) Encode() ([]byte, error) {
	c := Manifest{Version: ManifestVersion, Files: append([]File(nil), m.Files...)}
	if m.Version != 0 && m.Version != ManifestVersion {
		return nil, fmt.Errorf("%w manifest: version %d, want %d", ErrInvalid, m.Version, ManifestVersion)
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Path < c.Files[j].Path })
	for i := range c.Files {
		if len(c.Files[i].Chunks) == 0 {
			c.Files[i].Chunks = nil
		}
	}
	if c.Files == nil {
		c.Files = []File{}
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if len(b) > MaxManifest {
		return nil, fmt.Errorf("%w manifest: %d bytes encoded, over the %d-byte limit (too many files or chunks)", ErrInvalid, len(b), MaxManifest)
	}
	return b, nil
}

// Decode parses and checks an encoded manifest: at most MaxManifest bytes
// and MaxFiles entries, no unknown fields, the known version, files sorted by
// path without duplicates, every path and entry valid (see Check).
func Decode(b []byte) (*Manifest, error) {
	if len(b) > MaxManifest {
		return nil, fmt.Errorf("%w manifest: %d bytes, over the %d-byte limit", ErrInvalid, len(b), MaxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w manifest: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w manifest: data after the JSON object", ErrInvalid)
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("%w manifest: version %d, want %d", ErrInvalid, m.Version, ManifestVersion)
	}
	for i := 1; i < len(m.Files); i++ {
		if m.Files[i-1].Path >= m.Files[i].Path {
			if m.Files[i-1].Path == m.Files[i].Path {
				return nil, fmt.Errorf("%w manifest: %q listed twice", ErrInvalid, m.Files[i].Path)
			}
			return nil, fmt.Errorf("%w manifest: files not sorted by path (%q before %q)", ErrInvalid, m.Files[i-1].Path, m.Files[i].Path)
		}
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Check validates the entries: at most MaxFiles; each path valid
// (CheckPath), unique, and not below a symlink or a regular file of the
// manifest; types regular, directory or symlink only; permission bits 0777
// only; a directory has no size, link or chunks; a symlink has a non-empty
// target of at most MaxPath bytes and no chunks; a regular file's chunks are
// valid digests, as many as its size needs (at least ceil(size/MaxChunk),
// at most ceil(size/MinChunk)+1, none when empty).
func (m *Manifest) Check() error {
	if len(m.Files) > MaxFiles {
		return fmt.Errorf("%w manifest: %d files, over the limit of %d", ErrInvalid, len(m.Files), MaxFiles)
	}
	kind := make(map[string]fs.FileMode, len(m.Files))
	for i := range m.Files {
		f := &m.Files[i]
		if err := CheckPath(f.Path); err != nil {
			return err
		}
		if _, dup := kind[f.Path]; dup {
			return fmt.Errorf("%w manifest: %q listed twice", ErrInvalid, f.Path)
		}
		mode := f.FileMode()
		if mode&^(fs.ModeType|fs.ModePerm) != 0 || (mode.Type() != 0 && mode.Type() != fs.ModeDir && mode.Type() != fs.ModeSymlink) {
			return fmt.Errorf("%w manifest: %q has mode %v (%#o): only regular files, directories and symlinks with permission bits 0777", ErrInvalid, f.Path, mode, f.Mode)
		}
		kind[f.Path] = mode.Type()
		switch mode.Type() {
		case fs.ModeDir:
			if f.Size != 0 || f.Link != "" || len(f.Chunks) != 0 {
				return fmt.Errorf("%w manifest: directory %q has a size, link or chunks", ErrInvalid, f.Path)
			}
		case fs.ModeSymlink:
			if f.Link == "" || len(f.Link) > MaxPath || strings.IndexByte(f.Link, 0) >= 0 || f.Size != 0 || len(f.Chunks) != 0 {
				return fmt.Errorf("%w manifest: symlink %q: needs a target of 1 to %d bytes without NUL, and no size or chunks", ErrInvalid, f.Path, MaxPath)
			}
		default:
			if f.Link != "" {
				return fmt.Errorf("%w manifest: regular file %q has a link target", ErrInvalid, f.Path)
			}
			if f.Size < 0 {
				return fmt.Errorf("%w manifest: %q has a negative size", ErrInvalid, f.Path)
			}
			lo := (f.Size + MaxChunk - 1) / MaxChunk
			hi := f.Size/MinChunk + 1
			if f.Size == 0 {
				hi = 0
			}
			if n := int64(len(f.Chunks)); n < lo || n > hi {
				return fmt.Errorf("%w manifest: %q is %d bytes in %d chunks (want %d to %d)", ErrInvalid, f.Path, f.Size, n, lo, hi)
			}
			for _, c := range f.Chunks {
				if !ValidDigest(c) {
					return fmt.Errorf("%w manifest: %q has chunk %q: want sha256:<64 lower-case hex>", ErrInvalid, f.Path, c)
				}
			}
		}
	}
	// Nothing may sit below a symlink or a regular file of the manifest: a
	// restore would write through the link ("a" -> /etc, then "a/passwd").
	// In byte order the paths below q ("q/...") are one run of the sorted
	// list, starting at the first path >= "q/": one binary search per
	// symlink or file, so a manifest of deep paths costs O(bytes * log n)
	// (walking each path's parents would be quadratic in its depth: 16 MiB
	// of 4096-byte paths took the coordinator 44 s of CPU).
	paths := make([]string, 0, len(kind))
	for p := range kind {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, q := range paths {
		t := kind[q]
		if t == fs.ModeDir {
			continue
		}
		i := sort.SearchStrings(paths, q+"/")
		if i < len(paths) && strings.HasPrefix(paths[i], q+"/") {
			what := "regular file"
			if t == fs.ModeSymlink {
				what = "symlink"
			}
			return fmt.Errorf("%w manifest: %q lies below %q, a %s", ErrInvalid, paths[i], q, what)
		}
	}
	return nil
}

// CheckPath checks a manifest path: 1 to MaxPath bytes of valid UTF-8
// without NUL, relative, clean, with no "." or ".." element.
func CheckPath(p string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w manifest path %q: %s", ErrInvalid, p, why)
	}
	switch {
	case p == "" || p == ".":
		return bad("empty")
	case len(p) > MaxPath:
		return bad(fmt.Sprintf("over %d bytes", MaxPath))
	case !utf8.ValidString(p) || strings.IndexByte(p, 0) >= 0:
		return bad("not valid UTF-8 or holds NUL")
	case strings.HasPrefix(p, "/"):
		return bad("absolute")
	case strings.Contains(p, "\\"):
		return bad("holds a backslash")
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return bad(`has a ".." element`)
		}
	}
	if path.Clean(p) != p {
		return bad("not clean")
	}
	return nil
}

// Changed returns the entries of after that are new or differ from before's
// entry of the same path (type, mode, size, link or chunks): what a job
// created or changed. A nil before means everything in after.
func Changed(before, after *Manifest) *Manifest {
	out := &Manifest{Version: ManifestVersion}
	if after == nil {
		return out
	}
	old := map[string]*File{}
	if before != nil {
		for i := range before.Files {
			old[before.Files[i].Path] = &before.Files[i]
		}
	}
	for _, f := range after.Files {
		if o, ok := old[f.Path]; ok && sameFile(o, &f) {
			continue
		}
		out.Files = append(out.Files, f)
	}
	return out
}

func sameFile(a, b *File) bool {
	if a.Mode != b.Mode || a.Size != b.Size || a.Link != b.Link || len(a.Chunks) != len(b.Chunks) {
		return false
	}
	for i := range a.Chunks {
		if a.Chunks[i] != b.Chunks[i] {
			return false
		}
	}
	return true
}
