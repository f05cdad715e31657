package cas_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

func TestDirStore(t *testing.T) {
	dir := t.TempDir()
	s, err := cas.Open("dir:" + filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, s, func(t *testing.T, ns, digest string, data []byte) {
		h := strings.TrimPrefix(digest, "sha256:")
		p := filepath.Join(dir, "blobs", ns, h[:2], h[2:4], h)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	})
	// Nothing was created outside the store's directory by the bad keys.
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 || ents[0].Name() != "blobs" {
		t.Fatalf("entries beside the store: %v, %v", ents, err)
	}
	ents, _ = os.ReadDir(filepath.Join(dir, "blobs"))
	for _, e := range ents {
		if !cas.ValidNamespace(e.Name()) {
			t.Errorf("store dir holds %q", e.Name())
		}
	}
}

func TestOpenSpecs(t *testing.T) {
	for _, spec := range []string{"", "/tmp/x", "dir:", "file:/x", "s3://"} {
		if _, err := cas.Open(spec); err == nil {
			t.Errorf("Open(%q) succeeded", spec)
		}
	}
	// Mistyped specs too: an error goes to logs and terminals.
	for _, spec := range []string{
		"s3x://KEY:SECRETVALUE@h:1/b",
		"s3:/KEY:SECRETVALUE@h:1/b",
		"s3//KEY:SECRETVALUE@h:1/b",
		"s3:KEY:SECRETVALUE@h:1/b",
		"KEY:SECRETVALUE@h:1/b",
		"s3://SECRETVALUE@h:1/b",
		"s3://KEY:SECRETVALUE@h:1:2/b",
	} {
		_, err := cas.Open(spec)
		if err == nil || strings.Contains(err.Error(), "SECRETVALUE") {
			t.Errorf("Open(%q) error shows the secret or is nil: %v", spec, err)
		}
	}
}

func TestSumValidDigest(t *testing.T) {
	d := cas.Sum([]byte("abc"))
	if d != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Sum(abc) = %s", d)
	}
	if !cas.ValidDigest(d) || cas.ValidDigest(strings.ToUpper(d)) || cas.ValidDigest(d[:70]) {
		t.Fatal("ValidDigest wrong")
	}
}
