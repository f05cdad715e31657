package cas_test

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

var d1 = cas.Sum([]byte("1"))

func TestManifestRoundTrip(t *testing.T) {
	m := &cas.Manifest{Files: []cas.File{
		{Path: "b/x", Mode: 0o644, Size: 1, Chunks: []string{d1}},
		{Path: "a", Mode: uint32(fs.ModeSymlink | 0o777), Link: "../elsewhere"},
		{Path: "b", Mode: uint32(fs.ModeDir | 0o755)},
		{Path: "empty", Mode: 0o600},
	}}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Canonical: the order of Files does not matter.
	m2 := &cas.Manifest{Files: []cas.File{m.Files[3], m.Files[2], m.Files[1], m.Files[0]}}
	b2, err := m2.Encode()
	if err != nil || string(b) != string(b2) {
		t.Fatalf("encodings differ:\n%s\n%s (%v)", b, b2, err)
	}
	got, err := cas.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Files) != 4 || got.Files[0].Path != "a" || got.Files[0].Link != "../elsewhere" || got.Files[2].Chunks[0] != d1 {
		t.Fatalf("Decode = %+v", got)
	}
	b3, _ := got.Encode()
	if string(b3) != string(b) {
		t.Fatalf("re-encoding differs: %s", b3)
	}
}

// Hostile manifests are refused by Decode (and so by Restore): each case
// passes without the matching check.
func TestManifestHostile(t *testing.T) {
	file := func(p string) string {
		return fmt.Sprintf(`{"path":%q,"mode":420,"size":1,"chunks":[%q]}`, p, d1)
	}
	dir := func(p string) string {
		return fmt.Sprintf(`{"path":%q,"mode":%d,"size":0}`, p, uint32(fs.ModeDir|0o755))
	}
	link := func(p, to string) string {
		return fmt.Sprintf(`{"path":%q,"mode":%d,"size":0,"link":%q}`, p, uint32(fs.ModeSymlink|0o777), to)
	}
	man := func(files ...string) string { return `{"version":1,"files":[` + strings.Join(files, ",") + `]}` }
	cases := map[string]string{
		"dotdot":                          man(file("../escape")),
		"dotdot-inner":                    man(file("a/../../escape")),
		"absolute":                        man(file("/etc/passwd")),
		"unclean":                         man(file("a//b")),
		"dot":                             man(file("./a")),
		"trailing-slash":                  man(file("a/")),
		"empty-path":                      man(file("")),
		"nul":                             man(file("a\u0000b")),
		"backslash":                       man(file(`..\x`)),
		"long-path":                       man(file(strings.Repeat("a/", cas.MaxPath))),
		"duplicate":                       man(file("a"), file("a")),
		"unsorted":                        man(file("b"), file("a")),
		"symlink-then-write":              man(link("a", "/etc"), file("a/passwd")),
		"symlink-deep-write":              man(link("a", "/"), dir("a/etc"), file("a/etc/passwd")),
		"file-then-child":                 man(file("a"), file("a/b")),
		"symlink-then-sibling-then-write": man(link("a", "/etc"), file("a-b"), file("a.c"), file("a/passwd")),
		"device":                          man(fmt.Sprintf(`{"path":"dev","mode":%d,"size":0}`, uint32(fs.ModeDevice|0o666))),
		"setuid":                          man(fmt.Sprintf(`{"path":"su","mode":%d,"size":1,"chunks":[%q]}`, uint32(fs.ModeSetuid|0o755), d1)),
		"size-without-chunks":             man(`{"path":"a","mode":420,"size":10}`),
		"size-too-big":                    man(fmt.Sprintf(`{"path":"a","mode":420,"size":%d,"chunks":[%q]}`, int64(cas.MaxChunk)+1, d1)),
		"negative-size":                   man(fmt.Sprintf(`{"path":"a","mode":420,"size":-1,"chunks":[%q]}`, d1)),
		"bad-chunk":                       man(`{"path":"a","mode":420,"size":1,"chunks":["sha256:xyz"]}`),
		"dir-with-chunks":                 man(fmt.Sprintf(`{"path":"d","mode":%d,"size":1,"chunks":[%q]}`, uint32(fs.ModeDir|0o755), d1)),
		"link-empty":                      man(link("a", "")),
		"link-with-chunks":                man(fmt.Sprintf(`{"path":"l","mode":%d,"size":1,"link":"x","chunks":[%q]}`, uint32(fs.ModeSymlink|0o777), d1)),
		"unknown-field":                   `{"version":1,"files":[],"extra":1}`,
		"version":                         `{"version":2,"files":[]}`,
		"trailing-data":                   `{"version":1,"files":[]} {}`,
		"not-json":                        `[`,
		"oversize":                        `{"version":1,"files":[]}` + strings.Repeat(" ", cas.MaxManifest),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := cas.Decode([]byte(b)); !errors.Is(err, cas.ErrInvalid) {
				t.Fatalf("Decode: %v, want ErrInvalid", err)
			}
		})
	}
	// Too many files.
	var many []string
	for i := range cas.MaxFiles + 1 {
		many = append(many, fmt.Sprintf(`{"path":"f%07d","mode":420,"size":0}`, i))
	}
	if _, err := cas.Decode([]byte(man(many...))); !errors.Is(err, cas.ErrInvalid) {
		t.Fatalf("Decode of %d files: %v", cas.MaxFiles+1, err)
	}
	// Encode checks as well.
	bad := &cas.Manifest{Files: []cas.File{{Path: "../x", Mode: 0o644}}}
	if _, err := bad.Encode(); !errors.Is(err, cas.ErrInvalid) {
		t.Fatalf("Encode of ../x: %v", err)
	}
}

