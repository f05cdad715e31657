package cas_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func TestChunkSizes(t *testing.T) {
	data := randBytes(1, 64<<20)
	sizes := cas.Chunks(data)
	total := 0
	for i, n := range sizes {
		total += n
		if n > cas.MaxChunk || (n < cas.MinChunk && i != len(sizes)-1) {
			t.Errorf("chunk %d is %d bytes, outside [%d, %d]", i, n, cas.MinChunk, cas.MaxChunk)
		}
	}
	if total != len(data) {
		t.Fatalf("chunks add up to %d, want %d", total, len(data))
	}
	avg := total / len(sizes)
	t.Logf("%d chunks, average %d bytes", len(sizes), avg)
	if avg < cas.AvgChunk/2 || avg > 2*cas.AvgChunk {
		t.Errorf("average chunk %d bytes, want about %d", avg, cas.AvgChunk)
	}
	// The stream chunker cuts the same chunks.
	c := cas.NewChunker(iotestHalfReader{bytes.NewReader(data)})
	for i := 0; ; i++ {
		b, err := c.Next()
		if errors.Is(err, io.EOF) {
			if i != len(sizes) {
				t.Fatalf("stream gave %d chunks, want %d", i, len(sizes))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(sizes) || len(b) != sizes[i] {
			t.Fatalf("stream chunk %d is %d bytes, want %v", i, len(b), sizes[i:min(i+1, len(sizes))])
		}
	}
	// Small and empty inputs.
	if got := cas.Chunks(nil); len(got) != 0 {
		t.Errorf("Chunks(nil) = %v", got)
	}
	if got := cas.Chunks(make([]byte, 10)); len(got) != 1 || got[0] != 10 {
		t.Errorf("Chunks(10 bytes) = %v", got)
	}
	// Zeros have no cut point: MaxChunk pieces.
	if got := cas.Chunks(make([]byte, 3*cas.MaxChunk+5)); len(got) != 4 || got[0] != cas.MaxChunk {
		t.Errorf("Chunks(zeros) = %v", got)
	}
}

// iotestHalfReader returns at most 1000 bytes a read, to exercise refills.
type iotestHalfReader struct{ r io.Reader }

func (h iotestHalfReader) Read(p []byte) (int, error) {
	if len(p) > 1000 {
		p = p[:1000]
	}
	return h.r.Read(p)
}

// An insertion moves only the chunks around it: the cut points after it are
// found again (content-defined, not offset-defined).
func TestChunkShiftResistance(t *testing.T) {
	data := randBytes(2, 32<<20)
	edited := append(append(append([]byte{}, data[:5<<20]...), []byte("a few inserted bytes")...), data[5<<20:]...)
	set := func(b []byte) map[string]bool {
		m := map[string]bool{}
		off := 0
		for _, n := range cas.Chunks(b) {
			m[cas.Sum(b[off:off+n])] = true
			off += n
		}
		return m
	}
	a, b := set(data), set(edited)
	diff := 0
	for d := range b {
		if !a[d] {
			diff++
		}
	}
	if diff > 2 {
		t.Errorf("an insertion changed %d of %d chunks, want at most 2", diff, len(b))
	}
}

func BenchmarkChunk(b *testing.B) {
	data := randBytes(3, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		cas.Chunks(data)
	}
}

// The cut points and the manifest encoding are pinned: stored trees are
// named by digests that depend on both, so a change to the gear table, the
// masks, the chunk sizes or the JSON form (which every other test would
// accept) would make every earlier upload look new and break dedup against
// a running store.
func TestChunkAndManifestPinned(t *testing.T) {
	want := []int{1262668, 1184978, 1568091, 384820, 1069607, 1050673, 1512313, 1207267, 675684, 894680, 1239812, 1072201, 1491116, 1499827, 539715, 123764}
	got := cas.Chunks(randBytes(1, 16<<20))
	if len(got) != len(want) {
		t.Fatalf("cut into %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("cut into %v, want %v", got, want)
		}
	}
	m := &cas.Manifest{Files: []cas.File{{Path: "a", Mode: 0o644, Size: 3, Chunks: []string{cas.Sum([]byte("abc"))}}}}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	const enc = `{"version":1,"files":[{"path":"a","mode":420,"size":3,"chunks":["sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]}]}`
	if string(b) != enc || cas.Sum(b) != "sha256:3d46dd5a7f73cb7647557f2478202e2a4ba9818e29406eec93ac88897493436e" {
		t.Fatalf("manifest encodes as %s", b)
	}
}
