package receipt

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Receipt {
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	return &Receipt{Version: Version, JobID: 7, Run: 1, Seq: 2, Node: "n1", NodeID: "8f0c", AllocID: "a1",
		GPUs: []string{"GPU-1"}, CPUs: 4, Start: t0, End: t0.Add(90 * time.Second),
		Digest: "sha256:" + strings.Repeat("ab", 32), Size: 100, Uploaded: 10, Trigger: TriggerCommand}
}

func TestSignOpen(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	s, err := Sign(sample(), priv)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(s, pub)
	if err != nil {
		t.Fatal(err)
	}
	if r.Seconds() != 90 || r.JobID != 7 {
		t.Errorf("opened %+v", r)
	}
	// Another key, a changed body, a non-canonical body: refused.
	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := Open(s, other); err == nil {
		t.Error("a receipt opened with another node's key")
	}
	forged := *s
	forged.Body = bytes.Replace(s.Body, []byte(`"cpus":4`), []byte(`"cpus":64`), 1)
	if _, err := Open(&forged, pub); err == nil {
		t.Error("a changed body verified")
	}
	spaced := append([]byte(" "), s.Body...)
	if _, err := Open(&Signed{Body: spaced, Sig: ed25519.Sign(priv, spaced)}, pub); err == nil {
		t.Error("a non-canonical body was taken")
	}
	bad := sample()
	bad.Digest = "md5:x"
	if _, err := Sign(bad, priv); err == nil {
		t.Error("a bad digest was signed")
	}
}

// A node signs whatever bytes it likes, not only what Sign makes: a
// canonical body with bad fields verifies, and Open still refuses it.
func TestOpenChecksSignedFields(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	for name, edit := range map[string]func(r *Receipt){
		"another version":       func(r *Receipt) { r.Version = 2 },
		"no job":                func(r *Receipt) { r.JobID = 0 },
		"seq 0":                 func(r *Receipt) { r.Seq = 0 },
		"negative run":          func(r *Receipt) { r.Run = -1 },
		"ends before it starts": func(r *Receipt) { r.End = r.Start.Add(-time.Second) },
		"no start":              func(r *Receipt) { r.Start = time.Time{} },
		"too many GPUs":         func(r *Receipt) { r.GPUs = make([]string, MaxGPUs+1) },
		"negative size":         func(r *Receipt) { r.Size = -1 },
		"unknown trigger":       func(r *Receipt) { r.Trigger = "bonus" },
	} {
		r := sample()
		edit(r)
		body, err := r.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(&Signed{Body: body, Sig: ed25519.Sign(priv, body)}, pub); err == nil {
			t.Errorf("%s: a signed receipt with bad fields was opened", name)
		}
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "node.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("the key changed across loads: %v", err)
	}
	pub, err := DecodeKey(EncodeKey(k1.Public().(ed25519.PublicKey)))
	if err != nil || !pub.Equal(k1.Public()) {
		t.Fatalf("key text round trip: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Error("a world-readable key file was used")
	}
}