func TestChanged(t *testing.T) {
	d2 := cas.Sum([]byte("2"))
	before := &cas.Manifest{Version: 1, Files: []cas.File{
		{Path: "in", Mode: 0o644, Size: 1, Chunks: []string{d1}},
		{Path: "mod", Mode: 0o644, Size: 1, Chunks: []string{d1}},
		{Path: "perm", Mode: 0o644, Size: 1, Chunks: []string{d1}},
	}}
	after := &cas.Manifest{Version: 1, Files: []cas.File{
		{Path: "in", Mode: 0o644, Size: 1, Chunks: []string{d1}},
		{Path: "mod", Mode: 0o644, Size: 1, Chunks: []string{d2}},
		{Path: "new", Mode: 0o600, Size: 1, Chunks: []string{d2}},
		{Path: "perm", Mode: 0o755, Size: 1, Chunks: []string{d1}},
	}}
	got := cas.Changed(before, after)
	var paths []string
	for _, f := range got.Files {
		paths = append(paths, f.Path)
	}
	if strings.Join(paths, " ") != "mod new perm" {
		t.Fatalf("Changed = %v", paths)
	}
	if n := len(cas.Changed(nil, after).Files); n != 4 {
		t.Fatalf("Changed(nil, after) has %d files", n)
	}
	if n := len(cas.Changed(after, after).Files); n != 0 {
		t.Fatalf("Changed(after, after) has %d files", n)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"files":[{"path":"a","mode":420,"size":0}]}`))
	f.Add([]byte(`{"version":1,"files":[{"path":"a","mode":134218221,"size":0,"link":"/x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := cas.Decode(b)
		if err != nil {
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded manifest does not encode: %v", err)
		}
		if _, err := cas.Decode(enc); err != nil {
			t.Fatalf("encoding does not decode: %v", err)
		}
	})
}

// A manifest of deep paths (16 MiB of 4096-byte paths, 2048 levels each) is
// checked in well under a second: the coordinator decodes every manifest a
// user or a run token uploads. Walking each path's parents made this 44 s of
// CPU per upload.
func TestDecodeDeepPathsIsCheap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"version":1,"files":[`)
	for i := 0; b.Len() < cas.MaxManifest-5000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"path":"%04d%s","mode":420,"size":0}`, i, strings.Repeat("/a", (cas.MaxPath-4)/2))
	}
	b.WriteString("]}")
	start := time.Now()
	if _, err := cas.Decode([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Decode of a %d-byte manifest of deep paths took %v", b.Len(), d)
	}
}
